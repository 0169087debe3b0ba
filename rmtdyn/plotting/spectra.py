"""Figures of spectra: a limiting density against the eigenvalue histogram of a finite sample.

The density (absolutely continuous part) is a line; the support intervals are shaded;
atoms are vertical bars labelled with their mass (a point mass has no height on a
density axis); sample eigenvalues that sit on an atom are counted apart, the others
form a histogram normalised so that its area is their fraction of all eigenvalues,
i.e. it estimates the density itself.
"""

from __future__ import annotations

import numpy as np

from rmtdyn.spectra.base import Spectrum


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6.4, 4.2))
    return ax


def density_grid(spectrum: Spectrum, points: int = 800, eigenvalues=None) -> np.ndarray:
    """Plot grid covering the support, the atoms and the sample, with nodes crowded on the edges."""
    support = spectrum.support()
    ends = [v for ab in support for v in ab] + [loc for loc, _ in spectrum.atoms()]
    if eigenvalues is not None and np.size(eigenvalues):
        ends += [float(np.min(eigenvalues)), float(np.max(eigenvalues))]
    lo, hi = min(ends), max(ends)
    pad = 0.05 * (hi - lo if hi > lo else 1.0)
    grid = [np.linspace(lo - pad, hi + pad, points)]
    for a, b in support:  # Chebyshev-like clustering resolves sqrt and hard edges
        u = np.linspace(0.0, np.pi, max(points // 2, 8))
        grid.append(a + (b - a) * (1.0 - np.cos(u)) / 2.0)
    return np.unique(np.concatenate(grid))


def plot_density(spectrum: Spectrum, eigenvalues=None, ax=None, bins: int | str = "auto",
                 points: int = 800, label: str | None = None, color: str = "C0",
                 shade_support: bool = True, atom_tolerance: float = 1e-8):
    """Draw ``spectrum.density`` (line), support (shaded) and atoms (bars) against ``eigenvalues``.

    Parameters
    ----------
    spectrum
        Any Hermitian rmtdyn spectrum.
    eigenvalues
        Optional 1-D array of eigenvalues of a finite sample (e.g. ``eigvalsh(spec.sample(n))``).
        Eigenvalues within ``atom_tolerance * (1 + scale)`` of an atom are counted as that atom.
    ax
        Matplotlib Axes to draw on (a new figure when None).
    bins
        Histogram bins (as in ``numpy.histogram``).

    Returns
    -------
    The Axes.
    """
    if not isinstance(spectrum, Spectrum):
        raise TypeError(f"spectrum must be an rmtdyn Spectrum, got {type(spectrum).__name__}")
    ax = _axes(ax)
    ev = None if eigenvalues is None else np.asarray(eigenvalues, dtype=float).ravel()
    x = density_grid(spectrum, points, ev)
    scale = float(np.max(np.abs(x))) if x.size else 1.0
    atoms = spectrum.atoms()
    hist_top = 0.0
    if ev is not None and ev.size:
        on_atom = np.zeros(ev.shape, dtype=bool)
        counts = []
        for loc, _ in atoms:
            hit = np.abs(ev - loc) <= atom_tolerance * (1.0 + scale)
            counts.append(hit.mean())
            on_atom |= hit
        rest = ev[~on_atom]
        if rest.size:
            heights, edges = np.histogram(rest, bins=bins)
            widths = np.diff(edges)
            hist_top = float(np.max(heights / (ev.size * widths)))
            ax.stairs(heights / (ev.size * widths), edges, fill=True, color="0.78",
                      label=f"eigenvalues, N = {ev.size}")
        for (loc, _), frac in zip(atoms, counts, strict=True):
            ax.annotate(f"sample: {frac:.3f}", xy=(loc, 0.0), xytext=(4, 14),
                        textcoords="offset points", fontsize=8, color="0.3")
    if shade_support:
        for i, (a, b) in enumerate(spectrum.support()):
            ax.axvspan(a, b, color=color, alpha=0.07, lw=0, label="support" if i == 0 else None)
    rho = spectrum.density(x)
    ax.plot(x, rho, color=color, lw=1.8, label=label or "limiting density")
    # a hard edge (rho ~ 1/sqrt(x)) is unbounded: cap the view at the bulk of the curve
    top = max(float(np.quantile(rho, 0.97)) if rho.size else 0.0, hist_top, 1e-12)
    ymax = 1.2 * top
    ax.set_ylim(0.0, ymax)
    for i, (loc, mass) in enumerate(atoms):
        ax.vlines(loc, 0.0, 0.9 * ymax, color="C3", lw=3,
                  label="atom" if i == 0 else None)
        ax.annotate(f"mass {mass:.3f}", xy=(loc, 0.9 * ymax), xytext=(4, -2),
                    textcoords="offset points", fontsize=8, color="C3")
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    return ax
