"""Algebraic fast path (batched polynomial roots + branch rule) of free sums/products and linear
random features: against the independent subordination solver, the equation, and samples."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import rmtdyn as rd
from rmtdyn.spectra.free import free_product, free_sum
from rmtdyn.spectra.random_features import RandomFeatures


def sampled_stieltjes(spec, z, n, seeds):
    """Mean and standard error over seeds of (1/n) tr (z - A)^{-1} for samples A of ``spec``."""
    vals = []
    for seed in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(seed)))
        vals.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
    vals = np.array(vals)
    return vals.mean(axis=0), vals.std(axis=0, ddof=1) / math.sqrt(len(seeds))


def slow_twin(law):
    """Same law with the fast path switched off (subordination / product route only)."""
    twin = copy.copy(law)
    twin.__dict__.pop("_fast_roots", None)
    twin.fast_path = False
    if hasattr(twin, "_warm"):
        twin._warm = None
    if "gram_product" in twin.__dict__:  # RF: its K must not use the fast path either
        gp = slow_twin(twin.gram_product)
        twin.__dict__["gram_product"] = gp
    return twin


def equation_residual(P, g, z):
    total = np.zeros(np.shape(z), dtype=complex)
    scale = np.zeros(np.shape(z))
    for (i, j), c in P.terms():
        term = float(c) * g**i * z**j
        total += term
        scale += np.abs(term)
    return np.abs(total) / scale


LAWS = {
    "MP(0.5)xMP(0.3)": lambda: free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3)),
    "MP(2)xMP(0.5)": lambda: free_product(rd.MarchenkoPastur(2.0), rd.MarchenkoPastur(0.5)),
    "W(1)+MP(0.5)": lambda: free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5)),
    "MP(4)+(MP(5)+1)": lambda: free_sum(rd.MarchenkoPastur(4.0), rd.MarchenkoPastur(5.0) + 1.0),
    "W(1)+(1-2MP(0.5))": lambda: free_sum(rd.Wigner(1.0), -2.0 * rd.MarchenkoPastur(0.5) + 1.0),
    # degree 5 in g: companion eigenvalues instead of the closed-form cubic
    "MP(0.5)xMP(0.3,pop)": lambda: free_product(
        rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3, population=([1.0, 3.0], [0.5, 0.5]))),
    # degree 5, nested: rule 1 leaves points with two roots in its segment (rule 1b climbs)
    "(MP(0.5)xMP(0.3))+W(1)": lambda: free_sum(
        free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3)), rd.Wigner(1.0)),
    "RF(1,0.5)": lambda: RandomFeatures(1.0, 0.5),
    "RF(10,0.5)": lambda: RandomFeatures(10.0, 0.5),
    # degree 4: Ferrari
    "RF(1,0.5,relu)": lambda: RandomFeatures(1.0, 0.5, "relu"),
    "RF(10,0.5,tanh)": lambda: RandomFeatures(10.0, 0.5, "tanh"),
    "RF(0.2,3,erf)": lambda: RandomFeatures(0.2, 3.0, "erf"),
}


def probe_points(law, rng):
    """Upper half plane, real axis inside/outside the support, and near every edge."""
    lo, hi = law._fast_roots.lo, law._fast_roots.hi
    span = hi - lo
    edges = np.array([e for ab in law.support() for e in ab])
    near = (edges[:, None] + span * np.array([-1e-3, -1e-7, 1e-7, 1e-3])).ravel()
    return np.concatenate([
        rng.uniform(lo - 0.2 * span, hi + 0.2 * span, 200) + 1j * span * rng.uniform(0, 1, 200),
        rng.uniform(lo - 0.2 * span, hi + 0.2 * span, 200) + 0j,
        near + 0j, near + 1e-4j * span,
    ])


@pytest.mark.parametrize("name", list(LAWS))
def test_fast_path_agrees_with_subordination(name):
    law = LAWS[name]()
    z = probe_points(law, np.random.default_rng(1))
    g_fast, dg_fast, acc = law._fast_roots.stieltjes(z)
    # the rule must decide the overwhelming majority of points (else the path is not "fast")
    assert acc.mean() > 0.9
    # off the axis (no merging roots) rules 1 and 1b decide every point
    assert acc[z.imag > 1e-3 * (law._fast_roots.hi - law._fast_roots.lo)].all()
    twin = slow_twin(law)
    assert twin._fast_roots is None or not twin.fast_path
    g_slow = twin.stieltjes(z[acc])
    err = np.abs(g_fast[acc] - g_slow) / (1.0 + np.abs(g_slow))
    assert err.max() <= 1e-10
    # g' by implicit differentiation vs the subordination solver's g' (off the axis)
    off = np.abs(z[acc].imag) > 1e-2 * (law._fast_roots.hi - law._fast_roots.lo)
    from rmtdyn.spectra.free import stieltjes_and_derivative

    _, dg_slow = stieltjes_and_derivative(twin, z[acc][off])
    assert np.max(np.abs(dg_fast[acc][off] - dg_slow) / (1 + np.abs(dg_slow))) < 1e-8
    # the public method uses the fast path and agrees too (fallback points included)
    g_pub = law.stieltjes(z)
    assert np.all(np.isfinite(g_pub))
    assert np.max(np.abs(g_pub[acc] - g_fast[acc])) == 0.0


@pytest.mark.parametrize("name", list(LAWS))
def test_fast_path_solves_equation_with_physical_sign(name):
    law = LAWS[name]()
    z = probe_points(law, np.random.default_rng(2))
    g, _, acc = law._fast_roots.stieltjes(z)
    assert equation_residual(law.equation(), g[acc], z[acc]).max() <= 1e-12
    assert np.all(g[acc].imag <= 1e-12 * np.abs(g[acc]))


EXTREME = {
    "MP(100)xMP(100)": (lambda: free_product(rd.MarchenkoPastur(100.0),
                                             rd.MarchenkoPastur(100.0)), 400, 8),
    "MP(0.01)xMP(50)": (lambda: free_product(rd.MarchenkoPastur(0.01),
                                             rd.MarchenkoPastur(50.0)), 400, 6),
    "RF(10,0.5)": (lambda: RandomFeatures(10.0, 0.5), 400, 6),
    "RF(0.05,0.1)": (lambda: RandomFeatures(0.05, 0.1), 300, 4),
}


@pytest.mark.parametrize("name", list(EXTREME))
def test_extreme_ratios_finite_physical_and_match_samples(name):
    make, n, seeds = EXTREME[name]
    law = make()
    hi = law._fast_roots.hi
    # near 0, on the axis, in the bulk, far away: finite, Herglotz sign, g ~ 1/z
    z = np.concatenate([hi * np.array([1e-6j, 1e-3 + 1e-3j, 0.02 + 0.01j, 0.3 + 0.1j, 0.7 + 1e-4j,
                                       1.5 + 0.0j, 0.5 + 0.0j, -0.2 + 0.0j, 1e3 + 1e3j])])
    g = law.stieltjes(z)
    assert np.all(np.isfinite(g))
    assert np.all(g.imag <= 1e-12 * np.abs(g))
    assert abs(z[-1] * g[-1] - 1.0) < 1e-2
    _, _, acc = law._fast_roots.stieltjes(z)
    assert acc.sum() >= 4  # the fast path decides most of these points
    # seeded samples at off-axis points scaled to the bulk
    spread = math.sqrt(law.moment(2))
    zs = spread * np.array([0.5 + 0.5j, 1.0 + 0.3j, 2.0 + 1.0j])
    mean, se = sampled_stieltjes(law, zs, n, range(seeds))
    theory = law.stieltjes(zs)
    assert np.all(np.abs(mean - theory) < 4 * se + 2.0 * np.abs(theory) / n)


def test_fast_path_switch_and_non_algebraic_operands():
    law = free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3))
    assert law._fast_roots is not None and law._fast_roots.degree == 3
    # nonlinear features: the quartic of the Pennington-Worah equation
    assert RandomFeatures(1.0, 0.5, "relu")._fast_roots.degree == 4


def test_loose_hull_is_narrowed_to_the_candidate_edges():
    """``MP(0.3) ⊠ RF(relu)``: the product's bound (0, 7.9) is twice the support (to 3.61).
    Rule 1's lens is narrowed to the outermost candidate edge (``lens``), and rule 2's ladder
    reaches the scale (the candidate edges 0 and 0.005 make ``delta`` 5e-9, so seven rungs
    stopped at 0.05, below where rule 1 decides inside the bulk): every point of the upper
    half plane and all but a few on the axis are decided by the fast path (they were 92%
    at Im z = 0.3 and 30% on the axis, the rest going one by one to mpmath), and they agree
    with the subordination solver."""
    law = free_product(rd.MarchenkoPastur(0.3), RandomFeatures(1.5, 0.5, "relu"))
    fast = law._fast_roots
    (lo, hi), = law.support()
    assert fast.lens[0] == 0.0 and abs(fast.lens[1] - hi) < 1e-10 * hi < fast.hi - hi
    for height, need in ((0.3, 1.0), (0.01, 1.0), (0.0, 0.99)):
        z = np.linspace(-1.0, 8.9, 2000) + 1j * height
        g, _, acc = fast.stieltjes(z)
        assert acc.mean() >= need, (height, acc.mean())
        slow = copy.copy(law)
        slow.fast_path = False
        ref = slow.stieltjes(z[acc][::7])
        assert np.max(np.abs(g[acc][::7] - ref) / np.abs(ref)) < 1e-10


@pytest.mark.parametrize("name", ["MP(0.5)xMP(0.3,pop)", "(MP(0.5)xMP(0.3))+W(1)"])
def test_small_batches_of_degree_five_use_companion_roots_and_agree(name):
    """Below ``ABERTH_MIN_POINTS`` the roots of a degree >= 5 law come from companion
    eigenvalues, above it from the Aberth iteration: the same points give the same ``g``
    either way (to rounding), and the subordination solver agrees with both."""
    from rmtdyn.spectra.algebraic_roots import ABERTH_MIN_POINTS

    law = LAWS[name]()
    fast = law._fast_roots
    assert fast.degree == 5
    rng = np.random.default_rng(5)
    z = probe_points(law, rng)
    few = z[rng.choice(z.size, 40, replace=False)]
    assert few.size < ABERTH_MIN_POINTS <= z.size
    g_few, _, acc_few = fast.stieltjes(few)
    g_all, _, acc_all = fast.stieltjes(np.concatenate([few, z]))
    both = acc_few & acc_all[:few.size]
    assert both.mean() > 0.9
    assert np.max(np.abs(g_few[both] - g_all[:few.size][both]) / np.abs(g_all[:few.size][both])
                  ) < 1e-12
    ref = slow_twin(law).stieltjes(few[both])
    assert np.max(np.abs(g_few[both] - ref) / (1.0 + np.abs(ref))) < 1e-10
