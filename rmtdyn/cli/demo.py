"""``rmtdyn demo``: the headline figure in a few seconds.

Gradient flow of a random-feature model is driven by the non-Hermitian matrix
``A = F Sigma_hat`` (a product of two Wisharts). Its test loss can be
non-monotone in time with no label noise at all, while the Hermitian matrix
with exactly the same eigenvalues gives a monotone loss. The demo draws both
theory curves with finite-N simulation markers and the eigenvalues beside
them; it is ``rmtdyn compare --model random-features`` with fixed settings.
"""

from __future__ import annotations

import argparse

from rmtdyn.cli.common import add_common_options

EPILOG = """examples:
  rmtdyn demo                      # writes demo.png
  rmtdyn demo --out demo.svg --n 600 --seed 3
  rmtdyn demo --json > demo.json
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="headline figure: non-Hermitian vs Hermitian loss curves, theory and simulation",
        description=__doc__.split("\n\n", 1)[1].strip(),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ratios", type=float, nargs=2, default=(3.0, 0.5),
                        metavar=("D_OVER_N", "D_OVER_P"),
                        help="D/N (= 1/nu) and D/P (= 1/alpha) of the random-feature model "
                        "(default: 3 0.5, a non-monotone case)")
    add_common_options(parser, n_default=400, out_default="demo.png")
    parser.set_defaults(func=run)


def run(args) -> int:
    from rmtdyn.cli import compare

    options = argparse.Namespace(
        model="random-features", ratios=tuple(args.ratios), tau=0.0, variance=1.0,
        tmax=6.0, points=300, markers=13, seeds=2, no_simulation=False,
        out=None if args.json and args.out == "demo.png" else args.out,
        json=args.json, seed=args.seed, n=args.n)
    return compare.run(options)
