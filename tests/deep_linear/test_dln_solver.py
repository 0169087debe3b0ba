"""The two-time grid solver: order of accuracy, Richardson error control, bad input."""

import numpy as np
import pytest

from rmtdyn.dmft.two_time import TwoTimeGrid, richardson, solve_fixed_point
from rmtdyn.errors import ConvergenceError
from rmtdyn.learning.deep_linear import DeepLinearNetwork
from rmtdyn.simulate.deep_linear import simulate_deep_linear


def _volterra(n_steps):
    """x(t) = 1 + ∫_0^t s x(s) ds, i.e. x' = t x: x = exp(t²/2) (not time-translation invariant)."""
    grid = TwoTimeGrid(2.0, n_steps)
    kernel = np.broadcast_to(grid.t[None, :], (grid.n, grid.n))
    x = grid.causal_inverse(grid.identity - grid.integral_operator(kernel)) @ grid.ones
    return grid, x


def test_trapezoid_nystrom_is_second_order_and_richardson_bounds_error():
    errs = []
    for n in (20, 40, 80):
        grid, x = _volterra(n)
        errs.append(abs(x[-1] - np.exp(2.0)))
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.1)
    assert errs[1] / errs[2] == pytest.approx(4.0, rel=0.1)
    _, coarse = _volterra(40)
    _, fine = _volterra(80)
    extrap, est = richardson(coarse[-1], fine[-1])
    assert est == pytest.approx(errs[2], rel=0.1)  # the estimate is the actual error of `fine`
    assert abs(extrap - np.exp(2.0)) < errs[2] / 10


def test_fixed_point_raises_convergence_error():
    with pytest.raises(ConvergenceError) as info:
        solve_fixed_point(lambda s: {"x": 2 * s["x"] + 1}, {"x": np.ones(3)}, max_iter=5)
    assert info.value.residual > 0


def test_step_halving_error_estimate_is_small_and_honest():
    net = DeepLinearNetwork(2, 2.0, 1.0, 1.0)
    t = np.array([0.5, 1.5, 3.0])
    est = net.error_estimate(t, n_steps=60)
    assert max(np.max(est["train"]), np.max(est["test"])) < 2e-3
    # the estimate of the h/2 result is within a factor 3 of its actual error (reference n=240)
    ref = net.test_error(t, n_steps=240)
    actual = np.abs(net.test_error(t, n_steps=120) - ref)
    assert np.all(actual <= 3 * est["test"] + 1e-7)


def test_dmft_correlations_are_consistent():
    net = DeepLinearNetwork(2, 2.0, 1.0, 1.0)
    sol = net.solve(2.0, 80)
    # C_v(0, 0) = |β*|²/D = 1, correlations are symmetric positive semi-definite
    assert sol.C_v[0, 0] == pytest.approx(1.0)
    for c in (sol.C_v, sol.C_xi, sol.C_G, sol.C_b[1], sol.C_e[2]):
        np.testing.assert_allclose(c, c.T, atol=1e-10)
        assert np.min(np.linalg.eigvalsh(c)) > -1e-8
    assert sol.residual < 1e-10


@pytest.mark.parametrize("kwargs,match", [
    ({"depth": 0}, "depth"), ({"alpha": 0.0}, "alpha"), ({"nu": -1.0}, "nu"),
    ({"richness": -0.1}, "richness"), ({"noise": -1.0}, "noise"),
])
def test_bad_parameters(kwargs, match):
    args = {"depth": 2, "alpha": 2.0, "nu": 1.0, "richness": 1.0, "noise": 0.0} | kwargs
    with pytest.raises(ValueError, match=match):
        DeepLinearNetwork(**args)
    with pytest.raises(ValueError, match=match):
        simulate_deep_linear(**args, D=20, t=np.array([0.0, 0.1]), seeds=1, rng=0)


def test_unstable_steps_are_refused():
    net = DeepLinearNetwork(3, 1.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="too large"):
        net.test_error(np.linspace(0, 10, 5), n_steps=10)
    with pytest.raises(ValueError, match="stability"):
        simulate_deep_linear(2, 2.0, 1.0, 1.0, D=20, t=np.array([0.0, 1.0]), seeds=1, rng=0,
                             dt=1.0)
    with pytest.raises(ValueError, match="layer"):
        DeepLinearNetwork(2, 2.0, 1.0, 1.0).hidden_spectrum(2, [1.0])


def test_simulation_vector_field_is_the_gradient():
    """RK4 field of the simulation equals -γ0² D ∇L̂ (finite differences, depth 2)."""
    from rmtdyn.simulate.deep_linear import _Network

    rng = np.random.default_rng(3)
    D, N, P, g0 = 6, 5, 9, 0.7
    X = rng.standard_normal((P, D))
    y = rng.standard_normal(P)
    w0 = rng.standard_normal((1, N, D))
    w1 = rng.standard_normal((1, N, N))
    q = rng.standard_normal((1, N))

    def loss(w0_, w1_, q_):
        h = (X @ w0_.T / np.sqrt(D)) @ w1_.T / np.sqrt(N)
        f = h @ (g0 * q_) / (g0 * np.sqrt(N))
        return np.sum((f - y) ** 2) / (2 * P)

    net = _Network(2, g0, np.sqrt(D), N)
    dw0, dh, dq = net.field((w0, [w1], q), (X.T @ X / P)[None], (np.sqrt(D) * X.T @ y / P)[None])
    eps = 1e-6
    for arr, got, scale in ((w0, dw0, g0**2 * D), (w1, dh[0], g0**2 * D), (q, dq, D)):
        # q = w/γ0: dq/dt = (1/γ0) dw/dt = -γ0 D ∂L̂/∂w = -D ∂L̂/∂q
        num = np.zeros(arr.shape[1:])
        for idx in np.ndindex(*arr.shape[1:]):
            plus, minus = arr.copy(), arr.copy()
            plus[(0, *idx)] += eps
            minus[(0, *idx)] -= eps
            a = {"w0": (plus, w1, q), "w1": (w0, plus, q), "q": (w0, w1, plus)}
            b = {"w0": (minus, w1, q), "w1": (w0, minus, q), "q": (w0, w1, minus)}
            key = "w0" if arr is w0 else "w1" if arr is w1 else "q"
            num[idx] = (loss(*[m[0] for m in a[key]]) - loss(*[m[0] for m in b[key]])) / (2 * eps)
        np.testing.assert_allclose(got[0], -scale * num, rtol=1e-6, atol=1e-8)
