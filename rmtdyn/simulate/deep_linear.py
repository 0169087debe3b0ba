"""Finite-size simulation of a deep linear network trained by gradient flow.

The model (``conventions.md``, "Deep linear network"): data ``X`` (P×D, iid
N(0, 1) rows), teacher ``β* ~ N(0, I_D)``, labels ``y = X β*/√D + σ ε``;
``depth = L`` hidden layers of width N,
``h_1 = W_0 x/√D``, ``h_{l+1} = W_l h_l/√N``, ``f(x) = w·h_L/(γ0 √N)``, hidden
weights iid N(0, 1), readout ``w(0) = 0``, gradient flow
``dθ/dt = -γ0² D ∇_θ L̂`` with ``L̂ = (1/(2P)) Σ_μ (f(x_μ) - y_μ)²``.

Because the network is linear, ``f(x) = β·x/√D`` with the *effective
regressor* ``β = W_0ᵀ W_1ᵀ ... W_{L-1}ᵀ w / (γ0 √N N^{(L-1)/2})``, and the
loss only sees the data through ``Σ̂ = XᵀX/P`` and ``Xᵀy/P``.  The gradient is
therefore computed exactly in D and N dimensions (no loop over samples):
``G = -D ∇_β L̂ = √D Xᵀy/P - Σ̂ β`` and, by the chain rule,

* readout (written as ``q = w/γ0``, an exact reparametrisation that keeps
  γ0 → 0 finite): ``dq/dt = e_L/√ν``,
* ``dW_0/dt = γ0² b_1 Gᵀ/√N``,
* ``dW_l/dt = γ0² √D b_{l+1} e_lᵀ/N``  (l = 1..L-1),

with the forward signal ``e_1 = W_0 G/√D``, ``e_{l+1} = W_l e_l/√N`` and the
backward vectors ``b_L = q``, ``b_l = W_lᵀ b_{l+1}/√N``, so that
``β = W_0ᵀ b_1/√N``.  (A test checks this vector field against finite
differences of ``-γ0² D L̂``.)  All seeds are integrated together (leading
seed axis) with classical RK4 at a fixed step chosen from the largest
curvature; a step beyond RK4's stability region raises ``ValueError``.

Observables: ``train = (1/P) Σ_μ (f(x_μ) - y_μ)²`` and
``test = |β - β*|²/D`` (excess risk), mean and standard error over seeds, and
the spectra of the normalised hidden weights ``Ŵ_ℓ = W_ℓ/√N`` (eigenvalues of
``Ŵ_ℓᵀ Ŵ_ℓ``: D×D for ℓ = 0, N×N for ℓ ≥ 1) at chosen times.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.simulate.progress import progress as progress_bar

#: RK4 is stable for a linear mode of rate λ when λ·dt < 2.785; the automatic
#: step uses λ_max·dt = ``_AUTO_STEP`` (accuracy ~1e-4 per unit time).
_RK4_STABILITY = 2.78
_AUTO_STEP = 0.25


@dataclass(frozen=True)
class DeepLinearSimulation:
    """Result of :func:`simulate_deep_linear`.

    Attributes
    ----------
    curves : LossCurves
        ``"train"`` and ``"test"`` (mean over seeds) with standard errors.
    spectrum_times : ndarray
        The times at which spectra were recorded.
    eigenvalues : dict
        ``eigenvalues[layer]`` has shape ``(n_times, n_seeds, m)``: the sorted
        (descending) eigenvalues of ``Ŵ_ℓᵀŴ_ℓ`` with ``Ŵ_ℓ = W_ℓ/√N``
        (m = D for ℓ = 0, m = N otherwise).
    spike_alignment : dict
        ``spike_alignment[layer]`` has shape ``(n_times, n_seeds)``: the same
        squared cosines as ``alignment`` but for the top singular vector of the
        spike ``W_ℓ(t) - W_ℓ(0)`` (the quantity of
        ``DeepLinearNetwork.hidden_spectrum(...)["spike_overlap"]``); NaN where the
        spike vanishes (t = 0).
    spike_singular_values : dict
        ``spike_singular_values[layer]`` has shape ``(n_times, n_seeds, 3)``: the
        three largest singular values of ``(W_ℓ(t) - W_ℓ(0))/√N``.
    alignment : dict
        ``alignment[layer]`` has shape ``(n_times, n_seeds)``: for ℓ = 0, the
        squared cosine between the top right singular vector of ``W_0`` and
        ``β*``; for ℓ ≥ 1, the squared cosine between the top left singular
        vector of ``W_ℓ`` and the readout direction ``b_{ℓ+1}`` (``w`` for the
        last layer).
    spike_frobenius : dict
        ``spike_frobenius[layer]`` has shape ``(n_times, n_seeds)``: the squared
        Frobenius norm ``‖(W_ℓ(t) - W_ℓ(0))/√N‖_F²`` (the quantity of
        ``DeepLinearNetwork.hidden_spectrum(...)["spike_frobenius"]``).
    vectors : dict
        Only with ``record_vectors=True`` (else empty): ``vectors[layer]`` is a
        dict with ``"x"`` of shape ``(n_times, n_seeds, n_in)`` (the spike's input
        vector: ``G(t)`` for ℓ = 0, ``e_ℓ(t)`` for ℓ ≥ 1; n_in = D or N),
        ``"b"`` of shape ``(n_times, n_seeds, N)`` (``b_{ℓ+1}(t)``) and ``"W0"``
        of shape ``(n_seeds, N, n_in)``, the initial ``Ŵ_ℓ(0) = W_ℓ(0)/√N``, so
        that ``Ŵ_ℓ(t) - Ŵ_ℓ(0) = (γ0²/N) ∫_0^t b xᵀ ds`` for ℓ = 0 and
        ``(γ0²/(√ν N)) ∫_0^t b xᵀ ds`` for ℓ ≥ 1.
    params : dict
        depth, alpha, nu, richness, noise, D, N, P, dt, seeds.
    """

    curves: LossCurves
    spectrum_times: np.ndarray
    eigenvalues: dict = field(default_factory=dict)
    spike_singular_values: dict = field(default_factory=dict)
    spike_alignment: dict = field(default_factory=dict)
    alignment: dict = field(default_factory=dict)
    spike_frobenius: dict = field(default_factory=dict)
    vectors: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


def lazy_rate_bound(depth: int, alpha: float, nu: float) -> float:
    """Upper bound on the largest rate of the lazy function-space flow.

    The lazy kernel is ``Σ̂^{1/2} AᵀA/N Σ̂^{1/2}`` with A the product of the
    initial layers; its norm is at most the product of the Wishart edges:
    ``(1 + 1/√α)² (1 + 1/√ν)² 4^{L-1}``.
    """
    return (1 + alpha ** -0.5) ** 2 * (1 + nu ** -0.5) ** 2 * 4.0 ** (depth - 1)


class _Network:
    """Weights of ``n_seeds`` networks stacked on a leading axis."""

    def __init__(self, depth, richness, sqrt_d, n):
        self.depth = depth
        self.g2 = richness**2
        self.sqrt_d = sqrt_d
        self.n = n
        self.sqrt_n = np.sqrt(n)
        self.nu = n / sqrt_d**2

    def backward(self, w0, hidden, q):
        """b_L = q, b_l = W_lᵀ b_{l+1}/√N; returns [b_1, ..., b_L] and β."""
        bs = [q]
        for wl in reversed(hidden):
            bs.append(np.einsum("sij,si->sj", wl, bs[-1]) / self.sqrt_n)
        bs.reverse()
        beta = np.einsum("sij,si->sj", w0, bs[0]) / self.sqrt_n
        return bs, beta

    def field(self, state, sigma_hat, sqrt_d_c):
        """The gradient-flow vector field (dW_0, [dW_l], dq)."""
        w0, hidden, q = state
        bs, beta = self.backward(w0, hidden, q)
        grad = sqrt_d_c - np.einsum("sij,sj->si", sigma_hat, beta)  # G = -D ∇_β L̂
        es = [np.einsum("sij,sj->si", w0, grad) / self.sqrt_d]
        for wl in hidden:
            es.append(np.einsum("sij,sj->si", wl, es[-1]) / self.sqrt_n)
        dq = es[-1] / np.sqrt(self.nu)
        dw0 = self.g2 / self.sqrt_n * bs[0][:, :, None] * grad[:, None, :]
        dh = [self.g2 * self.sqrt_d / self.n * bs[l + 1][:, :, None] * es[l][:, None, :]
              for l in range(len(hidden))]
        return dw0, dh, dq


def _axpy(state, k, a):
    w0, hidden, q = state
    return (w0 + a * k[0], [h + a * dh for h, dh in zip(hidden, k[1], strict=True)], q + a * k[2])


def simulate_deep_linear(depth: int, alpha: float, nu: float, richness: float,
                         noise: float = 0.0, D: int = 200, t=None, seeds: int = 4,
                         rng=None, dt: float | None = None,
                         spectrum_times=None, record_vectors: bool = False,
                         progress: bool = False) -> DeepLinearSimulation:
    """Simulate the deep linear network of ``conventions.md`` at finite D.

    Parameters
    ----------
    depth : int >= 1
        Number of hidden layers L.
    alpha, nu : float > 0
        Samples per input dimension P/D and width per input dimension N/D.
    richness : float >= 0
        γ0 (0 is the lazy limit, integrated exactly through ``q = w/γ0``).
    noise : float >= 0
        Label-noise standard deviation σ.
    D : int
        Input dimension (P = round(αD), N = round(νD)).
    t : array of non-negative times
        Output grid (default ``linspace(0, 5, 26)``).
    seeds : int
        Number of independent draws (data, teacher, initial weights).
    rng : Generator, int or None
    dt : float, optional
        RK4 step; default ``0.25/λ`` with λ the measured top eigenvalue of the
        lazy function-space matrix at t = 0 times ``(1 + γ0²)`` for the
        feature-learning growth of the kernel.  A step with ``λ·dt > 2.78``
        (outside RK4's stability region) raises ``ValueError``.
    spectrum_times : array, optional
        Times at which to record the hidden-weight spectra (default: none).
    record_vectors : bool
        Also keep, at ``spectrum_times``, the vectors the spikes are built from
        and the initial weights (``DeepLinearSimulation.vectors``), e.g. to
        evaluate resolvent quadratic forms at finite size.
    progress : bool
        Show a progress bar over the RK4 steps (tqdm, on standard error).

    Returns
    -------
    DeepLinearSimulation
        ``curves["train"] = (1/P)Σ(f - y)²`` and ``curves["test"] = |β - β*|²/D``,
        mean and standard error over seeds.
    """
    depth = check.positive_int("depth", depth)
    alpha = check.positive("alpha", alpha)
    nu = check.positive("nu", nu)
    richness = check.nonnegative("richness", richness)
    noise = check.nonnegative("noise", noise)
    D = check.positive_int("D", D, minimum=2)
    seeds = check.positive_int("seeds", seeds)
    gen = check.rng(rng)
    if not isinstance(record_vectors, bool):
        raise TypeError(f"record_vectors must be True or False, got {record_vectors!r}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    t = np.linspace(0.0, 5.0, 26) if t is None else check.times("t", t)
    if t.ndim != 1 or np.any(np.diff(t) <= 0):
        raise ValueError("t must be a strictly increasing one-dimensional array of times")
    spectrum_times = (np.zeros(0) if spectrum_times is None
                      else np.atleast_1d(check.times("spectrum_times", spectrum_times)))
    P = max(1, int(round(alpha * D)))
    N = max(1, int(round(nu * D)))

    # ---- draw data, teacher and initial weights for all seeds at once
    X = gen.standard_normal((seeds, P, D))
    beta_star = gen.standard_normal((seeds, D))
    eps = gen.standard_normal((seeds, P))
    y = np.einsum("spd,sd->sp", X, beta_star) / np.sqrt(D) + noise * eps
    sigma_hat = np.einsum("spi,spj->sij", X, X) / P
    sqrt_d_c = np.sqrt(D) * np.einsum("spd,sp->sd", X, y) / P
    y2 = np.mean(y**2, axis=1)
    del X
    w0 = gen.standard_normal((seeds, N, D))
    hidden = [gen.standard_normal((seeds, N, N)) for _ in range(depth - 1)]
    q = np.zeros((seeds, N))
    net = _Network(depth, richness, np.sqrt(D), N)
    # largest rate of the flow: the top eigenvalue of the lazy function-space
    # matrix (AᵀA/N) Σ̂ at t = 0 (measured), inflated by (1 + γ0²) for the
    # growth of the kernel during feature learning.
    amat = w0 / np.sqrt(N)
    for wl in hidden:
        amat = np.einsum("sij,sjk->sik", wl, amat) / np.sqrt(N)
    kern = np.einsum("sji,sjk->sik", amat, amat)
    lam0 = max(np.max(np.linalg.eigvals(kern[i] @ sigma_hat[i]).real) for i in range(seeds))
    rate = lam0 * (1.0 + richness**2)
    del amat, kern
    if dt is None:
        dt = _AUTO_STEP / rate
    else:
        dt = check.positive("dt", dt)
        if dt * rate > _RK4_STABILITY:
            raise ValueError(
                f"dt = {dt} is outside the RK4 stability region for this network: the "
                f"largest rate is about {rate:.3g}, so dt must be < {_RK4_STABILITY / rate:.3g}")
    state = (w0, hidden, q)
    init = [w0.copy()] + [h.copy() for h in hidden]

    def observe(st):
        _, beta = net.backward(*st)
        quad = np.einsum("si,sij,sj->s", beta, sigma_hat, beta) / D
        train = quad - 2.0 * np.einsum("si,si->s", beta, sqrt_d_c) / D + y2
        test = np.sum((beta - beta_star) ** 2, axis=1) / D
        return train, test

    def spectra(st):
        w0_, hidden_, _ = st
        bs, _ = net.backward(*st)
        out_eig, out_al, out_sp, out_sa, out_fr = {}, {}, {}, {}, {}
        mats = [w0_] + list(hidden_)
        for layer, wmat in enumerate(mats):
            su, ss, svt = np.linalg.svd((wmat - init[layer]) / np.sqrt(N), full_matrices=False)
            out_sp[layer] = ss[:, :3]
            out_fr[layer] = np.sum(ss**2, axis=1)
            sref = beta_star if layer == 0 else bs[layer]
            svec = svt[:, 0, :] if layer == 0 else su[:, :, 0]
            snorm = np.linalg.norm(sref, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):  # NaN where b = 0 (t = 0)
                out_sa[layer] = np.where(ss[:, 0] > 0, np.einsum("si,si->s", svec, sref) ** 2
                                         / np.where(snorm > 0, snorm**2, np.inf), np.nan)
            u, s, vt = np.linalg.svd(wmat / np.sqrt(N), full_matrices=False)
            m = wmat.shape[2]
            eig = np.zeros((seeds, m))
            eig[:, : s.shape[1]] = s**2
            out_eig[layer] = eig
            if layer == 0:
                ref = beta_star
                vec = vt[:, 0, :]
            else:
                ref = bs[layer]  # b_{l+1}; b_L = q is the readout
                vec = u[:, :, 0]
            nref = np.linalg.norm(ref, axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                cos2 = np.einsum("si,si->s", vec, ref) ** 2 / np.where(nref > 0, nref**2, np.inf)
            out_al[layer] = cos2
        return out_eig, out_al, out_sp, out_sa, out_fr

    def spike_vectors(st):
        """Input vectors x_ℓ (G, e_1, ..., e_{L-1}) and output vectors b_{ℓ+1} of the spikes."""
        w0_, hidden_, _ = st
        bs, beta = net.backward(*st)
        grad = sqrt_d_c - np.einsum("sij,sj->si", sigma_hat, beta)
        xs = [grad, np.einsum("sij,sj->si", w0_, grad) / net.sqrt_d]
        for wl in hidden_[:-1]:
            xs.append(np.einsum("sij,sj->si", wl, xs[-1]) / net.sqrt_n)
        return xs[:depth], bs

    events = np.union1d(t, spectrum_times)
    train = np.zeros((t.size, seeds))
    test = np.zeros((t.size, seeds))
    eigs = {layer: np.zeros((spectrum_times.size, seeds, D if layer == 0 else N))
            for layer in range(depth)}
    align = {layer: np.zeros((spectrum_times.size, seeds)) for layer in range(depth)}
    spikes = {layer: np.zeros((spectrum_times.size, seeds, 3)) for layer in range(depth)}
    spike_al = {layer: np.zeros((spectrum_times.size, seeds)) for layer in range(depth)}
    spike_fr = {layer: np.zeros((spectrum_times.size, seeds)) for layer in range(depth)}
    vectors = {}
    if record_vectors:
        for layer in range(depth):
            n_in = D if layer == 0 else N
            vectors[layer] = {"x": np.zeros((spectrum_times.size, seeds, n_in)),
                              "b": np.zeros((spectrum_times.size, seeds, N)),
                              "W0": init[layer] / np.sqrt(N)}
    # the RK4 schedule: for each event time, the number of equal steps that reach it
    schedule, now = [], 0.0
    for target in events:
        n_steps = int(np.ceil((target - now) / dt - 1e-12))
        schedule.append((float(target), n_steps, (target - now) / max(n_steps, 1)))
        now = float(target)
    bar = progress_bar(range(sum(n for _, n, _ in schedule)), enabled=progress,
                       desc="deep linear RK4 steps")
    steps = iter(bar)
    for target, n_steps, h in schedule:
        for _ in range(n_steps):
            next(steps)
            k1 = net.field(state, sigma_hat, sqrt_d_c)
            k2 = net.field(_axpy(state, k1, h / 2), sigma_hat, sqrt_d_c)
            k3 = net.field(_axpy(state, k2, h / 2), sigma_hat, sqrt_d_c)
            k4 = net.field(_axpy(state, k3, h), sigma_hat, sqrt_d_c)
            state = _axpy(state, k1, h / 6)
            state = _axpy(state, k2, h / 3)
            state = _axpy(state, k3, h / 3)
            state = _axpy(state, k4, h / 6)
        if not all(np.all(np.isfinite(a)) for a in (state[0], state[2])):
            raise FloatingPointError("the simulation diverged; reduce dt")
        hit = np.flatnonzero(t == target)
        if hit.size:
            train[hit[0]], test[hit[0]] = observe(state)
        hit = np.flatnonzero(spectrum_times == target)
        if hit.size:
            e, a, sp, sa, fr = spectra(state)
            for layer in range(depth):
                spike_al[layer][hit[0]] = sa[layer]
                spikes[layer][hit[0]] = sp[layer]
                spike_fr[layer][hit[0]] = fr[layer]
                eigs[layer][hit[0]] = e[layer]
                align[layer][hit[0]] = a[layer]
            if record_vectors:
                xs, bs = spike_vectors(state)
                for layer in range(depth):
                    vectors[layer]["x"][hit[0]] = xs[layer]
                    vectors[layer]["b"][hit[0]] = bs[layer]
    if hasattr(bar, "close"):
        bar.close()

    def mean_err(a):
        err = a.std(axis=1, ddof=1) / np.sqrt(seeds) if seeds > 1 else np.zeros(a.shape[0])
        return a.mean(axis=1), err

    tr_m, tr_e = mean_err(train)
    te_m, te_e = mean_err(test)
    params = {"depth": depth, "alpha": alpha, "nu": nu, "richness": richness, "noise": noise,
              "D": D, "N": N, "P": P, "n": D, "seeds": seeds, "dt": float(dt)}
    curves = LossCurves(t=t, curves={"train": tr_m, "test": te_m},
                        stderr={"train": tr_e, "test": te_e}, source="simulation",
                        params=params, label=f"simulation D={D}")
    return DeepLinearSimulation(curves=curves, spectrum_times=spectrum_times,
                                eigenvalues=eigs, spike_singular_values=spikes,
                                spike_alignment=spike_al, alignment=align,
                                spike_frobenius=spike_fr, vectors=vectors, params=params)
