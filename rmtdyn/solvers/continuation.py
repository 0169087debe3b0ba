"""Scalar implicit equations ``F(u; z) = 0`` solved for many ``z`` at once, down to the real axis.

Used by the subordination equations of free sums and products and by the
Gaussian-equivalence equation of nonlinear random features. The recipe:

1. start every point at ``z_start = Re z + i max(Im z, eta_start)`` (far enough from the
   real axis that the problem is well conditioned), from ``u_init(z_start)``;
2. run a few sweeps of a *fixed-point map* ``u <- T(u; z)`` (for subordination this is the
   Belinschi-Bercovici map, a contraction of the upper half plane, so it lands on the
   physical branch by construction), then Newton;
3. walk ``eta`` down to ``Im z`` (possibly 0) with Newton warm starts. The step ratio adapts
   per point: a failed step (no convergence, or the iterate leaves the admissible set given
   by ``valid``) is retried with a ratio closer to 1, a successful one lets the ratio shrink.

The branch is therefore chosen by continuation from the well-conditioned region where
the fixed-point map selects it, never by luck. A point that cannot be continued raises
``ConvergenceError`` with its residual.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn.errors import ConvergenceError

Residual = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def newton_masked(
    residual: Residual,
    u: np.ndarray,
    z: np.ndarray,
    *,
    tol: float | np.ndarray = 1e-14,
    max_iter: int = 60,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    contract: bool = True,
    accept_residual: float = 1e-11,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Newton on independent scalar equations; returns ``(u, converged_mask, last_residual)``.

    A point converges when ``|du| <= tol (1 + |u|)`` or ``|F| <= 4e-16 (1 + |u|)``; it fails
    when its iterate becomes non-finite, when (with ``contract``) a Newton step is longer than
    3/4 of the previous one (the start was outside the basin of the root it should continue),
    or (at the end) when it leaves ``valid``. Points whose steps stop contracting, or that run
    out of iterations, are still accepted when ``|F|/(1 + |u|) <= accept_residual`` (the
    attainable accuracy near a double root is only ~sqrt(eps) in ``u``). ``last_residual``
    is ``|F| / (1 + |u|)`` at the last iterate where ``F`` was evaluated (before the final
    step, so an upper bound for the returned ``u`` when Newton converges).
    """
    u = np.array(u, dtype=complex, copy=True)
    active = np.ones(u.shape, dtype=bool)
    ok = np.zeros(u.shape, dtype=bool)
    last = np.full(u.shape, np.inf)
    prev_step = np.full(u.shape, np.inf)
    for _ in range(max_iter):
        if not active.any():
            break
        ua, za = u[active], z[active]
        f, df = residual(ua, za)
        last[active] = np.abs(f) / (1.0 + np.abs(ua))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = f / df
        finite = np.isfinite(step)
        small = np.abs(f) <= 4e-16 * (1.0 + np.abs(ua))  # residual at round-off: stop here
        move = finite & ~small
        ua = np.where(move, ua - np.where(move, step, 0.0), ua)
        u[active] = ua
        tol_a = tol[active] if np.ndim(tol) else tol
        done = small | (finite & (np.abs(step) <= tol_a * (1.0 + np.abs(ua))))
        idx = np.flatnonzero(active)
        size = np.abs(step)
        # Branch safety (Kantorovich-type): from a warm start inside the basin of the
        # continued root the steps contract at least like 3/4 (1/2 at a double root).
        # A growing step means the start was outside that basin: fail, do not wander.
        grew = (size > 0.75 * prev_step[idx]) & (size > 1e-9 * (1.0 + np.abs(ua))) & move
        prev_step[idx] = size
        # near a double root the attainable accuracy is ~sqrt(eps): round-off then makes the
        # steps erratic; a residual below accept_residual is accepted (u before the step)
        tiny = grew & (last[idx] <= accept_residual)
        if tiny.any():
            ua[tiny] = ua[tiny] + step[tiny]
            u[idx[tiny]] = ua[tiny]
            done = done | tiny
            grew = grew & ~tiny
        fail = ~(finite | small) | (grew & contract)
        ok[idx[done & ~fail]] = True
        active[idx[done | fail]] = False
    if active.any():  # slow (linear) convergence at near-singular points: accept tiny residuals
        idx = np.flatnonzero(active)
        f, _ = residual(u[idx], z[idx])
        last[idx] = np.abs(f) / (1.0 + np.abs(u[idx]))
        ok[idx[last[idx] <= accept_residual]] = True
    if valid is not None and ok.any():
        idx = np.flatnonzero(ok)
        ok[idx[~valid(u[idx], z[idx])]] = False
    return u, ok, last


