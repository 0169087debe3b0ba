"""Slow sweeps (``pytest -m slow``): random populations and ratios through the resultant algebra."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import rmtdyn as rd
from rmtdyn.symbolic.algebra import free_product_equation, free_sum_equation
from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.transforms import equation_from_atoms

ratios = st.fractions(min_value=sp.Rational(1, 10), max_value=5, max_denominator=10)
atoms = st.lists(st.tuples(st.integers(1, 40), st.integers(1, 5)), min_size=1, max_size=3,
                 unique_by=lambda t: t[0])


def population(draw_atoms):
    locs = [sp.Rational(a, 8) for a, _ in draw_atoms]
    total = sum(w for _, w in draw_atoms)
    weights = [sp.Rational(w, total) for _, w in draw_atoms]
    return locs, weights


@pytest.mark.slow
@settings(deadline=None, max_examples=40)
@given(ratios, atoms)
def test_population_mp_sweep(ratio, pop):
    from test_symbolic_population import relative_residual, silverstein

    locs, weights = population(pop)
    H = equation_from_atoms([float(a) for a in locs], [float(w) for w in weights])
    P = free_product_equation(rd.MarchenkoPastur(float(ratio)).equation(), H)
    m = moments_from_equation(P, 2)
    mh = [sum(w * a**k for a, w in zip(locs, weights, strict=True)) for k in range(3)]
    gam = sp.Rational(ratio.numerator, ratio.denominator)
    # phi(abab) with a ~ MP(gam) (m1 = 1, m2 = 1 + gam), b ~ H
    assert m[1] == mh[1]
    assert m[2] == (1 + gam) * mh[1] ** 2 + mh[2] - mh[1] ** 2
    z = np.array([0.5 + 1j, 3 + 0.2j, -1 + 0.5j])
    g = silverstein(float(ratio), [float(a) for a in locs], [float(w) for w in weights], z)
    assert np.all(relative_residual(P, g, z) < 1e-11)


@pytest.mark.slow
@settings(deadline=None, max_examples=40)
@given(st.fractions(min_value=sp.Rational(1, 10), max_value=3, max_denominator=10), atoms)
def test_wigner_plus_atoms_sweep(variance, pop):
    from test_symbolic_population import relative_residual

    locs, weights = population(pop)
    la, wa = np.array([float(a) for a in locs]), np.array([float(w) for w in weights])
    v = float(variance)
    P = free_sum_equation(rd.Wigner(v).equation(), equation_from_atoms(la, wa))
    z = np.array([0.5 + 0.7j, 2 + 0.3j, -3 + 1j])
    g = 1 / z
    for _ in range(400):
        g = 0.5 * g + 0.5 * (wa / (z[:, None] - la - v * g[:, None])).sum(1)
    for _ in range(60):
        den = z[:, None] - la - v * g[:, None]
        g = g - (g - (wa / den).sum(1)) / (1 - (wa * v / den**2).sum(1))
    assert np.all(relative_residual(P, g, z) < 1e-11)
