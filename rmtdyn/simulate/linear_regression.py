r"""Finite-N simulation of gradient flow on linear regression (exact in the SVD basis).

For one draw of ``X`` (``P x N``, iid N(0, 1), ``P = round(N/ratio)``), ``beta* ~ N(0, I_N)``,
``xi ~ N(0, I_P)`` and ``w(0) ~ N(0, sigma0^2 I_N)``, the flow

    dw/dt = -(1/P) X^T (X w - sqrt(N) y) - lam w,    y = X beta*/sqrt(N) + sigma xi,

is solved exactly at every requested time from the SVD ``X = U S V^T`` (obtained from one
eigendecomposition of the smaller Gram matrix; ``A = X^T X/P`` has eigenvalues
``l_j = s_j^2/P``). With ``k = l + lam``,
``phi = (1 - e^{-kt})/k`` and ``B = (lam + l e^{-kt})/k`` the error ``e = w - beta*``
along ``v_j`` is

    e_j(t) = e^{-kt} (V^T w0)_j - B (V^T beta*)_j + phi sigma sqrt(N) s_j (U^T xi)_j / P,

the null space of ``A`` (``N > P``) keeps ``e = e^{-lam t} w0 - beta*`` there, and the
training residual ``r = X w/sqrt(N) - y`` along ``u_j`` is, without cancellation,

    r_j(t) = (s_j/sqrt(N)) (e^{-kt} (V^T w0)_j - B (V^T beta*)_j) - sigma B (U^T xi)_j,

with ``r = -sigma xi`` on the null space of ``X X^T`` (``P > N``). No time stepping, no
matrix exponential: the results are exact up to round-off for every t.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.simulate.progress import progress as _progress


def seed_list(seeds: int | Sequence[int], rng) -> list[int]:
    """Integer seeds of the replicas: ``seeds`` itself if a sequence, else ``seeds`` fresh
    seeds drawn from ``rng`` (a Generator, an int or ``None``)."""
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        count = check.positive_int("seeds", int(seeds), minimum=1)
        return [int(s) for s in check.rng(rng).integers(0, 2**63 - 1, size=count)]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Sequence):
        raise TypeError("seeds must be a number of replicas or a sequence of int seeds")
    out = [check.positive_int("seeds[i]", s, minimum=0) for s in seeds]
    if not out:
        raise ValueError("seeds must not be empty")
    return out


def mean_and_stderr(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and its standard error (``ddof = 1``; zero for one sample)."""
    samples = np.asarray(samples, dtype=float)
    mean = samples.mean(axis=0)
    if samples.shape[0] < 2:
        return mean, np.zeros_like(mean)
    return mean, samples.std(axis=0, ddof=1) / math.sqrt(samples.shape[0])


def _projections(x: np.ndarray, beta: np.ndarray, w0: np.ndarray, xi: np.ndarray):
    """Singular values ``s`` of ``X = U S V^T`` and ``V^T beta``, ``V^T w0``, ``U^T xi``.

    Computed from the eigendecomposition of the smaller Gram matrix (``X^T X`` if P >= N,
    else ``X X^T``), which is about 4x faster than an SVD at N = 2000; the other side's
    projections follow from ``X^T u_j = s_j v_j``. The Gram eigenvalues are bounded away from
    0 for iid Gaussian X (smallest ``~ (sqrt P - sqrt N)^2``, ``~ 1/N`` at P = N), so the
    division by ``s`` is safe.
    """
    p, n = x.shape
    if p >= n:
        mu, v = np.linalg.eigh(x.T @ x)
        s = np.sqrt(np.clip(mu, np.finfo(float).tiny, None))
        return s, v.T @ beta, v.T @ w0, (v.T @ (x.T @ xi)) / s
    mu, u = np.linalg.eigh(x @ x.T)
    s = np.sqrt(np.clip(mu, np.finfo(float).tiny, None))
    return s, (u.T @ (x @ beta)) / s, (u.T @ (x @ w0)) / s, u.T @ xi


