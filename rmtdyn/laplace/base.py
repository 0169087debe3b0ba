"""Shared pieces of the Laplace-inversion methods.

Every method in ``rmtdyn.laplace`` is a function with the signature

    method(F, t, *, error=False, **options) -> (values, errors_or_None)

where ``F`` is a callable on complex ndarrays (any shape, same shape out), ``t``
is a 1-D float array of strictly positive times (``invert_laplace`` takes care
of ``t = 0`` and of reshaping), ``values`` is f(t) and ``errors`` an estimate
of ``|computed - exact|`` (absolute) when ``error`` is true.

The transform convention is ``F(s) = int_0^inf f(t) e^{-st} dt`` and ``f`` is
real: ``F(conj s) = conj F(s)``, which every method uses to halve its work.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check

EPS = np.finfo(float).eps


class LaplaceAccuracyWarning(RuntimeWarning):
    """A Laplace inversion was asked for outside the class of transforms its method handles."""


def evaluate(F: Callable, s: np.ndarray) -> np.ndarray:
    """``F(s)`` as a complex array of ``s``'s shape.

    ``ValueError`` when F returns a wrong shape or non-finite values."""
    try:
        values = F(s)
    except TypeError as exc:
        raise TypeError(
            "F must accept a complex ndarray of any shape and return an array of the same shape"
        ) from exc
    values = np.asarray(values)
    if values.shape != s.shape:
        # A scalar-valued F (e.g. lambda s: 1.0) is broadcast; anything else is an error.
        if values.ndim == 0:
            values = np.broadcast_to(values, s.shape)
        else:
            raise ValueError(
                f"F returned an array of shape {values.shape} for s of shape {s.shape}; "
                "F must be elementwise (same shape out as in)"
            )
    values = values.astype(complex)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(
            f"F returned non-finite values at s = {s[bad].ravel()[:3]} (F must be analytic "
            "and finite on the inversion contour; check the shift/support options)"
        )
    return values


def check_real_symmetric(F: Callable) -> None:
    """Probe ``F`` on a small array: elementwise shape and ``F(conj s) = conj F(s)`` (real f)."""
    s = np.array([[1.3 + 0.7j, 2.1 + 3.9j, 0.4 + 11.0j], [5.0 + 0.2j, 17.0 + 1.0j, 0.9 + 0.05j]])
    upper = evaluate(F, s)
    lower = evaluate(F, np.conj(s))
    scale = np.abs(upper) + np.abs(lower) + 1e-300
    if np.any(np.abs(lower - np.conj(upper)) > 1e-8 * scale):
        raise ValueError(
            "F must satisfy F(conj(s)) = conj(F(s)) (the transform of a real function f); "
            "invert the real and imaginary parts of a complex f separately"
        )


def initial_value(F: Callable, shift: float) -> tuple[float, float]:
    """``f(0+) = lim_{s -> +inf} s F(s)`` (initial-value theorem) with an error estimate.

    Evaluated at ``s = S`` and ``s = 100 S`` on the real axis, ``S = 1e10 (1 + |shift|)``;
    the estimate is the difference (large when ``f(0+)`` is infinite, e.g. ``F = 1/sqrt(s)``).
    """
    big = 1e10 * (1.0 + abs(shift))
    s = np.array([big, 100.0 * big], dtype=complex)
    v = (s * evaluate(F, s)).real
    return float(v[1]), float(abs(v[1] - v[0]) + 1e3 * EPS * abs(v[1]))


def check_options(method: str, options: dict, allowed: tuple[str, ...]) -> None:
    """``TypeError`` naming unknown keyword options of a method."""
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise TypeError(
            f"method {method!r} got unknown option(s) {unknown}; allowed: {sorted(allowed)}"
        )


def shift_option(value) -> float:
    """The abscissa ``shift``: every singularity of F has real part <= shift."""
    return check.real_number("shift", value)
