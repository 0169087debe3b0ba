"""Cost of the deep-linear two-time DMFT solver.

Prints (1) wall time, Picard sweeps and time per sweep against the number of
time steps n (cost model: O(n²) memory, O(n³) per sweep), (2) the same against
depth L at n = 200 (cost ∝ L per sweep, sweeps grow with L), (3) the ratio
to the brute-force alternative, a seeded finite-D simulation of the same curve
(D = 200, 4 seeds), whose own accuracy is only its ~1-3 % seed error, and (4) the
cost of the exact outlier prediction ``hidden_spectrum`` (resolvent forms of the
probe-extended DMFT + one Brent root per outlier; O(m³) per evaluation for m grid
times) against simulating the spectra (D = 300, 8 seeds, seed error ~0.02-0.05).

Run: OMP_NUM_THREADS=1 python benchmarks/bench_deep_linear.py
"""

from __future__ import annotations

import time

import numpy as np

from rmtdyn.learning.deep_linear import DeepLinearNetwork
from rmtdyn.simulate.deep_linear import simulate_deep_linear

ALPHA, NU, G0, T_MAX = 2.0, 1.0, 1.0, 4.0


def solve_time(depth: int, n_steps: int) -> tuple[float, int]:
    net = DeepLinearNetwork(depth, ALPHA, NU, G0)
    start = time.perf_counter()
    sol = net.solve(T_MAX, n_steps)
    return time.perf_counter() - start, sol.iterations


def main() -> None:
    solve_time(1, 20)  # warm-up (imports)
    print(f"deep linear DMFT, alpha={ALPHA}, nu={NU}, richness={G0}, t_max={T_MAX}")
    print("\n(1) cost vs number of time steps, depth 2")
    print(f"{'n_steps':>8} {'time [s]':>10} {'sweeps':>7} {'s/sweep':>9} {'ratio to n/2':>13}")
    prev = None
    for n in (50, 100, 200, 400):
        sec, it = solve_time(2, n)
        ratio = "" if prev is None else f"{sec / prev:13.2f}"
        print(f"{n:8d} {sec:10.3f} {it:7d} {sec / it:9.4f} {ratio}")
        prev = sec
    print("   (O(n³) per sweep predicts a ratio of 8 per doubling; memory per two-time "
          "function: 8 n² bytes)")

    print("\n(2) cost vs depth, 200 steps")
    print(f"{'depth':>6} {'time [s]':>10} {'sweeps':>7}")
    times = {}
    for depth in (1, 2, 3, 4):
        sec, it = solve_time(depth, 200)
        times[depth] = sec
        print(f"{depth:6d} {sec:10.3f} {it:7d}")

    print("\n(3) ratio to the brute-force simulation of the same curve (depth 2)")
    t = np.linspace(0, T_MAX, 9)
    start = time.perf_counter()
    simulate_deep_linear(2, ALPHA, NU, G0, D=200, t=t, seeds=4, rng=0)
    sim = time.perf_counter() - start
    print(f"simulation D=200, 4 seeds: {sim:.2f} s; DMFT 200 steps: {times[2]:.2f} s; "
          f"ratio simulation/DMFT = {sim / times[2]:.2f}")

    print("\n(4) exact hidden-layer outliers (depth 1, richness 4, t = 0.5, 1, 2)")
    ts = np.array([0.5, 1.0, 2.0])
    print(f"{'n_steps':>8} {'solve [s]':>10} {'outliers [s]':>13} {'top outlier at t=2':>19}")
    for n in (100, 200):
        net = DeepLinearNetwork(1, ALPHA, NU, 4.0)
        start = time.perf_counter()
        net.solve(2.0, n)
        solve = time.perf_counter() - start
        start = time.perf_counter()
        spec = net.hidden_spectrum(0, ts, n_steps=n)
        cost = time.perf_counter() - start
        print(f"{n:8d} {solve:10.3f} {cost:13.3f} {spec['outliers'][-1, 0]:19.5f}")
    start = time.perf_counter()
    sim = simulate_deep_linear(1, ALPHA, NU, 4.0, D=300, t=ts[-1:], seeds=8, rng=0,
                               spectrum_times=ts)
    sim_cost = time.perf_counter() - start
    top = sim.eigenvalues[0][-1, :, 0]
    print(f"simulation D=300, 8 seeds: {sim_cost:.2f} s, top eigenvalue at t=2 "
          f"{top.mean():.3f} ± {top.std(ddof=1) / np.sqrt(top.size):.3f}; "
          f"ratio simulation/theory (n=200) = {sim_cost / (solve + cost):.1f}")


if __name__ == "__main__":
    main()
