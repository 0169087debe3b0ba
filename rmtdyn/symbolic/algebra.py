r"""The algebra of algebraic spectra (the polynomial method): ⊞, ⊠ and affine maps on equations.

Each operation takes the equations ``P(g, z) = 0`` of its operands (sympy ``Poly`` in
``rmtdyn.symbolic.G, Z``) and returns the equation of the result, in the normal form of
``rmtdyn.symbolic.polynomials`` (square-free, primitive, integer coefficients).

* Free sum: R-transforms add. With ``L_a(r, w)``, ``L_b(r, w)`` the R-curves,
  ``L(r, w) = Res_t(L_a(t, w), L_b(r - t, w))``, then ``w = g``, ``r = z - 1/g``.
* Free product: S-transforms (Voiculescu) multiply. ``L(s, w) = Res_t(L_a(t, w),
  t^{d_b} L_b(s/t, w))``, then ``w = zg - 1``, ``s = g/(zg - 1)``.
* The resultant vanishes on every combination of branches of the operands; it is
  factored over the rationals and the factor carrying the physical branch is kept.

Physical factor, chosen by construction: near ``w = 0`` the physical R-transform is
analytic, ``R(w) = k1 + k2 w + O(w^2)`` with the free cumulants ``k1 = m1``,
``k2 = m2 - m1^2`` (moments from ``moments_from_equation``), while every other branch
of an R-curve is unbounded as ``w -> 0``. So at two test points ``w0 = eps e^{i theta}``
(``eps = 1e-4/sqrt(m2)``) the physical values ``R_a(w0)``, ``R_b(w0)`` are the roots of
``L_a(., w0)``, ``L_b(., w0)`` nearest ``k1 + k2 w0`` (computed in mpmath at 50 digits),
and the kept factor is the one whose R-curve vanishes at ``(R_a(w0) + R_b(w0), w0)``
(relative residual < 1e-30; every other factor must be > 1e-12). With symbolic
parameters no number can be computed: the result is returned only when the
resultant has a single factor that depends on g. The S-transform is
analytic at 0 with ``S(0) = 1/m1``, ``S(w) = (1 - w (m2 - m1^2)/m1^2)/m1 + O(w^2)``,
and the same test is made with ``S_a S_b`` (``eps = 1e-4``).
"""

from __future__ import annotations

import mpmath
import sympy as sp

from rmtdyn import _validation as check
from rmtdyn.symbolic.polynomials import as_equation, branch_factors, clean_equation, exact_rational
from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.support import (
    density_closed_form,
    support_edges_from_equation,
    support_from_equation,
)
from rmtdyn.symbolic.symbols import G, R, S, W, Z
from rmtdyn.symbolic.transforms import r_transform_equation, s_transform_equation

__all__ = [
    "free_sum_equation",
    "free_product_equation",
    "affine_equation",
    "moments_from_equation",
    "support_edges_from_equation",
    "support_from_equation",
    "density_closed_form",
]

_DPS = 50
_ANGLES = (0.3, 1.9)


def _numeric(expr, name: str):
    if expr.free_symbols:
        raise ValueError(f"{name} must have numeric coefficients to select the physical branch, "
                         f"got symbols {sorted(map(str, expr.free_symbols))}")
    return mpmath.mpmathify(sp.N(expr, _DPS + 10))


def _roots_at(L: sp.Poly, w0) -> list:
    """Roots in the first generator of ``L(., w0)`` (mpmath, current precision)."""
    coeffs = []
    for k in range(L.degree(L.gens[0]), -1, -1):
        ck = L.as_expr().coeff(L.gens[0], k) if k else L.as_expr().subs(L.gens[0], 0)
        coeffs.append(_eval_poly_1d(sp.Poly(ck, L.gens[1]), w0))
    while coeffs and coeffs[0] == 0:
        coeffs.pop(0)
    if len(coeffs) < 2:
        raise ValueError(f"{L} has no root at w = {w0}")
    return list(mpmath.polyroots(coeffs, maxsteps=200, extraprec=2 * _DPS))


def _eval_poly_1d(p: sp.Poly, x):
    acc = mpmath.mpc(0)
    for c in p.all_coeffs():
        acc = acc * x + mpmath.mpmathify(sp.N(c, _DPS + 10))
    return acc


def _relative_residual(L: sp.Poly, v, w) -> float:
    total = mpmath.mpc(0)
    scale = mpmath.mpf(0)
    for (i, j), c in L.terms():
        term = mpmath.mpmathify(sp.N(c, _DPS + 10)) * v**i * w**j
        total += term
        scale += abs(term)
    return float(abs(total) / scale) if scale else 0.0


def _physical_value(L: sp.Poly, w0, guess):
    """The root of ``L(., w0)`` nearest ``guess`` (the analytic branch at ``w = 0``)."""
    roots = _roots_at(L, w0)
    return min(roots, key=lambda r: abs(r - guess))


def _pick_factor(candidates: list[sp.Poly], to_curve, values: list, operation: str) -> sp.Poly:
    """The candidate whose transform curve passes through every ``(v, w0)`` in ``values``."""
    if not candidates:
        raise ValueError(f"{operation}: the elimination left no factor depending on g")
    if values is None:  # symbolic parameters: only a unique candidate can be certified
        if len(candidates) == 1:
            return candidates[0]
        raise ValueError(f"{operation}: {len(candidates)} candidate factors and symbolic "
                         "parameters; substitute numbers to select the physical branch")
    def score(f):
        try:
            curve = to_curve(f)
        except ValueError:  # e.g. a constant branch g = const: it has no R-/S-curve
            return float("inf")
        return max(_relative_residual(curve, v, w) for v, w in values)

    scores = [score(f) for f in candidates]
    order = sorted(range(len(candidates)), key=lambda i: scores[i])
    best = order[0]
    if scores[best] > 1e-30 or (len(order) > 1 and scores[order[1]] < 1e-12):
        raise ValueError(f"{operation}: could not identify the physical factor "
                         f"(relative residuals {sorted(scores)})")
    return candidates[best]


