"""Random features: Gaussian-equivalence coefficients, linear = product, nonlinear vs samples."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import special

import rmtdyn as rd
from rmtdyn.spectra.activations import gaussian_coefficients, gaussian_expectation
from rmtdyn.spectra.random_features import RandomFeatures
from rmtdyn.symbolic.symbols import W
from rmtdyn.symbolic.transforms import equation_from_s


def sampled_bulk_stieltjes(spec, z, n, seeds, drop_top=0):
    vals = []
    for seed in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(seed)))
        ev = ev[: len(ev) - drop_top]
        vals.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
    vals = np.array(vals)
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / math.sqrt(len(seeds))


def theory_cdf(spec, xs):
    """Mass below each x: atoms plus Gauss-Legendre on [a, x] with x = a + (x - a) u^2 (the
    substitution removes the square-root edge at a), one vectorised density call."""
    (a, _), = spec.support()
    u, w = np.polynomial.legendre.leggauss(80)
    u, w = (u + 1) / 2, w / 2
    span = np.maximum(xs - a, 0.0)[:, None]
    nodes = a + span * u[None, :] ** 2
    vals = spec.density(nodes.ravel()).reshape(nodes.shape)
    atoms = sum(m for loc, m in spec.atoms())
    return atoms + np.sum(vals * 2 * u[None, :] * span * w[None, :], axis=1)


# ------------------------------------------------------------------ coefficients
def test_relu_and_erf_coefficients_closed_forms():
    relu = gaussian_coefficients(lambda z: np.maximum(z, 0.0))
    assert relu.mu0 == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-14)
    assert relu.eta == pytest.approx(0.5 - 1 / (2 * math.pi), abs=1e-14)  # E relu^2 = 1/2
    assert relu.zeta == pytest.approx(0.25, abs=1e-14)  # E relu' = P(z > 0) = 1/2
    assert relu.kappa2 == pytest.approx(1 / math.sqrt(2 * math.pi), abs=1e-14)
    erf = gaussian_coefficients(special.erf)
    assert erf.mu0 == pytest.approx(0.0, abs=1e-15)
    assert erf.eta == pytest.approx(2 / math.pi * math.asin(2 / 3), abs=1e-14)
    assert erf.zeta == pytest.approx(4 / (3 * math.pi), abs=1e-14)  # E erf' = 2/sqrt(3 pi)


def test_tanh_and_sin_coefficients_against_mpmath_and_closed_forms():
    tanh = gaussian_coefficients(np.tanh)
    gauss = lambda f: mpmath.quad(lambda z: f(z) * mpmath.exp(-z * z / 2),  # noqa: E731
                                  [-mpmath.inf, 0, mpmath.inf]) / mpmath.sqrt(2 * mpmath.pi)
    assert tanh.eta == pytest.approx(float(gauss(lambda z: mpmath.tanh(z) ** 2)), abs=1e-13)
    assert tanh.zeta == pytest.approx(float(gauss(lambda z: 1 / mpmath.cosh(z) ** 2)) ** 2,
                                      abs=1e-13)
    # integration by parts E f' = E z f for a callable: sin has E cos z = e^{-1/2}
    s = gaussian_coefficients(np.sin)
    assert s.zeta == pytest.approx(math.exp(-1.0), abs=1e-14)
    assert s.eta == pytest.approx((1 - math.exp(-2.0)) / 2, abs=1e-14)
    assert gaussian_expectation(lambda z: np.abs(z) ** 3) == pytest.approx(
        2 * math.sqrt(2 / math.pi), abs=1e-14)


def test_named_activation_equals_callable():
    a = RandomFeatures(0.8, 0.6, "tanh")
    b = RandomFeatures(0.8, 0.6, np.tanh)
    z = np.array([0.5 + 0.2j, 2.0 + 0.0j])
    assert np.allclose(a.stieltjes(z), b.stieltjes(z), atol=1e-14)


# ------------------------------------------------------------------ linear features
def test_linear_features_two_routes_agree_and_equation_residual():
    rf = RandomFeatures(0.7, 0.5)
    z = np.array([0.1 + 1j, 2 + 0.01j, 0.5 + 0.1j, 0.5, 1.7, 3.0, 10j, -5.0, 0.02])
    via_product = rf.stieltjes(z)
    # the Pennington-Worah equation with eta = zeta = 1 (solved by its own continuation)
    pw = RandomFeatures(0.7, 0.5)
    pw.is_linear = False
    assert np.max(np.abs(via_product - pw.stieltjes(z))) < 1e-12
    P = rf.equation()
    total = sum(float(c) * via_product**i * z**j for (i, j), c in P.terms())
    scale = sum(abs(float(c)) * np.abs(via_product) ** i * np.abs(z) ** j
                for (i, j), c in P.terms())
    assert np.max(np.abs(total) / scale) < 1e-12
    # atom at 0: rank min(P, D) of N: 1 - min(1, phi)/gamma with gamma = 0.7, phi = 0.5
    assert rf.atoms() == ((0.0, pytest.approx(1 - 0.5 / 0.7, abs=1e-15)),)
    # m1 = E A_ii = 1, m2 = 1 + gamma + gamma/phi... check against the product series
    assert rf.moment(1) == pytest.approx(1.0, abs=1e-12)
    assert rf.moment(2) == pytest.approx(1 + 0.7 + 0.7 / 0.5, rel=1e-12)


def test_linear_features_against_samples():
    rf = RandomFeatures(0.7, 0.5)
    z = np.array([0.5 + 0.3j, 1.0 + 0.5j, 2.0 + 0.2j])
    mean, se = sampled_bulk_stieltjes(rf, z, 500, range(3))
    assert np.all(np.abs(mean - rf.stieltjes(z)) < 4 * se + 2.0 / 500)
    ev = np.linalg.eigvalsh(rf.sample(500, np.random.default_rng(7)))
    assert np.mean(ev < 1e-9) == pytest.approx(1 - 0.5 / 0.7, abs=2 / 500)


# ------------------------------------------------------------------ nonlinear features
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_nonlinear_bulk_against_samples(activation):
    rf = RandomFeatures(0.8, 0.6, activation)
    drop = 1 if rf.coefficients.mu0 != 0 else 0
    z = np.array([0.3 + 0.3j, 1.0 + 0.3j, 2.0 + 0.3j])
    mean, se = sampled_bulk_stieltjes(rf, z, 600, range(3), drop_top=drop)
    assert np.all(np.abs(mean - rf.stieltjes(z)) < 4 * se + 3.0 / 600)
    # Kolmogorov distance between the bulk's empirical CDF and the theoretical CDF
    ev = np.sort(np.linalg.eigvalsh(rf.sample(600, np.random.default_rng(11))))[: 600 - drop]
    grid = np.linspace(ev[0], ev[-1], 25)
    cdf = theory_cdf(rf, grid)
    ecdf = np.searchsorted(ev, grid, side="right") / 600
    assert np.max(np.abs(cdf - ecdf)) < 0.03
    # one interval, whose ends bracket the sampled bulk (soft edges: N^{-2/3} fluctuations)
    (a, b), = rf.support()
    assert 0 < a and abs(a - ev[0]) < 0.05 * b and abs(b - ev[-1]) < 0.1 * b
    # first moment of the centred bulk = Var f(z) = eta
    assert rf.moment(1) == pytest.approx(rf.coefficients.eta, rel=1e-5)
    assert np.mean(ev) == pytest.approx(rf.coefficients.eta, rel=0.03)


def test_relu_outlier_location_and_weight():
    rf = RandomFeatures(0.8, 0.6, "relu")
    n = 500
    loc, weight = rf.outlier(n)
    assert weight == 1 / n
    tops = [np.linalg.eigvalsh(rf.sample(n, np.random.default_rng(s)))[-1] for s in range(4)]
    se = np.std(tops, ddof=1) / 2
    # the leading term n mu0^2 = 79.6; the O(1) corrections are tested to 4 SE + 1.0
    assert abs(np.mean(tops) - loc) < 4 * se + 1.0
    assert rf.outlier() == (math.inf, 0.0)
    assert RandomFeatures(0.8, 0.6, "tanh").outlier(n) is None


def test_nonlinear_support_and_mass():
    rf = RandomFeatures(1.5, 0.5, "relu")  # N > P: atom 1 - 1/gamma at 0
    assert rf.atoms() == ((0.0, pytest.approx(1 - 1 / 1.5)),)
    assert rf.expect(lambda lam: np.ones_like(lam)) == pytest.approx(1.0, abs=1e-8)
    (a, b), = rf.support()
    ev = np.linalg.eigvalsh(rf.sample(600, np.random.default_rng(3)))
    bulk = ev[ev > 1e-9][:-1]
    assert a == pytest.approx(bulk.min(), abs=0.15 * (b - a))
    assert b == pytest.approx(bulk.max(), abs=0.1 * (b - a))


# ------------------------------------------------------------------ bad input
def test_bad_input():
    with pytest.raises(ValueError, match="activation"):
        RandomFeatures(1.0, 1.0, "softplus")
    with pytest.raises(TypeError, match="activation"):
        RandomFeatures(1.0, 1.0, 3.0)
    with pytest.raises(ValueError, match="ratio"):
        RandomFeatures(0.0, 1.0)
    with pytest.raises(ValueError, match="data_ratio"):
        RandomFeatures(1.0, -2.0)
    with pytest.raises(ValueError, match="constant"):
        RandomFeatures(1.0, 1.0, lambda z: np.ones_like(z))
    with pytest.raises(TypeError, match="elementwise"):
        RandomFeatures(1.0, 1.0, lambda z: np.sum(z))
    with pytest.raises(TypeError):
        RandomFeatures(1.0, 1.0).stieltjes("z")


# ------------------------------------------------------------------ sweep
# Ratios from 1e-4 to 1e3, exactly 1 (hard edges) and equal to each other; the z-sweep over
# the whole plane is in test_sweep_algebraic.py. Here: the integrals of the density.
ratios = st.one_of(st.just(1.0),
                   st.floats(min_value=-4.0, max_value=3.0).map(lambda e: float(10**e)))


@settings(deadline=None, max_examples=12, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(gamma=ratios, phi=ratios, tie=st.booleans(),
       activation=st.sampled_from(["relu", "tanh", "erf", None]),
       re=st.floats(-5, 20), im=st.sampled_from([0.0, 1e-9, 0.05, 3.0]))
def test_sweep_random_features(gamma, phi, tie, activation, re, im):
    rf = RandomFeatures(gamma, gamma if tie else phi, activation)
    bound = rf._upper_bound
    z = np.array([re * bound / 20 + 1j * im * bound, 1e5 * bound * (1 + 0.1j), 0.0])
    g = rf.stieltjes(z)
    at0 = z == 0
    assert np.all(np.isfinite(g[~at0]))
    # at 0: the pole of the atom or hard edge (-i inf, as MarchenkoPastur), or a real value
    assert np.all((g[at0] == complex(0.0, -np.inf)) | (np.isfinite(g[at0]) & (g[at0].imag == 0)))
    assert np.all(g[~at0].imag <= 1e-10 * np.abs(g[~at0]))
    assert abs(z[1] * g[1] - 1) < 1e-4
    # the density integrates to 1 minus the atom, and its mean is eta (E A_ii = Var f)
    mass = rf.expect(lambda lam: np.ones_like(lam))
    assert mass == pytest.approx(1.0, abs=1e-9)
    assert rf.mass() + sum(m for _, m in rf.atoms()) == pytest.approx(1.0, abs=1e-15)
    assert rf.moment(1) == pytest.approx(rf.coefficients.eta, rel=1e-8)
    x = np.linspace(0, bound, 30)
    assert np.all(rf.density(x) >= 0)


def test_public_names():
    assert rd.RandomFeatures is RandomFeatures
    assert callable(rd.free_sum) and callable(rd.free_product)


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_real_axis_next_to_a_heavy_atom(activation):
    """ratio 1e4: an atom of mass 1 - 1e-4 at 0, the bulk near 1e3. On the real axis at
    x = 1e-12 .. 1e-6 the roots of the working polynomial span 16 orders of magnitude; g must
    be the pole plus a small real continuous part (a regression: the undecided points were
    once given g at |z| = 1e-10 bound, 6e5 instead of 1e12)."""
    law = RandomFeatures(1e4, 0.5, activation)
    (x0, m0), = law.atoms()
    assert x0 == 0.0 and abs(m0 - (1 - 1e-4)) < 1e-15
    x = np.array([1e-12, 1e-10, 1e-8, 1e-6, -1e-8])
    g, _, acc = law._fast_roots.stieltjes(x + 0j)
    assert acc.all()
    assert np.all(g.imag == 0.0)
    # continuous part u = g - m0/x: |u| <= 1e-4 / (distance to the bulk) (mass 1e-4)
    lower = law.support()[0][0]
    u_bound = 1e-4 / lower
    assert np.all(np.abs(g - m0 / x) <= u_bound + 4e-16 * np.abs(m0 / x))
    # the same from the roots at 50 digits
    hp, _, ok = law._fast_roots._high_precision_rule(x + 0j)
    assert ok.all() and np.max(np.abs(hp - g) / np.abs(hp)) < 1e-14


def test_continuation_fallback_near_zero():
    """The non-algebraic solver (fast path off) near z = 0: pole + Taylor-expanded continuous
    part with an atom, agreeing with the fast path; at ratio 1 (hard edge) it raises."""
    law = RandomFeatures(1e4, 0.5, "tanh")
    z = np.array([1e-200 + 0j, 1e-30 + 1e-31j, 1e-12 + 0j, 1e-6j, -1e-3 + 0j])
    g_fast = law.stieltjes(z)
    law.fast_path = False
    assert np.max(np.abs(law.stieltjes(z) - g_fast) / np.abs(g_fast)) < 1e-13
    hard = RandomFeatures(1.0, 0.5, "relu")
    hard.fast_path = False
    with pytest.raises(rd.ConvergenceError, match="hard edge"):
        hard.stieltjes(np.array([1e-12 + 0j]))


@pytest.mark.parametrize("gamma, phi, activation", [(0.5, 0.8, None), (2.0, 0.7, None),
                                                     (0.5, 0.8, "relu"), (2.0, 0.7, "tanh"),
                                                     (1.3, 2.0, "erf")])
def test_s_transform_inverts_the_moment_generating_function(gamma, phi, activation):
    """``S(w) = (1 + w)/w psi^{-1}(w)``, ``psi(u) = g(1/u)/u - 1``: ``u = S(w) w/(1 + w)``
    must give back ``w`` through ``stieltjes`` (the quartic's fast path, or the product),
    for ``w`` on both sides of 0; linear features also through the symbolic layer: the law
    of ``S`` (``equation_from_s``) is ``equation()``."""
    rf = rd.RandomFeatures(gamma, phi, activation)
    S = sp.lambdify(W, rf.s_transform(), "mpmath")
    m0 = max(0.0, 1 - 1 / gamma)  # the atom at 0: psi ranges over (m0 - 1, ...)
    for w in (-0.6 * (1 - m0), -0.1, 0.05):
        u = complex(S(w)) * w / (1 + w)
        assert abs(u.imag) < 1e-14 and u.real != 0
        back = rf.stieltjes(np.array([1 / u.real]))[0] / u.real - 1
        assert abs(back - w) < 1e-12, (w, back)
    if rf.is_linear:
        P, Q = equation_from_s(rf.s_transform()), rf.equation()
        assert sp.expand(P.as_expr() * Q.LC() - Q.as_expr() * P.LC()) == 0
    else:  # a neighbouring law does not pass
        other = rd.RandomFeatures(gamma * 1.01, phi, activation)
        w = -0.1
        u = complex(S(w)) * w / (1 + w)
        assert abs(other.stieltjes(np.array([1 / u.real]))[0] / u.real - 1 - w) > 1e-5


@pytest.mark.parametrize("gamma, phi, activation", [(0.5, 0.8, None), (2.0, 0.7, "erf"),
                                                     (0.8, 1.5, "tanh")])
def test_s_transform_against_samples(gamma, phi, activation):
    """The S-transform against seeded samples (N = 600, 4 seeds): at ``u = S(w) w/(1 + w)``
    (``u < 0``) the sample's ``psi_N(u) = (1/N) sum_i u l_i/(1 - u l_i)`` must be ``w``
    within 5 standard errors plus ``2/N`` (odd activations: no mean outlier in the sample).
    The S-transform of a law with a 10% larger ratio fails the same tolerance at some w."""
    n, seeds = 600, range(4)
    eigs = [np.linalg.eigvalsh(RandomFeatures(gamma, phi, activation).sample(n, rng=s))
            for s in seeds]
    m0 = max(0.0, 1 - 1 / gamma)
    for ratio, is_law in ((gamma, True), (1.1 * gamma, False)):
        S = sp.lambdify(W, RandomFeatures(ratio, phi, activation).s_transform(), "mpmath")
        passed = []
        for w in (-0.5 * (1 - m0), -0.1):
            u = float(complex(S(w)).real) * w / (1 + w)
            vals = np.array([np.mean(u * lam / (1 - u * lam)) for lam in eigs])
            err = abs(vals.mean() - w)
            passed.append(err <= 5 * vals.std(ddof=1) / math.sqrt(len(vals)) + 2 / n)
        assert all(passed) if is_law else not all(passed), (ratio, passed)
