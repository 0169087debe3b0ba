"""Normal form of the bivariate polynomials of the symbolic layer.

An equation ``P(v, x) = 0`` (``v`` the unknown: g, r or s; ``x`` the variable: z or w)
is kept as a sympy ``Poly`` in ``(v, x)`` that is

* rational: floating-point coefficients are replaced by ``exact_rational``: the rational
  they print as (``0.5 -> 1/2``, ``0.1 -> 1/10``) when that rational rounds back to the
  same double, else the double's exact binary value (``1 - 1e-12`` is not 1);
* cleared of denominators and primitive (integer coefficients with gcd 1 when the
  coefficients are numbers), with a positive leading coefficient;
* square-free, and free of factors that do not involve ``v`` (they vanish only at
  isolated ``x``, never along a branch ``v(x)``) and of the trivial factor ``v``.
"""

from __future__ import annotations

import sympy as sp

from rmtdyn.symbolic.symbols import G, Z


def exact_rational(x) -> sp.Rational:
    """The simplest rational equal to the double ``x``.

    ``nsimplify(x, rational=True)`` when it converts back to exactly ``x`` (``0.3 -> 3/10``,
    ``1/3.0 -> 1/3``); otherwise the exact binary value ``Rational(x)``. (``nsimplify``
    alone snaps ``0.999999999999`` to ``1`` and would describe a different law.)
    """
    x = float(x)
    simple = sp.nsimplify(x, rational=True)
    return simple if float(simple) == x else sp.Rational(x)


def rationalise(expr):
    """Replace every floating-point number in ``expr`` by a rational equal to it:
    ``exact_rational`` of a ``Float`` holding a double, the exact binary value of one
    carrying more digits (a high-precision coefficient keeps all of them)."""
    expr = sp.sympify(expr)
    floats = expr.atoms(sp.Float)
    if not floats:
        return expr

    def exact(f):
        value = sp.Rational(f)
        return exact_rational(float(f)) if value == sp.Rational(float(f)) else value

    return expr.xreplace({f: exact(f) for f in floats})


def as_equation(P, value=G, var=Z) -> sp.Poly:
    """``P`` (a ``Poly`` or an expression) as a rational ``Poly`` in ``(value, var)``.

    Raises ``TypeError`` if ``P`` is not a polynomial in these generators and
    ``ValueError`` if it does not involve ``value``.
    """
    if isinstance(P, sp.Poly):
        expr = P.as_expr()
    else:
        try:
            expr = sp.sympify(P)
        except (sp.SympifyError, TypeError) as exc:
            raise TypeError(f"P must be a sympy Poly or expression in {value}, {var}") from exc
    expr = rationalise(expr)
    try:
        poly = sp.Poly(expr, value, var)
    except sp.PolynomialError as exc:
        raise TypeError(f"P must be polynomial in {value} and {var}, got {expr}") from exc
    if poly.degree(value) < 1:
        raise ValueError(f"P must involve {value} (degree >= 1 in {value}), got {expr}")
    return poly


def _normalise_poly(poly: sp.Poly) -> sp.Poly:
    """Clear denominators, take the primitive part and make the leading coefficient positive."""
    if poly.domain.is_Field or poly.domain.is_Numerical:
        _, poly = poly.clear_denoms(convert=False)
    try:
        _, poly = poly.primitive()
    except (sp.DomainError, NotImplementedError):  # pragma: no cover - exotic domains
        pass
    lc = poly.LC()
    if lc.is_number and lc < 0:
        poly = -poly
    elif not lc.is_number and sp.sympify(lc).could_extract_minus_sign():
        poly = -poly
    return poly


def branch_factors(expr, value=G, var=Z) -> list[sp.Poly]:
    """Irreducible factors of ``expr`` (over the rationals) that can carry a branch ``value(var)``.

    Factors free of ``value`` and the factor ``value`` itself are dropped; each
    remaining factor is returned once (square-free), normalised.
    """
    expr = rationalise(sp.sympify(expr))
    _, factors = sp.factor_list(sp.expand(expr), value, var)
    out = []
    for f, _mult in factors:
        p = sp.Poly(f, value, var)
        if p.degree(value) < 1 or sp.expand(f - value) == 0:
            continue
        out.append(_normalise_poly(p))
    return out


def clean_equation(expr, value=G, var=Z) -> sp.Poly:
    """The normal form (see module docstring) of the numerator of ``expr`` as a ``Poly``."""
    num = sp.numer(sp.together(rationalise(sp.sympify(expr))))
    factors = branch_factors(num, value, var)
    if not factors:
        raise ValueError(f"{expr} has no factor that depends on {value}")
    prod = sp.Mul(*[f.as_expr() for f in factors])
    return _normalise_poly(sp.Poly(sp.expand(prod), value, var))
