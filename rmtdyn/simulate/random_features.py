r"""Finite-size simulation of random-feature gradient flow, ensembles and bagging (exact in time).

For one draw of ``A`` (``N x D``), ``X`` (``P x D``), ``w* ~ N(0, I_D)`` and ``eps ~ N(0, I_P)``
the readout flow ``dw/dt = -(A/sqrt(N)) (1/P) X^T (X beta - sqrt(D) y) - lam w`` (``w(0) = 0``,
``beta = A^T w/sqrt(N)``) is linear with the symmetric parameter-space Hessian
``B B^T``, ``B = A X^T/sqrt(N P)``. From the thin SVD ``B = U S V^T``:

    w(t) = sqrt(D/P) U diag(phi(S^2, t) S) V^T y,   phi(mu, t) = (1 - e^{-(mu + lam) t})/(mu + lam),

exact at every t (no time stepping). ``test = |w* - beta|^2/D`` and
``train = (1/P)|X beta/sqrt(D) - y|^2``.

Ensembles (``simulate_rf_ensemble``): groups share the teacher ``w*`` (uniform on the sphere
``|w*|^2 = D``); within a group the
``members`` learners share the data and labels (``share="data"``: they differ in A), the
features (``share="features"``: bagging, each has its own X and eps) or nothing
(``share="none"``: the bias). Per group the single-member error ``L_1``, the ensemble error
``L_E = |mean_e v_e|^2/D`` and the unbiased U-statistic of the infinite ensemble
``L_inf = sum_{e != f} v_e.v_f / (E (E - 1) D)`` are recorded, then averaged over groups.
"""

from __future__ import annotations

import math

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.simulate.linear_regression import mean_and_stderr, seed_list
from rmtdyn.simulate.progress import progress as progress_bar


def sizes(model, d: int) -> tuple[int, int, int]:
    """``(N, P, D)`` for input dimension ``d``: ``N = round(nu d)``, ``P = round(alpha d)``."""
    d = check.positive_int("d", d, minimum=2)
    return max(1, round(model.nu * d)), max(1, round(model.alpha * d)), d


