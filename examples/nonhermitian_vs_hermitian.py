"""Random-feature gradient flow: the non-Hermitian test loss is non-monotone, the Hermitian
matrix with the same spectrum is not.

T = F Sigma_hat (ratios D/N = 3, D/P = 0.5, i.e. nu = 1/3 features and alpha = 2 samples per
input dimension), v(0) ~ N(0, I), no label noise. Left: test loss |v(t)|^2/D (theory: double
inverse Laplace transform of the two-point function Q; markers: finite-N simulation), the loss of
the Hermitian companion O diag(lambda) O^T (int rho e^{-2 lambda t}) and the train loss. Right:
the same for a Ginibre matrix, whose loss I0(2t) grows although every eigenvalue's response is
flat (R(t) = 1).

    python examples/nonhermitian_vs_hermitian.py [--fast] [--out nonhermitian_vs_hermitian.png]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import rmtdyn as rd  # noqa: E402
from rmtdyn.learning.monotonicity import monotonicity  # noqa: E402
from rmtdyn.plotting.nonhermitian import plot_loss_comparison  # noqa: E402
from rmtdyn.spectra.nonhermitian import empirical_isotropic_loss  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fast", action="store_true", help="smaller simulations")
    parser.add_argument("--out", default="nonhermitian_vs_hermitian.png", help="output PNG")
    args = parser.parse_args()
    n, draws = (300, 1) if args.fast else (800, 3)
    rng = np.random.default_rng(0)

    model = rd.RandomFeatureGradientFlowMatrix(3.0, 0.5)
    t = np.linspace(0.0, 8.0, 300)
    ts = np.linspace(0.0, 8.0, 17)
    theory = {"test (non-Hermitian)": model.test_loss(t),
              "Hermitian companion": model.hermitian_test_loss(t),
              "train": model.train_loss(t)}
    sim = model.simulate_losses(n, ts, rng=rng, draws=draws)
    simulation = {"test (non-Hermitian)": (sim["isotropic"], sim["isotropic_se"]),
                  "Hermitian companion": (sim["hermitian"], sim["hermitian_se"]),
                  "train": (sim["weighted"], sim["weighted_se"])}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.3))
    plot_loss_comparison(t, theory, simulation, ax=ax1, sim_t=ts)
    verdict = monotonicity(t, theory["test (non-Hermitian)"])
    for e in verdict.minima:
        ax1.axvline(e.t, color="0.5", ls=":", lw=1)
        ax1.annotate(f"minimum t = {e.t:.3f}", (e.t, e.value), xytext=(e.t + 1, e.value - 0.05),
                     fontsize="small", arrowprops={"arrowstyle": "->"})
    ax1.set_title(f"random features, D/N = 3, D/P = 0.5 (N = {n}, {draws} draws)",
                  fontsize="small")

    gin = rd.Ginibre(1.0)
    tg = np.linspace(0.0, 2.0, 200)
    tgs = np.linspace(0.0, 2.0, 11)
    runs = np.array([empirical_isotropic_loss(gin.sample(n, rng), tgs) for _ in range(draws)])
    se = runs.std(0, ddof=1) / np.sqrt(draws) if draws > 1 else None
    plot_loss_comparison(tg, {"Ginibre |e^{-tA}θ|²/N = I0(2t)": gin.isotropic_loss(tg),
                              "response (1/N) tr e^{-tA} = 1": gin.response(tg)},
                         {"Ginibre |e^{-tA}θ|²/N = I0(2t)": (runs.mean(0), se)}, ax=ax2,
                         sim_t=tgs)
    ax2.set_title("Ginibre: transient growth with a flat response", fontsize="small")
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    print(f"wrote {args.out}; test loss {'monotone' if verdict.monotone else 'non-monotone'}, "
          f"minima at {[round(e.t, 4) for e in verdict.minima]}")


if __name__ == "__main__":
    main()
