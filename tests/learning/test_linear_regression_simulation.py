"""LinearRegressionFlow theory against the seeded finite-N simulation (rmtdyn.simulate).

Tolerance: |simulation - theory| <= Z * SE + FINITE_N * scale, with SE the standard error
of the mean over seeds (from the seeds themselves), Z = 4.5, and a finite-size allowance of
FINITE_N = 3/N relative (O(1/N) corrections to the mean) times the size of the curve. With
40 seeds at N = 500 every point of these cases was within 2 SE (measured while writing).
"""

import numpy as np
import pytest

from rmtdyn.learning.linear_regression import LinearRegressionFlow
from rmtdyn.simulate import simulate_linear_regression
from rmtdyn.simulate.linear_regression import linear_regression_run

Z = 4.5


def assert_close_to_theory(sim, theory, names=("train", "test")):
    n = sim.params["n"]
    for name in names:
        se = sim.error(name)
        allowance = 3.0 / n * np.abs(theory[name])
        diff = np.abs(sim[name] - theory[name])
        bad = diff > Z * se + allowance
        assert not bad.any(), (name, sim.t[bad], sim[name][bad], theory[name][bad], se[bad])
        assert np.all(se > 0)


CASES = [
    # ratio, noise, ridge, init_variance
    (0.5, 0.5, 0.0, 0.0),   # under-parameterised, the paper's example
    (2.0, 0.5, 0.0, 0.3),   # over-parameterised: null space, random w(0)
    (0.5, 0.3, 0.1, 0.0),   # ridge
    (1.5, 0.4, 0.05, 0.5),  # everything at once
]


@pytest.mark.parametrize("ratio,noise,ridge,v0", CASES)
def test_theory_matches_simulation_at_n500(ratio, noise, ridge, v0):
    flow = LinearRegressionFlow(ratio, noise, ridge, v0)
    t = np.array([0.0, 0.1, 0.5, 2.0, 8.0, 30.0])
    sim = simulate_linear_regression(flow, t, 500, seeds=6, rng=12345)
    assert sim.source == "simulation" and sim.params["n"] == 500
    assert_close_to_theory(sim, flow.curves(t))


def test_simulation_detects_a_wrong_theory():
    # The comparison has power: noise 0.5 vs a theory with noise 0.4 fails the tolerance.
    t = np.array([2.0, 8.0, 30.0])
    sim = simulate_linear_regression(LinearRegressionFlow(0.5, 0.5), t, 500, seeds=6, rng=1)
    wrong = LinearRegressionFlow(0.5, 0.4).curves(t)
    with pytest.raises(AssertionError):
        assert_close_to_theory(sim, wrong)


def test_ratio_one_near_the_hard_edge():
    flow = LinearRegressionFlow(1.0, noise=0.5)
    t = np.array([0.5, 2.0, 8.0])
    sim = simulate_linear_regression(flow, t, 600, seeds=6, rng=7)
    assert_close_to_theory(sim, flow.curves(t))


def test_single_replica_identities():
    # One replica, exact algebra: at t = 0 the test error is |w0 - beta*|^2/N, and without
    # ridge the train residual of an interpolating fit (N > P) vanishes at t = inf.
    t = np.array([0.0, 1e6])
    rng = np.random.default_rng(3)
    train, test = linear_regression_run(2.0, 0.5, 0.0, 0.0, t, 300, rng)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((150, 300))
    beta = rng.standard_normal(300)
    xi = rng.standard_normal(150)
    assert test[0] == pytest.approx(beta @ beta / 300, rel=1e-12)
    y = x @ beta / np.sqrt(300) + 0.5 * xi
    assert train[0] == pytest.approx(y @ y / 150, rel=1e-12)
    assert train[1] < 1e-20
    # min-norm least squares at t = inf: w = pinv(X) sqrt(N) y
    w = np.linalg.pinv(x) @ (np.sqrt(300) * y)
    assert test[1] == pytest.approx(np.sum((w - beta) ** 2) / 300, rel=1e-8)


