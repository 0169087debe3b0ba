"""Benchmark of the two-site (Wishart) DMFT (plain script: prints timings and ratios).

For ``A = X^T X / P`` (ratio 0.5), white noise D = 0.5, on a uniform grid of n_t times:

1. the spectrum-free DMFT grid covariances ``wishart_correlations`` (C_theta and C_Delta)
   against the spectral closed form ``LTISystem.correlation`` (C_theta only) on the same
   n_t x n_t grid, and against one finite-N replica ``wishart_lti_paths`` (N = 2000), which
   gives only one noisy estimate of each C(t, t');
2. the accuracy bought: max |C_theta(DMFT) - C_theta(closed form)|.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_single_site_wishart.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rmtdyn as rd
from rmtdyn.dmft.single_site_wishart import wishart_correlations
from rmtdyn.simulate import wishart_lti_paths


def timed(func):
    start = time.perf_counter()
    out = func()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller grid and N = 1000")
    args = parser.parse_args()
    n_t, n_dim = (101, 1000) if args.quick else (201, 2000)
    t = np.arange(n_t) * (5.0 / (n_t - 1))
    system = rd.LTISystem(rd.MarchenkoPastur(0.5), noise=0.5, init_variance=1.0)

    (c_theta, _), t_dmft = timed(lambda: wishart_correlations(0.5, t, noise=0.5))
    exact, t_closed = timed(lambda: system.correlation(t[:, None], t[None, :]))
    _, t_sim = timed(lambda: wishart_lti_paths(system, t, n_dim, rng=0))
    print(f"grid {n_t} x {n_t} times on [0, 5], ratio 0.5, D = 0.5")
    print(f"  DMFT wishart_correlations (C_theta and C_Delta): {t_dmft:8.3f} s")
    print(f"  LTISystem.correlation (C_theta, closed form):     {t_closed:8.3f} s  "
          f"ratio {t_closed / t_dmft:6.1f}x")
    print(f"  wishart_lti_paths, one replica at N = {n_dim}:     {t_sim:8.3f} s  "
          f"ratio {t_sim / t_dmft:6.1f}x")
    print(f"  max |C_theta(DMFT) - closed form| = {np.max(np.abs(c_theta - exact)):.2e}")


if __name__ == "__main__":
    main()
