"""``rmtdyn spectrum``: a limiting eigenvalue law against the eigenvalues of one sampled matrix."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

ENSEMBLES = ("wigner", "wishart", "marchenko-pastur", "random-features", "free-sum",
             "free-product")

EPILOG = """examples:
  rmtdyn spectrum wishart --ratio 0.5 --n 1000 --out mp.png
  rmtdyn spectrum wishart --ratio 0.1 --population "1,10:0.5,0.5" --out two_bulks.png
  rmtdyn spectrum wigner --variance 2 --json
  rmtdyn spectrum random-features --ratio 0.5 --data-ratio 0.8 --activation tanh --out rf.png
  rmtdyn spectrum free-sum --a wigner:variance=1 --b wishart:ratio=0.5 --out sum.png
  rmtdyn spectrum free-product --a wishart:ratio=0.3 --b wishart:ratio=0.6 --out prod.png

terms of free-sum / free-product (--a, --b):
  NAME[:key=value[,key=value...]] with NAME one of wigner, wishart, random-features and keys
  variance, ratio, data-ratio, activation (e.g. "wishart:ratio=0.5,variance=2"). A term has no
  population; use `wishart --population` for that. free-product needs two laws on [0, inf).

population (--population): "EIGENVALUES:WEIGHTS", comma-separated lists of equal length,
  weights positive summing to 1, e.g. "1,3:0.5,0.5" (half the eigenvalues of Sigma are 1,
  half are 3). "EIGENVALUES" alone means equal weights.