def test_single_replica_matches_direct_ode_integration():
    # Independent of the SVD formulas: integrate dw/dt = -(1/P)X^T(Xw - sqrt(N)y) - lam w
    # with scipy's expm of the (N+1) x (N+1) affine generator.
    from scipy.linalg import expm

    n, p, ridge, noise, v0 = 40, 25, 0.3, 0.7, 0.5
    rng = np.random.default_rng(11)
    train, test = linear_regression_run(n / p, noise, ridge, v0, np.array([0.7, 3.0]), n, rng)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((p, n))
    beta = rng.standard_normal(n)
    xi = rng.standard_normal(p)
    w0 = np.sqrt(v0) * rng.standard_normal(n)
    y = x @ beta / np.sqrt(n) + noise * xi
    gen = np.zeros((n + 1, n + 1))
    gen[:n, :n] = -(x.T @ x) / p - ridge * np.eye(n)
    gen[:n, n] = x.T @ (np.sqrt(n) * y) / p
    for k, tk in enumerate([0.7, 3.0]):
        w = (expm(gen * tk) @ np.append(w0, 1.0))[:n]
        assert test[k] == pytest.approx(np.sum((w - beta) ** 2) / n, rel=1e-9)
        assert train[k] == pytest.approx(np.sum((x @ w / np.sqrt(n) - y) ** 2) / p, rel=1e-9)


def test_seeds_are_reproducible_and_explicit():
    flow = LinearRegressionFlow(0.5, 0.5)
    t = np.array([1.0])
    a = simulate_linear_regression(flow, t, 60, seeds=[1, 2, 3])
    b = simulate_linear_regression(flow, t, 60, seeds=[1, 2, 3])
    c = simulate_linear_regression(flow, t, 60, seeds=3, rng=5)
    d = simulate_linear_regression(flow, t, 60, seeds=3, rng=5)
    assert a["test"][0] == b["test"][0] and c["test"][0] == d["test"][0]
    assert a["test"][0] != c["test"][0]
    assert a.params["seeds"] == 3


def test_progress_bar_is_optional(capsys):
    flow = LinearRegressionFlow(0.5)
    quiet = simulate_linear_regression(flow, [1.0], 40, seeds=[1, 2], progress=False)
    assert capsys.readouterr().err == ""
    loud = simulate_linear_regression(flow, [1.0], 40, seeds=[1, 2], progress=True)
    assert "linear regression" in capsys.readouterr().err
    assert quiet["test"][0] == loud["test"][0]


def test_bad_simulation_input_raises():
    flow = LinearRegressionFlow(0.5)
    with pytest.raises(ValueError, match="t must be >= 0"):
        simulate_linear_regression(flow, [-1.0], 50)
    with pytest.raises(ValueError, match="one-dimensional"):
        simulate_linear_regression(flow, np.ones((2, 2)), 50)
    with pytest.raises(ValueError, match="n must be >= 2"):
        simulate_linear_regression(flow, [1.0], 1)
    with pytest.raises(TypeError, match="LinearRegressionFlow"):
        simulate_linear_regression(object(), [1.0], 50)
    with pytest.raises(ValueError, match="seeds"):
        simulate_linear_regression(flow, [1.0], 50, seeds=0)
    with pytest.raises(TypeError, match="progress"):
        simulate_linear_regression(flow, [1.0], 50, seeds=1, progress="yes")


@pytest.mark.slow
@pytest.mark.parametrize("ratio,noise,ridge,v0",
                         CASES + [(3.0, 1.0, 0.0, 1.0), (0.8, 0.7, 0.0, 0.0)])
def test_theory_matches_simulation_at_n1500(ratio, noise, ridge, v0):
    flow = LinearRegressionFlow(ratio, noise, ridge, v0)
    t = np.geomspace(0.05, 200.0, 12)
    sim = simulate_linear_regression(flow, t, 1500, seeds=10, rng=2024)
    assert_close_to_theory(sim, flow.curves(t))