def _symbolic(*polys: sp.Poly) -> bool:
    return any(p.free_symbols - {G, Z} for p in polys)


def _low_moments(P: sp.Poly, name: str):
    m = moments_from_equation(P, 2)
    return _numeric(m[1], name), _numeric(m[2], name)


def free_sum_equation(Pa, Pb) -> sp.Poly:
    r"""Equation ``P(g, z) = 0`` of the free sum ``A ⊞ B`` from those of A and B.

    ``R_{A⊞B}(w) = R_A(w) + R_B(w)`` (``g(R(w) + 1/w) = w``): the R-curves are
    combined by a resultant and the physical factor is selected as described in
    the module docstring. Example: two Wigner laws give the Wigner law of the
    summed variance, ``(v1 + v2) g^2 - z g + 1``.
    """
    Pa, Pb = as_equation(Pa), as_equation(Pb)
    La, Lb = r_transform_equation(Pa), r_transform_equation(Pb)
    t = sp.Dummy("t")
    res = sp.resultant(La.as_expr().subs(R, t), Lb.as_expr().subs(R, R - t), t)
    expr = sp.numer(sp.together(res.subs({R: Z - 1 / G, W: G}, simultaneous=True)))
    candidates = branch_factors(expr, G, Z)
    if _symbolic(Pa, Pb):
        return _pick_factor(candidates, r_transform_equation, None, "free_sum_equation")
    with mpmath.workdps(_DPS):
        m1a, m2a = _low_moments(Pa, "Pa")
        m1b, m2b = _low_moments(Pb, "Pb")
        scale = max(abs(m2a), abs(m2b))
        eps = mpmath.mpf("1e-4") / (mpmath.sqrt(scale) if scale > 0 else 1)
        values = []
        for theta in _ANGLES:
            w0 = eps * mpmath.expj(theta)
            ra = _physical_value(La, w0, m1a + (m2a - m1a**2) * w0)
            rb = _physical_value(Lb, w0, m1b + (m2b - m1b**2) * w0)
            values.append((ra + rb, w0))
        return _pick_factor(candidates, r_transform_equation, values, "free_sum_equation")


def free_product_equation(Pa, Pb) -> sp.Poly:
    r"""Equation ``P(g, z) = 0`` of the free product ``A ⊠ B`` from those of A and B.

    ``S_{A⊠B}(w) = S_A(w) S_B(w)`` with Voiculescu's S-transform
    (``psi(u) = int l u/(1 - l u) drho``, ``S(w) = psi^{-1}(w)(1 + w)/w``,
    ``psi(1/z) = z g(z) - 1``). Both laws need a non-zero mean (``S(0) = 1/m1``).
    Example: two Marchenko-Pastur laws of ratios c1, c2 give
    ``g (1 + c1 w)(1 + c2 w) - w = 0`` with ``w = z g - 1``.
    """
    Pa, Pb = as_equation(Pa), as_equation(Pb)
    La, Lb = s_transform_equation(Pa), s_transform_equation(Pb)
    t = sp.Dummy("t", nonzero=True)
    db = Lb.degree(S)
    lb_scaled = sp.expand(Lb.as_expr().subs(S, S / t) * t**db)
    res = sp.resultant(La.as_expr().subs(S, t), lb_scaled, t)
    expr = sp.numer(sp.together(res.subs({S: G / (Z * G - 1), W: Z * G - 1}, simultaneous=True)))
    candidates = branch_factors(expr, G, Z)
    if _symbolic(Pa, Pb):
        return _pick_factor(candidates, s_transform_equation, None, "free_product_equation")
    with mpmath.workdps(_DPS):
        m1a, m2a = _low_moments(Pa, "Pa")
        m1b, m2b = _low_moments(Pb, "Pb")
        if m1a == 0 or m1b == 0:
            raise ValueError("free_product_equation needs laws with non-zero mean "
                             f"(means {float(m1a)}, {float(m1b)}): S(0) = 1/m1")
        values = []
        for theta in _ANGLES:
            w0 = mpmath.mpf("1e-4") * mpmath.expj(theta)
            sa = _physical_value(La, w0, (1 - w0 * (m2a - m1a**2) / m1a**2) / m1a)
            sb = _physical_value(Lb, w0, (1 - w0 * (m2b - m1b**2) / m1b**2) / m1b)
            values.append((sa * sb, w0))
        return _pick_factor(candidates, s_transform_equation, values, "free_product_equation")


def affine_equation(P, c, d) -> sp.Poly:
    r"""Equation of the law of ``c A + d`` (``c != 0``) from that of A.

    ``g_{cA+d}(z) = g_A((z - d)/c)/c``, so ``P_{cA+d}(g, z) = P_A(c g, (z - d)/c)``
    with denominators cleared. Floats are read as the rationals they print as.
    """
    P = as_equation(P)
    c = check.real_number("c", c) if not isinstance(c, sp.Basic) else c
    d = check.real_number("d", d) if not isinstance(d, sp.Basic) else d
    if c == 0:
        raise ValueError("c must be non-zero (0 * A is a point mass)")
    c = exact_rational(c)
    d = exact_rational(d)
    expr = P.as_expr().subs({G: c * G, Z: (Z - d) / c}, simultaneous=True)
    return clean_equation(expr, G, Z)
