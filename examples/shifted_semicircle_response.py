"""The shifted semicircle: response, its t^(-3/2) tail, and the DMFT single-site process.

Left: R(t) = e^{-zt} I1(2t)/t of A = z + Wigner for z = 2, 2.5, 3 (lines: the spectral
quadrature; markers: finite-N eigenvalues). At z = 2 the edge of the spectrum touches 0 and
R(t) ~ 1/(2 sqrt(pi) t^(3/2)) (dashed). Right: with white noise D = 0.3 and theta(0) ~ N(0, 1),
the equal-time correlation C(t, t) from the closed LTI formula (line), from the DMFT single-site
process dh/dt = -z h + u + int R h + xi (band: mean +- 2 SE over paths) and from the coordinates
of one N-dimensional system (markers).

    python examples/shifted_semicircle_response.py --out shifted_semicircle.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.learning.curves import LossCurves  # noqa: E402
from rmtdyn.plotting.dynamics import plot_response  # noqa: E402
from rmtdyn.simulate import lti_paths, simulate_lti  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="shifted_semicircle.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="smaller simulation (~5 s)")
    args = parser.parse_args()
    n, paths = (300, 800) if args.fast else (1500, 4000)

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    t = np.geomspace(1e-2, 1e3, 300)
    marks = np.geomspace(1e-2, 30, 12)
    for i, z in enumerate((2.0, 2.5, 3.0)):
        system = rd.LTISystem(rd.Wigner() + z)
        theory = LossCurves(t=t, curves={"response": system.response(t)}, label=f"z = {z:g}")
        sim = simulate_lti(system, marks, n, seeds=3, rng=i)
        plot_response(theory, sim, ax=left, color=f"C{i}")
    left.plot(t[t > 3], 1 / (2 * np.sqrt(np.pi) * t[t > 3] ** 1.5), "k--", lw=1,
              label="1/(2 sqrt(pi) t^1.5)")
    left.set_ylim(1e-12, 2)
    left.legend(fontsize="x-small")
    left.set_title("response of A = z + Wigner", fontsize="medium")

    system = rd.LTISystem(rd.Wigner() + 2.2, noise=0.3, init_variance=1.0)
    grid = np.arange(0, 241) * 0.025
    single = system.single_site(grid, paths, rng=7)
    mean, se = single.equal_time()
    right.plot(grid, system.correlation(grid), "k-", label="C(t, t): LTI closed form")
    right.fill_between(grid, mean - 2 * se, mean + 2 * se, color="C1", alpha=0.4,
                       label=f"single-site process ({paths} paths)")
    pick = np.arange(0, 241, 20)
    theta = lti_paths(system, grid[pick], n, rng=8)
    sq = theta**2  # (N, times): each coordinate is one sample of the single-site law
    right.errorbar(grid[pick], sq.mean(axis=0), yerr=sq.std(axis=0, ddof=1) / np.sqrt(n),
                   fmt="o", color="C0", mfc="white", capsize=2,
                   label=f"coordinates of the N = {n} system (+- SE)")
    right.set_xlabel("time t")
    right.set_ylabel("C(t, t)")
    right.legend(fontsize="small")
    right.set_title("z = 2.2, white noise D = 0.3", fontsize="medium")
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
