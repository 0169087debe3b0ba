"""LTISystem: response and correlation against closed forms, mpmath quadrature and simulation."""

import mpmath as mp
import numpy as np
import pytest
from scipy.special import ive

import rmtdyn as rd
from rmtdyn.dmft.lti import LTISystem
from rmtdyn.simulate import lti_paths, simulate_lti

Z = 4.5  # standard errors allowed in the Monte Carlo comparisons


def semicircle_integral(f, shift, t_scale=1.0, dps=20):
    """int rho_sc(x) f(x + shift) dx on [-2, 2] by mpmath, with cuts crowding the lower edge."""
    levels = int(np.ceil(np.log2(1e5 * max(t_scale, 1.0))))
    with mp.workdps(dps):
        cuts = [-2 + 4 * mp.mpf(2) ** (-k) for k in range(levels, 0, -1)]
        return float(mp.quad(lambda x: mp.sqrt(4 - x * x) / (2 * mp.pi) * f(x + shift),
                             [-2] + cuts + [2]))


# ---------------------------------------------------------------- response
@pytest.mark.parametrize("shift", [2.0, 2.5, 0.0])
def test_wigner_response_closed_form(shift):
    # R(t) = e^{-z t} I1(2t)/t = e^{-(z-2)t} ive(1, 2t)/t
    t = np.geomspace(1e-3, 1e3 if shift >= 2 else 30.0, 60)
    system = LTISystem(rd.Wigner() + shift)
    expected = np.exp(-(shift - 2.0) * t) * ive(1, 2 * t) / t
    np.testing.assert_allclose(system.response(t), expected, rtol=1e-10)


def test_shifted_wigner_tail_constant():
    # z = 2: R(t) ~ 1/(2 sqrt(pi) t^{3/2}) (1 - 3/(16 t)) from the edge at 0.
    t = np.array([1e3, 1e4])
    r = LTISystem(rd.Wigner() + 2.0).response(t)
    scaled = r * 2 * np.sqrt(np.pi) * t**1.5
    np.testing.assert_allclose(scaled, 1 - 3 / (16 * t), rtol=1e-7)
    assert abs(scaled[1] - 1) < 3e-5


def test_marchenko_pastur_ratio_one_response_closed_form():
    t = np.geomspace(1e-3, 1e3, 60)
    np.testing.assert_allclose(LTISystem(rd.MarchenkoPastur(1.0)).response(t),
                               ive(0, 2 * t) + ive(1, 2 * t), rtol=1e-10)


@pytest.mark.parametrize("spectrum", [rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(2.0),
                                      rd.Wigner() + 2.0, 0.5 * rd.Wigner(2.0) + 3.0])
def test_response_starts_at_one_and_decreases_for_positive_spectra(spectrum):
    system = LTISystem(spectrum)
    assert system.response(0.0) == pytest.approx(1.0, abs=1e-13)
    r = system.response(np.linspace(0, 50, 2001))
    assert np.all(np.diff(r) < 0)
    # completely monotone: convex as well
    assert np.all(np.diff(r, 2) > -1e-15)


def test_two_time_response_is_causal():
    system = LTISystem(rd.Wigner() + 2.0)
    t = np.array([0.0, 1.0, 3.0])
    out = system.response_two_time(t[:, None], t[None, :])
    assert np.all(out[np.triu_indices(3, 1)] == 0)
    np.testing.assert_allclose(np.diag(out), 1.0, atol=1e-13)
    assert out[2, 1] == pytest.approx(float(system.response(2.0)), rel=1e-14)


# -------------------------------------------------------------- correlation
def test_noiseless_correlation_is_response_of_the_sum():
    # Symmetric A, theta(0) ~ N(0, s0^2 I): C(t, t') = s0^2 R(t + t') (paper-notes 3.1).
    system = LTISystem(rd.Wigner() + 2.0, init_variance=1.7)
    t, t2 = np.array([0.1, 1.0, 4.0]), np.array([2.0, 0.5, 4.0])
    np.testing.assert_allclose(system.correlation(t, t2),
                               1.7 * ive(1, 2 * (t + t2)) / (t + t2), rtol=1e-10)