def relative_residual(residual: Residual, u: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``|F(u; z)| / (1 + |u|)`` elementwise."""
    f, _ = residual(u, z)
    return np.abs(f) / (1.0 + np.abs(u))


def solve_by_continuation(
    residual: Residual,
    z: np.ndarray,
    u_init: Callable[[np.ndarray], np.ndarray],
    *,
    eta_start: float,
    fixed_point: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    fixed_point_sweeps: int = 200,
    valid: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    eta_floor: float = 1e-14,
    jump_height: float = 1e-3,
    max_change: float = 0.5,
    tol: float = 1e-14,
    residual_tol: float = 1e-10,
    max_levels: int = 400,
    name: str = "continuation",
    warm: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Solve ``F(u; z) = 0`` for a 1-D complex array ``z`` with ``Im z >= 0``.

    Parameters
    ----------
    residual
        ``(u, z) -> (F, dF/du)``, vectorised.
    u_init
        Starting value at ``z_start`` (the point moved up to ``Im = eta_start``).
    eta_start
        Height at which the solve starts; points already higher start where they are.
    fixed_point
        Optional map ``(u, z) -> u'`` whose iteration converges to the physical root at
        ``z_start``: three sweeps, then Newton; points where Newton fails get five more
        sweeps and a new Newton attempt, up to ``fixed_point_sweeps`` sweeps in all.
    valid
        Optional admissibility test ``(u, z) -> bool`` (e.g. ``Im u >= 0``) applied to every
        accepted Newton solution, which keeps the continuation on the physical branch.
    max_change
        A continuation step is rejected (and retried shorter) when it moves ``u`` by more than
        ``max_change`` times the mean of its old and new size.
    jump_height, eta_floor
        Below ``jump_height * min(eta_start, |z|)`` a point first tries to jump straight to ``Im z``
        (enough inside the bulk); if that fails it keeps descending and jumps only once
        below ``eta_floor * min(eta_start, |z|)``.
    residual_tol
        Final acceptance: ``|F| / (1 + |u|) <= residual_tol`` at every point.
    warm
        Optional ``(z_prev, u_prev)`` of the same shape as ``z``: solutions at nearby points.
        Where ``|z - z_prev| <= 0.5 max(Im z, Im z_prev)`` Newton starts from ``u_prev``
        directly (accepted only if it contracts, stays ``valid`` and meets ``residual_tol``).

    Raises
    ------
    ConvergenceError
        When a point cannot be continued or its final residual exceeds ``residual_tol``.
    """
    z = np.asarray(z, dtype=complex)
    target = np.maximum(z.imag, 0.0)
    if warm is not None and warm[0].shape == z.shape:
        # Warm start from a previous solve at nearby points (e.g. the iterates of an outer
        # solver). Accepted only for moves small against the distance to the real axis,
        # and only where Newton contracts and stays admissible; the rest goes the long way.
        zp, up = warm
        move = np.abs(z - zp)
        near = (move <= 0.5 * np.maximum(target, np.maximum(zp.imag, 0.0))) | (
            move <= 1e-9 * (1.0 + np.abs(z)))
        if near.any():
            idx = np.flatnonzero(near)
            trial, ok, res = newton_masked(residual, up[idx], z[idx], tol=tol, valid=valid)
            if ok.all() and np.all(res[ok] <= residual_tol) and near.all():
                return trial
            rest = ~near
            rest[idx[~(ok & (res <= residual_tol))]] = True
            u_all = np.empty(z.shape, dtype=complex)
            u_all[idx[ok]] = trial[ok]
            if rest.any():
                u_all[rest] = solve_by_continuation(
                    residual, z[rest], u_init, eta_start=eta_start, fixed_point=fixed_point,
                    fixed_point_sweeps=fixed_point_sweeps, valid=valid, eta_floor=eta_floor,
                    jump_height=jump_height, max_change=max_change, tol=tol,
                    residual_tol=residual_tol,
                    max_levels=max_levels, name=name)
            return u_all
    eta = np.maximum(target, eta_start)
    zs = z.real + 1j * eta
    u = np.asarray(u_init(zs), dtype=complex).copy()
    last = np.full(z.shape, np.inf)
    pending = np.ones(z.shape, dtype=bool)
    sweeps_done = 0
    while True:
        # a few fixed-point sweeps on the pending points, then Newton; repeat for failures
        idx = np.flatnonzero(pending)
        if fixed_point is not None:
            for _ in range(5 if sweeps_done else 3):
                new = fixed_point(u[idx], zs[idx])
                good = np.isfinite(new)
                u[idx[good]] = new[good]
            sweeps_done += 5
        trial, ok, res = newton_masked(residual, u[idx], zs[idx], tol=tol, valid=valid)
        u[idx[ok]] = trial[ok]
        last[idx] = res
        pending[idx[ok]] = False
        if not pending.any():
            break
        if fixed_point is None or sweeps_done >= fixed_point_sweeps:
            bad = last[pending]
            raise ConvergenceError(f"{name}: Newton failed at the starting height "
                                   f"eta={eta_start:g} for {int(pending.sum())} points",
                                   float(np.nanmax(np.where(np.isfinite(bad), bad, np.inf))),
                                   sweeps_done)
    # Continuation in eta, per point, with an adaptive ratio.
    ratio = np.full(z.shape, 0.2)
    # the floor scales with |z| too: near z = 0 the solution varies on the scale |z|
    absz = np.abs(z)
    floor = eta_floor * np.where(absz > 0, np.minimum(eta_start, absz), eta_start)
    jump_from = jump_height * eta_start
    may_jump = np.ones(z.shape, dtype=bool)
    todo = eta > target
    for level in range(max_levels):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        nxt = eta[idx] * ratio[idx]
        # below jump_height try the target directly (once); below eta_floor always
        jump = (nxt < np.maximum(floor[idx], target[idx])) | (
            (nxt < jump_from * np.minimum(1.0, np.abs(z[idx]) / eta_start)) & may_jump[idx])
        nxt = np.where(jump, target[idx], nxt)
        znext = z.real[idx] + 1j * nxt
        trial, ok, res = newton_masked(residual, u[idx], znext, tol=tol, valid=valid)
        # continuity: one step may not move u by more than max_change of its size (a larger
        # move means Newton fell onto another root; the step is retried shorter)
        ok &= np.abs(trial - u[idx]) <= max_change * (np.abs(u[idx]) + np.abs(trial)) / 2
        good = idx[ok]
        u[good] = trial[ok]
        last[good] = res[ok]
        eta[good] = nxt[ok]
        ratio[good] = np.maximum(ratio[good] ** 1.5, 0.01)
        bad = idx[~ok]
        failed_jump = bad[jump[~ok] & may_jump[bad] & (eta[bad] > floor[bad])]
        may_jump[failed_jump] = False
        bad = np.setdiff1d(bad, failed_jump, assume_unique=True)
        ratio[bad] = np.sqrt(ratio[bad])
        stuck = ratio[bad] > 0.999
        if stuck.any():
            b = bad[stuck]
            res = relative_residual(residual, u[b], z.real[b] + 1j * eta[b])
            raise ConvergenceError(f"{name}: continuation towards the real axis stalled at "
                                   f"Re z = {z.real[b][0]:.6g}, eta = {eta[b][0]:.3g}",
                                   float(np.max(res)), level)
        todo = eta > target
    if todo.any():
        res = relative_residual(residual, u[todo], z[todo])
        raise ConvergenceError(f"{name}: continuation did not reach the real axis",
                               float(np.max(res)), max_levels)
    if np.any(~(last <= residual_tol)):
        res = relative_residual(residual, u, z.real + 1j * target)
        if np.any(~(res <= residual_tol)):
            raise ConvergenceError(f"{name}: final residual above {residual_tol:g}",
                                   float(np.nanmax(np.where(np.isfinite(res), res, np.inf))), 0)
    return u
