r"""Gaussian-equivalence coefficients of an activation, by Gauss-Hermite quadrature.

For ``z ~ N(0, 1)`` and an activation ``f`` the nonlinear random-feature spectrum depends
on ``f`` only through

* ``mu0 = E f(z)`` (the mean: a rank-one outlier, reported apart from the bulk),
* ``eta = E f(z)^2 - mu0^2`` (the variance of the *centred* activation; Pennington-Worah's
  ``eta`` for the centred ``f``),
* ``zeta = (E f'(z))^2 = (E z f(z))^2`` (Gaussian integration by parts: ``E f' = E z f``,
  so no derivative of a user's callable is needed),
* ``kappa2 = E (z^2 - 1) f(z) = E f''(z)`` (used for the ``O(1)`` shift of the outlier).

Quadrature: the half-range Gauss-Hermite rule (Gauss rule for the weight ``e^{-z^2/2}`` on
``[0, inf)``), applied to each half line ``z > 0`` and ``z < 0``. It is exact for
polynomials on each half line, so kinks at 0 (ReLU, leaky ReLU, |z|) cost no accuracy, and
it converges geometrically for analytic activations (tanh, erf). The rule is built once by
the Chebyshev algorithm from the moments ``int_0^inf z^k e^{-z^2/2} dz = 2^{(k-1)/2}
Gamma((k+1)/2)`` in 120-digit mpmath arithmetic, then Golub-Welsch (eigenvalues of the
Jacobi matrix) in double precision.

High precision (``high_precision_coefficients``, used by ``stieltjes(z, dps=...)``): ``eta``
and ``zeta`` in closed form for ReLU (``1/2 - 1/(2 pi)``, ``1/4``) and erf
(``(2/pi) asin(2/3)``, ``4/(3 pi)``, from ``E erf(z)^2 = (2/pi) asin(2/3)`` and
``E erf'(z) = 2/sqrt(3 pi)``); for tanh and for callables that accept and return mpmath
numbers, by mpmath's tanh-sinh quadrature on each half line at ``dps + 20`` digits.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special
from scipy.linalg import eigh_tridiagonal

__all__ = ["ActivationCoefficients", "activation_function", "gaussian_coefficients",
           "gaussian_expectation", "half_range_hermite_rule", "high_precision_coefficients"]

_SQRT_2PI = math.sqrt(2.0 * math.pi)


@lru_cache(maxsize=4)
def half_range_hermite_rule(n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """Nodes, weights: ``int_0^inf f(z) e^{-z^2/2} dz ~= sum w_k f(x_k)`` (degree 2n-1 exact)."""
    import mpmath

    with mpmath.workdps(120):
        mom = [mpmath.power(2, mpmath.mpf(k - 1) / 2) * mpmath.gamma(mpmath.mpf(k + 1) / 2)
               for k in range(2 * n)]
        alpha, beta = [mpmath.mpf(0)] * n, [mpmath.mpf(0)] * n
        sig_prev = [mpmath.mpf(0)] * (2 * n)
        sig = list(mom)
        alpha[0], beta[0] = mom[1] / mom[0], mom[0]
        for k in range(1, n):
            new = [mpmath.mpf(0)] * (2 * n)
            for ell in range(k, 2 * n - k):
                new[ell] = sig[ell + 1] - alpha[k - 1] * sig[ell] - beta[k - 1] * sig_prev[ell]
            alpha[k] = new[k + 1] / new[k] - sig[k] / sig[k - 1]
            beta[k] = new[k] / sig[k - 1]
            sig_prev, sig = sig, new
        diag = np.array([float(a) for a in alpha])
        off = np.array([float(mpmath.sqrt(b)) for b in beta[1:]])
        total = float(beta[0])
    # The recurrence needed high precision (moments are ill-conditioned); the symmetric
    # tridiagonal eigenproblem is well conditioned, so double precision suffices there.
    nodes, vecs = eigh_tridiagonal(diag, off)
    weights = total * vecs[0, :] ** 2
    order = np.argsort(nodes)
    return nodes[order], weights[order]


def gaussian_expectation(f: Callable[[np.ndarray], np.ndarray], n: int = 60) -> float:
    """``E f(z)`` for ``z ~ N(0, 1)``: half-range Gauss-Hermite on ``z > 0`` and ``z < 0``."""
    x, w = half_range_hermite_rule(n)
    values = np.asarray(f(x), dtype=float) + np.asarray(f(-x), dtype=float)
    return float(np.dot(w, values) / _SQRT_2PI)


def _relu(z):
    return np.maximum(z, 0.0)


def _linear(z):
    return np.asarray(z, dtype=float)


_NAMED = {"relu": _relu, "tanh": np.tanh, "erf": special.erf, "linear": _linear}


def activation_function(activation) -> Callable[[np.ndarray], np.ndarray] | None:
    """The function for "relu", "tanh", "erf" or a callable; ``None`` for ``None``/"linear"."""
    if activation is None:
        return None
    if isinstance(activation, str):
        key = activation.lower()
        if key not in _NAMED:
            raise ValueError(f"activation must be None, 'linear', 'relu', 'tanh', 'erf' or a "
                             f"callable, got {activation!r}")
        return None if key == "linear" else _NAMED[key]
    if not callable(activation):
        raise TypeError("activation must be a string or a callable, "
                        f"got {type(activation).__name__}")
    return activation


@dataclass(frozen=True)
class ActivationCoefficients:
    """Gaussian moments of an activation (see the module docstring)."""

    mu0: float     #: E f(z)
    eta: float     #: Var f(z) = E f^2 - mu0^2
    zeta: float    #: (E f'(z))^2 = (E z f(z))^2
    kappa2: float  #: E f''(z) = E (z^2 - 1) f(z)


def gaussian_coefficients(f: Callable[[np.ndarray], np.ndarray]) -> ActivationCoefficients:
    """``mu0, eta, zeta, kappa2`` of ``f`` by quadrature; raises if ``f`` is not numeric/finite."""
    x = np.linspace(-3.0, 3.0, 7)
    try:
        probe = np.asarray(f(x), dtype=float)
    except Exception as exc:
        raise TypeError("activation must map a float array to a float array of the same "
                        "shape") from exc
    if probe.shape != x.shape:
        raise TypeError("activation must act elementwise (same output shape as input)")
    mu0 = gaussian_expectation(f)
    second = gaussian_expectation(lambda z: np.asarray(f(z), dtype=float) ** 2)
    slope = gaussian_expectation(lambda z: z * np.asarray(f(z), dtype=float))
    kappa2 = gaussian_expectation(lambda z: (z * z - 1.0) * np.asarray(f(z), dtype=float))
    values = (mu0, second, slope, kappa2)
    if not all(np.isfinite(v) for v in values):
        raise ValueError("activation has non-finite Gaussian moments")
    return ActivationCoefficients(mu0=mu0, eta=max(second - mu0**2, 0.0), zeta=slope**2,
                                  kappa2=kappa2)


def _mp_expectation(f, dps: int):
    """``E f(z)``, ``z ~ N(0, 1)``, by mpmath quadrature on ``(-inf, 0]`` and ``[0, inf)``
    at ``dps + 20`` digits; raises ``ConvergenceError`` (with the error estimate as its
    residual) if that estimate exceeds ``10^-(dps + 5)`` (e.g. a kink away from 0)."""
    import mpmath

    with mpmath.workdps(dps + 20):
        value, error = mpmath.quad(lambda x: f(x) * mpmath.exp(-x * x / 2), [-mpmath.inf, 0,
                                                                          mpmath.inf],
                                   error=True)
        if not error <= mpmath.mpf(10) ** (-(dps + 5)) * (1 + abs(value)):
            from rmtdyn.errors import ConvergenceError

            raise ConvergenceError(f"activation: Gaussian moment not resolved to {dps} digits "
                                   "by mpmath quadrature", residual=float(error))
        return value / mpmath.sqrt(2 * mpmath.pi)


def high_precision_coefficients(activation, dps: int):
    """``(eta, zeta)`` of an activation as sympy numbers good to at least ``dps`` digits.

    Exact closed forms for ``"relu"`` and ``"erf"`` (module docstring); mpmath quadrature
    for ``"tanh"`` and for a callable that maps an ``mpmath.mpf`` to an ``mpmath.mpf``
    (a callable that returns a float would silently cap the precision: it raises
    ``NotImplementedError``).
    """
    import mpmath
    import sympy as sp

    key = activation.lower() if isinstance(activation, str) else None
    if key == "relu":
        return sp.Rational(1, 2) - 1 / (2 * sp.pi), sp.Rational(1, 4)
    if key == "erf":
        return 2 * sp.asin(sp.Rational(2, 3)) / sp.pi, sp.Rational(4, 3) / sp.pi
    if key == "tanh":
        f = mpmath.tanh
    elif callable(activation):
        f = activation
        try:
            with mpmath.workdps(dps + 20):
                probe = f(mpmath.mpf(3) / 7)
        except (TypeError, ValueError, AttributeError) as exc:
            probe = exc
        if not isinstance(probe, mpmath.mpf):
            raise NotImplementedError(
                "stieltjes(z, dps=...) with a callable activation needs one that maps an "
                f"mpmath.mpf to an mpmath.mpf (got {type(probe).__name__}); e.g. use "
                "mpmath functions inside it")
    else:
        raise ValueError(f"activation {activation!r} has no high-precision coefficients")
    with mpmath.workdps(dps + 20):
        mu0 = _mp_expectation(f, dps)
        second = _mp_expectation(lambda x: f(x) ** 2, dps)
        slope = _mp_expectation(lambda x: x * f(x), dps)
        digits = dps + 20
        return sp.Float(second - mu0**2, digits), sp.Float(slope**2, digits)
