"""The sympy symbols every symbolic routine shares.

``G`` is the Stieltjes transform g, ``Z`` the spectral variable z, ``W`` the
argument of R- and S-transforms. Equations ``P(g, z) = 0`` are sympy ``Poly``
objects in the generators ``(G, Z)``.
"""

import sympy as sp

G, Z, W = sp.symbols("g z w")
