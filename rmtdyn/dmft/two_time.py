"""Causal two-time (Volterra-type) DMFT solver on a uniform time grid.

When the effective dynamics is not time-translation invariant, correlation
functions C(t, t') and response functions R(t, t') depend on both times and
no Laplace transform closes the equations.  This module discretises them on a
uniform grid ``t_k = k h`` (k = 0..n-1, h = t_max/(n-1)) and represents every
linear causal operator by an n×n lower-triangular matrix (Nyström method with
the trapezoidal rule):

* an integral operator ``(K f)(t) = ∫_0^t K(t, s) f(s) ds`` becomes
  ``K[k, j] = K(t_k, t_j) w_{kj}`` with the trapezoid weights
  ``w_{kj} = h/2`` for j ∈ {0, k}, ``h`` for 0 < j < k, and ``w_{0j} = 0``
  (:meth:`TwoTimeGrid.integral_operator`);
* the time integral ``∫_0^t f`` is the matrix ``J = w``
  (:attr:`TwoTimeGrid.integration`), which turns ``dx/dt = F`` into the
  implicit (A-stable) trapezoidal rule;
* an equal-time (delta) response is the identity; compositions of operators
  are matrix products and the resolvent ``(I - K)^{-1}`` of a Volterra
  operator is a triangular solve.

Correlation functions are stored as plain value matrices ``C[k, j] =
C(t_k, t_j)``; a Gaussian field ``x = L u`` driven by noise ``u`` with
covariance ``C_u`` has covariance ``L C_u Lᵀ``.

The discretisation error of every quantity is O(h²) (trapezoid rule);
:func:`richardson` turns the results at steps h and h/2 into an error
estimate ``|f_h - f_{h/2}|/3`` and an extrapolated value.

Cost: O(n²) memory per stored two-time function, O(n³) time per fixed-point
sweep (dense triangular products and solves), so O(I n³) for I sweeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.errors import ConvergenceError


class TwoTimeGrid:
    """Uniform grid ``t_k = k h`` on ``[0, t_max]`` with ``n_steps`` steps.

    Parameters
    ----------
    t_max : float > 0
    n_steps : int >= 2
        Number of steps; the grid has ``n_steps + 1`` points.
    """

    def __init__(self, t_max: float, n_steps: int):
        self.t_max = check.positive("t_max", t_max)
        self.n_steps = check.positive_int("n_steps", n_steps, minimum=2)
        self.n = self.n_steps + 1
        self.h = self.t_max / self.n_steps
        self.t = np.linspace(0.0, self.t_max, self.n)
        w = np.tril(np.full((self.n, self.n), self.h))
        w[:, 0] = self.h / 2
        w[np.diag_indices(self.n)] = self.h / 2
        w[0, :] = 0.0
        #: trapezoid weights of ∫_0^{t_k}: also the matrix of the integration operator
        self.integration = w
        self.identity = np.eye(self.n)
        self.ones = np.ones(self.n)

    def integral_operator(self, kernel: np.ndarray) -> np.ndarray:
        """Matrix of ``f ↦ ∫_0^t kernel(t, s) f(s) ds`` (``kernel[k, j] = K(t_k, t_j)``)."""
        return kernel * self.integration

    def causal_inverse(self, op: np.ndarray) -> np.ndarray:
        """``op^{-1}`` for a lower-triangular operator matrix with non-zero diagonal."""
        from scipy.linalg import solve_triangular

        diag = np.diag(op)
        if np.any(np.abs(diag) < 1e-14):
            raise ValueError("the causal operator is singular on the grid (zero on the diagonal); "
                             "use a smaller time step")
        return solve_triangular(op, self.identity, lower=True, check_finite=False)

    def restrict(self, values: np.ndarray, t) -> np.ndarray:
        """Linear interpolation of grid values (last axis) at times ``t``."""
        t = np.asarray(t, dtype=float)
        if np.any(t > self.t_max * (1 + 1e-12)):
            raise ValueError(f"t must be <= t_max = {self.t_max}")
        return np.interp(t, self.t, values)


@dataclass
class FixedPointResult:
    """The converged state of :func:`solve_fixed_point` and its history."""

    state: dict
    iterations: int
    residual: float


def solve_fixed_point(update: Callable[[dict], dict], state: dict, *, tol: float = 1e-11,
                      max_iter: int = 2000, damping: float = 1.0) -> FixedPointResult:
    """Picard iteration ``state ← (1-d) state + d update(state)`` on dicts of arrays.

    For causal (Volterra) equations the iteration converges on any finite
    grid; the residual is the largest absolute change of any entry in one
    sweep.  Raises :class:`ConvergenceError` (with the residual) when it does
    not drop below ``tol`` within ``max_iter`` sweeps or becomes non-finite.
    """
    residual = np.inf
    for it in range(1, max_iter + 1):
        new = update(state)
        residual = 0.0
        for key, val in new.items():
            old = state.get(key)
            if old is None:
                continue
            diff = np.max(np.abs(val - old)) if np.size(val) else 0.0
            scale = max(1.0, np.max(np.abs(val)) if np.size(val) else 1.0)
            residual = max(residual, diff / scale)
        if not np.isfinite(residual):
            raise ConvergenceError("the two-time fixed point diverged (non-finite values); "
                                   "reduce the time step or t_max", residual, it)
        if damping != 1.0:
            new = {k: (1 - damping) * state[k] + damping * v if k in state else v
                   for k, v in new.items()}
        state = new
        if residual < tol:
            return FixedPointResult(state=state, iterations=it, residual=residual)
    raise ConvergenceError(f"the two-time fixed point did not converge in {max_iter} sweeps",
                           residual, max_iter)


def richardson(coarse: np.ndarray, fine: np.ndarray, order: int = 2):
    """Richardson extrapolation of a quantity computed at steps h and h/2.

    Returns ``(extrapolated, error_estimate)`` with
    ``error_estimate = |fine - coarse|/(2^order - 1)`` (the estimated error of
    ``fine``) and ``extrapolated = fine + (fine - coarse)/(2^order - 1)``.
    """
    coarse = np.asarray(coarse, dtype=float)
    fine = np.asarray(fine, dtype=float)
    factor = 2.0**order - 1.0
    return fine + (fine - coarse) / factor, np.abs(fine - coarse) / factor
