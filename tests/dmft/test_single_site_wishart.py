"""Two-site (bipartite) DMFT of the Wishart LTI system: the spectrum-free response against
Marchenko–Pastur, the grid covariances against the LTI closed forms, the sample paths against
their theory and against the coordinates of a simulated N-dimensional system."""

import numpy as np
import pytest
from scipy.special import ive

import rmtdyn as rd
from rmtdyn.dmft.lti import LTISystem
from rmtdyn.dmft.single_site_wishart import (
    sample_wishart_single_site,
    solve_wishart_response,
    wishart_correlations,
    wishart_kernels,
    wishart_parameters,
)
from rmtdyn.simulate.wishart import wishart_lti_paths

Z = 4.5


def grid(dt, t_max):
    return np.arange(0, int(round(t_max / dt)) + 1) * dt


SPECTRA = [rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(2.0), rd.MarchenkoPastur(0.5) + 0.3,
           1.5 * rd.MarchenkoPastur(0.8, variance=2.0) - 0.2]


@pytest.mark.parametrize("spec", SPECTRA, ids=["mp0.5", "mp2-atom", "ridge", "scaled-shifted"])
def test_dmft_response_equals_marchenko_pastur_response(spec):
    # R_theta from the two-site equations alone vs the quadrature route spec.response:
    # error O(dt^2), checked by halving dt twice.
    ratio, scale, shift = wishart_parameters(spec)
    errors = []
    for dt in (0.04, 0.02, 0.01):
        t = grid(dt, 8.0)
        r = solve_wishart_response(ratio, t, scale, shift)
        exact = spec.response(t)
        errors.append(np.max(np.abs(r - exact) / np.maximum(exact, 1.0)))
    assert errors[-1] < 2e-5 * max(1.0, scale) ** 2
    assert 3.7 < errors[0] / errors[1] < 4.3
    assert 3.7 < errors[1] / errors[2] < 4.3


def test_dmft_response_ratio_one_closed_form():
    # gamma = 1: R(t) = e^{-2t}[I0(2t) + I1(2t)] (scipy Bessel functions, no rmtdyn spectrum).
    t = grid(0.01, 10.0)
    exact = ive(0, 2 * t) + ive(1, 2 * t)
    r = solve_wishart_response(1.0, t)
    assert np.max(np.abs(r - exact)) < 1e-5
    assert r[-1] > 0 and np.all(np.diff(r) < 0)


@pytest.mark.parametrize("spec", SPECTRA[:3], ids=["mp0.5", "mp2-atom", "ridge"])
def test_data_memory_kernel_is_the_data_side_response(spec):
    # R_Delta(t) = delta(t) - K(t) with K(t) = gamma int rho_A(l) (l - z) e^{-l t} dl:
    # the finite-N data response (c/P) tr X e^{-At} X^T / P, by quadrature over the spectrum.
    ratio, scale, shift = wishart_parameters(spec)
    t = grid(0.01, 6.0)
    k = wishart_kernels(ratio, t, scale, shift).data_memory
    exact = ratio * np.asarray(spec.expect(lambda lam: (lam[:, None] - shift)
                                           * np.exp(-lam[:, None] * t)))
    assert k[0] == pytest.approx(scale * ratio, rel=1e-14)
    assert np.max(np.abs(k - exact)) < 2e-4


def _data_correlation_exact(spec, t1, t2, noise, init_variance):
    """C_Delta(t, t') = gamma int rho_A (l - z)[s0^2 e^{-l(t+t')} + D e^{-l|t-t'|} psi] dl."""
    ratio, scale, shift = wishart_parameters(spec)
    a, b = (x.ravel() for x in np.broadcast_arrays(t1, t2))
    low, lag = np.minimum(a, b), np.abs(a - b)

    def f(lam):
        lam = lam[:, None]
        nz = lam != 0
        psi = np.where(nz, -np.expm1(-2 * lam * low) / np.where(nz, lam, 1.0), 2 * low)
        return (lam - shift) * (init_variance * np.exp(-lam * (a + b))
                                + noise * np.exp(-lam * lag) * psi)

    return ratio * np.asarray(spec.expect(f)).reshape(np.broadcast(t1, t2).shape)


@pytest.mark.parametrize("spec,noise,s0", [(rd.MarchenkoPastur(0.5), 0.5, 1.0),
                                           (rd.MarchenkoPastur(2.0), 0.3, 0.5),
                                           (rd.MarchenkoPastur(0.5) + 0.2, 0.0, 1.0)],
                         ids=["white", "atom", "ridge-no-noise"])
