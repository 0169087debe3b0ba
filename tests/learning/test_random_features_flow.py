"""RandomFeatureFlow: closed forms, finite-D matrix traces and seeded simulations."""

from __future__ import annotations

import numpy as np
import pytest

from rmtdyn.learning.linear_regression import LinearRegressionFlow
from rmtdyn.learning.random_features import RandomFeatureFlow, _contour
from rmtdyn.simulate.random_features import simulate_random_features


def _product(d, nu, alpha, seed):
    rng = np.random.default_rng(seed)
    n, p = round(nu * d), round(alpha * d)
    a = rng.standard_normal((n, d))
    x = rng.standard_normal((p, d))
    f = a.T @ a / n
    sig = x.T @ x / p
    return f, sig, f @ sig


# ----------------------------------------------------------------- resolvent objects
def test_response_matches_finite_d_trace_and_is_symmetric():
    d = 600
    _, _, t = _product(d, 0.5, 2.0, 0)
    s = np.array([0.3, 1.0, 4.0])
    mc = np.array([np.trace(np.linalg.inv(si * np.eye(d) + t)) / d for si in s])
    h = RandomFeatureFlow(2.0, 0.5).laplace_response(s).real
    np.testing.assert_allclose(h, mc, rtol=5e-3)
    np.testing.assert_allclose(RandomFeatureFlow(0.5, 2.0).laplace_response(s).real, h,
                               rtol=1e-12)  # N <-> P


def test_two_point_q_matches_finite_d_trace_and_gamma_swap():
    d = 700
    g1, g2 = 1 / 0.6, 1 / 1.7
    _, _, t = _product(d, 0.6, 1.7, 1)
    model = RandomFeatureFlow(1.7, 0.6)
    for a, b in [(0.4, 1.1), (0.25, 3.0)]:
        ia = np.linalg.inv(a * np.eye(d) + t)
        ib = np.linalg.inv(b * np.eye(d) + t)
        mc = np.trace(ia.T @ ib) / d
        ha, hb = model.laplace_response(np.array([a, b])).real
        pa = model._pieces(np.array([a]), np.array([ha]))
        pb = model._pieces(np.array([b]), np.array([hb]))
        # undo the (s'/s) factors (ridge 0 -> 1) to read Q itself from the test transform
        q = model._transforms(pa, pb, np.array([a]), np.array([b]))["test_signal"][0]
        assert abs(q - mc) < 3e-3 * mc
        for gam in (g1, g2):  # both forms of the §3.7 formula agree (gamma1 <-> gamma2)
            ca, cb = 1 - gam * (1 - a * ha), 1 - gam * (1 - b * hb)
            m0 = (ca * ha - cb * hb) / (ca * b - cb * a)
            assert abs(m0 / (1 - gam * (1 - a * ha - b * hb + a * b * m0)) - q) < 1e-10


def test_test_error_matches_matrix_exponential_at_finite_d():
    from scipy.linalg import expm

    d = 500
    _, sig, t = _product(d, 0.5, 2.0, 2)
    times = np.array([0.3, 1.5, 6.0])
    model = RandomFeatureFlow(2.0, 0.5)
    theory_test = model.test_error(times)
    theory_train = model.train_loss(times)
    for k, tau in enumerate(times):
        e = expm(-t * tau)
        assert abs(np.sum(e * e) / d - theory_test[k]) < 0.01
        assert abs(np.trace(sig @ e @ e.T) / d - theory_train[k]) < 0.01


def test_talbot_pair_inverts_a_known_double_transform():
    m = 20
    times = np.array([0.05, 1.0, 7.0])
    r = 2 * m / (5 * times)
    _, _, z1, w1 = _contour(m, midpoint=False)
    _, _, z2, w2 = _contour(m, midpoint=True)
    s1, s2 = r[:, None] * z1, r[:, None] * z2
    e1 = r[:, None] * w1 * np.exp(2 * m / 5 * z1)
    e2 = r[:, None] * w2 * np.exp(2 * m / 5 * z2)
    f = 1 / ((s1[:, :, None] + 1) * (s2[:, None, :] + 2) ** 2)
    got = np.einsum("tj,tjk,tk->t", e1, f, e2).real
    np.testing.assert_allclose(got, np.exp(-times) * times * np.exp(-2 * times), rtol=1e-7,
                               atol=1e-12)


def test_q_assembly_matches_product_wishart_two_point_on_the_contour():
    # the class assembles Q from H on the Talbot nodes; ProductWishart.two_point_laplace is the
    # non-Hermitian engineer's independent implementation (with its own diagonal handling)
    model = RandomFeatureFlow(0.7, 1.8)
    r = np.array([0.05, 1.0, 20.0])
    _, th1, z1, _ = _contour(8, midpoint=False)
    _, th2, z2, _ = _contour(8, midpoint=True)
    s1 = r[:, None, None] * z1[None, :, None]
    s2 = r[:, None, None] * z2[None, None, :]
    a = model._pieces(s1, model.laplace_response(s1))
    b = model._pieces(s2, model.laplace_response(s2))
    q = model._transforms(a, b, s1, s2)["test_signal"]
    np.testing.assert_allclose(q, model.matrix.two_point_laplace(s1, s2), rtol=1e-9)


