"""Figures of deep-linear-network dynamics: losses for several richness values and
hidden-layer spectra leaving their Marchenko–Pastur bulk.

Functions take computed data and an optional ``ax``; they return the Axes and
never save or show.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from rmtdyn.learning.curves import LossCurves


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.0, 4.2))
    return ax


def plot_richness_sweep(theory: Mapping[float, LossCurves],
                        simulation: Mapping[float, LossCurves] | None = None,
                        name: str = "test", ax=None, logy: bool = True):
    """Loss curve ``name`` for each richness γ0: DMFT lines, simulation markers (±1 s.e.).

    ``theory`` and ``simulation`` map γ0 to ``LossCurves``. Returns the Axes.
    """
    if not isinstance(theory, Mapping) or not theory:
        raise TypeError("theory must be a non-empty mapping richness -> LossCurves")
    ax = _axes(ax)
    for i, (g0, curves) in enumerate(sorted(theory.items())):
        colour = f"C{i}"
        ax.plot(curves.t, curves[name], "-", color=colour, lw=1.8, label=f"γ0 = {g0:g} (DMFT)")
        if simulation is not None and g0 in simulation:
            sim = simulation[g0]
            err = sim.error(name)
            ax.errorbar(sim.t, sim[name], yerr=err, fmt="o", ms=4, color=colour, capsize=2,
                        label=f"γ0 = {g0:g} (simulation)")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel({"test": "test error |β - β*|²/D", "train": "train loss"}.get(name, name))
    ax.legend(fontsize=7)
    return ax


def plot_hidden_spectrum(eigenvalues: Mapping[float, np.ndarray], bulk=None,
                         outliers: Mapping[float, np.ndarray] | None = None, ax=None,
                         bins: int = 60,
                         independent: Mapping[float, np.ndarray] | None = None):
    """Histograms of hidden-weight eigenvalues at several times, the MP bulk and outliers.

    ``eigenvalues`` maps a time to a 1-D array (simulation eigenvalues of
    ``Ŵ_ℓᵀŴ_ℓ``); ``bulk`` is a Spectrum drawn as a line; ``outliers`` maps a
    time to predicted outlier positions (dashed vertical lines; NaN = none), e.g.
    ``DeepLinearNetwork.hidden_spectrum(...)["outliers"]``; ``independent`` likewise
    for a reference prediction drawn dotted (e.g. ``"outliers_independent"``, the
    independent-spike formula).  Returns the Axes.
    """
    ax = _axes(ax)
    for i, (t, eig) in enumerate(sorted(eigenvalues.items())):
        ax.hist(np.asarray(eig), bins=bins, density=True, histtype="step", color=f"C{i}",
                label=f"t = {t:g} (simulation)")
        for preds, style in ((outliers, "--"), (independent, ":")):
            if preds is not None and t in preds:
                for pos in np.atleast_1d(preds[t]):
                    if np.isfinite(pos):
                        ax.axvline(pos, color=f"C{i}", ls=style, lw=1.2)
    if bulk is not None:
        (a, b), = bulk.support()[:1]
        x = np.linspace(max(a, 1e-6), b, 400)
        ax.plot(x, bulk.density(x), "k-", lw=1.2, label="Marchenko–Pastur bulk")
    ax.set_yscale("log")
    ax.set_xlabel("eigenvalue of Ŵᵀ Ŵ")
    ax.set_ylabel("density")
    ax.legend(fontsize=7)
    return ax
