"""Free sums and products of equations, against independent routes and seeded finite-N samples."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rmtdyn as rd
from rmtdyn.symbolic.algebra import affine_equation, free_product_equation, free_sum_equation
from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.support import support_edges_from_equation, support_from_equation
from rmtdyn.symbolic.symbols import G, Z


def proportional(p, q) -> bool:
    p, q = sp.Poly(p, G, Z), sp.Poly(q, G, Z)
    return sp.expand(p.as_expr() * q.LC() - q.as_expr() * p.LC()) == 0


def coefficient_arrays(P):
    """Coefficients of P in g (highest first) as functions of z, for numpy evaluation."""
    P = sp.Poly(P, G, Z)
    deg = P.degree(G)
    return [sp.lambdify(Z, P.as_expr().coeff(G, k) if k else P.as_expr().subs(G, 0), "numpy")
            for k in range(deg, -1, -1)]


def real_axis_density(P, x):
    """Density from an equation with real coefficients and at most one conjugate pair of roots.

    Rule: on the real axis the physical g(x + i0) is the root with Im g < 0 when one exists
    (for degree <= 3 there is at most one such root), otherwise g is real and rho = 0.
    """
    coeffs = coefficient_arrays(P)
    assert len(coeffs) <= 4
    out = np.empty(len(x))
    for i, xi in enumerate(x):
        roots = np.roots([complex(np.broadcast_to(c(xi), ())) for c in coeffs])
        out[i] = max(0.0, -roots.imag.min()) / np.pi
    return out


def relative_residual(P, g, z):
    P = sp.Poly(P, G, Z)
    total, scale = 0j, 0.0
    for (i, k), c in P.terms():
        term = complex(c) * g**i * z**k
        total = total + term
        scale = scale + np.abs(term)
    return np.abs(total) / scale


def subordination_wigner_plus(base, variance, z, iters=50):
    """g of Wigner(variance) ⊞ base by Pastur's equation g = g_base(z - variance g) (Im z > 0).

    Independent of the resultant: damped fixed-point iteration using base's closed-form g.
    """
    g = 1.0 / z
    for _ in range(200):
        g = 0.5 * g + 0.5 * base.stieltjes(z - variance * g)
    # Newton on F(g) = g - g_base(z - v g), derivative by a central difference of g_base
    h = 1e-6
    for _ in range(iters):
        u = z - variance * g
        f = g - base.stieltjes(u)
        dgb = (base.stieltjes(u + h) - base.stieltjes(u - h)) / (2 * h)
        step = f / (1 + variance * dgb)
        g = g - step
        if np.max(np.abs(step) / (1 + np.abs(g))) < 1e-13:
            return g
    raise AssertionError("subordination did not converge")


def free_moments_sum(ma, mb):
    """m1..m4 of a ⊞ b from free independence (phi of alternating centred words vanishes)."""
    m1 = ma[1] + mb[1]
    m2 = ma[2] + mb[2] + 2 * ma[1] * mb[1]
    m3 = ma[3] + mb[3] + 3 * ma[2] * mb[1] + 3 * ma[1] * mb[2]
    abab = ma[2] * mb[1] ** 2 + ma[1] ** 2 * mb[2] - ma[1] ** 2 * mb[1] ** 2
    m4 = (ma[4] + mb[4] + 4 * ma[3] * mb[1] + 4 * ma[1] * mb[3]
          + 4 * ma[2] * mb[2] + 2 * abab)
    return [1, m1, m2, m3, m4]


def physical_root_by_continuation(P, z, steps=200):
    """g(z) on the physical branch of P, by continuation from infinity (Im z > 0).

    Rule: start at z + 1e3 i where the physical root is the one nearest 1/z, then follow
    the nearest root along the vertical path down to z (geometric steps in Im z).
    """
    from rmtdyn.solvers import polynomial_roots

    coeffs = coefficient_arrays(P)[::-1]  # lowest degree first
    z = np.asarray(z, dtype=complex)
    g = 1.0 / (z.real + 1j * (z.imag + 1e3))
    for h in list(np.geomspace(1e3, 1e-9, steps)) + [0.0]:
        zz = z + 1j * h
        roots = polynomial_roots(np.stack([np.broadcast_to(c(zz), z.shape) for c in coeffs], -1))
        g = roots[np.arange(len(z)), np.argmin(np.abs(roots - g[:, None]), axis=1)]
    return g


def resolvent_check(P, samples, z, k_se=4.0):
    """Empirical resolvents (1/N) tr (z - A)^{-1} of m independent samples vs g from P.

    Tolerance per point: k_se standard errors of the mean over the m samples (the sample
    spread, not a model of it) plus a finite-size allowance 2/N (the O(1/N) bias of GOE-type
    ensembles). Returns the largest deviation in units of the standard error.
    """
    n = len(samples[0])
    emp = np.array([np.mean(1.0 / (z[:, None] - e[None, :]), axis=1) for e in samples])
    mean = emp.mean(axis=0)
    se = emp.std(axis=0, ddof=1) / np.sqrt(len(samples))
    theory = physical_root_by_continuation(P, z)
    dev = np.abs(mean - theory)
    assert np.all(dev <= k_se * se + 2.0 / n), dev / se
    return np.max(dev / se)


def bin_masses_check(P, eigs, lo, hi, nbins, k_se=5.0):
    """Histogram of eigenvalues against bin masses of the density from P.

    Tolerance per bin: k_se multinomial standard errors (conservative: eigenvalues are
    more rigid than iid draws) plus an O(1/N) finite-size allowance of 3/N.
    """
    n = len(eigs)
    edges = np.linspace(lo, hi, nbins + 1)
    fine = np.linspace(lo, hi, nbins * 200 + 1)
    rho = real_axis_density(P, fine)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (rho[1:] + rho[:-1]) * np.diff(fine))])
    theory = np.diff(np.interp(edges, fine, cum))
    counts = np.histogram(eigs, edges)[0] / n
    se = np.sqrt(np.maximum(theory * (1 - theory), 1e-12) / n)
    assert abs(cum[-1] - 1.0) < 2e-3, cum[-1]
    worst = np.max(np.abs(counts - theory) / se)
    assert np.all(np.abs(counts - theory) <= k_se * se + 3.0 / n), worst
    return np.max(np.abs(counts - theory))


@pytest.mark.parametrize("v1,v2", [(1, 2), (0.5, 0.25), (sp.Rational(1, 3), 3)])
def test_wigner_plus_wigner_is_wigner(v1, v2):
    P = free_sum_equation(rd.Wigner(float(v1)).equation(), rd.Wigner(float(v2)).equation())
    assert proportional(P, rd.Wigner(float(v1) + float(v2)).equation())


def test_wigner_plus_mp_against_subordination():
    base = rd.MarchenkoPastur(0.5, 1.0)
    P = free_sum_equation(rd.Wigner(0.7).equation(), base.equation())
    z = np.array([1 + 1j, -1 + 0.3j, 2.5 + 0.05j, 10 + 5j, 0.3 + 2j])
    g = subordination_wigner_plus(base, 0.7, z)
    assert np.all(relative_residual(P, g, z) < 1e-12)
    # the subordinated g does not satisfy the equation of a different variance
    P_wrong = free_sum_equation(rd.Wigner(0.8).equation(), base.equation())
    assert np.all(relative_residual(P_wrong, g, z) > 1e-4)


def test_free_sum_moments_follow_free_independence():
    a, b = rd.MarchenkoPastur(0.5, 2.0), rd.MarchenkoPastur(3.0, 0.5)
    P = free_sum_equation(a.equation(), b.equation())
    ma = moments_from_equation(a.equation(), 4)
    mb = moments_from_equation(b.equation(), 4)
    assert moments_from_equation(P, 4) == free_moments_sum(ma, mb)


@settings(deadline=None, max_examples=6)
@given(st.fractions(min_value=sp.Rational(1, 20), max_value=5, max_denominator=20),
       st.fractions(min_value=sp.Rational(1, 20), max_value=5, max_denominator=20),
       st.fractions(min_value=sp.Rational(1, 10), max_value=3, max_denominator=12))
def test_free_sum_of_mp_and_wigner_moments_property(c1, c2, v):
    a = rd.MarchenkoPastur(float(c1), float(v))
    b = rd.MarchenkoPastur(float(c2), 1.0)
    w = rd.Wigner(float(v))
    for pa, pb in ((a.equation(), b.equation()), (a.equation(), w.equation())):
        P = free_sum_equation(pa, pb)
        ma, mb = moments_from_equation(pa, 4), moments_from_equation(pb, 4)
        assert moments_from_equation(P, 4) == free_moments_sum(ma, mb)


@pytest.mark.parametrize("g1,g2", [(sp.Rational(1, 2), sp.Rational(1, 3)),
                                   (sp.Rational(2), sp.Rational(7, 10)),
                                   (sp.Rational(1), sp.Rational(1))])
def test_free_product_of_mp_matches_paper_cubic(g1, g2):
    """paper-notes §3.4: H(s) = -g(-s) solves g1 g2 s^2 H^3 + s[(1-g1)g2 + (1-g2)g1] H^2
    + [s + (1-g1)(1-g2)] H - 1 = 0 for T = F Σ̂ with MP ratios g1 = D/N, g2 = D/P."""
    P = free_product_equation(rd.MarchenkoPastur(float(g1)).equation(),
                              rd.MarchenkoPastur(float(g2)).equation())
    s, H = sp.symbols("s H")
    cubic = (g1 * g2 * s**2 * H**3 + s * ((1 - g1) * g2 + (1 - g2) * g1) * H**2
             + (s + (1 - g1) * (1 - g2)) * H - 1)
    in_h = sp.expand(P.as_expr().subs({G: -H, Z: -s}, simultaneous=True))
    ratio = sp.cancel(in_h / cubic)
    assert ratio.is_number and ratio != 0


def test_free_product_moments():
    a, b = rd.MarchenkoPastur(0.5, 2.0), rd.MarchenkoPastur(0.3, 1.0)
    P = free_product_equation(a.equation(), b.equation())
    ma = moments_from_equation(a.equation(), 2)
    mb = moments_from_equation(b.equation(), 2)
    m = moments_from_equation(P, 2)
    assert m[1] == ma[1] * mb[1]
    # phi(abab) for free a, b
    assert m[2] == ma[2] * mb[1] ** 2 + ma[1] ** 2 * mb[2] - ma[1] ** 2 * mb[1] ** 2


def test_free_product_needs_nonzero_mean():
    with pytest.raises(ValueError, match="non-zero mean"):
        free_product_equation(rd.Wigner(1.0).equation(), rd.MarchenkoPastur(0.5).equation())


def test_affine_equation_matches_affine_spectrum():
    mp = rd.MarchenkoPastur(0.5, 1.0)
    P = affine_equation(mp.equation(), -2.0, 1.5)
    shifted = -2.0 * mp + 1.5
    z = np.array([1 + 1j, -3 + 0.2j, 0.7 - 0.4j, -2.0 + 0j])
    assert np.all(relative_residual(P, shifted.stieltjes(z), z) < 1e-13)
    with pytest.raises(ValueError, match="c must be non-zero"):
        affine_equation(mp.equation(), 0, 1)


@pytest.mark.parametrize("ratio,variance", [(0.1, 1.0), (0.5, 1.0), (1.0, 1.0), (2.0, 0.7),
                                            (9.0, 3.0), (0.37, 1.3)])
def test_mp_support_edges(ratio, variance):
    edges = support_edges_from_equation(rd.MarchenkoPastur(ratio, variance).equation())
    expected = [variance * (1 - math.sqrt(ratio)) ** 2, variance * (1 + math.sqrt(ratio)) ** 2]
    assert len(edges) == 2
    assert np.allclose(edges, expected, rtol=0, atol=1e-13 * variance * (1 + ratio))


def test_support_of_free_sum_against_subordination_density():
    base = rd.MarchenkoPastur(0.5, 1.0)
    P = free_sum_equation(rd.Wigner(0.25).equation(), base.equation())

    def g_func(x):  # on the real axis: the root with Im g < 0 (cubic: at most one)
        return np.array([_upper_root(P, xi) for xi in np.atleast_1d(x.real)])

    support = support_from_equation(P, g_func)
    assert len(support) == 1
    a, b = support[0]
    # the subordination density (independent) is positive just inside and ~0 just outside
    inside = subordination_wigner_plus(base, 0.25, np.array([a + 1e-3, b - 1e-3]) + 1e-9j)
    outside = subordination_wigner_plus(base, 0.25, np.array([a - 1e-3, b + 1e-3]) + 1e-9j)
    assert np.all(-inside.imag > 1e-3)
    assert np.all(-outside.imag < 1e-6)


def _upper_root(P, x):
    roots = np.roots([complex(np.broadcast_to(c(x), ())) for c in coefficient_arrays(P)])
    return roots[np.argmin(roots.imag)] if roots.imag.min() < -1e-14 else roots.real[0] + 0j


def test_free_sum_density_against_finite_sample():
    """Wigner(1) ⊞ MP(0.5) from the equation vs eigenvalues of W + M, N = 600, 4 seeded samples."""
    rng = np.random.default_rng(20261127)
    n = 600
    wig, mp = rd.Wigner(1.0), rd.MarchenkoPastur(0.5, 1.0)
    P = free_sum_equation(wig.equation(), mp.equation())
    samples = [np.linalg.eigvalsh(wig.sample(n, rng) + mp.sample(n, rng)) for _ in range(4)]
    z = np.array([-1.5 + 0.3j, 0.3j, 1 + 0.3j, 2 + 0.3j, 3 + 0.3j, 1 + 1j])
    resolvent_check(P, samples, z)
    # a 5% different variance is rejected by the same check
    with pytest.raises(AssertionError):
        resolvent_check(free_sum_equation(rd.Wigner(1.05).equation(), mp.equation()), samples, z)
    eigs = np.concatenate(samples)
    edges = support_edges_from_equation(P)
    bin_masses_check(P, eigs, edges[0] - 0.3, edges[-1] + 0.3, 24)
    assert abs(eigs.min() - edges[0]) < 0.1 and abs(eigs.max() - edges[-1]) < 0.1


def test_free_product_density_against_finite_sample():
    """MP(1/2) ⊠ MP(1/3) vs eigenvalues of Σ̂^{1/2} F Σ̂^{1/2}, D = 400, 4 seeded samples."""
    rng = np.random.default_rng(7)
    d, g1, g2 = 400, 0.5, 1.0 / 3.0
    P = free_product_equation(rd.MarchenkoPastur(g1).equation(), rd.MarchenkoPastur(g2).equation())
    samples = []
    for _ in range(4):
        a = rng.standard_normal((round(d / g1), d))
        x = rng.standard_normal((round(d / g2), d))
        f = a.T @ a / a.shape[0]
        w, v = np.linalg.eigh(x.T @ x / x.shape[0])
        root = (v * np.sqrt(w)) @ v.T
        samples.append(np.linalg.eigvalsh(root @ f @ root))
    z = np.array([0.2 + 0.2j, 1 + 0.2j, 2 + 0.2j, 3 + 0.3j, -0.5 + 0.5j])
    resolvent_check(P, samples, z)
    with pytest.raises(AssertionError):  # ratios 0.55, 1/3 are rejected
        resolvent_check(free_product_equation(rd.MarchenkoPastur(0.55).equation(),
                                              rd.MarchenkoPastur(g2).equation()), samples, z)
    edges = [e for e in support_edges_from_equation(P) if e > 0]
    bin_masses_check(P, np.concatenate(samples), 0.0, edges[-1] + 0.3, 20)

def test_cubic_density_closed_form_against_subordination():
    """Cardano density of Wigner(0.5) ⊞ MP(0.5) vs Pastur's subordination (independent)."""
    from rmtdyn.symbolic.support import density_closed_form
    from rmtdyn.symbolic.symbols import X

    base = rd.MarchenkoPastur(0.5, 1.0)
    P = free_sum_equation(rd.Wigner(0.5).equation(), base.equation())
    support = support_from_equation(P, lambda x: np.array([_upper_root(P, xi) for xi in x.real]))
    rho = sp.lambdify(X, density_closed_form(P, support), "numpy")
    a, b = support[0]
    x = np.linspace(a, b, 41)[1:-1]
    g = subordination_wigner_plus(base, 0.5, x + 1e-12j)
    with np.errstate(invalid="ignore"):  # lambdify evaluates both Piecewise branches
        values = rho(x)
        outside = rho(np.array([a - 0.1, b + 0.1]))
    assert np.allclose(values, -g.imag / np.pi, atol=1e-9)
    assert outside.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="support is required"):
        density_closed_form(P)


