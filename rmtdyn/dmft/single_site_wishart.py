r"""Two-site (bipartite) DMFT of a Wishart LTI system: parameter side and data side.

Model (conventions.md, paper-notes §3.2): ``X`` is ``P x N`` with iid N(0, 1) entries,
``ratio = gamma = N/P``, and

    d theta/dt = -A theta + xi(t),   A = c X^T X / P + z,   theta(0) ~ N(0, sigma0^2 I_N),

``xi`` white noise ``E xi_i(u) xi_j(v) = 2 D delta_ij delta(u - v)``. The spectrum of ``A``
is ``c * MarchenkoPastur(gamma) + z`` (``c > 0`` a scale, ``z`` a shift or ridge). For
gradient flow on least squares, ``theta`` is the parameter error and the data-side variables

    Delta_mu(t) = x_mu . theta(t) / sqrt(P)          (mu = 1..P; x_mu the rows of X)

are the residuals, so that ``A theta = c X^T Delta / sqrt(P) + z theta``.

Two-site cavity (derived here; one cavity per side of the bipartite graph X):

* Data site. Adding a row ``x_mu`` kicks every ``theta_i`` by ``-c x_mu,i Delta_mu / sqrt(P)``;
  by linear response this feeds back into ``Delta_mu`` through ``(c/P) x_mu^T R^theta x_mu``,
  which concentrates on ``c gamma R_theta``. Hence

      Delta(t) = v(t) - c gamma int_0^t R_theta(t - s) Delta(s) ds,
      v ~ GP(0, gamma C_theta(t, t')),                 (v = x_mu . theta^{cavity}/sqrt(P))

  so ``Delta = R_Delta * v`` with the data-side response ``R_Delta(t) = delta(t) - K(t)``,
  ``(delta + c gamma R_theta) * (delta - K) = delta``, i.e. the memory kernel solves

      K(t) = c gamma R_theta(t) - c gamma int_0^t R_theta(t - s) K(s) ds.          (1)

* Parameter site. Adding a column ``i`` kicks every ``Delta_mu`` by ``x_mu,i theta_i/sqrt(P)``;
  the force ``-(c/sqrt(P)) sum_mu x_mu,i Delta_mu`` then splits into a Gaussian field and a
  reaction term ``-(c/P) sum x x R^Delta theta -> -c R_Delta * theta``:

      d theta/dt = -(z + c) theta(t) - c u(t) + c int_0^t K(t - s) theta(s) ds + xi(t),
      u ~ GP(0, C_Delta(t, t')),                       (u = x_i . Delta^{cavity}/sqrt(P))

  (the ``delta`` part of ``R_Delta`` gives the instantaneous ``-c theta``).

* Order parameters (self-consistency), with ``theta(0)``, ``xi``, ``u`` independent:

      R_theta' = -(z + c) R_theta + c K * R_theta,  R_theta(0) = 1,                (2)
      C_theta = sigma0^2 R_theta R_theta^T + 2D R_theta R_theta^T|_noise
                + c^2 R_theta C_Delta R_theta^T,        C_Delta = gamma R_Delta C_theta R_Delta^T

  (operator notation: ``(R f)(t) = int_0^t R(t - s) f(s) ds``). In Laplace form (1)-(2) are
  ``R_theta(s) = 1/(s + z + c R_Delta(s))``, ``R_Delta(s) = 1/(1 + c gamma R_theta(s))``, the
  Marchenko–Pastur resolvent equation (paper-notes §3.2 with ``c = 1``, ``z = ridge``), so
  ``R_theta(t) = (c * MarchenkoPastur(gamma) + z).response(t)``; ``C_theta`` is the
  ``LTISystem`` correlation and ``C_Delta(t, t') = gamma (1/N) E theta(t)^T (X^T X/P) theta(t')``.

Discretisation (uniform grid ``t_i = i dt``; everything O(dt^2)):

* (1)-(2) are stepped together: trapezoidal rule for every convolution and implicit
  trapezoidal rule for the ODE, so each step solves a 2 x 2 linear system for
  ``(R_theta(t_{i+1}), K(t_{i+1}))``. No spectrum is used.
* Paths: the parameter site is stepped like (2) with the drive ``-c u`` and white-noise
  kicks ``N(0, 2 D dt)``; the data site solves the trapezoidal version of
  ``Delta + c gamma R_theta * Delta = v``. Both are vectorised over paths.
* Fields: the discrete schemes are linear maps (``theta = r theta0 + L (-c u) + L_k kicks``,
  ``Delta = Q v``), so the grid covariances solve the Stein equation
  ``C_theta = S + M C_theta M^T``, ``M = c sqrt(gamma) L Q``,
  ``S = sigma0^2 r r^T + 2 D dt L_k L_k^T``, by Smith doubling (a sum of positive
  semi-definite terms, no cancellation; ``M`` is causal, so the series terminates in
  effect). ``C_Delta = gamma Q C_theta Q^T``. The sampled fields ``u ~ N(0, C_Delta)``,
  ``v ~ N(0, gamma C_theta)`` then make the empirical covariances of the paths equal these
  grid covariances exactly in expectation, which converge to the continuum ones at O(dt^2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.dmft.single_site import _uniform_grid, _volterra_trapezoid
from rmtdyn.errors import ConvergenceError


@dataclass(frozen=True)
class WishartKernels:
    """Solution of the two-site response equations (1)-(2) on a grid.

    ``response`` is ``R_theta(t_i)`` (the parameter-side response), ``data_memory`` is
    ``K(t_i)`` with the data-side response ``R_Delta(t) = delta(t) - K(t)``.
    """

    t: np.ndarray
    response: np.ndarray
    data_memory: np.ndarray
    ratio: float
    scale: float
    shift: float


@dataclass(frozen=True)
class WishartSingleSitePaths:
    """Sample paths of the two single-site processes on a uniform grid.

    ``theta`` (n_paths, n_t): parameter site; ``delta`` (n_paths, n_t): data site (independent
    paths). ``theta_correlation``/``data_correlation`` (n_t, n_t): the self-consistent grid
    covariances ``C_theta``, ``C_Delta`` (the theory the paths sample), ``kernels``: the
    responses ``R_theta`` and ``K``.
    """

    t: np.ndarray
    theta: np.ndarray
    delta: np.ndarray
    theta_correlation: np.ndarray
    data_correlation: np.ndarray
    kernels: WishartKernels
    noise: float
    init_variance: float

    def _side(self, side: str) -> np.ndarray:
        if side == "theta":
            return self.theta
        if side == "delta":
            return self.delta
        raise ValueError(f"side must be 'theta' or 'delta', got {side!r}")

    def correlation(self, side: str = "theta") -> np.ndarray:
        """Empirical ``C(t_i, t_j)`` (mean over paths of ``x(t_i) x(t_j)``), shape (n_t, n_t)."""
        x = self._side(side)
        return x.T @ x / x.shape[0]

    def equal_time(self, side: str = "theta") -> tuple[np.ndarray, np.ndarray]:
        """Empirical ``C(t, t)`` of ``side`` ('theta' or 'delta') and its standard error."""
        sq = self._side(side) ** 2
        return sq.mean(axis=0), sq.std(axis=0, ddof=1) / np.sqrt(sq.shape[0])

    def empirical_response(self) -> tuple[np.ndarray, np.ndarray]:
        """``R_theta(t) = E[theta(t) theta(0)] / sigma0^2`` from the paths, and its SE.

        Valid because ``theta(t) = R_theta(t) theta(0) + (terms independent of theta(0))``.
        Needs ``init_variance > 0``.
        """
        if self.init_variance <= 0:
            raise ValueError("empirical_response needs init_variance > 0")
        prod = self.theta * self.theta[:, :1] / self.init_variance
        return prod.mean(axis=0), prod.std(axis=0, ddof=1) / np.sqrt(prod.shape[0])


def wishart_parameters(spectrum) -> tuple[float, float, float]:
    """``(ratio, scale, shift)`` with ``spectrum`` the law of ``scale * X^T X/P + shift``.

    Accepts ``rd.MarchenkoPastur(ratio, variance)`` (scale = variance) and affine images
    ``a * MarchenkoPastur(ratio, variance) + z`` with ``a > 0`` (scale = a * variance).
    Raises ``TypeError`` otherwise (population covariances are not implemented).
    """
    from rmtdyn.spectra.affine import AffineSpectrum
    from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

    scale, shift, base = 1.0, 0.0, spectrum
    if isinstance(spectrum, AffineSpectrum):
        scale, shift, base = spectrum.scale, spectrum.shift, spectrum.base
    if (isinstance(base, MarchenkoPastur) and getattr(base, "population", None) is None
            and scale > 0):
        return float(base.ratio), float(scale * base.variance), float(shift)
    raise TypeError("the two-site process is implemented for Wishart spectra "
                    f"(a * rd.MarchenkoPastur(ratio, variance) + z, a > 0) only, got {spectrum!r}")


def wishart_kernels(ratio: float, t, scale: float = 1.0, shift: float = 0.0) -> WishartKernels:
    """Solve the two-site response equations (1)-(2) of the module docstring on the grid ``t``.

    ``K = c gamma R - c gamma R * K`` and ``R' = -(z + c) R + c K * R``, ``R(0) = 1``,
    ``K(0) = c gamma``; trapezoidal convolutions, implicit trapezoidal time step, one 2 x 2
    linear solve per step, error O(dt^2). ``t`` is a uniform grid starting at 0.
    Independent of the spectrum: compare with ``(scale * MarchenkoPastur(ratio) + shift)
    .response(t)``.
    """
    gamma = check.positive("ratio", ratio)
    c = check.positive("scale", scale)
    z = check.real_number("shift", shift)
    t, dt = _uniform_grid(t)
    a, b = z + c, c * gamma
    r = np.empty(t.size)
    k = np.empty(t.size)
    r[0], k[0] = 1.0, b
    force = -a  # R'(0) = -(z + c) R(0) + 0 (empty memory)
    # Unknowns x = R_{n+1}, y = K_{n+1}; S = sum_{j=1}^{n} R_{n+1-j} K_j (the same sum appears
    # in both convolutions). Trapezoid end weights give the 2 x 2 system
    #   (1 + a dt/2 - c b dt^2/4) x - (c dt^2/4) y = R_n + dt F_n/2 + c dt^2 S/2
    #   (-b + b^2 dt/2) x + (1 + b dt/2) y       = -b dt S
    m11, m12 = 1.0 + 0.5 * a * dt - 0.25 * c * b * dt * dt, -0.25 * c * dt * dt
    m21, m22 = -b + 0.5 * b * b * dt, 1.0 + 0.5 * b * dt
    det = m11 * m22 - m12 * m21
    for n in range(t.size - 1):  # inherent time stepping (each step needs the past)
        s = float(r[n:0:-1] @ k[1:n + 1]) if n > 0 else 0.0
        rhs1 = r[n] + 0.5 * dt * force + 0.5 * c * dt * dt * s
        rhs2 = -b * dt * s
        r[n + 1] = (rhs1 * m22 - m12 * rhs2) / det
        k[n + 1] = (m11 * rhs2 - m21 * rhs1) / det
        memory = dt * (0.5 * k[n + 1] + s + 0.5 * b * r[n + 1])
        force = -a * r[n + 1] + c * memory
    return WishartKernels(t=t, response=r, data_memory=k, ratio=gamma, scale=c, shift=z)


def solve_wishart_response(ratio: float, t, scale: float = 1.0, shift: float = 0.0) -> np.ndarray:
    """Parameter-side DMFT response ``R_theta(t_i)`` of ``scale * X^T X/P + shift``.

    Spectrum-free route to ``(scale * rd.MarchenkoPastur(ratio) + shift).response(t)``; see
    ``wishart_kernels``.
    """
    return wishart_kernels(ratio, t, scale, shift).response


def _data_site(r: np.ndarray, dt: float, b: float, v: np.ndarray) -> np.ndarray:
    """Solve ``Delta + b int_0^t R(t - s) Delta(s) ds = v`` (trapezoid); ``v`` (n_t, m)."""
    out = np.empty_like(v)
    out[0] = v[0]
    denom = 1.0 + 0.5 * b * dt * r[0]
    for n in range(v.shape[0] - 1):  # inherent time stepping, vectorised over columns
        mem = 0.5 * r[n + 1] * out[0]
        if n > 0:
            mem = mem + r[n:0:-1] @ out[1:n + 1]
        out[n + 1] = (v[n + 1] - b * dt * mem) / denom
    return out


def _gaussian(cov: np.ndarray, n_paths: int, gen: np.random.Generator) -> np.ndarray:
    """Columns ~ N(0, cov) via a symmetric square root (eigh, negative round-off clipped)."""
    evals, evecs = np.linalg.eigh(0.5 * (cov + cov.T))
    return (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ gen.standard_normal((cov.shape[0],
                                                                               n_paths))


def _stein(s: np.ndarray, m: np.ndarray, max_doublings: int = 64) -> np.ndarray:
    """``X = S + M X M^T`` by Smith doubling; raises ConvergenceError if it does not settle."""
    x = s.copy()
    power = m.copy()
    residual, iterations = np.inf, 0
    for _ in range(max_doublings):
        iterations += 1
        step = power @ x @ power.T
        x = x + step
        scale = max(float(np.max(np.abs(x))), np.finfo(float).tiny)
        residual = float(np.max(np.abs(step))) / scale
        if residual < 1e-15:
            return x
        power = power @ power
        if not np.all(np.isfinite(power)):
            break
    raise ConvergenceError("the two-site correlation (Stein) equation did not converge",
                           residual=residual, iterations=iterations)


def wishart_correlations(ratio: float, t, scale: float = 1.0, shift: float = 0.0,
                         noise: float = 0.0, init_variance: float = 1.0,
                         kernels: WishartKernels | None = None):
    """Self-consistent grid covariances ``(C_theta, C_Delta)`` of the two single sites.

    Solves ``C_theta = sigma0^2 r r^T + 2 D dt L_k L_k^T + c^2 gamma L Q C_theta Q^T L^T`` and
    ``C_Delta = gamma Q C_theta Q^T`` with the discrete linear maps of the path schemes (module
    docstring); no spectrum is used. Returns two (n_t, n_t) arrays. ``noise`` is ``D``.
    """
    if kernels is None:
        kernels = wishart_kernels(ratio, t, scale, shift)
    noise = check.nonnegative("noise", noise)
    init_variance = check.nonnegative("init_variance", init_variance)
    t = kernels.t
    dt = float(t[1] - t[0])
    n = t.size
    gamma, c, z = kernels.ratio, kernels.scale, kernels.shift
    k, r = kernels.data_memory, kernels.response
    eye = np.eye(n)
    zeros = np.zeros(n)
    # linear maps of the discrete schemes, built by running them on unit inputs
    drive_map = _volterra_trapezoid(k, dt, z + c, c, zeros, eye, np.zeros((n - 1, n)))
    q = _data_site(r, dt, c * gamma, eye)
    s = init_variance * np.outer(r, r)
    if noise > 0:
        kick_map = _volterra_trapezoid(k, dt, z + c, c, np.zeros(n - 1), np.zeros((n, n - 1)),
                                       np.eye(n - 1))
        s = s + 2.0 * noise * dt * (kick_map @ kick_map.T)
    m = c * np.sqrt(gamma) * (drive_map @ q)
    c_theta = _stein(s, m)
    c_theta = 0.5 * (c_theta + c_theta.T)
    c_delta = gamma * (q @ c_theta @ q.T)
    return c_theta, 0.5 * (c_delta + c_delta.T)


def sample_wishart_single_site(system, t, n_paths: int, rng=None) -> WishartSingleSitePaths:
    """Draw ``n_paths`` paths of both single-site processes of a Wishart ``LTISystem``.

    Parameters
    ----------
    system : LTISystem
        Spectrum ``a * rd.MarchenkoPastur(ratio, variance) + z`` (``a > 0``), noise ``None``
        or white (``D``), ``init_variance`` sigma0^2.
    t : 1-D array
        Uniform grid starting at 0 (``t_i = i dt``, at least 2 points).
    n_paths : int
    rng : Generator, int or None

    Returns
    -------
    WishartSingleSitePaths
        ``theta`` from ``dtheta = [-(z + c) theta - c u + c K * theta] dt + sqrt(2 D) dW`` with
        ``u ~ GP(0, C_Delta)``; ``delta`` from ``Delta + c gamma R_theta * Delta = v`` with
        ``v ~ GP(0, gamma C_theta)`` (independent of the theta paths: another site).
    """
    ratio, scale, shift = wishart_parameters(system.spectrum)
    if system.kernel is not None:
        raise NotImplementedError("the two-site process supports no noise or white noise; "
                                  "a kernel noise is not implemented")
    t, dt = _uniform_grid(t)
    n_paths = check.positive_int("n_paths", n_paths, minimum=1)
    gen = check.rng(rng)
    kernels = wishart_kernels(ratio, t, scale, shift)
    c_theta, c_delta = wishart_correlations(ratio, t, scale, shift, system.white_noise,
                                            system.init_variance, kernels=kernels)
    u = _gaussian(c_delta, n_paths, gen)
    v = _gaussian(ratio * c_theta, n_paths, gen)
    theta0 = np.sqrt(system.init_variance) * gen.standard_normal(n_paths)
    kicks = np.sqrt(2.0 * system.white_noise * dt) * gen.standard_normal((t.size - 1, n_paths))
    theta = _volterra_trapezoid(kernels.data_memory, dt, shift + scale, scale, theta0,
                                -scale * u, kicks)
    delta = _data_site(kernels.response, dt, scale * ratio, v)
    return WishartSingleSitePaths(t=t, theta=theta.T.copy(), delta=delta.T.copy(),
                                  theta_correlation=c_theta, data_correlation=c_delta,
                                  kernels=kernels, noise=float(system.white_noise),
                                  init_variance=float(system.init_variance))
