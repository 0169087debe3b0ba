"""Benchmarks of the Laplace-inversion layer (plain script: prints timings and ratios).

1. ``invert_laplace`` on 1,000 times against ``mpmath.invertlaplace(method="talbot")``
   (timed on a subset and extrapolated per point), both checked against the closed form
   ``R(t) = e^{-2t}(I0(2t) + I1(2t))`` of Marchenko-Pastur at ratio 1.
2. ``MarchenkoPastur.response`` at 1,000 times (quadrature and contour routes) against a
   finite-N simulation at N = 2000 (one sample, eigendecomposition).

Run: ``OMP_NUM_THREADS=1 python benchmarks/bench_laplace.py [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import mpmath
import numpy as np
from scipy.special import ive

import rmtdyn as rd


def best_of(func, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - start)
    return min(times), out


def bench_inversion(n_mpmath: int) -> None:
    t = np.logspace(-2, 2, 1000)
    exact = ive(0, 2 * t) + ive(1, 2 * t)  # MP ratio 1: e^{-2t}(I0(2t) + I1(2t))
    mp = rd.MarchenkoPastur(1.0)

    def F(s):
        return -mp.stieltjes(-s)

    print("== invert_laplace on 1000 times, Marchenko-Pastur ratio 1 (R(t) closed form) ==")
    rows = []
    for label, method, options in (
        ("talbot", "talbot", {"probe": False}),
        ("talbot+probe", "talbot", {}),
        ("hyperbola", "hyperbola", {}),
        ("auto", "auto", {}),
        ("dehoog", "dehoog", {"probe": False}),
        ("contour", "contour", {"support": (0.0, 4.0)}),
    ):
        elapsed, value = best_of(lambda m=method, o=options: rd.invert_laplace(F, t, m, **o))
        rel = np.max(np.abs(value - exact) / exact)
        rows.append((label, elapsed, rel))

    def G(s):  # the same transform in mpmath arithmetic
        return 2 / (s + mpmath.sqrt(s) * mpmath.sqrt(s + 4))

    subset = t[np.linspace(0, len(t) - 1, n_mpmath).astype(int)]
    exact_subset = ive(0, 2 * subset) + ive(1, 2 * subset)
    # mpmath raises its working precision internally: dps=15 gives ~1e-16, dps=8 ~1e-10,
    # which brackets the double-precision accuracy of rmtdyn (~1e-12)
    for dps in (15, 8):
        with mpmath.workdps(dps):
            start = time.perf_counter()
            ref = np.array([float(mpmath.invertlaplace(G, float(x), method="talbot"))
                            for x in subset])
            per_point = (time.perf_counter() - start) / n_mpmath
        mp_rel = np.max(np.abs(ref - exact_subset) / exact_subset)
        mp_total = per_point * len(t)
        print(f"mpmath.invertlaplace(talbot), dps={dps:2d}: {per_point * 1e3:.2f} ms/point "
              f"(timed on {n_mpmath} points) -> {mp_total:.2f} s for 1000; "
              f"max rel error {mp_rel:.1e}")
        for label, elapsed, rel in rows:
            verdict = "better" if rel <= mp_rel else "worse"
            print(f"  rmtdyn {label:13s}: {elapsed * 1e3:8.2f} ms for 1000   max rel error "
                  f"{rel:.1e} ({verdict})   speed-up {mp_total / elapsed:8.0f}x")

def bench_response(n: int) -> None:
    t = np.logspace(-2, 3, 1000)
    mp = rd.MarchenkoPastur(0.5)
    print(f"\n== MarchenkoPastur(0.5).response at 1000 times vs simulation at N = {n} ==")
    quad_time, quad = best_of(lambda: rd.MarchenkoPastur(0.5).response(t))  # incl. rule build
    warm_time, _ = best_of(lambda: mp.response(t))
    contour_time, contour = best_of(lambda: mp.response(t, method="contour"))
    rng = np.random.default_rng(0)

    def simulate():
        eig = np.linalg.eigvalsh(mp.sample(n, rng))
        return np.exp(-np.outer(t, eig)).mean(axis=1)

    sim_time, sim = best_of(simulate, repeat=1)
    print(f"quadrature (new object, builds the rule): {quad_time * 1e3:8.2f} ms")
    print(f"quadrature (rule cached)               : {warm_time * 1e3:8.2f} ms")
    print(f"contour through the resolvent          : {contour_time * 1e3:8.2f} ms   "
          f"max rel diff to quadrature {np.max(np.abs(contour - quad) / quad):.1e}")
    print(f"simulation N={n} (1 sample, eigvalsh)  : {sim_time * 1e3:8.2f} ms   "
          f"rel diff at t=1: {abs(np.interp(1.0, t, sim) / np.interp(1.0, t, quad) - 1):.1e}")
    print(f"ratios simulation/theory: quadrature {sim_time / quad_time:.0f}x "
          f"(cached {sim_time / warm_time:.0f}x), contour {sim_time / contour_time:.0f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer mpmath points, N = 1000")
    args = parser.parse_args()
    bench_inversion(10 if args.quick else 40)
    bench_response(1000 if args.quick else 2000)
