"""invert_laplace on known transform pairs: accuracy per method, and honest error estimates.

Every row of ``CLAIMS`` is a (pair, method, options, t-grid) where the method claims
the pair's class; the relative error must be <= 1e-10 on the grid, and the error
estimate must bracket the true error (estimate >= error). For sign-changing f
(sin t, -gamma - log t) the error is measured relative to the envelope
(1 for sin, 1 + |log t| for the logarithm).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sc

import rmtdyn as rd
from rmtdyn.laplace import LaplaceAccuracyWarning, choose_method

T_FULL = np.logspace(-3, 3, 49)
T_WIGNER = np.logspace(-3, np.log10(300.0), 40)  # I1(2t)/t overflows double beyond t ~ 354
A = 0.5

_wigner = rd.Wigner()


def _wigner_transform(s):
    return -_wigner.stieltjes(-s)  # = (s - sqrt(s-2) sqrt(s+2))/2 without cancellation


def _shifted_transform(s):
    # semicircle on [0, 4]: ((s + 2) - sqrt(s) sqrt(s + 4))/2, written without cancellation
    # (rd.Wigner() + 2 forms -s - 2 + 2 and so loses the relative accuracy of small s)
    return 2.0 / ((s + 2.0) + np.sqrt(s) * np.sqrt(s + 4.0))


PAIRS = {
    "exp": (lambda s: 1.0 / (s + A), lambda t: np.exp(-A * t), lambda t: np.exp(-A * t)),
    "rsqrt": (lambda s: 1.0 / np.sqrt(s), lambda t: 1.0 / np.sqrt(np.pi * t),
              lambda t: 1.0 / np.sqrt(np.pi * t)),
    "sin": (lambda s: 1.0 / (s * s + 1.0), np.sin, lambda t: np.ones_like(t)),
    "expsqrt": (lambda s: np.exp(-np.sqrt(s)),
                lambda t: np.exp(-1.0 / (4.0 * t)) / (2.0 * np.sqrt(np.pi) * t**1.5),
                lambda t: np.exp(-1.0 / (4.0 * t)) / (2.0 * np.sqrt(np.pi) * t**1.5)),
    "log": (lambda s: np.log(s) / s, lambda t: -np.euler_gamma - np.log(t),
            lambda t: 1.0 + np.abs(np.log(t))),
    "step": (lambda s: 1.0 / (s * (s + 1.0)), lambda t: -np.expm1(-t), lambda t: -np.expm1(-t)),
    "semicircle": (_wigner_transform, lambda t: sc.iv(1, 2 * t) / t, lambda t: sc.iv(1, 2 * t) / t),
    "semicircle+2": (_shifted_transform, lambda t: sc.ive(1, 2 * t) / t,
                     lambda t: sc.ive(1, 2 * t) / t),
}

T_EXPSQRT = np.logspace(np.log10(0.02), 3, 40)  # below t ~ 0.016 f < e^-15 F: see docs
T_SIN_DEHOOG = np.linspace(0.001, 15.0, 40)  # de Hoog's reach: t |Im p| <= 0.75 M

CLAIMS = [
    ("exp", "talbot", {"shift": -A}, T_FULL),
    ("exp", "dehoog", {"shift": -A}, T_FULL),
    ("exp", "auto", {"shift": -A}, T_FULL),
    ("exp", "contour", {"support": (A, A)}, T_FULL),
    ("exp", "hyperbola", {"shift": -A}, T_FULL),
    ("rsqrt", "hyperbola", {}, T_FULL),
    ("expsqrt", "hyperbola", {}, T_EXPSQRT),
    ("log", "hyperbola", {}, T_FULL),
    ("step", "hyperbola", {}, T_FULL),
    ("semicircle", "hyperbola", {"shift": 2.0}, T_WIGNER),
    ("semicircle+2", "hyperbola", {}, T_FULL),
    ("rsqrt", "talbot", {}, T_FULL),
    ("rsqrt", "dehoog", {}, T_FULL),
    ("rsqrt", "auto", {}, T_FULL),
    ("sin", "auto", {}, T_FULL),
    ("sin", "dehoog", {}, T_SIN_DEHOOG),
    ("expsqrt", "talbot", {}, T_EXPSQRT),
    ("expsqrt", "auto", {}, T_EXPSQRT),
    ("expsqrt", "dehoog", {}, T_EXPSQRT[T_EXPSQRT >= 0.05]),  # periodic image of steep f
    ("log", "talbot", {}, T_FULL),
    ("log", "dehoog", {}, T_FULL),
    ("log", "auto", {}, T_FULL),
    ("step", "talbot", {}, T_FULL),
    ("step", "dehoog", {}, T_FULL),
    ("step", "auto", {}, T_FULL),
    ("semicircle", "talbot", {"shift": 2.0}, T_WIGNER),
    ("semicircle", "contour", {"support": (-2.0, 2.0)}, T_WIGNER),
    ("semicircle", "auto", {"support": (-2.0, 2.0)}, T_WIGNER),
    ("semicircle+2", "talbot", {}, T_FULL),
    ("semicircle+2", "contour", {"support": (0.0, 4.0)}, T_FULL),
]


@pytest.mark.parametrize(("pair", "method", "options", "t"), CLAIMS,
                         ids=[f"{p}-{m}" for p, m, _, _ in CLAIMS])
def test_relative_error_and_estimate(pair, method, options, t):
    F, exact, envelope = PAIRS[pair]
    with warnings.catch_warnings():
        warnings.simplefilter("error", LaplaceAccuracyWarning)  # a claimed class never warns
        value, estimate = rd.invert_laplace(F, t, method, error=True, **options)
    err = np.abs(value - exact(t))
    relative = err / envelope(t)
    assert relative.max() <= 1e-10, (pair, method, t[relative.argmax()], relative.max())
    assert np.all(estimate >= err), (pair, method, t[np.argmax(err - estimate)])
    # informative, not merely safe: the estimate itself stays below 1e-7 relative
    assert np.max(estimate / envelope(t)) <= 1e-7


def test_dehoog_semicircle_growing():
    """de Hoog with shift = 2 on the unshifted semicircle: measured 1.6e-10 at t ~ 130."""
    t = T_WIGNER
    value, estimate = rd.invert_laplace(_wigner_transform, t, "dehoog", error=True, shift=2.0)
    exact = sc.iv(1, 2 * t) / t
    err = np.abs(value - exact)
    assert np.max(err / exact) <= 5e-10
    assert np.all(estimate >= err)


def test_talbot_outside_class_warns_and_estimate_is_honest():
    """sin t: the Talbot contour misses the poles +-i at large t; it must say so."""
    F, exact, _ = PAIRS["sin"]
    with pytest.warns(LaplaceAccuracyWarning, match="talbot"):
        value, estimate = rd.invert_laplace(F, T_FULL, "talbot", error=True)
    err = np.abs(value - exact(T_FULL))
    assert err.max() > 0.1  # it really is wrong at large t ...
    assert np.all(estimate >= err)  # ... and the estimate says so


def test_dehoog_beyond_reach_warns_and_estimate_is_honest():
    F, exact, _ = PAIRS["sin"]
    with pytest.warns(LaplaceAccuracyWarning, match="dehoog"):
        value, estimate = rd.invert_laplace(F, T_FULL, "dehoog", error=True)
    err = np.abs(value - exact(T_FULL))
    assert err.max() > 0.1
    assert np.all(estimate >= err)


def test_exponential_tail_without_shift_is_absolute_only_and_says_so():
    """1/(s + a) with shift = 0: absolute accuracy ~1e-13, relative lost where e^{-at} is tiny."""
    F, exact, _ = PAIRS["exp"]
    for method in ("talbot", "dehoog"):
        value, estimate = rd.invert_laplace(F, T_FULL, method, error=True)
        err = np.abs(value - exact(T_FULL))
        assert err.max() <= 1e-11
        assert np.all(estimate >= err)
        # at t = 1e3, f = e^{-500}: the estimate must admit that nothing relative is left
        assert estimate[-1] > exact(T_FULL[-1])


def test_exp_sqrt_small_t_estimate_is_honest():
    """exp(-sqrt s) for t < 0.016: f underflows relative to F; estimates must be large."""
    F, exact, _ = PAIRS["expsqrt"]
    t = np.array([1e-3, 3e-3, 1e-2])
    for method in ("talbot", "dehoog"):
        value, estimate = rd.invert_laplace(F, t, method, error=True)
        assert np.all(estimate >= np.abs(value - exact(t)))


def test_oscillatory_beyond_poles_j0():
    """J0(t) <-> 1/sqrt(s^2 + 1): branch points at +-i, so auto picks dehoog."""
    F = lambda s: 1.0 / (np.sqrt(s + 1j) * np.sqrt(s - 1j))  # noqa: E731
    t = np.linspace(0.01, 4.5, 30)
    assert choose_method(F, t)[0] == "dehoog"
    value, estimate = rd.invert_laplace(F, t, error=True)
    err = np.abs(value - sc.j0(t))
    assert err.max() <= 1e-10
    assert np.all(estimate >= err)
    t_far = np.array([10.0, 40.0])
    with pytest.warns(LaplaceAccuracyWarning):
        value, estimate = rd.invert_laplace(F, t_far, error=True)
    assert np.all(estimate >= np.abs(value - sc.j0(t_far)))


def test_damped_oscillation_and_right_half_plane_pole_by_auto():
    """Poles found by the probe are subtracted exactly: e^{-t/10} cos 2t + e^{t/2}."""
    F = lambda s: (s + 0.1) / ((s + 0.1) ** 2 + 4.0) + 1.0 / (s - 0.5)  # noqa: E731
    t = np.logspace(-3, np.log10(200.0), 30)
    exact = np.exp(-0.1 * t) * np.cos(2 * t) + np.exp(0.5 * t)
    value, estimate = rd.invert_laplace(F, t, error=True)
    err = np.abs(value - exact)
    envelope = np.exp(-0.1 * t) + np.exp(0.5 * t)
    assert np.max(err / envelope) <= 1e-10
    assert np.all(estimate >= err)


def test_marchenko_pastur_all_methods():
    """-g(-s) of Marchenko-Pastur against response(t) by quadrature over the density."""
    for ratio in (0.5, 2.0):
        mp = rd.MarchenkoPastur(ratio)
        (low, high), = mp.support()
        F = lambda s, mp=mp: -mp.stieltjes(-s)  # noqa: E731
        exact = mp.response(T_FULL)
        spectrum_low = 0.0 if ratio > 1 else low
        runs = {
            "contour": {"support": (spectrum_low, high)},
            "talbot": {"shift": -spectrum_low},
            "hyperbola": {"shift": -spectrum_low},
            "dehoog": {"shift": -spectrum_low},
        }
        for method, options in runs.items():
            value, estimate = rd.invert_laplace(F, T_FULL, method, error=True, **options)
            err = np.abs(value - exact)
            assert np.max(err / exact) <= 1e-10, (ratio, method, np.max(err / exact))
            assert np.all(estimate >= err - 1e-15 * exact), (ratio, method)


def test_marchenko_pastur_ratio_one_closed_form():
    """ratio 1: R(t) = e^{-2t}(I0(2t) + I1(2t)), an independent closed form."""
    mp = rd.MarchenkoPastur(1.0)
    exact = sc.ive(0, 2 * T_FULL) + sc.ive(1, 2 * T_FULL)
    F = lambda s: -mp.stieltjes(-s)  # noqa: E731
    for method, options in (("contour", {"support": (0.0, 4.0)}), ("talbot", {}), ("auto", {})):
        value = rd.invert_laplace(F, T_FULL, method, **options)
        assert np.max(np.abs(value - exact) / exact) <= 1e-10, method
    assert np.max(np.abs(mp.response(T_FULL) - exact) / exact) <= 1e-12


def test_zero_time():
    """f(0): the loop integral (contour) gives the mass; the others use lim s F(s)."""
    mp = rd.MarchenkoPastur(2.0)
    F = lambda s: -mp.stieltjes(-s)  # noqa: E731
    value = rd.invert_laplace(F, [0.0, 1.0], "contour", support=(0.0, mp.support()[0][1]))
    assert abs(value[0] - 1.0) <= 1e-13
    value, estimate = rd.invert_laplace(lambda s: 1.0 / (s + 1.0), [0.0, 0.0], error=True)
    assert np.all(np.abs(value - 1.0) <= estimate) and np.all(estimate < 1e-5)


def test_shape_is_kept():
    t = np.array([[0.5, 1.0, 2.0], [3.0, 4.0, 5.0]])
    for method, options in (("talbot", {"shift": -1.0}), ("dehoog", {"shift": -1.0}),
                            ("hyperbola", {"shift": -1.0}),
                            ("contour", {"support": (1.0, 1.0)}), ("auto", {"shift": -1.0})):
        value = rd.invert_laplace(lambda s: 1.0 / (s + 1.0), t, method, **options)
        assert value.shape == t.shape
        np.testing.assert_allclose(value, np.exp(-t), rtol=1e-11)
    scalar = rd.invert_laplace(lambda s: 1.0 / (s + 1.0), 2.0, shift=-1.0)
    assert np.ndim(scalar) == 0 and abs(scalar - np.exp(-2.0)) < 1e-12


def test_choose_method_rule():
    t = np.logspace(-2, 2, 5)
    assert choose_method(lambda s: 1 / np.sqrt(s), t)[0] == "talbot"
    assert choose_method(lambda s: 1 / (s + 1), t, support=(1, 1))[0] == "contour"
    assert choose_method(lambda s: 1 / np.sqrt(s), t, oscillatory=True)[0] == "dehoog"
    name, options = choose_method(lambda s: 1 / (s * s + 1), t)
    assert name == "talbot" and options["poles"] is True


def test_forgotten_shift_is_raised_with_a_warning():
    """Unshifted semicircle with the default shift 0: the cut (0, 2] lies right of it.

    auto and dehoog find it, raise the shift to a bound just above 2 (warning) and stay
    accurate and honest; fixed Talbot warns.
    """
    t = np.array([0.1, 1.0, 10.0, 100.0])
    exact = sc.iv(1, 2 * t) / t
    for method in ("auto", "dehoog"):
        with pytest.warns(LaplaceAccuracyWarning, match="right of shift"):
            value, estimate = rd.invert_laplace(_wigner_transform, t, method, error=True)
        err = np.abs(value - exact)
        assert np.all(estimate >= err)
        assert np.max(err[:3] / exact[:3]) <= 1e-10
    with pytest.warns(LaplaceAccuracyWarning, match="talbot"):
        rd.invert_laplace(_wigner_transform, t, "talbot")
