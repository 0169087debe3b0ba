r"""Printable summaries of a spectrum's symbolic description (for teaching).

``describe(spec)`` collects what the symbolic layer knows about a law: its
equation ``P(g, z) = 0``, the R-transform (``g(R(w) + 1/w) = w``), Voiculescu's
S-transform, the R- and S-curves derived from P, the first moments from the
series at infinity, the candidate support edges and the closed-form density
(quadratic equations only), each as a sympy object and as LaTeX
(``sympy.latex``). ``render(spec)`` formats the same as plain text. Nothing is
typeset or drawn here; a missing item (a law with no closed-form S-transform,
a non-algebraic law) is ``None``.
"""

from __future__ import annotations

import sympy as sp

from rmtdyn.symbolic.series import moments_from_equation
from rmtdyn.symbolic.support import density_closed_form, support_edges_from_equation
from rmtdyn.symbolic.transforms import r_transform_equation, s_transform_equation

__all__ = ["describe", "describe_spectrum", "render"]


def _try(fn):
    try:
        return fn()
    except (NotImplementedError, ValueError, TypeError, ZeroDivisionError):
        return None


def describe(spectrum, n_moments: int = 4) -> dict:
    """Symbolic summary of ``spectrum`` as a dict.

    Keys: ``name``, ``equation`` (``P(g, z)`` as an expression, ``= 0``),
    ``r_transform``, ``s_transform`` (expressions in w), ``r_curve``, ``s_curve``
    (``L(r, w)``, ``L(s, w)`` derived from P), ``moments`` (``m_0..m_n``),
    ``support_edges`` (floats), ``density`` (``rho(x)`` or None) and ``latex``
    (a dict with the LaTeX string of each of these).
    """
    P = _try(spectrum.equation)
    info = {
        "name": repr(spectrum),
        "equation": P.as_expr() if P is not None else None,
        "r_transform": _try(spectrum.r_transform),
        "s_transform": _try(spectrum.s_transform),
        "r_curve": None,
        "s_curve": None,
        "moments": None,
        "support_edges": None,
        "density": None,
    }
    if P is not None:
        info["r_curve"] = _try(lambda: r_transform_equation(P).as_expr())
        info["s_curve"] = _try(lambda: s_transform_equation(P).as_expr())
        info["moments"] = _try(lambda: moments_from_equation(P, n_moments))
        info["support_edges"] = _try(lambda: support_edges_from_equation(P))
        info["density"] = _try(lambda: density_closed_form(P))
    latex = {}
    for key in ("equation", "r_transform", "s_transform", "r_curve", "s_curve", "density"):
        if info[key] is not None:
            latex[key] = sp.latex(info[key])
    if info["moments"] is not None:
        latex["moments"] = ", ".join(sp.latex(m) for m in info["moments"])
    info["latex"] = latex
    return info


_LABELS = (
    ("equation", "P(g, z) = 0 with P ="),
    ("r_transform", "R(w) ="),
    ("s_transform", "S(w) ="),
    ("r_curve", "R-curve L(r, w) ="),
    ("s_curve", "S-curve L(s, w) ="),
    ("moments", "moments m_0.. ="),
    ("support_edges", "edge candidates ="),
    ("density", "rho(x) ="),
)


def render(spectrum, latex: bool = False, n_moments: int = 4) -> str:
    """Multi-line text of ``describe(spectrum)``; ``latex=True`` prints LaTeX strings instead."""
    info = describe(spectrum, n_moments)
    lines = [info["name"]]
    for key, label in _LABELS:
        value = info[key]
        if value is None:
            continue
        if latex and key in info["latex"]:
            text = info["latex"][key]
        elif key == "support_edges":
            text = ", ".join(f"{e:.15g}" for e in value)
        elif key == "moments":
            text = ", ".join(str(m) for m in value)
        else:
            text = sp.sstr(value)
        lines.append(f"  {label} {text}")
    return "\n".join(lines)


describe_spectrum = describe
"""Alias of ``describe`` exported as ``rmtdyn.describe_spectrum``."""
