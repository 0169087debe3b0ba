"""Benchmarks of the DMFT / learning-curve layer (plain script: prints timings and ratios).

1. Marchenko-Pastur ``response`` on 1,000 times and the full learning curve
   (``LinearRegressionFlow.curves``: train and test on 1,000 times; with noise, ridge,
   init variance), target < 50 ms each, against the finite-N simulation of the same model
   at N = 2000 (one replica, exact in the SVD basis, the same 1,000 times).
2. ``LTISystem.correlation`` on 1,000 times (white noise) against ``simulate_lti`` at
   N = 2000 (one replica).
3. Accuracy of the theory: |theory - simulation| in units of the replica's spread is
   reported, so the speed is not bought with a wrong answer.

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_dmft.py [--quick]`` (``--quick``: N = 1000).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import rmtdyn as rd
from rmtdyn.simulate import simulate_linear_regression, simulate_lti


def best_of(func, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return min(times), out


def row(label, seconds, target=None):
    flag = ""
    if target is not None:
        verdict = "OK" if seconds < target else "MISSED"
        flag = f"  (target < {1e3 * target:.0f} ms: {verdict})"
    print(f"  {label:<52s} {1e3 * seconds:10.2f} ms{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N = 1000 instead of 2000")
    args = parser.parse_args()
    n = 1000 if args.quick else 2000
    t = np.geomspace(1e-2, 1e3, 1000)

    print(f"== learning curves on 1000 times; simulation at N = {n} ==")
    mp = rd.MarchenkoPastur(0.5)
    mp.response(1.0)  # build the quadrature rule once (cached per spectrum)
    t_resp, _ = best_of(lambda: mp.response(t))
    row("MarchenkoPastur(0.5).response(t)", t_resp, 0.05)
    results = {}
    for params in [(0.5, 0.5, 0.0, 0.0), (2.0, 0.5, 0.1, 0.5)]:
        flow = rd.LinearRegressionFlow(*params)
        flow.test_error(1.0)
        t_theory, theory = best_of(lambda f=flow: f.curves(t))
        row(f"LinearRegressionFlow{params}.curves(t)", t_theory, 0.05)
        t_sim, sim = best_of(lambda f=flow: simulate_linear_regression(f, t, n, seeds=[1]),
                             repeat=1)
        row(f"simulate_linear_regression, N={n}, 1 replica", t_sim)
        results[params] = (t_theory, t_sim)
        # accuracy: the 1-replica simulation against the theory, relative to the theory
        rel = np.abs(sim["test"] - theory["test"]) / theory["test"]
        print(f"    max |simulation - theory| / theory (test, 1 replica): {rel.max():.3f} "
              f"(one replica fluctuates by O(1/sqrt(N)))")
        print(f"    RATIO simulation / theory: {t_sim / t_theory:8.0f}x")

    print(f"\n== free product MP(0.5) x MP(0.3): response on 1000 times; simulation at N = {n} ==")
    law = rd.free_product(rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.3))
    start = time.perf_counter()
    law.response(t)
    row("free_product(...).response(t), first call (builds its rule)",
        time.perf_counter() - start)
    t_fp, fp_resp = best_of(lambda: law.response(t))
    row("free_product(...).response(t), rule cached", t_fp, 0.05)
    product = rd.ProductWishart(0.5, 0.3)
    t_pw, pw_resp = best_of(lambda: product.response(t))
    row("ProductWishart(0.5, 0.3).response(t) (cubic solver)", t_pw, 0.05)
    gap = np.max(np.abs(pw_resp / fp_resp - 1))
    print(f"    max relative difference of the two routes: {gap:.1e}")
    rng = np.random.default_rng(1)

    def simulate_product():
        lam = np.linalg.eigvals(product.sample(n, rng)).real
        return np.exp(-np.outer(t, lam)).mean(axis=1)

    t_psim, _ = best_of(simulate_product, repeat=1)
    row(f"sample + eigvals + average, N={n}, 1 replica", t_psim)
    print(f"    RATIO simulation / theory (cubic solver): {t_psim / t_pw:8.0f}x")

    print(f"\n== LTI correlation C(t, t) on 1000 times; simulation at N = {n} ==")
    system = rd.LTISystem(rd.Wigner() + 2.5, noise=0.5)
    system.correlation(1.0)
    t_corr, corr = best_of(lambda: system.correlation(t))
    row("LTISystem(Wigner + 2.5, white noise).correlation(t)", t_corr, 0.05)
    t_lti, _ = best_of(lambda: simulate_lti(system, t, n, seeds=[1]), repeat=1)
    row(f"simulate_lti, N={n}, 1 replica", t_lti)
    print(f"    RATIO simulation / theory: {t_lti / t_corr:8.0f}x")

    print("\nsummary (ratios = simulation time / theory time, same 1000 times):")
    for params, (a, b) in results.items():
        print(f"  LinearRegressionFlow{params}: theory {1e3 * a:.1f} ms, "
              f"simulation {b:.2f} s, ratio {b / a:.0f}x")
    print(f"  LTISystem correlation: theory {1e3 * t_corr:.1f} ms, simulation {t_lti:.2f} s, "
          f"ratio {t_lti / t_corr:.0f}x")


if __name__ == "__main__":
    main()
