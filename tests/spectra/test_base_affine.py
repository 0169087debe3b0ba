"""The generic Spectrum machinery (quadrature, response, two-point) and affine maps c A + d."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from scipy.special import ive

import rmtdyn as rd
from rmtdyn.symbolic.symbols import G, Z


def replicas(spec, n, seeds, stat):
    vals = np.array([stat(np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(s))))
                     for s in seeds])
    return vals.mean(0), vals.std(0, ddof=1) / math.sqrt(len(seeds))


def test_affine_wigner_closed_form_quadrature_and_samples():
    spec = 2.0 * rd.Wigner(0.5) + 1.0  # semicircle of radius 2 * sqrt(2) * ... centred at 1
    radius = 2.0 * 2 * math.sqrt(0.5)
    assert np.allclose(spec.support(), [(1 - radius, 1 + radius)], rtol=1e-15)
    z = np.array([0.5 + 0.4j, 3.0 + 0.1j, -4.0, 1.0 - 2.0j])
    def rho(l):
        return mpmath.sqrt(radius**2 - (l - 1) ** 2) * 2 / (mpmath.pi * radius**2)

    with mpmath.workdps(30):
        for zi, gi in zip(z, spec.stieltjes(z), strict=True):
            cuts = [1 - radius, 1, 1 + radius]
            ref = complex(mpmath.quad(lambda l, zi=zi: rho(l) / (mpmath.mpc(zi) - l), cuts))
            assert abs(gi - ref) < 1e-13
    n = 400
    zs = z[:2]
    mean, se = replicas(spec, n, range(5), lambda ev: np.mean(1 / (zs[:, None] - ev), axis=1))
    assert np.all(np.abs(mean - spec.stieltjes(zs)) <= 5 * se + 3.0 / n)
    for k in range(5):
        quad = spec.expect(lambda l, k=k: l**k)
        assert abs(spec.moment(k) - quad) < 1e-12 * max(1, spec.moment(k))


def test_negative_scale_mirrors_and_keeps_the_sign_of_im_g():
    mp = rd.MarchenkoPastur(2.0)
    neg = -1.0 * mp
    assert neg.support() == ((-mp.upper, -mp.lower),)
    assert neg.atoms() == ((-0.0, 0.5),) or neg.atoms() == ((0.0, 0.5),)
    z = np.array([-1.0 + 0.3j, -2.0, 1.0])
    g = neg.stieltjes(z)
    assert g[0].imag < 0
    assert np.allclose(g[0], -mp.stieltjes(-z[0]), rtol=1e-15)  # g_{-A}(z) = -g_A(-z)
    # on the axis x + i0 maps to -x - i0: g_{-A}(x + i0) = -conj g_A(-x + i0)
    assert np.allclose(g[1:], -np.conj(mp.stieltjes(-z[1:])), rtol=1e-15)
    x = np.linspace(-6, 0, 61)
    assert np.allclose(neg.density(x), mp.density(-x), rtol=1e-14)


def test_affine_equation_is_satisfied():
    spec = 3.0 * rd.MarchenkoPastur(0.5) - 1.0
    P = spec.equation()
    z = np.array([0.5 + 0.5j, 7.0, -3.0])
    for zi, gi in zip(z, spec.stieltjes(z), strict=True):
        val = complex(P.as_expr().subs({G: gi, Z: zi}))
        assert abs(val) < 1e-12 * max(1, abs(gi) * abs(zi) ** 2)
    assert sp.simplify(spec.r_transform() - (3 * rd.MarchenkoPastur(0.5).r_transform().subs(
        sp.Symbol("w"), 3 * sp.Symbol("w")) - 1)) == 0


def test_response_against_bessel_and_samples():
    spec = rd.Wigner(1.0) + 2.0  # edge at 0: R(t) = e^{-2t} I_1(2t)/t
    t = np.array([0.5, 2.0, 10.0, 100.0])
    exact = ive(1, 2 * t) / t
    assert np.allclose(spec.response(t), exact, rtol=1e-11)
    ts = t[:3]
    mean, se = replicas(spec, 400, range(5), lambda ev: np.mean(np.exp(-np.outer(ts, ev)), axis=1))
    # finite-N bias grows with t (the extreme eigenvalue): allowance ~ t / N^(2/3)
    assert np.all(np.abs(mean - spec.response(ts)) <= 5 * se + ts * exact[:3] * 400 ** (-2 / 3))
    assert np.allclose(spec.isotropic_loss(ts), spec.response(2 * ts), rtol=1e-15)


def test_response_with_atoms_and_population():
    pm = rd.MarchenkoPastur(2.0, population=([1.0, 4.0], [0.5, 0.5]))
    t = np.array([0.0, 0.3, 3.0])
    r = pm.response(t)
    assert abs(r[0] - 1) < 1e-12
    assert np.all(r >= 0.5)  # the atom at 0 (mass 1/2) never decays
    mean, se = replicas(pm, 600, range(4), lambda ev: np.mean(np.exp(-np.outer(t, ev)), axis=1))
    assert np.all(np.abs(mean - r) <= 5 * se + 3.0 / 600)


def test_two_point_function():
    w = rd.Wigner(1.0)
    z = np.array([0.3 + 0.5j, 1.0 + 1.0j])
    u = np.array([-0.5 - 0.4j, 1.0 + 1.0j + 1e-9])  # second pair: near-diagonal branch
    tp = w.two_point(z, u)
    ref = [complex(mpmath.quad(lambda l, a=a, b=b: mpmath.sqrt(4 - l * l) / (2 * mpmath.pi)
                               / ((a - l) * (b - l)), [-2, 0, 2]))
           for a, b in zip(z, u, strict=True)]
    assert np.allclose(tp, ref, rtol=1e-10)


def test_bad_arguments():
    w = rd.Wigner()
    with pytest.raises(ValueError, match="scale"):
        rd.affine(w, scale=0.0)
    with pytest.raises(TypeError, match="free_sum"):
        w + rd.Wigner()
    with pytest.raises(ValueError, match="zero"):
        w / 0
    with pytest.raises(TypeError, match="f must be callable"):
        w.expect(3)
    with pytest.raises(ValueError, match="t"):
        w.response(-1.0)
    with pytest.raises(TypeError, match="n"):
        w.sample(2.5)


@pytest.mark.parametrize("scale", [2.0, -2.0, 1e-3])
def test_affine_image_on_its_atom_is_the_pole(scale):
    """On an atom, g(x0 + i0) = -i inf, also for c A + d (numpy's complex division by c
    would give a NaN real part); next to it, the pole m/(z - x0) dominates."""
    law = scale * rd.MarchenkoPastur(2.0) + 1.0  # atom of mass 1/2 at 1
    ((x0, m),) = law.atoms()
    assert x0 == 1.0 and m == 0.5
    g = law.stieltjes(np.array([x0 + 0j, x0 + 1e-300j, x0 - 1e-300j]))
    assert g[0] == complex(0.0, -np.inf)
    assert not np.isnan(g.real).any()
    # 1e-300 above/below the atom: -+ i m/1e-300 (or -+ i inf below the base's resolution)
    assert g[1].imag <= -0.99 * m * 1e300 and g[2] == np.conj(g[1])
    z = x0 + 1e-9j * abs(scale)
    g_near = law.stieltjes(np.array([z]))[0]
    assert abs(g_near * (z - x0) / m - 1) < 1e-6
    from rmtdyn.spectra.free import stieltjes_and_derivative

    g2, dg2 = stieltjes_and_derivative(law, np.array([x0 + 0j]))
    assert not np.isnan(g2.real).any() and np.isinf(g2.imag).all()
