"""Deep linear network in the feature-learning regime: two-time DMFT against simulation.

Left: test error |β(t) - β*|²/D of a depth-2 network (α = P/D = 2, ν = N/D = 1) for richness
γ0 = 0 (lazy: the product-Wishart random-feature flow), 1 and 2.5 (lines: the two-time DMFT;
markers: seeded simulation, mean ± SE). Feature learning speeds up the fit because the
effective kernel grows with time. Middle: the largest singular value of the spike
W_ℓ(t) - W_ℓ(0) of both hidden layers (line: DMFT, markers: simulation). Right: the
spectrum of Ŵ_0(t)ᵀŴ_0(t) of a depth-1 network at γ0 = 4: a Marchenko–Pastur bulk that
stays put plus an outlier; dashed lines are the exact outlier prediction (the spike is
built from the bulk), dotted lines the independent-spike formula, which is 0.5 too low.

    python examples/deep_linear_network.py --out deep_linear_network.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.plotting.deep_linear import plot_hidden_spectrum, plot_richness_sweep  # noqa: E402
from rmtdyn.simulate.deep_linear import simulate_deep_linear  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="deep_linear_network.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="smaller simulation (~10 s)")
    args = parser.parse_args()
    D, seeds, steps = (120, 2, 130) if args.fast else (200, 3, 150)
    depth, alpha, nu, t_max = 2, 2.0, 1.0, 3.0
    t = np.linspace(0.0, t_max, steps + 1)
    marks = np.linspace(0.0, t_max, 7)
    spec_t = np.array([1.0, 2.0, 3.0])

    theory, sims = {}, {}
    for g0 in (0.0, 1.0, 2.5):
        net = rd.DeepLinearNetwork(depth, alpha, nu, g0)
        theory[g0] = net.curves(t, n_steps=steps)
        sims[g0] = simulate_deep_linear(depth, alpha, nu, g0, D=D, t=marks, seeds=seeds, rng=1,
                                        spectrum_times=spec_t if g0 == 2.5 else None)
    rich = rd.DeepLinearNetwork(depth, alpha, nu, 2.5)

    fig, (left, mid, right) = plt.subplots(1, 3, figsize=(16, 4.4))
    plot_richness_sweep(theory, {g: s.curves for g, s in sims.items()}, "test", ax=left)
    left.set_title(f"depth {depth}, α = {alpha:g}, ν = {nu:g}")
    fine = np.linspace(0.05, t_max, 40)
    for layer in range(depth):
        sv = rich.hidden_spectrum(layer, fine, n_steps=steps,
                                  with_outliers=False)["spike_singular_values"][:, 0]
        mid.plot(fine, sv, "-", color=f"C{layer}", label=f"layer {layer} (DMFT)")
        sim_sv = sims[2.5].spike_singular_values[layer][:, :, 0]
        mid.errorbar(spec_t, sim_sv.mean(1), yerr=sim_sv.std(1) / np.sqrt(seeds), fmt="o",
                     color=f"C{layer}", label=f"layer {layer} (simulation)")
    mid.set_xlabel("time t")
    mid.set_ylabel("top singular value of (W(t) - W(0))/√N")
    mid.legend(fontsize=7)
    # the outlier: depth 1, γ0 = 4 (the spike of layer 0 is well above its threshold)
    g_out, out_t = 4.0, np.array([0.5, 1.0, 2.0])
    spec = rd.DeepLinearNetwork(1, alpha, nu, g_out).hidden_spectrum(0, out_t, n_steps=100)
    sim1 = simulate_deep_linear(1, alpha, nu, g_out, D=D, t=out_t[-1:], seeds=seeds, rng=2,
                                spectrum_times=out_t, progress=False)
    eig = {float(tt): sim1.eigenvalues[0][i].ravel() for i, tt in enumerate(out_t)}
    plot_hidden_spectrum(eig, spec["bulk"],
                         {float(tt): spec["outliers"][i] for i, tt in enumerate(out_t)},
                         ax=right, independent={float(tt): spec["outliers_independent"][i]
                                                for i, tt in enumerate(out_t)})
    right.set_title(f"depth 1, layer 0, γ0 = {g_out:g}: exact outliers (dashed) vs "
                    "independent-spike formula (dotted)", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
