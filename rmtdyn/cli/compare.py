"""``rmtdyn compare``: non-Hermitian vs Hermitian loss curves, theory and simulation."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

EPILOG = """examples:
  rmtdyn compare --model random-features --ratios 3 0.5 --out compare.png
  rmtdyn compare --model random-features --ratios 0.5 0.8 --tmax 20 --json
  rmtdyn compare --model elliptic --tau 0.5 --tmax 1.5 --out elliptic.png
  rmtdyn compare --model ginibre --n 400 --out ginibre.png
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="loss of a non-Hermitian flow vs the Hermitian matrix with the same spectrum",
        description="The isotropic loss L(t) = (1/N)|exp(-tA) theta0|^2 of a non-Hermitian "
        "ensemble (theory: double inverse Laplace transform of the two-point function; markers: "
        "finite-N simulation) next to the loss of the Hermitian companion O diag(lambda) O^T "
        "(for real spectra), with the sampled eigenvalue cloud beside them. For random features "
        "(A = F Sigma_hat, ratios D/N and D/P) the train loss is drawn too. The monotonicity "
        "of each theory curve is reported.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=("random-features", "product-wishart", "ginibre",
                                            "elliptic"), default="random-features",
                        help="ensemble (default: random-features, i.e. ProductWishart(D/N, D/P))")
    parser.add_argument("--ratios", type=float, nargs=2, default=(3.0, 0.5),
                        metavar=("R1", "R2"),
                        help="the two ratios: D/N (= 1/nu) and D/P (= 1/alpha) for "
                        "random-features, N/P1 and N/P2 for product-wishart (default: 3 0.5)")
    parser.add_argument("--tau", type=float, default=0.5,
                        help="elliptic correlation tau in [-1, 1] (default: 0.5)")
    parser.add_argument("--variance", type=float, default=1.0,
                        help="entry variance sigma^2 for ginibre/elliptic (default: 1)")
    parser.add_argument("--tmax", type=float, default=None,
                        help="last time (default: 10 for products, 1.5 for ginibre/elliptic)")
    parser.add_argument("--points", type=int, default=400,
                        help="number of theory times (default: 400)")
    parser.add_argument("--markers", type=int, default=16,
                        help="number of simulated times (default: 16)")
    parser.add_argument("--seeds", type=int, default=2,
                        help="number of simulation draws (default: 2)")
    parser.add_argument("--no-simulation", action="store_true",
                        help="theory only (no finite-N markers; the cloud still uses one draw)")
    add_common_options(parser, n_default=500)
    parser.set_defaults(func=run)


def build_model(args):
    """The ensemble described by the options."""
    from rmtdyn.spectra.nonhermitian import (
        Elliptic,
        Ginibre,
        ProductWishart,
        RandomFeatureGradientFlowMatrix,
    )

    if args.model == "random-features":
        return RandomFeatureGradientFlowMatrix(*args.ratios)
    if args.model == "product-wishart":
        return ProductWishart(*args.ratios)
    if args.model == "ginibre":
        return Ginibre(args.variance)
    return Elliptic(args.tau, args.variance)


def run(args) -> int:
    from rmtdyn.learning.monotonicity import monotonicity
    from rmtdyn.spectra.nonhermitian import empirical_isotropic_loss

    check_out(args.out)
    if args.points < 3 or args.markers < 2 or args.seeds < 1 or args.n < 2:
        raise ValueError("--points must be >= 3, --markers >= 2, --seeds >= 1, --n >= 2")
    model = build_model(args)
    real = getattr(model, "real_spectrum", False)
    tmax = args.tmax if args.tmax is not None else (10.0 if real else 1.5)
    if tmax <= 0:
        raise ValueError(f"--tmax must be > 0, got {tmax}")
    t = np.linspace(0.0, tmax, args.points)
    ts = np.linspace(0.0, tmax, args.markers)
    theory = {"non-Hermitian": model.isotropic_loss(t)}
    simulation = {}
    rng = np.random.default_rng(args.seed)
    if real:
        theory["Hermitian companion"] = model.isotropic_loss_hermitian(t)
        if args.model == "random-features":
            theory["train (non-Hermitian)"] = model.train_loss(t)
        sim = model.simulate_losses(args.n, ts, rng=rng, draws=args.seeds)
        eig = sim["eigenvalues"]
        if not args.no_simulation:
            simulation["non-Hermitian"] = (sim["isotropic"], sim["isotropic_se"])
            simulation["Hermitian companion"] = (sim["hermitian"], sim["hermitian_se"])
            if args.model == "random-features":
                simulation["train (non-Hermitian)"] = (sim["weighted"], sim["weighted_se"])
    else:
        runs = []
        for _ in range(1 if args.no_simulation else args.seeds):
            a = model.sample(args.n, rng)
            runs.append(empirical_isotropic_loss(a, ts))
        eig = np.linalg.eigvals(a)
        if not args.no_simulation:
            runs = np.array(runs)
            se = runs.std(0, ddof=1) / np.sqrt(len(runs)) if len(runs) > 1 else None
            simulation["non-Hermitian"] = (runs.mean(0), se)
    verdicts = {name: monotonicity(t, values) for name, values in theory.items()}
    if args.json:
        emit_json({"model": repr(model), "t": t, "theory": theory,
                   "simulation_t": ts,
                   "simulation": {k: {"mean": m, "se": s} for k, (m, s) in simulation.items()},
                   "monotone": {k: v.monotone for k, v in verdicts.items()},
                   "extrema": {k: [(e.kind, e.t, e.value) for e in v.extrema]
                               for k, v in verdicts.items()}})
    if args.out:
        use_agg()
        import matplotlib.pyplot as plt

        from rmtdyn.plotting.nonhermitian import plot_eigenvalue_cloud, plot_loss_comparison

        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
        plot_loss_comparison(t, theory, simulation or None, ax=ax1, sim_t=ts)
        for e in verdicts["non-Hermitian"].minima:
            ax1.axvline(e.t, color="0.5", ls=":", lw=1)
        ax1.set_title(f"{model!r}", fontsize="small")
        if real:
            top = model.support()[-1][1]
            x = np.linspace(1e-6, top, 600)
            plot_eigenvalue_cloud(eig, ax=ax2, density=(x, model.density(x)))
        else:
            plot_eigenvalue_cloud(eig, model.support_boundary(), ax=ax2)
        ax2.set_title(f"eigenvalues, N = {args.n}", fontsize="small")
        save_figure(fig, args.out)
    if not args.json:
        for name, v in verdicts.items():
            where = ", ".join(f"{e.kind} at t = {e.t:.4g} (L = {e.value:.6g})" for e in v.extrema)
            print(f"{name}: {'monotone ' + v.direction if v.monotone else 'NON-MONOTONE'}"
                  + (f"; {where}" if where else ""))
    return 0
