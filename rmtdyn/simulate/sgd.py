r"""Finite-size simulations of online and multi-pass minibatch SGD (seeded, with standard errors).

``simulate_online_sgd`` runs ``replicas`` independent SGD trajectories at once (vectorised over
replicas) on Gaussian data ``x = sqrt(Lambda) z`` with teacher ``w*_i ~ N(0, target_i)`` and
measures the exact population loss ``(w - w*)^T Lambda (w - w*) + sigma^2`` of each trajectory.

``simulate_multipass_sgd`` draws, per seed, ``X`` (``P x N``), ``beta*``, ``xi`` and runs
``w <- w - (eta/B) X_S^T (X_S w - sqrt(N) y_S)`` with batches drawn without replacement,
recording ``train = (1/P)|X w/sqrt(N) - y|^2`` and ``test = |w - beta*|^2/N``.

``simulate_rf_multipass_sgd`` does the same for the linear random-feature model: per seed
``A`` (``N x D``), ``X`` (``P x D``), features ``Phi = X A^T/sqrt(D)``, and ``teachers``
teachers sharing the batch sequence (each ``w*`` uniform on the sphere ``|w*|^2 = D``, own label
noise); ``u = w/sqrt(N)`` follows ``u <- u - eta (D/N)(1/B) Phi_S^T (Phi_S u - y_S)``,
``train = (1/P)|Phi u - y|^2``, ``test = |w* - A^T u|^2/D`` (averaged over the teachers).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.learning.sgd import MultiPassSGD, OnlineSGD, RandomFeatureMultiPassSGD, _steps
from rmtdyn.simulate.linear_regression import mean_and_stderr, seed_list
from rmtdyn.simulate.progress import progress as progress_bar


def simulate_online_sgd(model: OnlineSGD, steps, replicas: int = 200, rng=None) -> LossCurves:
    """Monte Carlo of ``model`` (an ``OnlineSGD``): mean population loss over ``replicas`` runs.

    Returns ``LossCurves`` (``source="simulation"``) with ``test`` and ``excess`` and their
    standard errors over replicas.
    """
    if not isinstance(model, OnlineSGD):
        raise TypeError("model must be an OnlineSGD")
    steps = _steps("steps", steps)
    replicas = check.positive_int("replicas", replicas, minimum=2)
    gen = check.rng(rng)
    lam, eta, b, sigma = model.eigenvalues, model.lr, model.batch, model.noise
    root = np.sqrt(lam)
    wstar = gen.standard_normal((replicas, lam.size)) * np.sqrt(model.target)
    v = -wstar  # v = w - w*, w(0) = 0
    out = np.empty((steps.size, replicas))
    order = np.argsort(steps)
    k = 0
    for idx in order:
        while k < steps[idx]:
            x = gen.standard_normal((replicas, b, lam.size)) * root
            resid = np.einsum("rbi,ri->rb", x, v) - sigma * gen.standard_normal((replicas, b))
            v = v - (eta / b) * np.einsum("rb,rbi->ri", resid, x)
            k += 1
        out[idx] = (v * v) @ lam
    excess, se = mean_and_stderr(out.T)
    return LossCurves(t=steps.astype(float),
                      curves={"test": excess + sigma**2, "excess": excess},
                      stderr={"test": se, "excess": se}, source="simulation",
                      params=dict(model.params, replicas=replicas, time="steps"))


def multipass_sgd_run(model: MultiPassSGD, steps: np.ndarray, n: int,
                      gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One replica of multi-pass SGD: ``(train, test)`` at the requested steps."""
    p = model.samples
    x = gen.standard_normal((p, n))
    beta = gen.standard_normal(n)
    y = x @ beta / math.sqrt(n) + model.noise * gen.standard_normal(p)
    w = np.zeros(n)
    eta, b = model.lr, model.batch
    train = np.empty(steps.size)
    test = np.empty(steps.size)
    order = np.argsort(steps)
    k = 0
    sq = math.sqrt(n)
    for idx in order:
        while k < steps[idx]:
            batch = gen.choice(p, size=b, replace=False) if b < p else slice(None)
            xs = x[batch]
            w -= (eta / b) * (xs.T @ (xs @ w - sq * y[batch]))
            k += 1
        r = x @ w / sq - y
        train[idx] = r @ r / p
        d = w - beta
        test[idx] = d @ d / n
    return train, test


