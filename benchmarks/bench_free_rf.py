"""Benchmark: g on 1e5 complex points for a free product, a free sum and nonlinear random features.

For each law it prints the time to evaluate the Stieltjes transform on 10^5 points of the
upper half plane (residual of the solved equation checked <= 1e-10 by the solver), the
time to sample and diagonalise ONE 2000 x 2000 matrix of the same model (the brute-force
alternative), and the ratios. Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_free_rf.py``.
"""

from __future__ import annotations

import time

import numpy as np

import rmtdyn as rd
from rmtdyn.spectra.free import free_product, free_sum
from rmtdyn.spectra.random_features import RandomFeatures


def timed(f, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(n_points: int = 100_000, n_matrix: int = 2000) -> None:
    rng = np.random.default_rng(0)
    z = rng.uniform(-1.0, 6.0, n_points) + 1j * rng.uniform(0.01, 2.0, n_points)
    laws = {
        "free product MP(0.5) x MP(0.3)": free_product(rd.MarchenkoPastur(0.5),
                                                       rd.MarchenkoPastur(0.3)),
        "free sum Wigner(1) + MP(0.5)": free_sum(rd.Wigner(1.0), rd.MarchenkoPastur(0.5)),
        "random features relu (1.0, 0.5)": RandomFeatures(1.0, 0.5, "relu"),
    }
    print(f"{'law':36s} {'g(1e5 pts) s':>13s} {'sample s':>9s} {'eigvalsh s':>10s} "
          f"{'ratio eig/g':>11s} {'ratio (sample+eig)/g':>21s}")
    for name, law in laws.items():
        law.stieltjes(z[:16])  # warm-up (lazy imports, lambdify of the operands' equations)
        t_g, _ = timed(lambda law=law: law.stieltjes(z))
        t_s, a = timed(lambda law=law: law.sample(n_matrix, np.random.default_rng(1)))
        t_e, _ = timed(lambda a=a: np.linalg.eigvalsh(a))
        print(f"{name:36s} {t_g:13.3f} {t_s:9.3f} {t_e:10.3f} {t_e / t_g:11.2f} "
              f"{(t_s + t_e) / t_g:21.2f}")


if __name__ == "__main__":
    main()