def test_white_noise_correlation_against_mpmath():
    z, d, s0 = 2.5, 0.4, 0.8
    system = LTISystem(rd.Wigner() + z, noise=d, init_variance=s0)
    pairs = [(0.3, 0.3), (2.0, 0.7), (40.0, 35.0)]
    for a, b in pairs:
        lag, low = abs(a - b), min(a, b)
        exact = s0 * semicircle_integral(lambda lam, a=a, b=b: mp.exp(-lam * (a + b)), z, a + b)
        exact += d * semicircle_integral(
            lambda lam, lag=lag, low=low: mp.exp(-lam * lag) * (1 - mp.exp(-2 * lam * low)) / lam,
            z, max(a, b))
        assert system.correlation(a, b) == pytest.approx(exact, rel=1e-10)


def test_white_noise_stationary_value_is_the_resolvent_at_zero():
    # C(inf, inf) = D int rho/l = -D g(0) for a positive spectrum (g: the Stieltjes closed form).
    spectrum = rd.Wigner() + 2.5
    system = LTISystem(spectrum, noise=0.3)
    g0 = spectrum.stieltjes(0.0).real
    assert system.correlation(200.0) == pytest.approx(-0.3 * g0, rel=1e-12)
    assert -0.3 * g0 == pytest.approx(0.3 * 2 / (2.5 + np.sqrt(2.25)), rel=1e-14)


def test_white_noise_with_atom_at_zero_grows_linearly():
    # MP(2) has mass 1/2 at l = 0: that part diffuses, C = (1/2)(s0 + 2 D t) + D int_bulk rho/l,
    # and int_bulk rho/l = 1/(g (g - 1)) = 1/2 for g = 2.
    s0, d = 0.6, 0.25
    system = LTISystem(rd.MarchenkoPastur(2.0), noise=d, init_variance=s0)
    for t in (300.0, 3000.0):
        assert system.correlation(t) == pytest.approx(0.5 * (s0 + 2 * d * t) + d * 0.5, rel=1e-9)


def test_unshifted_wigner_with_noise_grows_and_matches_mpmath():
    # negative eigenvalues: (1 - e^{-2 l t})/l > 0 grows for l < 0; no cancellation issue.
    system = LTISystem(rd.Wigner(), noise=1.0, init_variance=0.0)
    t = 3.0
    exact = semicircle_integral(lambda lam: (1 - mp.exp(-2 * lam * t)) / lam if lam != 0 else 2 * t,
                                0.0)
    assert system.correlation(t) == pytest.approx(exact, rel=1e-10)


def test_constant_kernel_matches_closed_form():
    # K(u, v) = c (a frozen random field): theta_noise(t) = phi(A, t) xi0, phi = (1 - e^{-lt})/l.
    c = 0.7
    spectrum = rd.MarchenkoPastur(2.0)
    system = LTISystem(spectrum, noise=lambda u, v: c + 0 * u * v, init_variance=0.0)
    lo, hi = (1 - np.sqrt(2)) ** 2, (1 + np.sqrt(2)) ** 2
    # mpmath for the bulk (density sqrt((hi-x)(x-lo))/(4 pi x)) + the atom 1/2 at 0 (phi = t)
    for ak, bk in [(0.5, 2.0), (1.0, 1.0), (3.0, 0.2)]:
        bulk = mp.quad(lambda x, ak=ak, bk=bk: mp.sqrt((hi - x) * (x - lo)) / (4 * mp.pi * x)
                       * (1 - mp.exp(-x * ak)) * (1 - mp.exp(-x * bk)) / x**2, [lo, 3, hi])
        exact = c * (float(bulk) + 0.5 * ak * bk)
        assert system.correlation(ak, bk) == pytest.approx(exact, rel=1e-10)


def test_separable_kernel_matches_closed_form():
    # K(u, v) = cos(w u) cos(w v): F(t) = int_0^t e^{-l(t-u)} cos(w u) du closed form.
    w = 1.3
    spectrum = rd.Wigner() + 2.5
    system = LTISystem(spectrum, noise=lambda u, v: np.cos(w * u) * np.cos(w * v),
                       init_variance=0.0, quad_points=40)

    def big_f(lam, t):
        return (lam * mp.cos(w * t) + w * mp.sin(w * t) - lam * mp.exp(-lam * t)) / (lam**2 + w**2)

    for a, b in [(1.0, 2.5), (4.0, 4.0)]:
        exact = semicircle_integral(lambda lam, a=a, b=b: big_f(lam, a) * big_f(lam, b), 2.5)
        assert system.correlation(a, b) == pytest.approx(exact, rel=1e-10)


