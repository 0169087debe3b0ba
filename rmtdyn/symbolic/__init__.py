"""Symbolic layer (sympy): R- and S-transforms and the algebraic equations P(g, z) = 0.

Submodules: ``transforms`` (P <-> R-/S-curves), ``algebra`` (free sum, free product,
affine maps), ``series`` (moments), ``support`` (edges, closed-form densities),
``highprec`` (mpmath evaluation), ``show`` (printable summaries).
"""

from rmtdyn.symbolic.symbols import G, R, S, W, X, Z

__all__ = ["G", "Z", "W", "R", "S", "X"]
