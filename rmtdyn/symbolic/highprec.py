r"""High-precision Stieltjes transforms from an algebraic equation (mpmath).

``stieltjes_from_equation(P, z, g_double, dps)`` returns ``g(z)`` to ``dps`` digits.
Branch rule (by construction): at each z the root of ``P(., z)`` *nearest the
double-precision physical value* ``g_double`` is kept. Fast certified path: Newton's
method from ``g_double`` converges to a root zeta; deflating, ``q(g) = P(g, z)/(g - zeta)``
is Taylor-expanded at ``g_double``, ``q = sum_k c_k t^k``, and Cauchy's bound puts every
other root at distance ``>= |c_0|/(|c_0| + max_k |c_k|)`` from ``g_double``. When that
bound exceeds ``2 |zeta - g_double|`` zeta is provably the nearest root. Otherwise all
roots are computed at ``dps`` digits (``mpmath.polyroots``) and the nearest is taken.
``g_double`` comes from the spectrum's own (branch-tracked) double-precision solver
and is within ~1e-13 of the physical root, while distinct roots are separated by much
more except within ~1e-26 of a branch point (support edge), so the choice is
unambiguous. The root is polished by Newton steps at ``dps + 10`` digits.

Where ``g_double`` is not finite (z on an atom: a pole of g, reported as e.g. ``-i inf``
for ``x + i0``) that value is returned unchanged, as in the double-precision path.

On the real axis the two conjugate roots inside the support are ``2 |Im g|`` apart and
``g_double`` (the limit from above) selects the one with ``Im g < 0``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError
from rmtdyn.symbolic.polynomials import as_equation
from rmtdyn.symbolic.support import newton_polish
from rmtdyn.symbolic.symbols import G, Z

__all__ = ["stieltjes_from_equation"]


def _coefficient_table(P: sp.Poly, dps: int) -> list[list]:
    """``table[i]``: coefficients (highest power of z first) of ``g^(deg - i)``, in mpmath."""
    deg_g = P.degree(G)
    deg_z = P.degree(Z)
    table = [[mpmath.mpf(0)] * (deg_z + 1) for _ in range(deg_g + 1)]
    for (i, k), c in P.terms():
        table[deg_g - i][deg_z - k] = mpmath.mpmathify(sp.N(c, dps + 20))
    return table


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
    c0 = abs(taylor[0])
    rest = max(abs(c) for c in taylor[1:]) if len(taylor) > 1 else mpmath.mpf(0)
    if c0 == 0:
        return None
    bound = c0 / (c0 + rest)
    return root if bound > 2 * abs(root - guess) else None


def stieltjes_from_equation(P, z, g_double, dps: int) -> np.ndarray:
    """``g(z)`` at ``dps`` decimal digits on the branch of ``P(g, z) = 0`` nearest ``g_double``.

    Parameters
    ----------
    P
        The equation (``Poly`` or expression in ``rmtdyn.symbolic.G, Z``), numeric coefficients.
    z
        Complex array (any shape); real entries mean ``x + i0`` through ``g_double``.
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
        If the Newton polish leaves a relative residual above ``10^-(dps - 5)``.
    """
    P = as_equation(P)
    if P.free_symbols - {G, Z}:
        raise ValueError("P must have numeric coefficients")
    dps = check.positive_int("dps", dps, minimum=15)
    z = check.complex_array("z", z)
    g_double = np.asarray(g_double, dtype=complex)
    if g_double.shape != z.shape:
        raise ValueError(f"g_double must have the shape of z {z.shape}, got {g_double.shape}")
    out = np.empty(z.shape, dtype=object)
    with mpmath.workdps(dps + 10):
        table = _coefficient_table(P, dps)
        deg_g = len(table) - 1
        tol = mpmath.mpf(10) ** (-(dps + 5))
        for idx in np.ndindex(z.shape):
            zi = mpmath.mpc(z[idx].real, z[idx].imag)
            coeffs = [mpmath.polyval(row, zi) for row in table]
            while len(coeffs) > 1 and coeffs[0] == 0:
                coeffs.pop(0)
            if len(coeffs) < 2:
                raise ValueError(f"P(., z) is constant at z = {z[idx]}")
            guess = mpmath.mpc(g_double[idx].real, g_double[idx].imag)
            if not np.isfinite(g_double[idx]):
                # a pole of g (an atom at z, e.g. -i inf at x + i0): passed through unchanged
                out[idx] = guess
                continue
            dcoeffs = [c * (len(coeffs) - 1 - i) for i, c in enumerate(coeffs[:-1])]
            root = _certified_newton(coeffs, dcoeffs, guess, tol)
            if root is None:
                roots = mpmath.polyroots(coeffs, maxsteps=100, extraprec=dps + 20, error=False)
                root = min(roots, key=lambda r: abs(r - guess))
                for _ in range(3):
                    df = mpmath.polyval(dcoeffs, root)
                    if df == 0:
                        break
                    step = mpmath.polyval(coeffs, root) / df
                    root -= step
                    if abs(step) <= tol * (1 + abs(root)):
                        break
            if z[idx].imag == 0 and abs(root.imag) <= mpmath.mpf(10) ** (-dps) * abs(root):
                # Real z outside the support: g is real there (g(conj z) = conj g(z) and g is
                # analytic across the axis), so an imaginary part below the working precision
                # is root-finding noise and is dropped.
                root = mpmath.mpc(root.real, 0)
            scale = sum(abs(c) * abs(root) ** (len(coeffs) - 1 - i) for i, c in enumerate(coeffs))
            resid = abs(mpmath.polyval(coeffs, root)) / scale if scale else 0
            if resid > mpmath.mpf(10) ** (-(dps - 5)) and deg_g > 0:
                raise ConvergenceError(f"high-precision root at z = {z[idx]} did not converge",
                                       float(resid), 3)
            with mpmath.workdps(dps):
                out[idx] = +root
    return out
