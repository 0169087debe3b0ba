"""Symbolic layer (sympy): R- and S-transforms and the algebraic equations P(g, z) = 0."""

from rmtdyn.symbolic.symbols import G, W, Z

__all__ = ["G", "Z", "W"]
