"""Multi-pass minibatch SGD on the linear random-feature model: theory vs gradient flow, vs
closed forms, and vs seeded SGD simulations."""

import numpy as np
import pytest

from rmtdyn.learning.random_features import RandomFeatureFlow
from rmtdyn.learning.sgd import RandomFeatureMultiPassSGD, sgd_noise_factor
from rmtdyn.simulate.sgd import simulate_rf_multipass_sgd


@pytest.mark.parametrize("alpha,nu,noise", [(2.0, 0.8, 0.4), (1.5, 2.0, 0.3)])
def test_small_step_full_batch_is_gradient_flow(alpha, nu, noise):
    # B = P and eta -> 0: the discrete one-matrix sums (weighted spectral quadrature) must
    # reproduce the Laplace/Talbot gradient-flow curves at t = eta k (error O(eta))
    eta = 0.002
    model = RandomFeatureMultiPassSGD(alpha, nu, eta, batch=400, samples=400, noise=noise)
    steps = np.array([250, 1000, 4000])
    flow = RandomFeatureFlow(alpha, nu, noise)
    c = model.curves(steps)
    np.testing.assert_allclose(c.curves["train"], flow.train_loss(eta * steps), rtol=3e-3)
    np.testing.assert_allclose(c.curves["test"], flow.test_error(eta * steps), rtol=3e-3)


def test_full_batch_train_limit_is_the_null_space_mass():
    # L_inf of GD without noise = the atom of mu_S at 0 = the flow's t -> inf train loss
    model = RandomFeatureMultiPassSGD(2.0, 0.8, 0.3, batch=50, samples=50)
    late = model.curves(np.array([3000])).curves["train"][0]
    assert late == pytest.approx(RandomFeatureFlow(2.0, 0.8).limit()["train"], abs=2e-4)


def test_noise_factor_scaling():
    assert sgd_noise_factor(0.1, 400, 400) == 0.0
    base = sgd_noise_factor(0.1, 10, 400)
    assert base == pytest.approx(0.01 * 40 * 390 / 399, rel=1e-12)
    assert sgd_noise_factor(0.2, 10, 400) == pytest.approx(4 * base, rel=1e-12)
    m = RandomFeatureMultiPassSGD(2.0, 0.8, 0.05, batch=10, samples=400)
    assert m.sgd_noise() == pytest.approx(sgd_noise_factor(0.05, 10, 400) / 2.0, rel=1e-12)
    # more SGD noise -> higher train and test loss at the same step (same drift)
    steps = np.array([200, 800])
    lo = RandomFeatureMultiPassSGD(2.0, 0.8, 0.05, batch=100, samples=400).curves(steps)
    hi = RandomFeatureMultiPassSGD(2.0, 0.8, 0.05, batch=10, samples=400).curves(steps)
    assert np.all(hi.curves["test"] > lo.curves["test"])
    assert np.all(hi.curves["train"] > lo.curves["train"])


def _check(model, steps, seeds, rel, rng):
    th = model.curves(steps)
    sim = simulate_rf_multipass_sgd(model, steps, seeds=seeds, teachers=4, rng=rng)
    for key in ("train", "test"):
        dev = np.abs(th.curves[key] - sim.curves[key])
        tol = 4 * sim.stderr[key] + rel * sim.curves[key] + 2e-3
        assert np.all(dev <= tol), (key, dev / sim.curves[key], sim.stderr[key])


@pytest.mark.parametrize("alpha,nu,lr,batch,noise", [
    (2.0, 0.8, 0.3, 400, 0.3),   # gradient descent: only the GD-skeleton approximation
    (2.0, 0.8, 0.2, 100, 0.3),
    (2.0, 0.8, 0.06, 10, 0.3),
    (1.5, 2.0, 0.15, 40, 0.2),
])
def test_against_simulation(alpha, nu, lr, batch, noise):
    model = RandomFeatureMultiPassSGD(alpha, nu, lr, batch, samples=400, noise=noise)
    steps = np.unique(np.round(np.geomspace(1, 40 / lr, 7)).astype(int))
    _check(model, steps, seeds=6, rel=0.06, rng=7)


@pytest.mark.slow
@pytest.mark.parametrize("alpha,nu,lr,batch,noise", [
    (2.0, 0.8, 0.004, 1, 0.0), (1.5, 2.0, 0.02, 4, 0.0), (2.0, 0.8, 0.25, 800, 0.5),
    (2.0, 0.8, 0.15, 200, 0.3), (0.8, 1.5, 0.1, 100, 0.2),
])
def test_against_simulation_large(alpha, nu, lr, batch, noise):
    samples = 400 if batch < 10 else 800
    model = RandomFeatureMultiPassSGD(alpha, nu, lr, batch, samples=samples, noise=noise)
    steps = np.unique(np.round(np.geomspace(1, min(4000, 40 / lr), 7)).astype(int))
    _check(model, steps, seeds=10, rel=0.06, rng=13)


def test_bad_inputs():
    with pytest.raises(ValueError, match="batch must be <= samples"):
        RandomFeatureMultiPassSGD(2.0, 0.8, 0.1, batch=500, samples=400)
    with pytest.raises(ValueError, match="eta \\* lambda_\\+"):
        RandomFeatureMultiPassSGD(2.0, 0.8, 0.5, batch=400, samples=400)
    with pytest.raises(ValueError, match="SGD-noise feedback"):
        RandomFeatureMultiPassSGD(2.0, 0.8, 0.1, batch=1, samples=400)
    with pytest.raises(ValueError, match="alpha"):
        RandomFeatureMultiPassSGD(0.0, 0.8, 0.1, batch=1, samples=400)
    with pytest.raises(ValueError, match="batch must be <= samples"):
        sgd_noise_factor(0.1, 5, 4)
    with pytest.raises(TypeError):
        simulate_rf_multipass_sgd(RandomFeatureFlow(1.0, 1.0), np.array([1]))
