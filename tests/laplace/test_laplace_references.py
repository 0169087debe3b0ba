"""Independent references: mpmath.invertlaplace in high precision, and the contour route
of Spectrum.response against quadrature over the density."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rmtdyn as rd


def _mp_transform_mp(ratio):
    """-g(-s) of Marchenko-Pastur in mpmath: 2/(s + 1 - ratio + sqrt(s + l-) sqrt(s + l+))."""
    lo = (1 - mpmath.sqrt(ratio)) ** 2
    hi = (1 + mpmath.sqrt(ratio)) ** 2
    return lambda s: 2 / (s + 1 - ratio + mpmath.sqrt(s + lo) * mpmath.sqrt(s + hi))


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_marchenko_pastur_against_mpmath(ratio):
    """30-digit mpmath Talbot inversion at a few times (not our code, not our precision)."""
    t = np.array([0.3, 3.0, 30.0])
    mp = rd.MarchenkoPastur(ratio)
    F = lambda s: -mp.stieltjes(-s)  # noqa: E731
    with mpmath.workdps(30):
        G = _mp_transform_mp(mpmath.mpf(ratio))
        reference = np.array([float(mpmath.invertlaplace(G, float(x), method="talbot"))
                              for x in t])
    low = mp.support()[0][0] if ratio < 1 else 0.0
    high = mp.support()[0][1]
    for method, options in (("talbot", {"shift": -low}), ("dehoog", {"shift": -low}),
                            ("contour", {"support": (low, high)}), ("auto", {})):
        value = rd.invert_laplace(F, t, method, **options)
        np.testing.assert_allclose(value, reference, rtol=1e-10, atol=0, err_msg=method)
    np.testing.assert_allclose(mp.response(t), reference, rtol=1e-12)


def test_sin_and_sqrt_against_mpmath():
    t = np.array([0.7, 7.0, 70.0])
    with mpmath.workdps(30):
        ref_sqrt = np.array([float(mpmath.invertlaplace(lambda s: mpmath.exp(-mpmath.sqrt(s)),
                                                        float(x), method="talbot")) for x in t])
    value = rd.invert_laplace(lambda s: np.exp(-np.sqrt(s)), t)
    np.testing.assert_allclose(value, ref_sqrt, rtol=1e-10)
    with mpmath.workdps(30):
        ref_sin = np.array([float(mpmath.invertlaplace(lambda s: 1 / (s * s + 1), float(x),
                                                       method="dehoog")) for x in t[:2]])
    np.testing.assert_allclose(rd.invert_laplace(lambda s: 1 / (s * s + 1), t[:2]), ref_sin,
                               rtol=1e-10)


@pytest.mark.parametrize("spectrum", [rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(2.0),
                                      rd.MarchenkoPastur(1.0), rd.Wigner() + 2.5,
                                      rd.MarchenkoPastur(0.3, variance=2.0)],
                         ids=["mp0.5", "mp2", "mp1", "wigner+2.5", "mp0.3var2"])
def test_response_contour_against_quadrature(spectrum):
    """Two independent routes to R(t): the resolvent on an ellipse and the density by tanh-sinh."""
    t = np.concatenate([[0.0], np.logspace(-3, 3, 40)])
    quad = spectrum.response(t)
    contour = spectrum.response(t, method="contour")
    assert contour.shape == t.shape
    rel = np.abs(contour - quad) / quad
    assert rel[t <= 100].max() <= 1e-12
    assert rel.max() <= 1e-10  # cancellation at large t: measured <= 3.3e-11


@settings(deadline=None, max_examples=25)
@given(a=st.floats(0.01, 20.0), b=st.floats(0.0, 5.0), t=st.floats(1e-3, 1e3))
def test_pole_plus_cut_property(a, b, t):
    """F = 1/(s + a) + b/sqrt(s): f = e^{-at} + b/sqrt(pi t), talbot and dehoog within estimate."""
    F = lambda s: 1.0 / (s + a) + b / np.sqrt(s)  # noqa: E731
    exact = np.exp(-a * t) + b / np.sqrt(np.pi * t)
    for method in ("talbot", "dehoog"):
        value, estimate = rd.invert_laplace(F, [t], method, error=True)
        assert abs(value[0] - exact) <= estimate[0]
        assert abs(value[0] - exact) <= 1e-10 * max(exact, 1e-3)
