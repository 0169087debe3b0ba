r"""Hidden weights of a deep linear network as spiked random matrices: exact outliers.

A hidden layer of :class:`rmtdyn.DeepLinearNetwork` is, after training for a time t,

    Ŵ(t) = Ŵ(0) + Δ(t),      Δ(t) = Σ_j (b_j/√n_o) Ω_j (x_j/√n_i)ᵀ  (trapezoid rule in s_j),

with Ŵ(0) an n_o×n_i Gaussian matrix of variance 1/n_o (``Ŵ_ℓ = W_ℓ/√N``), b_j = b_{ℓ+1}(s_j)
the backward vector above the layer, x_j the forward vector into it (``G(s_j)`` for ℓ = 0,
``e_ℓ(s_j)`` for ℓ ≥ 1), and ``Ω_j = γ0² w_j/√ν`` (w_j the trapezoid weights of ∫_0^t).
n_o = N, n_i = D (ℓ = 0) or N, and λ = n_i/n_o (1/ν or 1) is the ratio of the
Marchenko–Pastur law of ``Ŵ(0)ᵀŴ(0)``.  The spike vectors depend on Ŵ(0) itself
(``b_1`` is built from ``W_0(0)G``), so the outliers are *not* those of a spike
independent of the bulk.  This module computes them exactly in the proportional limit.

1. Linearisation (exact at finite size).  With ``H0 = [[0, Ŵ0], [Ŵ0ᵀ, 0]]``,
   U = blockdiag(B, X) (columns b_j/√n_o, x_j/√n_i) and K = [[0, Ω], [Ω, 0]],
   ``[[0, Ŵ], [Ŵᵀ, 0]] = H0 + U K Uᵀ``; its positive eigenvalues are the singular
   values of Ŵ.  σ outside the spectrum of H0 is one of them iff
   ``det(I - K M(σ)) = 0`` with ``M(σ) = Uᵀ(σ - H0)⁻¹U``,

       M = [[σ Bᵀ(σ² - Ŵ0Ŵ0ᵀ)⁻¹B,     Bᵀ Ŵ0 (σ² - Ŵ0ᵀŴ0)⁻¹ X],
            [Xᵀ Ŵ0ᵀ(σ² - Ŵ0Ŵ0ᵀ)⁻¹B,   σ Xᵀ(σ² - Ŵ0ᵀŴ0)⁻¹ X]].

   Counting (Haynsworth inertia of ``[[H0 - σ, UD], [DUᵀ, -J]]`` with ``K = DJD``,
   ``D = blockdiag(Ω^{1/2}, Ω^{1/2})``, ``J = [[0, I], [I, 0]]``): for σ above the bulk,

       #{singular values of Ŵ > σ} = #{positive eigenvalues of S(σ)} - m,
       S(σ) = D M(σ) D - J   (2m×2m, symmetric; m = number of grid times).

   M decreases in σ (Loewner order), so every eigenvalue of S(σ) decreases, and the
   j-th outlier σ_j solves ``μ_{m+j}(S(σ_j)) = 0`` (μ sorted descending): one monotone
   scalar root per outlier.  The outliers lie in (√λ₊, √λ₊ + ‖Δ‖_F] by Weyl's inequality.

2. The quadratic forms (exact in the limit: an extension of the DMFT by "probe"
   indices).  M(σ) is made of the inner products of the spike vectors with the
   solutions (p_k; r_k) of ``(σ - H0)(p; r) = source_k``, the sources being (b_j; 0)
   ("A_j") and (0; x_j) ("B_j"): σ p = b_src + Ŵ0 r, σ r = x_src + Ŵ0ᵀ p.  These are
   linear equations driven by the same random matrix as the dynamics, so the cavity
   method of :mod:`rmtdyn.learning.deep_linear` applies on the index set
   "times ∪ probes".  For Ŵ0 (variance 1/n_o) with forward map y = Ŵ0 x and backward map
   x̃ = Ŵ0ᵀ ỹ it gives, on the output sites, ``y = u + λ R_{x|x̃} ỹ``, u ~ GP(0, λ C_x),
   and on the input sites ``x̃ = ζ + R_{ỹ|y} x``, ζ ~ GP(0, C_ỹ).  The probes do not feed
   back into the dynamics, so the extended response operators are block triangular:
   the time–time blocks are the DMFT's own, ``R_in = R_{x|x̃}`` (``R_{G|β}`` for ℓ = 0,
   ``R_{e_ℓ|b_ℓ}`` for ℓ ≥ 1) and ``R_out = R_{b|y}`` (``√ν R_{b_1|e_1}`` for ℓ = 0, the
   field on y = e_1/√ν, and ``R_{b_{ℓ+1}|e_{ℓ+1}}`` for ℓ ≥ 1); the probe–probe blocks
   are diagonal, ``σ - R_{p|y_r} = 1/(σ g_in(σ²))`` =: α_in and ``σ - λ R_{r|x̃_p} =
   1/(σ g_out(σ²))`` =: α_out, with g_in, g_out the Stieltjes transforms of the
   Marchenko–Pastur laws of Ŵ0ᵀŴ0 (ratio λ) and Ŵ0Ŵ0ᵀ.  The probe–time responses
   X = ∂r/∂h_x̃, Y = ∂p/∂h_y (2m×m) solve

       α_in X = S_x + Y R_in,          α_out Y = S_b + λ X R_out,

   (S_x: rows A = 0, rows B_j = R_in[j, :]; S_b: rows A_j = R_out[j, :], rows B = 0), and
   the time–probe correlations ``Cx[t, k] = E[x_t r_k]``, ``Cb[t, k] = E[b_t p_k]`` solve

       α_in Cx = E_x + R_in Cb + C_in Yᵀ,      α_out Cb = E_b + λ R_out Cx + λ C_out Xᵀ,

   (E_x = [0, C_in], E_b = [C_out, 0]; the terms R_in Cb and λ R_out Cx are the
   correlations of the cavity noises ζ, u of the probes with those of the times).
   Then ``M = [[Cb_A, Cb_B/√λ], [√λ Cx_A, Cx_B]]``.  Both triangular systems are solved
   directly (no iteration).  The symmetry M = Mᵀ is not built in — the two off-diagonal
   blocks come from different equations — and is checked by the tests.  With the
   responses set to zero (sources independent of the bulk) M reduces to
   blockdiag(σ g_out C_out, σ g_in C_in), which is the Benaych-Georges–Nadakuditi model.

3. Outlier vectors.  At a root, S d = 0, c = D d is the null vector of I - KM and the
   eigenvector of the linearised matrix is ψ = (σ - H0)⁻¹U c = (u; v)/√2 with
   ``|ψ|² = -cᵀ M'(σ) c``.  Its overlap with a source column is (M c)_k/|ψ|; for the
   teacher β* (ℓ = 0) an extra row ``ℓ_k = E[β* r_k]`` enters, with
   ``α_in E[β* r] = [0, m_G] + Y m_G`` and ``m_G(t) = G(t)·β*/D``.

Everything is discretised on the DMFT's trapezoid grid (O(h²)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_triangular

from rmtdyn.errors import ConvergenceError


@dataclass(frozen=True)
class LayerSpikeData:
    """The DMFT functions that fix the spectrum of one hidden layer (on the grid 0..k).

    ``R_in = R_{x|x̃}`` and ``R_out = R_{b|y}`` are operator matrices (Nyström, with
    weights), ``C_in = C_x`` and ``C_out = C_b`` value matrices, ``ratio`` = λ = n_i/n_o,
    ``omega`` the spike weights Ω_j, ``teacher`` = ``G(s_j)·β*/D`` (layer 0) or None.
    """

    layer: int
    R_in: np.ndarray
    R_out: np.ndarray
    C_in: np.ndarray
    C_out: np.ndarray
    ratio: float
    omega: np.ndarray
    teacher: np.ndarray | None = None

    @property
    def m(self) -> int:
        return self.C_in.shape[0]

    @property
    def edge(self) -> float:
        """Upper edge (1 + √λ)² of the Marchenko–Pastur bulk of Ŵ(0)ᵀŴ(0)."""
        return (1.0 + np.sqrt(self.ratio)) ** 2

    def frobenius2(self) -> float:
        """``‖Δ‖_F² = Σ_ij Ω_i Ω_j C_out(s_i, s_j) C_in(s_i, s_j)`` (trapezoid rule of
        ``(γ0⁴/ν) ∫∫ C_b C_x``)."""
        om = self.omega
        return float(om @ (self.C_out * self.C_in) @ om)


def layer_spike_data(sol, layer: int, k: int, richness: float, nu: float) -> LayerSpikeData:
    """Extract :class:`LayerSpikeData` of ``layer`` at grid time ``t_k`` from a DLNSolution.

    ``sol`` is :meth:`rmtdyn.DeepLinearNetwork.solve`'s result (it carries the responses),
    ``richness`` = γ0 and ``nu`` = N/D of the same network.
    """
    depth = len(sol.C_b)
    if not 0 <= layer < depth:
        raise ValueError(f"layer must be in 0..{depth - 1}, got {layer}")
    if not 0 <= k < sol.grid.n:
        raise ValueError(f"k must be a grid index in 0..{sol.grid.n - 1}, got {k}")
    if sol.R_Gbeta is None:
        raise ValueError("sol must come from DeepLinearNetwork.solve (responses missing)")
    m = k + 1
    if layer == 0:
        r_in, r_out = sol.R_Gbeta, np.sqrt(nu) * sol.R_be[1]
        c_in, c_out, ratio = sol.C_G, sol.C_b[1], 1.0 / nu
        teacher = sol.G_teacher[:m]
    else:
        r_in, r_out = sol.R_eb[layer], sol.R_be[layer + 1]
        c_in, c_out, ratio = sol.C_e[layer], sol.C_b[layer + 1], 1.0
        teacher = None
    w = sol.grid.integration[k, :m]
    return LayerSpikeData(layer=layer, R_in=r_in[:m, :m], R_out=r_out[:m, :m],
                          C_in=c_in[:m, :m], C_out=c_out[:m, :m], ratio=ratio,
                          omega=richness**2 * w / np.sqrt(nu), teacher=teacher)


def mp_resolvent_diagonals(sigma, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """``(σ g_in(σ²), σ g_out(σ²))`` for real σ above the bulk.

    g_in is the Stieltjes transform of Marchenko–Pastur(ratio λ, variance 1) (the law of
    Ŵ0ᵀŴ0), ``g_in(z) = 2/(z - 1 + λ + √((z - λ₋)(z - λ₊)))``, and
    ``g_out(z) = λ g_in(z) + (1 - λ)/z`` that of Ŵ0Ŵ0ᵀ.  These are the normalised traces of
    the diagonal blocks of (σ - H0)⁻¹.
    """
    sigma = np.asarray(sigma, dtype=float)
    z = sigma**2
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    if np.any(sigma <= 0) or np.any(z < hi * (1 - 1e-9)):
        raise ValueError(f"sigma must be positive with sigma² above the bulk edge {hi:g}")
    g_in = 2.0 / (z - 1.0 + ratio + np.sqrt(np.clip((z - lo) * (z - hi), 0.0, None)))
    g_out = ratio * g_in + (1.0 - ratio) / z
    s = np.sqrt(z)
    return s * g_in, s * g_out


class _Forms:
    """M(σ) of one layer, with the σ-independent products precomputed."""

    def __init__(self, data: LayerSpikeData):
        self.d = data
        m = data.m
        self.prod = data.R_out @ data.R_in  # lower triangular (causal)
        self.zero = np.zeros((m, m))
        self.eye = np.eye(m)

    def blocks(self, sigma: float):
        d, lam = self.d, self.d.ratio
        m = d.m
        sg_in, sg_out = mp_resolvent_diagonals(sigma, lam)
        a_in, a_out = 1.0 / float(sg_in), 1.0 / float(sg_out)
        # probe–time responses: X T = S_x + S_b R_in/α_out, T = α_in I - λP/α_out (lower tri.)
        tmat = a_in * self.eye - (lam / a_out) * self.prod
        rhs = np.vstack([self.prod / a_out, d.R_in])  # rows A, B
        x = solve_triangular(tmat, rhs.T, lower=True, trans="T", check_finite=False).T
        s_b = np.vstack([d.R_out, self.zero])
        y = (s_b + lam * x @ d.R_out) / a_out
        # time–probe correlations
        e_x = np.hstack([self.zero, d.C_in])
        e_b = np.hstack([d.C_out, self.zero])
        smat = a_out * self.eye - (lam / a_in) * self.prod
        cx_part = e_x + d.C_in @ y.T
        rhs_b = e_b + lam * d.C_out @ x.T + (lam / a_in) * d.R_out @ cx_part
        cb = solve_triangular(smat, rhs_b, lower=True, check_finite=False)
        cx = (cx_part + d.R_in @ cb) / a_in
        r = np.sqrt(lam)
        mmat = np.block([[cb[:, :m], cb[:, m:] / r], [r * cx[:, :m], cx[:, m:]]])
        return mmat, y, a_in

    def matrix(self, sigma: float) -> np.ndarray:
        return self.blocks(sigma)[0]

    def teacher_row(self, sigma: float) -> np.ndarray:
        """``(0; β*/√n_i)ᵀ(σ - H0)⁻¹ U`` (layer 0): the teacher's quadratic forms."""
        d = self.d
        _, y, a_in = self.blocks(sigma)
        mg = d.teacher
        row = (np.concatenate([np.zeros(d.m), mg]) + y @ mg) / a_in
        row[: d.m] *= np.sqrt(d.ratio)
        return row


