r"""Closed-contour inversion for transforms of compactly supported spectra.

When ``F(s) = int rho(l)/(s + l) dl`` with ``rho`` (atoms included) carried by
``[a, b]``, F is analytic outside the segment ``[-b, -a]`` and ``O(1/s)`` at
infinity, so the Bromwich line can be closed into *any* loop around the
segment: ``f(t) = (1/2 pi i) oint e^{st} F(s) ds``. The loop used here is the
Joukowski ellipse

    s(theta) = -c - h (rho e^{i theta} + e^{-i theta}/rho)/2,   c = (a+b)/2,  h = (b-a)/2,

with foci at the ends of the segment. In the variable ``w = rho e^{i theta}``
the integrand is analytic for ``|w| > 1``, so the trapezoidal rule with ``2m``
nodes converges *geometrically*, like ``rho^{-2m}``, and ``e^{st}``'s own
Laurent coefficients (modified Bessel functions ``I_k(th)``) need
``2m >~ sqrt(th)``-many nodes. Real f halves the work (``m + 1`` nodes in the
upper half).

**Choice of rho and m for each t.** On the ellipse ``|e^{st}| <= e^{-at}
e^{A}`` with ``A = th((rho + 1/rho)/2 - 1)``: the loop passes right of the
segment, where ``e^{st}`` exceeds ``e^{-at}`` (the size of f). Taking
``A = 2`` fixes the round-off amplification to ``e^2``:
``(rho + 1/rho)/2 = 1 + 2/(th)``. The number of nodes is then
``m >= 37/log(rho) + 1.5 sqrt(37 th)`` (geometric and Bessel parts; twice what
the fine rule needs, so that the half rule of the error estimate is converged
too), rounded up to a power of two so that times share F calls.

**Accuracy.** Relative ~1e-13 for ``t <~ 1``. For large t the exponentially
small tail loses *relative* accuracy by cancellation: the terms are
``~ e^{-at} max|F|`` near the edge ``-a`` while f carries extra algebraic
decay (``t^{-3/2}`` at a square-root edge), so the relative error grows like
``eps t^{3/2}`` (measured ~1e-11 at t = 1e3 for Marchenko-Pastur). This is
why ``Spectrum.response`` defaults to quadrature over the density.

**Error estimate**: the difference from the rule with half the nodes
(conservative: the error of the coarser rule) plus a round-off bound
``8 eps sqrt(2m) mean_j |term_j|`` (a random walk of 2m rounded terms, each
carrying the few-eps error of F).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.laplace.base import EPS, evaluate

OPTIONS = ("support", "amplification")


def support_hull(support) -> tuple[float, float]:
    """``(a, b)`` from one interval ``(a, b)`` or a sequence of intervals (their hull)."""
    try:
        arr = np.asarray(support, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("support must be an interval (a, b) or a sequence of intervals") from exc
    if arr.ndim == 1 and arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"support must be (a, b) or a sequence of (a, b) pairs, got {support!r}")
    if not np.all(np.isfinite(arr)) or np.any(arr[:, 0] > arr[:, 1]):
        raise ValueError(f"support intervals must be finite with a <= b, got {support!r}")
    return float(arr[:, 0].min()), float(arr[:, 1].max())


def _nodes_needed(th: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Half the number of nodes, m (a power of two >= 16), for each ``th = t h``.

    The rule with ``n`` nodes on ``|w| = rho`` aliases the Laurent coefficients of
    index ``+-n``: those of F decay like ``rho^{-n}`` and those of
    ``e^{st} = e^{-at} e^{-th} e^{-(th/2)(w + 1/w)}`` are ``e^{-th} I_n(th) rho^n``
    relative to ``e^{-at}``. m is the smallest power of two with both below
    ``1e-16``; the fine rule uses 2m nodes, so the half rule of the error
    estimate is converged as well.
    """
    from scipy.special import ive

    sizes = 16 * 2 ** np.arange(14)
    with np.errstate(divide="ignore"):
        log_rho_n = sizes[None, :] * np.log(rho)[:, None]
        log_bessel = np.log(ive(sizes[None, :], th[:, None])) + log_rho_n
    ok = (log_rho_n >= 37.0) & (log_bessel <= -37.0)
    ok[:, -1] = True
    return sizes[np.argmax(ok, axis=1)]


