r"""Support edges and closed-form densities from an equation ``P(g, z) = 0``.

Edges. Where the density switches on or off, two branches of ``P(., z)`` meet, so
every edge is a real zero of the discriminant ``D(z) = disc_g P(g, z)``. The
converse fails (unphysical branches can meet too), so
``support_edges_from_equation`` returns the *candidates* and
``support_from_equation`` keeps the intervals between consecutive candidates on
which the physical branch has a positive density (tested at the midpoint).

Closed forms. For an equation quadratic in g, ``a g^2 + b g + c = 0`` with real
coefficients, the two roots on the real axis are either both real (no density) or
complex conjugate, so the support is exactly ``{x : 4 a c - b^2 > 0}`` and

    rho(x) = sqrt(4 a(x) c(x) - b(x)^2) / (2 pi |a(x)|)   there (``rho = -Im g(x + i0)/pi``).
"""

from __future__ import annotations

from collections.abc import Callable

import mpmath
import numpy as np
import sympy as sp

from rmtdyn.symbolic.polynomials import as_equation
from rmtdyn.symbolic.symbols import G, X, Z

__all__ = ["real_roots", "support_edges_from_equation", "support_from_equation", "merge_intervals",
           "density_closed_form"]

_DPS = 60


def newton_polish(coeffs, dcoeffs, x0, tol, max_steps: int = 60):
    """Newton's method on a polynomial (mpmath coefficient lists, highest degree first).

    Returns the root, or ``None`` if a zero derivative is met or ``max_steps`` steps do not
    bring the step below ``tol * (1 + |x|)``."""
    x = x0
    for _ in range(max_steps):
        d = mpmath.polyval(dcoeffs, x)
        if d == 0:
            return None
        step = mpmath.polyval(coeffs, x) / d
        x -= step
        if abs(step) <= tol * (1 + abs(x)):
            return x
    return None


