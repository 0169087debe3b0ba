"""LinearRegressionFlow theory: closed forms, high-precision quadrature, limits, early stopping.

The finite-N simulation checks are in test_linear_regression_simulation.py.
"""

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ive

import rmtdyn as rd
from rmtdyn.learning.linear_regression import LinearRegressionFlow


def mp_density_integral(ratio, f, dps=20, t=1e3):
    """int rho_MP(l) f(l) dl over the bulk by mpmath tanh-sinh (independent of rmtdyn's rule).

    The bulk is split at lo + (hi - lo) 2^-k (k = 1..K, 2^K ~ 1e5 t) so that integrands
    concentrated at the lower edge (e^{-2 l t} at time t) are resolved.
    """
    levels = int(np.ceil(np.log2(1e5 * max(t, 1.0))))
    with mp.workdps(dps):
        g = mp.mpf(ratio)
        lo, hi = (1 - mp.sqrt(g)) ** 2, (1 + mp.sqrt(g)) ** 2

        def integrand(x):
            return mp.sqrt((hi - x) * (x - lo)) / (2 * mp.pi * g * x) * f(x)

        cuts = [lo + (hi - lo) * mp.mpf(2) ** (-k) for k in range(levels, 0, -1)]
        return mp.quad(integrand, [lo] + cuts + [hi])


def mp_test_error(ratio, noise, ridge, v0, t):
    """The per-mode formula integrated in mpmath, atom at 0 added by hand."""
    s2 = mp.mpf(noise) ** 2

    def per_mode(lam):
        k = lam + ridge
        bias = (ridge + lam * mp.exp(-k * t)) / k if k != 0 else mp.mpf(1)
        phi = (1 - mp.exp(-k * t)) / k if k != 0 else mp.mpf(t)
        return v0 * mp.exp(-2 * k * t) + bias**2 + s2 * ratio * lam * phi**2

    total = mp_density_integral(ratio, per_mode, t=t)
    if ratio > 1:
        total += (1 - mp.mpf(1) / ratio) * per_mode(mp.mpf(0))
    return float(total)


def mp_train_loss(ratio, noise, ridge, v0, t):
    s2 = mp.mpf(noise) ** 2

    def per_mode(lam):
        k = lam + ridge
        bias = (ridge + lam * mp.exp(-k * t)) / k
        return lam * (v0 * mp.exp(-2 * k * t) + bias**2) + s2 * ratio * bias**2

    return float(mp_density_integral(ratio, per_mode, t=t) + s2 * max(1 - ratio, 0))


# --------------------------------------------------------------- closed forms
@pytest.mark.parametrize("ratio", [0.25, 1.0, 3.0])
def test_noiseless_test_error_is_response_at_2t(ratio):
    # sigma = 0, ridge = 0, w(0) = 0: test error = R_MP(2t) (atom 1 - 1/gamma included).
    t = np.geomspace(1e-3, 1e3, 40 if ratio == 1.0 else 5)
    flow = LinearRegressionFlow(ratio)
    if ratio == 1.0:  # closed form R(t) = e^{-2t}[I0(2t) + I1(2t)]
        expected = ive(0, 4 * t) + ive(1, 4 * t)
    else:
        expected = np.array([mp_test_error(ratio, 0.0, 0.0, 0.0, tk) for tk in t])
    np.testing.assert_allclose(flow.test_error(t), expected, rtol=1e-9)
    if ratio > 1:  # the null space is never learned
        assert flow.test_error(1e4) == pytest.approx(1 - 1 / ratio, rel=1e-9)


def test_ratio_one_train_loss_closed_form():
    # gamma = 1, sigma = 0: train = int rho l e^{-2lt} = -(1/2) d/dt [R(2t)] with
    # R(2t) = ive(0, 4t) + ive(1, 4t); differentiate the Bessel functions exactly.
    t = np.geomspace(1e-2, 1e2, 25)
    x = 4 * t  # R(2t) = ive(0, x) + ive(1, x)
    # d/dx ive(n, x) = (I_{n-1} + I_{n+1})/2 e^{-x} - ive(n, x)
    d_ive0 = ive(1, x) - ive(0, x)
    d_ive1 = 0.5 * (ive(0, x) + ive(2, x)) - ive(1, x)
    expected = -0.5 * 4 * (d_ive0 + d_ive1)
    np.testing.assert_allclose(LinearRegressionFlow(1.0).train_loss(t), expected, rtol=1e-8)


CASES = [(0.5, 0.5, 0.0, 0.0), (2.0, 0.5, 0.0, 0.3), (1.5, 0.4, 0.05, 0.5)]
MORE_CASES = [(0.5, 0.3, 0.1, 0.0), (1.0, 0.5, 0.0, 0.0), (4.0, 1.0, 1.0, 2.0)]


