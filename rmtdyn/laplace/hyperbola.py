r"""Optimised hyperbolic contour (Weideman and Trefethen 2007).

The Bromwich line is deformed into the left branch of a hyperbola,

    s(u) = shift + mu (1 + sin(i u - alpha)) = shift + mu + i mu sinh(u + i phi),
    phi = pi/2 - alpha,   u in R,

with the trapezoidal rule of step h in u. For real f only ``u > 0`` is needed:

    f(t) ~= e^{shift t} (h/pi) Im sum_{k=0}^{N-1} e^{(s_k - shift) t} F(s_k) s'(u_k),
    u_k = (k + 1/2) h,   s'(u) = i mu cosh(u + i phi).

Weideman and Trefethen choose ``mu``, ``phi`` and ``h`` to balance the
discretisation error (analyticity strip of the integrand in u), the truncation
of the sum and the round-off growth ``|e^{st}| <= e^{mu (1 - sin phi) t}``; for a
single t in double precision their optimum is

    mu = 4.492075287 N/t,   phi = 1.172104229,   h = 1.081792140/N,

with an error decaying like ``e^{-3.2 N}``: N = 16 nodes reach ~1e-13, fewer
than fixed Talbot's 22. Vectorised over t (one F call on an ``(n_t, N)`` array).

**Class.** As for fixed Talbot: F analytic off the half-line ``(-inf, shift]``
(its singularities on or near it); the hyperbola is wider than Talbot's
contour near the real axis, but an off-axis pole at height ``y`` is still
missed when ``t y >~ 4.5 N cos(phi) ~ 28``. No probe: use ``method="auto"`` or
``talbot`` (which probes) when unsure.

**Error estimate**: the difference from the rule with ``N - 4`` nodes (its own
optimal parameters) plus a round-off bound ``8 eps (h/pi) sum_k (|term_k| + |c w_k|)`` (c the
subtracted constant below, w_k the weights).
As in Talbot, the value at the real point ``s = shift + mu (1 - sin phi)`` is
subtracted from F (a constant inverts to ``c delta(t)``, zero for t > 0),
which shrinks the terms for algebraically decaying f.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.laplace.base import EPS, evaluate, shift_option

MU_FACTOR = 4.492075287
PHI = 1.172104229
STEP_FACTOR = 1.081792140
DEFAULT_NODES = 16
OPTIONS = ("shift", "nodes")


def _hyperbola_sum(F: Callable, t: np.ndarray, shift: float, nodes: int):
    """Hyperbola rule with ``nodes`` nodes for each t; returns (values, round-off bound)."""
    h = STEP_FACTOR / nodes
    u = (np.arange(nodes) + 0.5) * h
    mu = MU_FACTOR * nodes / t  # (n_t,)
    shape = 1.0 + 1j * np.sinh(u + 1j * PHI)  # (s - shift)/mu
    dshape = 1j * np.cosh(u + 1j * PHI)  # s'(u)/mu
    apex = 1.0 - np.sin(PHI)  # (s - shift)/mu at the real point u = -i(pi/2 - phi)
    s = shift + mu[:, None] * np.concatenate(([apex + 0j], shape))[None, :]
    values = evaluate(F, s)
    constant = values[:, :1]
    values = values[:, 1:] - constant
    weights = np.exp(MU_FACTOR * nodes * shape) * dshape  # e^{(s - shift) t} s'/mu
    terms = values * weights[None, :] * mu[:, None]
    # each difference F(s_k) - c carries a rounding error ~eps |c|: keep it in the bound
    magnitude = np.abs(terms).sum(axis=1) + np.abs(constant[:, 0]) * mu * np.abs(weights).sum()
    with np.errstate(over="ignore"):
        growth = np.exp(shift * t)
        out = growth * (h / np.pi) * terms.imag.sum(axis=1)
        roundoff = 8.0 * EPS * growth * (h / np.pi) * magnitude
    return out, roundoff


def hyperbola(F: Callable, t: np.ndarray, *, error: bool = False, shift: float = 0.0,
              nodes: int = DEFAULT_NODES):
    """Weideman-Trefethen hyperbola inversion of ``F`` at the positive times ``t`` (1-D array).

    Parameters
    ----------
    shift : float
        Every singularity of F lies on or near the half-line ``(-inf, shift]`` (default 0).
    nodes : int
        N (>= 8; default 16).

    Returns ``(values, errors)``; ``errors`` is None unless ``error`` is true.
    """
    shift = shift_option(shift)
    nodes = check.positive_int("nodes", nodes, minimum=8)
    values, roundoff = _hyperbola_sum(F, t, shift, nodes)
    if not error:
        return values, None
    coarse, roundoff_coarse = _hyperbola_sum(F, t, shift, nodes - 4)
    return values, np.abs(values - coarse) + roundoff + roundoff_coarse