def _all_roots(coeffs) -> list | None:
    """All complex roots of a square-free polynomial at the current mpmath precision.

    Double-precision starting values (``numpy.roots`` of the coefficients scaled by the
    largest one) polished by Newton's method in mpmath; accepted only if every root
    converged and the polished roots are pairwise distinct (so each root was found once).
    Returns ``None`` otherwise.
    """
    top = max(abs(c) for c in coeffs)
    scaled = np.array([complex(c / top) for c in coeffs])
    if not np.all(np.isfinite(scaled)) or scaled[0] == 0:
        return None
    starts = np.roots(scaled)
    dcoeffs = [c * (len(coeffs) - 1 - i) for i, c in enumerate(coeffs[:-1])]
    tol = mpmath.mpf(10) ** (-(mpmath.mp.dps - 10))
    roots = []
    for x0 in starts:
        r = newton_polish(coeffs, dcoeffs, mpmath.mpc(x0.real, x0.imag), tol)
        if r is None:
            return None
        roots.append(r)
    sep = mpmath.mpf(10) ** (-(mpmath.mp.dps // 3))
    for i in range(len(roots)):
        for j in range(i):
            if abs(roots[i] - roots[j]) <= sep * (1 + abs(roots[i])):
                return None
    return roots


def real_roots(f: sp.Poly) -> list[float]:
    """Real roots of a square-free univariate ``f`` to ~1e-40 relative, as floats.

    All roots at 60 digits (``_all_roots``: numpy starting values, Newton polish in mpmath,
    each root found exactly once; else ``mpmath.polyroots``); a root is real when
    ``|Im| <= 1e-30 (1 + |x|)`` (a square-free real polynomial has its non-real roots in
    conjugate pairs, at a finite distance from the axis). If both root finders fail,
    sympy's exact isolation (``Poly.real_roots``) is used.
    """
    if f.degree() < 1:
        return []
    with mpmath.workdps(_DPS):
        coeffs = [mpmath.mpmathify(sp.N(c, _DPS + 10)) for c in f.all_coeffs()]
        if f.degree() == 1:
            return [float(-coeffs[1] / coeffs[0])]
        roots = _all_roots(coeffs)
        if roots is None:
            try:
                roots = mpmath.polyroots(coeffs, maxsteps=400, extraprec=4 * _DPS)
            except mpmath.libmp.NoConvergence:
                return [float(sp.N(r, 30)) for r in f.real_roots()]
        tol = mpmath.mpf(10) ** (-30)
        return [float(mpmath.re(r)) for r in roots if abs(mpmath.im(r)) <= tol * (1 + abs(r))]


def support_edges_from_equation(P) -> tuple[float, ...]:
    """Candidate support edges: the real zeros of ``disc_g P(g, z)``, sorted, to ~1e-15 relative.

    Every edge of the support is among them; some may be points where two
    unphysical branches meet (use ``support_from_equation`` to keep the true ones).
    Needs numeric coefficients. An equation linear in g has no edges (``()``).
    """
    P = as_equation(P)
    if P.free_symbols - {G, Z}:
        raise ValueError("P must have numeric coefficients, got symbols "
                         f"{sorted(map(str, P.free_symbols - {G, Z}))}")
    if P.degree(G) < 2:
        return ()
    disc = sp.Poly(sp.discriminant(P.as_expr(), G), Z)
    if disc.is_zero:
        raise ValueError("P has a repeated factor in g (zero discriminant); pass a square-free P")
    edges: set[float] = set()
    for factor, _mult in disc.sqf_list()[1]:
        edges.update(real_roots(factor))
    return tuple(sorted(edges))


def support_from_equation(
    P, g_func: Callable[[np.ndarray], np.ndarray], *, rel_tol: float = 1e-10
) -> tuple[tuple[float, float], ...]:
    """Intervals of the support: consecutive candidate edges with positive density in between.

    ``g_func`` evaluates the physical branch (complex array in, ``g(x + i0)`` out).
    The density ``-Im g(mid)/pi`` at each midpoint is compared with ``rel_tol`` times
    the largest midpoint density; adjacent kept intervals are merged (a candidate
    edge inside the support is a meeting point of unphysical branches).
    """
    edges = support_edges_from_equation(P)
    if len(edges) < 2:
        return ()
    e = np.asarray(edges)
    mids = 0.5 * (e[:-1] + e[1:])
    rho = -np.asarray(g_func(mids.astype(complex))).imag / np.pi
    if not np.all(np.isfinite(rho)):
        raise ValueError("g_func returned non-finite values at the test midpoints")
    top = rho.max()
    if top <= 0:
        return ()
    return merge_intervals(e, rho > rel_tol * top)


def merge_intervals(edges, keep) -> tuple[tuple[float, float], ...]:
    """The intervals ``[edges[i], edges[i + 1]]`` with ``keep[i]``, adjacent ones merged (a
    candidate edge inside the support is a meeting point of unphysical branches)."""
    intervals: list[list[float]] = []
    for i in np.flatnonzero(keep):
        a, b = float(edges[i]), float(edges[i + 1])
        if intervals and intervals[-1][1] == a:
            intervals[-1][1] = b
        else:
            intervals.append([a, b])
    return tuple((a, b) for a, b in intervals)


def _real_cbrt(y):
    """Real cube root (``sign(y) |y|^(1/3)``), valid for negative y unlike ``y**(1/3)``."""
    return sp.sign(y) * sp.Abs(y) ** sp.Rational(1, 3)


def density_closed_form(P, support=None):
    """Closed-form ``rho(x)`` (``Piecewise`` in ``rmtdyn.symbolic.X``) for P of degree <= 3 in g.

    Degree 1: ``g`` is rational, the law is purely atomic, the density is 0.
    Degree 2, ``a g^2 + b g + c``: ``sqrt(4ac - b^2)/(2 pi |a|)`` where ``4ac - b^2 > 0``,
    else 0 (see the module docstring); ``support`` is not needed.
    Degree 3 (Cardano): inside the support the physical root is one of the complex pair, so
    with ``g = t - b/(3a)``, ``t^3 + p t + q = 0``, ``D = (q/2)^2 + (p/3)^3 > 0`` and the real
    cube roots ``u, v = cbrt(-q/2 +- sqrt(D))``, the pair is ``-(u+v)/2 +- i sqrt(3)(u-v)/2`` and

        rho(x) = sqrt(3) |u - v| / (2 pi).

    Outside the support the pair may be unphysical, so degree 3 needs ``support``: the
    intervals ``((a, b), ...)`` of the density (e.g. from ``support_from_equation``).
    Higher degree: ``NotImplementedError``.
    """
    P = as_equation(P)
    deg = P.degree(G)
    if deg == 1:
        return sp.Integer(0)
    if deg > 3:
        raise NotImplementedError(f"closed-form density needs degree <= 3 in g, got {deg}")
    expr = P.as_expr()
    coef = [sp.expand(expr.coeff(G, k) if k else expr.subs(G, 0)).subs(Z, X)
            for k in range(deg, -1, -1)]
    if deg == 2:
        a, b, c = coef
        gap = sp.factor(sp.expand(4 * a * c - b**2))
        return sp.Piecewise((sp.sqrt(gap) / (2 * sp.pi * sp.Abs(a)), gap > 0), (0, True))
    if support is None:
        raise ValueError("support is required for a cubic equation: pass the intervals "
                         "((a, b), ...) of the density, e.g. from support_from_equation")
    a, b, c, d = coef
    p = sp.cancel((3 * a * c - b**2) / (3 * a**2))
    q = sp.cancel((2 * b**3 - 9 * a * b * c + 27 * a**2 * d) / (27 * a**3))
    disc = sp.cancel(q**2 / 4 + p**3 / 27)
    u = _real_cbrt(-q / 2 + sp.sqrt(disc))
    v = _real_cbrt(-q / 2 - sp.sqrt(disc))
    rho = sp.sqrt(3) * sp.Abs(u - v) / (2 * sp.pi)
    inside = sp.Or(*[sp.And(X > sp.Float(lo, 17), X < sp.Float(hi, 17)) for lo, hi in support])
    return sp.Piecewise((rho, inside), (0, True))