@pytest.mark.parametrize("ratio,noise,ridge,v0", CASES + [
    pytest.param(*c, marks=pytest.mark.slow) for c in MORE_CASES])
def test_curves_match_mpmath_quadrature(ratio, noise, ridge, v0):
    t = np.array([1e-3, 1.0, 60.0, 500.0])
    flow = LinearRegressionFlow(ratio, noise, ridge, v0)
    curves = flow.curves(t)
    test = [mp_test_error(ratio, noise, ridge, v0, tk) for tk in t]
    np.testing.assert_allclose(curves["test"], test, rtol=1e-9)
    np.testing.assert_allclose(flow.test_error(t), test, rtol=1e-9)
    train = [mp_train_loss(ratio, noise, ridge, v0, tk) for tk in t]
    np.testing.assert_allclose(curves["train"], train, rtol=1e-9)
    np.testing.assert_allclose(flow.train_loss(t), train, rtol=1e-9)


@given(ratio=st.floats(0.1, 5.0), noise=st.floats(0.0, 2.0), ridge=st.floats(0.0, 2.0),
       v0=st.floats(0.0, 3.0))
@settings(deadline=None, max_examples=25)
def test_initial_values(ratio, noise, ridge, v0):
    # w(0) independent of beta*: |w0 - beta*|^2/N = 1 + v0, and the train loss adds the
    # noise: E(x.(w0 - beta*))^2/N + sigma^2 = (1 + v0) + sigma^2 (for every ratio).
    flow = LinearRegressionFlow(ratio, noise, ridge, v0)
    assert flow.test_error(0.0) == pytest.approx(1.0 + v0, rel=1e-12)
    assert flow.train_loss(0.0) == pytest.approx(1.0 + v0 + noise**2, rel=1e-12)


def test_ridgeless_noiseless_curves_decrease():
    t = np.geomspace(1e-3, 1e3, 300)
    for ratio in (0.3, 1.0, 2.5):
        c = LinearRegressionFlow(ratio, init_variance=0.5).curves(t)
        # strictly decreasing until the curve reaches its limit in double precision
        moving = np.abs(c["test"][1:] - c["test"][-1]) > 1e-13
        assert np.all(np.diff(c["test"])[moving] < 0)
        assert np.all(np.diff(c["test"]) <= 0)
        assert np.all(np.diff(c["train"]) < 0)


def test_train_loss_is_nonincreasing_without_ridge_with_noise():
    # Gradient flow on the training loss itself (ridge 0) can only lower it.
    t = np.geomspace(1e-3, 1e3, 300)
    for ratio in (0.5, 2.0):
        train = LinearRegressionFlow(ratio, noise=0.7).train_loss(t)
        assert np.all(np.diff(train) <= 1e-15)


def test_train_loss_keeps_relative_accuracy_in_the_tail():
    # ratio > 1 interpolates: train -> 0 like e^{-2 l_- t} with l_- = (1 - sqrt(2))^2.
    t = np.array([50.0, 200.0, 1000.0])
    flow = LinearRegressionFlow(2.0, noise=0.5)
    np.testing.assert_allclose(flow.train_loss(t),
                               [mp_train_loss(2.0, 0.5, 0.0, 0.0, tk) for tk in t], rtol=1e-8)
    assert flow.train_loss(1000.0) < 1e-140


# --------------------------------------------------------------------- limits
@pytest.mark.parametrize("ratio,noise,v0", [(0.3, 0.5, 0.0), (0.7, 1.0, 2.0), (2.0, 0.5, 0.3),
                                            (5.0, 0.2, 0.0)])
def test_ridgeless_limits_are_least_squares_formulas(ratio, noise, v0):
    lim = LinearRegressionFlow(ratio, noise, 0.0, v0).limit()
    s2 = noise**2
    if ratio < 1:  # paper-notes 4.3: L = s2/(1 - g) includes + s2
        assert lim.test + s2 == pytest.approx(s2 / (1 - ratio), rel=1e-14)
        assert lim.train == pytest.approx(s2 * (1 - ratio), rel=1e-14)
    else:
        assert lim.test + s2 == pytest.approx((1 - 1 / ratio) * (1 + v0) + s2 * ratio / (ratio - 1),
                                              rel=1e-14)
        assert lim.train == 0.0
    flow = LinearRegressionFlow(ratio, noise, 0.0, v0)
    # The time formulas reach the limit (slowest rate l_- = (1 - sqrt g)^2).
    rate = (1 - np.sqrt(ratio)) ** 2
    t_far = 40.0 / rate
    assert flow.test_error(t_far) == pytest.approx(lim.test, rel=1e-9)
    assert flow.train_loss(t_far) == pytest.approx(lim.train, abs=1e-12)


