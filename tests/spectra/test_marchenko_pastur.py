"""Marchenko-Pastur: closed form vs mpmath quadrature and samples; atoms, hard edge, properties."""

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ive

import rmtdyn as rd


def mp_quad(z, ratio, variance, dps=30):
    """Independent g(z): mpmath quadrature of the MP density plus the atom at 0."""
    with mpmath.workdps(dps):
        gam, s2 = mpmath.mpf(ratio), mpmath.mpf(variance)
        lo, hi = s2 * (1 - mpmath.sqrt(gam)) ** 2, s2 * (1 + mpmath.sqrt(gam)) ** 2
        zm = mpmath.mpc(z)

        def f(l):
            return mpmath.sqrt((hi - l) * (l - lo)) / (2 * mpmath.pi * gam * s2 * l) / (zm - l)

        cuts = sorted({lo, hi} | ({mpmath.mpf(z.real)} if lo < z.real < hi else set()))
        total = mpmath.quad(f, cuts)
        if ratio > 1:
            total += (1 - 1 / gam) / zm
        return complex(total)


def sample_stats(spec, n, z, seeds, powers=(1, 2, 3)):
    g, m = [], []
    for s in seeds:
        ev = np.linalg.eigvalsh(spec.sample(n, np.random.default_rng(s)))
        g.append(np.mean(1.0 / (z[:, None] - ev[None, :]), axis=1))
        m.append([np.mean(ev**k) for k in powers])
    g, m = np.array(g), np.array(m)
    r = len(seeds)
    return g.mean(0), g.std(0, ddof=1) / math.sqrt(r), m.mean(0), m.std(0, ddof=1) / math.sqrt(r)


@pytest.mark.parametrize("ratio,variance", [(0.2, 1.0), (0.5, 2.5), (1.0, 1.0), (3.0, 0.5)])
def test_stieltjes_matches_quadrature(ratio, variance):
    mp = rd.MarchenkoPastur(ratio, variance)
    z = np.array([0.5 + 0.2j, 2.0 + 0.01j, -1.0 + 0.5j, 10.0, -0.5, 3.0 - 1.0j]) * variance
    g = mp.stieltjes(z)
    for zi, gi in zip(z, g, strict=True):
        assert abs(gi - mp_quad(zi, ratio, variance)) <= 1e-12 * max(1, abs(gi))


@pytest.mark.parametrize("ratio", [0.3, 1.0, 2.5])
def test_against_seeded_samples(ratio):
    mp = rd.MarchenkoPastur(ratio, 1.3)
    z = np.array([0.5 + 0.3j, 2.0 + 0.5j, 4.0 + 1.0j, -1.0 + 0.2j])
    n = 400
    g, g_se, m, m_se = sample_stats(mp, n, z, range(6))
    assert np.all(np.abs(g - mp.stieltjes(z)) <= 5 * g_se + 5.0 / n)
    exact = np.array([mp.moment(k) for k in (1, 2, 3)])
    assert np.all(np.abs(m - exact) <= 5 * m_se + 5.0 * exact / n)
    # the check can fail: a 10% different ratio is rejected
    wrong = rd.MarchenkoPastur(ratio * 1.1, 1.3).stieltjes(z)
    assert np.any(np.abs(g - wrong) > 5 * g_se + 5.0 / n)


def test_atom_and_hard_edge_at_zero_are_well_defined():
    # ratio > 1: a pole of mass 1 - 1/ratio at 0, reported as complex(0, -inf), never NaN
    g = rd.MarchenkoPastur(2.0).stieltjes(np.array([0.0, 1e-12, 1e-12j, -1e-12]))
    assert g[0] == complex(0, -np.inf)
    assert abs(g[1] * 1e-12 - 0.5) < 1e-9  # g ~ (1 - 1/ratio)/z next to the pole
    assert abs(g[2] * 1e-12j - 0.5) < 1e-9
    assert abs(g[3] * -1e-12 - 0.5) < 1e-9
    # ratio = 1: hard edge, rho ~ 1/(pi sqrt(x))
    mp1 = rd.MarchenkoPastur(1.0)
    assert mp1.stieltjes(0.0) == complex(0, -np.inf)
    x = np.array([1e-10, 1e-6])
    assert np.allclose(mp1.density(x), np.sqrt((4 - x) * x) / (2 * np.pi * x), rtol=1e-12)
    assert mp1.atoms() == ()
    # ratio < 1: 0 lies in the gap, g(0) = -1/(sigma^2 (1 - ratio))
    assert abs(rd.MarchenkoPastur(0.5, 2.0).stieltjes(0.0) + 1 / (2.0 * 0.5)) < 1e-15
    # near-pole accuracy: the cancellation-free form keeps full relative precision
    z = 1e-9 + 1e-9j
    ref = mp_quad(z, 2.0, 1.0, dps=40)
    assert abs(rd.MarchenkoPastur(2.0).stieltjes(z) - ref) < 1e-13 * abs(ref)


