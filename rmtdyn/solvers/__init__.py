"""Numeric solvers serving the spectra: batched polynomial roots, and vectorised Newton with
continuation in the imaginary part (``rmtdyn.solvers.continuation``)."""

from rmtdyn.solvers.polyroots import polynomial_roots

__all__ = ["polynomial_roots"]
