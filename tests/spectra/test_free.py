"""Free sums and products: closed forms / exact algebra against finite-N samples."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rmtdyn as rd
from rmtdyn.errors import ConvergenceError
from rmtdyn.spectra.free import (
    FreeProduct,
    FreeSum,
    free_cumulants,
    free_product,
    free_sum,
    haar_orthogonal,
    moments_from_free_cumulants,
)

try:  # the symbolic engineer's module (resultants); only the equation checks need it
    from rmtdyn.symbolic.algebra import support_edges_from_equation
    HAVE_ALGEBRA = True
except ImportError:  # pragma: no cover
    HAVE_ALGEBRA = False
needs_algebra = pytest.mark.skipif(not HAVE_ALGEBRA, reason="rmtdyn.symbolic.algebra not available")


def sampled_stieltjes(spec, z, n, seeds):
    """Mean and standard error over seeds of (1/n) tr (z - A)^{-1} for samples A of ``spec``."""
    vals = []
    for seed in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(seed)))
        vals.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
    vals = np.array(vals)
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / math.sqrt(len(seeds))


def equation_residual(P, g, z):
    """|P(g, z)| relative to the sum of the moduli of its terms."""
    total = np.zeros(np.shape(z), dtype=complex)
    scale = np.zeros(np.shape(z))
    for (i, j), c in P.terms():
        term = float(c) * g**i * z**j
        total += term
        scale += np.abs(term)
    return np.abs(total) / scale


Z_TEST = np.array([0.3 + 0.5j, -1.2 + 0.05j, 2.5 + 1e-3j, 0.7 + 0.0j, -4.0 + 0.0j, 6.0 + 3.0j,
                   1e-9j + 1.1, 40.0 - 2.0j])


# ------------------------------------------------------------------ free cumulants
def test_free_cumulants_of_wigner_and_mp_and_round_trip():
    # Wigner(v): kappa_2 = v, others 0.  MP(c): kappa_n = c^{n-1} (R(w) = 1/(1 - c w)).
    w = rd.Wigner(1.7)
    kw = free_cumulants([w.moment(k) for k in range(9)])
    assert np.allclose(kw, [0, 1.7, 0, 0, 0, 0, 0, 0], atol=1e-12)
    mp = rd.MarchenkoPastur(0.4)
    kmp = free_cumulants([mp.moment(k) for k in range(9)])
    assert np.allclose(kmp, [0.4 ** (n - 1) for n in range(1, 9)], rtol=1e-12)
    back = moments_from_free_cumulants(kmp)
    assert np.allclose(back, [mp.moment(k) for k in range(9)], rtol=1e-12)


# ------------------------------------------------------------------ Wigner + Wigner
def test_sum_of_wigners_is_wigner_everywhere():
    s = free_sum(rd.Wigner(1.0), rd.Wigner(2.0))
    ref = rd.Wigner(3.0)
    g, gref = s.stieltjes(Z_TEST), ref.stieltjes(Z_TEST)
    assert np.max(np.abs(g - gref)) < 1e-12
    x = np.linspace(-3.4, 3.4, 41)
    assert np.max(np.abs(s.density(x) - ref.density(x))) < 1e-12
    (a, b), = s.support()
    assert abs(a + 2 * math.sqrt(3)) < 1e-12 and abs(b - 2 * math.sqrt(3)) < 1e-12
    assert [s.moment(k) for k in range(7)] == pytest.approx([ref.moment(k) for k in range(7)],
                                                            abs=1e-12)
    assert s.atoms() == ()


def test_sum_shapes_and_conjugate_symmetry():
    s = free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5))
    z = np.array([[0.5 + 0.2j, 0.5 - 0.2j], [2.0 + 1.0j, 2.0 - 1.0j]])
    g = s.stieltjes(z)
    assert g.shape == (2, 2)
    assert np.allclose(g[:, 1], np.conj(g[:, 0]), atol=1e-15)


# ------------------------------------------------------------------ Wigner + MP
@needs_algebra
def test_wigner_plus_mp_polynomial_residual_and_edges():
    s = free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5))
    P = s.equation()
    g = s.stieltjes(Z_TEST)
    assert np.max(equation_residual(P, g, Z_TEST)) < 1e-12
    x = np.linspace(-3, 5, 33)
    assert np.max(equation_residual(P, s.stieltjes(x), x.astype(complex))) < 1e-12
    edges = [e for e in support_edges_from_equation(P)]
    found = [v for ab in s.support() for v in ab]
    for v in found:  # every edge we report is a real root of the discriminant
        assert min(abs(v - e) for e in edges) < 1e-12 * max(1.0, abs(v))


def test_wigner_plus_mp_against_haar_samples_and_moments():
    s = free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5))
    z = np.array([0.5 + 0.3j, 2.0 + 0.5j, -1.0 + 0.2j, 3.5 + 0.3j])
    mean, se = sampled_stieltjes(s, z, 600, range(4))
    g = s.stieltjes(z)
    # standard error over seeds plus an O(1/N) finite-size allowance
    assert np.all(np.abs(mean - g) < 4 * se + 2.0 / 600)
    # moments: free cumulants (exact) vs tanh-sinh quadrature of the computed density
    for k in range(1, 6):
        assert s.moment(k) == pytest.approx(s.expect(lambda lam, k=k: lam**k), rel=1e-9, abs=1e-9)
    # cumulant additivity, by hand: m2 = var_w + (m2 - m1^2)_mp + m1^2 = 1 + 0.5 + 1
    assert s.moment(2) == pytest.approx(2.5, abs=1e-13)
    assert s.expect(lambda lam: np.ones_like(lam)) == pytest.approx(1.0, abs=1e-10)


# ------------------------------------------------------------------ MP x MP
def mp_product_cubic(g, z, c1, c2):
    """Relative residual of the cubic g(1+c1 w)(1+c2 w) = w, w = zg - 1.

    (S = 1/((1 + c1 w)(1 + c2 w)), paper-notes §3.4, typed in by hand.)"""
    w = z * g - 1
    return np.abs(g * (1 + c1 * w) * (1 + c2 * w) - w) / (np.abs(w) + np.abs(g) + 1e-300)


@pytest.mark.parametrize("c1, c2", [(0.5, 0.3), (2.0, 0.5), (1.0, 1.0), (0.05, 4.0)])
def test_mp_product_closed_form_cubic_atoms_and_moments(c1, c2):
    p = free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    z = np.concatenate([Z_TEST, np.linspace(0.01, 8.0, 17)])
    assert np.max(mp_product_cubic(p.stieltjes(z), z, c1, c2)) < 1e-12
    # atom at 0: max of the operands' atoms
    m0 = max(0.0, 1 - 1 / c1, 1 - 1 / c2)
    assert sum(m for loc, m in p.atoms() if loc == 0.0) == pytest.approx(m0, abs=1e-15)
    # moments of MP(c1) x MP(c2): S-series vs exact low moments m1 = 1, m2 = 1 + c1 + c2,
    # m3 = 1 + 3(c1 + c2) + c1^2 + c2^2 + 3 c1 c2 (from the cubic's series)
    assert p.moment(1) == pytest.approx(1.0, abs=1e-12)
    assert p.moment(2) == pytest.approx(1 + c1 + c2, rel=1e-12)
    assert p.moment(3) == pytest.approx(1 + 3 * (c1 + c2) + c1**2 + c2**2 + 3 * c1 * c2, rel=1e-12)
    # density integrates to 1 - atoms; quadrature moments agree with the series
    assert p.mass() == pytest.approx(1 - m0, abs=1e-15)
    assert p.expect(lambda lam: lam**2) == pytest.approx(p.moment(2), rel=1e-8)


@pytest.mark.parametrize("c1, c2", [(0.5, 0.3), (2.0, 0.5), (28.0, 1.0), (1.0, 1.0)])
def test_product_exactly_on_edges_and_at_zero(c1, c2):
    p = free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    (a, b), = p.support()
    edges = np.array([a, b])
    keep = edges > 0
    g = p.stieltjes(edges[keep])
    # finite, physical side; at a square-root edge g is only determined to ~sqrt(eps)
    assert np.all(np.isfinite(g)) and np.all(g.imag <= 1e-7 * np.abs(g))
    assert np.max(mp_product_cubic(g, edges[keep], c1, c2)) < 1e-10
    # at 0: the pole of the atom or of the hard edge is -i inf (as for MarchenkoPastur);
    # otherwise 0 lies in the gap below the support and g(0) is real, on the cubic
    g0 = p.stieltjes(np.array([0.0]))
    if a == 0.0 or p.atoms():
        assert g0[0] == complex(0.0, -np.inf)
    else:
        assert np.isfinite(g0[0]) and g0[0].imag == 0.0 and g0[0].real < 0
        assert mp_product_cubic(g0, np.array([0.0]), c1, c2)[0] < 1e-12


def test_mp_product_with_identity_like_factor_reduces_to_mp():
    # MP(c) x MP(eps) -> MP(c) as eps -> 0 (the second factor concentrates at 1)
    c = 0.5
    p = free_product(rd.MarchenkoPastur(c), rd.MarchenkoPastur(1e-6))
    z = np.array([0.5 + 0.1j, 1.5 + 0.0j, 3.0 + 0.0j, -1.0 + 0.0j])
    assert np.max(np.abs(p.stieltjes(z) - rd.MarchenkoPastur(c).stieltjes(z))) < 1e-5


def test_mp_product_against_samples():
    p = free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(2.0))
    z = np.array([0.3 + 0.3j, 1.0 + 0.5j, 3.0 + 0.5j])
    mean, se = sampled_stieltjes(p, z, 600, range(4))
    assert np.all(np.abs(mean - p.stieltjes(z)) < 4 * se + 2.0 / 600)
    ev = np.linalg.eigvalsh(p.sample(600, np.random.default_rng(9)))
    frac0 = np.mean(ev < 1e-8)
    assert frac0 == pytest.approx(0.5, abs=2.0 / 600)


@pytest.mark.parametrize("c1, c2", [(0.5, 0.3), (0.05, 4.0)])
def test_product_support_edges_match_critical_points(c1, c2):
    # Independent closed form: on the cubic, w = zg - 1 parametrises g = w/((1+c1 w)(1+c2 w)),
    # z(w) = (1+w)(1+c1 w)(1+c2 w)/w; edges are the critical values z(w*), z'(w*) = 0, i.e.
    # the real roots of w(1+c1w)(1+c2w) + c1 w(1+w)(1+c2w) + c2 w(1+w)(1+c1w) - (1+w)(1+c1w)(1+c2w).
    P = np.polynomial.Polynomial
    w, one = P([0, 1]), P([1])
    a, b, c = one + w, one + c1 * w, one + c2 * w
    crit = (w * b * c + c1 * w * a * c + c2 * w * a * b - a * b * c).roots()
    crit = crit[np.abs(crit.imag) < 1e-9].real
    values = [(1 + x) * (1 + c1 * x) * (1 + c2 * x) / x for x in crit]
    p = free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    for edge in [v for ab in p.support() for v in ab]:
        assert min(abs(edge - v) for v in values) < 1e-12 * max(1.0, edge)


# ------------------------------------------------------------------ composition and atoms
def test_composition_is_closed_and_matches_samples():
    x, y = rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.25)
    comp = free_sum(free_product(x, y), rd.Wigner(0.5))
    assert isinstance(comp, FreeSum) and isinstance(comp.a, FreeProduct)
    z = np.array([0.2 + 0.4j, 1.5 + 0.3j, 3.0 + 0.3j])
    mean, se = sampled_stieltjes(comp, z, 500, range(4))
    assert np.all(np.abs(mean - comp.stieltjes(z)) < 4 * se + 2.0 / 500)
    # moments of the composite (S-series inside cumulant additivity) vs sampled traces
    traces = []
    for seed in range(4):
        ev = np.linalg.eigvalsh(comp.sample(500, np.random.default_rng(100 + seed)))
        traces.append([np.mean(ev**k) for k in (1, 2, 3)])
    traces = np.array(traces)
    se = traces.std(axis=0, ddof=1) / 2
    exact = np.array([comp.moment(k) for k in (1, 2, 3)])
    assert np.all(np.abs(traces.mean(axis=0) - exact) < 4 * se + 5.0 / 500 * np.abs(exact))
    # product of a positive sum: closed under both operations
    pos = free_product(free_sum(x, y), rd.MarchenkoPastur(0.3))
    assert pos.moment(1) == pytest.approx(2.0, rel=1e-12)  # means multiply
    assert np.all(pos.stieltjes(np.array([1.0 + 0.5j])).imag < 0)


@pytest.mark.slow
def test_composite_density_quadrature_matches_series_moments():
    comp = free_sum(free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.25)),
                    rd.Wigner(0.5))
    for k in (1, 2, 3):
        assert comp.moment(k) == pytest.approx(comp.expect(lambda lam, k=k: lam**k), rel=1e-8)


def test_sum_atoms_from_operand_atoms():
    a = rd.MarchenkoPastur(4.0)  # atom 0.75 at 0
    b = rd.MarchenkoPastur(5.0) + 1.0  # atom 0.8 at 1
    s = free_sum(a, b)
    (loc, mass), = s.atoms()
    assert loc == 1.0 and mass == pytest.approx(0.55, abs=1e-14)
    # the pole of g at the atom: eps g(1 + i eps) -> -i * 0.55
    eps = 1e-7
    pole = 1j * eps * s.stieltjes(np.array([1 + 1j * eps]))[0]
    assert pole.real == pytest.approx(0.55, abs=1e-4)
    ev = np.linalg.eigvalsh(s.sample(400, np.random.default_rng(1)))
    assert np.mean(np.abs(ev - 1.0) < 1e-8) == pytest.approx(0.55, abs=2 / 400)


def test_haar_orthogonal_is_orthogonal_and_unbiased():
    o = haar_orthogonal(50, np.random.default_rng(0))
    assert np.allclose(o @ o.T, np.eye(50), atol=1e-12)
    # E O_11^2 = 1/n over draws: mean of 200 draws within 4 SE
    vals = [haar_orthogonal(20, np.random.default_rng(s))[0, 0] ** 2 for s in range(200)]
    assert abs(np.mean(vals) - 1 / 20) < 4 * np.std(vals) / math.sqrt(200)


# ------------------------------------------------------------------ bad input
def test_bad_input_raises():
    with pytest.raises(ValueError, match="free_product"):
        free_product(rd.Wigner(1.0), rd.MarchenkoPastur(0.5))
    with pytest.raises(ValueError, match="free_product"):
        free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.5) - 0.5)
    with pytest.raises(TypeError, match="a must be"):
        free_sum(1.0, rd.Wigner(1.0))
    with pytest.raises(TypeError, match="b must be"):
        free_product(rd.MarchenkoPastur(0.5), "mp")
    s = free_sum(rd.Wigner(1.0), rd.Wigner(1.0))
    with pytest.raises(TypeError):
        s.stieltjes(["a"])
    with pytest.raises(ValueError):
        s.stieltjes(np.array([np.nan]))


def test_convergence_error_carries_residual():
    err = ConvergenceError("x", 1e-3, 5)
    assert err.residual == 1e-3 and err.iterations == 5


# ------------------------------------------------------------------ hypothesis sweeps
ratios = st.floats(min_value=-3.0, max_value=3.0).map(lambda e: float(10**e))


@settings(deadline=None, max_examples=12, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(v=st.floats(0.05, 20.0), c=ratios, shift=st.floats(-3, 3),
       re=st.floats(-30, 30), im=st.sampled_from([0.0, 1e-12, 1e-6, 0.1, 5.0]))
def test_sweep_sum_branch(v, c, shift, re, im):
    s = free_sum(rd.Wigner(v), rd.MarchenkoPastur(c) + shift)
    z = np.array([re + 1j * im, 1e4 + 1e3j, re + 1j * im * 10])
    g = s.stieltjes(z)
    assert np.all(np.isfinite(g))
    assert np.all(g.imag <= 1e-12 * np.abs(g))
    assert abs(z[1] * g[1] - 1) < 1e-2
    ref = free_sum(rd.Wigner(v), rd.MarchenkoPastur(c) + shift).stieltjes(np.array([re + 1j]))
    assert np.all(ref.imag < 0)


# Ratios in [0.1, 10] including the hard edge 1 (see the report for more extreme ratios).
product_ratios = st.one_of(st.sampled_from([1.0, 0.1, 10.0]),
                           st.floats(min_value=-1.0, max_value=1.0).map(lambda e: float(10**e)))


@settings(deadline=None, max_examples=6, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(c1=product_ratios, c2=product_ratios)
def test_sweep_product_density_and_mass(c1, c2):
    p = free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    sup = p.support()
    assert len(sup) == 1
    x = np.linspace(sup[0][0], sup[0][1], 41)
    rho = p.density(x)
    assert np.all(np.isfinite(rho)) and np.all(rho >= 0)
    assert p.mass() + sum(m for _, m in p.atoms()) == pytest.approx(1.0)
    # (a hard edge at 0, alone (rho ~ x^{-1/2}), doubled (x^{-2/3}) or next to an atom, is
    # resolved only down to 1e-15 (1e-9 with the atom) of the scale: measured mass errors up
    # to 1.5e-4, see the report)
    assert p.expect(lambda lam: np.ones_like(lam)) == pytest.approx(1.0, abs=3e-4)
    assert p.expect(lambda lam: lam) == pytest.approx(1.0, rel=1e-5)
    g = p.stieltjes(np.array([0.5 * (sup[0][0] + sup[0][1]), -1e-3, 2 * sup[0][1]]))
    assert np.all(np.isfinite(g)) and np.all(g.imag <= 1e-12 * np.abs(g))
    # residual of the closed-form cubic on the returned branch
    z = np.array([sup[0][1] * 1.5, 0.5 * (sup[0][0] + sup[0][1]) + 1e-3j, -2.0])
    assert np.max(mp_product_cubic(p.stieltjes(z), z, c1, c2)) < 1e-10
