r"""Local (Puiseux) equations of an algebraic Stieltjes transform at a real point.

Near a real point ``x0`` where the support has an atom, a hard edge or nothing at all,
each branch of ``P(g, z) = 0`` has a convergent expansion (Newton-Puiseux)

    g(z) = m/(z - x0) + w^{-p} v(w),    w = (x0 - z)^{1/e},    v analytic at 0, v(0) != 0,

where ``m`` is a residue (the mass of an atom at ``x0``, or 0) and ``-p/e`` (in ``(-1, 0]``,
lowest terms) is an exponent read off the Newton polygon. The functions here derive, in
exact rational arithmetic, the polynomial equation ``Q(v, w) = 0`` of each such branch family:

1. ``residues(P, x0)``: the candidate masses ``m`` (roots of the lowest-order part of
   ``(z - x0)^d P(h/(z - x0), z)`` in ``h``);
2. ``regular_part(P, x0, m)``: ``U(u, s)``, the equation of ``u = g - m/s``, ``s = z - x0``
   (``s^d P(m/s + u, x0 + s)``, divided by the largest power of ``s`` it contains);
3. ``exponents(U)``: the slopes ``mu`` in ``(-1, 0]`` of the Newton polygon of ``U`` at
   ``s = 0`` (a branch ``u ~ c s^mu`` needs two terms of ``U`` of equal lowest order);
4. ``branch_equation(U, mu)``: ``Q(v, w)`` from ``s = -w^e``, ``u = w^{-p} v``, divided by
   the largest power of ``w``; the branches have ``v(0)`` among the non-zero roots of
   ``Q(v, 0)``.

The numerical series and the choice of the physical branch are in
``rmtdyn.spectra.local_expansion``.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from rmtdyn.symbolic.polynomials import exact_rational
from rmtdyn.symbolic.symbols import G, Z

__all__ = ["residues", "atom_residue", "regular_part", "exponents", "branch_equation"]

_U, _S, _V, _W = sp.symbols("u s v w")


def _shifted(P: sp.Poly, x0) -> sp.Poly:
    """``P(g, x0 + s)`` as a Poly in ``(G, s)``."""
    return sp.Poly(sp.expand(P.as_expr().subs(Z, x0 + _S)), G, _S)


def residues(P: sp.Poly, x0) -> list:
    """Exact real non-zero candidates ``m`` for branches ``g ~ m/(z - x0)``."""
    x0 = exact_rational(x0)
    p1 = _shifted(P, x0)
    d = p1.degree(G)
    # (z - x0)^d P(h/s, x0 + s) = sum c_kj h^k s^(j + d - k): its lowest power of s
    terms = {}
    for (k, j), c in p1.terms():
        terms[(k, j + d - k)] = terms.get((k, j + d - k), 0) + c
    low = min(e for _, e in terms)
    h = sp.Symbol("h")
    lead = sp.Poly(sum(c * h**k for (k, e), c in terms.items() if e == low), h)
    if lead.degree() <= 0:
        return []
    return [r for r in lead.real_roots() if r != 0]


def atom_residue(P: sp.Poly, x0, mass: float):
    """The exact residue for an atom of (double-precision) ``mass`` at ``x0``, or ``None``.

    The rational root of the residue polynomial nearest ``mass``, if it is within
    ``1e-9 (1 + mass)`` and strictly nearer than any other (distinct) root.
    """
    cands = sorted({m for m in residues(P, x0) if m.is_rational},
                   key=lambda m: abs(float(m) - mass))
    if not cands or abs(float(cands[0]) - mass) > 1e-9 * (1 + mass):
        return None
    if len(cands) > 1 and abs(float(cands[1]) - mass) <= abs(float(cands[0]) - mass):
        return None
    return cands[0]


def regular_part(P: sp.Poly, x0, m) -> sp.Poly:
    """``U(u, s)``: the equation of ``u = g - m/s`` with ``s = z - x0`` (exact)."""
    x0 = exact_rational(x0)
    p1 = _shifted(P, x0)
    d = p1.degree(G)
    expr = sum(c * (m + _U * _S) ** k * _S ** (j + d - k) for (k, j), c in p1.terms())
    poly = sp.Poly(sp.expand(expr), _U, _S)
    low = min(j for (_, j), _ in poly.terms())
    return sp.Poly(sp.expand(poly.as_expr() / _S**low), _U, _S)


def exponents(U: sp.Poly) -> list[Fraction]:
    """Newton-polygon slopes ``mu`` in ``(-1, 0]``: ``u ~ c s^mu`` balances two terms."""
    points = [(k, j) for (k, j), c in U.terms() if c != 0]
    found = set()
    for k1, j1 in points:
        for k2, j2 in points:
            if k2 <= k1:
                continue
            mu = Fraction(j1 - j2, k2 - k1)
            if not -1 < mu <= 0:
                continue
            orders = [j + k * mu for k, j in points]
            low = min(orders)
            if j1 + k1 * mu == low and sum(1 for o in orders if o == low) >= 2:
                found.add(mu)
    return sorted(found, reverse=True)


def branch_equation(U: sp.Poly, mu: Fraction) -> tuple[dict, int, int]:
    """``Q(v, w)`` for the exponent ``mu = -p/e``: ``s = -w^e``, ``u = w^{-p} v``.

    Returns ``(terms, p, e)`` with ``terms[(k, n)]`` the exact coefficient of ``v^k w^n``
    (lowest power of ``w`` divided out, so ``Q(v, 0) = sum_k terms[(k, 0)] v^k``).
    """
    p, e = -mu.numerator, mu.denominator
    deg = U.degree(_U)
    out: dict = {}
    for (k, j), c in U.terms():
        n = e * j + p * (deg - k)
        out[(k, n)] = out.get((k, n), 0) + c * (-1) ** j
    out = {key: c for key, c in out.items() if c != 0}
    low = min(n for _, n in out)
    return {(k, n - low): c for (k, n), c in out.items()}, p, e
