r"""The physical branch of an algebraic Stieltjes transform near an atom or a hard edge.

Close to a point ``x0`` carrying an atom of mass ``m`` or a hard edge (for instance 0 for
a rank-deficient Gram matrix), ``g(z) ≈ m/(z - x0)`` and the polynomial root finder loses
all digits of the continuous part ``g - m/(z - x0)`` (or of ``g`` itself, which blows up
like ``(x0 - z)^{-p/e}`` at a hard edge). There the physical branch is evaluated from its
convergent Newton-Puiseux expansion (``rmtdyn.symbolic.puiseux``)

    g(z) = m/(z - x0) + w^{-p} v(w),   w = (x0 - z)^{1/e},   v(w) = sum_{i<K} v_i w^i,

with ``w`` the principal root, so that ``z = x0 + s``, ``Im s >= 0`` (``s`` real means
``s + i0``) maps to ``arg w = (arg s - pi)/e``. The coefficients ``v_i`` come from Newton's
method on power series applied to the exact branch equation ``Q(v, w) = 0``.

**Which branch** (by construction, with a certificate): every candidate ``(m, p/e, v(0))``
of the Newton polygon is expanded; the physical one is the unique candidate that agrees
with the global branch rule (``rmtdyn.spectra.algebraic_roots``, rule 1) to ``1e-8`` at
three points ``x0 + r e^{i theta}``, ``theta = pi/4, pi/2, 3pi/4``, on the boundary of the
disc where it is used, while every other candidate differs there by more than ``1e-4``.
Both are analytic in that (slit) disc, so agreement on an arc identifies them everywhere
in it. If no candidate is certified, no expansion is used.

**Where**: ``|z - x0| < r`` with ``r = (rho R/4)^e``, ``R`` the radius of convergence of
``sum v_i (w/rho)^i`` estimated from the coefficients (``rho`` = a scale of the law), so the
truncation after ``K = 32`` terms is below ``4^-32 ~ 5e-20`` relative for a geometric decay.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["LocalBranch", "physical_local_branch"]

#: number of series terms
TERMS = 32


class LocalBranch:
    """``g = m/(z - x0) + w^{-p} sum_i b_i (w/rho)^i``, ``w = (x0 - z)^{1/e}``, ``|z - x0| < r``."""

    def __init__(self, x0: float, mass: float, p: int, e: int, coeffs: np.ndarray, rho: float,
                 radius: float):
        self.x0, self.mass, self.p, self.e = float(x0), float(mass), int(p), int(e)
        self.coeffs = np.asarray(coeffs, dtype=complex)
        self.rho, self.radius = float(rho), float(radius)
        self.singular = self.mass != 0.0 or self.p > 0

    def __repr__(self) -> str:
        return (f"LocalBranch(x0={self.x0}, mass={self.mass}, exponent=-{self.p}/{self.e}, "
                f"radius={self.radius:.3g})")

    def evaluate(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(g, g')`` for ``Im z >= 0``; at ``z = x0`` a singular branch gives ``-i inf``."""
        s = np.asarray(z, dtype=complex) - self.x0
        s = s.real + 1j * (s.imag + 0.0)  # -0.0 -> +0.0: real s means s + i0
        mod = np.abs(s)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            w = mod ** (1.0 / self.e) * np.exp(1j * (np.angle(s) - math.pi) / self.e)
            x = w / self.rho
            v = np.zeros(s.shape, dtype=complex)
            dv = np.zeros(s.shape, dtype=complex)
            for b in self.coeffs[::-1]:
                dv = dv * x + v
                v = v * x + b
            dv = dv / self.rho  # dv/dw
            wp = w ** (-self.p) if self.p else np.ones(s.shape, dtype=complex)
            g = wp * v
            # d/dz = dw/dz d/dw, dw/dz = -1/(e w^(e-1))
            dgw = wp * dv - (self.p * wp / w * v if self.p else 0.0)
            dg = -dgw / (self.e * w ** (self.e - 1)) if self.e > 1 else -dgw
            if self.mass:
                # m/s and -m/s^2 from modulus and phase: no inf * 0 when |s| is subnormal
                safe = np.where(mod > 0, mod, 1.0)
                unit = np.empty(s.shape, dtype=complex)
                unit.real, unit.imag = s.real / safe, s.imag / safe
                inv = self.mass / mod
                g = g + _scaled(np.conj(unit), inv)
                dg = dg - _scaled(np.conj(unit) ** 2, inv / mod)
        at = mod == 0
        if at.any():
            if self.singular:
                g[at] = complex(0.0, -math.inf)
                dg[at] = complex(-math.inf, 0.0)
            else:
                g[at] = self.coeffs[0]
                if self.e > 1:
                    dg[at] = complex(-math.inf, 0.0)
        return g, dg


