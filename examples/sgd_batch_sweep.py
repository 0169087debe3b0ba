"""SGD batch-size sweeps: online SGD on a power-law spectrum and multi-pass SGD on P samples.

Left: online SGD (fresh data each step) on linear regression with covariance eigenvalues
i^-1.5, exact second-moment recursion (lines) against simulated SGD (markers). Right:
multi-pass SGD on P fixed samples (ratio N/P = 0.5), the minibatch-indicator DMFT (lines)
against simulation. Smaller batches add SGD noise proportional to eta^2 (1/B - 1/P).

    python examples/sgd_batch_sweep.py --out sgd_batch_sweep.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rmtdyn.learning.sgd import MultiPassSGD, OnlineSGD, power_law_spectrum  # noqa: E402
from rmtdyn.plotting.learning import plot_sgd_sweep  # noqa: E402
from rmtdyn.simulate.sgd import simulate_multipass_sgd, simulate_online_sgd  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="sgd_batch_sweep.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="fewer simulated runs (~10 s)")
    args = parser.parse_args()

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    spectrum = power_law_spectrum(100, 1.5)
    steps = np.concatenate(([0], np.unique(np.geomspace(1, 500, 80).astype(int))))
    marks = np.array([0, 2, 8, 30, 100, 500])
    replicas = 60 if args.fast else 300
    online = {b: OnlineSGD(spectrum, lr=0.4, batch=b, noise=0.1) for b in (1, 4, 32)}
    plot_sgd_sweep({b: m.curves(steps) for b, m in online.items()},
                   {b: simulate_online_sgd(m, marks, replicas=replicas, rng=b)
                    for b, m in online.items()}, ax=left)
    left.set_title("online SGD, eigenvalues i^-1.5, lr = 0.4", fontsize="medium")

    samples = 200 if args.fast else 400
    steps = np.concatenate(([0], np.unique(np.geomspace(1, 1000, 80).astype(int))))
    marks = np.array([0, 10, 50, 200, 1000])
    multi = {b: MultiPassSGD(0.5, lr=0.02, batch=b, samples=samples, noise=0.3)
             for b in (4, 20, samples)}
    plot_sgd_sweep({b: m.curves(steps) for b, m in multi.items()},
                   {b: simulate_multipass_sgd(m, marks, seeds=3 if args.fast else 8, rng=b)
                    for b, m in multi.items()}, ax=right)
    right.set_title(f"multi-pass SGD, P = {samples}, N/P = 0.5, lr = 0.02", fontsize="medium")
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
