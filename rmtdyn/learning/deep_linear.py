"""Deep linear networks in the feature-learning regime: a two-time DMFT.

Model (``conventions.md``): X (P×D) iid N(0,1), teacher β* ~ N(0, I_D),
``y = β*·x/√D + σε``; L hidden layers of width N, ``h_1 = W_0 x/√D``,
``h_{l+1} = W_l h_l/√N``, ``f(x) = w·h_L/(γ0√N)``, hidden weights iid N(0,1),
``w(0) = 0``, gradient flow ``dθ/dt = -γ0² D ∇_θ L̂``.  alpha = P/D, nu = N/D,
richness = γ0.  ``train_loss = (1/P)Σ(f-y)²``, ``test_error = |β - β*|²/D``.

Derivation (exact in the proportional limit; see docs/deep_linear.md)
--------------------------------------------------------------------
Write ``q = w/γ0``, ``M_l = W_l/√N``, ``G = -D∇_βL̂ = Σ̂(β* - β) + σ√D Xᵀε/P``.
With the forward signal ``e_1 = W_0 G/√D``, ``e_{l+1} = M_l e_l`` and the
backward vectors ``b_L = q``, ``b_l = M_lᵀ b_{l+1}``, ``β = W_0ᵀ b_1/√N``,
every weight update is rank one: ``dW_0/dt = γ0² b_1 Gᵀ/√N``,
``dM_l/dt = γ0² b_{l+1} e_lᵀ/(√ν N)``, ``dq/dt = e_L/√ν``.  Integrating,
``W(t) = W(0) + spike``, and every product of a spike with a vector is a
two-time overlap, which concentrates:

    e_1(t)     = W_0(0) G(t)/√D   + (γ0²/√ν) ∫_0^t C_G(s,t)     b_1(s) ds
    e_{l+1}(t) = M_l(0) e_l(t)    + (γ0²/√ν) ∫_0^t C_{e_l}(s,t) b_{l+1}(s) ds
    b_l(t)     = M_l(0)ᵀ b_{l+1}(t) + (γ0²/√ν) ∫_0^t C_{b_{l+1}}(s,t) e_l(s) ds
    β(t)       = W_0(0)ᵀ b_1(t)/√N + γ0² ∫_0^t C_{b_1}(s,t) G(s) ds
    b_L(t)     = (1/√ν) ∫_0^t e_L(s) ds,

with ``C_G = G·G/D``, ``C_e = e·e/N``, ``C_b = b·b/N``.  The only random
matrices left are the *initial* Gaussian weights and the data, each coupling
two kinds of sites; the standard cavity argument for a Gaussian matrix Z
(n_o×n_i, variance 1/n_i) with forward map ``y = Z x`` and backward map
``x̃ = κ Zᵀ ỹ`` gives, on the output site, ``y = u + κ R_{x|x̃} ỹ`` with
``u ~ GP(0, C_x)``, and on the input site ``x̃ = ζ + κ(n_o/n_i) R_{ỹ|y} x``
with ``ζ ~ GP(0, κ²(n_o/n_i) C_ỹ)`` (R = response to a field added to the
named variable).  Applied to X (κ = 1/α), W_0 (κ = 1/√ν), M_l (κ = 1) this
gives one linear single-site process per site type (D, P, and one per hidden
layer), solved exactly on a two-time grid by :mod:`rmtdyn.dmft.two_time`.

At γ0 = 0 the spike kernels vanish and the equations are those of the lazy
flow ``dv/dt = -(AᵀA/N) Σ̂ v`` with A the product of the initial layers (the
random-feature flow at depth 1).

Hidden-weight spectra (:meth:`DeepLinearNetwork.hidden_spectrum`): the bulk of
``Ŵ_ℓ(t)ᵀŴ_ℓ(t)`` is the Marchenko–Pastur law of ``Ŵ_ℓ(0)ᵀŴ_ℓ(0)`` (Mirsky's
inequality with ``‖Δ‖_F² = O(1)``); the outliers are exact: the spike is a
finite-rank perturbation on the grid, its outliers are the roots of
``det(I - K M(σ))`` and the resolvent quadratic forms M(σ) of the spike vectors —
which are correlated with the bulk — come from the same cavity equations extended
by "probe" indices (:mod:`rmtdyn.learning.dln_spectrum`).

Discretisation: trapezoidal Nyström on a uniform grid (O(h²));
``error_estimate`` compares steps h and h/2 (Richardson).  Memory O(L n²),
time O(I L n³) for I Picard sweeps (I grows with t_max; measured in
benchmarks/bench_deep_linear.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.dmft.two_time import TwoTimeGrid, richardson, solve_fixed_point
from rmtdyn.learning.curves import LossCurves

#: the largest h·λ_max the solver accepts (λ_max = :func:`rate_bound`).  The
#: trapezoid rule is A-stable, but its amplification factor (1 - hλ/2)/(1 + hλ/2)
#: for the fastest mode tends to -1 as hλ grows (undamped spurious oscillation);
#: at hλ = 8 it is -0.6.
MAX_STEP_RATE = 8.0


def rate_bound(depth: int, alpha: float, nu: float, richness: float) -> float:
    """Bound on the fastest function-space rate (lazy norm bound times (1 + γ0²)).

    The lazy function-space matrix is ``Σ̂^{1/2} (AᵀA/N) Σ̂^{1/2}`` with
    ``A = M_{L-1}⋯M_1 W_0``; its norm is at most
    ``‖Σ̂‖ ‖W_0ᵀW_0/N‖ ‖M_{L-1}⋯M_1‖²`` → ``(1 + 1/√α)² (1 + 1/√ν)² m^m/(m-1)^{m-1}``
    with m = L (the last factor is the edge of the Fuss–Catalan law of a product of
    L-1 square Wisharts; 1 at depth 1).  Feature learning inflates it by (1 + γ0²).
    """
    m = depth
    fuss_catalan_edge = 1.0 if m == 1 else m**m / (m - 1) ** (m - 1)
    lazy = (1 + alpha ** -0.5) ** 2 * (1 + nu ** -0.5) ** 2 * fuss_catalan_edge
    return lazy * (1.0 + richness**2)


@dataclass(frozen=True)
class DLNSolution:
    """All two-time functions of the deep-linear DMFT on its grid.

    ``C_v`` (test error on the diagonal), ``C_xi`` (train loss on the
    diagonal), ``C_G``, ``C_e[l]``, ``C_b[l]`` (l = 1..L), ``G_teacher[k] =
    G(t_k)·β*/D``, the grid, the number of sweeps and the final residual.
    """

    grid: TwoTimeGrid
    C_v: np.ndarray
    C_xi: np.ndarray
    C_G: np.ndarray
    C_e: dict
    C_b: dict
    G_teacher: np.ndarray
    iterations: int
    residual: float
    R_Gbeta: np.ndarray | None = None
    R_eb: dict | None = None
    R_be: dict | None = None


class DeepLinearNetwork:
    """Asymptotic train and test loss of a deep linear network (two-time DMFT).

    Parameters
    ----------
    depth : int >= 1
        Number of hidden layers L.
    alpha : float > 0
        Samples per input dimension, P/D.
    nu : float > 0
        Hidden width per input dimension, N/D.
    richness : float >= 0
        γ0; 0 is the lazy (random-feature) limit.
    noise : float >= 0
        Label-noise standard deviation σ.
    n_steps : int
        Default number of time steps of the two-time grid.

    Examples
    --------
    >>> import numpy as np, rmtdyn as rd
    >>> net = rd.DeepLinearNetwork(depth=2, alpha=2.0, nu=1.0, richness=1.0)
    >>> curves = net.curves(np.linspace(0, 4, 5))
    >>> float(curves["test"][0])
    1.0
    """

    def __init__(self, depth: int, alpha: float, nu: float, richness: float,
                 noise: float = 0.0, n_steps: int = 200):
        self.depth = check.positive_int("depth", depth)
        self.alpha = check.positive("alpha", alpha)
        self.nu = check.positive("nu", nu)
        self.richness = check.nonnegative("richness", richness)
        self.noise = check.nonnegative("noise", noise)
        self.n_steps = check.positive_int("n_steps", n_steps, minimum=2)
        self._cache: dict = {}

    def __repr__(self) -> str:
        return (f"DeepLinearNetwork(depth={self.depth}, alpha={self.alpha}, nu={self.nu}, "
                f"richness={self.richness}, noise={self.noise})")

    @property
    def params(self) -> dict:
        return {"depth": self.depth, "alpha": self.alpha, "nu": self.nu,
                "richness": self.richness, "noise": self.noise}

    # ------------------------------------------------------------------ solver
    def solve(self, t_max: float, n_steps: int | None = None, tol: float = 1e-12) -> DLNSolution:
        """Solve the DMFT on ``[0, t_max]`` with ``n_steps`` trapezoid steps.

        Raises ``ValueError`` when ``h·λ_max > 1`` (``λ_max`` = :func:`rate_bound`):
        such a step cannot resolve the fastest mode, and ``ConvergenceError``
        if the Picard sweeps fail to converge.
        """
        t_max = check.positive("t_max", t_max)
        n_steps = self.n_steps if n_steps is None else check.positive_int("n_steps", n_steps, 2)
        key = (round(t_max, 12), n_steps)
        if key in self._cache:
            return self._cache[key]
        lam = rate_bound(self.depth, self.alpha, self.nu, self.richness)
        h = t_max / n_steps
        if h * lam > MAX_STEP_RATE:
            raise ValueError(
                f"time step h = t_max/n_steps = {h:.3g} is too large for this network: the "
                f"fastest rate is bounded by {lam:.3g}, so h must be <= {MAX_STEP_RATE / lam:.3g} "
                f"(use n_steps >= {int(np.ceil(t_max * lam / MAX_STEP_RATE))})")
        grid = TwoTimeGrid(t_max, n_steps)
        sol = _solve(grid, self.depth, self.alpha, self.nu, self.richness, self.noise, tol)
        self._cache[key] = sol
        return sol

    def _grid_for(self, t) -> tuple[np.ndarray, float]:
        t = check.times("t", t)
        t_max = float(np.max(t)) if t.size else 0.0
        if t_max == 0.0:
            t_max = 1.0
        return t, t_max

    def train_loss(self, t, n_steps: int | None = None) -> np.ndarray:
        """``(1/P) Σ_μ (f(x_μ) - y_μ)²`` at times ``t`` (the diagonal of C_ξ)."""
        t, t_max = self._grid_for(t)
        sol = self.solve(t_max, n_steps)
        return sol.grid.restrict(np.diag(sol.C_xi), t)

    def test_error(self, t, n_steps: int | None = None) -> np.ndarray:
        """``|β(t) - β*|²/D`` at times ``t`` (excess risk; add σ² for the noisy test MSE)."""
        t, t_max = self._grid_for(t)
        sol = self.solve(t_max, n_steps)
        return sol.grid.restrict(np.diag(sol.C_v), t)

    def curves(self, t, n_steps: int | None = None) -> LossCurves:
        """``LossCurves`` with ``"train"`` and ``"test"`` at times ``t``."""
        t = check.times("t", t)
        return LossCurves(t=t, curves={"train": self.train_loss(t, n_steps),
                                       "test": self.test_error(t, n_steps)},
                          source="theory", params=self.params,
                          label=f"DMFT γ0={self.richness:g}")

    def error_estimate(self, t, n_steps: int | None = None) -> dict:
        """Richardson error estimate of the losses at ``t`` (steps h and h/2).

        Returns ``{"train": err, "test": err}`` with ``err = |f_{h/2} - f_h|/3``,
        the estimated discretisation error of the result at step h/2.
        """
        n = self.n_steps if n_steps is None else n_steps
        out = {}
        for name, fn in (("train", self.train_loss), ("test", self.test_error)):
            _, err = richardson(fn(t, n), fn(t, 2 * n))
            out[name] = err
        return out

    # ---------------------------------------------------------------- spectra
    def hidden_spectrum(self, layer: int, t, n_steps: int | None = None, top: int = 3,
                        with_outliers: bool = True) -> dict:
        """Bulk, spike and outliers of the normalised hidden weights ``Ŵ_ℓ(t) = W_ℓ(t)/√N``.

        ``Ŵ_ℓ(t) = Ŵ_ℓ(0) + Δ_ℓ(t)`` with the DMFT spike
        ``Δ_0 = (γ0²/N)∫_0^t b_1 Gᵀ ds`` and ``Δ_ℓ = (γ0²/(√ν N))∫_0^t b_{ℓ+1} e_ℓᵀ ds``
        (Ŵ_0 is N×D, Ŵ_ℓ is N×N for ℓ ≥ 1; Ŵ_ℓ(0) has iid entries of variance 1/N).
        Each t is taken at the nearest point of the DMFT grid on [0, max(t)]
        (``n_steps`` steps).  Returned keys (arrays have a leading axis over t):

        * ``"bulk"``: the law of the eigenvalues of ``Ŵ_ℓ(t)ᵀŴ_ℓ(t)``, a
          :class:`rmtdyn.MarchenkoPastur` of ratio λ = 1/ν for ℓ = 0 (D×D) and 1 for
          ℓ ≥ 1 (N×N) — the law of ``Ŵ_ℓ(0)ᵀŴ_ℓ(0)``, unchanged by training.  Proof:
          by Mirsky's inequality ``Σ_i (σ_i(Ŵ0 + Δ) - σ_i(Ŵ0))² ≤ ‖Δ‖_F²`` and
          ``‖Δ‖_F² = O(1)`` (``"spike_frobenius"``), so the empirical singular-value
          laws of Ŵ(t) and Ŵ(0) are within Wasserstein-2 distance ``‖Δ‖_F/√n_i → 0``
          (n_i = D or N).  Only O(1) eigenvalues (the outliers) can leave the bulk.
        * ``"edge"``: the bulk's upper edge (1 + √λ)².
        * ``"spike_singular_values"``: shape ``(len(t), top)``, the largest singular
          values of Δ_ℓ(t) (the eigenvalues of ``(γ0⁴/ν) W C_in W C_out`` on [0, t],
          W the trapezoid weights, C_in = C_G or C_{e_ℓ}, C_out = C_{b_{ℓ+1}}).
        * ``"spike_frobenius"``: shape ``(len(t),)``,
          ``‖Δ_ℓ(t)‖_F² = (γ0⁴/ν) ∫_0^t∫_0^t C_in(s, s') C_out(s, s') ds ds'``.
        * ``"spike_overlap"``: shape ``(len(t),)``: for ℓ = 0 the squared cosine
          between the top right singular vector of Δ_0(t) and the teacher β*; for
          ℓ ≥ 1 between the top left singular vector of Δ_ℓ(t) and the readout
          direction ``b_{ℓ+1}(t)`` of the layer above (``q = w/γ0`` for the last
          layer).  NaN where the spike vanishes.

        With ``with_outliers=True`` (default), also, from the exact proportional-limit
        theory of :mod:`rmtdyn.learning.dln_spectrum` (spike vectors correlated with
        the bulk; resolvent quadratic forms from the DMFT extended by probe indices):

        * ``"outliers"``: shape ``(len(t), top)``, the eigenvalues of
          ``Ŵ_ℓ(t)ᵀŴ_ℓ(t)`` above the bulk edge, descending; **NaN means "no j-th
          outlier"** (fewer than j eigenvalues leave the bulk).
        * ``"n_outliers"``: shape ``(len(t),)``, the number of outliers (may exceed
          ``top``).
        * ``"outlier_overlap"``: shape ``(len(t), top)``, the squared cosine between
          the outlier's singular vector and the direction of ``"spike_overlap"``
          (right vector vs β* for ℓ = 0, left vector vs b_{ℓ+1}(t) for ℓ ≥ 1); NaN
          where there is no outlier.  (Without an outlier the top singular vector is
          delocalised and this overlap tends to 0.)
        * ``"outliers_independent"``: the former approximation, the
          Benaych-Georges–Nadakuditi outliers ``(1 + θ²)(λ + θ²)/θ²`` (θ > λ^{1/4}) of
          a spike *independent* of the bulk with the same singular values θ.  Kept for
          comparison only: it is wrong here (0.05-0.5 too low or 0.15-0.6 too high,
          and it misses or invents outliers; docs/deep_linear.md).

        Raises ``ValueError`` for a bad ``layer``/``t``/``top`` and
        :class:`rmtdyn.errors.ConvergenceError` if an outlier cannot be located.
        """
        from rmtdyn.learning import dln_spectrum as spec
        from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
            raise TypeError(f"layer must be an integer, got {type(layer).__name__}")
        if not 0 <= layer < self.depth:
            raise ValueError(f"layer must be in 0..depth-1 = 0..{self.depth - 1}, got {layer}")
        top = check.positive_int("top", top)
        if not isinstance(with_outliers, bool):
            raise TypeError(f"with_outliers must be True or False, got {with_outliers!r}")
        t = np.atleast_1d(check.times("t", t))
        if t.ndim != 1:
            raise ValueError("t must be a scalar or a one-dimensional array of times")
        _, t_max = self._grid_for(t)
        sol = self.solve(t_max, n_steps)
        grid = sol.grid
        ratio = 1 / self.nu if layer == 0 else 1.0
        svals = np.zeros((t.size, top))
        overlap = np.full(t.size, np.nan)
        fro2 = np.zeros(t.size)
        outl = np.full((t.size, top), np.nan)
        count = np.zeros(t.size, dtype=int)
        out_overlap = np.full((t.size, top), np.nan)
        for i, ti in enumerate(t):
            k = int(round(ti / grid.h))
            if k == 0:
                continue
            data = spec.layer_spike_data(sol, layer, k, self.richness, self.nu)
            fro2[i] = data.frobenius2()
            sv, overlap[i] = _spike_svd(data, sol, layer, k, top)
            svals[i] = sv
            if with_outliers and fro2[i] > 0:
                res = spec.layer_outliers(data, top=top)
                outl[i], count[i], out_overlap[i] = res.eigenvalues, res.count, res.overlap
        out = {"bulk": MarchenkoPastur(ratio=ratio), "edge": (1 + np.sqrt(ratio)) ** 2, "t": t,
               "spike_singular_values": svals, "spike_overlap": overlap,
               "spike_frobenius": fro2}
        if with_outliers:
            out.update({"outliers": outl, "n_outliers": count, "outlier_overlap": out_overlap,
                        "outliers_independent": spec.independent_spike_outliers(svals, ratio)})
        return out


def _spike_svd(data, sol, layer: int, k: int, top: int) -> tuple[np.ndarray, float]:
    """Top singular values of the spike and the overlap of its top singular vector.

    The spike is ``Σ_j (b_j/√n_o) Ω_j (x_j/√n_i)ᵀ``; its squared singular values are
    the eigenvalues of ``Ω C_in Ω C_out`` (Gram matrices C of the vectors).
    """
    om = data.omega
    c_in, c_out = data.C_in, data.C_out
    wc_in = om[:, None] * c_in * om[None, :]
    wc_out = om[:, None] * c_out * om[None, :]
    ev = np.linalg.eigvals(wc_in @ c_out).real
    ev = np.sort(np.clip(ev, 0.0, None))[::-1][:top]
    svals = np.zeros(top)
    svals[: ev.size] = np.sqrt(ev)
    if ev[0] <= 0:
        return svals, float("nan")
    if layer == 0:
        # right singular vector u = Σ_j a_j G(s_j): a is the top eigenvector of
        # Ω C_b Ω C_G; cos²(u, β*) = (aᵀm)²/(aᵀ C_G a), m_j = G(s_j)·β*/D
        vals, vecs = np.linalg.eig(wc_out @ c_in)
        a = vecs[:, np.argmax(vals.real)].real
        m = sol.G_teacher[: k + 1]
        return svals, float((a @ m) ** 2 / (a @ c_in @ a))
    # left singular vector u = Σ_j a_j b_{l+1}(s_j): a is the top eigenvector
    # of Ω C_e Ω C_b; cos²(u, b_{l+1}(t)) = (aᵀC_b[:, t])²/(aᵀC_b a · C_b(t, t))
    vals, vecs = np.linalg.eig(wc_in @ c_out)
    a = vecs[:, np.argmax(vals.real)].real
    return svals, float((a @ c_out[:, k]) ** 2 / ((a @ c_out @ a) * c_out[k, k]))


# ============================================================== the equations
def _solve(grid: TwoTimeGrid, depth: int, alpha: float, nu: float, g0: float, sigma: float,
           tol: float) -> DLNSolution:
    n = grid.n
    eye, one, jmat = grid.identity, grid.ones, grid.integration
    kop = grid.integral_operator
    g2 = g0**2
    sq_nu = np.sqrt(nu)
    zero = np.zeros((n, n))

    def spike(c):
        """Operator f ↦ ∫_0^t C(s, t) f(s) ds (C symmetric here)."""
        return kop(c.T)

    state = {"Rgb": zero, "Rvg": zero, "C_G": zero, "C_v": np.outer(one, one)}
    for l in range(1, depth + 1):
        state[f"Reb{l}"] = zero
        state[f"Rbe{l}"] = zero
        state[f"Ce{l}"] = zero
        state[f"Cb{l}"] = zero

    def update(s):
        new = {}
        # ---- P-site (samples): ξ̃ = u + σε + (1/α) R_{v|G} ξ̃
        a_op = grid.causal_inverse(eye - s["Rvg"] / alpha)
        c_xi = a_op @ (s["C_v"] + sigma**2) @ a_op.T
        new["C_xi"] = c_xi
        # ---- hidden-layer sites, l = L..1 (backward information first)
        for l in range(depth, 0, -1):
            if l == 1:
                phi = s["Rgb"] / sq_nu + g2 / sq_nu * spike(s["C_G"])
                c_u = s["C_G"]
            else:
                phi = s[f"Reb{l - 1}"] + g2 / sq_nu * spike(s[f"Ce{l - 1}"])
                c_u = s[f"Ce{l - 1}"]
            if l == depth:
                psi = jmat / sq_nu
                c_z = zero
            else:
                psi = new[f"Rbe{l + 1}"] + g2 / sq_nu * spike(new[f"Cb{l + 1}"])
                c_z = new[f"Cb{l + 1}"]
            s_op = grid.causal_inverse(eye - phi @ psi)
            new[f"Reb{l}"] = s_op @ phi
            new[f"Rbe{l}"] = psi @ s_op
            new[f"Ce{l}"] = s_op @ (c_u + phi @ c_z @ phi.T) @ s_op.T
            mix = eye + psi @ s_op @ phi
            new[f"Cb{l}"] = psi @ s_op @ c_u @ s_op.T @ psi.T + mix @ c_z @ mix.T
        # ---- D-site (input dimensions)
        psi0 = sq_nu * new["Rbe1"] + g2 * spike(new["Cb1"])
        c_z0 = new["Cb1"]
        c_zx = c_xi / alpha
        u_op = grid.causal_inverse(eye + a_op @ psi0)
        ua = u_op @ a_op
        new["Rgb"] = -ua
        new["Rvg"] = -psi0 @ u_op
        g_star = ua @ one
        new["G_teacher"] = g_star
        new["C_G"] = np.outer(g_star, g_star) + u_op @ c_zx @ u_op.T + ua @ c_z0 @ ua.T
        v_star = one - psi0 @ g_star
        pu = psi0 @ u_op
        beta_z0 = eye - psi0 @ ua
        new["C_v"] = np.outer(v_star, v_star) + pu @ c_zx @ pu.T + beta_z0 @ c_z0 @ beta_z0.T
        return new

    # seed the state with one sweep so that every key exists
    state.update(update(state))
    result = solve_fixed_point(update, state, tol=tol, max_iter=5000)
    st = result.state
    return DLNSolution(grid=grid, C_v=st["C_v"], C_xi=st["C_xi"], C_G=st["C_G"],
                       C_e={l: st[f"Ce{l}"] for l in range(1, depth + 1)},
                       C_b={l: st[f"Cb{l}"] for l in range(1, depth + 1)},
                       G_teacher=st["G_teacher"],
                       iterations=result.iterations, residual=result.residual,
                       R_Gbeta=st["Rgb"],
                       R_eb={l: st[f"Reb{l}"] for l in range(1, depth + 1)},
                       R_be={l: st[f"Rbe{l}"] for l in range(1, depth + 1)})