def _scaled(unit: np.ndarray, size: np.ndarray) -> np.ndarray:
    """``size * unit`` with exact zeros kept (``inf * 0`` is 0 here, not NaN)."""
    out = np.empty(unit.shape, dtype=complex)
    with np.errstate(invalid="ignore", over="ignore"):
        out.real = np.where(unit.real == 0, 0.0, size * unit.real)
        out.imag = np.where(unit.imag == 0, 0.0, size * unit.imag)
    return out


# ------------------------------------------------------------------- power series
def _mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.convolve(a, b)[: a.size]


def _div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.zeros(a.size, dtype=complex)
    for i in range(a.size):
        out[i] = (a[i] - np.dot(b[1: i + 1], out[i - 1:: -1][:i])) / b[0]
    return out


def _series_root(columns: list[np.ndarray], v0: complex) -> np.ndarray | None:
    """Series ``V`` with ``V[0] = v0`` solving ``sum_k columns[k] V^k = 0`` (Newton on series).

    ``columns[k]`` is the series (in the scaled variable) of the coefficient of ``v^k``.
    ``None`` if the iteration does not converge.
    """
    n = columns[0].size
    v = np.zeros(n, dtype=complex)
    v[0] = v0

    def residual(v):
        f = columns[-1].copy()
        df = np.zeros(n, dtype=complex)
        size = np.abs(columns[-1])
        for col in columns[-2::-1]:
            df = _mul(df, v) + f
            f = _mul(f, v) + col
            size = np.convolve(size, np.abs(v))[:n] + np.abs(col)
        return f, df, size

    with np.errstate(all="ignore"):
        for _ in range(int(math.log2(n)) + 4):
            f, df, _ = residual(v)
            if df[0] == 0 or not np.all(np.isfinite(f)):
                return None
            v = v - _div(f, df)
        f, _, size = residual(v)
        # every order of the series equation holds to 1e-10 of the size of its terms
        if not np.all(np.isfinite(v)) or np.any(np.abs(f) > 1e-10 * size + 1e-300):
            return None
    return v


def _columns(terms: dict, deg: int, wscale: float, n: int) -> list[np.ndarray] | None:
    """Series coefficients of ``v^k`` in ``Q`` in the variable ``w/wscale``, normalised."""
    columns = [np.zeros(n, dtype=complex) for _ in range(deg + 1)]
    with np.errstate(over="ignore", invalid="ignore"):
        for (k, j), c in terms.items():
            if j < n:
                columns[k][j] += float(c) * wscale**j
        norm = max(np.max(np.abs(col)) for col in columns)
    if not np.isfinite(norm) or norm == 0:
        return None
    return [col / norm for col in columns]


def _scaled_series(terms: dict, deg: int, v0: complex, wscale: float):
    """``(series, wscale)`` with the series' radius of convergence near 1 in ``w/wscale``.

    A short series (8 terms) estimates the radius; the variable is rescaled to it (twice
    at most) before the full series is computed, so its coefficients stay O(1).
    """
    n = 8
    for _ in range(4):
        columns = _columns(terms, deg, wscale, n)
        series = None if columns is None else _series_root(columns, v0)
        if series is None:
            return None
        radius = _radius(series)
        if not np.isfinite(radius):  # a polynomial: any scale will do
            radius = 1.0
        if n == TERMS and 0.3 <= radius <= 3.0:
            return series, wscale
        wscale *= radius
        n = TERMS
    return None


