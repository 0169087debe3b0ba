r"""High-precision Stieltjes transforms from an algebraic equation (mpmath).

``stieltjes_from_equation(P, z, g_double, dps)`` returns ``g(z)`` to ``dps`` digits;
``stieltjes_from_equation_at(P, points, g_double, dps)`` does the same at mpmath points
(e.g. a point known to more digits than a double, as the high-precision Silverstein solver of
``rmtdyn.spectra.population`` needs) and can also return ``g'(z) = -P_z/P_g``.

Branch rule (by construction). ``g_double`` is the spectrum's own branch-tracked double
precision value, accurate to ~1e-13 (~1e-8 next to a square-root edge). The candidates are
the roots of ``P(., z)`` within ``ACCEPT_RADIUS |g_double|`` (1e-6) of it; among them the
*physical* ones are kept (convention ``g(z) = int rho/(z - l)``):

* ``Im z > 0``: ``Im g <= 0`` (``Im z < 0``: ``Im g >= 0``, since ``g(conj z) = conj g(z)``);
* ``Im z = 0`` (``z = x + i0``): a non-real root must have ``Im g < 0``; a real root must have
  ``g'(x) = -P_z/P_g < 0``, because outside the support ``g'(x) = -int rho/(x - l)^2 < 0``.

The nearest physical candidate is returned. These two rules decide exactly the cases the
double-precision value cannot: next to an edge the two branches that meet there are
``O(sqrt(distance))`` apart, a complex-conjugate pair inside the support (one root has
``Im g > 0``), a real pair outside it (one root has ``g' > 0``). No candidate, or no physical
candidate, raises ``ConvergenceError`` (the double value is then not on any branch: it is
never resolved by taking whatever root happens to be nearest).

Fast certified path: Newton's method from ``g_double`` converges to a root zeta; deflating,
``q(g) = P(g, z)/(g - zeta)`` is Taylor-expanded at ``g_double``, ``q = sum_k c_k t^k``, and
Cauchy's bound (in the variable ``t/|g_double|``, so that it does not depend on the scale of
g) puts every other root at distance ``>= |g| |c_0|/(|c_0| + max_k |c_k| |g|^k)`` from
``g_double``. When that bound exceeds ``2 |zeta - g_double|`` zeta is provably the nearest
root; if it is also a physical candidate it is the answer. Otherwise all roots are computed
at ``dps`` digits (``mpmath.polyroots``) and the rule above is applied. The root is polished
by Newton steps at ``dps + 10`` digits.

Where ``g_double`` is not finite (z on an atom: a pole of g, reported as e.g. ``-i inf``
for ``x + i0``) that value is returned unchanged, as in the double-precision path.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import mpmath
import numpy as np
import sympy as sp

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError
from rmtdyn.symbolic.polynomials import as_equation
from rmtdyn.symbolic.support import newton_polish
from rmtdyn.symbolic.symbols import G, Z

__all__ = ["stieltjes_from_equation", "stieltjes_from_equation_at", "ACCEPT_RADIUS"]

#: A root is a candidate when it lies within ``ACCEPT_RADIUS * |g_double|`` of the double value.
ACCEPT_RADIUS = 1e-6


@lru_cache(maxsize=64)
def _tables(P: sp.Poly, dps: int) -> tuple[tuple, tuple]:
    """``(table, ztable)``: ``table[i]`` holds the coefficients (highest power of z first) of
    ``g^(deg - i)`` in ``P``, ``ztable[i]`` those of ``dP/dz``; mpmath numbers at ``dps + 20``
    digits (cached: the sympy evaluation dominates the cost of a single point)."""
    deg_g = P.degree(G)
    deg_z = P.degree(Z)
    with mpmath.workdps(dps + 20):
        table = [[mpmath.mpf(0)] * (deg_z + 1) for _ in range(deg_g + 1)]
        for (i, k), c in P.terms():
            table[deg_g - i][deg_z - k] = mpmath.mpmathify(sp.N(c, dps + 20))
        ztable = [[c * (deg_z - j) for j, c in enumerate(row[:-1])] or [mpmath.mpf(0)]
                  for row in table]
    return tuple(tuple(r) for r in table), tuple(tuple(r) for r in ztable)


def _taylor_coefficients(coeffs: list, x) -> list:
    """``c_k`` with ``p(x + t) = sum_k c_k t^k`` (``coeffs`` highest first), by repeated Horner."""
    work = list(coeffs)
    out = []
    while work:
        acc = []
        value = mpmath.mpc(0)
        for c in work:
            value = value * x + c
            acc.append(value)
        out.append(acc[-1])
        work = acc[:-1]
    return out


def _certified_newton(coeffs: list, dcoeffs: list, guess, tol):
    """Newton from ``guess``; the root if it is provably the nearest one to ``guess``, else None."""
    root = newton_polish(coeffs, dcoeffs, guess, tol, max_steps=12)
    if root is None:
        return None
    if len(coeffs) == 2:
        return root
    # deflate by (g - root): synthetic division, remainder dropped
    quotient = [coeffs[0]]
    for c in coeffs[1:-1]:
        quotient.append(c + quotient[-1] * root)
    taylor = _taylor_coefficients(quotient, guess)
    # Cauchy's bound in the scaled variable t = r s, r = |guess| (scale invariant: the roots
    # may be ~1e125 at the hard edge): every root of q has |s| >= |c_0|/(|c_0| + max |c_k| r^k)
    r = abs(guess) if guess != 0 else mpmath.mpf(1)
    c0 = abs(taylor[0])
    rest = max(abs(c) * r**k for k, c in enumerate(taylor) if k) if len(taylor) > 1 else 0
    if c0 == 0:
        return None
    bound = r * c0 / (c0 + rest)
    return root if bound > 2 * abs(root - guess) else None


def _all_roots(coeffs: list, dps: int) -> list:
    """Every root of the polynomial (``coeffs`` highest first): the stable quadratic formula
    for degree 2 (Durand-Kerner can stall when the coefficients span hundreds of decades,
    e.g. at the hard edge), ``mpmath.polyroots`` otherwise (retried with more steps and
    precision before giving up with ``ConvergenceError``)."""
    if len(coeffs) == 2:
        return [-coeffs[1] / coeffs[0]]
    if len(coeffs) == 3:
        a, b, c = coeffs
        disc = mpmath.sqrt(b * b - 4 * a * c)
        big = -(b + disc) if abs(b + disc) >= abs(b - disc) else -(b - disc)
        if big == 0:
            return [mpmath.mpc(0), mpmath.mpc(0)]
        return [big / (2 * a), 2 * c / big]
    for steps, extra in ((200, 2 * dps + 40), (2000, 6 * dps + 200)):
        try:
            return mpmath.polyroots(coeffs, maxsteps=steps, extraprec=extra)
        except mpmath.libmp.NoConvergence:
            continue
    raise ConvergenceError("mpmath.polyroots did not converge", float("inf"), 2000)


def _physical(root, z_imag_sign: int, coeffs, dcoeffs, zcoeffs, tiny) -> bool:
    """The sign rule of the module docstring (``tiny``: relative size counted as zero)."""
    size = abs(root)
    if z_imag_sign > 0:
        return root.imag <= tiny * size
    if z_imag_sign < 0:
        return root.imag >= -tiny * size
    if abs(root.imag) > tiny * size:
        return root.imag < 0
    dpg = mpmath.polyval(dcoeffs, root)
    if dpg == 0:  # a double root: the edge itself, where both branches are the same point
        return True
    slope = -mpmath.polyval(zcoeffs, root) / dpg  # g'(x) = -P_z / P_g
    return mpmath.re(slope) < 0


def _solve_point(table, ztable, zi, guess, dps: int, tol, label):
    """The physical root of ``P(., zi)`` next to ``guess`` and ``g'(zi)`` (see module docstring)."""
    coeffs = [mpmath.polyval(list(row), zi) for row in table]
    zcoeffs = [mpmath.polyval(list(row), zi) for row in ztable]
    while len(coeffs) > 1 and coeffs[0] == 0:
        coeffs.pop(0)
        zcoeffs.pop(0)
    if len(coeffs) < 2:
        raise ValueError(f"P(., z) is constant at z = {label}")
    dcoeffs = [c * (len(coeffs) - 1 - i) for i, c in enumerate(coeffs[:-1])]
    sign = 0 if zi.imag == 0 else (1 if zi.imag > 0 else -1)
    tiny = mpmath.mpf(10) ** (-(dps - 5))
    radius = ACCEPT_RADIUS * abs(guess) if guess != 0 else mpmath.mpf(ACCEPT_RADIUS)
    root = _certified_newton(coeffs, dcoeffs, guess, tol)
    if root is None or abs(root - guess) > radius or not _physical(
            root, sign, coeffs, dcoeffs, zcoeffs, tiny):
        roots = _all_roots(coeffs, dps)
        near = [r for r in roots if abs(r - guess) <= radius]
        physical = [r for r in near if _physical(r, sign, coeffs, dcoeffs, zcoeffs, tiny)]
        if not physical:
            gap = min(abs(r - guess) for r in roots) / max(abs(guess), mpmath.mpf(10) ** -300)
            what = "no root" if not near else "no physical root"
            raise ConvergenceError(
                f"high-precision branch at z = {label}: {what} within {ACCEPT_RADIUS:g} "
                "(relative) of the double-precision value", float(gap), 0)
        root = min(physical, key=lambda r: abs(r - guess))
        for _ in range(4):
            df = mpmath.polyval(dcoeffs, root)
            if df == 0:
                break
            step = mpmath.polyval(coeffs, root) / df
            root -= step
            if abs(step) <= tol * (1 + abs(root)):
                break
    if sign == 0 and abs(root.imag) <= mpmath.mpf(10) ** (-dps) * abs(root):
        # Real z outside the support: g is real there (g(conj z) = conj g(z) and g is
        # analytic across the axis), so an imaginary part below the working precision
        # is root-finding noise and is dropped.
        root = mpmath.mpc(root.real, 0)
    scale = sum(abs(c) * abs(root) ** (len(coeffs) - 1 - i) for i, c in enumerate(coeffs))
    resid = abs(mpmath.polyval(coeffs, root)) / scale if scale else 0
    if resid > mpmath.mpf(10) ** (-(dps - 5)):
        raise ConvergenceError(f"high-precision root at z = {label} did not converge",
                               float(resid), 4)
    dpg = mpmath.polyval(dcoeffs, root)
    dg = -mpmath.polyval(zcoeffs, root) / dpg if dpg != 0 else mpmath.mpc(mpmath.inf)
    return root, dg


