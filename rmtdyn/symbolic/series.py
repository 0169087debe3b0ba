r"""Moments of a law from its equation: the series of the physical branch at infinity.

With ``u = 1/z`` the physical branch is ``g(z) = u h(u)``, ``h(u) = sum_k m_k u^k``,
``h(0) = m_0 = 1``. Writing ``Q(h, u) = u^{d} P(u h, 1/u)`` (``d`` the degree of P in z,
then divided by the largest power of u that divides it), the branch is the root of
``Q(h, u) = 0`` with ``h(0) = 1``. When it is a simple root (``Q_h(1, 0) != 0``, which holds
for every law with finite moments), the coefficients follow order by order:

    m_n = -[u^n] Q(h_{n-1}(u), u) / Q_h(1, 0),   h_{n-1} = sum_{k<n} m_k u^k,

exact in rational arithmetic when P has rational coefficients.
"""

from __future__ import annotations

import sympy as sp

from rmtdyn import _validation as check
from rmtdyn.symbolic.polynomials import as_equation
from rmtdyn.symbolic.symbols import Z

__all__ = ["moments_from_equation"]


def _mul_trunc(a: list, b: list, n: int) -> list:
    out = [sp.Integer(0)] * (n + 1)
    for i, ai in enumerate(a[: n + 1]):
        if ai == 0:
            continue
        for j, bj in enumerate(b[: n + 1 - i]):
            out[i + j] += ai * bj
    return out


def _series_polynomial(P: sp.Poly) -> dict[tuple[int, int], sp.Expr]:
    """Coefficients ``{(i, j): q}`` of ``Q(h, u) = sum q h^i u^j`` (see module docstring)."""
    d = P.degree(Z)
    # g^i z^k = h^i u^(i - k); times u^d: exponent i - k + d >= 0.
    terms: dict[tuple[int, int], sp.Expr] = {}
    for (i, k), c in P.terms():
        key = (i, i - k + d)
        terms[key] = terms.get(key, 0) + c
    shift = min(j for (_, j) in terms)
    return {(i, j - shift): c for (i, j), c in terms.items() if c != 0}


def moments_from_equation(P, k: int) -> list:
    """The moments ``[m_0, ..., m_k]`` of the law whose Stieltjes transform solves ``P(g, z) = 0``.

    ``g(z) = sum_n m_n z^{-n-1}`` on the physical branch (``g ~ 1/z``); atoms are
    included (they are part of the law). Exact sympy numbers for rational P
    (e.g. Catalan numbers for Wigner, Narayana polynomials for Marchenko-Pastur),
    sympy expressions when P has symbolic parameters.

    Raises ``ValueError`` if P has no simple branch ``g ~ 1/z`` at infinity.
    """
    k = check.positive_int("k", k, minimum=0)
    P = as_equation(P)
    q = _series_polynomial(P)
    q0_at_1 = sp.simplify(sum(c for (i, j), c in q.items() if j == 0))
    slope = sp.simplify(sum(i * c for (i, j), c in q.items() if j == 0 and i > 0))
    if q0_at_1 != 0 or slope == 0:
        raise ValueError("P must have a simple branch g ~ 1/z at infinity "
                         f"(Q(1, 0) = {q0_at_1}, Q_h(1, 0) = {slope})")
    deg_h = max(i for i, _ in q)
    h = [sp.Integer(1)]
    for n in range(1, k + 1):
        h_trial = h + [sp.Integer(0)]
        powers = [[sp.Integer(1)] + [sp.Integer(0)] * n]
        for _ in range(deg_h):
            powers.append(_mul_trunc(powers[-1], h_trial, n))
        coeff = sum(c * powers[i][n - j] for (i, j), c in q.items() if j <= n)
        h.append(sp.simplify(-coeff / slope))
    return h
