"""Timings of the learning-dynamics theory (random features, SGD) against simulation.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_learning.py`` (``--fast`` for a smaller run).
Prints wall times, the accuracy each method reached, and the RATIO simulation/theory.
Target: a full random-feature learning curve (500 times) with its bias-variance
decomposition in < 1 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rmtdyn.learning.random_features import RandomFeatureFlow
from rmtdyn.learning.sgd import MultiPassSGD, OnlineSGD, power_law_spectrum
from rmtdyn.simulate.random_features import simulate_random_features, simulate_rf_ensemble
from rmtdyn.simulate.sgd import simulate_multipass_sgd, simulate_online_sgd


def best_of(fn, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def rf_section(fast: bool) -> None:
    model = RandomFeatureFlow(2.0, 0.5, noise=0.3)
    t = np.geomspace(1e-2, 1e3, 500)

    def theory():
        model._cache = None  # time a fresh computation, not the per-instance cache
        return model.bias_variance(t)  # test, train, bias, ensembles and the variances

    t_theory, curves = best_of(theory)
    # accuracy of the theory: change when the Talbot node count moves 20 -> 16
    model16 = RandomFeatureFlow(2.0, 0.5, noise=0.3)
    model16.nodes = 16
    err_theory = np.max(np.abs(model16.test_error(t) - curves["test"]))
    print(f"RF theory: 500 times, curves + bias-variance: {t_theory:.3f} s "
          f"(target < 1 s); Talbot M=16 vs 20 differ by {err_theory:.1e}")

    d, seeds = (200, 2) if fast else (500, 4)
    tsim = t[::10]  # 50 times
    t0 = time.perf_counter()
    sim = simulate_random_features(model, tsim, d=d, seeds=seeds, rng=0, teacher_average=False)
    t_sim = time.perf_counter() - t0
    err_sim = np.max(np.abs(sim["test"] - curves["test"][::10]))
    se = np.max(sim.error("test"))
    print(f"RF simulation (D={d}, {seeds} seeds, 50 times): {t_sim:.2f} s, max |sim - theory| = "
          f"{err_sim:.1e} (stderr up to {se:.1e})")
    members = 8 if fast else 20
    t0 = time.perf_counter()
    for share in ("data", "features", "none"):
        simulate_rf_ensemble(model, tsim[::5], members=members, share=share, d=min(d, 300),
                             groups=2, rng=1)
    t_ens = time.perf_counter() - t0
    print(f"RF ensemble simulations (3 x {members} members x 2 groups, D={min(d, 300)}, "
          f"10 times): {t_ens:.2f} s")
    print(f"RATIO simulation/theory (curves + decomposition): {(t_sim + t_ens) / t_theory:.0f}x "
          f"for an accuracy of ~{max(err_sim, se):.0e} (theory ~{err_theory:.0e})")


def sgd_section(fast: bool) -> None:
    lam, target = power_law_spectrum(200, 1.5)
    model = OnlineSGD((lam, target), lr=0.5, batch=4, noise=0.1)
    steps = np.arange(0, 1001, 10)
    t_th, loss = best_of(lambda: model.loss(steps))
    reps = 50 if fast else 200
    t0 = time.perf_counter()
    sim = simulate_online_sgd(model, steps, replicas=reps, rng=0)
    t_sim = time.perf_counter() - t0
    rel = np.max(np.abs(sim["test"] - loss) / loss)
    print(f"online SGD (200 modes, 1000 steps): recursion {t_th * 1e3:.1f} ms, simulation "
          f"({reps} replicas) {t_sim:.2f} s, max rel. deviation {rel:.1e}; "
          f"RATIO {t_sim / t_th:.0f}x")
    mp = MultiPassSGD(0.5, lr=0.05, batch=10, samples=400, noise=0.3)
    steps = np.array([0, 10, 100, 300, 1000])
    t_th, curves = best_of(lambda: mp.curves(steps))
    seeds = 2 if fast else 8
    t0 = time.perf_counter()
    sim = simulate_multipass_sgd(mp, steps, seeds=seeds, rng=0)
    t_sim = time.perf_counter() - t0
    rel = np.max(np.abs(sim["test"] - curves["test"]) / curves["test"])
    print(f"multi-pass SGD (P=400, B=10, 1000 steps): DMFT {t_th * 1e3:.1f} ms, simulation "
          f"({seeds} seeds) {t_sim:.2f} s, max rel. deviation {rel:.1e}; "
          f"RATIO {t_sim / t_th:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fast", action="store_true", help="smaller simulations")
    args = parser.parse_args()
    rf_section(args.fast)
    sgd_section(args.fast)


if __name__ == "__main__":
    main()
