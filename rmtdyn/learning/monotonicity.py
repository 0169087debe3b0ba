"""Is a loss curve monotone? Where are its interior extrema? And where, over two ratios, is it not?

``monotonicity(t, values)`` walks the sampled curve with hysteresis: a change of direction is
confirmed only once the curve has moved away from the running extremum by more than the
tolerance ``tol = max(atol, rtol * max|values|)``, so round-off wiggles (theory accurate to
~1e-9) or Monte Carlo noise (pass ``atol`` ~ 3 standard errors) never create extrema. Each
confirmed interior extremum is located by a parabola through the sample and its two neighbours
(exact for a quadratic peak; error O(h^2) in general with ``h`` the grid step).

``nonmonotonicity_phase_diagram(ratios1, ratios2, t)`` evaluates the non-Hermitian isotropic loss
of ``ProductWishart(ratio1, ratio2)`` (the random-feature test loss with ``ratio1 = D/N``,
``ratio2 = D/P``) on a grid and reports where it is non-monotone, by how much it rises
(``rise = max_i [L(t_i) - min_{j <= i} L(t_j)]``) and where its first minimum sits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtdyn import _validation as check


@dataclass(frozen=True)
class Extremum:
    """An interior extremum: ``kind`` is ``"min"`` or ``"max"``; ``t``/``value`` refined by a
    parabola;
    ``index`` is the sample index of the discrete extremum."""

    kind: str
    t: float
    value: float
    index: int


@dataclass(frozen=True)
class Monotonicity:
    """Result of ``monotonicity``.

    ``monotone``: no confirmed change of direction. ``direction``: ``"decreasing"``,
    ``"increasing"`` or ``"constant"`` (net change within ``tol``) for a monotone curve, else
    ``"mixed"``. ``extrema``: confirmed interior extrema in time order. ``rise``: largest increase
    after a decrease, ``max_i [v_i - min_{j <= i} v_j]`` (0 for a non-increasing curve).
    ``tol``: the tolerance used.
    """

    monotone: bool
    direction: str
    extrema: tuple[Extremum, ...] = field(default_factory=tuple)
    rise: float = 0.0
    tol: float = 0.0

    @property
    def minima(self) -> tuple[Extremum, ...]:
        return tuple(e for e in self.extrema if e.kind == "min")

    @property
    def maxima(self) -> tuple[Extremum, ...]:
        return tuple(e for e in self.extrema if e.kind == "max")

    def __bool__(self) -> bool:  # pragma: no cover - convenience
        return self.monotone


def _refine(t: np.ndarray, v: np.ndarray, i: int) -> tuple[float, float]:
    """Vertex of the parabola through samples ``i-1, i, i+1`` (the sample itself at the ends)."""
    if i <= 0 or i >= len(t) - 1:
        return float(t[i]), float(v[i])
    x0, x1, x2 = t[i - 1], t[i], t[i + 1]
    y0, y1, y2 = v[i - 1], v[i], v[i + 1]
    d01 = (y1 - y0) / (x1 - x0)
    d12 = (y2 - y1) / (x2 - x1)
    a = (d12 - d01) / (x2 - x0)
    if a == 0:
        return float(x1), float(y1)
    b = d01 - a * (x0 + x1)
    xv = -b / (2 * a)
    if not x0 <= xv <= x2:
        return float(x1), float(y1)
    yv = y1 + d01 * (xv - x1) + a * (xv - x0) * (xv - x1)
    return float(xv), float(yv)


def monotonicity(t, values, *, rtol: float = 1e-7, atol: float = 0.0) -> Monotonicity:
    """Detect whether a sampled curve is monotone and locate its interior extrema.

    Parameters
    ----------
    t : array_like
        Strictly increasing sample times (1-D, at least 3 points).
    values : array_like
        Curve values at ``t`` (same length, finite).
    rtol, atol : float
        Tolerance ``tol = max(atol, rtol * max|values|)``: a change of direction counts only when
        the curve moves more than ``tol`` away from the running extremum. Defaults suit theory
        curves accurate to ~1e-9; for simulated curves pass ``atol`` of a few standard errors.

    Returns
    -------
    Monotonicity
    """
    t = check.real_array("t", t)
    v = check.real_array("values", values)
    if t.ndim != 1 or v.shape != t.shape:
        raise ValueError(f"t and values must be 1-D arrays of equal length, got {t.shape} and "
                         f"{v.shape}")
    if t.size < 3:
        raise ValueError(f"need at least 3 samples, got {t.size}")
    if np.any(np.diff(t) <= 0):
        raise ValueError("t must be strictly increasing")
    rtol = check.nonnegative("rtol", rtol)
    atol = check.nonnegative("atol", atol)
    tol = max(atol, rtol * float(np.max(np.abs(v))))
    running_min = np.minimum.accumulate(v)
    rise = float(np.max(v - running_min))

    # Hysteresis walk: direction 0 (undecided), +1 (rising), -1 (falling).
    direction = 0
    anchor = 0  # index of the running extremum of the current run
    turns: list[tuple[str, int]] = []
    for i in range(1, v.size):
        if direction == 0:
            if v[i] > v[anchor] + tol:
                direction = 1
                anchor = i
            elif v[i] < v[anchor] - tol:
                direction = -1
                anchor = i
        elif direction == 1:
            if v[i] >= v[anchor]:
                anchor = i
            elif v[i] < v[anchor] - tol:
                turns.append(("max", anchor))
                direction = -1
                anchor = i
        else:
            if v[i] <= v[anchor]:
                anchor = i
            elif v[i] > v[anchor] + tol:
                turns.append(("min", anchor))
                direction = 1
                anchor = i
    extrema = []
    for kind, i in turns:
        tv, vv = _refine(t, v, i)
        extrema.append(Extremum(kind, tv, vv, int(i)))
    if turns:
        label = "mixed"
    elif direction == 1:
        label = "increasing"
    elif direction == -1:
        label = "decreasing"
    else:
        label = "constant"
    return Monotonicity(not turns, label, tuple(extrema), rise if rise > tol else 0.0, tol)


@dataclass(frozen=True)
class PhaseDiagram:
    """``nonmonotone[i, j]``, ``rise[i, j]``, ``first_minimum_t[i, j]`` (NaN when monotone) and
    ``increasing[i, j]`` on the grid ``ratios1[i]``, ``ratios2[j]``; ``t`` the sample times used."""

    ratios1: np.ndarray
    ratios2: np.ndarray
    t: np.ndarray
    nonmonotone: np.ndarray
    rise: np.ndarray
    first_minimum_t: np.ndarray
    increasing: np.ndarray | None = None


def nonmonotonicity_phase_diagram(ratios1, ratios2, t=None, *, rtol: float = 1e-7,
                                  atol: float = 1e-8, progress: bool = False) -> PhaseDiagram:
    """Map where the isotropic loss of ``ProductWishart(ratio1, ratio2)`` is non-monotone.

    For random-feature gradient flow ``ratio1 = D/N = 1/nu`` and ``ratio2 = D/P = 1/alpha``.
    Default times: ``t = 0`` and 300 log-spaced points in ``[1e-3, 1e4]`` (``t = 0`` matters:
    ``dL/dt(0) = -2`` always, so a curve seen only from ``t = 1e-2`` on can look increasing when
    its minimum comes earlier). Near ``max(ratio1, ratio2) = 1+`` the minimum moves to
    ``t -> inf`` (``t_min ~ 6.6e3`` at (1.05, 0.5)) and leaves any finite window. The tolerance
    (``atol`` default 1e-8, above the ~1e-9 accuracy of the theory curve) keeps round-off from
    counting. ``increasing[i, j]`` flags curves that are monotone increasing on the window.
    """
    from rmtdyn.spectra.nonhermitian.product_wishart import ProductWishart

    r1 = np.atleast_1d(check.real_array("ratios1", ratios1))
    r2 = np.atleast_1d(check.real_array("ratios2", ratios2))
    if np.any(r1 <= 0) or np.any(r2 <= 0):
        raise ValueError("ratios1 and ratios2 must be > 0")
    t = np.concatenate(([0.0], np.logspace(-3, 4, 300))) if t is None else check.times("t", t)
    nonmono = np.zeros((r1.size, r2.size), dtype=bool)
    increasing = np.zeros((r1.size, r2.size), dtype=bool)
    rise = np.zeros((r1.size, r2.size))
    tmin = np.full((r1.size, r2.size), np.nan)
    cells = [(i, j) for i in range(r1.size) for j in range(r2.size)]
    if progress:
        from tqdm import tqdm

        cells = tqdm(cells, desc="phase diagram")
    for i, j in cells:
        loss = ProductWishart(float(r1[i]), float(r2[j])).isotropic_loss(t)
        res = monotonicity(t, loss, rtol=rtol, atol=atol)
        nonmono[i, j] = not res.monotone
        increasing[i, j] = res.direction == "increasing"
        rise[i, j] = res.rise
        if res.minima:
            tmin[i, j] = res.minima[0].t
    return PhaseDiagram(r1, r2, t, nonmono, rise, tmin, increasing)