def _ellipse_sum(F: Callable, t: np.ndarray, a: float, c: float, h: float, rho: np.ndarray,
                 m: int):
    """Trapezoidal sums with 2m and m nodes on the ellipses ``rho`` (one per t)."""
    theta = np.pi * np.arange(m + 1) / m
    w = rho[:, None] * np.exp(1j * theta)[None, :]
    joukowski = 0.5 * (w + 1.0 / w)
    s = -c - h * joukowski
    ds = -0.5j * h * (w - 1.0 / w)  # ds/dtheta
    values = evaluate(F, s)
    # e^{st} = e^{-at} e^{(s + a)t}, with s + a = -h (1 + joukowski) formed without cancellation
    psi = np.exp(-h * (1.0 + joukowski) * t[:, None]) * values * ds / 1j
    weights = np.ones(m + 1)
    weights[[0, -1]] = 0.5
    fine = (psi.real @ weights) / m
    coarse_psi = psi[:, ::2]
    coarse_weights = np.ones(m // 2 + 1)
    coarse_weights[[0, -1]] = 0.5
    coarse = (coarse_psi.real @ coarse_weights) / (m // 2)
    magnitude = np.abs(psi) @ weights / m
    with np.errstate(over="ignore"):
        growth = np.exp(-a * t)
    return growth * fine, growth * coarse, 8.0 * EPS * np.sqrt(2 * m) * growth * magnitude


def _check_enclosure(F: Callable, c: float, h: float, rho: float) -> None:
    """``ValueError`` unless every singularity of F lies inside the ellipse ``rho``.

    Compares ``(1/2 pi i) oint F ds`` on that ellipse with the same integral on a
    circle of radius ``1e3 (|c| + h + 1)`` (the total mass of the law): they agree
    when no singularity lies between the two, and differ by the missed residues
    otherwise (e.g. an atom left out of ``support``).
    """
    n_tight = int(min(4096, np.ceil(32.0 / np.log(rho))))
    theta = 2.0 * np.pi * (np.arange(n_tight) + 0.5) / n_tight
    w = rho * np.exp(1j * theta)
    s = -c - 0.5 * h * (w + 1.0 / w)
    ds = -0.5j * h * (w - 1.0 / w)  # ds/dtheta (counterclockwise)
    tight = np.mean(evaluate(F, s) * ds) / 1j
    radius = 1e3 * (abs(c) + h + 1.0)
    u = np.exp(2j * np.pi * (np.arange(64) + 0.5) / 64)
    big = np.mean(evaluate(F, -c + radius * u) * radius * u)
    if abs(tight - big) > 1e-8 * max(abs(big), 1e-300):
        raise ValueError(
            "support must contain the whole spectrum: F has singularities outside the "
            f"ellipse around [-b, -a] (mass inside {tight.real:.6g}, total {big.real:.6g}); "
            "include the atoms, e.g. support=(0, b) for an atom at 0"
        )


def contour(F: Callable, t: np.ndarray, *, error: bool = False, support=None,
            amplification: float = 2.0):
    """Invert ``F(s) = int rho(l)/(s + l) dl`` with ``rho`` carried by ``support`` at times ``t``.

    Parameters
    ----------
    support : (a, b) or sequence of (a, b)
        An interval containing the whole spectrum (support and atoms); F must be
        analytic outside ``[-b, -a]``. Several intervals are replaced by their hull.
        Checked: the mass inside the tightest ellipse used must equal the total
        mass (``ValueError`` otherwise, e.g. for a forgotten atom).
    amplification : float
        ``A``: the loop is chosen so that ``|e^{st}| <= e^{A - at}`` on it (default 2).
        Larger A: fewer nodes, more round-off at large t.

    Returns ``(values, errors)``; ``errors`` is None unless ``error`` is true.
    """
    if support is None:
        raise TypeError("method 'contour' needs support=(a, b), an interval containing the "
                        "spectrum (F analytic outside [-b, -a])")
    a, b = support_hull(support)
    amplification = check.positive("amplification", amplification)
    c = 0.5 * (a + b)
    # A point spectrum (a == b) gets a small segment, so the ellipse is a circle around it.
    h = max(0.5 * (b - a), 1e-3 * max(1.0, abs(c)))
    a_eff = c - h
    th = t * h
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        q = 1.0 + amplification / th  # t = 0 gives q = inf: a huge circle, f(0) = total mass
        rho = np.minimum(q + np.sqrt(q * q - 1.0), 1e8)
    _check_enclosure(F, c, h, max(1.02, float(rho.min())))
    m = _nodes_needed(th, rho)
    values = np.empty_like(t)
    coarse = np.empty_like(t)
    roundoff = np.empty_like(t)
    for size in np.unique(m):
        group = m == size
        values[group], coarse[group], roundoff[group] = _ellipse_sum(
            F, t[group], a_eff, c, h, rho[group], int(size)
        )
    if not error:
        return values, None
    errors = np.abs(values - coarse) + roundoff
    return values, errors


def spectrum_response(spectrum, t, error: bool = False):
    """``R(t) = int e^{-l t} drho(l)`` of a Hermitian spectrum through its resolvent.

    Inverts ``R_hat(s) = -g(-s)`` with the ellipse rule around the hull of the
    support and the atoms (their poles are then inside the loop and contribute
    ``mass e^{-loc t}`` exactly by the residue theorem). ``error=True`` also returns
    the error estimate of ``contour``.
    """
    t = check.times("t", t)
    lows = [a for a, _ in spectrum.support()] + [loc for loc, _ in spectrum.atoms()]
    highs = [b for _, b in spectrum.support()] + [loc for loc, _ in spectrum.atoms()]
    if not lows:
        raise ValueError(f"{type(spectrum).__name__} has neither support nor atoms")
    flat = t.ravel()

    def transform(s):
        return -spectrum.stieltjes(-s)

    values, errors = contour(transform, flat, error=error, support=(min(lows), max(highs)))
    if error:
        return values.reshape(t.shape), errors.reshape(t.shape)
    return values.reshape(t.shape)