def _radius(v: np.ndarray) -> float:
    """Radius of convergence estimate ``min_i (|v_0|/|v_i|)^(1/i)`` over the second half."""
    n = v.size
    a0 = abs(v[0])
    est = [(a0 / abs(v[i])) ** (1.0 / i) for i in range(n // 2, n) if abs(v[i]) > 0]
    return min(est) if est else math.inf


# ------------------------------------------------------------------- construction
def _candidates(poly, x0: float, mass: float, rho: float):
    """All ``(m, p, e, series)`` candidates at ``x0`` (exact algebra, numeric series)."""
    import sympy as sp

    from rmtdyn.symbolic.polynomials import exact_rational
    from rmtdyn.symbolic.puiseux import atom_residue, branch_equation, exponents, regular_part

    x0_exact = exact_rational(x0)
    masses = [sp.Integer(0)]
    if mass > 0:
        # (a residue can be a multiple root: several branches share the atom's mass)
        exact = atom_residue(poly, x0_exact, mass)
        if exact is None:
            return []
        masses = [exact]
    out = []
    for m in masses:
        u_poly = regular_part(poly, x0_exact, m)
        for mu in exponents(u_poly):
            terms, p, e = branch_equation(u_poly, mu)
            deg = max(k for k, _ in terms)
            lead = np.zeros(deg + 1)
            for (k, n), c in terms.items():
                if n == 0:
                    lead[k] = float(c)
            if not np.any(lead[1:]) or not np.all(np.isfinite(lead)):
                continue
            lead /= np.max(np.abs(lead))
            top = int(np.max(np.flatnonzero(lead)))
            poly_v = lead[: top + 1][::-1]
            dpoly_v = np.polyder(poly_v)
            for v0 in np.roots(poly_v):
                size = np.polyval(np.abs(poly_v), abs(v0))
                if v0 == 0 or abs(v0 * np.polyval(dpoly_v, v0)) <= 1e-8 * size:
                    continue  # zero or (numerically) multiple root: not a simple branch
                found = _scaled_series(terms, deg, complex(v0), rho ** (1.0 / e))
                if found is not None:
                    out.append((float(m), p, e, *found))
    return out


def physical_local_branch(poly, x0: float, mass: float, rho: float, reference,
                          max_radius: float) -> LocalBranch | None:
    """The certified physical branch at ``x0`` (module docstring), or ``None``.

    ``reference(z) -> (g, accepted)`` is the global branch rule for ``Im z > 0``; ``rho`` a
    length scale of the law; the disc radius is capped at ``max_radius``.
    """
    try:
        cands = _candidates(poly, x0, mass, rho)
    except (ValueError, ZeroDivisionError, NotImplementedError):
        return None
    if not cands:
        return None
    branches = []
    for m, p, e, series, scale in cands:  # (scale: of the series variable w)
        radius_w = 0.25 * _radius(series) * scale
        radius = min(radius_w**e, max_radius)
        branches.append(LocalBranch(x0, m, p, e, series, scale, radius))
    # certify at the smallest radius among candidates that could be physical
    for shrink in (1.0, 0.1, 0.01):
        for i, br in enumerate(branches):
            r = br.radius * shrink
            zt = x0 + r * np.exp(1j * np.pi * np.array([0.25, 0.5, 0.75]))
            gref, ok = reference(zt)
            if not ok.all():
                continue
            scale_g = np.abs(gref)
            match = [np.max(np.abs(b.evaluate(zt)[0] - gref) / scale_g) for b in branches]
            others = [d for j, d in enumerate(match) if j != i]
            if match[i] <= 1e-8 and all(d > 1e-4 for d in others):
                br.radius = r
                return br
    return None