def test_ratio_one_noisy_test_error_diverges():
    flow = LinearRegressionFlow(1.0, noise=0.5)
    assert flow.limit().test == np.inf
    # variance term ~ sigma^2 sqrt(t) growth: doubling t four times multiplies by ~4
    a, b = flow.test_error([1e4, 1.6e5])
    assert 3.5 < b / a < 4.1


@pytest.mark.parametrize("ratio,noise,ridge,v0", [(0.5, 0.5, 0.1, 0.0), (2.0, 0.3, 0.2, 0.5),
                                                  (1.0, 1.0, 0.01, 0.0), (3.0, 0.0, 1.0, 1.0)])
def test_ridge_limits_from_resolvent_match_quadrature_and_long_times(ratio, noise, ridge, v0):
    flow = LinearRegressionFlow(ratio, noise, ridge, v0)
    lim = flow.limit()
    s2 = noise**2
    # Independent: the t = inf per-mode values integrated in mpmath.
    test = mp_density_integral(ratio,
                               lambda lam: (ridge**2 + s2 * ratio * lam) / (lam + ridge) ** 2)
    train = mp_density_integral(ratio, lambda lam: (lam + s2 * ratio) * ridge**2
                                / (lam + ridge) ** 2) + s2 * max(1 - ratio, 0)
    if ratio > 1:
        test += 1 - 1 / ratio
    assert lim.test == pytest.approx(float(test), rel=1e-10)
    assert lim.train == pytest.approx(float(train), rel=1e-10)
    t_far = 60.0 / ((1 - np.sqrt(ratio)) ** 2 + ridge)
    assert flow.test_error(t_far) == pytest.approx(lim.test, rel=1e-9)
    assert flow.train_loss(t_far) == pytest.approx(lim.train, rel=1e-9)


def test_small_ridge_limit_approaches_least_squares():
    for ratio in (0.5, 2.0):
        lam0 = LinearRegressionFlow(ratio, 0.5).limit()
        lam = LinearRegressionFlow(ratio, 0.5, ridge=1e-7).limit()
        assert lam.test == pytest.approx(lam0.test, rel=1e-5)
        assert lam.train == pytest.approx(lam0.train, abs=1e-6)


# ------------------------------------------------------------- early stopping
@pytest.mark.parametrize("ratio,noise,ridge", [(0.5, 0.5, 0.0), (2.0, 0.5, 0.0), (0.9, 1.0, 0.01)])
def test_early_stopping_is_the_minimum_of_a_dense_scan(ratio, noise, ridge):
    flow = LinearRegressionFlow(ratio, noise, ridge)
    stop = flow.early_stopping()
    t = np.geomspace(1e-2, 1e3, 20001)
    values = flow.test_error(t)
    i = int(np.argmin(values))
    assert 0 < stop.time < np.inf
    assert stop.time == pytest.approx(t[i], rel=2e-3)
    assert stop.test_error <= values[i] + 1e-14
    assert stop.test_error == pytest.approx(values[i], rel=1e-7)
    assert stop.test_error < flow.limit().test


def test_early_stopping_without_noise_is_at_infinity():
    stop = LinearRegressionFlow(0.5).early_stopping()
    assert stop.time == np.inf and stop.test_error == pytest.approx(0.0, abs=1e-14)
    stop = LinearRegressionFlow(3.0, ridge=0.1).early_stopping()
    assert stop.time == np.inf


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(ratio=0.0), ValueError, "ratio"), (dict(ratio=-1.0), ValueError, "ratio"),
    (dict(ratio=0.5, noise=-0.1), ValueError, "noise"),
    (dict(ratio=0.5, ridge=-1.0), ValueError, "ridge"),
    (dict(ratio=0.5, init_variance=-1.0), ValueError, "init_variance"),
    (dict(ratio="a"), TypeError, "ratio"), (dict(ratio=np.nan), ValueError, "ratio"),
])
def test_bad_parameters_raise(kwargs, exc, word):
    with pytest.raises(exc, match=word):
        LinearRegressionFlow(**kwargs)


def test_bad_times_raise():
    flow = LinearRegressionFlow(0.5)
    with pytest.raises(ValueError, match="t must be >= 0"):
        flow.test_error([-1.0, 1.0])
    with pytest.raises(ValueError, match="one-dimensional"):
        flow.curves(np.ones((2, 2)))
    with pytest.raises(TypeError):
        flow.train_loss("soon")
    with pytest.raises(ValueError, match="finite"):
        flow.test_error(np.inf)


def test_public_name_and_shapes_follow_t():
    flow = rd.LinearRegressionFlow(0.5, 0.5)
    assert flow.test_error(np.ones((3, 2))).shape == (3, 2)
    assert np.ndim(flow.train_loss(1.0)) == 0
