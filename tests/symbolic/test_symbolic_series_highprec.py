"""Moments from the series at infinity, closed-form densities, the dps path, printed summaries."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

import rmtdyn as rd
from rmtdyn.errors import ConvergenceError
from rmtdyn.symbolic.algebra import free_product_equation
from rmtdyn.symbolic.highprec import stieltjes_from_equation
from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.show import describe, render
from rmtdyn.symbolic.support import density_closed_form
from rmtdyn.symbolic.symbols import G, X, Z


def test_wigner_moments_are_catalan_numbers():
    v = sp.Rational(3, 2)
    m = moments_from_equation(v * G**2 - Z * G + 1, 20)
    for k, mk in enumerate(m):
        expected = 0 if k % 2 else sp.binomial(k, k // 2) / (k // 2 + 1) * v ** (k // 2)
        assert mk == expected


@pytest.mark.parametrize("ratio", [sp.Rational(1, 3), sp.Integer(1), sp.Rational(5, 2)])
def test_mp_moments_are_narayana_polynomials(ratio):
    P = rd.MarchenkoPastur(float(ratio)).equation()
    m = moments_from_equation(P, 12)
    for k in range(1, 13):
        narayana = sum(sp.binomial(k, j) * sp.binomial(k, j - 1) / k * ratio ** (j - 1)
                       for j in range(1, k + 1))
        assert m[k] == narayana


def test_moments_with_symbolic_parameter():
    c = sp.Symbol("c", positive=True)
    m = moments_from_equation(c * Z * G**2 - (Z - (1 - c)) * G + 1, 3)
    assert [sp.expand(x) for x in m] == [1, 1, 1 + c, c**2 + 3 * c + 1]


def test_moments_reject_equation_without_physical_branch():
    with pytest.raises(ValueError, match="g ~ 1/z"):
        moments_from_equation(2 * Z * G - 1, 3)  # g = 1/(2z): total mass 1/2


@pytest.mark.parametrize("ratio,variance", [(0.5, 1.0), (2.0, 0.7), (1.0, 2.0)])
def test_mp_density_closed_form(ratio, variance):
    mp = rd.MarchenkoPastur(ratio, variance)
    rho = sp.lambdify(X, density_closed_form(mp.equation()), "numpy")
    a, b = mp.support()[0]
    x = np.concatenate([np.linspace(a, b, 103)[1:-1], [a - 0.1, b + 0.1, -1.0]])
    # hand-written closed form of the MP density (not the code under test)
    lm, lp = a, b
    width = np.clip((lp - x) * (x - lm), 0, None)
    expected = np.sqrt(width) / (2 * np.pi * ratio * variance * x)
    with np.errstate(invalid="ignore"):  # lambdify evaluates both Piecewise branches
        values = rho(x)
    assert np.allclose(values, expected, rtol=1e-13, atol=1e-15)


def test_wigner_density_closed_form_is_semicircle():
    rho = density_closed_form(2 * G**2 - Z * G + 1)
    expected = sp.sqrt(8 - X**2) / (4 * sp.pi)
    for x in (sp.Rational(1, 3), sp.Rational(-5, 2), 2):
        assert sp.simplify(rho.subs(X, x) - expected.subs(X, x)) == 0
    assert rho.subs(X, 3) == 0


def _quad_stieltjes(rho, a, b, z, dps):
    with mpmath.workdps(dps + 15):
        return mpmath.quad(lambda x: rho(x) / (z - x), [a, b])


@pytest.mark.parametrize("z", [1 + 1j, -0.5 + 0.25j, 3.5 + 0j, 0.9 - 2j])
def test_dps50_wigner_and_mp_against_quadrature(z):
    dps = 50
    with mpmath.workdps(dps + 15):
        zz = mpmath.mpc(z)
        # Wigner, variance 1: semicircle on [-2, 2]
        wig = _quad_stieltjes(lambda x: mpmath.sqrt(4 - x * x) / (2 * mpmath.pi), -2, 2, zz, dps)
        # MP, ratio 1/2
        gam = mpmath.mpf(1) / 2
        lm, lp = (1 - mpmath.sqrt(gam)) ** 2, (1 + mpmath.sqrt(gam)) ** 2
        mpq = _quad_stieltjes(
            lambda x: mpmath.sqrt((lp - x) * (x - lm)) / (2 * mpmath.pi * gam * x), lm, lp, zz, dps)
    for spec, ref in ((rd.Wigner(1.0), wig), (rd.MarchenkoPastur(0.5), mpq)):
        zs = np.array([z])
        g = stieltjes_from_equation(spec.equation(), zs, spec.stieltjes(zs), dps)[0]
        assert isinstance(g, mpmath.mpc)
        with mpmath.workdps(dps):
            assert abs(g - ref) < mpmath.mpf(10) ** -40 * abs(ref)


def test_dps_on_the_real_axis_inside_the_support():
    """g(x + i0) inside the MP support, 45 digits, against the closed form in mpmath."""
    gam = mpmath.mpf(1) / 2
    x = np.array([0.3, 1.0, 2.5])
    g = stieltjes_from_equation(rd.MarchenkoPastur(0.5).equation(), x.astype(complex),
                                rd.MarchenkoPastur(0.5).stieltjes(x), 50)
    with mpmath.workdps(60):
        lm, lp = (1 - mpmath.sqrt(gam)) ** 2, (1 + mpmath.sqrt(gam)) ** 2
        for xi, gi in zip(x, g, strict=True):
            xm = mpmath.mpf(xi)
            ref = ((xm - (1 - gam)) - 1j * mpmath.sqrt((lp - xm) * (xm - lm))) / (2 * gam * xm)
            assert abs(gi - ref) < mpmath.mpf(10) ** -45


def test_dps_shape_and_lower_half_plane():
    z = np.array([[1 + 1j, 1 - 1j], [2.0, -4 + 0.5j]])
    spec = rd.Wigner(2.0)
    g = stieltjes_from_equation(spec.equation(), z, spec.stieltjes(z), 30)
    assert g.shape == z.shape and g.dtype == object
    # conjugate symmetry and agreement with double precision
    with mpmath.workdps(30):
        assert abs(g[0, 0] - mpmath.conj(g[0, 1])) < mpmath.mpf(10) ** -29
        assert abs(spec.variance * g[1, 0] ** 2 - 2 * g[1, 0] + 1) < mpmath.mpf(10) ** -29
    assert np.allclose(np.vectorize(complex)(g), spec.stieltjes(z), rtol=1e-13, atol=0)


def test_dps_bad_input():
    P = rd.Wigner(1.0).equation()
    with pytest.raises(ValueError, match="shape"):
        stieltjes_from_equation(P, np.array([1j, 2j]), np.array([1j]), 30)
    with pytest.raises(ValueError, match="dps"):
        stieltjes_from_equation(P, np.array([1j]), np.array([-0.4j]), 5)


def test_describe_mp():
    info = describe(rd.MarchenkoPastur(0.5))
    gam = sp.Rational(1, 2)
    # derived from the R-transform as the primitive integer polynomial: 2 x the textbook form
    assert sp.expand(info["equation"] - 2 * (gam * Z * G**2 - (Z - (1 - gam)) * G + 1)) == 0
    assert info["moments"] == [1, 1, sp.Rational(3, 2), sp.Rational(11, 4), sp.Rational(45, 8)]
    edges = [(1 - math.sqrt(0.5)) ** 2, (1 + math.sqrt(0.5)) ** 2]
    assert np.allclose(info["support_edges"], edges, atol=1e-14)
    assert info["latex"]["equation"] == sp.latex(info["equation"])
    text = render(rd.MarchenkoPastur(0.5))
    assert "R(w) = 1/(1 - w/2)" in text and "S(w) = 1/(w/2 + 1)" in text
    assert "\\frac" in render(rd.MarchenkoPastur(0.5), latex=True)


def test_dps_composed_law_and_atom():
    """The generic dps path (base.Spectrum) on a free product: root of P to 40 digits, at
    a point inside the support, one in a gap and one off the axis; an atom passes through."""
    a, b = rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.25)
    P = free_product_equation(a.equation(), b.equation())
    z = np.array([1.0, 0.5 + 0.5j, 5.0])
    g = stieltjes_from_equation(P, z, rd.free_product(a, b).stieltjes(z), 40)
    with mpmath.workdps(40):
        for zi, gi in zip(z, g, strict=True):
            zz = mpmath.mpc(zi)
            value = gi**3 * zz**2 + 4 * gi**2 * zz - 8 * gi * zz + 3 * gi + 8
            assert abs(value) < mpmath.mpf(10) ** -38
        assert g[0].imag < -1 and g[2].imag == 0
    mp2 = rd.MarchenkoPastur(2.0)
    pole = np.array([complex(0, -np.inf)])
    out = stieltjes_from_equation(mp2.equation(), np.array([0j]), pole, 30)
    assert mpmath.isinf(out[0].imag)


def test_dps_takes_the_physical_root_next_to_the_guess():
    """Rule check on the semicircle ``g^2 - z g + 1`` (roots ``(z -+ sqrt(z^2 - 4))/2``):
    among the roots within 1e-6 (relative) of the double value, the physical side is kept."""
    P = G**2 - Z * G + 1
    with mpmath.workdps(40):
        def solve(z, guess):
            return stieltjes_from_equation(P, np.array([complex(z)]), np.array([complex(guess)]),
                                           30)[0]
        # real z outside the support: the real root with g' = -P_z/P_g < 0 (here 0.5, not 2)
        assert abs(solve(2.5, 0.5000001) - 0.5) < mpmath.mpf(10) ** -29
        # next to the edge z = 2, inside: a conjugate pair 1 +- 1e-7 i; a real double value
        # (equidistant) must give the member with Im g < 0
        x = 2 - 1e-14
        g = solve(x, 1.0)
        exact = (mpmath.mpf(x) - mpmath.sqrt(mpmath.mpf(x) ** 2 - 4)) / 2  # principal: Im < 0
        assert g.imag < 0 and abs(g - exact) < mpmath.mpf(10) ** -29
        # next to the edge, outside: two real roots 1 -+ 1e-7; the decreasing one (g' < 0)
        x = 2 + 1e-14
        g = solve(x, 1.0)
        exact = (mpmath.mpf(x) - mpmath.sqrt(mpmath.mpf(x) ** 2 - 4)) / 2
        assert g.imag == 0 and abs(g - exact) < mpmath.mpf(10) ** -29
        # lower half plane: the mirror rule (Im g >= 0)
        g_double = complex(rd.Wigner(1.0).stieltjes(1 - 1j))
        assert g_double.imag > 0 and solve(1 - 1j, g_double).imag > 0


@pytest.mark.parametrize("z,guess", [(2.5, 2.0000001), (2.5, 1.3), (1.0, 0.5 + 0.8660254j)])
def test_dps_refuses_a_double_value_off_the_physical_branch(z, guess):
    """A double value next to an unphysical root only (2 at z = 2.5; the root with Im g > 0
    inside the support), or next to no root at all, is an error, not a guess."""
    with pytest.raises(ConvergenceError, match="high-precision branch"):
        stieltjes_from_equation(G**2 - Z * G + 1, np.array([complex(z)]),
                                np.array([complex(guess)]), 30)
