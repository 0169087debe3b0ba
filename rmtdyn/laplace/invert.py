r"""``invert_laplace``: one function in front of several inversion methods.

The Laplace transform is ``F(s) = int_0^inf f(t) e^{-st} dt`` and its inverse the
Bromwich integral ``f(t) = (1/2 pi i) int_{c - i inf}^{c + i inf} e^{st} F(s) ds``
(``c`` right of every singularity of F). Each method deforms or discretises that
line differently and so suits a different class of F (docs/laplace.md):

========== ================================================ ===============================
method     F it suits                                         cost per t (F evaluations)
========== ================================================ ===============================
talbot     singularities on/near the half-line (-inf, shift]  22 (+18 for the error estimate)
hyperbola  as talbot (no probe), optimised contour            16 (+12 for the error estimate)
dehoog     any singularities left of Re s = shift, incl.      41
           near the imaginary axis (oscillatory f, t w <~ 15)
contour    F(s) = int rho(l)/(s + l) dl, rho on [a, b]         64 to ~2000 (grows with t (b-a))
auto       picks one of the above (rule below)
========== ================================================ ===============================

**The "auto" rule.** (1) ``support=`` given: ``contour``. (2) ``oscillatory=True``:
``dehoog``. (3) Otherwise F is probed on circles around ``shift``
(``rmtdyn.laplace.probe``): nothing off the half-line ``(-inf, shift]``:
``talbot``; only simple poles: ``talbot`` on F minus those poles, plus their
exact ``r e^{pt}``; anything else: if it reaches right of ``shift`` (e.g. the
cut ``(0, 2]`` of the unshifted semicircle with the default shift 0) the shift
is raised past it (an upper bound found by bisection on the real axis, with a
``LaplaceAccuracyWarning``) and the rule is applied again; otherwise (off-axis
branch points) ``dehoog``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.laplace.base import (
    LaplaceAccuracyWarning,
    check_options,
    check_real_symmetric,
    initial_value,
    shift_option,
)

METHODS = ("auto", "talbot", "hyperbola", "dehoog", "contour")


def _method_function(name: str):
    if name == "talbot":
        from rmtdyn.laplace.talbot import OPTIONS, talbot

        return talbot, OPTIONS
    if name == "dehoog":
        from rmtdyn.laplace.dehoog import OPTIONS, dehoog

        return dehoog, OPTIONS
    if name == "hyperbola":
        from rmtdyn.laplace.hyperbola import OPTIONS, hyperbola

        return hyperbola, OPTIONS
    from rmtdyn.laplace.contour import OPTIONS, contour

    return contour, OPTIONS


def choose_method(F: Callable, t, _raised: bool = False, **options) -> tuple[str, dict]:
    """The method (and options) ``method="auto"`` uses for ``F`` at times ``t``.

    Returns ``(name, options)``; see the module docstring for the rule. The
    returned options may contain a raised ``shift`` (with a warning) when F has
    singularities right of the given one.
    """
    options = dict(options)
    oscillatory = options.pop("oscillatory", False)
    if not isinstance(oscillatory, bool):
        raise TypeError("oscillatory must be True or False")
    if options.get("support") is not None:
        return "contour", options
    if oscillatory:
        return "dehoog", options
    t = check.times("t", t).ravel()
    positive = t[t > 0]
    if positive.size == 0:
        return "talbot", options
    from rmtdyn.laplace.probe import find_suspects, remove_poles, rightmost_singularity

    shift = shift_option(options.get("shift", 0.0))
    t_min, t_max = positive.min(), positive.max()
    reduced, poles, _ = remove_poles(F, shift, t_min, t_max)
    if reduced is not None and poles is None:
        return "talbot", {**options, "probe": False}
    if reduced is not None:
        return "talbot", {**options, "probe": False, "poles": True}
    # Not (only) poles. Singularities right of the shift (a cut on (0, 2] for the
    # unshifted semicircle) break every method: raise the shift past them and decide again.
    edge = rightmost_singularity(F, find_suspects(F, shift, t_min, t_max), shift, t_min, t_max)
    if edge > shift + 1e-12 * (1.0 + abs(shift)) and not _raised:
        warnings.warn(
            f"invert_laplace: F has singularities right of shift={shift:g} (up to Re s ~ "
            f"{edge:.6g}); using shift={edge:.6g}. Pass the exact rightmost singularity as "
            "shift for the best relative accuracy.",
            LaplaceAccuracyWarning,
            stacklevel=3,
        )
        return choose_method(F, t, _raised=True, **{**options, "shift": edge})
    return "dehoog", options


def invert_laplace(F: Callable, t, method: str = "auto", *, error: bool = False, **options):
    r"""Inverse Laplace transform: ``f(t)`` from ``F(s) = int_0^inf f(t) e^{-st} dt``.

    Parameters
    ----------
    F : callable
        ``F(s)`` for a complex ndarray ``s`` of any shape, returning an array of
        the same shape; ``F(conj s) = conj F(s)`` (f real).
    t : array_like
        Times ``t >= 0``, any shape. ``f(0)`` is ``lim_{s->inf} s F(s)`` (initial-value
        theorem) except for ``contour``, whose loop integral gives it directly.
    method : {"auto", "talbot", "hyperbola", "dehoog", "contour"}
        See the module docstring of ``rmtdyn.laplace.invert`` and docs/laplace.md.
    error : bool
        Also return an estimate of ``|computed - exact|`` (absolute) per time.
    **options
        ``shift`` (talbot, hyperbola, dehoog, auto): every singularity of F has
        real part <= shift (default 0); pass the rightmost singularity, e.g.
        ``-a`` for ``1/(s + a)``, to keep relative accuracy where f is
        exponentially small. ``support=(a, b)`` (contour, auto): F is the
        transform of a law on [a, b]. ``oscillatory`` (auto). Method-specific:
        ``nodes``, ``probe``, ``poles`` (talbot); ``nodes`` (hyperbola);
        ``order``, ``scale``, ``tol``, ``probe`` (dehoog); ``amplification`` (contour).

    Returns
    -------
    f : ndarray of t's shape, or ``(f, err)`` when ``error`` is true.

    Raises
    ------
    TypeError for a non-callable F or unknown options; ValueError for negative
    t, an unknown method or an F that is not elementwise.

    Examples
    --------
    >>> import numpy as np, rmtdyn as rd
    >>> rd.invert_laplace(lambda s: 1 / (s + 1), [0.5, 2.0], shift=-1.0)  # e^{-t}
    array([0.60653066, 0.13533528])
    """
    if not callable(F):
        raise TypeError(f"F must be callable (F(s) on complex arrays), got {type(F).__name__}")
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    if not isinstance(error, bool):
        raise TypeError("error must be True or False")
    t = check.times("t", t)
    check_real_symmetric(F)
    if method == "auto":
        check_options("auto", options, ("shift", "support", "oscillatory", "nodes", "order",
                                        "scale", "tol", "amplification"))
        method, options = choose_method(F, t, **options)
        # drop the options that do not apply to the chosen method
        _, allowed = _method_function(method)
        options = {k: v for k, v in options.items() if k in allowed}
    function, allowed = _method_function(method)
    check_options(method, options, allowed)
    flat = t.ravel()
    values = np.empty(flat.shape)
    errors = np.zeros(flat.shape)
    zero = flat == 0
    direct = ~zero if method != "contour" else np.ones(flat.shape, dtype=bool)
    if direct.any():
        v, e = function(F, flat[direct], error=error, **options)
        values[direct] = v
        if error:
            errors[direct] = e
    if (zero & ~direct).any():
        v0, e0 = initial_value(F, shift_option(options.get("shift", 0.0)))
        values[zero] = v0
        errors[zero] = e0
    values = values.reshape(t.shape)
    if error:
        return values, errors.reshape(t.shape)
    return values