def test_response_at_hard_edge_is_bessel():
    """ratio = 1: R(t) = e^{-2t}[I_0(2t) + I_1(2t)] (paper-notes 3.2)."""
    t = np.array([0.01, 1.0, 30.0, 1000.0])
    exact = ive(0, 2 * t) + ive(1, 2 * t)
    assert np.allclose(rd.MarchenkoPastur(1.0).response(t), exact, rtol=1e-10)


def test_mpmath_path():
    mp = rd.MarchenkoPastur(2.0, 1.5)
    z = np.array([0.7 + 0.1j, 3.0, 0.0, -0.5 - 0.2j])
    g = mp.stieltjes(z, dps=35)
    assert g[2] == mpmath.mpc(0, "-inf")
    with mpmath.workdps(35):
        for i in (0, 3):
            ref = mp_quad(z[i], 2.0, 1.5, dps=35)
            assert abs(complex(g[i]) - ref) < 1e-14
            gm, zm = g[i], mpmath.mpc(z[i])
            res = 2 * 1.5 * zm * gm**2 - (zm - 1.5 * (1 - 2)) * gm + 1
            assert abs(res) < mpmath.mpf(10) ** -30


@settings(deadline=None, max_examples=400)
@given(log_ratio=st.floats(-8, 6), exact_one=st.booleans(), variance=st.floats(1e-3, 1e3),
       re=st.floats(-50, 50), im=st.floats(-50, 50),
       where=st.sampled_from(["free", "lower", "upper", "zero", "far", "axis"]))
def test_properties_everywhere(log_ratio, exact_one, variance, re, im, where):
    ratio = 1.0 if exact_one else 10.0**log_ratio
    mp = rd.MarchenkoPastur(ratio, variance)
    z = {"free": complex(re, im) * variance, "lower": complex(mp.lower), "upper": complex(mp.upper),
         "zero": 0j, "far": complex(re or 1.0, im) * 1e300, "axis": complex(re * variance)}[where]
    g = mp.stieltjes(np.array([z]))[0]
    assert not np.isnan(g.real) and not np.isnan(g.imag)
    if not np.isfinite(g):  # only at the atom / hard edge (or |g| > 1.8e308 next to it)
        assert abs(z) < 1e-300 and ratio >= 1
        g = g if z.imag >= 0 else np.conj(g)  # g(conj z) = conj g(z)
        assert g == complex(0, -np.inf) or (np.isinf(g.real) and g.imag == -np.inf)
        return
    if z.imag > 0:
        assert g.imag <= 0
    if z.imag < 0:
        assert g.imag >= 0
    if z.imag > 1e-3 * abs(z) and abs(z) < 1e100:
        assert g.imag < 0
    if abs(z) > 1e8 * (1 + mp.upper):
        assert abs(g * z - 1) < 1e-6
    s2 = variance
    if abs(z) < 1e150:  # beyond, z g^2 overflows; g ~ 1/z was checked above
        terms = [ratio * s2 * z * g * g, (z - s2 * (1 - ratio)) * g, 1.0]
        assert abs(terms[0] - terms[1] + terms[2]) <= 1e-11 * sum(abs(t) for t in terms)


@settings(deadline=None, max_examples=40)
@given(log_ratio=st.floats(-3, 3), variance=st.floats(0.01, 100))
def test_density_mass_and_moments(log_ratio, variance):
    ratio = 10.0**log_ratio
    mp = rd.MarchenkoPastur(ratio, variance)
    x = np.linspace(-0.5, 1.2 * mp.upper, 501)
    assert np.all(mp.density(x) >= 0)
    atoms = sum(m for _, m in mp.atoms())
    assert abs(mp.expect(lambda l: np.ones_like(l)) - 1) < 1e-12
    cont = mp.quadrature_rule.weights[: -len(mp.atoms()) or None].sum()
    assert abs(cont - (1 - atoms)) < 1e-10
    # m_2 = s^4 (1 + ratio), m_3 = s^6 (1 + 3 ratio + ratio^2): combinatorial (Narayana)
    assert abs(mp.moment(2) - variance**2 * (1 + ratio)) < 1e-12 * mp.moment(2)
    assert abs(mp.moment(3) - variance**3 * (1 + 3 * ratio + ratio**2)) < 1e-12 * mp.moment(3)
    for k in range(5):
        assert abs(mp.expect(lambda l, k=k: l**k) - mp.moment(k)) < 1e-10 * max(1, mp.moment(k))


def test_bad_parameters_raise():
    with pytest.raises(ValueError, match="ratio"):
        rd.MarchenkoPastur(0.0)
    with pytest.raises(ValueError, match="ratio"):
        rd.MarchenkoPastur(-1.0)
    with pytest.raises(ValueError, match="variance"):
        rd.MarchenkoPastur(0.5, 0.0)
    with pytest.raises(TypeError, match="ratio"):
        rd.MarchenkoPastur("a")
    with pytest.raises(TypeError, match="z"):
        rd.MarchenkoPastur(0.5).stieltjes(["x"])
