"""Limiting spectra against the eigenvalues of one sampled matrix, for six ensembles.

Each panel draws the density rho(x) = -Im g(x + i0)/pi of the limiting law (line), its
support (shaded) and its atoms (bars with their mass), over a histogram of the eigenvalues
of one finite-N sample from the same ensemble's own sampler: the semicircle, Marchenko-Pastur
below and above ratio 1 (with the atom of the null space), a population covariance with
eigenvalues 1 and 10 (two bulks), the free sum of a Wigner and a Wishart matrix, and the
Gram matrix of ReLU random features (bulk by Gaussian equivalence; the outlier created by
the activation's mean is left out of the histogram).

    python examples/spectra_with_histograms.py --out spectra_with_histograms.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.plotting.spectra import plot_density  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="spectra_with_histograms.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="smaller samples (~5 s)")
    args = parser.parse_args()
    n = 400 if args.fast else 1500
    rng = np.random.default_rng(0)

    laws = {
        "Wigner (semicircle)": rd.Wigner(),
        "Marchenko-Pastur, ratio 0.3": rd.MarchenkoPastur(0.3),
        "Marchenko-Pastur, ratio 2 (atom at 0)": rd.MarchenkoPastur(2.0),
        "population eigenvalues 1 and 10, ratio 0.1": rd.MarchenkoPastur(
            0.1, population=([1.0, 10.0], [0.5, 0.5])),
        "free sum: Wigner + Wishart(0.5)": rd.free_sum(rd.Wigner(), rd.MarchenkoPastur(0.5)),
        "ReLU random features, N/P = 0.5, D/P = 0.8": rd.RandomFeatures(0.5, 0.8, "relu"),
    }
    fig, axes = plt.subplots(2, 3, figsize=(14, 7))
    for ax, (title, law) in zip(axes.ravel(), laws.items(), strict=True):
        eigenvalues = np.linalg.eigvalsh(law.sample(n, rng))
        if isinstance(law, rd.RandomFeatures):
            eigenvalues = eigenvalues[:-1]  # the mean's outlier sits far to the right
        plot_density(law, eigenvalues, ax=ax, bins=60)
        ax.set_title(title, fontsize="small")
    fig.suptitle(f"limiting densities against one sample of size N = {n}")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
