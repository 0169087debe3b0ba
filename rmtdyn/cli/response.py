"""``rmtdyn response``: response function R(t) of a Wigner or Wishart LTI system."""

from __future__ import annotations

import argparse

import numpy as np

from rmtdyn.cli.common import add_common_options, check_out, emit_json, save_figure, use_agg

EPILOG = """examples:
  rmtdyn response --ensemble wigner --shift 2 --out wigner.png
  rmtdyn response --ensemble wishart --ratio 0.5 --out wishart.png
  rmtdyn response --ensemble wigner --shift 2.5 --noise 0.5 --json
"""


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "response",
        help="response R(t) (and correlation C(t,t)) of d theta/dt = -A theta + xi",
        description="The response R(t) = (1/N) tr exp(-tA) = int exp(-l t) drho(l) of "
        "A = scale * (Wigner or Wishart) + shift, from the limiting spectrum (lines) and from "
        "finite-N samples (markers with one-standard-error bars), on log axes. With --noise D "
        "(white noise, E xi xi' = 2D delta) the equal-time correlation C(t, t) is drawn too.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ensemble", choices=("wigner", "wishart"), default="wigner",
                        help="Wigner (semicircle) or Wishart (Marchenko-Pastur) (default: wigner)")
    parser.add_argument("--shift", type=float, default=None,
                        help="shift d in A = M + d (default: 2 for wigner, which puts the edge "
                        "at 0; 0 for wishart)")
    parser.add_argument("--ratio", type=float, default=0.5,
                        help="Wishart ratio N/P (default: 0.5; ignored for wigner)")
    parser.add_argument("--variance", type=float, default=1.0,
                        help="variance of the ensemble (default: 1)")
    parser.add_argument("--noise", type=float, default=0.0,
                        help="white-noise strength D >= 0 (default: 0)")
    parser.add_argument("--init-variance", type=float, default=1.0,
                        help="variance of theta(0) (default: 1)")
    parser.add_argument("--tmin", type=float, default=1e-2,
                        help="first time of the log-spaced grid (default: 0.01)")
    parser.add_argument("--tmax", type=float, default=100.0,
                        help="last time (default: 100)")
    parser.add_argument("--points", type=int, default=300,
                        help="number of theory times (default: 300)")
    parser.add_argument("--markers", type=int, default=20,
                        help="number of simulated times (default: 20)")
    parser.add_argument("--seeds", type=int, default=4,
                        help="number of simulation replicas (default: 4)")
    parser.add_argument("--no-simulation", action="store_true",
                        help="theory only (no finite-N markers)")
    add_common_options(parser, n_default=1000)
    parser.set_defaults(func=run)


def build_system(args):
    """The ``LTISystem`` described by the command-line options."""
    from rmtdyn.dmft.lti import LTISystem
    from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur
    from rmtdyn.spectra.wigner import Wigner

    if args.ensemble == "wigner":
        base = Wigner(args.variance)
        shift = 2.0 * np.sqrt(args.variance) if args.shift is None else args.shift
    else:
        base = MarchenkoPastur(args.ratio, args.variance)
        shift = 0.0 if args.shift is None else args.shift
    return LTISystem(base + shift, noise=args.noise, init_variance=args.init_variance)


def run(args) -> int:
    from rmtdyn.learning.curves import LossCurves

    check_out(args.out)
    if not 0 < args.tmin < args.tmax:
        raise ValueError(f"--tmin and --tmax must satisfy 0 < tmin < tmax, got "
                         f"{args.tmin}, {args.tmax}")
    if args.points < 2 or args.markers < 2:
        raise ValueError("--points and --markers must be >= 2")
    system = build_system(args)
    t = np.geomspace(args.tmin, args.tmax, args.points)
    curves = {"response": system.response(t)}
    if args.noise > 0:
        curves["correlation"] = system.correlation(t)
    params = {"spectrum": repr(system.spectrum), "noise": args.noise}
    theory = LossCurves(t=t, curves=curves, source="theory", params=params)
    simulation = None
    if not args.no_simulation:
        from rmtdyn.simulate.lti import simulate_lti

        simulation = simulate_lti(system, np.geomspace(args.tmin, args.tmax, args.markers),
                                  args.n, seeds=args.seeds, rng=args.seed)
    if args.json:
        emit_json({"theory": theory.to_dict(),
                   "simulation": None if simulation is None else simulation.to_dict()})
    if args.out:
        use_agg()
        from rmtdyn.plotting.dynamics import plot_response

        ax = plot_response(theory, simulation, names=tuple(curves))
        ax.set_title(f"A = {system.spectrum!r}", fontsize="small")
        save_figure(ax.figure, args.out)
    if not args.json and not args.out:
        for tk, rk in zip(t[:: max(1, t.size // 10)], curves["response"][:: max(1, t.size // 10)],
                          strict=True):
            print(f"t = {tk:10.4g}   R(t) = {rk:.10g}")
    return 0
