"""Vectorised, damped Newton iteration on arrays of independent scalar equations."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn.errors import ConvergenceError


def newton(
    residual: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    x0: np.ndarray,
    *,
    tol: float = 1e-13,
    max_iter: int = 100,
    max_step: float | None = None,
    name: str = "newton",
) -> np.ndarray:
    """Solve ``F(x) = 0`` elementwise by Newton's method.

    Parameters
    ----------
    residual
        Callable returning ``(F(x), F'(x))`` for an array ``x`` (same shape).
    x0
        Starting points (complex or real array); each entry is an independent equation.
    tol
        Convergence when ``|dx| <= tol * (1 + |x|)`` for every entry.
    max_step
        If given, each Newton step is shortened to at most this modulus (damping).

    Raises
    ------
    ConvergenceError
        If some entry has not converged after ``max_iter`` steps; carries ``max |F|``.
    """
    x = np.array(x0, dtype=complex if np.iscomplexobj(x0) else float, copy=True)
    active = np.ones(x.shape, dtype=bool)
    for _ in range(max_iter):
        xa = x[active]
        f, df = residual(xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = f / df
        bad = ~np.isfinite(step)
        step[bad] = 0.0
        if max_step is not None:
            size = np.abs(step)
            big = size > max_step
            step[big] *= max_step / size[big]
        xa = xa - step
        x[active] = xa
        done = (np.abs(step) <= tol * (1.0 + np.abs(xa))) & ~bad
        active[active] = ~done
        if not active.any():
            return x
    f, _ = residual(x[active])
    raise ConvergenceError(f"{name} did not converge at {active.sum()} points",
                           float(np.max(np.abs(f))) if f.size else np.nan, max_iter)