def rf_solution(a: np.ndarray, x: np.ndarray, y: np.ndarray, wstar: np.ndarray, t: np.ndarray,
                ridge: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(v(t), train(t))`` of one learner.

    ``y`` (P,) and ``wstar`` (D,) give ``v`` of shape (n_t, D) and ``train`` (n_t,). With
    ``y`` of shape (P, J) and ``wstar`` (D, J) (J teachers at once) ``v`` has shape
    (n_t, J, D) and ``train`` sums the J train losses.
    """
    n, d = a.shape
    p = x.shape[0]
    b = a @ x.T / math.sqrt(n * p)
    u, s, vt = np.linalg.svd(b, full_matrices=False)
    mu = s**2 + ridge
    tt = t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(mu > 0, -np.expm1(-mu * tt) / np.where(mu > 0, mu, 1.0), tt)
    g = u.T @ a / math.sqrt(n)  # beta = sum_k w_k g_k
    proj = s[:, None] * (vt @ y.reshape(p, -1))  # (k, J)
    coef = math.sqrt(d / p) * phi[:, :, None] * proj[None, :, :]  # (n_t, k, J)
    beta = np.einsum("tkj,kd->tjd", coef, g)
    v = wstar.reshape(d, -1).T[None, :, :] - beta
    resid = beta @ x.T / math.sqrt(d) - y.reshape(p, -1).T[None, :, :]
    train = np.sum(resid**2, axis=(1, 2)) / p
    return (v[:, 0, :] if y.ndim == 1 else v), train


def rf_teacher_averaged(a: np.ndarray, x: np.ndarray, noise: float, t: np.ndarray, ridge: float,
                        gen: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(train, test)`` averaged over the teacher ``w* ~ N(0, I_D)`` exactly: the D unit
    teachers ``e_j`` at once, each with its own label noise of variance ``sigma^2/D`` (their
    sum reproduces the signal average plus one noise draw's variance, cross terms mean 0)."""
    d = a.shape[1]
    p = x.shape[0]
    y = x / math.sqrt(d) + (noise / math.sqrt(d)) * gen.standard_normal((p, d))
    v, train = rf_solution(a, x, y, np.eye(d), t, ridge)
    return train, np.sum(v**2, axis=(1, 2)) / d


def _teacher(gen: np.random.Generator, d: int) -> np.ndarray:
    """A teacher uniform on the sphere ``|w*|^2 = D``: every loss is quadratic in ``w*`` and
    rotation invariant, so this equals the Gaussian-teacher average without its norm noise."""
    w = gen.standard_normal(d)
    return w * math.sqrt(d) / np.linalg.norm(w)


def _draw(gen, n, p, d, noise):
    return (gen.standard_normal((n, d)), gen.standard_normal((p, d)),
            noise * gen.standard_normal(p))


def rf_run(model, t: np.ndarray, d: int, gen: np.random.Generator,
           teacher_average: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One replica: ``(train(t), test(t))`` (averaged over the teacher unless told not to)."""
    n, p, d = sizes(model, d)
    if teacher_average:
        a, x, _ = _draw(gen, n, p, d, 0.0)
        return rf_teacher_averaged(a, x, model.noise, t, model.ridge, gen)
    wstar = _teacher(gen, d)
    a, x, e = _draw(gen, n, p, d, model.noise)
    y = x @ wstar / math.sqrt(d) + e
    v, train = rf_solution(a, x, y, wstar, t, model.ridge)
    return train, np.sum(v**2, axis=1) / d


def _over_seeds(model, t, d, seeds, rng, progress, run) -> LossCurves:
    """Mean train/test curves with standard errors of ``run(generator) -> (train, test)``,
    one generator per seed."""
    trains, tests = [], []
    for seed in progress_bar(seed_list(seeds, rng), enabled=progress, desc="seeds"):
        tr, te = run(np.random.default_rng(seed))
        trains.append(tr)
        tests.append(te)
    train, train_se = mean_and_stderr(np.array(trains))
    test, test_se = mean_and_stderr(np.array(tests))
    n, p, d = sizes(model, d)
    return LossCurves(t=t, curves={"train": train, "test": test},
                      stderr={"train": train_se, "test": test_se}, source="simulation",
                      params=dict(model.params, n=n, p=p, d=d, seeds=len(trains)))


def simulate_random_features(model, t, d: int = 500, seeds=4, rng=None,
                             teacher_average: bool = True, progress: bool = False) -> LossCurves:
    """Monte Carlo of ``model`` (``RandomFeatureFlow``) at input dimension ``d``: mean
    ``train``/``test`` over seeds with standard errors (``LossCurves``, source simulation).

    ``teacher_average`` averages each replica exactly over the teacher (variance reduction;
    see ``rf_teacher_averaged``); otherwise one ``w* ~ N(0, I_D)`` per replica. A model with a
    nonlinear activation is passed on to ``simulate_rf_nonlinear``."""
    if getattr(model, "activation_function", None) is not None:
        return simulate_rf_nonlinear(model, t, d=d, seeds=seeds, rng=rng, progress=progress)
    t = check.times("t", t)
    if t.ndim != 1:
        raise ValueError("t must be one-dimensional")
    return _over_seeds(model, t, d, seeds, rng, progress,
                       lambda gen: rf_run(model, t, d, gen, teacher_average))


def simulate_rf_ensemble(model, t, members: int = 20, share: str = "data", d: int = 300,
                         groups: int = 4, rng=None,
                          progress: bool = False) -> LossCurves:
    """Ensemble Monte Carlo: curves ``single`` (L_1), ``ensemble`` (L_E) and ``infinite``
    (U-statistic estimate of L_inf), averaged over ``groups`` teachers, with standard errors.

    ``share`` is ``"data"`` (ensembling over features), ``"features"`` (bagging) or ``"none"``
    (independent learners: ``infinite`` estimates the bias).
    """
    if share not in ("data", "features", "none"):
        raise ValueError(f"share must be 'data', 'features' or 'none', got {share!r}")
    t = check.times("t", t)
    if t.ndim != 1:
        raise ValueError("t must be one-dimensional")
    members = check.positive_int("members", members, minimum=2)
    n, p, d = sizes(model, d)
    single, ens, inf = [], [], []
    for seed in progress_bar(seed_list(groups, rng), enabled=progress, desc="seeds"):
        gen = np.random.default_rng(seed)
        wstar = _teacher(gen, d)
        a0, x0, e0 = _draw(gen, n, p, d, model.noise)
        total = np.zeros((t.size, d))
        sq = np.zeros(t.size)
        for _ in range(members):
            a, x, e = _draw(gen, n, p, d, model.noise)
            if share == "data":
                x, e = x0, e0
            elif share == "features":
                a = a0
            y = x @ wstar / math.sqrt(d) + e
            v, _ = rf_solution(a, x, y, wstar, t, model.ridge)
            total += v
            sq += np.sum(v**2, axis=1)
        single.append(sq / (members * d))
        ens.append(np.sum(total**2, axis=1) / (members**2 * d))
        inf.append((np.sum(total**2, axis=1) - sq) / (members * (members - 1) * d))
    curves, errs = {}, {}
    for name, data in (("single", single), ("ensemble", ens), ("infinite", inf)):
        curves[name], errs[name] = mean_and_stderr(np.array(data))
    return LossCurves(t=t, curves=curves, stderr=errs, source="simulation",
                      params=dict(model.params, n=n, p=p, d=d, members=members, share=share,
                                  groups=groups))


# ---------------------------------------------------------------- nonlinear features
HERMITE_ORDER = 10  #: terms of the Mehler series for the feature covariance (|rho| ~ 1/sqrt(D))


def _hermite_coefficients(func, q: np.ndarray, order: int) -> np.ndarray:
    """``h_n(q_i) = E[f(sqrt(q_i) g) He_n(g)] / sqrt(n!)`` for n = 0..order (shape (order+1, N)),
    by half-range Gauss-Hermite quadrature (``rmtdyn.spectra.activations``)."""
    from rmtdyn.spectra.activations import half_range_hermite_rule

    x, w = half_range_hermite_rule()
    nodes = np.concatenate((x, -x))
    weights = np.concatenate((w, w)) / math.sqrt(2 * math.pi)
    vals = np.asarray(func(np.sqrt(q)[:, None] * nodes[None, :]), dtype=float)  # (N, K)
    he = np.empty((order + 1, nodes.size))
    he[0] = 1.0
    if order >= 1:
        he[1] = nodes
    for n in range(1, order):
        he[n + 1] = nodes * he[n] - n * he[n - 1]
    norms = np.sqrt([math.factorial(n) for n in range(order + 1)])
    return (he * weights[None, :]) @ vals.T / norms[:, None]


def rf_nonlinear_run(model, t: np.ndarray, d: int, gen: np.random.Generator,
                     order: int = HERMITE_ORDER) -> tuple[np.ndarray, np.ndarray]:
    """One replica of the nonlinear RF flow with the real activation: ``(train(t), test(t))``.

    Features ``phi_i(psi) = f(a_i.psi/sqrt(D)) - E f(sqrt(q_i) g)`` (``q_i = |a_i|^2/D``: each
    feature is centred by its exact mean). The readout flow ``du/dt = -(D/N)(1/P) Phi^T (Phi u - y)
    - lam u`` (``u = w/sqrt(N)``, ``u(0) = 0``) is solved exactly from the SVD of ``Phi``. The test
    error is exact for the drawn A (no test sample): with ``K = E phi phi^T`` and
    ``C = E phi psi^T/sqrt(D)``, ``E (u.phi - w*.psi/sqrt(D))^2`` averaged over the teacher is
    ``tr(U^T K U) - 2 tr(U^T C) + 1``. ``C_i = a_i E f'(sqrt(q_i) g)/D`` (Stein) and ``K`` from the
    Mehler series ``K_ij = sum_n h_n(q_i) h_n(q_j) rho_ij^n`` (``rho_ij``: cosine of ``a_i, a_j``;
    ``|rho| ~ 1/sqrt(D)``, so ``order`` = 10 terms leave ~1e-7) with the exact diagonal
    ``Var f(sqrt(q_i) g)``. The teacher average is exact (D unit teachers, as in
    ``rf_teacher_averaged``).
    """
    n, p, d = sizes(model, d)
    func = model.activation_function
    a = gen.standard_normal((n, d))
    x = gen.standard_normal((p, d))
    q = np.sum(a * a, axis=1) / d
    coef = _hermite_coefficients(func, q, order)
    pre = x @ a.T / math.sqrt(d)
    phi = np.asarray(func(pre), dtype=float) - coef[0][None, :]
    y = x / math.sqrt(d) + (model.noise / math.sqrt(d)) * gen.standard_normal((p, d))
    # feature covariance and cross-covariance with the target
    unit = a / np.sqrt(np.sum(a * a, axis=1))[:, None]
    rho = unit @ unit.T
    kmat = np.zeros((n, n))
    power = np.ones((n, n))
    for k in range(1, order + 1):
        power = power * rho
        kmat += np.outer(coef[k], coef[k]) * power
    second = _hermite_coefficients(lambda z: np.asarray(func(z), dtype=float) ** 2, q, 0)[0]
    np.fill_diagonal(kmat, second - coef[0] ** 2)
    cmat = (coef[1] / np.sqrt(q))[:, None] * a / d  # E f'(sqrt(q) g) = h_1/sqrt(q)
    # exact flow from the SVD of Phi
    uu, s, vt = np.linalg.svd(phi, full_matrices=False)
    rate = s**2 / (model.nu * p) + model.ridge  # Hessian eigenvalues (D/N) s^2/P + lam
    tt = t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(rate > 0, -np.expm1(-rate * tt) / np.where(rate > 0, rate, 1.0), tt)
    c = g * (s / (model.nu * p))[None, :]  # u(t) = V diag(c) Z
    z = uu.T @ y  # (k, D)
    kv = vt @ kmat @ vt.T
    zz = z @ z.T
    quad = np.einsum("tk,kl,tl->t", c, kv * zz, c)
    lin = c @ np.einsum("kd,kd->k", vt @ cmat, z)
    test = quad - 2 * lin + 1.0
    zn = np.sum(z * z, axis=1)
    train = (np.sum((s**2 * zn)[None, :] * c**2, axis=1) - 2 * c @ (s * zn)
             + np.sum(y * y)) / p
    return train, test


def simulate_rf_nonlinear(model, t, d: int = 400, seeds=4, rng=None,
                          progress: bool = False) -> LossCurves:
    """Monte Carlo of a nonlinear ``RandomFeatureFlow`` with its real activation (not the
    Gaussian-equivalent model): mean ``train``/``test`` over seeds with standard errors."""
    if model.activation_function is None:
        raise ValueError("model.activation is linear; use simulate_random_features")
    t = check.times("t", t)
    if t.ndim != 1:
        raise ValueError("t must be one-dimensional")
    return _over_seeds(model, t, d, seeds, rng, progress,
                       lambda gen: rf_nonlinear_run(model, t, d, gen))
