"""Edge-aware quadrature over the absolutely continuous part of a spectrum.

Each support interval [a, b] gets a tanh-sinh (double-exponential) rule

    x = a + (b - a)(1 + u)/2,   u = tanh(pi/2 sinh s),   s = k h,

whose nodes crowd double-exponentially onto both edges. It integrates
square-root edges (soft edges, rho ~ sqrt(x - a)) and inverse-square-root
edges (hard edges, rho ~ 1/sqrt(x)) to near machine precision, and - because
nodes sit at every scale down to ~1e-15 (b - a) from an edge - it resolves
``exp(-lambda t)`` for every t up to 1e3 and beyond with one fixed set of
nodes. The distance of each node from the nearer edge is formed without
cancellation, so the exponentially small tail of ``response(t)`` keeps its
relative accuracy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpectralRule:
    """Nodes and weights with ``int f drho ~= sum(weights * f(nodes))``.

    ``offsets`` are ``nodes - origin`` computed without cancellation, where
    ``origin`` is the lowest point of the spectrum (support edge or atom).
    Atoms are included as nodes with their masses as weights.
    """

    nodes: np.ndarray
    weights: np.ndarray
    offsets: np.ndarray
    origin: float


def tanh_sinh_nodes(a: float, b: float, step: float = 1.0 / 32, tiny: float = 1e-300):
    """Tanh-sinh nodes on [a, b].

    Returns ``(x, w, d, side)``: the nodes, the plain weights (for ``int_a^b f dx``),
    the distance ``d >= tiny`` of each node from its nearer edge and ``side``
    (-1 for nodes measured from a, +1 for nodes measured from b). Nodes that
    coincide with an edge in floating point are dropped, as their weight is
    below double precision.
    """
    length = b - a
    kmax = int(np.ceil(4.0 / step))
    s = step * np.arange(-kmax, kmax + 1)
    q = np.exp(-np.pi * np.sinh(np.abs(s)))  # small for |s| large
    d = length * q / (1.0 + q)  # distance to the nearer edge
    w = step * length * np.pi * np.cosh(s) * q / (1.0 + q) ** 2  # dx/ds
    side = np.where(s <= 0, -1, 1)
    x = np.where(side < 0, a + d, b - d)
    edge = np.where(side < 0, a, b)
    keep = (d > tiny) & (d > 4 * np.finfo(float).eps * np.abs(edge)) & (x > a) & (x < b)
    return x[keep], w[keep], d[keep], side[keep]
