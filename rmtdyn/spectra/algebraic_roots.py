"""Fast Stieltjes transform of an ALGEBRAIC law: batched polynomial roots + a branch rule.

If ``g(z)`` solves ``P(g, z) = sum_k c_k(z) g^k = 0`` (``c_k`` polynomials in ``z``, from
``spec.equation()``), then for many ``z`` at once all roots in ``g`` are the eigenvalues of
a stack of companion matrices (``rmtdyn.solvers.polynomial_roots``). The physical root is
selected by rules that are correct by construction (convention: ``g(z) = ∫ rho(x)/(z - x) dx``,
so ``Im g < 0`` for ``Im z > 0`` and ``g ~ 1/z`` at infinity):

1. ``Im z >= delta`` (``delta = 1e-6 * scale``): ``g(z) = ∫ rho(x) dx/(z - x)`` is an
   average of the points ``1/(z - x)``, ``x`` in the hull ``[lo, hi]`` of the law (support and
   atoms), which lie on an arc of the circle ``|w + i/(2y)| = 1/(2y)`` (``y = Im z``). So the
   physical root lies in the convex hull of that arc: the circular segment cut off by the
   chord from ``1/(z - lo)`` to ``1/(z - hi)`` (a subset of ``Im g < 0``). We accept a point
   only if EXACTLY ONE root lies in the segment by more than ``tol = 1e-11 |g| + 10 e`` (``e``
   = size of the next Newton step, an estimate of the root's error) and NO
   root lies within ``tol`` of its boundary (so rounding cannot change the count); that
   root is the physical one. For ``|z| > 10 scale`` we also require ``|z g - 1| < 1/2``.
   With atoms ``(x_j, m_j)`` the test is applied to the continuous part
   ``(g - sum_j m_j/(z - x_j)) / (1 - sum_j m_j)``, an average over the same arc.
2. ``0 <= Im z < delta`` (including the real axis, ``z = x + i0``): ``g`` is continuous up to
   the axis (Hölder-1/2 at square-root edges). We compute the reference ``g_ref`` at
   ``Re z + i delta`` by rule 1 and take the root nearest to it, accepting only if it is
   clearly separated, ``|g - g_ref| < |g' - g_ref| / 4`` for every other root ``g'`` (the
   continuity error is ``O(delta |g'|)``, ``O(sqrt(delta))`` near square-root edges, where the
   merging roots make the separation test fail), and ``Im g <= 1e-10 |g|``.
3. Every chosen root is Newton-polished on ``P``; it must reach the relative residual
   ``|P| / sum_k |c_k| |g|^k <= 1e-12``.

Points where a rule is ambiguous, the leading coefficient vanishes, or the polish fails are
reported as not accepted; the caller evaluates them with its general (subordination) solver.
"""

from __future__ import annotations

import numpy as np

from rmtdyn.solvers.polyroots import polynomial_roots

__all__ = ["AlgebraicRoots"]