# --------------------------------------------------------------- simulation
def sim_ok(sim, theory, name, extra=0.0):
    se = sim.error(name)
    allowance = (3.0 + extra) / sim.params["n"] * np.abs(theory)
    bad = np.abs(sim[name] - theory) > Z * se + allowance
    assert not bad.any(), (name, sim.t[bad], sim[name][bad], theory[bad], se[bad])


@pytest.mark.parametrize("system", [
    LTISystem(rd.Wigner() + 2.5, noise=0.5),
    LTISystem(rd.MarchenkoPastur(2.0), noise=0.3, init_variance=2.0),
    LTISystem(rd.MarchenkoPastur(0.5), noise=lambda u, v: np.exp(-np.abs(u - v)), init_variance=0.5,
              quad_points=64),
], ids=["wigner-white", "mp-atom-white", "mp-ou-kernel"])
def test_theory_matches_simulation(system):
    t = np.array([0.0, 0.5, 1.0, 2.0, 4.0])
    sim = simulate_lti(system, t, 500, seeds=6, rng=99, fine_steps=400)
    sim_ok(sim, system.correlation(t), "correlation")
    # the response's finite-N bias grows with t (extreme eigenvalues): allowance (3 + 2t)/N
    theory_r = system.response(t)
    se = sim.error("response")
    assert np.all(np.abs(sim["response"] - theory_r) <= Z * se + (3 + 2 * t) / 500 * theory_r)


def test_kernel_simulation_with_repeated_times_is_consistent():
    system = LTISystem(rd.MarchenkoPastur(0.5), noise=lambda u, v: np.exp(-(u - v) ** 2))
    sim = simulate_lti(system, [0.5, 1.0, 1.0, 2.0], 60, seeds=[4])
    assert sim["correlation"][1] == sim["correlation"][2]
    ref = simulate_lti(system, [0.5, 1.0, 2.0], 60, seeds=[4])
    np.testing.assert_allclose(sim["correlation"][[0, 1, 3]], ref["correlation"], rtol=1e-12)


def test_two_time_correlation_of_one_replica():
    system = LTISystem(rd.Wigner() + 2.5, noise=0.5, init_variance=1.0)
    t = np.array([0.5, 1.0, 3.0])
    theta = lti_paths(system, t, 800, rng=4)  # (N, n_t)
    for i, j in [(1, 0), (2, 1), (2, 0)]:
        prod = theta[:, i] * theta[:, j]
        se = prod.std(ddof=1) / np.sqrt(prod.size)
        assert abs(prod.mean() - system.correlation(t[i], t[j])) < Z * se + 0.01


def test_simulation_detects_wrong_noise():
    t = np.array([1.0, 3.0])
    sim = simulate_lti(LTISystem(rd.Wigner() + 2.5, noise=0.5), t, 500, seeds=6, rng=3)
    with pytest.raises(AssertionError):
        sim_ok(sim, LTISystem(rd.Wigner() + 2.5, noise=0.4).correlation(t), "correlation")


@pytest.mark.slow
def test_theory_matches_simulation_large_n():
    system = LTISystem(rd.Wigner() + 2.2, noise=0.2, init_variance=0.5)
    t = np.geomspace(0.05, 20, 10)
    sim = simulate_lti(system, t, 2000, seeds=8, rng=5)
    sim_ok(sim, system.correlation(t), "correlation")


# ---------------------------------------------------------------- bad input
def test_bad_input_raises():
    with pytest.raises(TypeError, match="Spectrum"):
        LTISystem("wigner")
    with pytest.raises(TypeError, match="Hermitian"):  # a spectrum without a real response
        LTISystem(rd.Ginibre())
    with pytest.raises(ValueError, match="noise"):
        LTISystem(rd.Wigner() + 2, noise=-1.0)
    with pytest.raises(ValueError, match="init_variance"):
        LTISystem(rd.Wigner() + 2, init_variance=-1.0)
    system = LTISystem(rd.Wigner() + 2, noise=0.1)
    with pytest.raises(ValueError, match=">= 0"):
        system.response(-1.0)
    with pytest.raises(ValueError, match=">= 0"):
        system.correlation(1.0, -2.0)
    with pytest.raises(ValueError, match="broadcastable"):
        system.correlation(np.ones(3), np.ones(2))
    bad = LTISystem(rd.Wigner() + 2, noise=lambda u, v: np.ones(3))
    with pytest.raises(ValueError, match="broadcast"):
        bad.correlation(1.0)
    with pytest.raises(ValueError, match="sorted"):
        simulate_lti(system, [2.0, 1.0], 50)
