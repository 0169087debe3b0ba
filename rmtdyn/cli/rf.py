"""``rmtdyn rf``: learning curves and bias-variance decomposition of random-feature flow."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

EPILOG = """examples:
  rmtdyn rf --alpha 2 --nu 0.5 --out rf.png
  rmtdyn rf --alpha 1.2 --nu 3 --noise 0.5 --ridge 0.01 --members 20 --out noisy.png
  rmtdyn rf --alpha 2 --nu 0.5 --no-simulation --json
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "rf",
        help="random-feature gradient flow: train/test loss, bias and variances",
        description="Gradient flow on the linear random-feature model (alpha = P/D samples and "
        "nu = N/D features per input dimension): train loss and test error (excess risk), "
        "and the bias, the infinite ensembles over features and over datasets, and the "
        "variances due to features, data, their interaction and label noise. Lines are "
        "theory; markers are finite-size simulations (input dimension --n) with "
        "one-standard-error bars.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--alpha", type=float, default=2.0,
                        help="P/D, training samples per input dimension (default: 2)")
    parser.add_argument("--nu", type=float, default=0.5,
                        help="N/D, random features per input dimension (default: 0.5)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="label-noise standard deviation sigma >= 0 (default: 0)")
    parser.add_argument("--ridge", type=float, default=0.0,
                        help="ridge lambda >= 0 on the readout (default: 0)")
    parser.add_argument("--tmin", type=float, default=1e-2,
                        help="first time of the log-spaced grid (default: 0.01)")
    parser.add_argument("--tmax", type=float, default=1e3,
                        help="last time of the grid (default: 1000)")
    parser.add_argument("--points", type=int, default=300,
                        help="number of theory times (default: 300)")
    parser.add_argument("--markers", type=int, default=10,
                        help="number of simulated times (default: 10)")
    parser.add_argument("--seeds", type=int, default=3,
                        help="simulation replicas of the single learner, and teacher groups of "
                        "the ensemble simulations (default: 3)")
    parser.add_argument("--members", type=int, default=10,
                        help="ensemble members per group in the ensemble simulations "
                        "(default: 10; 0 skips them)")
    parser.add_argument("--no-simulation", action="store_true",
                        help="theory only (no simulation markers)")
    add_common_options(parser, n_default=200)
    parser.set_defaults(func=run)


def run(args) -> int:
    from rmtdyn.learning.random_features import RandomFeatureFlow

    check_out(args.out)
    if not 0 < args.tmin < args.tmax:
        raise ValueError(f"--tmin and --tmax must satisfy 0 < tmin < tmax, got {args.tmin}, "
                         f"{args.tmax}")
    if args.points < 2 or args.markers < 2:
        raise ValueError("--points and --markers must be >= 2")
    if args.members < 0 or args.members == 1:
        raise ValueError(f"--members must be 0 (skip) or >= 2, got {args.members}")
    model = RandomFeatureFlow(args.alpha, args.nu, noise=args.noise, ridge=args.ridge)
    t = np.geomspace(args.tmin, args.tmax, args.points)
    theory = model.curves(t)
    decomposition = model.bias_variance_curves(t)
    simulation, ensembles = None, {}
    if not args.no_simulation:
        from rmtdyn.simulate.random_features import simulate_random_features, simulate_rf_ensemble

        tm = np.geomspace(args.tmin, args.tmax, args.markers)
        simulation = simulate_random_features(model, tm, d=args.n, seeds=args.seeds,
                                              rng=args.seed)
        if args.members:
            for key, share in (("ensemble_features", "data"), ("ensemble_data", "features"),
                               ("bias", "none")):
                ensembles[key] = simulate_rf_ensemble(model, tm, members=args.members,
                                                      share=share, d=args.n, groups=args.seeds,
                                                      rng=args.seed)
    limit = model.limit()
    t_stop, best = model.early_stopping(args.tmax)
    if args.json:
        emit_json({"theory": theory.to_dict(), "decomposition": decomposition.to_dict(),
                   "simulation": None if simulation is None else simulation.to_dict(),
                   "ensembles": {k: v.to_dict() for k, v in ensembles.items()},
                   "limit": limit, "early_stopping": {"time": t_stop, "test_error": best}})
    if args.out:
        use_agg()
        from rmtdyn.plotting.learning import plot_rf_learning

        fig = plot_rf_learning(theory, decomposition, simulation, ensembles)
        fig.suptitle(f"random features: alpha = {args.alpha:g}, nu = {args.nu:g}, "
                     f"sigma = {args.noise:g}, ridge = {args.ridge:g}", fontsize="medium")
        save_figure(fig, args.out)
    if not args.json and not args.out:
        print(f"t -> inf: train {limit['train']:.6g}, test {limit['test']:.6g}, "
              f"bias {limit['bias']:.6g}; early stopping at t = {t_stop:.6g} "
              f"(test error {best:.6g})")
    return 0
