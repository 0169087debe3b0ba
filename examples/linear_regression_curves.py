"""Learning curves of linear regression under gradient flow: theory against simulation.

Left: test error |w(t) - beta*|^2/N for ratio N/P = 0.5, 1 and 2 with label noise 0.5
(lines: the Marchenko-Pastur theory; markers: finite-N simulation, mean +- SE over seeds).
At ratio 1 the variance term blows up through the hard edge of the spectrum; at ratio 2 the
null space keeps an error 1 - 1/ratio. Dotted verticals: the early-stopping times.
Right: the train loss of the same runs and, dashed, a ridge of 0.1 at ratio 1.

    python examples/linear_regression_curves.py --out linear_regression_curves.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.simulate import simulate_linear_regression  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="linear_regression_curves.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="smaller simulation (~5 s)")
    args = parser.parse_args()
    n, seeds = (200, 3) if args.fast else (800, 6)

    t = np.geomspace(1e-2, 1e3, 400)
    marks = np.geomspace(1e-2, 1e3, 16)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for i, ratio in enumerate((0.5, 1.0, 2.0)):
        flow = rd.LinearRegressionFlow(ratio, noise=0.5)
        theory = flow.curves(t)
        sim = simulate_linear_regression(flow, marks, n, seeds=seeds, rng=i)
        colour = f"C{i}"
        for ax, name in ((left, "test"), (right, "train")):
            ax.plot(t, theory[name], color=colour, label=f"ratio {ratio:g} (theory)")
            ax.errorbar(marks, sim[name], yerr=sim.error(name), fmt="o", ms=4, mfc="white",
                        color=colour, capsize=2, label=f"ratio {ratio:g} (N = {n})")
        stop = flow.early_stopping()
        if np.isfinite(stop.time):
            left.axvline(stop.time, color=colour, ls=":", lw=1)
    ridge = rd.LinearRegressionFlow(1.0, noise=0.5, ridge=0.1).curves(t)
    for ax, name in ((left, "test"), (right, "train")):
        ax.plot(t, ridge[name], "k--", lw=1, label="ratio 1, ridge 0.1 (theory)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("time t")
    left.set_ylabel("test error |w - beta*|^2 / N")
    right.set_ylabel("train loss (1/P)|Xw/sqrt(N) - y|^2")
    right.set_ylim(1e-4, 3)
    left.legend(fontsize="x-small", ncol=2)
    left.set_title("label noise 0.5: test error", fontsize="medium")
    right.set_title("train loss", fontsize="medium")
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
