"""``rmtdyn losses``: learning curves of linear regression under gradient flow."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

EPILOG = """examples:
  rmtdyn losses --ratio 0.5 --noise 0.5 --out curves.png
  rmtdyn losses --ratio 2 --noise 0.3 --ridge 0.01 --n 800 --seeds 6 --out overparam.png
  rmtdyn losses --ratio 0.5 --noise 0.5 --no-simulation --json
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "losses",
        help="train/test learning curves of linear regression under gradient flow",
        description="Train loss (1/P)|Xw/sqrt(N) - y|^2 and test error |w - beta*|^2/N of "
        "gradient flow dw/dt = -(1/P) X^T (X w - sqrt(N) y) - ridge w, from the "
        "Marchenko-Pastur spectrum (lines) and from a finite-N simulation (markers with "
        "one-standard-error bars).",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratio", type=float, default=0.5,
                        help="ratio N/P, dimension over samples (default: 0.5)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="label-noise standard deviation sigma >= 0 (default: 0)")
    parser.add_argument("--ridge", type=float, default=0.0,
                        help="ridge lambda >= 0 (default: 0)")
    parser.add_argument("--init-variance", type=float, default=0.0,
                        help="variance sigma0^2 of the initial weights (default: 0)")
    parser.add_argument("--tmin", type=float, default=1e-2,
                        help="first time of the log-spaced grid (default: 0.01)")
    parser.add_argument("--tmax", type=float, default=1e3,
                        help="last time of the grid (default: 1000)")
    parser.add_argument("--points", type=int, default=400,
                        help="number of theory times (default: 400)")
    parser.add_argument("--markers", type=int, default=25,
                        help="number of simulated times (default: 25)")
    parser.add_argument("--seeds", type=int, default=4,
                        help="number of simulation replicas (default: 4)")
    parser.add_argument("--no-simulation", action="store_true",
                        help="theory only (no finite-N markers)")
    parser.add_argument("--progress", action="store_true",
                        help="show a progress bar over the simulation replicas")
    add_common_options(parser, n_default=500)
    parser.set_defaults(func=run)


def _grid(tmin: float, tmax: float, points: int, name: str) -> np.ndarray:
    if not 0 < tmin < tmax:
        raise ValueError(f"--tmin and --tmax must satisfy 0 < tmin < tmax, got {tmin}, {tmax}")
    if points < 2:
        raise ValueError(f"--{name} must be >= 2, got {points}")
    return np.geomspace(tmin, tmax, points)


def run(args) -> int:
    from rmtdyn.learning.linear_regression import LinearRegressionFlow

    check_out(args.out)
    flow = LinearRegressionFlow(args.ratio, noise=args.noise, ridge=args.ridge,
                                init_variance=args.init_variance)
    theory = flow.curves(_grid(args.tmin, args.tmax, args.points, "points"))
    simulation = None
    if not args.no_simulation:
        from rmtdyn.simulate.linear_regression import simulate_linear_regression

        simulation = simulate_linear_regression(
            flow, _grid(args.tmin, args.tmax, args.markers, "markers"), args.n,
            seeds=args.seeds, rng=args.seed, progress=args.progress)
    limit = flow.limit()
    stop = flow.early_stopping()
    if args.json:
        emit_json({"theory": theory.to_dict(),
                   "simulation": None if simulation is None else simulation.to_dict(),
                   "limit": {"train": limit.train, "test": limit.test},
                   "early_stopping": {"time": stop.time, "test_error": stop.test_error}})
    if args.out:
        use_agg()
        from rmtdyn.plotting.dynamics import plot_loss_curves

        ax = plot_loss_curves(theory, simulation)
        if np.isfinite(stop.time):
            ax.axvline(stop.time, color="0.5", ls=":", lw=1, label="early-stopping time")
            ax.legend(fontsize="small")
        save_figure(ax.figure, args.out)
    if not args.json and not args.out:
        print(f"t -> inf: train {limit.train:.6g}, test {limit.test:.6g}; "
              f"early stopping at t = {stop.time:.6g} with test error {stop.test_error:.6g}")
    return 0
