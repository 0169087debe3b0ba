"""``rationalise``: doubles become the rationals they print as, longer Floats keep every digit."""

import sympy as sp

from rmtdyn.symbolic.polynomials import exact_rational, rationalise
from rmtdyn.symbolic.symbols import G


def test_doubles_read_as_printed_and_long_floats_exactly():
    assert exact_rational(0.3) == sp.Rational(3, 10)
    assert exact_rational(0.1 + 0.2) == sp.Rational(0.1 + 0.2)  # not 3/10: a different double
    expr = rationalise(sp.Float(0.3) * G + sp.Float("0.1", 60))
    assert expr.coeff(G, 1) == sp.Rational(3, 10)
    tail = expr.coeff(G, 0)
    # the 60-digit Float's exact binary value: 1/10 to ~1e-60, not the double's 5.6e-18 error
    assert tail != sp.Rational(1, 10) and tail != sp.Rational(0.1)
    assert abs(tail - sp.Rational(1, 10)) < sp.Rational(1, 10**59)