def _prepare(P, dps):
    P = as_equation(P)
    if P.free_symbols - {G, Z}:
        raise ValueError("P must have numeric coefficients")
    dps = check.positive_int("dps", dps, minimum=15)
    if P.degree(G) < 1:
        raise ValueError("P must involve g")
    return P, dps


def stieltjes_from_equation(P, z, g_double, dps: int) -> np.ndarray:
    """``g(z)`` at ``dps`` decimal digits on the physical branch of ``P(g, z) = 0`` at ``g_double``.

    Parameters
    ----------
    P
        The equation (``Poly`` or expression in ``rmtdyn.symbolic.G, Z``), numeric coefficients.
    z
        Complex array (any shape); real entries mean ``x + i0``.
    g_double
        The physical ``g(z)`` in double precision, same shape (e.g. ``spectrum.stieltjes(z)``).
    dps
        Decimal digits of the result (>= 15).

    Returns
    -------
    Object ndarray of ``mpmath.mpc`` with the shape of ``z``.

    Raises
    ------
    ConvergenceError
        If no root on the physical side (module docstring) lies within ``ACCEPT_RADIUS``
        of ``g_double``, or the Newton polish leaves a relative residual above
        ``10^-(dps - 5)``.
    """
    P, dps = _prepare(P, dps)
    z = check.complex_array("z", z)
    g_double = np.asarray(g_double, dtype=complex)
    if g_double.shape != z.shape:
        raise ValueError(f"g_double must have the shape of z {z.shape}, got {g_double.shape}")
    out = np.empty(z.shape, dtype=object)
    with mpmath.workdps(dps + 10):
        points = [mpmath.mpc(z[idx].real, z[idx].imag) for idx in np.ndindex(z.shape)]
    values = stieltjes_from_equation_at(P, points, g_double.ravel(), dps)
    for k, idx in enumerate(np.ndindex(z.shape)):
        out[idx] = values[k]
    return out


