"""Figures for non-Hermitian ensembles: eigenvalue clouds, loss comparisons, phase diagrams.

Each function takes the numbers to draw and an optional ``ax``; it returns the Axes and never
saves or shows.
"""

from __future__ import annotations

import numpy as np


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(5.0, 4.0))
    return ax


def plot_eigenvalue_cloud(eigenvalues, boundary=None, ax=None, *, density=None, label=None):
    """Scatter of sampled eigenvalues in the complex plane with the theoretical support boundary.

    ``boundary``: complex points (``support_boundary()``). For a real spectrum pass
    ``density=(x, rho)`` to draw the limiting real-axis density as a curve above the axis,
    scaled to the plot (eigenvalues are then jittered vertically to show their number).
    """
    ax = _axes(ax)
    lam = np.asarray(eigenvalues)
    real = np.all(np.abs(lam.imag) < 1e-9 * (1 + np.abs(lam)))
    if real and density is not None:
        x, rho = density
        vals = lam.real
        zero = vals <= 1e-8 * max(vals.max(), 1e-300)
        counts, edges = np.histogram(vals[~zero], bins=60)
        heights = counts / (vals.size * np.diff(edges))  # atom excluded, mass kept honest
        ax.bar(edges[:-1], heights, width=np.diff(edges), align="edge", color="0.7",
               label=label or "sampled eigenvalues (non-zero)")
        ax.plot(x, rho, color="C3", lw=1.5, label="limiting density")
        if zero.any():
            ax.text(0.97, 0.75, f"atom at 0: {zero.mean():.3f} of the eigenvalues",
                    transform=ax.transAxes, ha="right", fontsize="small")
        ax.set_xlabel("eigenvalue")
        ax.set_ylabel("density")
    else:
        ax.scatter(lam.real, lam.imag, s=3, color="0.35", alpha=0.6,
                   label=label or "sampled eigenvalues")
        if boundary is not None:
            b = np.asarray(boundary)
            ax.plot(b.real, b.imag, color="C3", lw=1.5, label="support boundary")
        ax.set_xlabel("Re λ")
        ax.set_ylabel("Im λ")
        ax.set_aspect("equal", adjustable="datalim")
    ax.legend(fontsize="small")
    return ax


def plot_loss_comparison(t, theory: dict, simulation: dict | None = None, ax=None, *,
                         sim_t=None, logx: bool = False):
    """Loss curves: ``theory`` maps a label to an array over ``t`` (lines); ``simulation`` maps the
    same labels to ``(mean, se)`` over ``sim_t`` (markers with one-standard-error bars)."""
    ax = _axes(ax)
    for k, (name, values) in enumerate(theory.items()):
        ax.plot(t, values, color=f"C{k}", lw=1.6, label=f"{name} (theory)")
        if simulation and name in simulation:
            mean, se = simulation[name]
            st = t if sim_t is None else sim_t
            err = None if se is None or np.all(np.isnan(se)) else se
            ax.errorbar(st, mean, yerr=err, fmt="o", ms=3, color=f"C{k}", alpha=0.8,
                        label=f"{name} (simulation)")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("t")
    ax.set_ylabel("loss")
    ax.legend(fontsize="small")
    return ax


def plot_phase_diagram(diagram, ax=None, *, x_label="ratio2", y_label="ratio1"):
    """Heat map of ``log10(rise)`` over the (ratio1, ratio2) grid of a ``PhaseDiagram``, with the
    non-monotone cells outlined by a contour and a colour bar."""
    ax = _axes(ax)
    rise = np.where(diagram.rise > 0, diagram.rise, np.nan)
    r1, r2 = diagram.ratios1, diagram.ratios2
    mesh = ax.pcolormesh(r2, r1, np.log10(rise), shading="nearest", cmap="viridis")
    ax.figure.colorbar(mesh, ax=ax, label="log10 rise of the loss after its minimum")
    mask = diagram.nonmonotone.astype(float)
    if 0 < mask.sum() < mask.size:
        ax.contour(r2, r1, mask, levels=[0.5], colors="w", linewidths=1.2)
    inc = getattr(diagram, "increasing", None)
    if inc is not None and inc.any():
        i, j = np.nonzero(inc)
        ax.scatter(r2[j], r1[i], marker="x", color="r", label="monotone increasing")
        ax.legend(fontsize="small")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title("non-monotone isotropic loss (coloured); white: phase boundary", fontsize="small")
    return ax