def simulate_multipass_sgd(model: MultiPassSGD, steps, seeds: int | Sequence[int] = 8,
                           rng=None,
                           progress: bool = False) -> LossCurves:
    """Monte Carlo of ``model`` (a ``MultiPassSGD``) at ``P = model.samples``,
    ``N = round(ratio * P)``: mean ``train``/``test`` over seeds with standard errors."""
    if not isinstance(model, MultiPassSGD):
        raise TypeError("model must be a MultiPassSGD")
    steps = _steps("steps", steps)
    n = max(2, round(model.ratio * model.samples))
    trains, tests = [], []
    for seed in progress_bar(seed_list(seeds, rng), enabled=progress, desc="seeds"):
        tr, te = multipass_sgd_run(model, steps, n, np.random.default_rng(seed))
        trains.append(tr)
        tests.append(te)
    train, train_se = mean_and_stderr(np.array(trains))
    test, test_se = mean_and_stderr(np.array(tests))
    return LossCurves(t=steps.astype(float), curves={"train": train, "test": test},
                      stderr={"train": train_se, "test": test_se}, source="simulation",
                      params=dict(model.params, n=n, seeds=len(trains), time="steps"))


def rf_multipass_sgd_run(model: RandomFeatureMultiPassSGD, steps: np.ndarray, d: int,
                         teachers: int, gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One replica of multi-pass SGD on the RF model: ``(train, test)`` at the requested steps."""
    p = model.samples
    n = max(1, round(model.nu * d))
    a = gen.standard_normal((n, d))
    x = gen.standard_normal((p, d))
    phi = x @ a.T / math.sqrt(d)
    w = gen.standard_normal((d, teachers))
    w *= math.sqrt(d) / np.linalg.norm(w, axis=0)
    y = x @ w / math.sqrt(d) + model.noise * gen.standard_normal((p, teachers))
    u = np.zeros((n, teachers))
    rate = model.lr * d / (n * model.batch)
    train = np.empty(steps.size)
    test = np.empty(steps.size)
    order = np.argsort(steps)
    k = 0
    for idx in order:
        while k < steps[idx]:
            batch = gen.choice(p, size=model.batch, replace=False)
            fb = phi[batch]
            u -= rate * (fb.T @ (fb @ u - y[batch]))
            k += 1
        train[idx] = np.sum((phi @ u - y) ** 2) / (p * teachers)
        test[idx] = np.sum((w - a.T @ u) ** 2) / (d * teachers)
    return train, test


def simulate_rf_multipass_sgd(model: RandomFeatureMultiPassSGD, steps, seeds=8, teachers: int = 4,
                              rng=None,
                           progress: bool = False) -> LossCurves:
    """Monte Carlo of ``model`` (a ``RandomFeatureMultiPassSGD``) at ``P = model.samples``,
    ``D = round(P/alpha)``, ``N = round(nu D)``: mean ``train``/``test`` over seeds (each the
    average over ``teachers`` teachers) with standard errors over seeds."""
    if not isinstance(model, RandomFeatureMultiPassSGD):
        raise TypeError("model must be a RandomFeatureMultiPassSGD")
    steps = _steps("steps", steps)
    teachers = check.positive_int("teachers", teachers)
    d = max(2, round(model.samples / model.alpha))
    trains, tests = [], []
    for seed in progress_bar(seed_list(seeds, rng), enabled=progress, desc="seeds"):
        tr, te = rf_multipass_sgd_run(model, steps, d, teachers, np.random.default_rng(seed))
        trains.append(tr)
        tests.append(te)
    train, train_se = mean_and_stderr(np.array(trains))
    test, test_se = mean_and_stderr(np.array(tests))
    return LossCurves(t=steps.astype(float), curves={"train": train, "test": test},
                      stderr={"train": train_se, "test": test_se}, source="simulation",
                      params=dict(model.params, d=d, n=max(1, round(model.nu * d)),
                                  seeds=len(trains), teachers=teachers, time="steps"))
