"""Phase diagram: where is the random-feature test loss non-monotone in training time?

For T = F Sigma_hat = ProductWishart(ratio1 = D/N, ratio2 = D/P) with v(0) ~ N(0, I) and no
label noise, sweep both ratios on a log grid, evaluate the theory loss at log-spaced times
(tensor fixed-Talbot double inversion of Q), and colour the cells by how much the loss rises
after its minimum (``rmtdyn.learning.monotonicity``). A figure the paper does not draw.

    python examples/nonmonotone_phase_diagram.py [--fast] [--out nonmonotone_phase_diagram.png]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from rmtdyn.learning.monotonicity import nonmonotonicity_phase_diagram  # noqa: E402
from rmtdyn.plotting.nonhermitian import plot_phase_diagram  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="coarse grid")
    parser.add_argument("--out", default="nonmonotone_phase_diagram.png", help="output PNG")
    args = parser.parse_args()
    size = 9 if args.fast else 17
    ratios = np.logspace(-1, 1, size)
    t = np.concatenate(([0.0], np.logspace(-3, 4, 120 if args.fast else 200)))
    diagram = nonmonotonicity_phase_diagram(ratios, ratios, t)
    fig, ax = plt.subplots(figsize=(6, 5))
    plot_phase_diagram(diagram, ax=ax, x_label="D/P = 1/alpha (ratio2)",
                       y_label="D/N = 1/nu (ratio1)")
    ax.plot(ratios, ratios, "w--", lw=0.8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    frac = diagram.nonmonotone.mean()
    print(f"wrote {args.out}; {frac:.0%} of the grid is non-monotone")


if __name__ == "__main__":
    main()
