"""``stieltjes(z, dps=50)`` of free sums and products against independent mpmath computations.

The library's high-precision path for ``free_sum``/``free_product`` takes the root of the
resultant equation ``P(g, z)`` (``rmtdyn.symbolic.algebra``) next to the double-precision
value (``rmtdyn.symbolic.highprec``). The references here share none of that:

* Pastur's subordination equation ``g = g_B(z - s2 g)`` for ``Wigner(s2) ⊞ B`` and
  Silverstein's equation ``z = v (1 - c) + c v^2 g_H(v)`` for ``MP(c) ⊠ H``, solved by a
  secant iteration in mpmath (90 digits) with the test's own closed forms of the operands, at
  ``z + i eps`` and followed from ``eps = 1e-2 |z|`` down to ``1e-60 |z|``; the root is
  accepted only on the upper-half-plane side (``Im(z - s2 g) > 0``, resp. ``Im v > 0``), where
  it is unique;
* mpmath quadrature of a closed-form density: the semicircle for ``Wigner ⊞ Wigner``, and for
  ``MP ⊠ MP`` the density ``|Im g|/pi`` of the complex pair of roots of the cubic
  ``c1 c2 z^2 g^3 + [(1 - c1) c2 + (1 - c2) c1] z g^2 - (z - (1 - c1)(1 - c2)) g + 1 = 0``
  (paper-notes §3.4, typed here from the paper, not derived by the library).

Points: the upper half plane, the real axis inside and outside the support, 1e-6 and 1e-10
(relative) from each edge on both sides, exactly on each edge and one ulp next to it, and the
lower half plane. Tolerance 1e-40 relative at ``dps=50``.
"""

import math

import mpmath
import numpy as np
import pytest

import rmtdyn as rd

DPS = 50
REF_DPS = 90
TOL = mpmath.mpf(10) ** -40


def mp_mp(v, c):
    """Unit-variance Marchenko-Pastur ``g`` in mpmath (principal roots; minus form at 0);
    ``c`` a decimal string, read at the working precision."""
    c = mpmath.mpf(c)
    lo, hi = (1 - mpmath.sqrt(c)) ** 2, (1 + mpmath.sqrt(c)) ** 2
    r = mpmath.sqrt(v - lo) * mpmath.sqrt(v - hi)
    p, m = v - (1 - c) + r, v - (1 - c) - r
    return 2 / p if abs(p) >= abs(m) else m / (2 * c * v)


def mp_semicircle(v, s2):
    e = 2 * mpmath.sqrt(s2)
    return 2 / (v + mpmath.sqrt(v - e) * mpmath.sqrt(v + e))


