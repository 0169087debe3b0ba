"""Random-feature gradient flow: learning curves and the bias-variance decomposition.

Lines are the theory of ``rmtdyn.RandomFeatureFlow`` (double inverse Laplace transform of
the product-Wishart two-point function); markers are finite-size simulations: a single
learner, an ensemble over feature draws sharing the data, bagging over datasets sharing the
features, and independent learners (the bias). Left: train/test; right: bias, the infinite
ensembles and the ANOVA variances. Ensembling over features removes only the feature and
interaction variances; the data variance stays (docs/random_features.md).

    python examples/random_feature_bias_variance.py --out rf_bias_variance.png [--fast]
"""

from __future__ import annotations

import argparse

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from rmtdyn.learning.random_features import RandomFeatureFlow  # noqa: E402
from rmtdyn.plotting.learning import plot_rf_learning  # noqa: E402
from rmtdyn.simulate.random_features import (  # noqa: E402
    simulate_random_features,
    simulate_rf_ensemble,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="rf_bias_variance.png", help="output PNG")
    parser.add_argument("--fast", action="store_true", help="smaller simulations (~10 s)")
    args = parser.parse_args()

    model = RandomFeatureFlow(alpha=1.5, nu=0.8, noise=0.3)
    t = np.geomspace(1e-2, 1e3, 300)
    theory = model.curves(t)
    decomposition = model.bias_variance_curves(t)
    d, members, groups = (120, 8, 2) if args.fast else (250, 20, 3)
    tm = np.geomspace(1e-2, 1e3, 8)
    simulation = simulate_random_features(model, tm, d=d, seeds=groups, rng=0)
    ensembles = {key: simulate_rf_ensemble(model, tm, members=members, share=share, d=d,
                                           groups=groups, rng=1)
                 for key, share in (("ensemble_features", "data"),
                                    ("ensemble_data", "features"), ("bias", "none"))}
    fig = plot_rf_learning(theory, decomposition, simulation, ensembles)
    fig.suptitle(f"random features, alpha = {model.alpha:g}, nu = {model.nu:g}, "
                 f"sigma = {model.noise:g} (markers: D = {d}, {members} members)",
                 fontsize="medium")
    fig.savefig(args.out, dpi=110, bbox_inches="tight")
    lim = model.limit()
    print(f"wrote {args.out}; t -> inf: test {lim['test']:.4f}, ensemble over features "
          f"{lim['ensemble_features']:.4f}, bagging {lim['ensemble_data']:.4f}, "
          f"bias {lim['bias']:.4f}")


if __name__ == "__main__":
    main()
