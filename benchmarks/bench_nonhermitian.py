"""Benchmark: the non-Hermitian loss curve (theory) against the finite-N simulation.

Prints timings and RATIOS. Theory: ``RandomFeatureGradientFlowMatrix(3, 0.5).test_loss`` at
500 times (tensor fixed-Talbot double inversion of Q, M = 16). Simulation: the same loss from
``ProductWishart.simulate_losses`` (Cholesky similarity, O(N^3) per draw + O(N^2) per time).

The theory is accurate to ~1e-9 (checked here against M = 14 and against a circle contour);
a simulation's error is its finite-size bias plus its Monte Carlo error, measured here against
the theory at several N. The ratio "at equal accuracy" is reported two ways: measured (the
theory vs the largest simulation run here, which is still ~1e5 times LESS accurate) and
extrapolated (error ~ C/N, cost ~ N^3) to the N a simulation would need for 1e-6.

Run:  OMP_NUM_THREADS=1 python benchmarks/bench_nonhermitian.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from rmtdyn.laplace.two_dimensional import invert_laplace_diagonal_circle
from rmtdyn.spectra.nonhermitian import RandomFeatureGradientFlowMatrix


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller simulations")
    args = parser.parse_args()

    model = RandomFeatureGradientFlowMatrix(3.0, 0.5)
    t = np.linspace(0.0, 10.0, 500)
    theory_time, theory = best_of(lambda: model.test_loss(t))
    fine = model.test_loss(t, nodes=14)
    small = t[t <= 3.0]
    top = model.support()[-1][1]
    circle = invert_laplace_diagonal_circle(model.two_point_laplace, small, center=-top / 2,
                                            radius=top / 2 + 1.5, nodes=400)
    acc = max(np.max(np.abs(theory - fine)), np.max(np.abs(theory[: small.size] - circle)))
    print(f"theory: {t.size} times in {theory_time * 1e3:.1f} ms (target < 1000 ms); "
          f"accuracy {acc:.1e} (vs M=14 and vs a circle contour)")
    herm_time, _ = best_of(lambda: model.hermitian_test_loss(t))
    print(f"hermitian companion loss: {herm_time * 1e3:.1f} ms")

    sizes = [(250, 4), (500, 2)] if args.quick else [(250, 8), (500, 4), (1000, 2)]
    rows = []
    for n, draws in sizes:
        start = time.perf_counter()
        sim = model.simulate_losses(n, t, rng=0, draws=draws)
        per_draw = (time.perf_counter() - start) / draws
        err = np.max(np.abs(sim["isotropic"] - theory))
        se = np.max(sim["isotropic_se"])
        rows.append((n, draws, per_draw, err, se))
        print(f"simulation N={n:5d} x {draws} draws: {per_draw:.2f} s per draw, "
              f"max |sim - theory| = {err:.1e} (max SE {se:.1e}); "
              f"ratio time(1 draw)/time(theory) = {per_draw / theory_time:.0f}x")
    n_big, _, cost_big, err_big, _ = rows[-1]
    print(f"measured: theory ({acc:.0e}) is {cost_big / theory_time:.0f}x faster than one draw at "
          f"N={n_big}, which is only accurate to {err_big:.0e}")
    # extrapolation: error ~ C/N (finite-size bias dominates, see the rows), cost ~ N^3
    c = np.median([n * e for n, _, _, e, _ in rows])
    for target in (1e-4, 1e-6):
        n_needed = c / target
        cost = cost_big * (n_needed / n_big) ** 3
        print(f"extrapolated: accuracy {target:.0e} needs N ~ {n_needed:.1e} "
              f"(~{cost:.1e} s per draw): ratio ~{cost / theory_time:.1e}x (target >= 100x)")


if __name__ == "__main__":
    main()
