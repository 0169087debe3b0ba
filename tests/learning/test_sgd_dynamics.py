"""Online and multi-pass SGD: closed forms and seeded SGD simulations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad

from rmtdyn.learning.sgd import MultiPassSGD, OnlineSGD, power_law_spectrum
from rmtdyn.simulate.sgd import simulate_multipass_sgd, simulate_online_sgd


def _close(theory, sim, key, rel):
    err = np.abs(theory - sim[key])
    tol = 4 * sim.error(key) + rel * np.abs(theory)
    assert np.all(err < tol), (key, theory, sim[key], sim.error(key))


# ----------------------------------------------------------------- online SGD
def test_online_large_batch_is_gradient_descent_closed_form():
    lam, target = power_law_spectrum(60, 1.3)
    model = OnlineSGD((lam, target), lr=0.7, batch=10**9)
    k = np.array([0, 1, 7, 50])
    expected = np.array([np.sum(lam * target * (1 - 0.7 * lam) ** (2 * j)) for j in k])
    np.testing.assert_allclose(model.excess(k), expected, rtol=1e-8)


def test_online_single_mode_closed_form_and_limit():
    # one mode: c_{k+1} = [(1 - e l)^2 + e^2 l^2 (1 + 1/B) ... ] exactly:
    # a = (1 - e l)^2 + 2 e^2 l^2/B, fixed point c* = e^2 l s^2/B/(1 - a)
    lam, eta, b, s = 0.8, 0.5, 3, 0.4
    model = OnlineSGD(np.array([lam]), lr=eta, batch=b, noise=s)
    a = (1 - eta * lam) ** 2 + 2 * eta**2 * lam**2 / b
    cstar = eta**2 * lam * s**2 / b / (1 - a)
    k = np.array([0, 3, 10])
    expected = lam * (cstar + (1 - cstar) * a**k) + s**2
    np.testing.assert_allclose(model.loss(k), expected, rtol=1e-12)
    assert abs(model.limit() - (lam * cstar + s**2)) < 1e-12
    assert abs(model.loss(np.array([4000]))[0] - model.limit()) < 1e-10


def test_online_stability_bound():
    lam, target = power_law_spectrum(200, 1.1)
    best = OnlineSGD((lam, target), lr=0.1, batch=2).max_stable_lr()
    OnlineSGD((lam, target), lr=0.98 * best, batch=2)
    with pytest.raises(ValueError, match="unstable"):
        OnlineSGD((lam, target), lr=1.02 * best, batch=2)
    with pytest.raises(ValueError, match="must be < 2"):
        OnlineSGD(np.array([1.0]), lr=1.9, batch=1)


@pytest.mark.parametrize("batch,lr", [(1, 0.3), (4, 0.8), (16, 1.2)])
def test_online_against_simulation(batch, lr):
    lam, target = power_law_spectrum(40, 1.5, target_exponent=0.5)
    model = OnlineSGD((lam, target), lr=lr, batch=batch, noise=0.2)
    steps = np.array([0, 2, 10, 40, 150])
    sim = simulate_online_sgd(model, steps, replicas=400, rng=batch)
    _close(model.loss(steps), sim, "test", 0.02)


# ----------------------------------------------------------------- multi-pass SGD
def _mp_integral(ratio, f):
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    dens = lambda x: np.sqrt((hi - x) * (x - lo)) / (2 * np.pi * ratio * x)  # noqa: E731
    val = quad(lambda x: dens(x) * f(x), lo, hi, limit=200)[0]
    return val + (max(0.0, 1 - 1 / ratio) * f(0.0))


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_full_batch_is_gradient_descent_closed_form(ratio):
    eta, s2 = 0.3, 0.25
    model = MultiPassSGD(ratio, lr=eta, batch=100, samples=100, noise=0.5)
    assert model.noise_factor == 0.0
    k = np.array([3, 40])
    c = model.curves(k)
    for i, n in enumerate(k):
        test = _mp_integral(ratio, lambda x, n=n: (1 - eta * x) ** (2 * n)) + s2 * ratio * \
            _mp_integral(ratio, lambda x, n=n: x * (eta * n if x == 0 else
                                                     (1 - (1 - eta * x) ** n) / x) ** 2)
        assert abs(c["test"][i] - test) < 1e-7


def test_multipass_bad_input():
    with pytest.raises(ValueError, match="batch must be <= samples"):
        MultiPassSGD(0.5, lr=0.1, batch=300, samples=200)
    with pytest.raises(ValueError, match="unstable"):
        MultiPassSGD(0.5, lr=0.5, batch=20, samples=400)
    with pytest.raises(ValueError, match="must be < 2"):
        MultiPassSGD(1.0, lr=0.6, batch=400, samples=400)


def test_sgd_noise_grows_as_batch_shrinks():
    steps = np.array([300])
    tests = [MultiPassSGD(0.5, lr=0.02, batch=b, samples=400, noise=0.3).test_error(steps)[0]
             for b in (400, 40, 10, 4)]
    assert np.all(np.diff(tests) > 0)


@pytest.mark.parametrize("ratio,batch,lr", [(0.5, 40, 0.2), (0.5, 4, 0.02), (2.0, 20, 0.03)])
def test_multipass_against_simulation(ratio, batch, lr):
    model = MultiPassSGD(ratio, lr=lr, batch=batch, samples=200, noise=0.3)
    steps = np.array([0, 20, 100, 400])
    sim = simulate_multipass_sgd(model, steps, seeds=6, rng=batch)
    theory = model.curves(steps)
    # mean-field (self-averaging per-sample losses) DMFT: leading order in 1/P
    _close(theory["train"], sim, "train", 0.04)
    _close(theory["test"], sim, "test", 0.04)


@pytest.mark.slow
@pytest.mark.parametrize("ratio,batch,lr", [(0.5, 40, 0.2), (0.5, 10, 0.05), (0.5, 4, 0.02),
                                            (2.0, 20, 0.03), (2.0, 100, 0.15)])
def test_multipass_against_simulation_large(ratio, batch, lr):
    model = MultiPassSGD(ratio, lr=lr, batch=batch, samples=500, noise=0.3)
    steps = np.array([0, 20, 100, 300, 1000])
    sim = simulate_multipass_sgd(model, steps, seeds=10, rng=batch)
    theory = model.curves(steps)
    _close(theory["train"], sim, "train", 0.02)
    _close(theory["test"], sim, "test", 0.02)


@pytest.mark.slow
@pytest.mark.parametrize("batch,fraction", [(1, 0.5), (2, 0.9), (8, 0.7), (32, 0.9)])
def test_online_against_simulation_large(batch, fraction):
    # learning rates up to 90 % of the exact stability bound, where the SGD noise dominates
    lam, target = power_law_spectrum(100, 1.2)
    lr = fraction * OnlineSGD((lam, target), lr=1e-3, batch=batch).max_stable_lr()
    model = OnlineSGD((lam, target), lr=lr, batch=batch, noise=0.1)
    steps = np.array([0, 5, 30, 100, 400])
    sim = simulate_online_sgd(model, steps, replicas=1000, rng=batch)
    _close(model.loss(steps), sim, "test", 0.01)