def secant(f, x0, dps):
    """Secant iteration, relative stop rule, second start ``x0 (1 + 10^(-dps/3))``."""
    a, b = x0, x0 * (1 + mpmath.mpf(10) ** -(dps // 3))
    fa, fb = f(a), f(b)
    for _ in range(300):
        if fb == fa:
            break
        a, fa, b = b, fb, b - fb * (b - a) / (fb - fa)
        fb = f(b)
        if abs(b - a) <= mpmath.mpf(10) ** (-(dps - 10)) * abs(b):
            break
    assert abs(fb) < mpmath.mpf(10) ** (-(dps - 20)), fb
    return b


def follow(equation, z, seed, accept):
    """Solve ``equation(u, z + i eps) = 0`` for ``eps = 1e-2|z|, 1e-4|z|, ..., 1e-60|z|``, each
    from the previous root (the first from ``seed``); ``accept(u, w)`` certifies the end."""
    with mpmath.workdps(REF_DPS):
        z0 = mpmath.mpc(z.real, abs(z.imag))
        u = mpmath.mpc(seed.real, seed.imag)
        for k in range(1, 31):
            w = z0 + mpmath.mpc(0, mpmath.mpf(10) ** (-2 * k) * max(abs(z0), 1))
            u = secant(lambda x, w=w: equation(x, w), u, REF_DPS)
        assert accept(u, w), (z, u)
        return u, w


def reference_wigner_sum(s2, g_b, z, seed_g):
    """``Wigner(s2) ⊞ B``: ``g = g_B(z - s2 g)`` (Pastur), ``Im g < 0``, ``Im(z - s2 g) > 0``."""
    s2 = mpmath.mpf(s2)
    g, w = follow(lambda g, w: g - g_b(w - s2 * g), z, seed_g,
                  lambda g, w: g.imag < 0 and (w - s2 * g).imag > 0)
    return mpmath.conj(g) if z.imag < 0 else g


def reference_mp_product(c, g_h, z, seed_v):
    """``MP(c) ⊠ H``: ``z = v (1 - c) + c v^2 g_H(v)`` (Silverstein), ``Im v > 0``; ``v g_H/z``."""
    c = mpmath.mpf(c)
    v, w = follow(lambda v, w: (v * (1 - c) + c * v * (v * g_h(v))) / w - 1, z, seed_v,
                  lambda v, w: v.imag > 0)
    with mpmath.workdps(REF_DPS):
        g = v * g_h(v) / w
    return mpmath.conj(g) if z.imag < 0 else g


def edge_points(support):
    """1e-6 and 1e-10 (relative) on both sides of every edge, the edge itself and its ulps."""
    out = []
    for e in np.ravel(support):
        for d in (1e-6, 1e-10):
            out += [e * (1 - d), e * (1 + d)] if e != 0 else []
        out += [e, np.nextafter(e, -np.inf), np.nextafter(e, np.inf)]
    return out


def compare(spec, z, reference):
    """Worst relative difference between ``spec.stieltjes(z, dps=50)`` and ``reference``."""
    z = np.asarray(z, dtype=complex)
    got = spec.stieltjes(z, dps=DPS)
    worst = mpmath.mpf(0)
    with mpmath.workdps(REF_DPS):
        for zi, gi in zip(z, got, strict=True):
            ref = reference(zi)
            err = abs(gi - ref) / abs(ref)
            assert err < TOL, (zi, gi, ref)
            worst = max(worst, err)
    return worst


# ------------------------------------------------------------------ free sums
@pytest.mark.parametrize("s2,c", [(1.0, 0.5), (0.3, 3.0)])
def test_free_sum_wigner_plus_mp_against_pastur(s2, c):
    spec = rd.free_sum(rd.Wigner(s2), rd.MarchenkoPastur(c))
    (a, b), = spec.support()
    z = [1 + 1j, -0.5 + 0.25j, 3 + 0.01j, 0.5 - 0.2j,        # off the axis (both half planes)
         0.3 * a + 0.7 * b, 0.5 * (a + b), 0.9 * b,          # inside the support
         a - 1.0, b + 2.0, -20.0, 50.0] + edge_points(spec.support())
    gd = spec.stieltjes(np.array(z, dtype=complex))
    seeds = {complex(zi): complex(np.conj(g) if complex(zi).imag < 0 else g)
             for zi, g in zip(z, gd, strict=True)}
    worst = compare(spec, z, lambda zi: reference_wigner_sum(
        repr(s2), lambda v: mp_mp(v, repr(c)), zi,
        spec.stieltjes(np.array([complex(zi.real, abs(zi.imag)) + 1e-2j * max(abs(zi), 1)]))[0]))
    assert worst < TOL
    assert seeds  # the double values were finite everywhere


def test_free_sum_of_semicircles_against_quadrature():
    """``Wigner(1) ⊞ Wigner(2)`` is the semicircle of variance 3: mpmath quadrature of
    ``sqrt(12 - x^2)/(6 pi)`` against ``1/(z - x)``, off the support."""
    spec = rd.free_sum(rd.Wigner(1.0), rd.Wigner(2.0))
    e = 2 * math.sqrt(3.0)
    z = [1 + 1j, -2 + 0.1j, 0.3 - 2j, e + 1e-6, -e - 1e-10, 5.0, -40.0, e + 1e-6j,
         np.nextafter(e, np.inf)]

    def quad(zi):
        with mpmath.workdps(REF_DPS):
            em = 2 * mpmath.sqrt(3)
            zz = mpmath.mpc(zi.real, zi.imag)
            return mpmath.quad(lambda x: mpmath.sqrt(em * em - x * x) / (6 * mpmath.pi) / (zz - x),
                               [-em, 0, em])

    assert compare(spec, z, quad) < TOL


# ------------------------------------------------------------------ free products
@pytest.mark.parametrize("c1,c2", [(0.5, 0.25), (2.0, 0.3)])
def test_free_product_of_mp_against_silverstein(c1, c2):
    spec = rd.free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    (a, b), = spec.support()
    z = [1 + 1j, 0.2 + 0.05j, 5 - 3j, 0.3 * a + 0.7 * b, 0.5 * (a + b), 0.9 * b,
         b + 1.0, -1.0] + ([0.5 * a] if a > 0 else []) + edge_points(spec.support())
    def reference(zi):
        above = complex(zi.real, abs(zi.imag)) + 1e-2j * max(abs(zi), 1)
        g0 = spec.stieltjes(np.array([above]))[0]
        seed = 1.0 / ((1 - c1) / above + c1 * g0)  # v = 1/g_low of the companion
        return reference_mp_product(repr(c1), lambda v: mp_mp(v, repr(c2)), zi, seed)

    assert compare(spec, z, reference) < TOL


def test_free_product_with_a_shifted_semicircle_against_silverstein():
    """``MP(1/2) ⊠ (Wigner(1) + 3)``: Silverstein's equation with the semicircle's closed form."""
    spec = rd.free_product(rd.MarchenkoPastur(0.5), rd.Wigner(1.0) + 3.0)
    (a, b), = spec.support()
    z = [2 + 1j, 0.5 * (a + b), 0.1 * a + 0.9 * b, a - 0.1, b + 0.1] + edge_points(spec.support())

    def reference(zi):
        above = complex(zi.real, abs(zi.imag)) + 1e-2j * max(abs(zi), 1)
        g0 = spec.stieltjes(np.array([above]))[0]
        seed = 1.0 / (0.5 / above + 0.5 * g0)
        return reference_mp_product("0.5", lambda v: mp_semicircle(v - 3, 1), zi, seed)

    assert compare(spec, z, reference) < TOL


def cubic_edges(c1, c2, edges):
    """The support edges at ``REF_DPS`` digits: zeros of the discriminant of the cubic in g,
    by Newton from the double-precision edges (the quadrature must not miss a sliver)."""
    with mpmath.workdps(REF_DPS):
        c1, c2 = mpmath.mpf(repr(c1)), mpmath.mpf(repr(c2))
        lin, const = (1 - c1) * c2 + (1 - c2) * c1, (1 - c1) * (1 - c2)

        def disc(x):
            a, b, c, d = c1 * c2 * x * x, lin * x, -(x - const), mpmath.mpf(1)
            return 18 * a * b * c * d - 4 * b**3 * d + b * b * c * c - 4 * a * c**3 - \
                27 * a * a * d * d
        return [mpmath.findroot(disc, mpmath.mpf(e), tol=mpmath.mpf(10) ** -(REF_DPS - 5))
                for e in edges]


def cubic_density(c1, c2):
    """``rho(x) = |Im g|/pi`` of the complex pair of the §3.4 cubic, by Cardano's formula: with
    ``g = t - b/(3a)``, ``t^3 + p t + q = 0`` and ``D = (q/2)^2 + (p/3)^3 > 0`` the pair has
    ``Im = +-sqrt(3)/2 (u - w)``, ``u, w`` the real cube roots of ``-q/2 +- sqrt(D)``; 0 where
    ``D <= 0`` (three real roots)."""
    c1, c2 = mpmath.mpf(repr(c1)), mpmath.mpf(repr(c2))
    lin, const = (1 - c1) * c2 + (1 - c2) * c1, (1 - c1) * (1 - c2)

    def cbrt(y):
        return mpmath.sign(y) * abs(y) ** (mpmath.mpf(1) / 3)

    def rho(x):
        a, b, c, d = c1 * c2 * x * x, lin * x, -(x - const), mpmath.mpf(1)
        p = (3 * a * c - b * b) / (3 * a * a)
        q = (2 * b**3 - 9 * a * b * c + 27 * a * a * d) / (27 * a**3)
        disc = (q / 2) ** 2 + (p / 3) ** 3
        if disc <= 0:
            return mpmath.mpf(0)
        root = mpmath.sqrt(disc)
        return mpmath.sqrt(3) * abs(cbrt(-q / 2 + root) - cbrt(-q / 2 - root)) / (2 * mpmath.pi)
    return rho


def test_free_product_against_quadrature_of_the_cubic_density():
    c1, c2 = 0.5, 0.25
    spec = rd.free_product(rd.MarchenkoPastur(c1), rd.MarchenkoPastur(c2))
    (a, b), = spec.support()
    rho = cubic_density(c1, c2)
    z = [1 + 1j, 2 - 0.5j, 0.3j, -1.0, 0.5 * a, b + 0.5, a - 1e-6 * a, b + 1e-10 * b]

    am, bm = cubic_edges(c1, c2, (a, b))

    def quad(zi):
        with mpmath.workdps(REF_DPS):
            zz = mpmath.mpc(zi.real, zi.imag)
            return mpmath.quad(lambda x: rho(x) / (zz - x), [am, (am + bm) / 2, bm])

    with mpmath.workdps(70):  # the density integrates to 1 (no atoms for c1, c2 < 1)
        assert abs(mpmath.quad(rho, [am, (am + bm) / 2, bm]) - 1) < mpmath.mpf(10) ** -45
    assert compare(spec, z, quad) < TOL


def test_dps_path_never_takes_the_unphysical_member_of_a_pair():
    """At real z next to an edge the double value cannot tell the two merging roots apart
    (inside: a conjugate pair; outside: two real roots); the high-precision value must be the
    limit from above: ``Im g <= 0``, and a real ``g`` must decrease (checked by the sign of
    the imaginary part at ``z + 1e-30 i``, a point where there is no ambiguity)."""
    spec = rd.free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.25))
    for e in np.ravel(spec.support()):
        xs = [e]
        for _ in range(4):
            xs = [np.nextafter(xs[0], -np.inf)] + xs + [np.nextafter(xs[-1], np.inf)]
        g = spec.stieltjes(np.array(xs, dtype=complex), dps=DPS)
        with mpmath.workdps(DPS):
            for x, gi in zip(xs, g, strict=True):
                assert gi.imag <= 0
                # one Newton step of the double-free route: g(x + i d) ~ g(x) + i d g'(x), so
                # a real g with g' < 0 has Im g(x + i d) < 0 for tiny d
                near = spec.stieltjes(np.array([x + 1e-30j]), dps=DPS)[0]
                assert near.imag < 0 and abs(near - gi) < mpmath.mpf(10) ** -10
