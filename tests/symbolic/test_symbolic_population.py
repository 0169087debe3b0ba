"""Marchenko-Pastur with a discrete population as the free product MP ⊠ H (Silverstein)."""

import numpy as np
import pytest
import sympy as sp

import rmtdyn as rd
from rmtdyn.symbolic.algebra import free_product_equation, free_sum_equation
from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.support import support_edges_from_equation
from rmtdyn.symbolic.symbols import G, Z
from rmtdyn.symbolic.transforms import equation_from_atoms


def silverstein(ratio, taus, weights, z):
    """g of Σ^{1/2} (XᵀX/P) Σ^{1/2}, spec Σ = sum w δ_τ, by Silverstein's equation (Im z > 0):

        g = sum_i w_i / (z - τ_i (1 - γ + γ z g)),

    damped fixed point then Newton with the analytic derivative (independent of any resultant).
    """
    taus, weights = np.asarray(taus, float), np.asarray(weights, float)

    def rhs(g):
        c = 1 - ratio + ratio * z * g
        return (weights / (z[:, None] - taus * c[:, None])).sum(axis=1), c

    g = 1.0 / z
    for _ in range(300):
        g = 0.5 * g + 0.5 * rhs(g)[0]
    for _ in range(60):
        val, c = rhs(g)
        dval = (weights * taus * ratio * z[:, None] / (z[:, None] - taus * c[:, None]) ** 2).sum(1)
        step = (g - val) / (1 - dval)
        g = g - step
        if np.max(np.abs(step) / (1 + np.abs(g))) < 1e-14:
            return g
    raise AssertionError("Silverstein iteration did not converge")


def relative_residual(P, g, z):
    total, scale = 0j, 0.0
    for (i, k), c in sp.Poly(P, G, Z).terms():
        term = complex(c) * g**i * z**k
        total, scale = total + term, scale + np.abs(term)
    return np.abs(total) / scale


def test_equation_from_atoms():
    P = equation_from_atoms([1.0, 3.0, 1.0], [0.25, 0.5, 0.25])
    assert sp.expand(P.as_expr() - ((Z - 1) * (Z - 3) * G - (Z - 2))) == 0
    assert moments_from_equation(P, 2) == [1, 2, 5]
    with pytest.raises(ValueError, match="weights must sum to 1"):
        equation_from_atoms([1, 2], [0.5, 0.6])
    with pytest.raises(ValueError, match="weights"):
        equation_from_atoms([1, 2], [1.5, -0.5])
    with pytest.raises(ValueError, match="equal length"):
        equation_from_atoms([1, 2], [1.0])


@pytest.mark.parametrize("ratio", [0.3, 2.0])
def test_population_mp_is_free_product_with_population(ratio):
    taus, weights = [0.5, 1.0, 4.0], [0.2, 0.5, 0.3]
    P = free_product_equation(rd.MarchenkoPastur(ratio).equation(),
                              equation_from_atoms(taus, weights))
    z = np.array([1 + 1j, 0.2 + 0.05j, 6 + 0.5j, -1 + 0.1j, 30 + 20j])
    g = silverstein(ratio, taus, weights, z)
    assert np.all(relative_residual(P, g, z) < 1e-12)
    # a different population does not fit
    P_other = free_product_equation(rd.MarchenkoPastur(ratio).equation(),
                                    equation_from_atoms(taus, [0.3, 0.4, 0.3]))
    assert np.all(relative_residual(P_other, g, z) > 1e-5)


def test_wigner_plus_atoms_against_pastur_equation():
    """Wigner(v) ⊞ H: Pastur's equation g = sum w/(z - a - v g), solved by Newton."""
    locs, weights, v = np.array([-1.0, 2.0]), np.array([0.4, 0.6]), 0.5
    P = free_sum_equation(rd.Wigner(v).equation(), equation_from_atoms(locs, weights))
    z = np.array([0.5 + 0.7j, 2 + 0.01j, -3 + 1j])
    g = 1 / z
    for _ in range(300):
        g = 0.5 * g + 0.5 * (weights / (z[:, None] - locs - v * g[:, None])).sum(1)
    for _ in range(50):
        den = z[:, None] - locs - v * g[:, None]
        step = (g - (weights / den).sum(1)) / (1 - (weights * v / den**2).sum(1))
        g = g - step
    assert np.all(relative_residual(P, g, z) < 1e-12)


def test_population_mp_density_against_finite_sample():
    """MP(0.3) ⊠ (½δ_1 + ½δ_3) vs eigenvalues of Σ^{1/2} XᵀX Σ^{1/2}/P, N = 600, 4 samples."""
    from test_symbolic_algebra import bin_masses_check, resolvent_check

    rng = np.random.default_rng(11)
    n, ratio = 600, 0.3
    P = free_product_equation(rd.MarchenkoPastur(ratio).equation(),
                              equation_from_atoms([1.0, 3.0], [0.5, 0.5]))
    root = np.sqrt(np.repeat([1.0, 3.0], n // 2))
    samples = []
    for _ in range(4):
        x = rng.standard_normal((round(n / ratio), n))
        w = x.T @ x / x.shape[0]
        samples.append(np.linalg.eigvalsh(root[:, None] * w * root[None, :]))
    z = np.array([0.5 + 0.3j, 1.5 + 0.3j, 3 + 0.3j, 5 + 0.3j, 2 + 2j])
    resolvent_check(P, samples, z)
    with pytest.raises(AssertionError):  # population weights 0.45/0.55 are rejected
        resolvent_check(free_product_equation(rd.MarchenkoPastur(ratio).equation(),
                                              equation_from_atoms([1.0, 3.0], [0.45, 0.55])),
                        samples, z)
    eigs = np.concatenate(samples)
    edges = [e for e in support_edges_from_equation(P) if e > 0]
    bin_masses_check(P, eigs, 0.0, edges[-1] + 0.5, 24)
    assert abs(eigs.max() - edges[-1]) < 0.2


@pytest.mark.parametrize("ratio", [0.5, 2.0])
def test_population_spectrum_equation_agrees_with_free_product(ratio):
    """Cross-check: the hand-cleared Silverstein equation of MarchenkoPastur(population=...)
    and the resultant-derived MP ⊠ H are the same polynomial (after normalisation)."""
    from rmtdyn.symbolic.polynomials import clean_equation

    spec = rd.MarchenkoPastur(ratio, population=([1.0, 3.0], [0.5, 0.5]))
    derived = free_product_equation(rd.MarchenkoPastur(ratio).equation(),
                                    equation_from_atoms([1.0, 3.0], [0.5, 0.5]))
    assert clean_equation(spec.equation().as_expr()) == derived
