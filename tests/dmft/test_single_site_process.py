"""The DMFT single-site process: its response and correlation against the closed forms and
against the coordinates of the simulated N-dimensional system."""

import numpy as np
import pytest
from scipy.special import ive

import rmtdyn as rd
from rmtdyn.dmft.lti import LTISystem
from rmtdyn.dmft.single_site import sample_single_site, solve_wigner_response, wigner_parameters
from rmtdyn.simulate import lti_paths

Z = 4.5


def test_single_site_response_solves_the_dmft_closure():
    # The Volterra equation dR/dt = -z R + v int R R with R(0) = 1 must give back
    # R(t) = e^{-(z - 2)t} ive(1, 2t)/t; trapezoidal rule: error O(dt^2).
    system = LTISystem(rd.Wigner() + 2.5, noise=0.0)
    errors = []
    for dt in (0.04, 0.02):
        t = np.arange(0, int(round(6 / dt)) + 1) * dt
        paths = sample_single_site(system, t, 2, rng=0)
        exact = np.concatenate([[1.0], np.exp(-0.5 * t[1:]) * ive(1, 2 * t[1:]) / t[1:]])
        errors.append(np.max(np.abs(paths.response - exact)))
    assert errors[1] < 2e-4
    assert 3.0 < errors[0] / errors[1] < 5.0  # second order


@pytest.mark.parametrize("variance,shift", [(1.0, 2.5), (2.0, 3.0), (1.0, 0.0)])
def test_dmft_response_equation_without_the_spectrum(variance, shift):
    # dR/dt = -z R + v R * R, R(0) = 1, solved alone, gives the semicircle's response
    # e^{-zt} I1(2 s t)/(s t), s = sqrt(v): second order in dt.
    errors = []
    for dt in (0.02, 0.01):
        t = np.arange(0, int(round(4 / dt)) + 1) * dt
        sig = np.sqrt(variance)
        exact = np.concatenate([[1.0], np.exp(-(shift - 2 * sig) * t[1:])
                                * ive(1, 2 * sig * t[1:]) / (sig * t[1:])])
        r = solve_wigner_response(variance, shift, t)
        errors.append(np.max(np.abs(r - exact) / np.maximum(exact, 1.0)))
        np.testing.assert_allclose(r, (rd.Wigner(variance) + shift).response(t),
                                   rtol=5 * dt**2 * max(1.0, 4 * variance))
    assert 3.5 < errors[0] / errors[1] < 4.5


def test_single_site_statistics_match_theory_with_white_noise():
    system = LTISystem(rd.Wigner() + 2.5, noise=0.5, init_variance=1.0)
    t = np.arange(0, 201) * 0.025
    paths = system.single_site(t, 4000, rng=1)
    mean, se = paths.equal_time()
    theory = system.correlation(t)
    assert np.all(np.abs(mean - theory) < Z * se + 0.01)
    # two-time correlation at a few pairs
    c = paths.correlation()
    for i, j in [(200, 100), (100, 40), (200, 199)]:
        prod = paths.paths[:, i] * paths.paths[:, j]
        se_ij = prod.std(ddof=1) / np.sqrt(prod.size)
        assert abs(c[i, j] - system.correlation(t[i], t[j])) < Z * se_ij + 0.01
    # the paths are centred Gaussian
    assert np.all(np.abs(paths.paths.mean(axis=0)) < Z * np.sqrt(theory / 4000) + 1e-12)


def test_single_site_matches_a_coordinate_of_the_full_system():
    # Same law as theta_i(t) of the N-dimensional system (N = 800, one replica).
    system = LTISystem(rd.Wigner() + 2.2, noise=0.3, init_variance=0.5)
    t = np.arange(0, 161) * 0.025
    single = system.single_site(t, 3000, rng=2).paths
    full = lti_paths(system, t[[40, 80, 160]], 800, rng=3)  # (N, 3)
    for k, i in enumerate([40, 80, 160]):
        a, b = single[:, i], full[:, k]
        se = np.sqrt(np.var(a**2, ddof=1) / a.size + np.var(b**2, ddof=1) / b.size)
        assert abs(np.mean(a**2) - np.mean(b**2)) < Z * se + 0.01
        # Gaussian fourth moment (kurtosis 3) in both
        for x in (a, b):
            kurt = np.mean(x**4) / np.mean(x**2) ** 2
            assert abs(kurt - 3.0) < 0.6
    # two-time correlation C(t_160, t_40)
    a = single[:, 160] * single[:, 40]
    b = full[:, 2] * full[:, 0]
    se = np.sqrt(np.var(a, ddof=1) / a.size + np.var(b, ddof=1) / b.size)
    assert abs(a.mean() - b.mean()) < Z * se + 0.01


def test_unshifted_wigner_growth_without_noise():
    # z = 0: C(t, t) = R(2t) = ive(1, 4t) e^{4t}/(2t) grows; the single site follows it.
    system = LTISystem(rd.Wigner(), init_variance=1.0)
    t = np.arange(0, 61) * 0.025
    paths = system.single_site(t, 4000, rng=5)
    mean, se = paths.equal_time()
    exact = np.concatenate([[1.0], ive(1, 4 * t[1:]) * np.exp(4 * t[1:]) / (2 * t[1:])])
    assert np.all(np.abs(mean - exact) < Z * se + 0.01 * exact)
    assert exact[-1] > 5  # really growing


def test_scaled_wigner_parameters():
    assert wigner_parameters(0.5 * rd.Wigner(2.0) + 3.0) == (pytest.approx(0.5), 3.0)
    assert wigner_parameters(rd.Wigner(1.5)) == (1.5, 0.0)


def test_bad_input_raises():
    t = np.arange(0, 11) * 0.1
    with pytest.raises(TypeError, match="Wigner"):
        sample_single_site(LTISystem(rd.MarchenkoPastur(0.5)), t, 10)
    with pytest.raises(NotImplementedError, match="kernel"):
        sample_single_site(LTISystem(rd.Wigner() + 2, noise=lambda u, v: 0 * u * v), t, 10)
    system = LTISystem(rd.Wigner() + 2)
    with pytest.raises(ValueError, match="uniform"):
        sample_single_site(system, np.array([0.0, 0.1, 0.3]), 10)
    with pytest.raises(ValueError, match="uniform"):
        sample_single_site(system, t + 0.1, 10)
    with pytest.raises(ValueError, match="n_paths"):
        sample_single_site(system, t, 0)