def test_point_masses_shift_and_scale():
    from rmtdyn.symbolic.transforms import equation_from_atoms

    mp = rd.MarchenkoPastur(0.5).equation()
    delta2 = equation_from_atoms([2.0], [1.0])
    assert proportional(free_sum_equation(mp, delta2), affine_equation(mp, 1, 2))
    assert proportional(free_product_equation(mp, delta2), affine_equation(mp, 2, 0))


@settings(deadline=None, max_examples=5)
@given(st.fractions(min_value=sp.Rational(1, 10), max_value=4, max_denominator=10),
       st.fractions(min_value=sp.Rational(1, 10), max_value=4, max_denominator=10))
def test_free_product_of_mp_property(g1, g2):
    g1, g2 = sp.Rational(g1.numerator, g1.denominator), sp.Rational(g2.numerator, g2.denominator)
    P = free_product_equation(rd.MarchenkoPastur(float(g1)).equation(),
                              rd.MarchenkoPastur(float(g2)).equation())
    w = Z * G - 1
    assert proportional(P, sp.expand(G * (1 + g1 * w) * (1 + g2 * w) - w))


def test_symbolic_parameters():
    """With symbols for the parameters the single branch-carrying factor is returned."""
    v1, v2, c1, c2 = sp.symbols("v1 v2 c1 c2", positive=True)
    assert proportional(free_sum_equation(v1 * G**2 - Z * G + 1, v2 * G**2 - Z * G + 1),
                        (v1 + v2) * G**2 - Z * G + 1)

    def mp(c):
        return c * Z * G**2 - (Z - (1 - c)) * G + 1

    P = free_product_equation(mp(c1), mp(c2))
    s, H = sp.symbols("s H")
    cubic = (c1 * c2 * s**2 * H**3 + s * ((1 - c1) * c2 + (1 - c2) * c1) * H**2
             + (s + (1 - c1) * (1 - c2)) * H - 1)
    ratio = sp.cancel(sp.expand(P.as_expr().subs({G: -H, Z: -s}, simultaneous=True)) / cubic)
    assert ratio.free_symbols <= {c1, c2} and ratio != 0


@pytest.mark.parametrize("c", [0.05, 0.5, 3.0])
def test_free_sum_of_equal_mp_laws_is_a_scaled_mp(c):
    """MP(c) ⊞ MP(c) = 2 MP(c/2) (free cumulants c^(n-1) add; kappa_n(2X) = 2^n kappa_n(X)).
    The resultant of two equal laws has a constant spurious branch (g = 1/c), which the
    factor selection must skip."""
    a = rd.MarchenkoPastur(c)
    P = free_sum_equation(a.equation(), a.equation())
    ref = 2.0 * rd.MarchenkoPastur(c / 2)
    assert P == ref.equation() or sp.Poly(P.as_expr() * ref.equation().LC() - ref.equation()
                                          .as_expr() * P.LC(), G, Z).is_zero
    z = np.array([1 + 1j, 0.3 + 0.01j, 5.0 - 2j])
    assert np.max(np.abs(rd.free_sum(a, a).stieltjes(z) - ref.stieltjes(z))) < 1e-13
