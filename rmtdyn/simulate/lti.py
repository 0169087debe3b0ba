r"""Finite-N simulation of ``d theta/dt = -A theta + xi`` (the model of ``rmtdyn.LTISystem``).

One replica draws ``A = spectrum.sample(n)``, diagonalises it once (``A = O diag(l) O^T``)
and evolves ``theta~ = O^T theta`` mode by mode (``theta(0) ~ N(0, sigma0^2 I)`` and
the noise are isotropic, so ``theta~`` has the same law in the eigenbasis):

* no noise or white noise of strength D: exact Gaussian transitions between the requested
  times, ``theta~(t') = e^{-l (t'-t)} theta~(t) + sqrt(D (1 - e^{-2 l (t'-t)})/l) z``;
* a kernel noise ``K(u, v)``: the noise is sampled on a fine grid (``fine_steps`` points
  plus the requested times) from the grid covariance and integrated with the trapezoidal
  rule, ``I_{m+1} = e^{-l h} I_m + (h/2)(e^{-l h} xi_m + xi_{m+1})`` (error O(h^2)).

Observables per replica: the response ``(1/N) tr e^{-tA}`` and the equal-time correlation
``|theta(t)|^2/N``; ``lti_paths`` returns the coordinates ``theta_i(t)`` of one replica.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.simulate.linear_regression import mean_and_stderr, seed_list
from rmtdyn.simulate.progress import progress as _progress


def _check_grid(t) -> np.ndarray:
    t = check.times("t", t)
    if t.ndim != 1 or t.size < 1:
        raise ValueError(f"t must be a non-empty one-dimensional array, got shape {t.shape}")
    if np.any(np.diff(t) < 0):
        raise ValueError("t must be sorted in increasing order")
    return t


def _modes(system, t: np.ndarray, lam: np.ndarray, rng: np.random.Generator,
           fine_steps: int) -> np.ndarray:
    """``theta~(t_k)`` in the eigenbasis, shape (n_t, n)."""
    n = lam.size
    theta = np.sqrt(system.init_variance) * rng.standard_normal(n)
    if system.kernel is not None:
        return _kernel_modes(system, t, lam, theta, rng, fine_steps)
    out = np.empty((t.size, n))
    now = 0.0
    for k, tk in enumerate(t):  # exact transitions between consecutive requested times
        step = tk - now
        with np.errstate(over="ignore"):
            theta = np.exp(-lam * step) * theta
            if system.white_noise > 0 and step > 0:
                nz = lam != 0
                var = np.where(nz, -np.expm1(-2.0 * lam * step) / np.where(nz, lam, 1.0),
                               2.0 * step)
                theta = theta + np.sqrt(system.white_noise * var) * rng.standard_normal(n)
        out[k] = theta
        now = tk
    return out


def _kernel_modes(system, t, lam, theta0, rng, fine_steps):
    t, repeat = np.unique(t, return_inverse=True)  # repeated requested times share a row
    grid = np.union1d(t, np.linspace(0.0, t[-1], fine_steps + 1))
    kern = np.asarray(system.kernel(grid[:, None], grid[None, :]), dtype=float)
    if kern.shape != (grid.size, grid.size) or not np.all(np.isfinite(kern)):
        raise ValueError("the noise kernel K(u, v) must broadcast to a finite (m, m) array")
    evals, evecs = np.linalg.eigh(0.5 * (kern + kern.T))
    xi = (evecs * np.sqrt(np.clip(evals, 0.0, None))) @ rng.standard_normal((grid.size, lam.size))
    want = {int(i): k for k, i in enumerate(np.searchsorted(grid, t))}
    out = np.empty((t.size, lam.size))
    integral = np.zeros(lam.size)
    for m in range(grid.size):  # recursive trapezoid along the fine grid, vectorised over modes
        if m > 0:
            h = grid[m] - grid[m - 1]
            decay = np.exp(-lam * h)
            integral = decay * integral + 0.5 * h * (decay * xi[m - 1] + xi[m])
        if m in want:
            out[want[m]] = np.exp(-lam * grid[m]) * theta0 + integral
    return out[repeat.ravel()]


def lti_paths(system, t, n: int, rng=None, fine_steps: int = 400) -> np.ndarray:
    """Coordinates ``theta_i(t_k)`` of one replica at dimension ``n``: shape (n, n_t)."""
    t = _check_grid(t)
    n = check.positive_int("n", n, minimum=2)
    gen = check.rng(rng)
    lam, vecs = np.linalg.eigh(system.spectrum.sample(n, gen))
    return vecs @ _modes(system, t, lam, gen, fine_steps).T


def simulate_lti(system, t, n: int, seeds: int | Sequence[int] = 4, rng=None,
                 progress: bool = False, fine_steps: int = 400) -> LossCurves:
    """Simulate ``system`` (an ``LTISystem``) at dimension ``n`` over several replicas.

    Returns a ``LossCurves`` (``source="simulation"``) with curves ``response``
    (``(1/N) tr e^{-tA}``) and ``correlation`` (``C(t, t) = |theta(t)|^2/N``), their means
    over replicas and standard errors. ``t`` must be sorted.
    """
    t = _check_grid(t)
    n = check.positive_int("n", n, minimum=2)
    seeds = seed_list(seeds, rng)
    responses, correlations = [], []
    for seed in _progress(seeds, enabled=progress, desc="LTI system"):
        gen = np.random.default_rng(seed)
        lam = np.linalg.eigvalsh(system.spectrum.sample(n, gen))
        with np.errstate(over="ignore"):
            responses.append(np.exp(-np.multiply.outer(t, lam)).mean(axis=1))
        modes = _modes(system, t, lam, gen, fine_steps)
        correlations.append(np.mean(modes**2, axis=1))
    resp, resp_se = mean_and_stderr(np.array(responses))
    corr, corr_se = mean_and_stderr(np.array(correlations))
    params = {"spectrum": repr(system.spectrum), "init_variance": system.init_variance,
              "white_noise": system.white_noise, "kernel": system.kernel is not None,
              "n": n, "seeds": len(seeds)}
    return LossCurves(t=t, curves={"response": resp, "correlation": corr},
                      stderr={"response": resp_se, "correlation": corr_se},
                      source="simulation", params=params)
