r"""Sample paths of the DMFT single-site process of a Wigner (GOE) LTI system.

For ``d theta/dt = -A theta + xi`` with ``A = z I + M``, ``M`` a Wigner matrix of
variance ``v`` (semicircle on ``[-2 sqrt(v), 2 sqrt(v)]``; any ``c * Wigner(v') + z``
spectrum is of this form with ``v = c^2 v'``), the cavity method (paper-notes §4.1)
reduces each coordinate to the single-site process

    dh/dt = -z h(t) + u(t) + v int_0^t R(t - s) h(s) ds + xi(t),   h(0) ~ N(0, sigma0^2),

where ``u`` is a centred Gaussian process with covariance ``v C(t, t')``, ``C`` and
``R`` are the correlation and response of the full system (``LTISystem.correlation``,
``LTISystem.response``: the closed LTI forms, which are the self-consistent solution)
and ``xi`` is the system's noise. Signs: the cavity field ``-sum_j M_0j h_j`` splits into
the Gaussian part ``u`` and the reaction term ``+ v int R h`` (two minus signs).

Discretisation (uniform grid ``t_i = i dt``, all paths at once): the integrated equation
is stepped with the trapezoidal rule, implicit in ``h_{i+1}`` (a scalar linear solve),
with the memory integral also by the trapezoidal rule,

    mem_{i+1} = dt [ R_{i+1} h_0 / 2 + sum_{j=1}^{i} R_{i+1-j} h_j + R_0 h_{i+1} / 2 ],

and white noise entering as increments ``N(0, 2 D dt)`` (the trapezoidal step keeps the
stationary variance of an OU process exact). The same recursion with ``u = xi = 0`` and
``h(0) = 1`` returns the single-site response, which must reproduce ``R`` (the DMFT
closure, in Laplace form ``R(s) = 1/(s + z - v R(s))``).
Local error ``O(dt^2)`` for the deterministic part; the rough drive ``u`` makes the
correlation error ``O(dt)`` at worst.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtdyn import _validation as check


@dataclass(frozen=True)
class SingleSitePaths:
    """Sample paths of the single-site process on a uniform grid.

    ``t`` (n_t,), ``paths`` (n_paths, n_t), ``response`` (n_t,) the single-site response
    ``R_ss(t_i)`` from the same discretisation, ``variance`` v and ``shift`` z of ``A = z + M``.
    """

    t: np.ndarray
    paths: np.ndarray
    response: np.ndarray
    variance: float
    shift: float

    def correlation(self) -> np.ndarray:
        """Empirical ``C(t_i, t_j) = mean over paths of h(t_i) h(t_j)``, shape (n_t, n_t)."""
        return self.paths.T @ self.paths / self.paths.shape[0]

    def equal_time(self) -> tuple[np.ndarray, np.ndarray]:
        """Empirical ``C(t, t)`` and its standard error over paths."""
        sq = self.paths**2
        return sq.mean(axis=0), sq.std(axis=0, ddof=1) / np.sqrt(sq.shape[0])


def wigner_parameters(spectrum) -> tuple[float, float]:
    """``(v, z)`` with ``spectrum`` the law of ``z + M``, ``M`` Wigner of variance ``v``.

    Raises ``TypeError`` for any other spectrum (the single-site process is implemented for
    GOE-type ``A`` only).
    """
    from rmtdyn.spectra.affine import AffineSpectrum
    from rmtdyn.spectra.wigner import Wigner

    if isinstance(spectrum, Wigner):
        return spectrum.variance, 0.0
    if isinstance(spectrum, AffineSpectrum) and isinstance(spectrum.base, Wigner):
        return spectrum.scale**2 * spectrum.base.variance, spectrum.shift
    raise TypeError("the single-site process is implemented for Wigner spectra "
                    f"(c * rd.Wigner(v) + z) only, got {spectrum!r}")


def _volterra_trapezoid(kernel: np.ndarray, dt: float, shift: float, variance: float,
                        h0: np.ndarray, drive: np.ndarray, kicks: np.ndarray) -> np.ndarray:
    """Solve ``dh = (-z h + drive + v int R h) dt + kicks`` on the grid; arrays (n_t, n_paths).

    The time-stepping loop is inherent (each step needs the past); it is vectorised over paths.
    """
    n_t = kernel.size
    h = np.empty((n_t,) + h0.shape)
    h[0] = h0
    force = -shift * h0 + drive[0]  # memory at t = 0 is zero
    denom = 1.0 + 0.5 * dt * shift - 0.25 * variance * dt * dt * kernel[0]
    for i in range(n_t - 1):
        # memory at t_{i+1} without the h_{i+1} term
        mem = 0.5 * kernel[i + 1] * h[0]
        if i > 0:
            mem = mem + kernel[i:0:-1] @ h[1:i + 1]
        mem = dt * mem
        rest = drive[i + 1] + variance * mem
        h[i + 1] = (h[i] + 0.5 * dt * (force + rest) + kicks[i]) / denom
        force = -shift * h[i + 1] + rest + 0.5 * variance * dt * kernel[0] * h[i + 1]
    return h


def solve_wigner_response(variance: float, shift: float, t) -> np.ndarray:
    """DMFT response of ``A = shift + M`` (``M`` Wigner of ``variance``) without the spectrum.

    Solves the closed DMFT equation ``dR/dt = -z R + v int_0^t R(t - s) R(s) ds``, ``R(0) = 1``
    (the Laplace form ``R(s) = 1/(s + z - v R(s))`` is the semicircle's resolvent equation) by
    the implicit trapezoidal rule on a uniform grid ``t`` starting at 0 (error ``O(dt^2)``).
    Each step is linear in the new value because ``R(0) = 1`` is known. An independent route
    to ``(Wigner(v) + z).response(t)``.
    """
    variance = check.positive("variance", variance)
    shift = check.real_number("shift", shift)
    t, dt = _uniform_grid(t)
    r = np.empty(t.size)
    r[0] = 1.0
    force = -shift
    denom = 1.0 + 0.5 * dt * shift - 0.5 * dt * variance * dt  # trapezoid weights at both ends
    for i in range(t.size - 1):  # inherent time stepping (each step needs the past)
        mem = dt * (r[i:0:-1] @ r[1:i + 1]) if i > 0 else 0.0  # sum_{j=1}^{i} R_{i+1-j} R_j
        r[i + 1] = (r[i] + 0.5 * dt * (force + variance * mem)) / denom
        force = -shift * r[i + 1] + variance * (mem + dt * r[i + 1])
    return r


def _uniform_grid(t) -> tuple[np.ndarray, float]:
    t = check.times("t", t)
    if t.ndim != 1 or t.size < 2:
        raise ValueError("t must be a one-dimensional grid of at least 2 times")
    dt = t[1] - t[0]
    if t[0] != 0 or dt <= 0 or not np.allclose(np.diff(t), dt, rtol=1e-9, atol=0):
        raise ValueError("t must be a uniform grid starting at 0 (t_i = i dt, dt > 0)")
    return t, float(dt)


def sample_single_site(system, t, n_paths: int, rng=None) -> SingleSitePaths:
    """Draw ``n_paths`` paths of the single-site process of ``system`` (an ``LTISystem``).

    Parameters
    ----------
    system : LTISystem
        With a Wigner-type spectrum ``c * Wigner(v) + z`` and noise ``None`` or white.
    t : 1-D array
        Uniform grid starting at 0 (``t_i = i dt``, at least 2 points).
    n_paths : int
    rng : Generator, int or None

    Returns
    -------
    SingleSitePaths
    """
    variance, shift = wigner_parameters(system.spectrum)
    if system.kernel is not None:
        raise NotImplementedError("single-site paths support no noise or white noise; "
                                  "a kernel noise is not implemented")
    t, dt = _uniform_grid(t)
    n_paths = check.positive_int("n_paths", n_paths, minimum=1)
    gen = check.rng(rng)

    kernel = system.response(t)  # R(i dt)
    # u ~ GP(0, v C): a symmetric square root of the grid covariance (eigh, clipped >= 0:
    # C is positive semi-definite but numerically low-rank when there is no noise).
    cov = variance * system.correlation(t[:, None], t[None, :])
    evals, evecs = np.linalg.eigh(0.5 * (cov + cov.T))
    root = evecs * np.sqrt(np.clip(evals, 0.0, None))
    drive = root @ gen.standard_normal((t.size, n_paths))
    h0 = np.sqrt(system.init_variance) * gen.standard_normal(n_paths)
    kicks = np.sqrt(2.0 * system.white_noise * dt) * gen.standard_normal((t.size - 1, n_paths))
    paths = _volterra_trapezoid(kernel, dt, shift, variance, h0, drive, kicks)
    response = _volterra_trapezoid(kernel, dt, shift, variance, np.ones(1),
                                   np.zeros((t.size, 1)), np.zeros((t.size - 1, 1)))[:, 0]
    return SingleSitePaths(t=t, paths=paths.T.copy(), response=response,
                           variance=float(variance), shift=float(shift))