def stieltjes_from_equation_at(P, points: Sequence, g_double, dps: int,
                               derivative: bool = False):
    """``g`` (and, with ``derivative``, ``g' = -P_z/P_g``) at mpmath points, ``dps`` digits.

    ``points`` is a sequence of numbers (``mpmath.mpc``/``mpf``, complex or float), taken
    with all their digits; ``g_double`` the physical double-precision values there (one per
    point). Branch rule and errors as in ``stieltjes_from_equation`` (module docstring).
    Returns a list of ``mpmath.mpc`` (and a second list with the derivatives: infinite where
    ``P_g = 0``, and at atoms, where the infinite ``g_double`` is returned unchanged).
    """
    P, dps = _prepare(P, dps)
    g_double = np.asarray(g_double, dtype=complex).ravel()
    if g_double.size != len(points):
        raise ValueError(f"g_double must have one value per point ({len(points)}), "
                         f"got {g_double.size}")
    table, ztable = _tables(P, dps)
    values, slopes = [], []
    with mpmath.workdps(dps + 10):
        tol = mpmath.mpf(10) ** (-(dps + 5))
        for zp, gd in zip(points, g_double, strict=True):
            zi = mpmath.mpc(zp)
            if not np.isfinite(gd):
                # a pole of g (an atom at z, e.g. -i inf at x + i0): passed through unchanged
                values.append(mpmath.mpc(gd.real, gd.imag))
                slopes.append(mpmath.mpc(mpmath.inf))
                continue
            guess = mpmath.mpc(gd.real, gd.imag)
            root, dg = _solve_point(table, ztable, zi, guess, dps, tol,
                                    mpmath.nstr(zi, 17))
            with mpmath.workdps(dps):
                values.append(+root)
                slopes.append(+dg)
    return (values, slopes) if derivative else values
