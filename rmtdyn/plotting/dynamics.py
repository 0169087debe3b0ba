"""Figures of dynamics: learning curves and response functions, theory against simulation.

Theory is drawn as lines, simulation as markers with error bars (one standard error),
curve by curve in matching colours. Functions take ``LossCurves`` and an optional
``ax``; they return the Axes and never save or show.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rmtdyn.learning.curves import LossCurves

_LABELS = {"train": "train loss", "test": "test error", "response": "response R(t)",
           "correlation": "correlation C(t, t)"}


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.2))
    return ax


def _check_curves(name: str, value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, LossCurves):
        raise TypeError(f"{name} must be a rmtdyn LossCurves, got {type(value).__name__}")


def plot_curves(theory: LossCurves | None, simulation: LossCurves | None = None, ax=None,
                names: Sequence[str] | None = None, logx: bool = True, logy: bool = True,
                color: str | None = None):
    """Draw the named curves of ``theory`` (lines) and ``simulation`` (markers, error bars).

    ``names`` selects curves (default: all of ``theory``, else all of ``simulation``).
    ``color`` forces one colour for all (for several calls on one Axes); otherwise curve
    ``i`` gets ``"C{i}"``. A ``label`` on the LossCurves prefixes the legend entries.
    Points at ``t = 0`` are dropped on a log time axis and non-positive values on a log
    value axis. Returns the Axes.
    """
    _check_curves("theory", theory, allow_none=True)
    _check_curves("simulation", simulation, allow_none=True)
    if theory is None and simulation is None:
        raise ValueError("give theory, simulation or both")
    ax = _axes(ax)
    base = theory if theory is not None else simulation
    names = list(base.names if names is None else names)
    colours = {name: color or f"C{i}" for i, name in enumerate(names)}
    prefix = f"{base.label}: " if base.label else ""
    for name in names:
        label = prefix + _LABELS.get(name, name)
        if theory is not None:
            t, y = theory.t, theory[name]
            keep = _visible(t, y, logx, logy)
            ax.plot(t[keep], y[keep], "-", color=colours[name], lw=1.8,
                    label=f"{label} (theory)")
        if simulation is not None and name in simulation:
            t, y = simulation.t, simulation[name]
            err = simulation.error(name)
            keep = _visible(t, y, logx, logy)
            yerr = None if err is None else err[keep]
            n = simulation.params.get("n")
            tag = f"simulation, N={n}" if n is not None else "simulation"
            ax.errorbar(t[keep], y[keep], yerr=yerr, fmt="o", ms=4, color=colours[name],
                        mfc="white", capsize=2, lw=1, label=f"{label} ({tag})")
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.legend(fontsize="small")
    return ax


def _visible(t, y, logx, logy) -> np.ndarray:
    keep = np.isfinite(y)
    if logx:
        keep &= t > 0
    if logy:
        keep &= y > 0
    return keep


def plot_loss_curves(theory: LossCurves | None, simulation: LossCurves | None = None, ax=None,
                     logx: bool = True, logy: bool = True, dynamic_range: float = 1e8):
    """Train and test curves: theory lines, simulation markers with one-SE error bars.

    On a log value axis the lower limit is at least ``max / dynamic_range`` (an
    interpolating train loss falls to 1e-100 and would flatten everything else).
    """
    ax = plot_curves(theory, simulation, ax=ax, names=None, logx=logx, logy=logy)
    ax.set_ylabel("loss")
    if logy:
        top = max(float(np.nanmax(c[name])) for c in (theory, simulation) if c is not None
                  for name in c.names)
        low, _ = ax.get_ylim()
        if top > 0 and low < top / dynamic_range:
            ax.set_ylim(top / dynamic_range, 3.0 * top)
    params = (theory if theory is not None else simulation).params
    shown = {k: params[k] for k in ("ratio", "noise", "ridge", "init_variance") if k in params}
    if shown:
        ax.set_title(", ".join(f"{k}={v:g}" for k, v in shown.items()), fontsize="medium")
    return ax


def plot_response(theory: LossCurves | None, simulation: LossCurves | None = None, ax=None,
                  names: Sequence[str] = ("response",), logx: bool = True, logy: bool = True,
                  color: str | None = None):
    """Response function(s) ``R(t)`` on log axes: theory lines and simulation markers.

    ``theory`` is a ``LossCurves`` with a ``"response"`` curve (e.g. built from
    ``spectrum.response(t)``); several spectra can be drawn on one ``ax`` by repeated calls.
    """
    ax = plot_curves(theory, simulation, ax=ax, names=names, logx=logx, logy=logy, color=color)
    ax.set_ylabel("R(t)")
    return ax