def test_self_consistent_correlations_match_closed_forms(spec, noise, s0):
    # C_theta vs LTISystem.correlation (spectral closed form) and C_Delta vs its spectral
    # formula; the DMFT grid solution converges at O(dt^2).
    ratio, scale, shift = wishart_parameters(spec)
    system = LTISystem(spec, noise=noise, init_variance=s0)
    errors = []
    for dt in (0.05, 0.025):
        t = grid(dt, 5.0)
        c_theta, c_delta = wishart_correlations(ratio, t, scale, shift, noise, s0)
        exact_theta = system.correlation(t[:, None], t[None, :])
        exact_delta = _data_correlation_exact(spec, t[:, None], t[None, :], noise, s0)
        errors.append((np.max(np.abs(c_theta - exact_theta)),
                       np.max(np.abs(c_delta - exact_delta))))
    (et1, ed1), (et2, ed2) = errors
    size = max(1.0, float(np.max(np.abs(exact_theta))))
    assert et2 < 2 * 0.025**2 * size and ed2 < 2 * 0.025**2 * size
    assert 3.5 < et1 / et2 < 4.5 and 3.5 < ed1 / ed2 < 4.5


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_two_site_equal_times_are_the_learning_curves(ratio):
    # Gradient flow on noise-free least squares: theta = w - beta*, sigma0 = 1, and the
    # residuals r_mu = Delta_mu / sqrt(gamma). So test error = C_theta(t, t) and
    # train loss = C_Delta(t, t) / gamma (LinearRegressionFlow's closed spectral forms).
    t = grid(0.02, 6.0)
    c_theta, c_delta = wishart_correlations(ratio, t)
    flow = rd.LinearRegressionFlow(ratio)
    # grid error O(dt^2) = 4e-4 (measured 1.6e-4 at ratio 2, where the slow modes dominate)
    assert np.max(np.abs(np.diag(c_theta) - flow.test_error(t))) < 0.02**2
    assert np.max(np.abs(np.diag(c_delta) / ratio - flow.train_loss(t))) < 0.02**2


def _two_sample_ok(x, y, n_dim):
    """|mean x - mean y| within Z joint SE plus a 3/N finite-size allowance (per column)."""
    se = np.sqrt(x.var(axis=0, ddof=1) / x.shape[0] + y.var(axis=0, ddof=1) / y.shape[0])
    diff = np.abs(x.mean(axis=0) - y.mean(axis=0))
    return diff <= Z * se + 3.0 / n_dim * np.abs(y.mean(axis=0))


SYSTEM = LTISystem(rd.MarchenkoPastur(0.5), noise=0.5, init_variance=1.0)
T = grid(0.025, 5.0)


@pytest.fixture(scope="module")
def paths():
    return sample_wishart_single_site(SYSTEM, T, 4000, rng=11)


def test_single_site_paths_match_theory(paths):
    exact_theta = SYSTEM.correlation(T)
    exact_delta = _data_correlation_exact(SYSTEM.spectrum, T, T, 0.5, 1.0)
    for side, exact in (("theta", exact_theta), ("delta", exact_delta)):
        mean, se = paths.equal_time(side)
        # against the grid theory they sample (exact in expectation) ...
        assert np.all(np.abs(mean[1:] - np.diag(paths.theta_correlation if side == "theta"
                                                 else paths.data_correlation)[1:])
                      < Z * se[1:])
        # ... and against the continuum closed form (+ the O(dt^2) grid error, < 1e-4)
        assert np.all(np.abs(mean - exact) < Z * se + 1e-4)
    for side, x in (("theta", paths.theta), ("delta", paths.delta)):
        emp = paths.correlation(side)
        for i, j in [(200, 100), (120, 40), (200, 199), (80, 0)]:
            prod = x[:, i] * x[:, j]
            se_ij = prod.std(ddof=1) / np.sqrt(prod.size)
            if side == "theta":
                exact = SYSTEM.correlation(T[i], T[j])
            else:
                exact = _data_correlation_exact(SYSTEM.spectrum, T[i], T[j], 0.5, 1.0)
            assert abs(emp[i, j] - exact) < Z * se_ij + 1e-4
    # response from the paths: E theta(t) theta(0) / sigma0^2 = R_theta(t)
    resp, se = paths.empirical_response()
    assert np.all(np.abs(resp - SYSTEM.response(T)) < Z * se + 1e-4)
    assert np.all(paths.theta.mean(axis=0) ** 2 < (Z**2) * paths.theta.var(axis=0) / 4000)


