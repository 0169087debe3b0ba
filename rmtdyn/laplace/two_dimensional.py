r"""Double inverse Laplace transforms on the diagonal ``t1 = t2 = t``.

The losses of non-normal linear systems are diagonal values of a two-time function,

    f(t, t) = (2 pi i)^{-2} int int e^{(s1 + s2) t} F(s1, s2) ds1 ds2,

with ``F(s1, s2) = int_0^inf int_0^inf e^{-s1 t1 - s2 t2} f(t1, t2) dt1 dt2`` (e.g.
``F = Q(s1, s2) = (1/N) tr[(s1 + A)^{-T}(s2 + A)^{-1}]`` gives the isotropic loss
``(1/N)|e^{-tA} theta0|^2``). Two methods:

``invert_laplace_diagonal`` (tensor-product fixed Talbot, Abate-Valko). Each variable runs on
    ``s(theta) = shift + r theta (cot theta + i)``, ``r = 2M/(5t)``, ``theta_k = k pi/M``,
    ``|k| < M``, with weights ``w_k = (r/2M)(1 + i sigma_k)``,
    ``sigma = theta + (theta cot theta - 1) cot theta``; then
    ``f(t, t) ~= sum_{j,k} w_j w_k e^{t(s_j + s_k)} F(s_j, s_k)``. Real ``f`` gives
    ``F(conj s1, conj s2) = conj F(s1, s2)``, so only rows ``j >= 0`` are evaluated.
    *Class*: ``F`` analytic in each variable off ``(-inf, shift]``; ``shift`` = minus the
    smallest eigenvalue keeps relative accuracy in the exponentially small tail.
    *Nodes*: the terms reach ``e^{2 r t} = e^{4M/5}`` so round-off is ``~ eps e^{0.8 M}``
    (times ``sum |terms| / |f|``) while truncation falls like ``10^{-0.6 M}``; they balance near
    ``M = 16-18`` (default 16, see ``DEFAULT_NODES``; ``M = 40`` loses everything and is refused).
    Accuracy ~1e-9 relative to ``max |f|`` (measured in the tests on closed forms).
    ``F`` must return the analytic limit on the exact diagonal ``s1 = s2``
    (nodes ``j = k``), not a finite difference.

``invert_laplace_diagonal_circle`` (a closed contour around a compact spectrum). When every
    singularity of ``F`` in each variable lies in the disk ``|s - center| < radius``, the
    periodic trapezoidal rule on that circle converges geometrically and keeps full accuracy
    for moderate ``t radius`` (it needs ``n >~ e t radius + 40`` nodes and loses
    ``e^{2t (center + radius)}`` relative to ``f`` to round-off). It is the independent
    check of the Talbot rule at small and moderate times, and the method for complex spectra.

``F2`` receives two *broadcastable* complex arrays ``s1`` (shape ``(n_t, m1, 1)``) and ``s2``
(shape ``(n_t, 1, m2)``) and must return their broadcast shape, so that a two-point function
can evaluate one-variable quantities (e.g. ``H(s_i)``) once per node.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check

EPS = np.finfo(float).eps
#: default Talbot nodes per variable (round-off ~ eps e^{0.8 M} vs truncation 10^{-0.6 M});
#: measured on product-Wishart losses: M = 16 is as accurate as 18 at small t (~1e-11) and
#: keeps ~1e-9 at large t and large ratios where M = 18 already loses ~1e-7 to round-off
DEFAULT_NODES = 16


def _evaluate(F2: Callable, s1: np.ndarray, s2: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(s1.shape, s2.shape)
    values = np.asarray(F2(s1, s2))
    if values.shape != shape:
        raise ValueError(f"F2 returned shape {values.shape} for s1 {s1.shape} and s2 {s2.shape}; "
                         f"it must return the broadcast shape {shape}")
    values = values.astype(complex)
    if not np.all(np.isfinite(values)):
        raise ValueError("F2 returned non-finite values on the inversion contour (check shift: "
                         "every singularity must lie on (-inf, shift] in each variable)")
    return values


def talbot_rule(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(shape_k, weight_k)`` for ``k = 0..M-1``: ``s_k = shift + r shape_k`` and
    ``w_k = (r/2M) weight_k`` (the rule over ``|k| < M`` is completed by conjugation)."""
    m = nodes
    theta = np.pi * np.arange(1, m) / m
    cot = 1.0 / np.tan(theta)
    shape = np.concatenate(([1.0 + 0j], theta * (cot + 1j)))
    sigma = np.concatenate(([0.0], theta + (theta * cot - 1.0) * cot))
    return shape, 1.0 + 1j * sigma


def _talbot_diagonal(F2: Callable, t: np.ndarray, shift: float, nodes: int):
    shape, weight = talbot_rule(nodes)
    # full symmetric node set k = -(M-1)..(M-1) for the second variable
    shape_full = np.concatenate((np.conj(shape[:0:-1]), shape))
    weight_full = np.concatenate((np.conj(weight[:0:-1]), weight))
    rt = 2.0 * nodes / 5.0  # r t, independent of t
    r = 2.0 * nodes / (5.0 * t)
    s1 = shift + r[:, None, None] * shape[None, :, None]
    s2 = shift + r[:, None, None] * shape_full[None, None, :]
    values = _evaluate(F2, s1, s2)
    f1 = np.exp(rt * shape) * weight
    f2 = np.exp(rt * shape_full) * weight_full
    row = np.where(np.arange(nodes) == 0, 1.0, 2.0)
    terms = values * (row * f1)[None, :, None] * f2[None, None, :]
    scale = (r / (2.0 * nodes)) ** 2
    with np.errstate(over="ignore"):
        growth = np.exp(2.0 * shift * t)
        total = growth * scale * terms.sum(axis=(1, 2)).real
        roundoff = 16.0 * EPS * growth * scale * np.abs(terms).sum(axis=(1, 2))
    return total, roundoff


