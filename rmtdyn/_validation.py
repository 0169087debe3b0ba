"""Argument checks shared by every public function.

Each check names the offending parameter and the allowed range, so that bad
input fails early with a message a user can act on.
"""

from __future__ import annotations

import numbers

import numpy as np


def _real_scalar(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def positive(name: str, value) -> float:
    """Return ``value`` as a float, requiring ``value > 0``."""
    value = _real_scalar(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    return value


def nonnegative(name: str, value) -> float:
    """Return ``value`` as a float, requiring ``value >= 0``."""
    value = _real_scalar(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value


def in_range(name: str, value, low: float, high: float) -> float:
    """Return ``value`` as a float, requiring ``low <= value <= high``."""
    value = _real_scalar(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value}")
    return value


def real_number(name: str, value) -> float:
    """Return ``value`` as a finite float."""
    return _real_scalar(name, value)


def positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, requiring ``value >= minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def complex_array(name: str, value) -> np.ndarray:
    """Return ``value`` as a complex ndarray (any shape), rejecting non-numeric input."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises for odd objects
        raise TypeError(f"{name} must be numeric array-like") from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(f"{name} must be numeric array-like, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.bool_):
        raise TypeError(f"{name} must be numeric array-like, got booleans")
    arr = arr.astype(complex)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def real_array(name: str, value) -> np.ndarray:
    """Return ``value`` as a float ndarray (any shape), rejecting complex and non-numeric input."""
    arr = np.asarray(value)
    if arr.dtype == object or np.issubdtype(arr.dtype, np.bool_) or not np.issubdtype(
        arr.dtype, np.number
    ):
        raise TypeError(f"{name} must be a real numeric array-like, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        if np.any(arr.imag != 0):
            raise TypeError(f"{name} must be real, got complex values")
        arr = arr.real
    arr = arr.astype(float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def times(name: str, value) -> np.ndarray:
    """Return a float array of non-negative times."""
    arr = real_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0 (times are non-negative)")
    return arr


def rng(value) -> np.random.Generator:
    """Return a ``numpy.random.Generator``: ``None`` gives a fresh one, an int seeds one."""
    if value is None:
        return np.random.default_rng()
    if isinstance(value, np.random.Generator):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return np.random.default_rng(int(value))
    raise TypeError(f"rng must be None, an int seed or a numpy.random.Generator, got {value!r}")