def _observables(x, i, j):
    return np.column_stack([x[:, i] ** 2, x[:, i] * x[:, j], x[:, i] * x[:, 0],
                            x[:, i] ** 4 / 3.0])


@pytest.fixture(scope="module")
def simulated():
    thetas, deltas = zip(*(wishart_lti_paths(SYSTEM, T, 600, rng=seed) for seed in (5, 6, 7)),
                         strict=True)
    return np.vstack(thetas), np.vstack(deltas)


def test_single_site_paths_match_simulated_coordinates(paths, simulated):
    # Coordinates theta_i(t) and Delta_mu(t) = x_mu.theta(t)/sqrt(P) of N = 600 systems
    # (3 replicas) have the single-site statistics: E x^2, E x(t)x(t'), E x(t)x(0) and the
    # Gaussian fourth moment E x^4 = 3 (E x^2)^2.
    theta_sim, delta_sim = simulated
    for i, j in [(40, 20), (120, 60), (200, 150)]:
        for single, sim in ((paths.theta, theta_sim), (paths.delta, delta_sim)):
            assert np.all(_two_sample_ok(_observables(single, i, j), _observables(sim, i, j),
                                         600))
    # kurtosis of the simulated coordinates vs the Gaussian value 3 (same tolerance form)
    for x in (theta_sim[:, 200], delta_sim[:, 200]):
        kurt = np.mean(x**4) / np.mean(x**2) ** 2
        assert abs(kurt - 3.0) < 0.35


def test_power_wrong_ratio_fails_the_same_tolerance(simulated):
    # The same comparison against the single site of ratio 0.7 instead of 0.5 must fail
    # (measured: 6-9 joint SE off for E Delta^2 at the three times; 0.6 gives 3.7-5.1 SE).
    wrong = sample_wishart_single_site(LTISystem(rd.MarchenkoPastur(0.7), noise=0.5), T, 4000,
                                       rng=12)
    theta_sim, delta_sim = simulated
    failures = 0
    for i, j in [(40, 20), (120, 60), (200, 150)]:
        failures += int(not np.all(_two_sample_ok(_observables(wrong.delta, i, j),
                                                  _observables(delta_sim, i, j), 600)))
    assert failures >= 2


def test_bad_input():
    t = grid(0.1, 1.0)
    with pytest.raises(TypeError, match="Wishart"):
        sample_wishart_single_site(LTISystem(rd.Wigner() + 2), t, 10)
    with pytest.raises(TypeError, match="Wishart"):
        wishart_parameters(-1.0 * rd.MarchenkoPastur(0.5))
    with pytest.raises(NotImplementedError, match="kernel"):
        sample_wishart_single_site(LTISystem(rd.MarchenkoPastur(0.5),
                                             noise=lambda u, v: np.exp(-abs(u - v))), t, 10)
    with pytest.raises(ValueError, match="ratio"):
        solve_wishart_response(0.0, t)
    with pytest.raises(ValueError, match="scale"):
        solve_wishart_response(0.5, t, scale=-1.0)
    with pytest.raises(ValueError, match="uniform"):
        solve_wishart_response(0.5, [0.0, 0.1, 0.3])
    with pytest.raises(ValueError, match="noise"):
        wishart_correlations(0.5, t, noise=-1.0)
    with pytest.raises(ValueError, match="n_paths"):
        sample_wishart_single_site(SYSTEM, t, 0)
    paths = sample_wishart_single_site(LTISystem(rd.MarchenkoPastur(0.5), init_variance=0.0),
                                       t, 5, rng=0)
    with pytest.raises(ValueError, match="side"):
        paths.equal_time("data")
    with pytest.raises(ValueError, match="init_variance"):
        paths.empirical_response()


def test_stein_solver_reports_non_convergence():
    from rmtdyn.dmft.single_site_wishart import _stein

    t = grid(0.05, 5.0)
    c_theta, _ = wishart_correlations(0.5, t, noise=0.5)
    m = np.tril(np.full((t.size, t.size), 0.05))  # a causal operator with slow powers
    with pytest.raises(rd.ConvergenceError) as info:
        _stein(c_theta, m, max_doublings=1)
    assert info.value.residual > 1e-15
    # with enough doublings the same equation is solved: X - M X M^T = S to round-off
    x = _stein(c_theta, m)
    assert np.max(np.abs(x - m @ x @ m.T - c_theta)) < 1e-12 * np.max(np.abs(x))