class AlgebraicRoots:
    """Numeric coefficient table of ``P(g, z)`` and the branch-safe root selection above.

    Parameters
    ----------
    poly
        sympy ``Poly`` in ``(G, Z)`` (``rmtdyn.symbolic.symbols``) with real coefficients.
    hull
        ``(lo, hi)`` containing the support and the atoms (sets ``scale = max(|lo|, |hi|,
        hi - lo)``, ``delta = 1e-6 scale`` and "large |z|" = ``10 scale``).
    atoms
        ``(location, mass)`` pairs of the law. Rule 1 is then applied to the continuous part
        ``(g - sum_j m_j/(z - x_j)) / (1 - sum_j m_j)`` (also an average of ``1/(z - x)`` over
        ``[lo, hi]``), which separates the roots of atom-dominated laws.
    """

    def __init__(self, poly, hull: tuple[float, float], atoms=()):
        from rmtdyn.symbolic.symbols import G, Z

        p = poly.as_poly(G, Z)
        dg, dz = p.degree(G), p.degree(Z)
        table = np.zeros((dg + 1, dz + 1))
        for (k, j), c in p.terms():
            table[k, j] = float(c)
        # normalise to avoid overflow for extreme ratios (roots do not change)
        table /= np.max(np.abs(table))
        #: coefficient of g^k as a polynomial in z: table[k, j] z^j
        self.table = table
        self.degree = dg
        self.lo, self.hi = float(hull[0]), float(hull[1])
        self.atom_loc = np.array([float(x) for x, _ in atoms])
        self.atom_mass = np.array([float(m) for _, m in atoms])
        if self.atom_mass.sum() > 1.0 - 1e-9:  # (almost) no continuous part: no transform
            self.atom_loc, self.atom_mass = np.zeros(0), np.zeros(0)
        self.scale = max(abs(self.lo), abs(self.hi), self.hi - self.lo, 1e-300)
        self.delta = 1e-6 * self.scale

    def coefficients(self, z: np.ndarray) -> np.ndarray:
        """``c[n, k] = c_k(z_n)`` (Horner in ``z``)."""
        out = np.zeros(z.shape + (self.degree + 1,), dtype=complex)
        for j in range(self.table.shape[1] - 1, -1, -1):
            out = out * z[:, None] + self.table[:, j]
        return out

    def _eval(self, c: np.ndarray, g: np.ndarray):
        """``(P, dP/dg)`` at ``g`` of shape ``(n, m)`` (Horner)."""
        p = np.zeros(g.shape, dtype=complex)
        dp = np.zeros(g.shape, dtype=complex)
        for k in range(self.degree, -1, -1):
            dp = dp * g + p
            p = p * g + c[:, k:k + 1]
        return p, dp

    def _polish(self, c, g, steps: int):
        """Newton on P for every column of ``g`` (shape (n, m)).

        Returns the roots, the relative residual ``|P| / sum_k |c_k| |g|^k`` and the size of
        the next Newton step (error estimate of the root).
        """
        p, dp = self._eval(c, g)
        for _ in range(steps):
            with np.errstate(divide="ignore", invalid="ignore"):
                trial = g - p / dp
            pt, dpt = self._eval(c, trial)
            # a step is kept only if it lowers |P| (no jumps between nearby roots)
            better = np.isfinite(trial) & (np.abs(pt) < np.abs(p))
            g = np.where(better, trial, g)
            p, dp = np.where(better, pt, p), np.where(better, dpt, dp)
        size = np.zeros(g.shape)
        ag = np.abs(g)
        for k in range(self.degree, -1, -1):
            size = size * ag + np.abs(c[:, k:k + 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            res = np.abs(p) / size
            err = np.abs(p / dp)
        return g, res, np.where(np.isfinite(err), err, np.inf)

    def _roots(self, z):
        c = self.coefficients(z)
        lead = np.abs(c[:, -1])
        ok = lead > 1e-13 * np.max(np.abs(c), axis=1)
        roots = np.full((z.size, self.degree), np.nan + 0j)
        err = np.full((z.size, self.degree), np.inf)
        if ok.any():
            r0 = _cubic_roots(c[ok]) if self.degree == 3 else polynomial_roots(c[ok])
            roots[ok], _, err[ok] = self._polish(c[ok], r0, steps=1)
        return c, roots, ok, err

    def _upper_rule(self, z):
        """Rule 1 for ``Im z > 0``: (g, accepted)."""
        c, roots, ok, err = self._roots(z)
        y = z.imag[:, None]
        w = roots
        if self.atom_mass.size:
            poles = (self.atom_mass / (z[:, None] - self.atom_loc)).sum(axis=1)
            scale = 1.0 / (1.0 - self.atom_mass.sum())
            w = (roots - poles[:, None]) * scale
            err = err * scale
        tol = 1e-11 * np.abs(w) + 10.0 * err
        # signed distance outside the disk |w + i/(2y)| <= 1/(2y), to first order near its
        # boundary: y |w|^2 + Im w (negative inside; no cancellation of large radii)
        d_disk = y * np.abs(w) ** 2 + w.imag
        a = 1.0 / (z - self.lo)
        b = 1.0 / (z - self.hi)
        m = 1.0 / (z - 0.5 * (self.lo + self.hi))
        ab = b - a
        side = np.sign(np.imag(np.conj(ab) * (m - a)))
        with np.errstate(divide="ignore", invalid="ignore"):
            d_chord = np.where(np.abs(ab)[:, None] > 0,
                               side[:, None] * np.imag(np.conj(ab)[:, None] * (w - a[:, None]))
                               / np.abs(ab)[:, None], np.inf)
        inside = (d_disk < -tol) & (d_chord > tol)
        outside = (d_disk > tol) | (d_chord < -tol)
        band = ~inside & ~outside
        ok &= (inside.sum(axis=1) == 1) & ~band.any(axis=1)
        idx = np.argmax(inside, axis=1)
        g = np.take_along_axis(roots, idx[:, None], axis=1)[:, 0]
        far = np.abs(z) > 10.0 * self.scale
        with np.errstate(invalid="ignore"):
            ok &= ~far | (np.abs(z * g - 1.0) < 0.5)
        return c, g, ok

    def stieltjes(self, z: np.ndarray):
        """``(g, dg/dz, accepted)`` for a 1-D array ``z`` with ``Im z >= 0``."""
        z = np.asarray(z, dtype=complex)
        g = np.full(z.shape, np.nan + 0j)
        acc = np.zeros(z.shape, dtype=bool)
        c = np.zeros(z.shape + (self.degree + 1,), dtype=complex)
        high = z.imag >= self.delta
        if high.any():
            c[high], g[high], acc[high] = self._upper_rule(z[high])
        low = ~high
        if low.any():
            zl = z[low]
            _, gref, okref = self._upper_rule(zl.real + 1j * self.delta)
            cl, roots, ok, _ = self._roots(zl)
            dist = np.abs(roots - gref[:, None])
            dist = np.where(np.isfinite(dist), dist, np.inf)
            order = np.argsort(dist, axis=1)
            d1 = np.take_along_axis(dist, order[:, :1], axis=1)[:, 0]
            d2 = (np.take_along_axis(dist, order[:, 1:2], axis=1)[:, 0]
                  if self.degree > 1 else np.full(d1.shape, np.inf))
            gl = np.take_along_axis(roots, order[:, :1], axis=1)[:, 0]
            ok &= okref & (d1 < 0.25 * d2)
            # Herglotz: on/near the axis the physical root cannot be in the upper half plane
            ok &= gl.imag <= 1e-10 * np.abs(gl)
            c[low], g[low], acc[low] = cl, gl, ok
        if acc.any():
            gp, res, _ = self._polish(c[acc], g[acc][:, None], steps=2)
            g[acc] = gp[:, 0]
            good = res[:, 0] <= 1e-12
            idx = np.flatnonzero(acc)
            acc[idx[~good]] = False
        # g' = -P_z / P_g by implicit differentiation
        dg = np.full(z.shape, np.nan + 0j)
        if acc.any():
            za, ga = z[acc], g[acc]
            _, pg = self._eval(c[acc], ga[:, None])
            dtab = self.table[:, 1:] * np.arange(1, self.table.shape[1])
            pz = np.zeros(za.shape, dtype=complex)
            for k in range(self.degree, -1, -1):
                ck = np.zeros(za.shape, dtype=complex)
                for j in range(dtab.shape[1] - 1, -1, -1):
                    ck = ck * za + dtab[k, j]
                pz = pz * ga + ck
            with np.errstate(divide="ignore", invalid="ignore"):
                dg[acc] = -pz / pg[:, 0]
        return g, dg, acc


def _cubic_roots(c: np.ndarray) -> np.ndarray:
    """The 3 roots of ``c0 + c1 g + c2 g^2 + c3 g^3`` per row (Cardano, closed form).

    Used instead of companion eigenvalues for cubics (about 10x faster); the roots are then
    Newton-polished on ``P`` and the branch rule is the same. ``t = g + a/3`` solves
    ``t^3 + p t + q = 0``; ``t = u - p/(3u)``, ``u^3 = -q/2 +- sqrt(q^2/4 + p^3/27)`` with the
    sign that maximises ``|u^3|`` (no cancellation), and the three cube roots of ``u^3``.
    """
    a = c[:, 2] / c[:, 3]
    b = c[:, 1] / c[:, 3]
    d = c[:, 0] / c[:, 3]
    p = b - a * a / 3.0
    q = 2.0 * a**3 / 27.0 - a * b / 3.0 + d
    s = np.sqrt(q * q / 4.0 + p**3 / 27.0)
    u3 = np.where(np.abs(-q / 2 + s) >= np.abs(-q / 2 - s), -q / 2 + s, -q / 2 - s)
    u = np.power(u3, 1.0 / 3.0)
    omega = np.exp(2j * np.pi * np.arange(3) / 3.0)
    uk = u[:, None] * omega
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(uk != 0, uk - p[:, None] / (3.0 * uk), 0.0)
    return t - a[:, None] / 3.0