def resolvent_forms(data: LayerSpikeData, sigma: float) -> np.ndarray:
    """The 2m×2m matrix ``M(σ) = Uᵀ(σ - H0)⁻¹U`` in the proportional limit (see module doc).

    Rows/columns are ordered (b_0..b_k, x_0..x_k) with U's columns b_j/√n_o and x_j/√n_i.
    """
    sigma = float(sigma)
    if not sigma**2 > data.edge:
        raise ValueError(f"sigma must lie above the bulk, sigma² > {data.edge:g}, got {sigma}")
    return _Forms(data).matrix(sigma)


def independent_forms(data: LayerSpikeData, sigma: float) -> np.ndarray:
    """M(σ) for spike vectors *independent* of the bulk with the same correlations.

    ``blockdiag(σ g_out C_out, σ g_in C_in)``: the Benaych-Georges–Nadakuditi model that
    the exact forms replace (kept as the reference the tests show to be wrong).
    """
    sg_in, sg_out = mp_resolvent_diagonals(float(sigma), data.ratio)
    m = data.m
    z = np.zeros((m, m))
    return np.block([[float(sg_out) * data.C_out, z], [z, float(sg_in) * data.C_in]])


@dataclass(frozen=True)
class LayerOutliers:
    """Outliers of ``Ŵ(t)ᵀŴ(t)`` for one layer at one time.

    ``eigenvalues``: shape (top,), descending, NaN where there is no j-th outlier
    (fewer than j eigenvalues above the bulk edge); ``count``: the number of outliers
    (may exceed ``top``); ``overlap``: shape (top,), squared cosine of the outlier's
    singular vector with the reference direction (right vector vs β* for layer 0, left
    vector vs b_{ℓ+1}(t) for ℓ ≥ 1), NaN where no outlier; ``residual``: the largest
    ``|μ_{m+j}(S(σ_j))|`` left by the root finder.
    """

    eigenvalues: np.ndarray
    count: int
    overlap: np.ndarray
    residual: float