# ----------------------------------------------------------------- closed forms
@pytest.mark.parametrize("noise,ridge", [(0.0, 0.0), (0.5, 0.0), (0.5, 0.2)])
@pytest.mark.parametrize("alpha", [2.0, 0.5])
def test_nu_to_infinity_is_linear_regression(alpha, noise, ridge):
    rf = RandomFeatureFlow(alpha, 1e6, noise=noise, ridge=ridge)
    lr = LinearRegressionFlow(1 / alpha, noise=noise, ridge=ridge)
    t = np.array([0.2, 1.0, 5.0, 40.0])
    np.testing.assert_allclose(rf.test_error(t), lr.test_error(t), rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(rf.train_loss(t), lr.train_loss(t), rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("alpha,nu", [(2.0, 0.5), (3.0, 0.7), (0.7, 3.0), (0.4, 0.9)])
def test_ridgeless_limit_closed_form(alpha, nu):
    # t -> inf, no noise: L = (1 - m) M/(M - m) with m = min(alpha, nu) < 1, M = max;
    # bias -> (1 - min(alpha, nu, 1))^2 (the atom of T at 0 squared).
    model = RandomFeatureFlow(alpha, nu)
    lo, hi = min(alpha, nu), max(alpha, nu)
    lim = model.limit()
    assert abs(lim["test"] - (1 - lo) * hi / (hi - lo)) < 1e-6
    assert abs(lim["bias"] - (1 - lo) ** 2) < 1e-6
    assert abs(model.test_error(np.array([2e3]))[0] - lim["test"]) < 1e-4


def test_symmetry_n_p_without_noise():
    t = np.array([0.1, 1.0, 10.0])
    np.testing.assert_allclose(RandomFeatureFlow(2.5, 0.8).test_error(t),
                               RandomFeatureFlow(0.8, 2.5).test_error(t), rtol=1e-8)


def test_train_loss_two_dimensional_equals_one_dimensional_form():
    # ridgeless: train signal = (1/D) tr[Sigma e^{-2Tt}], a ONE-variable inverse transform of
    # (1 - sH)/r1 at time 2t; the class uses a double transform - they must agree.
    model = RandomFeatureFlow(1.5, 0.7)
    t = np.array([0.2, 1.0, 6.0])
    m = 20
    tau = 2 * t
    r = 2 * m / (5 * tau)
    half, theta, z, w = _contour(m, midpoint=False)
    s = r[:, None] * z
    h = model.laplace_response(s)
    psi = (1 - s * h) / (1 - model.gamma1 * (1 - s * h))
    one_d = np.einsum("tj,tj->t", r[:, None] * w * np.exp(2 * m / 5 * z), psi).real
    np.testing.assert_allclose(model.train_loss(t), one_d, rtol=1e-7)


def test_early_stopping_beats_the_end_with_noise():
    model = RandomFeatureFlow(1.2, 0.9, noise=0.5)
    t_star, best = model.early_stopping()
    grid = np.geomspace(1e-2, 1e3, 200)
    assert best <= model.test_error(grid).min() + 1e-6
    assert best < model.limit()["test"]
    assert 0.1 < t_star < 1e3


def test_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        RandomFeatureFlow(0.0, 1.0)
    with pytest.raises(ValueError, match="nu"):
        RandomFeatureFlow(1.0, -1.0)
    with pytest.raises(ValueError, match="noise"):
        RandomFeatureFlow(1.0, 1.0, noise=-0.1)
    with pytest.raises(ValueError, match="activation"):
        RandomFeatureFlow(1.0, 1.0, activation="softsign")
    with pytest.raises(ValueError, match="t must be >= 0"):
        RandomFeatureFlow(1.0, 2.0).test_error([-1.0])


# ----------------------------------------------------------------- simulations
def _compare(theory, sim, rel=0.02):
    for key in ("train", "test"):
        err = np.abs(theory[key] - sim[key])
        tol = 4 * sim.error(key) + rel * theory[key] + 1e-3
        assert np.all(err < tol), (key, theory[key], sim[key], sim.error(key))


@pytest.mark.parametrize("alpha,nu,noise,ridge", [
    (2.0, 0.5, 0.0, 0.0),     # under-parameterised (nu < 1), no noise
    (0.6, 1.6, 0.5, 0.0),     # over-parameterised, label noise
    (1.5, 2.0, 0.5, 0.1),     # ridge and noise
])
def test_against_simulation_small(alpha, nu, noise, ridge):
    model = RandomFeatureFlow(alpha, nu, noise=noise, ridge=ridge)
    t = np.array([0.5, 3.0, 30.0, 300.0])
    sim = simulate_random_features(model, t, d=200, seeds=3, rng=11)
    _compare(model.curves(t), sim, rel=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("alpha,nu,noise", [
    (2.0, 0.8, 0.0), (2.0, 0.8, 0.5),   # nu < 1: D = 625, N = 500, P = 1250
    (1.0, 2.0, 0.0), (1.0, 2.0, 0.5),   # nu > 1: D = 500, P = 500, N = 1000
    (0.8, 1.5, 0.3),
])
def test_against_simulation_large(alpha, nu, noise):
    model = RandomFeatureFlow(alpha, nu, noise=noise)
    d = max(500, int(np.ceil(500 / min(alpha, nu))))
    t = np.array([0.3, 1.0, 5.0, 30.0, 200.0])
    sim = simulate_random_features(model, t, d=d, seeds=4, rng=3)
    _compare(model.curves(t), sim, rel=0.01)


def test_cli_json_reports_the_model_numbers(capsys):
    import json

    from rmtdyn.cli.main import main

    assert main(["rf", "--alpha", "2", "--nu", "0.5", "--noise", "0.3", "--no-simulation",
                 "--json", "--points", "20"]) == 0
    payload = json.loads(capsys.readouterr().out)
    model = RandomFeatureFlow(2.0, 0.5, noise=0.3)
    t = np.array(payload["theory"]["t"])
    np.testing.assert_allclose(payload["theory"]["curves"]["test"], model.test_error(t),
                               rtol=1e-10)
    assert abs(payload["limit"]["test"] - model.limit()["test"]) < 1e-10
    np.testing.assert_allclose(model.test_mse(t) - model.test_error(t), 0.09, rtol=1e-12)
