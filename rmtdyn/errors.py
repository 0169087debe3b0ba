"""Exceptions raised by rmtdyn."""

from __future__ import annotations


class ConvergenceError(RuntimeError):
    """An iterative solver stopped before meeting its tolerance.

    Attributes
    ----------
    residual : float
        The largest residual left when the solver stopped.
    iterations : int
        The number of iterations performed.
    """

    def __init__(self, message: str, residual: float, iterations: int = 0):
        super().__init__(f"{message} (residual {residual:.3e} after {iterations} iterations)")
        self.residual = float(residual)
        self.iterations = int(iterations)
