"""The ``rmtdyn`` command line: a thin layer over the public API.

Each subcommand lives in its own module of ``rmtdyn.cli`` and exposes
``add_parser(subparsers)``, which registers the subcommand and sets its handler
as ``func``. Every subcommand shares the options of ``rmtdyn.cli.common``:
``--out`` (PNG/SVG/PDF by extension), ``--json``, ``--seed`` and ``--n``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Subcommand modules, in the order ``--help`` lists them.
SUBCOMMANDS = [
    "rmtdyn.cli.demo",
    "rmtdyn.cli.spectrum",
    "rmtdyn.cli.response",
    "rmtdyn.cli.losses",
    "rmtdyn.cli.rf",
    "rmtdyn.cli.sgd",
    "rmtdyn.cli.compare",
    "rmtdyn.cli.dln",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rmtdyn",
        description="Random-matrix resolvents and the dynamics they drive: spectra, response "
        "functions and learning curves, theory against finite-N simulation.",
        epilog="Run `rmtdyn COMMAND --help` for the options and examples of each command.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in SUBCOMMANDS:
        importlib.import_module(name).add_parser(sub)
    return parser


def _version() -> str:
    from rmtdyn import __version__

    return f"rmtdyn {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError) as exc:
        parser.exit(2, f"rmtdyn {args.command}: error: {exc}\n")
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
