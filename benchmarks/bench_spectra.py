"""Speed of the core spectra, as ratios against the brute-force alternative a user would write.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_spectra.py  [--fast]

1. Marchenko-Pastur density on 1e5 points vs a hand-written numpy closed form
   (target: ratio <= 3).
2. Population covariance (Silverstein's equation) g on 1e5 complex points vs diagonalising
   one 2000 x 2000 sample (the alternative a user would reach for), with the accuracy of
   each: the equation residual of the theory and the error of the finite-N estimate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rmtdyn as rd


def best_of(f, repeat=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def numpy_mp_density(x, ratio, variance=1.0):
    lo = variance * (1 - np.sqrt(ratio)) ** 2
    hi = variance * (1 + np.sqrt(ratio)) ** 2
    out = np.zeros_like(x)
    inside = (x > lo) & (x < hi)
    xi = x[inside]
    out[inside] = np.sqrt((hi - xi) * (xi - lo)) / (2 * np.pi * ratio * variance * xi)
    return out


def residual_discrete(spec, z, g):
    t = spec.variance * spec.population.eigenvalues
    w = spec.population.weights
    c = 1 - spec.ratio + spec.ratio * z * g
    return np.max(np.abs(g - np.sum(w / (z[:, None] - c[:, None] * t), axis=1)) / np.abs(g))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fast", action="store_true", help="fewer repeats, 1000 x 1000 sample")
    args = parser.parse_args()
    repeat = 2 if args.fast else 5
    n_sample = 1000 if args.fast else 2000
    rng = np.random.default_rng(0)

    # 1. MP density ---------------------------------------------------------------
    mp = rd.MarchenkoPastur(0.5)
    x = rng.uniform(-0.5, 3.5, 100_000)
    t_lib = best_of(lambda: mp.density(x), 10 * repeat)  # ms-scale: best of many (shared CPU)
    t_np = best_of(lambda: numpy_mp_density(x, 0.5), 10 * repeat)
    err = np.max(np.abs(mp.density(x) - numpy_mp_density(x, 0.5)))
    print(f"MP density, 1e5 points: rmtdyn {t_lib * 1e3:.2f} ms, numpy closed form "
          f"{t_np * 1e3:.2f} ms, RATIO {t_lib / t_np:.2f} (target <= 3), max diff {err:.1e}")

    # 2. population MP ------------------------------------------------------------
    z = rng.uniform(0.0, 12.0, 100_000) + 1j * rng.uniform(0.01, 2.0, 100_000)
    cases = [("two-point population (1, 3), ratio 0.5",
              rd.MarchenkoPastur(0.5, population=([1.0, 3.0], [0.5, 0.5]))),
             ("density population MarchenkoPastur(0.3), ratio 0.5",
              rd.MarchenkoPastur(0.5, population=rd.MarchenkoPastur(0.3)))]
    for name, spec in cases:
        spec.stieltjes(z[:10])  # support and set-up, once
        t_theory = best_of(lambda spec=spec: spec.stieltjes(z), max(1, repeat // 2))
        g = spec.stieltjes(z)

        def brute(spec=spec):
            ev = np.linalg.eigvalsh(spec.sample(n_sample, np.random.default_rng(1)))
            return ev

        t_brute = best_of(brute, 1)
        ev = brute()
        zz = z[:2000]
        g_emp = np.mean(1.0 / (zz[:, None] - ev[None, :]), axis=1)
        fin_err = np.max(np.abs(g_emp - g[:2000]))
        res = (f", equation residual {residual_discrete(spec, z, g):.1e}"
               if spec.discrete else "")
        print(f"{name}: g on 1e5 points {t_theory:.3f} s{res}; sample+eigvalsh {n_sample}x"
              f"{n_sample} {t_brute:.3f} s (its g error vs theory {fin_err:.1e}); "
              f"RATIO theory/brute {t_theory / t_brute:.2f}")


if __name__ == "__main__":
    main()
