"""Population covariance (Silverstein's equation) and discrete laws: limits, samples, properties."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
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


def test_discrete_spectrum_high_precision():
    """The dps closed form against the algebraic route (root of ``equation()``), and the atom."""
    from rmtdyn.symbolic.highprec import stieltjes_from_equation

    d = rd.DiscreteSpectrum([0.5, 2.0, 7.25], [0.2, 0.5, 0.3])
    z = np.array([1 + 1j, 3.0, -2 - 0.5j, 1e-8j, 1e12])
    got = d.stieltjes(z, dps=40)
    ref = stieltjes_from_equation(d.equation(), z, d.stieltjes(z), 40)
    with mpmath.workdps(40):
        for gi, ri in zip(got, ref, strict=True):
            assert abs(gi - ri) < mpmath.mpf(10) ** -38 * abs(ri)
    atom = d.stieltjes(np.array([2.0, 2.0 - 0j]), dps=30)
    assert all(mpmath.isinf(a.imag) and a.imag < 0 for a in atom)


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


def hp_points(spec):
    """Points for the dps tests: both half planes, inside and outside the support, the
    negative axis, 1e-6 and 1e-10 (relative) from each edge on both sides, each edge exactly
    and one ulp to either side."""
    (a, b), = spec.support()
    z = [1 + 1j, 0.3 - 0.2j, 0.5 * (a + b), 0.2 * a + 0.8 * b, b + 1.0, -2.0]
    for e in (a, b):
        z += [e * (1 - 1e-6), e * (1 + 1e-6), e * (1 - 1e-10), e * (1 + 1e-10),
              e, np.nextafter(e, 0.0), np.nextafter(e, np.inf)]
    return np.array(z, dtype=complex)


HP_TOL = mpmath.mpf(10) ** -40


@pytest.mark.parametrize("ratio,pop_ratio", [(0.5, 0.25), (2.0, 0.3)])
def test_dps_density_population_against_two_independent_routes(ratio, pop_ratio):
    """``stieltjes(z, dps=50)`` of a population with a density (Newton on Silverstein's
    equation in mpmath with the population's own dps g and g') against (i) the algebraic route
    of the same law, ``free_product(MP(ratio), MP(pop_ratio))`` (root of the resultant
    equation), and (ii) the test's mpmath solve with the MP closed form at ``z + 1e-100 i |z|``
    (certified by Im v > 0)."""
    pm = rd.MarchenkoPastur(ratio, population=rd.MarchenkoPastur(pop_ratio))
    fp = rd.free_product(rd.MarchenkoPastur(ratio), rd.MarchenkoPastur(pop_ratio))
    z = hp_points(pm)
    got = pm.stieltjes(z, dps=50)
    algebraic = fp.stieltjes(z, dps=50)
    seed = lambda w: pm._solve_v(np.array([w]))[0]  # noqa: E731
    edges = np.ravel(pm.support())
    with mpmath.workdps(60):
        for zi, gi, ai in zip(z, got, algebraic, strict=True):
            near = np.min(np.abs(zi - edges)) < 1e-5 * abs(zi)
            ref = reference_density(lambda v: mp_marchenko_pastur(v, _mpf(repr(pop_ratio))),
                                    repr(ratio), "1.0", zi, seed, near, digits=70, depth=100)
            assert abs(gi - ai) < HP_TOL * abs(ai), (zi, gi, ai)
            assert abs(gi - ref) < HP_TOL * abs(ref), (zi, gi, ref)
            assert gi.imag <= 0 if zi.imag >= 0 else gi.imag >= 0


def test_dps_at_the_hard_edge_and_the_atom():
    """The regime of the original defect (ratio exactly 1, population reaching 0 like
    1/sqrt(t), |z| ~ 1e-254): dps=50 against the test's mpmath solve; and a population with an
    atom at 0 at the hard edge of its non-zero part (gamma (1 - h0) = 1)."""
    for ratio, pop in ((1.0, rd.MarchenkoPastur(1.0)), (2.0, rd.MarchenkoPastur(2.0))):
        pm = rd.MarchenkoPastur(ratio, population=pop)
        c = repr(pop.ratio)
        seed = lambda w, pm=pm: pm._solve_v(np.array([w]))[0]  # noqa: E731
        z = np.array([9.4e-254, -9.4e-254, 1e-100 * np.exp(2j), 1e-200j, 1e-30 - 1e-31j])
        got = pm.stieltjes(z, dps=50)
        with mpmath.workdps(60):
            for zi, gi in zip(z, got, strict=True):
                ref = reference_density(lambda v, c=c: mp_marchenko_pastur(v, _mpf(c)),
                                        repr(ratio), "1.0", zi, seed, False, digits=70, depth=100)
                assert abs(gi - ref) < HP_TOL * abs(ref), (ratio, zi, gi, ref)
    # an atom of A at 0: the pole passes through, as in double precision
    pm = rd.MarchenkoPastur(2.0, population=rd.MarchenkoPastur(0.3))
    g0 = pm.stieltjes(np.array([0.0]), dps=30)[0]
    assert mpmath.isinf(g0.imag) and g0.imag < 0


def test_dps_shifted_semicircle_and_nested_populations():
    """Populations given as an affine map of a semicircle (dps through the chain rule) and as a
    population covariance with a density itself (dps by the same solver, recursively),
    against the algebraic route of the same laws."""
    z = np.array([1 + 1j, 2.0, 0.4 - 0.1j])
    pm = rd.MarchenkoPastur(0.5, population=rd.Wigner(1.0) + 3.0)
    fp = rd.free_product(rd.MarchenkoPastur(0.5), rd.Wigner(1.0) + 3.0)
    inner = rd.MarchenkoPastur(0.5, population=rd.MarchenkoPastur(0.3))
    nested = rd.MarchenkoPastur(0.2, population=inner)
    nested_fp = rd.free_product(rd.MarchenkoPastur(0.2),
                                rd.free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3)))
    for spec, other in ((pm, fp), (nested, nested_fp)):
        got, ref = spec.stieltjes(z, dps=50), other.stieltjes(z, dps=50)
        with mpmath.workdps(50):
            for zi, gi, ri in zip(z, got, ref, strict=True):
                assert abs(gi - ri) < HP_TOL * abs(ri), (zi, gi, ri)


def test_dps_population_without_a_high_precision_path_raises():
    # a callable activation that takes floats only: its coefficients exist in double precision
    pop = rd.RandomFeatures(0.5, 2.0, activation=np.tanh)
    pm = rd.MarchenkoPastur(0.5, population=pop)
    assert np.isfinite(pm.stieltjes(np.array([1 + 1j]))).all()
    with pytest.raises(NotImplementedError, match="no high-precision path"):
        pm.stieltjes(np.array([1 + 1j]), dps=30)


# ------------------------------------------------------------------ sweeps
# Independent references in mpmath. Both solve Silverstein's equation x(v) = z at z + i eps
# (eps = 1e-30 |z|: the limit from above at real z, to far below double precision) and pick
# the root by the uniqueness theorem of Silverstein & Bai (the only root with Im v > 0), with
# their own closed forms of the population; nothing of rmtdyn's solver is reused.
def _mpf(x):
    """A float as its exact binary value (the double-precision comparisons); a string as the
    decimal it spells at the working precision (the dps comparisons: rmtdyn's high-precision
    paths read parameters as the decimals they print as)."""
    return mpmath.mpf(x) if isinstance(x, str) else mpmath.mpf(float(x))


def _poly_mul(p, q):
    out = [mpmath.mpf(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            out[i + j] += a * b
    return out


def reference_discrete(lam, w, ratio, variance, z):
    """``g(z)`` for a discrete population: all roots of ``prod_j (v - t_j) (x(v) - z)``
    (``mpmath.polyroots``, at enough digits to resolve a root of size ``|z|``), exactly one of
    them with ``Im v > 0``; the atom at 0 of the population split off exactly."""
    scale = 1.0 + max(lam) * variance
    dps = 50 + max(0, math.ceil(-math.log10(abs(z) / scale)))
    with mpmath.workdps(dps):
        t = [_mpf(a) * _mpf(variance) for a in lam]
        wm = [_mpf(b) for b in w]
        wm = [b / sum(wm) for b in wm]  # a probability law exactly (the hard edge is exact)
        h0 = sum((b for a, b in zip(t, wm, strict=True) if a == 0), mpmath.mpf(0))
        tw = [(a, b / (1 - h0)) for a, b in zip(t, wm, strict=True) if a != 0]
        gam = _mpf(ratio) * (1 - h0)
        zz = mpmath.mpc(z.real, abs(z.imag))
        zz += mpmath.mpc(0, mpmath.mpf(10) ** -30 * abs(zz))
        q = [mpmath.mpf(1)]
        inner = [mpmath.mpf(0)]
        for j, (a, b) in enumerate(tw):
            q = _poly_mul(q, [mpmath.mpf(1), -a])
            part = [b * a]
            for k, (c, _) in enumerate(tw):
                if k != j:
                    part = _poly_mul(part, [mpmath.mpf(1), -c])
            inner = [mpmath.mpf(0)] * (len(part) - len(inner)) + inner
            inner = [x + y for x, y in zip(inner, part, strict=True)]
        # v Q(v) + gamma' v sum_j w_j t_j prod_{k != j} (v - t_k) - z Q(v) = 0 (highest first)
        inner = [mpmath.mpf(0)] * (len(q) - len(inner)) + inner
        poly = [a + gam * b - c for a, b, c in zip(q + [0], inner + [0], [0] + [zz * c for c in q],
                                                   strict=True)]
        roots = mpmath.polyroots(poly, maxsteps=400, extraprec=3 * dps)
        upper = [r for r in roots if r.imag > 0]
        assert len(upper) == 1, (z, roots)
        v = upper[0]
        gt = sum(b / (v - a) for a, b in tw)
        g = (h0 + (1 - h0) * v * gt) / zz
        return complex(mpmath.conj(g) if z.imag < 0 else g)


def _secant(f, v0, digits):
    """Secant iteration for a root of ``f`` known to ``digits`` significant digits (the working
    precision minus what ``f`` loses to cancellation): second start ``v0 (1 + 10^(-digits/3))``
    (far closer than two roots that meet at an edge, far above the noise of ``f``); stops
    when the relative residual ``|f|`` is below ``10^-(digits - 10)`` (``f`` is normalised: a
    step-size rule fails where ``f`` is very steep, e.g. at the pole, and
    ``mpmath.findroot``'s is absolute)."""
    a, b = v0, v0 * (1 + mpmath.mpf(10) ** -(digits // 3))
    fa, fb = f(a), f(b)
    for _ in range(200):
        if fb == fa or abs(fb) < mpmath.mpf(10) ** -(digits - 10):
            break
        a, fa, b = b, fb, b - fb * (b - a) / (fb - fa)
        fb = f(b)
    assert abs(fb) < mpmath.mpf(10) ** -(digits - 15), fb
    return b


def mp_marchenko_pastur(v, gam):
    """Unit-variance MP in mpmath: product of principal roots, the minus form at the pole."""
    lo, hi = (1 - mpmath.sqrt(gam)) ** 2, (1 + mpmath.sqrt(gam)) ** 2
    r = mpmath.sqrt(v - lo) * mpmath.sqrt(v - hi)
    p, m = v - (1 - gam) + r, v - (1 - gam) - r
    return 2 / p if abs(p) >= abs(m) else m / (2 * gam * v)


def mp_semicircle(v):
    return 2 / (v + mpmath.sqrt(v - 2) * mpmath.sqrt(v + 2))


def reference_density(g_pop, ratio, variance, z, seed, near_edge, digits=45, depth=30):
    """``g(z)`` for a population with an mpmath ``g_pop`` (atom included): secant on
    ``x(v)/z = 1`` with ``x(v) = v (1 - gamma) + gamma v^2 g_T(v)``, ``g_T(v) =
    g_pop(v/s2)/s2``, at ``z + i eps``, accepted only with ``Im v > 0`` (the unique such root).
    ``seed(w)`` is a double-precision start at ``w``. Away from the edges one solve at
    ``eps = 10^-depth |z|`` from ``seed(z)``; next to an edge, where two roots are only
    ``~sqrt(eps)`` apart, the root is followed from ``eps = 1e-2 |z|`` down (factors of 100,
    each solve seeded by the previous one). ``digits`` significant digits; the terms of ``x``
    are ``~ gamma |v|`` and cancel down to ``|z|``: that many extra digits."""
    z0c = complex(z.real, abs(z.imag))
    stages = range(1, depth // 2 + 1) if near_edge else [depth // 2]
    first = z0c + 1j * 10.0 ** (-2 * stages[0]) * abs(z0c) if near_edge else z0c
    v0 = complex(seed(first))
    if v0 == 0 and first != 0:  # rmtdyn does not solve |z| < 1e-300 (g(0) there): seed from
        up = 1.000001e-300 / abs(first)  # the same direction at |z| = 1e-300, v ~ z near 0
        v0 = complex(seed(first * up)) / up
    lost = math.log10(1 + float(ratio)) + math.log10(max(abs(v0), 1e-300)) - math.log10(abs(z))
    dps = digits + max(0, math.ceil(lost))
    with mpmath.workdps(dps):
        gam, s2 = _mpf(ratio), _mpf(variance)
        z0 = mpmath.mpc(z0c.real, z0c.imag)
        g_t = lambda v: g_pop(v / s2) / s2  # noqa: E731
        v = mpmath.mpc(v0.real, v0.imag)
        for k in stages:
            zz = z0 + mpmath.mpc(0, mpmath.mpf(10) ** (-2 * k) * abs(z0))
            f = lambda v, zz=zz: (v * (1 - gam) + gam * v * (v * g_t(v))) / zz - 1  # noqa: E731
            v = _secant(f, v, digits)
        assert v.imag > 0, (z, v)
        g = v * g_t(v) / zz
        return mpmath.conj(g) if z.imag < 0 else +g


def sweep_points(pm, logs, angles, extra=()):
    """Hypothesis points ``10^log e^{i angle}``, plus ``|z| = 1e-300`` and ``1e12`` in four
    directions, 0 (the atom / hard edge), every edge exactly, next to it and ``+1e-7 i``,
    and the mirror images of all of them."""
    edges = np.ravel(pm.support())
    dirs = np.exp(1j * np.array([0.0, 0.5, np.pi / 2, np.pi]))
    z = [10.0**lg * np.exp(1j * a) for lg, a in zip(logs, angles, strict=True)]
    z += list(1.000001e-300 * dirs) + list(1e12 * dirs) + [0j, *extra]
    z += list(edges) + list(edges * (1 + 1e-9)) + list(edges * (1 - 1e-9)) + list(edges + 1e-7j)
    z = np.array(z, dtype=complex)
    return np.concatenate([z, np.conj(z)]), edges


def check_sweep(pm, z, edges, reference, sample, residual):
    """The checks of the sweeps; ``reference(z, near_edge)`` is the independent value,
    ``sample`` a mask
    of the points where it is computed, ``residual(z, g)`` Silverstein's residual over its
    rounding scale. Returns the worst reference errors (away from / next to an edge)."""
    g = pm.stieltjes(z)
    assert not np.any(np.isnan(g.real) | np.isnan(g.imag))
    inf = ~np.isfinite(g)
    # infinite only at the documented pole (|z| < 1e-300 with an atom or hard edge at 0),
    # and then -i inf above the axis, +i inf below (g(conj z) = conj g(z))
    assert np.all(np.abs(z[inf]) < 1e-300)
    assert np.all(g[inf] == np.where(z[inf].imag < 0, complex(0, np.inf), complex(0, -np.inf)))
    fin = ~inf
    gf, zf = g[fin], z[fin]
    up, down = zf.imag >= 0, zf.imag < 0
    assert np.all(gf.imag[up] <= 1e-12 * np.abs(gf[up]))
    assert np.all(gf.imag[down] >= -1e-12 * np.abs(gf[down]))
    dist = np.min(np.abs(z[:, None] - edges[None, :]), axis=1) / np.maximum(np.abs(z), 1e-300) \
        if edges.size else np.full(z.shape, np.inf)
    half = z.size // 2  # conj symmetry off the axis (the second half are the mirror images;
    # the two halves are separate solves, which may differ by rounding for a population that
    # is itself solved iteratively with warm starts). Newton stops at a residual of 64 eps
    # of the terms, and at a relative distance d from a square-root edge the root's
    # condition number is ~1/sqrt(d): two solves may differ by twice 64 eps/sqrt(d) there
    # (edge + 1e-7 i: 1.0e-12 measured, 2.6e-10 allowed)
    both = fin[:half] & fin[half:] & (z[:half].imag != 0)
    allowed = 1e-12 + 2 * 64 * np.finfo(float).eps / np.sqrt(np.clip(dist[:half], 1e-300, 1.0))
    assert np.all(np.abs(g[half:][both] - np.conj(g[:half][both]))
                  <= allowed[both] * np.abs(g[:half][both]))
    # g ~ 1/z: z g = 1 + m1/z + O((R/z)^2), R the largest point of the law (+ rounding)
    reach = max(np.max(np.abs(edges)) if edges.size else 0.0,
                max((abs(a) for a, _ in pm.atoms()), default=0.0))
    far = np.abs(zf) >= 1e4 * (1.0 + reach)
    dev = np.abs(zf[far] * gf[far] - 1 - pm.moment(1) / zf[far])
    assert np.all(dev <= 4 * ((1 + reach) / np.abs(zf[far])) ** 2 + 1e-15)
    res = residual(zf, gf)
    near = dist[fin] < 1e-6
    ok = np.isfinite(res)
    assert np.all(res[ok & ~near] < 1e-10) and np.all(res[ok & near] < 1e-6)
    worst = [0.0, 0.0]
    for k in np.flatnonzero(sample & fin):
        # g(0) (finite when gamma' < 1 and E[1/t] < inf) is g at |z| < 1e-300
        edge = dist[k] < 1e-6
        ref = reference(z[k] if z[k] != 0 else complex(1e-300, 0.0), edge)
        err = abs(g[k] - ref) / abs(ref)
        # next to an edge the root is nearly double: its relative error is ~sqrt(eps |z|/d)
        assert err < (1e-4 if edge else 1e-9), (z[k], g[k], ref)
        worst[int(edge)] = max(worst[int(edge)], err)
    return worst


def silverstein_residual_discrete(pm):
    """``det_equiv_residual`` away from the pole at 0 (where the deterministic-equivalent form
    cancels catastrophically: those points are checked against the reference instead)."""
    def residual(z, g):
        out = np.full(z.shape, np.nan)
        mass = sum(m for _, m in pm.atoms())
        ok = (np.abs(z) < 1e100) & ((np.abs(z) > 1e-8 * pm._scale) | (mass == 0)) & (
            np.abs(z) > 1e-150)
        out[ok] = det_equiv_residual(pm, z[ok], g[ok])
        return out
    return residual


def silverstein_residual_density(pm):
    """``|x(v) - z|`` over its rounding scale, ``v = z/c``, ``c = 1 - gamma + gamma z g``, with
    the population's own ``g_T`` (at real z, a ``v`` below the axis means the mirror root:
    ``g_T`` is then taken at ``conj v``). The scale is ``|v (1 - gamma)| + gamma |v^2 g_T| +
    |z|`` plus ``|x'(v) v| (|1 - gamma| + gamma |z g|)/|c|``: forming ``c`` cancels when
    ``gamma >> 1`` (``x'`` by a central difference)."""
    # the ratio of the law actually solved (within 1e-12 of the hard edge: exactly it)
    gam = pm.active_ratio / (1 - pm.zero_mass)

    def x_of(v):
        g_t = pm.population.stieltjes(v / pm.variance) / pm.variance
        return v * (1 - gam) + gam * v * (v * g_t), np.abs(v * (1 - gam)) + \
            gam * np.abs(v * v * g_t)

    def residual(z, g):
        # only for |z| > 1e-8 scale: next to 0 the population's own double-precision g need not
        # resolve v (a shifted law, W + 2, does not below eps |shift|), so this residual would
        # test the population; those points are checked against the reference instead
        out = np.full(z.shape, np.nan)
        ok = (np.abs(z) < 1e100) & (np.abs(z) > 1e-8 * pm._scale)
        zz, gg = z[ok], g[ok]
        c = 1 - gam + gam * zz * gg
        v = zz / c
        v = np.where((zz.imag == 0) & (v.imag < 0), np.conj(v), v)
        x, size = x_of(v)
        h = 1e-6
        dx = (x_of(v * (1 + h))[0] - x_of(v * (1 - h))[0]) / (2 * h * v)
        scale = size + np.abs(zz) + np.abs(dx * v) * (abs(1 - gam) + gam * np.abs(zz * gg)) / \
            np.abs(c)
        out[ok] = np.abs(x - zz) / scale
        return out
    return residual


DISCRETE_SWEEP = dict(
    pop=st.integers(1, 3).flatmap(lambda k: st.tuples(
        st.lists(st.floats(0.05, 20), min_size=k, max_size=k, unique=True),
        st.lists(st.floats(0.05, 1.0), min_size=k, max_size=k))),
    ratio=st.one_of(st.sampled_from([1e-8, 1.0, 1e6, "hard edge"]),
                    st.floats(-8, 6).map(lambda e: 10.0**e)),
    variance=st.floats(-1, 1).map(lambda e: 10.0**e),
    zero_mass=st.sampled_from([0.0, 0.0, 0.3]),
    logs=st.lists(st.floats(-300, 12), min_size=6, max_size=6),
    angles=st.lists(st.one_of(st.sampled_from([0.0, np.pi, np.pi / 2, 1e-12, np.pi - 1e-12]),
                              st.floats(-np.pi, np.pi)), min_size=6, max_size=6))


def discrete_case(pop, ratio, variance, zero_mass, logs, angles):
    lam, w = np.array(pop[0]), np.array(pop[1])
    w = (1 - zero_mass) * w / w.sum()
    if zero_mass:
        lam, w = np.append(lam, 0.0), np.append(w, zero_mass)
    w = w / w.sum()
    if ratio == "hard edge":  # gamma (1 - h0) = 1: the hard edge of the non-zero directions
        ratio = 1.0 / (1.0 - w[lam == 0].sum())
    pm = rd.MarchenkoPastur(ratio, variance, population=(lam, w))
    edges = np.ravel(pm.support())
    assert np.all(np.diff(edges) > 0) and edges[0] >= 0
    z, edges = sweep_points(pm, logs, angles)
    # the reference at the hypothesis points, the extreme ones and the edges (first half)
    sample = np.zeros(z.shape, dtype=bool)
    sample[: z.size // 2] = True
    worst = check_sweep(pm, z, edges,
                        lambda zi, _: reference_discrete(lam, w, pm.ratio, variance, zi),
                        sample, silverstein_residual_discrete(pm))
    # density >= 0 and the continuous mass is 1 - atoms
    x = np.linspace(-1, edges[-1] * 1.1, 200)
    assert np.all(pm.density(x) >= 0)
    n_atoms = len(pm.atoms())
    cont = pm.quadrature_rule.weights[: len(pm.quadrature_rule.weights) - n_atoms].sum()
    assert abs(cont - pm.mass()) < 1e-8
    return worst


@settings(deadline=None, max_examples=30)
@given(**DISCRETE_SWEEP)
def test_sweep_discrete_populations(pop, ratio, variance, zero_mass, logs, angles):
    """Discrete populations over the whole parameter space: ratio 1e-8 ... 1e6 and the hard
    edge, |z| from 1e-300 to 1e12 in every direction, exactly on the edges and the atom."""
    discrete_case(pop, ratio, variance, zero_mass, logs, angles)


@pytest.mark.slow
@settings(deadline=None, max_examples=600)
@given(**DISCRETE_SWEEP)
def test_sweep_discrete_populations_many(pop, ratio, variance, zero_mass, logs, angles):
    discrete_case(pop, ratio, variance, zero_mass, logs, angles)


def density_population(kind, c, scale, shift):
    """``(population, mpmath g, atom mass at 0)``: ``scale MP(c) + shift`` or a semicircle of
    variance ``scale^2`` placed at ``2 scale + shift`` (touching 0 when ``shift = 0``)."""
    if kind == "mp":
        pop = scale * rd.MarchenkoPastur(c) + shift
        cm, sm, hm = _mpf(c), _mpf(scale), _mpf(shift)
        return pop, (lambda v: mp_marchenko_pastur((v - hm) / sm, cm) / sm), \
            (max(0.0, 1 - 1 / c) if shift == 0 else 0.0)
    pop = scale * rd.Wigner() + (2 * scale + shift)
    sm, hm = _mpf(scale), _mpf(2 * scale + shift)
    return pop, (lambda v: mp_semicircle((v - hm) / sm) / sm), 0.0


DENSITY_SWEEP = dict(
    kind=st.sampled_from(["mp", "mp", "wigner"]),
    c=st.one_of(st.sampled_from([1.0, 2.0, 4.0]), st.floats(0.01, 10)),
    scale=st.floats(-1, 1).map(lambda e: 10.0**e),
    shift=st.sampled_from([0.0, 0.0, 0.5]),
    ratio=st.one_of(st.sampled_from([1e-8, 1.0, 1e6, "hard edge"]),
                    st.floats(-8, 6).map(lambda e: 10.0**e)),
    logs=st.lists(st.floats(-300, 12), min_size=4, max_size=4),
    angles=st.lists(st.one_of(st.sampled_from([0.0, np.pi, np.pi / 2, 1e-12]),
                              st.floats(-np.pi, np.pi)), min_size=4, max_size=4))


def density_case(kind, c, scale, shift, ratio, logs, angles):
    pop, g_pop, h0 = density_population(kind, c, scale, shift)
    if ratio == "hard edge":  # gamma (1 - h0) = 1; for scale MP(c), h0 = 1 - 1/c: ratio c
        ratio = c if h0 > 0 else 1.0
    pm = rd.MarchenkoPastur(ratio, population=pop)
    edges = np.ravel(pm.support())
    assert np.all(np.diff(edges) > 0) and edges[0] >= 0
    z, edges = sweep_points(pm, logs, angles)
    # a ratio within 1e-12 of the hard edge is solved as exactly the hard edge (documented):
    # the reference then takes gamma (1 - h0) = 1 exactly (ratio c for scale MP(c), c > 1)
    ref_ratio = pm.ratio
    if pm.active_ratio == 1.0 and pm.ratio * (1 - pm.zero_mass) != 1.0:
        ref_ratio = c if h0 > 0 else 1.0
    # v of rmtdyn only seeds the reference's secant; Im v > 0 certifies the reference root
    seed = lambda w: pm._solve_v(np.array([w]))[0]  # noqa: E731
    sample = np.zeros(z.size, dtype=bool)
    sample[: z.size // 2] = True
    worst = check_sweep(pm, z, edges,
                        lambda zi, edge: complex(reference_density(g_pop, ref_ratio, 1.0, zi,
                                                                   seed, edge)),
                        sample, silverstein_residual_density(pm))
    assert np.all(pm.density(np.linspace(-1, edges[-1] * 1.1, 50)) >= 0)
    # (the tanh-sinh rule loses ~sqrt(eps width) of the mass at a 1/sqrt edge away from 0:
    # nodes closer than eps |edge| to it round onto it)
    assert abs(pm.quadrature_rule.weights.sum() - 1) < 1e-7
    return worst


@settings(deadline=None, max_examples=12)
@given(**DENSITY_SWEEP)
def test_sweep_density_populations(kind, c, scale, shift, ratio, logs, angles):
    """Populations with a density (MP, a semicircle touching 0 or not, atoms at 0) over the
    same parameter space, against an mpmath solve with the population's closed form."""
    density_case(kind, c, scale, shift, ratio, logs, angles)


@pytest.mark.slow
@settings(deadline=None, max_examples=300)
@given(**DENSITY_SWEEP)
def test_sweep_density_populations_many(kind, c, scale, shift, ratio, logs, angles):
    density_case(kind, c, scale, shift, ratio, logs, angles)


def free_product_population(a, b):
    """``MP(a) ⊠ MP(b)`` and its ``g`` in mpmath, as the Silverstein law of ``MP(b)`` at ratio
    ``a`` (an inner secant with the MP closed form, seeded by rmtdyn's double-precision root and
    certified by ``Im w > 0``): independent of the free-product solvers."""
    pop = rd.free_product(rd.MarchenkoPastur(a), rd.MarchenkoPastur(b))
    inner = rd.MarchenkoPastur(a, population=rd.MarchenkoPastur(b))
    am, bm = _mpf(a), _mpf(b)

    def g(u):
        lower = u.imag < 0
        uu = mpmath.conj(u) if lower else u
        if uu == 0:  # (an outer secant step can land on 0): the limit from above, far below
            uu = mpmath.mpc(0, mpmath.mpf(10) ** (-2 * mpmath.mp.dps))  # every digit kept
        w0 = complex(inner._solve_v(np.array([complex(uu)]))[0])
        # the inner terms ~ a |w| cancel down to |u| (w -> w* != 0 at the atom when a > 1)
        lost = math.log10(1 + a) + math.log10(max(abs(w0), 1e-300)) - float(mpmath.log10(abs(uu)))
        with mpmath.workdps(mpmath.mp.dps + max(0, math.ceil(lost))):
            f = lambda w: (w * (1 - am) + am * w * (w * mp_marchenko_pastur(w, bm))) / uu - 1  # noqa
            w = _secant(f, mpmath.mpc(w0.real, w0.imag), 45)
            assert w.imag > 0 or uu.imag == 0, (u, w)
            out = w * mp_marchenko_pastur(w, bm) / uu
        return mpmath.conj(out) if lower else out
    return pop, g


FREE_PRODUCT_SWEEP = dict(
    factors=st.sampled_from([(0.5, 0.25), (0.5, 1.0), (2.0, 0.3)]),
    ratio=st.one_of(st.sampled_from([1e-8, 1.0, 1e6]), st.floats(-8, 6).map(lambda e: 10.0**e)),
    logs=st.lists(st.floats(-300, 12), min_size=3, max_size=3),
    angles=st.lists(st.one_of(st.sampled_from([0.0, np.pi, np.pi / 2]),
                              st.floats(-np.pi, np.pi)), min_size=3, max_size=3))


def free_product_case(factors, ratio, logs, angles):
    pop, g_pop = free_product_population(*factors)
    pm = rd.MarchenkoPastur(ratio, population=pop)
    edges = np.ravel(pm.support())
    assert np.all(np.diff(edges) > 0) and edges[0] >= 0
    z, edges = sweep_points(pm, logs, angles)
    # within 1e-12 of the hard edge rmtdyn solves gamma = 1 exactly (documented; these
    # populations have no atom at 0): so does the reference
    ref_ratio = 1.0 if pm.active_ratio == 1.0 else pm.ratio
    seed = lambda w: pm._solve_v(np.array([w]))[0]  # noqa: E731
    # the nested mpmath reference is slow: the hypothesis points, the extremes and one edge
    sample = np.zeros(z.size, dtype=bool)
    sample[: len(logs)] = True
    sample[len(logs): len(logs) + 8] = True  # |z| = 1e-300 and 1e12, four directions each
    sample[z.size // 2 - 4 * (edges.size)] = True  # the first edge, exactly
    return check_sweep(pm, z, edges,
                       lambda zi, edge: complex(reference_density(g_pop, ref_ratio, 1.0, zi, seed,
                                                                  edge)),
                       sample, silverstein_residual_density(pm))


@settings(deadline=None, max_examples=3)
@given(**FREE_PRODUCT_SWEEP)
def test_sweep_free_product_populations(factors, ratio, logs, angles):
    """Free products as the population (one reaching 0 like 1/sqrt(t)), over the same space."""
    free_product_case(factors, ratio, logs, angles)


@pytest.mark.slow
@settings(deadline=None, max_examples=60)
@given(**FREE_PRODUCT_SWEEP)
@example(factors=(0.5, 0.25), ratio=1 - 2.4e-13, logs=[0.0] * 3, angles=[0.0] * 3)
@example(factors=(0.5, 0.25), ratio=1 + 2.4e-13, logs=[0.0] * 3, angles=[0.0] * 3)
@example(factors=(0.5, 1.0), ratio=1.0, logs=[0.0] * 3, angles=[0.0, 0.0, 2e-7])
def test_sweep_free_product_populations_many(factors, ratio, logs, angles):
    """(The examples: within 1e-12 of the hard edge, solved as it, as documented.)"""
    free_product_case(factors, ratio, logs, angles)


@pytest.mark.parametrize("z", [9.4e-254, 1e-300 * (1 + 1e-6), 3e-120, 1e-40, 1e-12])
def test_hard_edge_of_a_population_reaching_zero(z):
    """The original defect: ratio exactly 1 and H = MP(1) (density ~ 1/sqrt(t) at 0) gave
    values of the wrong phase for |z| < ~1e-250. Near 0, ``g_T(v) = 1/2 - i/sqrt(v) + O(sqrt v)``
    so ``z = v^2 g_T(v) ~ -i v^(3/2)`` and ``g = v g_T(v)/z ~ e^(-i pi/3) z^(-2/3)`` for
    ``z > 0`` (``v = (i z)^(2/3)``, the root with ``Im v > 0``), up to a relative
    ``O(z^(1/3))``; in the other directions the same power law with its own phase. Checked
    against that asymptote and against the mpmath reference."""
    pm = rd.MarchenkoPastur(1.0, population=rd.MarchenkoPastur(1.0))
    for direction in (1.0, 1j, -1.0, np.exp(0.7j), -1j):
        zz = z * direction
        g = complex(pm.stieltjes(np.array([zz]))[0])
        zu = complex(zz.real, abs(zz.imag))
        # the cube roots of (i z)^2: v^(3/2) = i z, the one in the closed upper half plane
        roots = [(1j * zu) ** (2 / 3) * np.exp(2j * np.pi * k / 3) for k in range(3)]
        v = min((r for r in roots if r.imag >= -1e-12 * abs(r)),
                key=lambda r: abs((-1j) * r * np.sqrt(r) - zu))  # the true root of -i v^(3/2) = z
        lead = -1j * np.sqrt(v) / zu
        lead = np.conj(lead) if zz.imag < 0 else lead
        assert abs(g / lead - 1) < 4 * abs(z) ** (1 / 3) + 1e-13, (zz, g, lead)
        seed = lambda w: pm._solve_v(np.array([w]))[0]  # noqa: E731
        ref = complex(reference_density(lambda v: mp_marchenko_pastur(v, mpmath.mpf(1)), 1.0,
                                        1.0, zz, seed, False))
        assert abs(g - ref) < 1e-12 * abs(ref), (zz, g, ref)
        assert (g.imag <= 0) if zz.imag >= 0 else (g.imag >= 0)


def test_derivative_for_compositions():
    """``g'`` (used when a population law is an operand of a free sum or product, or itself a
    population) by implicit differentiation of (S), against a central difference of ``g``
    (complex step 1e-5 |z|, error ~1e-10) and, for a discrete population, against
    ``-P_z/P_g`` of its equation."""
    from rmtdyn.spectra.free import stieltjes_and_derivative

    z = np.array([1 + 1j, 0.2 + 0.05j, 5 - 0.5j, -1 + 1e-3j, 3.0, 40.0])
    for pm in (rd.MarchenkoPastur(0.3, population=([0.0, 1.0, 4.0], [0.2, 0.4, 0.4])),
               rd.MarchenkoPastur(1.0, population=rd.MarchenkoPastur(1.0)),
               rd.MarchenkoPastur(4.0, population=2 * rd.MarchenkoPastur(2.0))):
        g, dg = stieltjes_and_derivative(pm, z)
        assert np.allclose(g, pm.stieltjes(z), rtol=1e-14, atol=0)
        h = 1e-5 * np.abs(z)
        fd = (pm.stieltjes(z + h) - pm.stieltjes(z - h)) / (2 * h)
        assert np.all(np.abs(dg - fd) <= 1e-8 * np.abs(dg)), (pm, dg, fd)
        if pm.discrete:
            P = pm.equation()
            pg = sp.lambdify((G, Z), sp.diff(P.as_expr(), G), "numpy")
            pz = sp.lambdify((G, Z), sp.diff(P.as_expr(), Z), "numpy")
            assert np.allclose(dg, -pz(g, z) / pg(g, z), rtol=1e-10, atol=0)


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
