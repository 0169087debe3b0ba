"""Population covariance (Silverstein's equation) and discrete laws: limits, samples, properties."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rmtdyn as rd
import rmtdyn.spectra.population as popmod
from rmtdyn.spectra.population import PopulationMarchenkoPastur
from rmtdyn.symbolic.symbols import G, W, Z


def sample_stats(spec, n, z, seeds, powers=(1, 2, 3)):
    """Replica means and standard errors of (1/n) tr (z - A)^{-1} and of (1/n) tr A^k."""
    g, m, evs = [], [], []
    for s in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(s)))
        evs.append(ev)
        g.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
        m.append([np.mean(ev**k) for k in powers])
    g, m = np.array(g), np.array(m)
    r = len(seeds)
    return (g.mean(0), g.std(0, ddof=1) / math.sqrt(r), m.mean(0), m.std(0, ddof=1) / math.sqrt(r),
            np.concatenate(evs))


def det_equiv_residual(spec, z, g):
    """|g - sum_j w_j/(z - c t_j)|, c = 1 - ratio + ratio z g (discrete population), divided by
    its rounding scale |g| + |dc| |d rhs/dc| with |dc| = |1 - ratio| + ratio |z g| (forming c
    cancels when ratio >> 1)."""
    t = spec.variance * spec.population.eigenvalues
    w = spec.population.weights
    c = 1 - spec.ratio + spec.ratio * z * g
    d = z[:, None] - c[:, None] * t[None, :]
    rhs = np.sum(w / d, axis=1)
    slope = np.abs(np.sum(w * t / d**2, axis=1))
    scale = np.abs(g) + (abs(1 - spec.ratio) + spec.ratio * np.abs(z * g)) * slope
    return np.abs(g - rhs) / np.maximum(scale, 1e-300)


# ------------------------------------------------------------------ DiscreteSpectrum
def test_discrete_spectrum_basics():
    d = rd.DiscreteSpectrum([3.0, 1.0, 3.0], [0.25, 0.5, 0.25])  # repeated atoms merge
    assert d.atoms() == ((1.0, 0.5), (3.0, 0.5))
    assert d.support() == ()
    z = np.array([2.0 + 1.0j, 0.5, 10.0])
    assert np.allclose(d.stieltjes(z), 0.5 / (z - 1) + 0.5 / (z - 3), rtol=1e-15)
    assert d.stieltjes(3.0) == complex(0, -np.inf)  # on an atom: never NaN
    assert np.all(d.density(np.linspace(0, 4, 9)) == 0)
    assert d.moment(3) == 0.5 + 0.5 * 27
    exact = [1, 0.5 * math.exp(-2) + 0.5 * math.exp(-6)]
    assert np.allclose(d.response(np.array([0.0, 2.0])), exact)
    a = d.sample(7)
    assert np.allclose(np.sort(np.diag(a)), [1, 1, 1, 1, 3, 3, 3]) or np.allclose(
        np.sort(np.diag(a)), [1, 1, 1, 3, 3, 3, 3])
    assert np.count_nonzero(a - np.diag(np.diag(a))) == 0
    P = d.equation()
    for zi in (2.0 + 1.0j, 0.3 - 0.2j):
        assert abs(complex(P.as_expr().subs({G: d.stieltjes(zi), Z: zi}))) < 1e-13


def test_discrete_spectrum_validation():
    with pytest.raises(ValueError, match="weights"):
        rd.DiscreteSpectrum([1.0, 2.0], [0.5, 0.6])
    with pytest.raises(ValueError, match="weights"):
        rd.DiscreteSpectrum([1.0, 2.0], [1.5, -0.5])
    with pytest.raises(ValueError, match="weights"):
        rd.DiscreteSpectrum([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="eigenvalues"):
        rd.DiscreteSpectrum([1.0, np.inf], [0.5, 0.5])
    with pytest.raises(TypeError, match="eigenvalues"):
        rd.DiscreteSpectrum(["a"], [1.0])
    # within the 1e-12 tolerance is accepted
    rd.DiscreteSpectrum([1.0, 2.0], [0.5, 0.5 + 5e-13])


# ------------------------------------------------------------ limits and closed forms
@pytest.mark.parametrize("ratio,variance", [(0.05, 1.0), (0.5, 2.0), (1.0, 1.0), (2.5, 0.7),
                                            (40.0, 1.0)])
def test_point_mass_population_is_plain_mp(ratio, variance):
    pm = rd.MarchenkoPastur(ratio, variance, population=([1.0], [1.0]))
    assert isinstance(pm, PopulationMarchenkoPastur)
    mp = rd.MarchenkoPastur(ratio, variance)
    (a, b), (a0, b0) = pm.support()[0], mp.support()[0]
    assert abs(a - a0) <= 1e-12 * b0 and abs(b - b0) <= 1e-12 * b0
    assert len(pm.support()) == 1
    assert pm.atoms() == mp.atoms() or np.allclose(pm.atoms(), mp.atoms(), rtol=1e-15)
    x = np.linspace(-1, 1.3 * b0, 3001)
    z = np.concatenate([x, x + 1e-6j, x + 0.3j, x - 0.1j])
    g, g0 = pm.stieltjes(z), mp.stieltjes(z)
    dist = np.min(np.abs(z[:, None] - np.array([a0, b0])[None, :]), axis=1)
    fine = np.isfinite(g0) & (dist > 1e-6 * b0)
    assert np.all(np.abs(g - g0)[fine] <= 1e-11 * np.abs(g0[fine]))
    # at an edge the root is a double one: the error is ~ sqrt(eps * |edge|) at worst
    near = np.isfinite(g0) & ~fine
    assert np.all(np.abs(g - g0)[near] <= 1e-6 * np.abs(g0[near]))
    assert np.all(g[~np.isfinite(g0)] == g0[~np.isfinite(g0)])  # the atom / hard edge at 0
    for k in range(6):
        assert abs(pm.moment(k) - mp.moment(k)) <= 1e-12 * mp.moment(k)


def test_moments_match_free_cumulant_formula_and_quadrature():
    t, w, gam, s2 = np.array([0.5, 2.0, 7.0]), np.array([0.2, 0.5, 0.3]), 0.37, 1.3
    pm = rd.MarchenkoPastur(gam, s2, population=(t, w))
    h = [float(np.sum(w * (s2 * t) ** n)) for n in range(5)]
    # non-crossing-partition (free multiplicative convolution with MP) formulas
    expected = [1.0, h[1], h[2] + gam * h[1] ** 2,
                h[3] + 3 * gam * h[1] * h[2] + gam**2 * h[1] ** 3,
                h[4] + gam * (4 * h[1] * h[3] + 2 * h[2] ** 2) + 6 * gam**2 * h[1] ** 2 * h[2]
                + gam**3 * h[1] ** 4]
    for k in range(5):
        assert abs(pm.moment(k) - expected[k]) <= 1e-12 * expected[k]
        # the density from the root solver, integrated by tanh-sinh, gives the same moments
        assert abs(pm.expect(lambda l, k=k: l**k) - expected[k]) <= 1e-10 * expected[k]


def test_two_point_population_against_samples():
    pm = rd.MarchenkoPastur(0.5, population=([1.0, 3.0], [0.5, 0.5]))
    z = np.array([0.5 + 0.3j, 2.0 + 0.3j, 4.0 + 1.0j, 6.0 + 0.1j, -0.5 + 0.1j])
    n = 800
    g, g_se, m, m_se, ev = sample_stats(pm, n, z, range(4))
    assert np.all(np.abs(g - pm.stieltjes(z)) <= 5 * g_se + 3.0 / n)
    exact = np.array([pm.moment(k) for k in (1, 2, 3)])
    assert np.all(np.abs(m - exact) <= 5 * m_se + 5.0 * exact / n)
    # a different population is rejected by the same tolerance
    other = rd.MarchenkoPastur(0.5, population=([1.0, 3.2], [0.5, 0.5]))
    assert np.any(np.abs(g - other.stieltjes(z)) > 5 * g_se + 3.0 / n)


def silverstein_choi_edges(t, w, ratio, dps=30):
    """Independent edges: critical points of x(v) = v + ratio v sum w t/(v - t), in mpmath."""
    with mpmath.workdps(dps):
        t = [mpmath.mpf(v) for v in t]
        w = [mpmath.mpf(v) for v in w]
        r = mpmath.mpf(ratio)
        x = lambda v: v + r * v * sum(wj * tj / (v - tj) for tj, wj in zip(t, w, strict=True))  # noqa
        dx = lambda v: 1 - r * sum(wj * tj**2 / (v - tj) ** 2 for tj, wj in zip(t, w, strict=True))  # noqa
        roots = []
        grid = mpmath.linspace(-20, 40, 3001)
        for lo, hi in zip(grid[:-1], grid[1:], strict=True):
            if any(lo < tj < hi for tj in t) or any(lo == tj or hi == tj for tj in t):
                continue
            if dx(lo) * dx(hi) < 0:
                roots.append(mpmath.findroot(dx, (lo, hi), solver="anderson"))
        return sorted(float(x(v)) for v in roots)


def test_splitting_population_has_two_intervals_with_exact_edges():
    pm = rd.MarchenkoPastur(0.1, population=([1.0, 10.0], [0.5, 0.5]))
    support = pm.support()
    assert len(support) == 2
    ref = silverstein_choi_edges([1.0, 10.0], [0.5, 0.5], 0.1)
    assert np.allclose(np.ravel(support), ref, rtol=1e-12, atol=0)
    # the density is positive just inside every edge and zero in the gap
    (a1, b1), (a2, b2) = support
    inner = np.array([a1 + 1e-6, b1 - 1e-6, a2 + 1e-6, b2 - 1e-6])
    assert np.all(pm.density(inner) > 0)
    assert np.all(pm.density(np.linspace(b1 + 1e-9, a2 - 1e-9, 50)) == 0)
    # mass 1/2 in each bulk; g real in the gap
    rule = pm.quadrature_rule
    first = rule.nodes < (b1 + a2) / 2
    assert abs(rule.weights[first].sum() - 0.5) < 1e-10
    assert np.all(pm.stieltjes(np.linspace(b1 + 1e-3, a2 - 1e-3, 20)).imag == 0)
    # samples: every eigenvalue in the support up to an edge allowance, half in each bulk
    ev = np.linalg.eigvalsh(pm.sample(800, np.random.default_rng(3)))
    allowance = 0.1 * (b2 - a1) * 800 ** (-2 / 3)
    assert np.all(((ev > a1 - allowance) & (ev < b1 + allowance))
                  | ((ev > a2 - allowance) & (ev < b2 + allowance)))
    assert np.mean(ev < (b1 + a2) / 2) == 0.5


def test_three_bulks_and_gap_closing():
    pm = rd.MarchenkoPastur(0.02, population=([1.0, 4.0, 16.0], [0.3, 0.3, 0.4]))
    assert len(pm.support()) == 3
    ref = silverstein_choi_edges([1.0, 4.0, 16.0], [0.3, 0.3, 0.4], 0.02)
    assert np.allclose(np.ravel(pm.support()), ref, rtol=1e-12, atol=0)
    merged = rd.MarchenkoPastur(1.0, population=([1.0, 4.0, 16.0], [0.3, 0.3, 0.4]))
    assert len(merged.support()) == 1


def test_density_population_against_samples():
    pop = rd.MarchenkoPastur(0.3)
    pm = rd.MarchenkoPastur(0.5, population=pop)
    z = np.array([0.5 + 0.3j, 1.5 + 0.2j, 3.0 + 0.5j, -0.3 + 0.1j])
    n = 600
    g, g_se, m, m_se, ev = sample_stats(pm, n, z, range(4))
    assert np.all(np.abs(g - pm.stieltjes(z)) <= 5 * g_se + 5.0 / n)
    exact = np.array([pm.moment(k) for k in (1, 2, 3)])
    assert np.all(np.abs(m - exact) <= 5 * m_se + 5.0 * exact / n)
    # moments: recursion vs free-cumulant formula vs the density by quadrature
    h = [pop.moment(k) for k in range(4)]
    assert abs(pm.moment(2) - (h[2] + 0.5 * h[1] ** 2)) < 1e-12
    assert abs(pm.moment(3) - (h[3] + 1.5 * h[1] * h[2] + 0.25 * h[1] ** 3)) < 1e-12
    for k in range(4):
        assert abs(pm.expect(lambda l, k=k: l**k) - pm.moment(k)) < 1e-8 * pm.moment(k)
    (a, b), = pm.support()
    assert a - 0.05 < ev.min() and ev.max() < b + 0.2


def test_density_population_matches_discrete_path_for_a_point_mass():
    """A generic Spectrum population goes through Newton-with-continuation: compare to MP."""
    pm = rd.MarchenkoPastur(0.7, 1.2, population=1.0 * rd.MarchenkoPastur(1e-12) + 0.0)
    mp = rd.MarchenkoPastur(0.7, 1.2)
    z = np.array([0.3 + 0.2j, 1.5 + 1e-3j, 4.0, -1.0, 2.0])
    assert np.allclose(pm.stieltjes(z), mp.stieltjes(z), rtol=1e-5)


def test_newton_path_agrees_with_polynomial_path(monkeypatch):
    spec = dict(ratio=0.3, variance=1.0, population=([0.5, 2.0, 6.0], [0.3, 0.3, 0.4]))
    x = np.linspace(-1, 12, 301)
    z = np.concatenate([x + 0.2j, x + 1e-4j, x])
    by_roots = rd.MarchenkoPastur(**spec)
    monkeypatch.setattr(popmod, "MAX_POLYNOMIAL_ATOMS", 0)
    by_newton = rd.MarchenkoPastur(**spec)
    assert not by_newton._polynomial and by_roots._polynomial
    g1, g2 = by_roots.stieltjes(z), by_newton.stieltjes(z)
    assert np.max(np.abs(g1 - g2) / np.abs(g1)) < 1e-9
    assert np.allclose(by_roots.support(), by_newton.support(), rtol=1e-14)


def test_many_atoms_use_newton_and_match_samples():
    lam = np.linspace(0.5, 3.0, 20)
    pm = rd.MarchenkoPastur(0.4, population=(lam, np.full(20, 0.05)))
    assert not pm._polynomial
    z = np.array([0.5 + 0.3j, 2.0 + 0.3j, 5.0 + 0.5j])
    g, g_se, m, m_se, _ = sample_stats(pm, 600, z, range(3))
    assert np.all(np.abs(g - pm.stieltjes(z)) <= 5 * g_se + 3.0 / 600)
    assert np.max(det_equiv_residual(pm, z, pm.stieltjes(z))) < 1e-12


def test_zero_eigenvalues_in_the_population():
    pm = rd.MarchenkoPastur(0.5, population=([0.0, 2.0], [0.4, 0.6]))
    assert pm.atoms() == ((0.0, 0.4),)
    assert pm.stieltjes(0.0) == complex(0, -np.inf)
    ev = np.linalg.eigvalsh(pm.sample(500, 0))
    assert np.mean(np.abs(ev) < 1e-10) == 0.4
    assert abs(pm.expect(lambda l: np.ones_like(l)) - 1) < 1e-12
    assert abs(pm.quadrature_rule.weights[:-1].sum() - 0.6) < 1e-10
    # ratio large: the atom is 1 - 1/ratio
    pm = rd.MarchenkoPastur(4.0, population=([0.0, 2.0], [0.4, 0.6]))
    assert np.allclose(pm.atoms(), ((0.0, 0.75),))
    z = np.array([0.5 + 0.5j, 3.0 + 0.1j])
    assert np.max(det_equiv_residual(pm, z, pm.stieltjes(z))) < 1e-12


def test_equation_is_derived_and_satisfied():
    pm = rd.MarchenkoPastur(0.25, 2.0, population=([1.0, 3.0], [0.25, 0.75]))
    P = pm.equation()
    assert P.gens == (G, Z) and P.degree(G) == 3
    f = sp.lambdify((G, Z), P.as_expr(), "numpy")
    scale = sp.lambdify((G, Z), sum(abs(c) * abs(G) ** i * abs(Z) ** j
                                    for (i, j), c in P.terms()), "numpy")
    z = np.array([1.0 + 0.5j, 5.0 + 0.01j, 3.0, 20.0, -2.0, 0.0])
    g = pm.stieltjes(z)
    assert np.all(np.abs(f(g, z)) <= 1e-13 * scale(g, z))


def test_s_transform_inverts_psi():
    """S(w) = (1 + w)/w psi^{-1}(w) with psi(u) = g(1/u)/u - 1: checked through stieltjes."""
    for pop in (rd.MarchenkoPastur(0.3), ([2.0], [1.0])):
        pm = rd.MarchenkoPastur(0.5, 1.5, population=pop)
        S = sp.lambdify(W, pm.s_transform(), "numpy")
        for w in (-0.3, -0.1, 0.2):
            u = S(w) * w / (1 + w)
            psi = pm.stieltjes(1 / u) / u - 1
            assert abs(psi - w) < 1e-12


def test_high_precision_path():
    pytest.importorskip("rmtdyn.symbolic.highprec")
    pm = rd.MarchenkoPastur(0.1, population=([1.0, 10.0], [0.5, 0.5]))
    z = np.array([2.0 + 0.5j, 3.0, 1.0])
    g30 = pm.stieltjes(z, dps=30)
    P = pm.equation()
    with mpmath.workdps(30):
        for zi, gi in zip(z, g30, strict=True):
            val = sum(mpmath.mpf(int(c)) * gi**i * mpmath.mpc(zi) ** j for (i, j), c in P.terms())
            assert abs(val) < mpmath.mpf(10) ** -25
    assert np.allclose(np.array(g30, dtype=complex), pm.stieltjes(z), rtol=1e-13)


# ------------------------------------------------------------------ sweeps
populations = st.integers(1, 3).flatmap(lambda k: st.tuples(
    st.lists(st.floats(0.05, 20), min_size=k, max_size=k, unique=True),
    st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k)))


SWEEP = dict(pop=populations, log_ratio=st.floats(-6, 4), exact_one=st.booleans(),
             variance=st.floats(0.1, 10), zero_mass=st.sampled_from([0.0, 0.0, 0.3]),
             re=st.floats(-30, 60), im=st.floats(-20, 20))


@pytest.mark.slow
@settings(deadline=None, max_examples=2000)
@given(**SWEEP)
def test_sweep_thousands_of_draws(pop, log_ratio, exact_one, variance, zero_mass, re, im):
    test_sweep_no_nan_physical_branch.hypothesis.inner_test(
        pop, log_ratio, exact_one, variance, zero_mass, re, im)


@settings(deadline=None, max_examples=40)
@given(**SWEEP)
def test_sweep_no_nan_physical_branch(pop, log_ratio, exact_one, variance, zero_mass, re, im):
    lam, w = np.array(pop[0]), np.array(pop[1])
    w = (1 - zero_mass) * w / w.sum()
    if zero_mass:
        lam, w = np.append(lam, 0.0), np.append(w, zero_mass)
    w = w / w.sum()
    ratio = 1.0 if exact_one else 10.0**log_ratio
    pm = rd.MarchenkoPastur(ratio, variance, population=(lam, w))
    edges = np.ravel(pm.support())
    assert np.all(np.diff(edges) > 0) and edges[0] >= 0
    far = 1e250 * np.exp(1j * math.atan2(im, re))  # far out in the direction of (re, im)
    z = np.concatenate([[complex(re, im), complex(re, 0), 0j, far],
                        edges.astype(complex), edges + 1e-7j])
    g = pm.stieltjes(z)
    assert not np.any(np.isnan(g.real) | np.isnan(g.imag))
    inf = ~np.isfinite(g)
    pole = np.where(z[inf].imag < 0, complex(0, np.inf), complex(0, -np.inf))  # g(conj z) = conj g
    assert np.all(np.abs(z[inf]) < 1e-300) and np.all(g[inf] == pole)
    gf, zf = g[~inf], z[~inf]
    assert np.all(gf.imag[zf.imag > 0] <= 1e-14 * np.abs(gf[zf.imag > 0]))
    assert np.all(gf.imag[zf.imag < 0] >= -1e-14 * np.abs(gf[zf.imag < 0]))
    assert abs(g[3] * z[3] - 1) < 1e-6  # g ~ 1/z
    # (the residual form cancels catastrophically next to the pole at 0: checked apart there)
    moderate = (np.abs(zf) < 1e100) & ((np.abs(zf) > 1e-8) | (pm.mass() == 1))
    res = det_equiv_residual(pm, zf[moderate], gf[moderate])
    near_edge = np.min(np.abs(zf[moderate][:, None] - edges[None, :]), axis=1) < 1e-6
    assert np.all(res[~near_edge] < 1e-11)
    assert np.all(res[near_edge] < 1e-6)
    # density >= 0 and the continuous mass is 1 - atoms
    x = np.linspace(-1, edges[-1] * 1.1, 200)
    assert np.all(pm.density(x) >= 0)
    n_atoms = len(pm.atoms())
    cont = pm.quadrature_rule.weights[: len(pm.quadrature_rule.weights) - n_atoms].sum()
    assert abs(cont - pm.mass()) < 1e-8
    assert abs(pm.expect(lambda l: l) - pm.moment(1)) < 1e-8 * pm.moment(1)


DENSITY_SWEEP = dict(pop_ratio=st.one_of(st.just(1.0), st.floats(0.01, 10)),
                     scale=st.floats(0.1, 10), shift=st.sampled_from([0.0, 0.0, 0.5]),
                     log_ratio=st.floats(-3, 2), exact_one=st.booleans(),
                     re=st.floats(-1, 40), im=st.floats(-5, 5))


@settings(deadline=None, max_examples=8)
@given(**DENSITY_SWEEP)
def test_density_population_sweep(pop_ratio, scale, shift, log_ratio, exact_one, re, im):
    """A population with a density (and possibly an atom at 0): Newton with continuation."""
    pop = scale * rd.MarchenkoPastur(pop_ratio) + shift
    pm = rd.MarchenkoPastur(1.0 if exact_one else 10.0**log_ratio, population=pop)
    edges = np.ravel(pm.support())
    assert np.all(np.diff(edges) > 0) and edges[0] >= 0
    z = np.concatenate([[complex(re, im), complex(re, 0.0), 0j, 1e-12, 1e250j], edges])
    g = pm.stieltjes(z)
    assert not np.any(np.isnan(g.real) | np.isnan(g.imag))
    fin = np.isfinite(g)
    assert np.all(np.abs(z[~fin]) < 1e-300)
    assert np.all(g[fin & (z.imag > 0)].imag <= 1e-12 * np.abs(g[fin & (z.imag > 0)]))
    assert abs(g[4] * z[4] - 1) < 1e-6
    assert np.all(pm.density(np.linspace(-1, edges[-1] * 1.1, 50)) >= 0)
    assert abs(pm.quadrature_rule.weights.sum() - 1) < 1e-8
    assert abs(pm.expect(lambda l: l) - pm.moment(1)) < 1e-8 * pm.moment(1)


@pytest.mark.slow
@settings(deadline=None, max_examples=150)
@given(**DENSITY_SWEEP)
def test_density_population_sweep_many(pop_ratio, scale, shift, log_ratio, exact_one, re, im):
    test_density_population_sweep.hypothesis.inner_test(
        pop_ratio, scale, shift, log_ratio, exact_one, re, im)


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="ratio"):
        rd.MarchenkoPastur(0.0, population=([1.0], [1.0]))
    with pytest.raises(ValueError, match="variance"):
        rd.MarchenkoPastur(0.5, -1.0, population=([1.0], [1.0]))
    with pytest.raises(ValueError, match="weights"):
        rd.MarchenkoPastur(0.5, population=([1.0, 2.0], [0.5, 0.4]))
    with pytest.raises(ValueError, match="population eigenvalues must be >= 0"):
        rd.MarchenkoPastur(0.5, population=([-1.0, 2.0], [0.5, 0.5]))
    with pytest.raises(ValueError, match="population eigenvalues must be >= 0"):
        rd.MarchenkoPastur(0.5, population=rd.Wigner())
    with pytest.raises(TypeError, match="population"):
        rd.MarchenkoPastur(0.5, population="identity")
    with pytest.raises(ValueError, match="population"):
        rd.MarchenkoPastur(0.5, population=([0.0], [1.0]))
    with pytest.raises(TypeError, match="z"):
        rd.MarchenkoPastur(0.5, population=([1.0], [1.0])).stieltjes("1")
