"""``rmtdyn sgd``: batch-size sweeps of online or multi-pass SGD, theory against simulation."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

EPILOG = """examples:
  rmtdyn sgd --mode online --exponent 1.5 --lr 0.5 --batches 1 4 16 --out online.png
  rmtdyn sgd --mode multipass --ratio 0.5 --lr 0.02 --batches 4 40 400 --n 400 --out mp.png
  rmtdyn sgd --mode online --lr 0.3 --batches 2 8 --no-simulation --json
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "sgd",
        help="SGD learning curves over batch sizes (online power-law or multi-pass)",
        description="Loss against SGD steps for several batch sizes B. 'online': linear "
        "regression on Gaussian data with covariance eigenvalues i^-exponent (i = 1..modes), "
        "fresh batch each step, exact second-moment recursion. 'multipass': linear regression "
        "with P = --n fixed samples (ratio N/P), batches drawn without replacement, "
        "DMFT with minibatch indicators (test error |w - beta*|^2/N). Lines: theory; markers: "
        "simulated SGD averaged over --seeds runs.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("online", "multipass"), default="online",
                        help="online (fresh data) or multipass (P fixed samples) (default: online)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 16],
                        help="batch sizes B to sweep (default: 1 4 16)")
    parser.add_argument("--lr", type=float, default=0.3,
                        help="learning rate eta (default: 0.3); too large raises an error that "
                        "states the stability bound")
    parser.add_argument("--noise", type=float, default=0.1,
                        help="label-noise standard deviation sigma (default: 0.1)")
    parser.add_argument("--exponent", type=float, default=1.5,
                        help="online: power-law exponent a of the eigenvalues i^-a (default: 1.5)")
    parser.add_argument("--modes", type=int, default=100,
                        help="online: number of eigenmodes (default: 100)")
    parser.add_argument("--ratio", type=float, default=0.5,
                        help="multipass: N/P, dimension over samples (default: 0.5)")
    parser.add_argument("--steps", type=int, default=1000,
                        help="last step of the grid (default: 1000)")
    parser.add_argument("--seeds", type=int, default=200,
                        help="simulated runs per batch size (online: replicas, default 200; "
                        "multipass uses seeds/25, at least 2)")
    parser.add_argument("--no-simulation", action="store_true",
                        help="theory only (no simulation markers)")
    add_common_options(parser, n_default=400)
    parser.set_defaults(func=run)


def run(args) -> int:
    from rmtdyn.learning.sgd import MultiPassSGD, OnlineSGD, power_law_spectrum

    check_out(args.out)
    if args.steps < 1:
        raise ValueError(f"--steps must be >= 1, got {args.steps}")
    theory_steps = np.unique(np.round(np.geomspace(1, args.steps, 120)).astype(int))
    theory_steps = np.concatenate(([0], theory_steps))
    sim_steps = np.unique(np.round(np.geomspace(1, args.steps, 10)).astype(int))
    sim_steps = np.concatenate(([0], sim_steps))
    if args.mode == "online":
        spectrum = power_law_spectrum(args.modes, args.exponent)

        def make(b):
            return OnlineSGD(spectrum, lr=args.lr, batch=b, noise=args.noise)
        key = "test"
    else:
        def make(b):
            return MultiPassSGD(args.ratio, lr=args.lr, batch=b, samples=args.n, noise=args.noise)
        key = "test"
    models = {int(b): make(int(b)) for b in args.batches}
    theory = {b: m.curves(theory_steps) for b, m in models.items()}
    simulation = None
    if not args.no_simulation:
        from rmtdyn.simulate.sgd import simulate_multipass_sgd, simulate_online_sgd

        if args.mode == "online":
            simulation = {b: simulate_online_sgd(m, sim_steps, replicas=max(2, args.seeds),
                                                 rng=args.seed) for b, m in models.items()}
        else:
            simulation = {b: simulate_multipass_sgd(m, sim_steps, seeds=max(2, args.seeds // 25),
                                                    rng=args.seed) for b, m in models.items()}
    if args.json:
        emit_json({"mode": args.mode,
                   "theory": {str(b): c.to_dict() for b, c in theory.items()},
                   "simulation": None if simulation is None else
                   {str(b): c.to_dict() for b, c in simulation.items()}})
    if args.out:
        use_agg()
        from rmtdyn.plotting.learning import plot_sgd_sweep

        ax = plot_sgd_sweep(theory, simulation, key=key)
        ax.set_title(f"{args.mode} SGD, lr = {args.lr:g}, sigma = {args.noise:g}",
                     fontsize="medium")
        save_figure(ax.figure, args.out)
    if not args.json and not args.out:
        for b, c in theory.items():
            print(f"B = {b}: {key} at step {int(c.t[-1])} = {c[key][-1]:.6g}")
    return 0
