r"""Fixed-Talbot inversion (Abate and Valkó 2004).

The Bromwich integral ``f(t) = (1/2 pi i) int_{c - i inf}^{c + i inf} e^{st} F(s) ds`` may be
moved onto any contour that keeps every singularity of ``F`` on its left and along which
``e^{st}`` decays. Talbot's contour

    s(theta) = shift + r theta (cot theta + i),   -pi < theta < pi,   r = 2 M / (5 t),

crosses the real axis at ``shift + r`` and runs off to ``Re s -> -inf`` with
``|Im s| -> r pi``, so ``e^{st}`` decays double-exponentially along it. The
trapezoidal rule in ``theta`` with ``M`` nodes (real f: only the upper half) is

    f(t) ~= e^{shift t} (r/M) [ e^{rt} F(shift + r)/2
              + sum_{k=1}^{M-1} Re( e^{(s_k - shift) t} F(s_k) (1 + i sigma_k) ) ],

(applied to ``F(s) - F(shift + r)``: a constant inverts to ``c delta(t)``, zero for
t > 0, and removing it shrinks the terms and their round-off),
    theta_k = k pi / M,   sigma_k = theta_k + (theta_k cot theta_k - 1) cot theta_k.

Because ``(s_k - shift) t`` does not depend on t, the exponential factors are
computed once and ``F`` is called once on an ``(n_t, M)`` array of nodes.

**Class.** F analytic except on (or very near) the half-line ``(-inf, shift]``:
branch cuts on the negative axis, poles on it, poles close to it (they must
lie inside the contour, ``|Im p| < r pi = 2 M pi/(5 t)``). ``shift`` must be at
least the largest real part of the singularities; choosing it *equal* to it
(e.g. ``shift = -a`` for ``1/(s + a)``, ``shift = -lambda_min`` for a
spectrum) keeps *relative* accuracy for the exponentially small tail.
Oscillatory f (singularities off the real axis, e.g. ``1/(s^2 + 1)``) is not in
the class: a probe of F (``rmtdyn.laplace.probe``) detects such singularities,
warns with ``LaplaceAccuracyWarning`` and the error estimate then compares
with de Hoog. With ``poles=True`` simple poles found by the probe are
subtracted and added back exactly as ``r e^{pt}``, which brings such F back
into the class.

**Nodes.** In double precision the terms reach ``e^{rt} = e^{2M/5}`` while the
truncation error decreases like ``10^{-0.6 M}``; round-off ``~ eps e^{0.4 M}``
balances truncation near M = 22, which gives ~1e-12 relative accuracy for
smooth f of unit size (the default; measured best among M = 18..32 on the
test pairs). More nodes make it worse, not better.

**Error estimate** (``error=True``): the difference from a second sum with
``M - 4`` nodes (an over-estimate: it is the error of the cheaper sum) plus a
round-off bound ``8 eps (r/M) e^{shift t} sum_k (|term_k| + |c w_k|)`` (c the
subtracted constant, w_k the weights: each difference ``F(s_k) - c`` is rounded). When ``f`` is
exponentially small compared with ``F`` near the contour (``1/(s+a)`` at large t
with ``shift = 0``) only *absolute* accuracy ``~eps max|F|`` is possible, and the
round-off term says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.laplace.base import EPS, LaplaceAccuracyWarning, evaluate, shift_option

#: default number of nodes (see the module docstring for the choice)
DEFAULT_NODES = 22
#: nodes removed for the comparison sum of the error estimate
ESTIMATE_STEP = 4

OPTIONS = ("shift", "nodes", "probe", "poles")


def _talbot_sum(F: Callable, t: np.ndarray, shift: float, nodes: int):
    """The fixed-Talbot sum for each t; returns (values, round-off bound)."""
    m = nodes
    theta = np.pi * np.arange(1, m) / m
    cot = 1.0 / np.tan(theta)
    shape = theta * (cot + 1j)  # (s - shift)/r
    sigma = theta + (theta * cot - 1.0) * cot
    r = 2.0 * m / (5.0 * t)  # (n_t,)
    rt = 2.0 * m / 5.0
    # the node s(theta=0) = shift + r is real: evaluate it together with the others
    s = shift + r[:, None] * np.concatenate(([1.0 + 0j], shape))[None, :]
    values = evaluate(F, s)
    # For t > 0 a constant has inverse c delta(t) = 0, so F - F(shift + r) has the same
    # inverse; subtracting the (largest) first node value shrinks every term and with it
    # the round-off, which keeps relative accuracy for algebraically decaying f
    # (measured: semicircle tail 1.7e-10 -> 3e-11 at t ~ 1e3).
    constant = values[:, :1]
    values = values - constant
    weights = np.concatenate(([0.5 * np.exp(rt)], np.exp(rt * shape) * (1.0 + 1j * sigma)))
    terms = values * weights[None, :]
    scale = r / m
    total = terms[:, 0].real + terms[:, 1:].real.sum(axis=1)
    # each difference F(s_k) - c carries a rounding error ~eps |c|: keep it in the bound
    magnitude = np.abs(terms).sum(axis=1) + np.abs(constant[:, 0]) * np.abs(weights).sum()
    with np.errstate(over="ignore"):
        growth = np.exp(shift * t)
        out = growth * scale * total
        roundoff = 8.0 * EPS * growth * scale * magnitude
    return out, roundoff


def _residue_terms(poles, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``sum_i r_i e^{p_i t}`` (real part) and a bound on its error from ``p_i``'s rounding."""
    total = np.zeros_like(t)
    bound = np.zeros_like(t)
    for pole, residue in poles:
        with np.errstate(over="ignore"):
            term = residue * np.exp(pole * t)
        total += term.real
        bound += np.abs(term) * 1e-13 * (1.0 + abs(pole) * t)
    return total, bound


