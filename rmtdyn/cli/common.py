"""Options and output helpers shared by every ``rmtdyn`` subcommand."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

FIGURE_SUFFIXES = {".png", ".svg", ".pdf"}


def add_common_options(parser: argparse.ArgumentParser, *, n_default: int = 1000,
                       out_default: str | None = None) -> None:
    """Add ``--out``, ``--json``, ``--seed`` and ``--n`` to a subcommand parser."""
    parser.add_argument("--out", default=out_default, metavar="FILE",
                        help="write the figure here; the format follows the extension "
                        "(.png, .svg or .pdf)"
                        + (f" (default: {out_default})" if out_default else ""))
    parser.add_argument("--json", action="store_true",
                        help="print the computed numbers as JSON on standard output")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the finite-N simulation (default: 0)")
    parser.add_argument("--n", type=int, default=n_default,
                        help=f"matrix size N of the finite-N simulation (default: {n_default})")


def check_out(path: str | None) -> Path | None:
    """Validate ``--out`` (suffix .png, .svg or .pdf)."""
    if path is None:
        return None
    p = Path(path)
    if p.suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"--out must end in one of {sorted(FIGURE_SUFFIXES)}, got {path!r}")
    return p


def save_figure(fig, path: str | None) -> None:
    """Save a matplotlib figure to ``path`` (format from the suffix) and close it."""
    import matplotlib.pyplot as plt

    target = check_out(path)
    if target is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(target, dpi=120, bbox_inches="tight")
        print(f"wrote {target}", file=sys.stderr)
    plt.close(fig)


def emit_json(payload: dict) -> None:
    """Print ``payload`` as JSON, turning numpy arrays and scalars into lists and floats."""

    def convert(obj):
        if isinstance(obj, np.ndarray):
            if np.iscomplexobj(obj):
                return {"real": obj.real.tolist(), "imag": obj.imag.tolist()}
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
        raise TypeError(f"cannot serialise {type(obj).__name__}")

    json.dump(payload, sys.stdout, default=convert)
    sys.stdout.write("\n")


def use_agg() -> None:
    """Select the non-interactive Agg backend (the CLI only writes files)."""
    import matplotlib

    matplotlib.use("Agg")
