"""R-/S-transform conversions: derived equations vs closed forms and an independent quadrature."""

import mpmath
import pytest
import sympy as sp

import rmtdyn as rd
from rmtdyn.symbolic.symbols import G, R, S, W, Z
from rmtdyn.symbolic.transforms import (
    equation_from_r,
    equation_from_r_equation,
    equation_from_s,
    equation_from_s_equation,
    r_transform_equation,
    s_transform_equation,
)


def proportional(p, q) -> bool:
    """True when the polynomials p, q in (G, Z) differ by a non-zero constant factor."""
    p, q = sp.Poly(p, G, Z), sp.Poly(q, G, Z)
    same = sp.expand(p.as_expr() * q.LC() - q.as_expr() * p.LC()) == 0
    return same and p.degree(G) == q.degree(G)


@pytest.mark.parametrize("variance", [1, sp.Rational(3, 7), 2.5, sp.Symbol("v", positive=True)])
def test_wigner_equation_from_r_transform(variance):
    P = equation_from_r(variance * W)
    v = sp.nsimplify(variance, rational=True)
    assert proportional(P, v * G**2 - Z * G + 1)
    # and not proportional to a neighbouring law
    assert not proportional(P, (v + 1) * G**2 - Z * G + 1)


@pytest.mark.parametrize("ratio,variance",
                         [(0.5, 1.0), (2.0, 1.0), (1.0, 0.3), (0.1, 4.0), (7.0, 1.5)])
def test_marchenko_pastur_from_r_and_s_match_closed_form(ratio, variance):
    mp = rd.MarchenkoPastur(ratio, variance)
    closed = mp.equation()
    assert proportional(equation_from_r(mp.r_transform()), closed)
    assert proportional(equation_from_s(mp.s_transform()), closed)
    # the curves derived from the closed form give back the stated transforms
    L_r = r_transform_equation(closed)
    L_s = s_transform_equation(closed)
    assert sp.simplify(L_r.as_expr().subs(R, mp.r_transform())) == 0
    assert sp.simplify(L_s.as_expr().subs(S, mp.s_transform())) == 0


def test_round_trips_are_identities():
    for spec in (rd.Wigner(2.0), rd.MarchenkoPastur(0.25, 3.0), rd.MarchenkoPastur(3.0)):
        P = spec.equation()
        assert proportional(equation_from_r_equation(r_transform_equation(P)), P)
        assert proportional(equation_from_s_equation(s_transform_equation(P)), P)


def test_normal_form_is_primitive_integer_and_square_free():
    P = equation_from_r(sp.Rational(3, 4) / (1 - sp.Rational(1, 3) * W))
    assert P.domain == sp.ZZ
    assert sp.gcd_list(P.coeffs()) == 1
    assert P.LC() > 0
    # squares, constant factors and factors free of g are removed by the normal form
    from rmtdyn.symbolic.polynomials import clean_equation
    assert clean_equation(-3 * (Z**2 + 1) * G * P.as_expr() ** 2 / 5) == P


def test_s_transform_normalisation_against_quadrature():
    """Voiculescu's S from psi computed by quadrature of the density (independent of g)."""
    mpmath.mp.dps = 30
    gam, var = mpmath.mpf("0.4"), mpmath.mpf("1.7")
    lm, lp = var * (1 - mpmath.sqrt(gam)) ** 2, var * (1 + mpmath.sqrt(gam)) ** 2

    def rho(x):
        return mpmath.sqrt((lp - x) * (x - lm)) / (2 * mpmath.pi * gam * var * x)

    L_s = s_transform_equation(rd.MarchenkoPastur(0.4, 1.7).equation())
    for u in (mpmath.mpf("-0.7"), mpmath.mpf("0.05"), mpmath.mpc("0.1", "0.2")):
        psi = mpmath.quad(lambda x, u=u: rho(x) * x * u / (1 - x * u), [lm, lp])
        s_value = u * (1 + psi) / psi  # S(w) = chi(w)(1 + w)/w with w = psi(u), chi(w) = u
        resid = L_s.as_expr().subs({S: sp.sympify(complex(s_value)), W: sp.sympify(complex(psi))})
        assert abs(complex(resid)) < 1e-12
    # with the other normalisation (S without the (1 + w) factor) the check fails
    psi = mpmath.quad(lambda x: rho(x) * x * 0.05 / (1 - x * 0.05), [lm, lp])
    wrong = L_s.as_expr().subs({S: complex(0.05 / psi), W: complex(psi)})
    assert abs(complex(wrong)) > 1e-3
    mpmath.mp.dps = 15


def test_bad_input():
    with pytest.raises(TypeError, match="R_expr"):
        equation_from_r(sp.sqrt(W))
    with pytest.raises(ValueError, match="R_expr"):
        equation_from_r(W + G)
    with pytest.raises(TypeError, match="S_expr"):
        equation_from_s(sp.exp(W))
    with pytest.raises(ValueError, match="involve g"):
        r_transform_equation(Z**2 + 1)
    with pytest.raises(TypeError):
        r_transform_equation(sp.sin(G) + Z)
