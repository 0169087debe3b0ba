"""The Laplace response ``H(s)`` of a product of two Wisharts: a branch-tracked cubic solver.

For ``A = W1 W2`` with ``W_i = X_i^T X_i / P_i`` (``N x N``, ``gamma_i = N/P_i``) the Laplace
response ``H(s) = lim (1/N) tr (s + A)^{-1} = int rho(l)/(s + l) dl = -g(-s)`` solves
(paper-notes section 3.4; S-transform ``S(w) = 1/((1 + gamma1 w)(1 + gamma2 w))``)

    gamma1 gamma2 s^2 H^3 + s [(1-gamma1) gamma2 + (1-gamma2) gamma1] H^2
        + [s + (1-gamma1)(1-gamma2)] H - 1 = 0,

equivalently ``H = 1/(s + r1 r2)`` with ``r_i = 1 - gamma_i (1 - s H)``. The solver works with
``u = s H(s) = int rho s/(s + l)``, which satisfies the cubic with constant leading coefficient

    P(u, s) = gamma1 gamma2 u^3 + b u^2 + (s + a) u - s = 0,
    a = (1-gamma1)(1-gamma2),  b = (1-gamma1) gamma2 + (1-gamma2) gamma1,

so nothing degenerates at ``s = 0`` (roots ``0, 1 - 1/gamma1, 1 - 1/gamma2`` there; the
physical ``u(0+)`` is the mass of the atom at 0) and the pole ``H ~ u(0)/s`` is explicit.

Branch rule (stated once, applied everywhere): the physical root is the one with
``u = 1 - 1/s + O(1/s^2)`` for large ``|s|``, continued analytically along a path that never
meets the cut ``(-inf, 0]``. For a target ``s`` with ``Im s >= 0`` (lower half plane by
``u(conj s) = conj u(s)``):

1. start at ``s0 = Re s + i h`` with ``h = max(Im s, h_start)``, ``h_start`` several times the
   spectral radius, where Newton from ``s0/(s0 + 1)`` converges to the physical root;
2. lower the imaginary part geometrically (per point, adaptive ratio) with Newton warm starts.
   A step is accepted only if Newton converges in a few iterations, the new root is closer to
   the previous one than half the distance from the previous one to the two other roots (the
   deflated quadratic), and it keeps the Herglotz sign ``Im u >= 0``; otherwise the step shrinks;
3. jump to ``Im s`` (possibly 0: the limit from above, ``u(x + i0)``).

The path stays in the open upper half plane until its last point, so it never crosses the cut
and never passes through ``s = 0``.
"""

from __future__ import annotations

import numpy as np

from rmtdyn.errors import ConvergenceError