def _inertia_matrix(mmat: np.ndarray, omega: np.ndarray) -> np.ndarray:
    """``S = D M D - J`` with ``D = blockdiag(Ω^{1/2}, Ω^{1/2})``, ``J = [[0, I], [I, 0]]``."""
    m = omega.size
    root = np.sqrt(np.concatenate([omega, omega]))
    s = root[:, None] * (0.5 * (mmat + mmat.T)) * root[None, :]
    idx = np.arange(m)
    s[idx, idx + m] -= 1.0
    s[idx + m, idx] -= 1.0
    return s


def outliers_from_forms(matrix, omega, edge: float, frobenius: float, top: int = 3,
                        xtol: float = 1e-12) -> tuple[np.ndarray, int, float, np.ndarray]:
    """Singular values above the bulk of ``Ŵ0 + Σ_j u_j Ω_j v_jᵀ`` from the forms M(σ).

    ``matrix(σ)`` returns the 2m×2m matrix ``Uᵀ(σ - H0)⁻¹U`` (U = blockdiag of the
    columns u_j, v_j), ``omega`` the m weights Ω_j ≥ 0, ``edge`` the top eigenvalue of the
    bulk Ŵ0ᵀŴ0 and ``frobenius`` ``‖Σ u_j Ω_j v_jᵀ‖_F``.  Uses the inertia count
    ``#{σ_i > σ} = #pos(S(σ)) - m`` (module docstring) and one bracketed Brent root per
    outlier on the decreasing eigenvalue ``μ_{m+j}(S(σ))``.

    Returns ``(eigenvalues, count, residual, roots)``: the ``top`` largest outlier
    *eigenvalues* σ_j² of ``ŴᵀŴ`` (NaN where there is none), the number of outliers, the
    largest ``|μ_{m+j}|`` at the roots, and the roots σ_j.  Raises
    :class:`rmtdyn.errors.ConvergenceError` (with the residual) on failure.
    """
    from scipy.optimize import brentq

    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    omega = np.asarray(omega, dtype=float)
    if omega.ndim != 1 or np.any(omega < 0):
        raise ValueError("omega must be a one-dimensional array of non-negative weights")
    m = omega.size
    out = np.full(top, np.nan)
    roots = np.full(top, np.nan)
    if not frobenius > 0:
        return out, 0, 0.0, roots

    def mu(sigma):
        return np.linalg.eigvalsh(_inertia_matrix(matrix(sigma), omega))[::-1]

    s_edge = np.sqrt(edge)
    lo = s_edge * (1.0 + 1e-12)
    mu_lo = mu(lo)
    count = int(np.sum(mu_lo > 0)) - m
    if count <= 0:
        return out, 0, 0.0, roots
    hi = s_edge + frobenius * (1.0 + 1e-6) + 1e-9  # Weyl: σ_1(Ŵ) <= σ_1(Ŵ0) + ‖Δ‖
    mu_hi = mu(hi)
    if int(np.sum(mu_hi > 0)) - m > 0:
        raise ConvergenceError("outlier bracket: a singular value above the Weyl bound "
                               "√edge + ‖Δ‖_F (inconsistent forms)", float(mu_hi[m]), 0)
    residual = 0.0
    for j in range(min(count, top)):
        def f(sigma, j=j):
            return mu(sigma)[m + j]

        try:
            root, info = brentq(f, lo, hi, xtol=xtol, rtol=1e-15, full_output=True)
        except (ValueError, RuntimeError) as exc:
            raise ConvergenceError(f"outlier {j + 1}: root finding failed ({exc})",
                                   float(abs(mu_lo[m + j])), 0) from exc
        res = abs(f(root))
        if not info.converged or not np.isfinite(root):
            raise ConvergenceError(f"outlier {j + 1}: brentq did not converge", res,
                                   info.iterations)
        residual = max(residual, res)
        roots[j] = root
        out[j] = root**2
    return out, count, residual, roots