"""

_TERM_KEYS = {"variance", "ratio", "data-ratio", "activation"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "spectrum",
        help="limiting eigenvalue density of an ensemble against a sampled histogram",
        description="Draw the limiting spectral density of a Hermitian ensemble (line, support "
        "shaded, atoms as bars with their masses) against the eigenvalue histogram of one "
        "n x n matrix drawn from the same finite-n model; --json prints the support "
        "intervals, atoms, first moments of the law and of the sample.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("ensemble", choices=ENSEMBLES, metavar="ENSEMBLE",
                        help="one of: " + ", ".join(ENSEMBLES) + " (wishart and "
                        "marchenko-pastur are the same ensemble)")
    parser.add_argument("--variance", type=float, default=1.0,
                        help="variance sigma^2 of the entries (wigner, wishart; default: 1)")
    parser.add_argument("--ratio", type=float, default=0.5,
                        help="dimension over samples N/P (wishart, random-features; "
                        "default: 0.5)")
    parser.add_argument("--population", default=None, metavar="EIGS:WEIGHTS",
                        help='spectrum of the population covariance Sigma for wishart, e.g. '
                        '"1,3:0.5,0.5" (default: Sigma = I)')
    parser.add_argument("--data-ratio", type=float, default=1.0,
                        help="input dimension over samples D/P (random-features; default: 1)")
    parser.add_argument("--activation", default=None,
                        help="activation of random-features: relu, tanh, erf (default: linear)")
    parser.add_argument("--a", dest="term_a", default="wigner", metavar="TERM",
                        help="first term of free-sum/free-product, e.g. wigner:variance=1 "
                        "(default: wigner)")
    parser.add_argument("--b", dest="term_b", default="wishart:ratio=0.5", metavar="TERM",
                        help="second term of free-sum/free-product (default: "
                        "wishart:ratio=0.5)")
    parser.add_argument("--bins", type=int, default=60,
                        help="number of histogram bins (default: 60)")
    parser.add_argument("--moments", type=int, default=4,
                        help="number of moments reported by --json (default: 4)")
    add_common_options(parser, n_default=1000)
    parser.set_defaults(func=run)


def parse_population(text: str):
    """``"1,3:0.5,0.5"`` -> ``([1.0, 3.0], [0.5, 0.5])``; ``"1,3"`` -> equal weights."""
    try:
        if ":" in text:
            eigs, weights = text.split(":", 1)
            lam = [float(v) for v in eigs.split(",")]
            w = [float(v) for v in weights.split(",")]
        else:
            lam = [float(v) for v in text.split(",")]
            w = [1.0 / len(lam)] * len(lam)
    except ValueError as exc:
        raise ValueError(f'--population must look like "1,3:0.5,0.5", got {text!r}') from exc
    if len(lam) != len(w):
        raise ValueError(f"--population needs one weight per eigenvalue, got {len(lam)} "
                         f"eigenvalues and {len(w)} weights")
    return lam, w


def parse_term(text: str) -> tuple[str, dict]:
    """``"wishart:ratio=0.5,variance=2"`` -> ``("wishart", {"ratio": 0.5, "variance": 2.0})``."""
    name, _, rest = text.partition(":")
    name = name.strip().lower()
    if name not in ("wigner", "wishart", "marchenko-pastur", "random-features"):
        raise ValueError(f"--a/--b term must start with wigner, wishart or random-features, "
                         f"got {text!r}")
    params: dict = {}
    for item in filter(None, (s.strip() for s in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq or key not in _TERM_KEYS:
            raise ValueError(f"--a/--b: bad parameter {item!r} in {text!r}; "
                             f"keys are {sorted(_TERM_KEYS)}")
        if key == "activation":
            params[key] = value.strip()
        else:
            try:
                params[key] = float(value)
            except ValueError as exc:
                raise ValueError(f"--a/--b: {key} must be a number, got {value!r}") from exc
    return name, params


def build(name: str, variance=1.0, ratio=0.5, population=None, data_ratio=1.0, activation=None):
    """The spectrum named on the command line."""
    import rmtdyn as rd

    if name == "wigner":
        return rd.Wigner(variance)
    if name in ("wishart", "marchenko-pastur"):
        return rd.MarchenkoPastur(ratio, variance, population=population)
    if name == "random-features":
        from rmtdyn.spectra.random_features import RandomFeatures  # written by another module

        return RandomFeatures(ratio, data_ratio, activation=activation)
    raise ValueError(f"unknown ensemble {name!r}")  # pragma: no cover - argparse checks


def build_term(text: str):
    name, p = parse_term(text)
    return build(name, variance=p.get("variance", 1.0), ratio=p.get("ratio", 0.5),
                 data_ratio=p.get("data-ratio", 1.0), activation=p.get("activation"))


def spectrum_from_args(args):
    """The spectrum described by the parsed options."""
    import rmtdyn as rd

    if args.ensemble in ("free-sum", "free-product"):
        a, b = build_term(args.term_a), build_term(args.term_b)
        return rd.free_sum(a, b) if args.ensemble == "free-sum" else rd.free_product(a, b)
    population = parse_population(args.population) if args.population else None
    if population is not None and args.ensemble not in ("wishart", "marchenko-pastur"):
        raise ValueError("--population applies to wishart only")
    return build(args.ensemble, variance=args.variance, ratio=args.ratio, population=population,
                 data_ratio=args.data_ratio, activation=args.activation)


def run(args) -> int:
    from rmtdyn.errors import ConvergenceError

    try:
        return _run(args)
    except ConvergenceError as exc:  # a solver failure is reported, not a traceback
        raise SystemExit(f"rmtdyn spectrum: error: {exc}") from exc


def _run(args) -> int:
    check_out(args.out)
    if args.n < 2:
        raise ValueError(f"--n must be >= 2, got {args.n}")
    if args.bins < 1 or args.moments < 0:
        raise ValueError("--bins must be >= 1 and --moments >= 0")
    spec = spectrum_from_args(args)
    rng = np.random.default_rng(args.seed)
    eigenvalues = np.linalg.eigvalsh(spec.sample(args.n, rng))
    if args.json:
        emit_json({
            "ensemble": args.ensemble,
            "spectrum": repr(spec),
            "support": [list(ab) for ab in spec.support()],
            "atoms": [list(am) for am in spec.atoms()],
            "moments": [spec.moment(k) for k in range(1, args.moments + 1)],
            "sample": {"n": args.n, "seed": args.seed,
                       "moments": [float(np.mean(eigenvalues**k))
                                   for k in range(1, args.moments + 1)],
                       "min": float(eigenvalues.min()), "max": float(eigenvalues.max())},
        })
    if args.out:
        use_agg()
        import matplotlib.pyplot as plt

        from rmtdyn.plotting.spectra import plot_density

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        plot_density(spec, eigenvalues, ax=ax, bins=args.bins)
        ax.set_title(f"{spec!r}", fontsize=8)
        save_figure(fig, args.out)
    if not args.json and not args.out:
        support = ", ".join(f"[{a:.6g}, {b:.6g}]" for a, b in spec.support())
        atoms = ", ".join(f"{m:.6g} at {x:.6g}" for x, m in spec.atoms()) or "none"
        print(f"{spec!r}\nsupport: {support or 'none'}\natoms: {atoms}\n"
              f"(use --out FILE.png to draw it, --json for numbers)")
    return 0