def linear_regression_run(ratio: float, noise: float, ridge: float, init_variance: float,
                          t: np.ndarray, n: int, rng: np.random.Generator
                          ) -> tuple[np.ndarray, np.ndarray]:
    """One replica: ``(train_loss(t), test_error(t))`` for one draw of data, teacher and noise."""
    p = max(1, round(n / ratio))
    x = rng.standard_normal((p, n))
    beta = rng.standard_normal(n)
    xi = rng.standard_normal(p)
    w0 = math.sqrt(init_variance) * rng.standard_normal(n)
    s, bj, wj, xj = _projections(x, beta, w0, xi)
    lam = s**2 / p
    tt = t[:, None]
    k = lam[None, :] + ridge
    decay = np.exp(-k * tt)
    bias = (ridge + lam[None, :] * decay) / k  # k > 0: nonzero singular values
    phi = -np.expm1(-k * tt) / k
    err = decay * wj - bias * bj + phi * (noise * math.sqrt(n) / p) * s * xj
    test = np.sum(err**2, axis=1)
    if n > s.size:  # null space of A: e = e^{-ridge t} w0 - beta* there
        a = np.exp(-ridge * t)
        null_w = w0 @ w0 - wj @ wj
        null_b = beta @ beta - bj @ bj
        null_wb = w0 @ beta - wj @ bj
        test = test + a * a * null_w - 2.0 * a * null_wb + null_b
    resid = (s / math.sqrt(n)) * (decay * wj - bias * bj) - noise * bias * xj
    train = np.sum(resid**2, axis=1)
    if p > s.size:  # null space of X X^T: the residual stays -sigma xi there
        train = train + noise**2 * max(xi @ xi - xj @ xj, 0.0)
    return train / p, test / n


def simulate_linear_regression(model, t, n: int, seeds: int | Sequence[int] = 4, rng=None,
                               progress: bool = False) -> LossCurves:
    """Simulate ``model`` (a ``LinearRegressionFlow``) at dimension ``n`` over several seeds.

    Parameters
    ----------
    model : LinearRegressionFlow
        Supplies ``ratio`` (N/P), ``noise``, ``ridge`` and ``init_variance``.
    t : 1-D array of times >= 0.
    n : int
        Dimension N (``P = round(N/ratio)`` samples).
    seeds : int or sequence of int
        Number of independent replicas (their seeds drawn from ``rng``) or the seeds themselves.
    rng : Generator, int or None
        Source of the replica seeds when ``seeds`` is a count.
    progress : bool
        Show a tqdm bar over the replicas.

    Returns
    -------
    LossCurves
        ``source="simulation"``, curves ``train`` and ``test`` (means over replicas) and their
        standard errors; ``params`` adds ``n``, ``p`` and ``seeds``.
    """
    for attr in ("ratio", "noise", "ridge", "init_variance"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be a LinearRegressionFlow (missing {attr!r})")
    t = check.times("t", t)
    if t.ndim != 1:
        raise ValueError(f"t must be one-dimensional, got shape {t.shape}")
    n = check.positive_int("n", n, minimum=2)
    seeds = seed_list(seeds, rng)
    trains, tests = [], []
    for seed in _progress(seeds, enabled=progress, desc="linear regression"):
        tr, te = linear_regression_run(model.ratio, model.noise, model.ridge,
                                       model.init_variance, t, n, np.random.default_rng(seed))
        trains.append(tr)
        tests.append(te)
    train, train_se = mean_and_stderr(np.array(trains))
    test, test_se = mean_and_stderr(np.array(tests))
    params = dict(model.params) if hasattr(model, "params") else {}
    params.update(n=n, p=max(1, round(n / model.ratio)), seeds=len(seeds))
    return LossCurves(t=t, curves={"train": train, "test": test},
                      stderr={"train": train_se, "test": test_se}, source="simulation",
                      params=params)