def layer_outliers(data: LayerSpikeData, top: int = 3, model: str = "exact",
                   xtol: float = 1e-12) -> LayerOutliers:
    """Outlier eigenvalues (and overlaps) of ``Ŵ(t)ᵀŴ(t)`` from the exact forms M(σ).

    ``model="independent"`` uses :func:`independent_forms` instead (for comparison; no
    overlaps).  Raises :class:`rmtdyn.errors.ConvergenceError` (with the residual) if a
    root cannot be bracketed or located.
    """
    if model not in ("exact", "independent"):
        raise ValueError(f"model must be 'exact' or 'independent', got {model!r}")
    forms = _Forms(data)
    if model == "exact":
        matrix = forms.matrix
    else:
        def matrix(sigma):
            return independent_forms(data, sigma)
    fro = np.sqrt(max(data.frobenius2(), 0.0))
    eig, count, residual, roots = outliers_from_forms(matrix, data.omega, data.edge, fro,
                                                      top=top, xtol=xtol)
    overlap = np.full(top, np.nan)
    if model == "exact":
        for j in range(min(count, top)):
            overlap[j] = _overlap(forms, roots[j])
    return LayerOutliers(eig, count, overlap, residual)


def outlier_projections(matrix, omega, sigma: float, rows=None,
                        step: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Projections of the outlier eigenvector at a root σ of ``det(I - K M(σ)) = 0``.

    With ``c = D d`` (``S(σ) d = 0``, module docstring) the eigenvector of the
    linearised matrix is ``ψ = (σ - H0)⁻¹ U c = (u; v)/√2`` (u, v the unit left/right
    singular vectors), ``|ψ|² = -cᵀ M'(σ) c`` (M' by central differences with ``step``).
    Returns ``(Mc/|ψ|, rows·c/|ψ|)``: the inner products of ψ/|ψ| with the source
    columns of U and with extra functionals ``rows`` (k×2m, each the row
    ``wᵀ(σ - H0)⁻¹U`` of a unit vector w; may be None).  The squared cosine of u (or v)
    with a source direction or with w is twice the square of the entry.
    """
    omega = np.asarray(omega, dtype=float)
    mmat = matrix(sigma)
    vals, vecs = np.linalg.eigh(_inertia_matrix(mmat, omega))
    c = np.sqrt(np.concatenate([omega, omega])) * vecs[:, np.argmin(np.abs(vals))]
    if step is None:
        step = 1e-5 * sigma
    dm = (matrix(sigma + step) - matrix(sigma - step)) / (2 * step)
    norm2 = -c @ (0.5 * (dm + dm.T)) @ c
    if not norm2 > 0:
        raise ConvergenceError("outlier vector: non-positive norm -cᵀM'c (the forms do not "
                               "decrease in σ)", float(norm2), 0)
    norm = np.sqrt(norm2)
    extra = np.zeros(0) if rows is None else np.atleast_2d(rows) @ c / norm
    return mmat @ c / norm, extra


def _overlap(forms: _Forms, sigma: float) -> float:
    """Squared cosine of the outlier singular vector with the layer's reference direction:
    the right vector with β* (ℓ = 0, |β*|²/D = 1), the left vector with b_{ℓ+1}(t_k)."""
    d = forms.d
    m = d.m
    step = min(1e-5 * sigma, 0.25 * (sigma - np.sqrt(d.edge)))
    if d.layer == 0:
        row = forms.teacher_row(sigma)  # (0; β*/√D)ᵀ(σ - H0)⁻¹U, |β*|²/D = 1
    else:  # the unit source (b_{ℓ+1}(t_k)/|b|; 0): its row of M, normalised
        row = forms.matrix(sigma)[m - 1] / np.sqrt(d.C_out[m - 1, m - 1])
    _, proj = outlier_projections(forms.matrix, d.omega, sigma, rows=row, step=step)
    return float(2.0 * proj[0] ** 2)


def independent_spike_outliers(theta, ratio: float) -> np.ndarray:
    """The Benaych-Georges–Nadakuditi outliers ``(1 + θ²)(λ + θ²)/θ²`` (θ > λ^{1/4}).

    The outlier of ``(Ŵ0 + θ u vᵀ)ᵀ(Ŵ0 + θ u vᵀ)`` for unit u, v *independent* of Ŵ0
    (variance 1/n_o, ratio λ = n_i/n_o), NaN below the threshold.  Applied to the
    spike's singular values this was rmtdyn's former (approximate) prediction.
    """
    theta = np.asarray(theta, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(theta > ratio**0.25, (1 + theta**2) * (ratio + theta**2) / theta**2,
                        np.nan)


def mp_cdf(x, ratio: float) -> np.ndarray:
    """Distribution function of Marchenko–Pastur(ratio λ, variance 1), atom included.

    ``F(x) = (1 - 1/λ)₊ 1[x >= 0] + ∫_{λ₋}^x ρ``; the integral is taken in the variable
    u with ``λ = λ₋ + (λ₊ - λ₋) sin²u``, where the integrand
    ``(λ₊ - λ₋)² sin²u cos²u/(π λ_ratio λ(u))`` is smooth (also at the hard edge λ = 1),
    by 48-point Gauss–Legendre (exponentially accurate).
    """
    x = np.asarray(x, dtype=float)
    lo, hi = (1 - np.sqrt(ratio)) ** 2, (1 + np.sqrt(ratio)) ** 2
    frac = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
    umax = np.arcsin(np.sqrt(frac))
    nodes, weights = np.polynomial.legendre.leggauss(48)
    u = 0.5 * umax[..., None] * (nodes + 1.0)
    lam = lo + (hi - lo) * np.sin(u) ** 2
    f = (hi - lo) ** 2 * np.sin(u) ** 2 * np.cos(u) ** 2 / (np.pi * ratio * lam)
    cont = 0.5 * umax * np.sum(weights * f, axis=-1)
    atom = max(0.0, 1.0 - 1.0 / ratio) * (x >= 0)
    return atom + cont


def ks_distance_to_mp(eigenvalues, ratio: float) -> float:
    """Kolmogorov–Smirnov distance ``sup_x |F_emp(x) - F_MP(x)|`` of pooled eigenvalues."""
    e = np.sort(np.ravel(np.asarray(eigenvalues, dtype=float)))
    n = e.size
    if n == 0:
        raise ValueError("eigenvalues must not be empty")
    f = mp_cdf(e, ratio)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))
