r"""De Hoog, Knight and Stokes (1982): a Fourier series on a Bromwich line, accelerated.

On the Bromwich line ``Re s = gamma`` (right of every singularity of F), the
trapezoidal rule with step ``pi/T`` is the Fourier series

    f(t) ~= (e^{gamma t}/T) Re[ F(gamma)/2 + sum_{k>=1} F(gamma + i k pi/T) z^k ],
    z = e^{i pi t/T},

whose discretisation error is ``sum_{n>=1} e^{-2 n gamma T} f(2nT + t)`` (the
periodic images of f). With ``gamma = shift - log(tol)/(2T)`` the images are
``~tol`` relative to ``f``. The series converges slowly (like the Fourier
series of a function with a jump), so de Hoog et al. turn the power series
``sum a_k z^k`` (``a_0 = F(gamma)/2``, ``a_k = F(gamma + ik pi/T)``) into a
continued fraction ``d_0/(1 + d_1 z/(1 + d_2 z/(1 + ...)))`` with the
quotient-difference (QD) algorithm and evaluate its ``2M``-th approximant
with the accelerated tail ``R_{2M}`` of their paper. Everything is vectorised
over t: each t has its own ``T = scale * t`` (default ``scale = 2``, so
``z = i``) and F is called once on an ``(n_t, 2M + 1)`` array.

**Class.** Any F analytic right of ``Re s = shift``: poles anywhere left of it,
including close to or on the imaginary axis (oscillatory f such as
``sin t <-> 1/(s^2 + 1)``), branch cuts. ``shift`` must be >= the largest real
part of the singularities (default 0).

**Accuracy and cost.** ``2M + 1 = 41`` evaluations of F per t (default
M = 20). The factor ``e^{gamma t} = e^{shift t} tol^{-t/(2T)} = e^{shift t}
tol^{-1/4}`` amplifies round-off, while the periodic images are ``~tol``
relative to f; ``tol = 1e-12`` balances the two (measured on the test pairs
for t in [0.05, 1e3]: max relative error 3e-11 with tol = 1e-12 against 5e-10
with tol = 1e-16, where the algebraic tails suffer). Exponentially small f
(``1/(s+a)`` at large t with ``shift = 0``) has only absolute accuracy; pass
``shift = -a``.

**Reach for oscillatory f.** Measured on ``sin(w t)``: error
<~4e-11 while ``t w <~ 0.75 M`` (t w <= 15 at M = 20), then the continued
fraction loses the pole and, beyond ``t w ~ 30``, returns ~0 while its own
order-to-order difference stays small. A probe of F (``probe=True``) finds
``w`` and flags those times (warning and error estimate); ``method="auto"``
instead subtracts simple poles exactly and inverts the rest with Talbot.

**Error estimate** (``error=True``): 30 times the largest difference between
the accelerated approximant of order ``2M`` and those of orders ``2M - 2`` and
``2M - 4`` (near-breakdowns of the QD scheme make single approximants jump;
the plain difference under-estimated by up to 50x on ``sin t``), the round-off bound
``8 eps e^{gamma t}/T sum_k |a_k|``, plus the first periodic image
``2 tol e^{-2 shift T} |f((1 + 2 scale) t)|`` (f itself computed at the later
time; it dominates when f grows steeply, e.g. ``exp(-sqrt s)`` at t ~ 1e-3),
and the flag above.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.laplace.base import EPS, LaplaceAccuracyWarning, evaluate, shift_option

DEFAULT_ORDER = 20
OPTIONS = ("shift", "order", "scale", "tol", "probe")
#: de Hoog is reliable (measured, sin(w t), M = 20, tol = 1e-12) while t |Im p| <= RANGE_FACTOR * M
RANGE_FACTOR = 0.75


def _qd_coefficients(a: np.ndarray) -> np.ndarray:
    """Continued-fraction coefficients ``d_0..d_{2M}`` of the power series ``sum a_k z^k``.

    ``a`` has shape ``(n_t, 2M + 1)``; rows are independent series. Quotient-difference
    algorithm (Rutishauser's rhombus rules): ``q_1^(i) = a_{i+1}/a_i``, ``e_0^(i) = 0``,
    ``e_r^(i) = q_r^(i+1) - q_r^(i) + e_{r-1}^(i+1)``,
    ``q_{r+1}^(i) = q_r^(i+1) e_r^(i+1) / e_r^(i)``; then ``d_0 = a_0``,
    ``d_{2r-1} = -q_r^(0)``, ``d_{2r} = -e_r^(0)``.
    """
    n_t, n_terms = a.shape
    m = (n_terms - 1) // 2
    d = np.empty((n_t, 2 * m + 1), dtype=complex)
    d[:, 0] = a[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = a[:, 1:] / a[:, :-1]  # q_1^(i), i = 0..2M-1
        e = np.zeros((n_t, 2 * m + 1), dtype=complex)  # e_0^(i)
        for r in range(1, m + 1):
            e = q[:, 1:] - q[:, :-1] + e[:, 1 : q.shape[1]]  # e_r^(i), i = 0..2M-2r
            d[:, 2 * r - 1] = -q[:, 0]
            d[:, 2 * r] = -e[:, 0]
            if r < m:
                q = q[:, 1:-1] * e[:, 1:] / e[:, :-1]  # q_{r+1}^(i), i = 0..2M-2r-1
    return d


def _approximant(d: np.ndarray, z: np.ndarray, order: int) -> np.ndarray:
    """Accelerated ``order``-th approximant ``A_n/B_n`` of the continued fraction (order even)."""
    n_t = d.shape[0]
    a_prev, a_cur = np.zeros(n_t, complex), d[:, 0].copy()  # A_{-1}, A_0
    b_prev, b_cur = np.ones(n_t, complex), np.ones(n_t, complex)  # B_{-1}, B_0
    for n in range(1, order):
        a_prev, a_cur = a_cur, a_cur + d[:, n] * z * a_prev
        b_prev, b_cur = b_cur, b_cur + d[:, n] * z * b_prev
    # last step with de Hoog's remainder estimate R in place of d_order z
    h = 0.5 * (1.0 + (d[:, order - 1] - d[:, order]) * z)
    with np.errstate(divide="ignore", invalid="ignore"):
        rem = -h * (1.0 - np.sqrt(1.0 + d[:, order] * z / h**2))
    a_last = a_cur + rem * a_prev
    b_last = b_cur + rem * b_prev
    return a_last / b_last


def _raise_shift_past_singularities(F: Callable, shift: float, t: np.ndarray) -> float:
    """``shift``, raised (with a warning) past singularities the probe finds right of it."""
    from rmtdyn.laplace.probe import find_suspects, rightmost_singularity

    suspects = [sus for sus in find_suspects(F, shift, t.min(), t.max())
                if sus.center.real > shift]
    if not suspects:
        return shift
    edge = rightmost_singularity(F, suspects, shift, t.min(), t.max())
    if edge <= shift + 1e-12 * (1.0 + abs(shift)):
        return shift
    warnings.warn(
        f"dehoog: F has singularities right of shift={shift:g} (up to Re s ~ {edge:.6g}); "
        f"using shift={edge:.6g}. Pass the exact rightmost singularity as shift.",
        LaplaceAccuracyWarning,
        stacklevel=4,
    )
    return edge


def _oscillation_range(F: Callable, shift: float, t: np.ndarray):
    """Largest ``|Im p|`` of the singularities off the real axis (0 if none) and the poles."""
    from rmtdyn.laplace.probe import find_suspects, remove_poles, singular_height

    reduced, poles, left = remove_poles(F, shift, t.min(), t.max())
    if poles is None and not left:
        return 0.0, []
    if reduced is not None:
        return max(abs(p.imag) for p, _ in poles), poles
    # not (only) poles: bound the height of the singular set from the probe disks
    suspects = find_suspects(F, shift, t.min(), t.max())
    return singular_height(suspects, shift, t.min(), t.max()), None


def _dehoog_sums(F: Callable, t: np.ndarray, shift: float, order: int, scale: float,
                 tol: float):
    """f(t), ``f(t) + 30 x`` (spread of the lower approximants) and the round-off bound."""
    half_period = scale * t  # T
    gamma = shift - np.log(tol) / (2.0 * half_period)
    k = np.arange(2 * order + 1)
    s = gamma[:, None] + 1j * np.pi * k[None, :] / half_period[:, None]
    a = evaluate(F, s)
    a[:, 0] *= 0.5
    d = _qd_coefficients(a)
    z = np.exp(1j * np.pi * t / half_period)
    with np.errstate(over="ignore", invalid="ignore"):
        factor = np.exp(gamma * t) / half_period
        fine = factor * _approximant(d, z, 2 * order).real
        # spread of the approximants of orders 2M - 2 and 2M - 4 around the 2M-th one;
        # times 30, because near-breakdowns of the QD scheme make single approximants
        # jump (measured on sin t: the plain spread under-estimates by up to ~50x)
        coarse = fine + 30.0 * np.maximum(
            np.abs(fine - factor * _approximant(d, z, 2 * order - 2).real),
            np.abs(fine - factor * _approximant(d, z, 2 * order - 4).real),
        )
        roundoff = 8.0 * EPS * factor * np.abs(a).sum(axis=1)
    return fine, coarse, roundoff


def dehoog(F: Callable, t: np.ndarray, *, error: bool = False, shift: float = 0.0,
           order: int = DEFAULT_ORDER, scale: float = 2.0, tol: float = 1e-12,
           probe: bool = True):
    """De Hoog inversion of ``F`` at the positive times ``t`` (1-D array).

    Parameters
    ----------
    shift : float
        Every singularity of F has real part <= shift (default 0).
    order : int
        M: the series uses ``2M + 1`` terms (default 20, >= 4).
    scale : float
        Half-period ``T = scale * t`` (> 1; default 2).
    tol : float
        Target size of the periodic images; sets ``gamma = shift - log(tol)/(2T)`` (default 1e-12).
    probe : bool
        Probe F (``rmtdyn.laplace.probe``). Singularities right of ``shift``
        raise it (warning) to a bound found by bisection. Singularities off the real axis:
        With ``w`` their largest ``|Im p|``, times with ``t w > 0.75 M`` are out of
        reach (measured: the continued fraction then misses the oscillation and
        returns ~0 with a small, wrong self-estimate): warn and report as the
        error the size of the missed pole terms (infinite for non-polar ones).

    Returns ``(values, errors)``; ``errors`` is None unless ``error`` is true.
    """
    shift = shift_option(shift)
    order = check.positive_int("order", order, minimum=4)
    scale = check.positive("scale", scale)
    if scale <= 1.0:
        raise ValueError(f"scale must be > 1 (T = scale * t must exceed t), got {scale}")
    tol = check.in_range("tol", tol, 1e-300, 0.1)
    out_of_reach = np.zeros(t.shape, dtype=bool)
    poles: list | None = []
    if probe:
        shift = _raise_shift_past_singularities(F, shift, t)
        omega, poles = _oscillation_range(F, shift, t)
        out_of_reach = t * omega > RANGE_FACTOR * order
        if out_of_reach.any():
            warnings.warn(
                f"dehoog: F has singularities up to |Im s| = {omega:.3g}; with order {order} "
                f"the results for t > {RANGE_FACTOR * order / omega:.3g} are unreliable. "
                "method='auto' subtracts simple poles exactly.",
                LaplaceAccuracyWarning,
                stacklevel=3,
            )
    values, coarse, roundoff = _dehoog_sums(F, t, shift, order, scale, tol)
    bad = ~np.isfinite(values)
    if bad.any() and np.all(np.isfinite(roundoff[bad])):
        from rmtdyn.errors import ConvergenceError

        raise ConvergenceError(
            "dehoog: the quotient-difference algorithm broke down (a zero pivot) "
            f"at t = {t[bad][:3]}; try another order or scale",
            residual=np.inf,
            iterations=order,
        )
    if not error:
        return values, None
    # first periodic image e^{-2 gamma T} f(t + 2T) = tol e^{-2 shift T} f((1 + 2 scale) t)
    later, _, _ = _dehoog_sums(F, (1.0 + 2.0 * scale) * t, shift, order, scale, tol)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # in logarithms: f(5t) may underflow while e^{-2 shift T} overflows
        image = np.exp(np.log(2.0 * tol) - 2.0 * shift * scale * t + np.log(np.abs(later)))
    with np.errstate(invalid="ignore"):  # inf - inf where e^{gamma t} overflows
        errors = np.abs(values - coarse) + roundoff + np.nan_to_num(image, nan=np.inf)
    if out_of_reach.any():
        if poles is None:
            errors[out_of_reach] = np.inf
        else:
            missed = sum(abs(r) * np.exp(p.real * t[out_of_reach]) for p, r in poles)
            errors[out_of_reach] += np.abs(values[out_of_reach]) + missed
    errors[~np.isfinite(errors)] = np.inf
    return values, errors
