"""The sympy symbols every symbolic routine shares.

``G`` is the Stieltjes transform g, ``Z`` the spectral variable z, ``W`` the
argument of R- and S-transforms. Equations ``P(g, z) = 0`` are sympy ``Poly``
objects in the generators ``(G, Z)``.
"""

import sympy as sp

G, Z, W = sp.symbols("g z w")

R, S = sp.symbols("r s")
"""``R`` is the value r = R(w) of an R-transform, ``S`` the value s = S(w) of an S-transform:
their equations ``L(r, w) = 0`` and ``L(s, w) = 0`` are sympy ``Poly`` objects in
``(R, W)`` and ``(S, W)``."""

X = sp.Symbol("x", real=True)
"""The real spectral variable of closed-form densities ``rho(x)``."""
