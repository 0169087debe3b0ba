"""Wigner / semicircle: closed form vs mpmath quadrature, vs seeded finite-N samples, properties."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ive

import rmtdyn as rd


def semicircle_quad(z, variance, dps=30):
    """Independent g(z) = int rho(l)/(z - l) dl by mpmath quadrature (z off the support)."""
    with mpmath.workdps(dps):
        s2 = mpmath.mpf(variance)
        e = 2 * mpmath.sqrt(s2)
        rho = lambda l: mpmath.sqrt(e * e - l * l) / (2 * mpmath.pi * s2)  # noqa: E731
        zm = mpmath.mpc(z)
        cuts = sorted({-e, e, mpmath.mpf(0)} | ({mpmath.mpf(z.real)} if abs(z.real) < e else set()))
        return complex(mpmath.quad(lambda l: rho(l) / (zm - l), cuts))


def sample_stieltjes(spec, n, z, seeds):
    """Mean and standard error over replicas of (1/n) tr (z - A)^{-1}."""
    vals = []
    for s in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(s)))
        vals.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
    vals = np.array(vals)
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / math.sqrt(len(seeds)), vals


@pytest.mark.parametrize("variance", [0.3, 1.0, 4.0])
def test_stieltjes_matches_quadrature(variance):
    z = np.array([0.3 + 0.2j, -1.5 + 0.01j, 3.0 + 2.0j, 5.0, -7.0, 0.1j]) * math.sqrt(variance)
    g = rd.Wigner(variance).stieltjes(z)
    for zi, gi in zip(z, g, strict=True):
        assert abs(gi - semicircle_quad(zi, variance)) <= 1e-13 * max(1, abs(gi))


def test_real_axis_is_limit_from_above_and_density_matches():
    w = rd.Wigner(2.0)
    x = np.linspace(-3.2, 3.2, 41)
    g0 = w.stieltjes(x)
    g_eps = w.stieltjes(x + 1e-9j)
    assert np.max(np.abs(g0 - g_eps)) < 1e-4  # sqrt(1e-9) near the edges
    rho = np.sqrt(np.maximum(8.0 - x**2, 0)) / (2 * math.pi * 2.0)
    assert np.allclose(w.density(x), rho, atol=1e-15)
    assert np.allclose(-g0.imag / math.pi, rho, atol=1e-14)
    # exactly on the soft edges: g(+-2 sigma) = +-1/sigma, finite
    edges = w.stieltjes(np.array([-2 * math.sqrt(2), 2 * math.sqrt(2)]))
    assert np.allclose(edges, [-1 / math.sqrt(2), 1 / math.sqrt(2)], rtol=1e-15)


def test_against_seeded_samples():
    w = rd.Wigner(1.5)
    z = np.array([0.5 + 0.3j, -2.0 + 0.5j, 1.0 + 1.0j, 3.0 + 0.1j])
    mean, se, _ = sample_stieltjes(w, 400, z, range(6))
    tol = 5 * se + 3.0 / 400  # standard error plus an O(1/N) finite-size allowance
    assert np.all(np.abs(mean - w.stieltjes(z)) <= tol)
    # the allowance is not vacuous: a wrong variance is rejected
    assert np.any(np.abs(mean - rd.Wigner(1.6).stieltjes(z)) > tol)


def test_moments_catalan_vs_quadrature_and_samples():
    w = rd.Wigner(0.7)
    e = 2 * math.sqrt(0.7)
    for k in range(7):
        quad = mpmath.quad(lambda l, k=k: l**k * mpmath.sqrt(e * e - l * l) / (2 * mpmath.pi * 0.7),
                           [-e, e])
        assert abs(w.moment(k) - float(quad)) < 1e-13
    mom = np.array([[np.mean(np.linalg.eigvalsh(w.sample(300, s)) ** k) for k in (2, 4)]
                    for s in range(5)])
    se = mom.std(axis=0, ddof=1) / math.sqrt(5)
    assert np.all(np.abs(mom.mean(axis=0) - [w.moment(2), w.moment(4)]) <= 5 * se + 3.0 / 300)


def test_response_is_bessel():
    """R(t) = I_1(2 sigma t)/(sigma t) for the semicircle (paper-notes 3.1)."""
    w = rd.Wigner(1.0)
    t = np.array([0.1, 1.0, 10.0, 100.0])
    exact = ive(1, 2 * t) * np.exp(2 * t) / t
    assert np.allclose(w.response(t), exact, rtol=1e-12)


def test_mpmath_path_matches_quadrature_to_25_digits():
    w = rd.Wigner(1.0)
    z = np.array([0.4 + 0.3j, -0.2 - 1.0j])
    g = w.stieltjes(z, dps=40)
    with mpmath.workdps(40):
        for zi, gi in zip(z, g, strict=True):
            e = mpmath.mpf(2)
            zm = mpmath.mpc(zi)
            ref = mpmath.quad(lambda l, zm=zm: mpmath.sqrt(4 - l * l) / (2 * mpmath.pi) / (zm - l),
                              [-e, 0, e])
            assert abs(gi - ref) < mpmath.mpf(10) ** -25


@settings(deadline=None, max_examples=300)
@given(variance=st.floats(1e-6, 1e6),
       re=st.floats(-1e3, 1e3), im=st.floats(-1e3, 1e3),
       where=st.sampled_from(["free", "edge", "far", "zero"]))
def test_properties_everywhere(variance, re, im, where):
    w = rd.Wigner(variance)
    e = 2 * math.sqrt(variance)
    z = {"free": complex(re, im), "edge": complex(math.copysign(e, re), 0.0),
         "far": complex(re, im) * 1e300 if (re or im) else 1e300, "zero": 0j}[where]
    g = w.stieltjes(np.array([z]))[0]
    assert np.isfinite(g)
    # sign of Im g (strict where Im g is representable, i.e. not underflowing at |z| ~ 1e300)
    strict = where == "free" and abs(z.imag) > 1e-100
    if z.imag > 0:
        assert g.imag < 0 if strict else g.imag <= 0
    if z.imag < 0:
        assert g.imag > 0 if strict else g.imag >= 0
    if abs(z) > 1e8 * (1 + e):  # g ~ 1/z
        assert abs(g * z - 1) < 1e-6
    terms = abs(variance * g * g) + abs(z * g) + 1
    assert abs(variance * g * g - z * g + 1) <= 1e-12 * terms  # polynomial residual


@settings(deadline=None, max_examples=40)
@given(variance=st.floats(1e-3, 1e3))
def test_density_nonnegative_and_normalised(variance):
    w = rd.Wigner(variance)
    x = np.linspace(-3, 3, 601) * math.sqrt(variance)
    assert np.all(w.density(x) >= 0)
    e = 2 * math.sqrt(variance)
    total = mpmath.quad(lambda l: float(w.density(np.array([float(l)]))[0]), [-e, 0, e])
    assert abs(float(total) - 1) < 1e-7


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="variance"):
        rd.Wigner(0.0)
    with pytest.raises(ValueError, match="variance"):
        rd.Wigner(-1.0)
    with pytest.raises(TypeError, match="variance"):
        rd.Wigner("one")
    with pytest.raises(TypeError, match="z"):
        rd.Wigner().stieltjes("abc")
    with pytest.raises(ValueError, match="z"):
        rd.Wigner().stieltjes(np.nan)