class ProductCubic:
    """Coefficients, residual and physical root of the product-Wishart cubic (in ``u = sH``)."""

    def __init__(self, gamma1: float, gamma2: float):
        self.gamma1 = float(gamma1)
        self.gamma2 = float(gamma2)
        self.g12 = self.gamma1 * self.gamma2
        self.b = (1.0 - gamma1) * gamma2 + (1.0 - gamma2) * gamma1
        self.a = (1.0 - gamma1) * (1.0 - gamma2)
        self.lam_max_bound = (1.0 + np.sqrt(gamma1)) ** 2 * (1.0 + np.sqrt(gamma2)) ** 2

    # -------------------------------------------------------------- algebra
    def residual(self, u: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``P(u, s)`` and ``dP/du``."""
        g, b = self.g12, self.b
        return ((g * u + b) * u + s + self.a) * u - s, (3.0 * g * u + 2.0 * b) * u + s + self.a

    def u_derivative(self, u: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``u'(s) = (1 - u)/P_u`` (implicit differentiation, ``P_s = u - 1``)."""
        _, du = self.residual(u, s)
        return (1.0 - u) / du

    def derivative(self, h: np.ndarray, s: np.ndarray) -> np.ndarray:
        """``H'(s)`` from ``H = u/s``: ``H' = (u' s - u)/s^2``."""
        u = s * h
        return (self.u_derivative(u, s) * s - u) / (s * s)

    def _other_roots_distance(self, u: np.ndarray, s: np.ndarray, ref: np.ndarray) -> np.ndarray:
        """Distance from ``ref`` to the two other roots (deflating the root ``u`` at ``s``)."""
        g = self.g12
        q1 = self.b + g * u
        q0 = s + self.a + self.b * u + g * u * u
        disc = np.sqrt(q1 * q1 - 4.0 * g * q0)
        r1 = (-q1 + disc) / (2.0 * g)
        r2 = (-q1 - disc) / (2.0 * g)
        return np.minimum(np.abs(r1 - ref), np.abs(r2 - ref))

    # -------------------------------------------------------------- solver
    def _roundoff(self, u: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Round-off level of ``P(u, s)``: ``8 eps`` times the sum of the moduli of its terms."""
        au = np.abs(u)
        return 8.0 * np.finfo(float).eps * (
            ((self.g12 * au + abs(self.b)) * au + np.abs(s + self.a)) * au + np.abs(s))

    def _newton(self, u, s, max_iter=8, tol=1e-15):
        """Newton from ``u``; returns ``(u, ok)``. A point converges when the step is below
        ``tol (1 + |u|)`` or the residual is at round-off level."""
        u = u.copy()
        ok = np.zeros(u.shape, dtype=bool)
        active = np.ones(u.shape, dtype=bool)
        for _ in range(max_iter):
            if not active.any():
                break
            ua, sa = u[active], s[active]
            f, df = self.residual(ua, sa)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                step = f / df
            finite = np.isfinite(step)
            small = np.abs(f) <= self._roundoff(ua, sa)
            move = finite & ~small
            un = ua - np.where(move, step, 0.0)
            u[active] = un
            done = small | (finite & (np.abs(step) <= tol * (1.0 + np.abs(un))))
            idx = np.flatnonzero(active)
            ok[idx[done]] = True
            active[idx[done | ~finite]] = False
        return u, ok

    def solve_u_upper(self, s: np.ndarray) -> np.ndarray:
        """Physical ``u(s) = s H(s)`` for a 1-D array with ``Im s >= 0`` (``Im s = 0``: the
        limit from above)."""
        s = np.asarray(s, dtype=complex)
        if s.size == 0:
            return s.copy()
        target = np.maximum(s.imag, 0.0)
        h_start = 4.0 * (1.0 + self.lam_max_bound)
        eta = np.maximum(target, h_start)
        s0 = s.real + 1j * eta
        u, ok = self._newton(s0 / (s0 + 1.0), s0, max_iter=60)
        if not ok.all():
            f, _ = self.residual(u[~ok], s0[~ok])
            raise ConvergenceError("product-Wishart cubic: Newton failed at the starting height",
                                   float(np.max(np.abs(f))), 60)
        ratio = np.full(s.shape, 0.3)
        floor = 1e-13 * h_start
        todo = eta > target
        for level in range(4000):
            if not todo.any():
                break
            idx = np.flatnonzero(todo)
            nxt = eta[idx] * ratio[idx]
            nxt = np.where(nxt < np.maximum(floor, target[idx]), target[idx], nxt)
            snext = s.real[idx] + 1j * nxt
            old = u[idx]
            trial, conv = self._newton(old, snext)
            near = np.abs(trial - old) < 0.5 * self._other_roots_distance(trial, snext, old)
            good = conv & near & (trial.imag >= -1e-12 * (1.0 + np.abs(trial)))
            acc = idx[good]
            u[acc] = trial[good]
            eta[acc] = nxt[good]
            ratio[acc] = np.maximum(ratio[acc] ** 1.5, 1e-3)
            rej = idx[~good]
            ratio[rej] = np.sqrt(ratio[rej])
            if np.any(ratio[rej] > 0.99999):
                b = rej[ratio[rej] > 0.99999]
                f, _ = self.residual(u[b], s.real[b] + 1j * eta[b])
                raise ConvergenceError(
                    f"product-Wishart cubic: continuation stalled at s = {s[b][0]:.6g} "
                    f"(height {eta[b][0]:.3g})", float(np.max(np.abs(f))), level)
            todo = eta > target
        if todo.any():
            raise ConvergenceError("product-Wishart cubic: continuation did not finish",
                                   float("nan"), 4000)
        f, _ = self.residual(u, s.real + 1j * target)
        bad = ~(np.abs(f) <= 1e-12 * (1.0 + np.abs(s)) + 100.0 * self._roundoff(u, s))
        if bad.any():
            raise ConvergenceError("product-Wishart cubic: final residual too large",
                                   float(np.nanmax(np.abs(f))), 0)
        return u

    def solve_u(self, *arrays: np.ndarray):
        """Physical ``u = sH`` for complex arrays of any shape (conjugate symmetry below the axis).

        Several arrays may be passed (one result each): their values are folded into the upper
        half plane and de-duplicated, so each distinct ``s`` is solved once."""
        arrays = [np.asarray(a, dtype=complex) for a in arrays]
        flat = np.concatenate([a.ravel() for a in arrays])
        lower = flat.imag < 0
        folded = flat.real + 1j * np.abs(flat.imag)
        uniq, inverse = np.unique(folded, return_inverse=True)
        roots = self.solve_u_upper(uniq)[inverse.ravel()]
        roots = np.where(lower, np.conj(roots), roots)
        out, start = [], 0
        for a in arrays:
            out.append(roots[start:start + a.size].reshape(a.shape))
            start += a.size
        return out[0] if len(out) == 1 else tuple(out)

    def solve(self, *arrays: np.ndarray):
        """Physical ``H(s) = u(s)/s`` (``s != 0``) for complex arrays of any shape."""
        us = self.solve_u(*arrays)
        if len(arrays) == 1:
            return us / np.asarray(arrays[0], dtype=complex)
        return tuple(u / np.asarray(a, dtype=complex) for u, a in zip(us, arrays, strict=True))

    def solve_upper(self, s: np.ndarray) -> np.ndarray:
        """``H(s)`` for a 1-D array with ``Im s >= 0``, ``s != 0``."""
        s = np.asarray(s, dtype=complex)
        return self.solve_u_upper(s) / s

    def real_axis_upper(self, s: np.ndarray) -> np.ndarray:
        """``H(x + i0)`` on real ``x < 0`` inside the cut, by root selection.

        The cubic in ``u`` has real coefficients there; inside the support it has exactly one
        pair of complex-conjugate roots, and the limit from above is the member with
        ``Im u >= 0`` (Herglotz: ``Im u(s) >= 0`` for ``Im s > 0``), i.e. ``Im H <= 0``."""
        from rmtdyn.solvers.polyroots import polynomial_roots

        x = np.asarray(s, dtype=float)
        coeffs = np.stack([-x, x + self.a, np.full_like(x, self.b), np.full_like(x, self.g12)],
                          axis=-1)
        roots = polynomial_roots(coeffs)
        idx = np.argmax(roots.imag, axis=-1)
        u = np.take_along_axis(roots, idx[..., None], axis=-1)[..., 0]
        return u / x

    # -------------------------------------------------------------- support
    def edges(self) -> np.ndarray:
        """Candidate spectral edges: ``l > 0`` where the cubic in ``u`` has a double root at
        ``s = -l`` (real roots of its discriminant, a polynomial in ``s``)."""
        from numpy.polynomial import Polynomial as Poly

        a3 = Poly([self.g12])
        a2 = Poly([self.b])
        a1 = Poly([self.a, 1.0])
        a0 = Poly([0.0, -1.0])
        disc = (18 * a3 * a2 * a1 * a0 - 4 * a2**3 * a0 + a2**2 * a1**2 - 4 * a3 * a1**3
                - 27 * a3**2 * a0**2)
        roots = disc.roots()
        lam = -roots[np.abs(roots.imag) <= 1e-9 * (1 + np.abs(roots))].real
        return np.sort(lam[lam > 1e-12])