def invert_laplace_diagonal(F2: Callable, t, *, nodes: int = DEFAULT_NODES, shift: float = 0.0,
                            error: bool = False):
    """``f(t, t)`` from its double Laplace transform ``F2(s1, s2)`` by tensor-product fixed Talbot.

    Parameters
    ----------
    F2 : callable
        ``F2(s1, s2)`` on broadcastable complex arrays, returning the broadcast shape; real
        ``f`` (``F2(conj s1, conj s2) = conj F2(s1, s2)``); analytic in each variable off
        ``(-inf, shift]``; must give the analytic limit at ``s1 = s2``.
    t : array_like
        Times ``>= 0`` (any shape). ``t = 0`` is evaluated at ``t = 1e-12`` (the rule needs
        ``t > 0``; ``f`` is continuous there).
    nodes : int
        ``M`` nodes per variable (``8 <= M <= 30``; default 16, see the module docstring).
    shift : float
        Every singularity of ``F2`` in each variable lies on ``(-inf, shift]``.
    error : bool
        Also return an error estimate: ``|f_M - f_{M-2}|`` (roughly the error of the cheaper
        rule) plus the round-off bound ``16 eps sum |terms|``.

    Returns
    -------
    ``f(t, t)`` (shape of ``t``), or ``(values, errors)`` when ``error`` is true.
    """
    if not callable(F2):
        raise TypeError("F2 must be callable: F2(s1, s2) -> array")
    nodes = check.positive_int("nodes", nodes, minimum=8)
    if nodes > 30:
        raise ValueError(f"nodes must be <= 30 (round-off grows like e^(0.8 nodes)), got {nodes}")
    shift = check.real_number("shift", shift)
    t = check.times("t", t)
    flat = np.maximum(t.ravel(), 1e-12)
    values, roundoff = _talbot_diagonal(F2, flat, shift, nodes)
    if not error:
        return values.reshape(t.shape)
    coarse, _ = _talbot_diagonal(F2, flat, shift, nodes - 2)
    err = np.abs(values - coarse) + roundoff
    return values.reshape(t.shape), err.reshape(t.shape)


def invert_laplace_diagonal_circle(F2: Callable, t, *, center: float, radius: float,
                                   nodes: int | None = None):
    """``f(t, t)`` by the trapezoidal rule on the circle ``|s - center| = radius`` in each variable.

    ``f(t, t) = (2 pi i)^{-2} oint oint e^{(s1+s2)t} F2 ds1 ds2`` with both circles enclosing
    every singularity of ``F2`` (a compact spectrum: singularities at ``s = -lambda``). With
    ``s_k = center + radius e^{i phi_k}``, ``phi_k = 2 pi k / n``:
    ``f ~= sum_{j,k} (radius e^{i phi_j}/n)(radius e^{i phi_k}/n) e^{t(s_j + s_k)} F2(s_j, s_k)``.
    The error falls like ``rho^n`` with ``rho`` < 1 set by how close the singularities come to
    the circle (``rho ~ 0.83`` for a cut ending 0.5 inside a circle of radius 3) and needs
    ``n >~ e t radius`` for the entire factor ``e^{st}``. Default
    ``n = max(256, 2 ceil((e t_max radius + 40)/2))``; pass ``nodes`` and compare two values.
    """
    if not callable(F2):
        raise TypeError("F2 must be callable: F2(s1, s2) -> array")
    center = check.real_number("center", center)
    radius = check.positive("radius", radius)
    t = check.times("t", t)
    flat = t.ravel()
    if nodes is None:
        nodes = max(256, int(2 * np.ceil((np.e * (flat.max(initial=0.0)) * radius + 40) / 2)))
    nodes = check.positive_int("nodes", nodes, minimum=8)
    phi = 2.0 * np.pi * np.arange(nodes) / nodes
    unit = np.exp(1j * phi)
    s = center + radius * unit
    values = _evaluate(F2, s[:, None], s[None, :])  # (n, n), independent of t
    w = radius * unit / nodes
    e = np.exp(np.multiply.outer(flat, s)) * w[None, :]  # (n_t, n)
    out = np.einsum("tj,jk,tk->t", e, values, e).real
    return out.reshape(t.shape)


def invert_laplace_talbot(F: Callable, t, *, nodes: int = 24, shift: float = 0.0) -> np.ndarray:
    """One-variable fixed Talbot ``f(t)`` from ``F(s)`` (the one-dimensional version of the rule
    above: ``f ~= e^{shift t}(r/M)[F(s_0) e^{rt}/2
    + sum_k Re(e^{r t shape_k} F(s_k)(1 + i sigma_k))]``),
    used for one-time observables next to the two-time ones. ``t = 0`` uses ``t = 1e-12``."""
    nodes = check.positive_int("nodes", nodes, minimum=8)
    shift = check.real_number("shift", shift)
    t = check.times("t", t)
    flat = np.maximum(t.ravel(), 1e-12)
    shape, weight = talbot_rule(nodes)
    r = 2.0 * nodes / (5.0 * flat)
    s = shift + r[:, None] * shape[None, :]
    values = np.asarray(F(s)).astype(complex)
    if values.shape != s.shape or not np.all(np.isfinite(values)):
        raise ValueError("F must return finite values of the shape of s on the Talbot contour")
    terms = values * (np.exp(2.0 * nodes / 5.0 * shape) * weight)[None, :]
    terms[:, 0] *= 0.5
    with np.errstate(over="ignore"):
        out = np.exp(shift * flat) * (r / nodes) * terms.sum(axis=1).real
    return out.reshape(t.shape)
