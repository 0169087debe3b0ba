"""Nonlinear random-feature gradient flow (Gaussian equivalence) vs the linear theory and vs
simulations with the real activation."""

import numpy as np
import pytest

from rmtdyn.learning.random_features import RandomFeatureFlow
from rmtdyn.simulate.random_features import simulate_rf_nonlinear

T = np.array([0.1, 0.5, 2.0, 10.0, 50.0])


def _close_to_sim(theory, sim, rel=0.01, floor=2e-3, nse=4.0):
    for key in ("train", "test"):
        dev = np.abs(theory.curves[key] - sim.curves[key])
        tol = nse * sim.stderr[key] + rel * np.abs(sim.curves[key]) + floor
        assert np.all(dev <= tol), (key, dev, tol)


@pytest.mark.parametrize("alpha,nu,noise,ridge", [(2.0, 0.8, 0.5, 0.0), (1.5, 2.0, 0.3, 0.1),
                                                 (0.7, 1.6, 0.0, 0.0)])
def test_vanishing_nonlinearity_matches_product_wishart(alpha, nu, noise, ridge):
    # f(z) = z + e (z^2 - 1): mu1 = 1, mu_*^2 = 2 e^2 = 2e-8 > the linear cut-off, so the
    # Gaussian-equivalent formulas are used and must approach the product-Wishart ones
    t = np.geomspace(0.05, 50, 9)
    nl = RandomFeatureFlow(alpha, nu, noise, ridge, activation=lambda z: z + 1e-4 * (z * z - 1))
    assert nl._ge is not None and nl.mu_star2 == pytest.approx(2e-8, rel=1e-6)
    lin = RandomFeatureFlow(alpha, nu, noise, ridge)
    np.testing.assert_allclose(nl.test_error(t), lin.test_error(t), atol=2e-6)
    np.testing.assert_allclose(nl.train_loss(t), lin.train_loss(t), atol=2e-6)


def test_linear_names_and_scaled_linear():
    t = np.geomspace(0.05, 50, 7)
    base = RandomFeatureFlow(2.0, 0.8, 0.4, 0.2)
    same = RandomFeatureFlow(2.0, 0.8, 0.4, 0.2, activation="linear")
    np.testing.assert_array_equal(base.test_error(t), same.test_error(t))
    # f = 2z: Hessian x4 and v = w* - 2 A^T w/sqrt(N): the linear flow at time 4t, ridge/4
    scaled = RandomFeatureFlow(2.0, 0.8, 0.4, 0.2, activation=lambda z: 2 * z)
    ref = RandomFeatureFlow(2.0, 0.8, 0.4, 0.05)
    np.testing.assert_allclose(scaled.test_error(t), ref.test_error(4 * t), rtol=1e-8)
    np.testing.assert_allclose(scaled.train_loss(t), ref.train_loss(4 * t), rtol=1e-8)


@pytest.mark.parametrize("nu", [0.6, 1.7])
def test_approximation_error_against_finite_matrix(nu):
    # A0 = 1 - tr(mu1^2 S Sigma^{-1})/D with Sigma = mu1^2 S + mu_*^2, S = A A^T/D
    model = RandomFeatureFlow(3.0, nu, activation="relu")
    d = 700
    n = round(nu * d)
    gen = np.random.default_rng(5)
    a = gen.standard_normal((n, d))
    s = np.linalg.eigvalsh(a @ a.T / d)
    mu2 = model.mu1**2
    finite = 1 - np.sum(mu2 * s / (mu2 * s + model.mu_star2)) / d
    assert model.approximation_error() == pytest.approx(finite, abs=5e-3)
    assert model.test_error(np.array([1e4]))[0] > model.approximation_error()


def test_relu_coefficients_and_initial_values():
    model = RandomFeatureFlow(2.0, 0.8, noise=0.5, activation="relu")
    assert model.mu1 == pytest.approx(0.5, abs=1e-12)
    assert model.mu_star2 == pytest.approx(0.5 - 1 / (2 * np.pi) - 0.25, abs=1e-12)
    assert model.mu0 == pytest.approx(1 / np.sqrt(2 * np.pi), abs=1e-12)
    t = np.array([0.0, 1e-4])
    np.testing.assert_allclose(model.test_error(t), [1.0, 1.0], atol=1e-3)
    np.testing.assert_allclose(model.train_loss(t), [1.25, 1.25], atol=1e-3)


@pytest.mark.parametrize("activation,alpha,nu,noise,ridge,d", [
    ("relu", 2.0, 0.8, 0.3, 0.0, 300),
    ("tanh", 1.5, 2.0, 0.0, 0.05, 200),
])
def test_against_real_activation_simulation(activation, alpha, nu, noise, ridge, d):
    model = RandomFeatureFlow(alpha, nu, noise, ridge, activation=activation)
    sim = simulate_rf_nonlinear(model, T, d=d, seeds=4, rng=11)
    _close_to_sim(model.curves(T), sim, rel=0.015)


@pytest.mark.slow
@pytest.mark.parametrize("activation,alpha,nu,noise,ridge", [
    ("relu", 2.0, 0.8, 0.5, 0.0), ("relu", 1.2, 1.6, 0.0, 0.0), ("tanh", 2.0, 0.8, 0.3, 0.0),
    ("erf", 1.5, 2.0, 0.3, 0.1), ("erf", 0.8, 1.25, 0.0, 0.0),
])
def test_against_simulation_large(activation, alpha, nu, noise, ridge):
    model = RandomFeatureFlow(alpha, nu, noise, ridge, activation=activation)
    sim = simulate_rf_nonlinear(model, T, d=500, seeds=6, rng=3)
    _close_to_sim(model.curves(T), sim, rel=0.01, floor=1e-3)


def test_bad_activation_inputs():
    with pytest.raises(ValueError, match="activation"):
        RandomFeatureFlow(1.0, 1.0, activation="softsign")
    with pytest.raises(TypeError, match="activation"):
        RandomFeatureFlow(1.0, 1.0, activation=3.0)
    with pytest.raises(ValueError, match="mu1"):
        RandomFeatureFlow(1.0, 1.0, activation=np.abs)  # even: E f' = 0
    model = RandomFeatureFlow(1.0, 1.0, activation="tanh")
    with pytest.raises(ValueError, match="linear features only"):
        model.bias_variance(T)
    with pytest.raises(ValueError, match="linear"):
        simulate_rf_nonlinear(RandomFeatureFlow(1.0, 1.0), T)