def talbot(F: Callable, t: np.ndarray, *, error: bool = False, shift: float = 0.0,
           nodes: int = DEFAULT_NODES, probe: bool = True, poles: bool = False):
    """Fixed-Talbot inversion of ``F`` at the positive times ``t`` (1-D array).

    Parameters
    ----------
    shift : float
        Abscissa: every singularity of F lies on or left of ``Re s = shift`` and
        close to the real axis (default 0). Equal to the rightmost singularity
        for the best relative accuracy.
    nodes : int
        Number of contour nodes M (>= 8; default 22, near-optimal in double precision).
    probe : bool
        Look for singularities of F off the real axis or right of ``shift``
        (``rmtdyn.laplace.probe``, ~2e4 extra F evaluations); if found, warn
        with ``LaplaceAccuracyWarning`` and base the error estimate on a de Hoog
        inversion as well.
    poles : bool
        Subtract the singularities found by the probe when they are simple
        poles: ``f = Talbot[F - sum r_i/(s - p_i)] + sum r_i e^{p_i t}`` (this
        is what ``method="auto"`` does for oscillatory f).

    Returns ``(values, errors)``; ``errors`` is None unless ``error`` is true.
    """
    shift = shift_option(shift)
    nodes = check.positive_int("nodes", nodes, minimum=8)
    if not isinstance(probe, bool) or not isinstance(poles, bool):
        raise TypeError("probe and poles must be True or False")
    suspects, residues, regular = [], [], F
    if poles:
        from rmtdyn.laplace.probe import remove_poles

        reduced, found, left = remove_poles(F, shift, t.min(), t.max())
        if reduced is not None:
            regular, residues = reduced, found or []
        else:
            suspects = left
    elif probe:
        from rmtdyn.laplace.probe import find_suspects

        suspects = find_suspects(F, shift, t.min(), t.max())
    if suspects:
        where = ", ".join(f"{sus.center:.3g}" for sus in suspects[:3])
        warnings.warn(
            f"talbot: F is not analytic in disks around s = {where} (off the half-line "
            f"(-inf, shift={shift:g}]); fixed-Talbot results are unreliable "
            "(oscillatory or growing f). Use method='auto' or 'dehoog', or a larger shift.",
            LaplaceAccuracyWarning,
            stacklevel=3,
        )
    values, roundoff = _talbot_sum(regular, t, shift, nodes)
    explicit, explicit_err = _residue_terms(residues, t)
    values = values + explicit
    if not error:
        return values, None
    coarse, roundoff_coarse = _talbot_sum(regular, t, shift, nodes - ESTIMATE_STEP)
    errors = np.abs(values - explicit - coarse) + roundoff + roundoff_coarse + explicit_err
    if suspects:
        from rmtdyn.laplace.dehoog import dehoog

        # The de Hoog line must lie right of every suspect disk.
        right = max(shift, max(sus.center.real + sus.radius for sus in suspects))
        reference, ref_err = dehoog(F, t, error=True, shift=right, probe=False)
        with np.errstate(invalid="ignore"):
            gap = np.nan_to_num(np.abs(values - reference) + ref_err, nan=np.inf)
        errors = np.maximum(errors, gap)
    return values, errors
