"""Elliptic and Ginibre: closed forms (Bessel, Wigner, orthogonal), contours, simulations."""

import numpy as np
import pytest
from scipy import special

import rmtdyn as rd
from rmtdyn.laplace.two_dimensional import invert_laplace_diagonal_circle
from rmtdyn.spectra.nonhermitian import Elliptic, Ginibre, empirical_isotropic_loss
from rmtdyn.spectra.nonhermitian.elliptic import hyp0f1_family


def test_loss_special_cases_closed_forms():
    t = np.array([0.0, 0.3, 1.0, 4.0, 20.0, 60.0])
    # tau = 0: I0(2 sigma t) (series route vs the Ginibre closed form vs scipy)
    assert np.allclose(Elliptic(0.0, 2.0).isotropic_loss(t), special.i0(2 * np.sqrt(2) * t),
                       rtol=1e-12, atol=0)
    assert np.allclose(Ginibre(2.0).isotropic_loss(t), special.i0(2 * np.sqrt(2) * t), rtol=1e-13)
    # tau = 1 (GOE): response of the semicircle at 2t
    assert np.allclose(Elliptic(1.0).isotropic_loss(t), rd.Wigner(1.0).response(2 * t), rtol=1e-11)
    # tau = -1: e^{-tA} is orthogonal, the loss is exactly 1
    assert np.max(np.abs(Elliptic(-1.0).isotropic_loss(t) - 1)) < 1e-12


@pytest.mark.parametrize("tau", [0.6, 0.2, -0.5])
def test_loss_series_vs_double_contour_integral(tau):
    """The series against the double circle rule applied to T(z, w) (independent route)."""
    e = Elliptic(tau, 1.5)
    t = np.array([0.0, 0.4, 1.0, 2.0])
    circle = invert_laplace_diagonal_circle(e.two_point_laplace, t, center=0.0,
                                            radius=2.0 * e.sigma, nodes=160)
    assert np.max(np.abs(e.isotropic_loss(t) / circle - 1)) < 1e-12


def test_hyp0f1_family_vs_scipy():
    x = np.array([-40.0, -1.0, 0.0, 3.0, 30.0])
    k = np.arange(1, 13)
    ref = special.hyp0f1(k[None, :] + 1.0, x[:, None])
    assert np.max(np.abs(hyp0f1_family(x, 12) / ref - 1)) < 1e-12


@pytest.mark.parametrize("tau", [0.5, pytest.param(-0.4, marks=pytest.mark.slow),
                                 pytest.param(0.0, marks=pytest.mark.slow)])
def test_two_point_and_stieltjes_match_simulation(tau):
    e = Elliptic(tau)
    n = 600
    a = e.sample(n, rng=3)
    eye = np.eye(n)
    z = np.array([2.8 + 1.0j, -3.0 + 0.2j, 0.3 + 2.5j])
    w = np.array([3.0 - 1.0j, 1.0 + 2.8j, -2.6 - 0.4j])
    emp_g = np.array([np.trace(np.linalg.inv(zi * eye - a)) / n for zi in z])
    assert np.max(np.abs(e.stieltjes(z) - emp_g)) < 3e-3
    emp_t = np.array([np.trace(np.linalg.inv(zi * eye - a) @ np.linalg.inv(wi * eye - a.T)) / n
                      for zi, wi in zip(z, w, strict=True)])
    assert np.max(np.abs(e.two_point(z, w) - emp_t) / np.abs(emp_t)) < 2e-2


def test_two_point_reductions():
    z = np.array([3.0 + 1.0j, -2.5 + 0.5j])
    w = np.array([2.5 - 2.0j, 4.0 + 0.0j])
    # tau = 1 is Hermitian: (g(z) - g(w))/(w - z) of the semicircle
    assert np.allclose(Elliptic(1.0).two_point(z, w), rd.Wigner(1.0).two_point(z, w), rtol=1e-12)
    # Ginibre closed form 1/(zw - sigma^2) vs the general elliptic formula at tau = 0
    assert np.allclose(Ginibre(0.7).two_point(z, w), Elliptic(0.0, 0.7).two_point(z, w),
                       rtol=1e-13)


@pytest.mark.parametrize("tau", [-0.5, pytest.param(0.5, marks=pytest.mark.slow),
                                 pytest.param(0.0, marks=pytest.mark.slow)])
def test_loss_and_response_match_simulation(tau):
    e = Elliptic(tau)
    t = np.array([0.25, 0.5, 1.0])
    runs = np.array([empirical_isotropic_loss(e.sample(500, rng=k), t) for k in range(3)])
    mean, se = runs.mean(0), runs.std(0, ddof=1) / np.sqrt(3)
    # finite-size allowance 1.5 %: the loss grows through the ellipse edge, where N = 500
    # eigenvalues fluctuate by O(N^{-1/2})
    assert np.all(np.abs(mean - e.isotropic_loss(t)) < 4 * se + 0.015 * e.isotropic_loss(t))
    from scipy.linalg import expm

    a = e.sample(500, rng=9)
    emp = np.array([np.trace(expm(-ti * a)) / 500 for ti in t])
    assert np.max(np.abs(emp - e.response(t))) < 1e-2


def test_eigenvalues_fill_the_ellipse_uniformly():
    e = Elliptic(0.4)
    lam = np.linalg.eigvals(e.sample(800, rng=1))
    a, b = e.semi_axes
    r2 = (lam.real / a) ** 2 + (lam.imag / b) ** 2
    assert np.mean(r2 <= 1.1) > 0.995  # N = 800 edge fluctuations
    # uniform law: the fraction inside the scaled ellipse of "radius" q is q^2
    for q in (0.3, 0.5, 0.8):
        frac = np.mean(r2 <= q * q)
        assert abs(frac - q * q) < 4 * np.sqrt(q * q * (1 - q * q) / lam.size) + 0.01
    # density: height 1/(pi (1 - tau^2)) inside, 0 outside; integrates to 1
    x, y = np.meshgrid(np.linspace(-a, a, 801), np.linspace(-b, b, 801))
    dens = e.eigenvalue_density(x + 1j * y)
    area_cell = (2 * a / 800) * (2 * b / 800)
    assert abs(dens.sum() * area_cell - 1) < 5e-3
    boundary = e.support_boundary(100)
    assert np.allclose((boundary.real / a) ** 2 + (boundary.imag / b) ** 2, 1)


def test_ginibre_disk_radius_and_variance():
    g = Ginibre(4.0)
    lam = np.linalg.eigvals(g.sample(600, rng=2))
    r2 = np.abs(lam) ** 2 / 4.0
    for q in (0.25, 0.5, 0.75):
        assert abs(np.mean(r2 <= q) - q) < 4 * np.sqrt(q * (1 - q) / lam.size) + 0.01


def test_bad_input():
    with pytest.raises(ValueError, match="tau"):
        Elliptic(1.5)
    with pytest.raises(ValueError, match="tau"):
        Elliptic(-1.01)
    with pytest.raises(ValueError, match="variance"):
        Ginibre(0.0)
    e = Elliptic(0.3)
    with pytest.raises(ValueError, match="outside"):
        e.two_point(0.1, 5.0)
    with pytest.raises(ValueError, match="broadcastable"):
        e.two_point(np.full(3, 5.0), np.full(2, 5.0))
    with pytest.raises(ValueError, match="segment"):
        Elliptic(1.0).eigenvalue_density(0.0)
    with pytest.raises(ValueError, match="tau = 1"):
        e.hermitian_companion()
    assert isinstance(Elliptic(1.0).hermitian_companion(), rd.Wigner)
