r"""Conversions between the equation ``P(g, z) = 0`` of a law and those of its R- and S-transforms.

Conventions (see conventions.md):

* Stieltjes transform ``g(z) = int rho(l)/(z - l) dl`` (``g ~ 1/z`` at infinity).
* R-transform: ``g(R(w) + 1/w) = w``. So a point ``(r, w)`` of the R-curve is the
  point ``g = w``, ``z = r + 1/w`` of the g-curve, and ``L_R(r, w) = P(w, r + 1/w)``
  (denominators cleared). Free cumulants add: ``R_{A+B} = R_A + R_B``.
* S-transform, Voiculescu's normalisation:
  ``psi(u) = int l u/(1 - l u) drho(l)``, ``chi = psi^{-1}``, ``S(w) = chi(w) (1 + w)/w``.
  In terms of g: ``psi(1/z) = z g(z) - 1``. A point ``(s, w)`` of the S-curve is
  ``u = chi(w) = s w/(1 + w)``, ``z = 1/u = (1 + w)/(s w)``, and ``g = (1 + w)/z = s w``;
  conversely ``w = z g - 1`` and ``s = g/(z g - 1)``. So
  ``L_S(s, w) = P(s w, (1 + w)/(s w))`` and ``P(g, z) = L_S(g/(zg - 1), zg - 1)``.
  ``S_{AB} = S_A S_B`` for free A, B (``S_MP(w) = 1/(sigma^2 (1 + gamma w))``).

Every function returns the normal form of ``rmtdyn.symbolic.polynomials``: a
square-free primitive ``Poly`` with integer coefficients (when the input has
numeric coefficients), free of factors that cannot carry a branch.
"""

from __future__ import annotations

import sympy as sp

from rmtdyn import _validation as check
from rmtdyn.symbolic.polynomials import as_equation, clean_equation, exact_rational, rationalise
from rmtdyn.symbolic.symbols import G, R, S, W, Z

__all__ = [
    "r_transform_equation",
    "s_transform_equation",
    "equation_from_r",
    "equation_from_s",
    "equation_from_r_equation",
    "equation_from_s_equation",
    "equation_from_atoms",
]


def r_transform_equation(P) -> sp.Poly:
    """R-curve ``L(r, w) = 0`` (``Poly`` in ``R, W``) of the law with ``P(g, z) = 0``.

    Substitutes ``g = w``, ``z = r + 1/w`` (from ``g(R(w) + 1/w) = w``) and clears denominators.
    Example: Wigner ``s^2 g^2 - z g + 1`` gives ``r - s^2 w`` (times -1), i.e. ``R(w) = s^2 w``.
    """
    P = as_equation(P)
    expr = P.as_expr().subs({G: W, Z: R + 1 / W}, simultaneous=True)
    return clean_equation(expr, R, W)


def s_transform_equation(P) -> sp.Poly:
    """S-curve ``L(s, w) = 0`` (``Poly`` in ``S, W``, Voiculescu's S) of the law ``P(g, z) = 0``.

    Substitutes ``g = s w``, ``z = (1 + w)/(s w)`` (from ``psi(1/z) = z g - 1 = w`` and
    ``S(w) = chi(w)(1 + w)/w``, see the module docstring) and clears denominators.
    Example: Marchenko-Pastur gives ``s sigma^2 (1 + gamma w) - 1``.
    """
    P = as_equation(P)
    expr = P.as_expr().subs({G: S * W, Z: (1 + W) / (S * W)}, simultaneous=True)
    return clean_equation(expr, S, W)


def equation_from_r_equation(L) -> sp.Poly:
    """``P(g, z)`` from an R-curve ``L(r, w) = 0`` (``Poly`` in ``R, W``): w = g, r = z - 1/g."""
    L = as_equation(L, R, W)
    expr = L.as_expr().subs({R: Z - 1 / G, W: G}, simultaneous=True)
    return clean_equation(expr, G, Z)


def equation_from_s_equation(L) -> sp.Poly:
    """``P(g, z)`` from an S-curve ``L(s, w) = 0`` (``Poly`` in ``S, W``).

    Substitutes ``w = zg - 1``, ``s = g/(zg - 1)``.
    """
    L = as_equation(L, S, W)
    expr = L.as_expr().subs({S: G / (Z * G - 1), W: Z * G - 1}, simultaneous=True)
    return clean_equation(expr, G, Z)


def _rational_in_w(name: str, expr) -> sp.Expr:
    expr = rationalise(sp.sympify(expr))
    if not expr.is_rational_function(W):
        raise TypeError(f"{name} must be a rational function of rmtdyn.symbolic.W, got {expr}")
    if expr.free_symbols & {G, Z, R, S}:
        raise ValueError(f"{name} may depend on W and parameters only, got {expr}")
    return expr


def equation_from_r(R_expr) -> sp.Poly:
    """``P(g, z)`` of the law whose R-transform is the rational function ``R_expr`` of ``W``.

    Numerator of ``z - R(g) - 1/g`` (``z = R(g) + 1/g`` on the physical branch).
    ``equation_from_r(v * W)`` is Wigner's ``v g^2 - z g + 1``.
    """
    R_expr = _rational_in_w("R_expr", R_expr)
    return clean_equation(Z - R_expr.subs(W, G) - 1 / G, G, Z)


def equation_from_s(S_expr) -> sp.Poly:
    """``P(g, z)`` of the law whose (Voiculescu) S-transform is the rational ``S_expr(W)``.

    Numerator of ``g - (z g - 1) S(z g - 1)`` (``g = w S(w)`` with ``w = z g - 1``).
    ``equation_from_s(1/(v (1 + c W)))`` is Marchenko-Pastur's ``c v z g^2 - (z - v(1 - c)) g + 1``.
    """
    S_expr = _rational_in_w("S_expr", S_expr)
    w = Z * G - 1
    return clean_equation(G - w * S_expr.subs(W, w), G, Z)


def equation_from_atoms(locations, weights) -> sp.Poly:
    """``P(g, z)`` of the discrete law ``sum_i w_i delta(x - a_i)``.

    The numerator of ``g - sum_i w_i/(z - a_i)``, in the normal form of this module.
    Floats are read as the rationals they print as; repeated locations are merged.
    Parameters: ``locations`` (real, finite), ``weights`` (``> 0``, summing to 1 within 1e-12).
    """
    if len(locations) != len(weights) or len(locations) == 0:
        raise ValueError("locations and weights must be non-empty and of equal length, got "
                         f"{len(locations)} and {len(weights)}")
    locs = [exact_rational(check.real_number("locations", a)) for a in locations]
    ws = [exact_rational(check.positive("weights", w)) for w in weights]
    if abs(float(sum(ws)) - 1.0) > 1e-12:
        raise ValueError(f"weights must sum to 1, got {float(sum(ws))!r}")
    merged: dict = {}
    for a, w in zip(locs, ws, strict=True):
        merged[a] = merged.get(a, 0) + w
    total = sum(merged.values())
    expr = G - sum((w / total) / (Z - a) for a, w in merged.items())
    return clean_equation(expr, G, Z)
