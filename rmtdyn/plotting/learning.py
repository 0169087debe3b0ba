"""Figures of random-feature learning curves, bias-variance decompositions and SGD sweeps.

Theory is drawn as lines, simulations as markers with one-standard-error bars in the same
colour. Functions take ``LossCurves`` (or mappings of them) and optional axes, return the
Figure/Axes and never save or show.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rmtdyn.learning.curves import LossCurves

_NAMES = {
    "train": "train loss", "test": "test error", "bias": "bias",
    "ensemble_features": "ensemble over features (shared data)",
    "ensemble_data": "bagging (shared features)",
    "var_features": "variance: features", "var_data": "variance: data",
    "var_interaction": "variance: interaction", "var_noise": "variance: label noise",
}


def _check(name: str, value, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if not isinstance(value, LossCurves):
        raise TypeError(f"{name} must be a LossCurves, got {type(value).__name__}")


def _markers(ax, sim: LossCurves, key: str, color, label=None) -> None:
    err = sim.error(key)
    ax.errorbar(sim.t, sim[key], yerr=err, fmt="o", ms=4, color=color, capsize=2,
                label=label)


def plot_rf_learning(theory: LossCurves, decomposition: LossCurves | None = None,
                     simulation: LossCurves | None = None,
                     ensembles: Mapping[str, LossCurves] | None = None, axes=None):
    """Two panels: (left) train/test theory with simulation markers; (right) bias, variances
    and infinite ensembles, with ensemble-simulation markers.

    ``ensembles`` maps a decomposition key (``"ensemble_features"``, ``"ensemble_data"`` or
    ``"bias"``) to the ``simulate_rf_ensemble`` result whose ``infinite`` curve estimates it.
    Returns the Figure.
    """
    _check("theory", theory)
    _check("decomposition", decomposition, allow_none=True)
    _check("simulation", simulation, allow_none=True)
    if axes is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2 if decomposition is not None else 1,
                                 figsize=(11 if decomposition is not None else 6, 4.2))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    for i, key in enumerate(("train", "test")):
        color = f"C{i}"
        ax.plot(theory.t, theory[key], color=color, label=_NAMES[key])
        if simulation is not None and key in simulation:
            _markers(ax, simulation, key, color)
    ax.set_xscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    if decomposition is not None and len(axes) > 1:
        ax = axes[1]
        keys = [k for k in _NAMES if k in decomposition and k not in ("train", "test")]
        for i, key in enumerate(keys):
            color = f"C{i + 2}"
            ax.plot(decomposition.t, decomposition[key], color=color, label=_NAMES[key],
                    ls="--" if key.startswith("var") else "-")
            if ensembles and key in ensembles:
                _markers(ax, ensembles[key], "infinite", color)
        ax.set_xscale("log")
        ax.set_xlabel("time t")
        ax.set_ylabel("error component")
        ax.legend(fontsize="x-small")
    return axes[0].figure


def plot_sgd_sweep(theory: Mapping[int, LossCurves], simulation: Mapping[int, LossCurves]
                   | None = None, key: str = "test", ax=None):
    """Loss ``key`` against steps for each batch size (lines: theory; markers: simulation)."""
    if not isinstance(theory, Mapping) or not theory:
        raise TypeError("theory must be a non-empty mapping batch size -> LossCurves")
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.2))
    for i, (batch, curves) in enumerate(sorted(theory.items())):
        _check(f"theory[{batch}]", curves)
        color = f"C{i}"
        t = np.maximum(curves.t, 0.5)
        ax.plot(t, curves[key], color=color, label=f"B = {batch}")
        if simulation is not None and batch in simulation:
            sim = simulation[batch]
            ax.errorbar(np.maximum(sim.t, 0.5), sim[key], yerr=sim.error(key), fmt="o", ms=4,
                        color=color, capsize=2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step k (t = 0 drawn at 0.5)")
    ax.set_ylabel(_NAMES.get(key, key))
    ax.legend(fontsize="small")
    return ax
