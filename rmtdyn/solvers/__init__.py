"""Numeric solvers serving the spectra: vectorised Newton iteration and batched polynomial roots."""

from rmtdyn.solvers.newton import newton
from rmtdyn.solvers.polyroots import nearest_root, polynomial_roots

__all__ = ["newton", "polynomial_roots", "nearest_root"]
