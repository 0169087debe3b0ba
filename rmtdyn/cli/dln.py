"""``rmtdyn dln``: deep-linear-network losses for several richness values and a
hidden layer's spectrum at a few times (two-time DMFT against simulation)."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, emit_json, save_figure, use_agg

EPILOG = """example:
  rmtdyn dln --depth 3 --richness 1.0 --out dln.png
  rmtdyn dln --depth 2 --richness 0.5 2.0 --alpha 3 --nu 2 --t-max 6 --json
"""


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "dln", help="deep linear network: DMFT loss curves and hidden-layer spectra",
        description="Train/test losses of a deep linear network in the feature-learning "
        "regime (two-time DMFT, lines) for the lazy limit and the given richness values, "
        "with finite-size simulation markers, and the spectrum of one hidden layer at a "
        "few times leaving its Marchenko-Pastur bulk.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depth", type=int, default=2, help="number of hidden layers L >= 1 "
                   "(default: 2)")
    p.add_argument("--richness", type=float, nargs="+", default=[1.0],
                   help="richness γ0 >= 0 values; the lazy curve γ0 = 0 is always added "
                   "(default: 1.0)")
    p.add_argument("--alpha", type=float, default=2.0, help="samples per input dimension "
                   "P/D > 0 (default: 2)")
    p.add_argument("--nu", type=float, default=1.0, help="width per input dimension N/D > 0 "
                   "(default: 1)")
    p.add_argument("--noise", type=float, default=0.0, help="label-noise standard deviation "
                   "σ >= 0 (default: 0)")
    p.add_argument("--t-max", type=float, default=4.0, help="final time (default: 4)")
    p.add_argument("--steps", type=int, default=200, help="time steps of the DMFT grid "
                   "(default: 200)")
    p.add_argument("--seeds", type=int, default=3, help="simulation seeds (default: 3)")
    p.add_argument("--layer", type=int, default=0, help="hidden layer whose spectrum is "
                   "drawn, 0..depth-1 (default: 0)")
    p.add_argument("--progress", action="store_true",
                   help="show a progress bar over the simulation's RK4 steps")
    add_common_options(p, n_default=150)
    for action in p._actions:  # --n is the input dimension D here (N = νD, P = αD)
        if action.dest == "n":
            action.help = ("input dimension D of the finite-size simulation; width N = νD, "
                           "samples P = αD (default: 150)")
    p.set_defaults(func=run)


def run(args) -> int:
    from rmtdyn.learning.deep_linear import DeepLinearNetwork
    from rmtdyn.simulate.deep_linear import simulate_deep_linear

    if args.depth < 1:
        raise ValueError(f"--depth must be >= 1, got {args.depth}")
    if not 0 <= args.layer < args.depth:
        raise ValueError(f"--layer must be in 0..{args.depth - 1}, got {args.layer}")
    if args.t_max <= 0:
        raise ValueError(f"--t-max must be > 0, got {args.t_max}")
    richness = sorted({0.0, *args.richness})
    t = np.linspace(0.0, args.t_max, args.steps + 1)
    t_sim = np.linspace(0.0, args.t_max, 9)
    spec_times = np.array([args.t_max / 4, args.t_max / 2, args.t_max])
    theory, sims = {}, {}
    for g0 in richness:
        net = DeepLinearNetwork(args.depth, args.alpha, args.nu, g0, noise=args.noise)
        theory[g0] = net.curves(t, n_steps=args.steps)
        sims[g0] = simulate_deep_linear(args.depth, args.alpha, args.nu, g0, noise=args.noise,
                                        D=args.n, t=t_sim, seeds=args.seeds, rng=args.seed,
                                        spectrum_times=spec_times if g0 == max(richness) else None,
                                        progress=args.progress)
    g_top = max(richness)
    net = DeepLinearNetwork(args.depth, args.alpha, args.nu, g_top, noise=args.noise)
    spec = net.hidden_spectrum(args.layer, spec_times, n_steps=args.steps)
    sim_top = sims[g_top]
    if args.json:
        emit_json({"theory": {str(g): c.to_dict() for g, c in theory.items()},
                   "simulation": {str(g): c.curves.to_dict() for g, c in sims.items()},
                   "spectrum": {"layer": args.layer, "richness": g_top, "t": spec_times,
                                "spike_singular_values": spec["spike_singular_values"],
                                "spike_frobenius": spec["spike_frobenius"],
                                "predicted_outliers": spec["outliers"],
                                "n_outliers": spec["n_outliers"],
                                "outlier_overlap": spec["outlier_overlap"],
                                "independent_spike_outliers": spec["outliers_independent"],
                                "bulk_edge": spec["edge"],
                                "simulated_top_eigenvalues":
                                    sim_top.eigenvalues[args.layer][:, :, :3].mean(axis=1),
                                "simulated_alignment":
                                    sim_top.alignment[args.layer].mean(axis=1)}})
    if args.out:
        use_agg()
        import matplotlib.pyplot as plt

        from rmtdyn.plotting.deep_linear import plot_hidden_spectrum, plot_richness_sweep

        fig, axes = plt.subplots(1, 3, figsize=(16, 4.4))
        plot_richness_sweep(theory, {g: s.curves for g, s in sims.items()}, "test", ax=axes[0])
        plot_richness_sweep(theory, {g: s.curves for g, s in sims.items()}, "train", ax=axes[1])
        eig = {float(tt): sim_top.eigenvalues[args.layer][i].ravel()
               for i, tt in enumerate(spec_times)}
        outl = {float(tt): spec["outliers"][i] for i, tt in enumerate(spec_times)}
        indep = {float(tt): spec["outliers_independent"][i] for i, tt in enumerate(spec_times)}
        plot_hidden_spectrum(eig, spec["bulk"], outl, ax=axes[2], independent=indep)
        axes[0].set_title(f"depth {args.depth}, α = {args.alpha:g}, ν = {args.nu:g}")
        axes[2].set_title(f"layer {args.layer}, γ0 = {g_top:g} (dashed: exact outliers, "
                          "dotted: independent-spike formula)", fontsize=9)
        save_figure(fig, args.out)
    return 0
