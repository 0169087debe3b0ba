"""Lazy limit γ0 = 0 of the deep-linear DMFT against independent references.

* depth 1: ``rmtdyn.RandomFeatureFlow(alpha, nu)`` (Laplace-side product-Wishart
  theory, a different code path from the two-time solver);
* depth 1 and 2: the exact finite-D flow ``dv/dt = -(AᵀA/N) Σ̂ v`` evaluated by
  diagonalising ``Σ̂^{1/2}(AᵀA/N)Σ̂^{1/2}`` at D = 600 (the product of the
  layers' Wisharts), with a finite-size allowance.
"""

import numpy as np
import pytest

import rmtdyn as rd
from rmtdyn.learning.deep_linear import DeepLinearNetwork

T = np.linspace(0.0, 4.0, 9)


@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_depth_one_lazy_is_random_feature_flow(noise):
    rf = rd.RandomFeatureFlow(2.0, 1.5, noise=noise)
    net = DeepLinearNetwork(1, 2.0, 1.5, 0.0, noise=noise)
    # measured agreement ~2e-5 at n_steps = 200 (the trapezoid error)
    np.testing.assert_allclose(net.test_error(T), rf.test_error(T), atol=2e-4)
    np.testing.assert_allclose(net.train_loss(T), rf.train_loss(T), atol=2e-4)


def _matrix_flow(depth, alpha, nu, D, rng):
    P, N = int(alpha * D), int(nu * D)
    X = rng.standard_normal((P, D))
    S = X.T @ X / P
    A = rng.standard_normal((N, D))
    for _ in range(depth - 1):
        A = rng.standard_normal((N, N)) @ A / np.sqrt(N)
    F = A.T @ A / N
    w, U = np.linalg.eigh(S)
    sh = (U * np.sqrt(w)) @ U.T
    shi = (U / np.sqrt(w)) @ U.T
    lam, V = np.linalg.eigh(sh @ F @ sh)
    left, right = shi @ V, V.T @ sh
    test, train = [], []
    for ti in T:
        M = (left * np.exp(-lam * ti)) @ right  # v(t) = M v(0), v(0) = β*
        test.append(np.sum(M**2) / D)
        train.append(np.trace(M.T @ S @ M) / D)
    return np.array(test), np.array(train)


@pytest.mark.parametrize("depth", [1, 2])
def test_lazy_limit_is_product_wishart_flow(depth):
    net = DeepLinearNetwork(depth, 2.0, 1.5, 0.0)
    test, train = _matrix_flow(depth, 2.0, 1.5, 600, np.random.default_rng(11))
    # E|Mβ*|²/D = tr(MᵀM)/D exactly; the remaining error is finite-D (~1/D)
    np.testing.assert_allclose(net.test_error(T), test, atol=5e-3)
    np.testing.assert_allclose(net.train_loss(T), train, atol=5e-3)
    # depth matters: the deeper lazy kernel is slower than depth 1
    if depth == 2:
        assert net.test_error(T)[-1] > DeepLinearNetwork(1, 2.0, 1.5, 0.0).test_error(T)[-1] + 0.05
