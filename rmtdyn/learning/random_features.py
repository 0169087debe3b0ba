r"""Gradient flow on the linear random-feature model: learning curves, limits, bias and variances.

Model (conventions.md, paper-notes §2.4). Teacher features ``psi ~ N(0, I_D)``, target
``y = w*.psi/sqrt(D) + sigma eps`` with ``w* ~ N(0, I_D)``; P training points ``X`` (``P x D``);
projection ``A`` (``N x D``, iid N(0,1)); student ``f = (A^T w/sqrt(N)).psi/sqrt(D)``;
``alpha = P/D``, ``nu = N/D``, ``gamma1 = 1/nu = D/N``, ``gamma2 = 1/alpha = D/P``. With
``w(0) = 0``, ridge ``lam`` and time scaled as ``dw/dt = -(D/2) grad_w Lhat - lam w``:

    dv/dt = -(T + lam) v + lam w* - sigma (sqrt(D)/P) F X^T eps,
    v = w* - A^T w/sqrt(N),   T = F Sigma_hat,   F = A^T A/N,   Sigma_hat = X^T X/P.

``test_error = |v|^2/D`` (excess risk; the noisy test MSE adds ``sigma^2``) and
``train_loss = (1/P)|X beta/sqrt(D) - y|^2`` (= ``v^T Sigma_hat v/D`` without noise).

**Laplace side** (``s' = s + lam``; ``H(s) = (1/D) tr (s + T)^{-1}`` solves the product-Wishart
cubic of paper-notes §3.4; ``r_i = 1 - gamma_i (1 - s H)``):

* ``(1/D) tr[Sigma_hat (s + T)^{-1}] = (1 - sH)/r1 =: psi(s)`` and
  ``(1/D) tr[F (s + T)^{-1}] = (1 - sH)/r2 =: phi(s)`` (deterministic equivalents of the
  sample covariance ``Sigma_hat^{1/2} F Sigma_hat^{1/2}`` with population ``Sigma_hat``,
  and of ``F^{1/2} Sigma_hat F^{1/2}`` with population ``F``).
* ``Q(a, b) = (1/D) tr[(a + T^T)^{-1}(b + T)^{-1}] = m0/(1 - gamma1 [1 - aH_a - bH_b + ab m0])``,
  ``m0 = (c_a H_a - c_b H_b)/(c_a b - c_b a)``, ``c = r1`` (paper-notes §3.7). Q is invariant
  under ``gamma1 <-> gamma2`` (checked in the tests); the code uses the smaller gamma.

The label-noise terms reduce to one-matrix functions of T through ``F g(T)^T = g(T) F`` (since
``F T^T = T F``) and ``X g(T) F X^T/P = g(K_P) K_P`` with ``K_P = X F X^T/P``. With
``m(x) = (x e^{-(x+lam)t} + lam)/(x + lam)`` (so ``v_signal = m(T) w*``) and
``g(x) = (1 - e^{-(x+lam)t})/(x + lam)``:

    test  = (1/D) tr[m(T) m(T)^T] + sigma^2 gamma2 (1/D) tr[F T g(T)^2],
    train = (1/D) tr[Sigma_hat m(T)^2] + sigma^2 [gamma2 (1/D) tr m(T)^2 + 1 - gamma2].

(the residual on the training set is ``-X m(T) w*/sqrt(D) - sigma m(K_P) eps``). Their double
Laplace transforms (``t1 = t2 = t``) are

    test signal   (s1' s2'/(s1 s2)) Q(s1', s2'),
    test noise    sigma^2 gamma2 [s1' phi(s1') - s2' phi(s2')] / ((s1' - s2') s1 s2),
    train signal  (s1' s2'/(s1 s2)) [psi(s1') - psi(s2')]/(s2' - s1'),
    train noise   sigma^2 { gamma2 (s1' s2'/(s1 s2)) [H(s1') - H(s2')]/(s2' - s1')
                            + (1 - gamma2)/(s1 s2) }.

**Bias and variances** (paper-notes §6.1; sources: features A, data X, label noise eps).
Averaging the predictor over A at fixed data uses ``E_A (s + T)^{-1} = (s + c1 Sigma_hat)^{-1}``,
over X at fixed features ``E_X (s + T)^{-1} = (s + c2 F)^{-1}`` (``c_i = r_i``), over both
``H(s) I``:

    bias             B = b(t)^2,  b = invLaplace[(s'/s) H(s')],
    ensemble_data    L_inf,X  (bagging, shared A): signal with m0 built on c2 (gamma1 <-> gamma2),
                     the label noise averages out,
    ensemble_features L_inf,A (shared X and labels): signal with m0 built on c1, plus the
                     label-noise part
                     sigma^2 gamma2 c1 c2 [s2' H2 - s1' H1]/((c1 s2' - c2 s1') s1 s2),
    var_features  V_A  = L_inf,X - B,     var_data  V_X = L_inf,A(signal) - B,
    var_interaction V_AX = L_1(signal) - L_inf,A(signal) - L_inf,X + B,
    var_noise     = L_1(noise) = V_Xeps + V_AXeps   (the pure V_eps and V_Aeps vanish:
                    the noise reaches v only through X, and E_X of a term odd in X is 0),
    var_noise_data = V_Xeps = L_inf,A(noise),  var_noise_interaction = V_AXeps.

So ``test_error = bias + var_features + var_data + var_interaction + var_noise``. A finite
ensemble of E members sharing the data (features) has ``L_E = L_inf + (L_1 - L_inf)/E``
exactly in expectation (the members are conditionally iid).

**Numerics.** Double inverse Laplace transform at ``t1 = t2 = t`` by a tensor-product fixed
Talbot rule, ``s(theta) = r theta (cot theta + i)``, ``r = 2M/(5t)``, M = 20, using the
trapezoid nodes ``theta = k pi/M`` for ``s1`` and the midpoint nodes ``(k + 1/2) pi/M`` for
``s2``: the two node sets never meet, so every divided difference above is evaluated off its
removable diagonal. ``H`` on the contours comes from
``ProductWishart(1/nu, 1/alpha).laplace_response`` (branch chosen by construction there), on
the upper half of each contour; the lower half is its conjugate.
**Nonlinear features** (``activation=...``): see ``rmtdyn.learning.rf_nonlinear`` for the
Gaussian-equivalent theory (features ``f(A psi/sqrt(D)) - mu0``, test error relative to the
linear teacher, i.e. the excess over the Bayes risk, including the approximation error).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy.optimize import minimize_scalar

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.learning.rf_nonlinear import MIN_NONLINEARITY, make_flow
from rmtdyn.spectra.nonhermitian.product_wishart import ProductWishart

#: Talbot nodes per half contour (round-off ~ eps e^{4M/5} ~ 1e-9, truncation below that)
TALBOT_NODES = 20


def _contour(m: int, midpoint: bool):
    """Full-contour Talbot nodes: (theta >= 0 half, index map, shape z, weights/r)."""
    if midpoint:
        half = (np.arange(m) + 0.5) * np.pi / m
        theta = np.concatenate((-half[::-1], half))
    else:
        half = np.arange(m) * np.pi / m
        theta = np.concatenate((-half[:0:-1], half))
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.cos(theta) / np.sin(theta)
        z = np.where(theta == 0, 1.0 + 0j, theta * (cot + 1j))
        sigma = np.where(theta == 0, 0.0, theta + (theta * cot - 1.0) * cot)
    weight = (1.0 + 1j * sigma) / (2 * m)  # times r: f ~ sum w e^{st} F(s)
    return half, theta, z, weight


class RandomFeatureFlow:
    """Gradient flow on the random-feature model (module docstring has every formula).

    Parameters
    ----------
    alpha : float
        ``P/D``, training samples per input dimension (> 0).
    nu : float
        ``N/D``, features per input dimension (> 0).
    noise : float
        Label-noise standard deviation ``sigma >= 0``.
    ridge : float
        Ridge ``lam >= 0`` on the readout ``w``.
    activation : None, "linear", "relu", "tanh", "erf" or a callable
        Feature map ``phi = f(A psi/sqrt(D)) - mu0`` (features centred by ``mu0 = E f(z)``;
        no bias unit). ``None``/"linear" is the product-Wishart model above. A nonlinear ``f``
        uses Gaussian equivalence (``rmtdyn.learning.rf_nonlinear``: ``mu1 = E f'``,
        ``mu_*^2 = Var f - mu1^2``); then ``test_error`` is ``E (f_w(psi) - w*.psi/sqrt(D))^2``,
        the excess over the Bayes risk ``sigma^2``, which includes the approximation error
        ``approximation_error()`` (excess over the best readout = ``test_error - A0``), and
        ``train_loss`` is the noisy train MSE. ``bias_variance`` and ``limit`` are linear-only.
        A callable with ``mu_*^2 <= 1e-9 mu1^2`` (e.g. ``c z``) is the linear model at time
        ``mu1^2 t`` with ridge ``lam/mu1^2``.
    """

    def __init__(self, alpha: float, nu: float, noise: float = 0.0, ridge: float = 0.0,
                 activation=None):
        self.alpha = check.positive("alpha", alpha)
        self.nu = check.positive("nu", nu)
        self.noise = check.nonnegative("noise", noise)
        self.ridge = check.nonnegative("ridge", ridge)
        ge, func, mu0, mu1, mstar = make_flow(self.alpha, self.nu, self.noise, self.ridge,
                                              activation)
        #: the activation as given (None = linear), its function and Gaussian coefficients
        self.activation = activation
        self.activation_function = func
        self.mu0, self.mu1, self.mu_star2 = mu0, mu1, mstar
        self._ge = ge
        #: time and ridge scaling of a (numerically) linear activation f = mu1 z
        self._time_scale = mu1**2 if (ge is None and func is not None) else 1.0
        self.gamma1 = 1.0 / self.nu
        self.gamma2 = 1.0 / self.alpha
        self.nodes = TALBOT_NODES
        #: the function-space matrix T = F Sigma_hat; supplies the branch-tracked H(s)
        self.matrix = ProductWishart(self.gamma1, self.gamma2)
        self._lin_ridge = self.ridge / self._time_scale

    @property
    def params(self) -> dict:
        out = {"model": "random_features", "alpha": self.alpha, "nu": self.nu,
               "noise": self.noise, "ridge": self.ridge}
        if self.activation_function is not None:
            out["activation"] = (self.activation if isinstance(self.activation, str)
                                 else getattr(self.activation, "__name__", "callable"))
        return out

    def __repr__(self) -> str:
        return (f"RandomFeatureFlow(alpha={self.alpha:g}, nu={self.nu:g}, noise={self.noise:g}, "
                f"ridge={self.ridge:g})")

    # ------------------------------------------------------------------ Laplace side
    def laplace_response(self, s) -> np.ndarray:
        """``H(s) = (1/D) tr (s + T)^{-1}`` (complex array, off the cut ``(-inf, 0]``), from
        ``ProductWishart(1/nu, 1/alpha).laplace_response``."""
        return self.matrix.laplace_response(s)

    def _pieces(self, s, h):
        g1, g2 = self.gamma1, self.gamma2
        sh = s * h
        r1 = 1 - g1 * (1 - sh)
        r2 = 1 - g2 * (1 - sh)
        return {"s": s, "H": h, "r1": r1, "r2": r2, "psi": (1 - sh) / r1, "phi": (1 - sh) / r2}

    def _transforms(self, a: dict, b: dict, sa, sb) -> dict[str, np.ndarray]:
        """2-D Laplace transforms at (s1, s2) = (sa, sb), given the pieces at s' = s + lam."""
        g1, g2, s2n = self.gamma1, self.gamma2, self.noise**2
        x, y = a["s"], b["s"]  # shifted variables s'
        hx, hy = a["H"], b["H"]
        fac = (x / sa) * (y / sb)
        inv = 1.0 / (sa * sb)

        def m0(cx, cy):
            return (cx * hx - cy * hy) / (cx * y - cy * x)

        m1 = m0(a["r1"], b["r1"])
        m2 = m0(a["r2"], b["r2"])
        # Q is symmetric under gamma1 <-> gamma2 (T -> T^T); the form built on the smaller
        # gamma is the better conditioned one as s -> 0.
        gq, mq = (g1, m1) if g1 <= g2 else (g2, m2)
        q = mq / (1 - gq * (1 - x * hx - y * hy + x * y * mq))
        dxy = x - y
        out = {
            "test_signal": fac * q,
            "test_noise": s2n * g2 * inv * (x * a["phi"] - y * b["phi"]) / dxy,
            "train_signal": fac * (a["psi"] - b["psi"]) / (-dxy),
            "train_noise": s2n * (g2 * fac * (hx - hy) / (-dxy) + (1 - g2) * inv),
            "ens_features_signal": fac * m1,
            "ens_features_noise": s2n * g2 * inv * a["r1"] * b["r1"] * (y * hy - x * hx)
            / (a["r1"] * y - b["r1"] * x),
            "ens_data": fac * m2,
        }
        return out

    def _invert(self, t: np.ndarray, which: str = "all") -> dict[str, np.ndarray]:
        """Double Talbot inversion of every transform at the times t > 0 (1-D)."""
        m = self.nodes
        r = 2.0 * m / (5.0 * t)
        half1, th1, z1, w1 = _contour(m, midpoint=False)
        half2, th2, z2, w2 = _contour(m, midpoint=True)
        lam = self._lin_ridge
        half = np.concatenate((half1, half2))
        with np.errstate(divide="ignore", invalid="ignore"):
            zh = np.where(half == 0, 1.0 + 0j, half * (np.cos(half) / np.sin(half) + 1j))
        hp = self.laplace_response(lam + r[:, None] * zh[None, :])
        n1 = half1.size
        h1_half, h2_half = hp[:, :n1], hp[:, n1:]
        # full contours from the upper half by conjugate symmetry H(conj s) = conj H(s)
        h1 = np.concatenate((np.conj(h1_half[:, :0:-1]), h1_half), axis=1)
        h2 = np.concatenate((np.conj(h2_half[:, ::-1]), h2_half), axis=1)
        # conjugate symmetry F(conj s1, conj s2) = conj F(s1, s2): keep rows theta1 >= 0,
        # double the rows theta1 > 0 and take the real part.
        keep = th1 >= 0
        s1 = r[:, None] * z1[None, keep]
        s2 = r[:, None] * z2[None, :]
        h1 = h1[:, keep]
        a = self._pieces((s1 + lam)[:, :, None], h1[:, :, None])
        b = self._pieces((s2 + lam)[:, None, :], h2[:, None, :])
        terms = self._transforms(a, b, s1[:, :, None], s2[:, None, :])
        row = np.where(th1[keep] > 0, 2.0, 1.0)
        e1 = (r[:, None] * (row * w1[keep])[None, :]) * np.exp(2.0 * m / 5.0 * z1[keep])[None, :]
        e2 = (r[:, None] * w2[None, :]) * np.exp(2.0 * m / 5.0 * z2)[None, :]
        out = {k: np.einsum("tj,tjk,tk->t", e1, v, e2).real for k, v in terms.items()}
        # bias: one-dimensional inversion of (s'/s) H(s')
        b1 = ((s1 + lam) / s1) * h1
        out["bias_amplitude"] = np.einsum("tj,tj->t", e1, b1).real
        return out

    # ------------------------------------------------------------------ time domain
    def _all(self, t) -> dict[str, np.ndarray]:
        t = check.times("t", t)
        key = (t.shape, t.tobytes())
        cached = getattr(self, "_cache", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        out = self._compute(t)
        self._cache = (key, out)
        return out

    def _compute(self, t: np.ndarray) -> dict[str, np.ndarray]:
        flat = t.ravel()
        keys = ("test_signal", "test_noise", "train_signal", "train_noise", "ens_features_signal",
                "ens_features_noise", "ens_data", "bias_amplitude")
        res = {k: np.empty(flat.shape) for k in keys}
        pos = flat > 0
        if self._ge is not None:
            return self._compute_nonlinear(flat, pos, t.shape)
        if pos.any():
            inv = self._invert(flat[pos] * self._time_scale)
            for k in keys:
                res[k][pos] = inv[k]
        zero = ~pos
        if zero.any():  # t = 0: v = w*, every predictor equals the initial one
            for k in ("test_signal", "train_signal", "ens_features_signal", "ens_data",
                      "bias_amplitude"):
                res[k][zero] = 1.0
            res["test_noise"][zero] = 0.0
            res["ens_features_noise"][zero] = 0.0
            res["train_noise"][zero] = self.noise**2
        return {k: v.reshape(t.shape) for k, v in res.items()}

    def _compute_nonlinear(self, flat, pos, shape) -> dict[str, np.ndarray]:
        keys = ("test_signal", "test_noise", "train_signal", "train_noise")
        res = {k: np.zeros(flat.shape) for k in keys}
        if pos.any():
            inv = self._invert_nonlinear(flat[pos] / self.nu)
            for k in keys:
                res[k][pos] = inv[k]
        res["test_signal"][~pos] = 1.0
        res["train_signal"][~pos] = 1.0
        res["train_noise"][~pos] = self.noise**2
        res["test_signal"] += self._ge.approximation_error * pos
        return {k: v.reshape(shape) for k, v in res.items()}

    def _invert_nonlinear(self, tau: np.ndarray) -> dict[str, np.ndarray]:
        """Double Talbot inversion (in ``tau = t/nu``) of the Gaussian-equivalent transforms."""
        m = self.nodes
        ge = self._ge
        r = 2.0 * m / (5.0 * tau)
        half1, th1, z1, w1 = _contour(m, midpoint=False)
        half2, th2, z2, w2 = _contour(m, midpoint=True)
        half = np.concatenate((half1, half2))
        order = np.argsort(half)

        def shape(theta):
            if theta == 0:
                return 1.0 + 0j
            return theta * (np.cos(theta) / np.sin(theta) + 1j)

        kap = ge.kappa_on_contour(lambda th: ge.kappa0 + r * shape(th), half[order], r)
        kp = np.empty_like(kap)
        kp[:, order] = kap
        n1 = half1.size
        k1h, k2h = kp[:, :n1], kp[:, n1:]
        k1 = np.concatenate((np.conj(k1h[:, :0:-1]), k1h), axis=1)
        k2 = np.concatenate((np.conj(k2h[:, ::-1]), k2h), axis=1)
        keep = th1 >= 0
        s1 = r[:, None] * z1[None, keep]
        s2 = r[:, None] * z2[None, :]
        terms = ge.transforms(s1[:, :, None], s2[:, None, :], k1[:, keep][:, :, None],
                              k2[:, None, :])
        row = np.where(th1[keep] > 0, 2.0, 1.0)
        e1 = (r[:, None] * (row * w1[keep])[None, :]) * np.exp(2.0 * m / 5.0 * z1[keep])[None, :]
        e2 = (r[:, None] * w2[None, :]) * np.exp(2.0 * m / 5.0 * z2)[None, :]
        return {k: np.einsum("tj,tjk,tk->t", e1, v, e2).real for k, v in terms.items()}

    def approximation_error(self) -> float:
        """Best test error reachable by a readout of these features (``P -> inf``, no noise):
        ``A0 = 1 - nu (1 - mu_*^2 <1/lambda>)``; ``max(0, 1 - nu)`` for linear features."""
        if self._ge is None:
            return max(0.0, 1.0 - self.nu)
        return self._ge.approximation_error

    def _linear_only(self, what: str) -> None:
        if self._ge is not None:
            raise ValueError(f"{what} is implemented for linear features only (activation=None, "
                             f"'linear' or mu_*^2 <= {MIN_NONLINEARITY:g} mu1^2); got "
                             f"activation={self.activation!r}")

    def test_error(self, t) -> np.ndarray:
        """Excess test risk ``|v(t)|^2/D`` (add ``noise**2`` for the noisy test MSE)."""
        r = self._all(t)
        return r["test_signal"] + r["test_noise"]

    def test_mse(self, t) -> np.ndarray:
        """Noisy test MSE ``E (f(psi) - y)^2 = test_error + noise^2``."""
        return self.test_error(t) + self.noise**2

    def train_loss(self, t) -> np.ndarray:
        """Train loss ``(1/P)|X beta(t)/sqrt(D) - y|^2`` (includes the label noise)."""
        r = self._all(t)
        return r["train_signal"] + r["train_noise"]

    def curves(self, t) -> LossCurves:
        """``LossCurves`` with ``train`` and ``test`` (excess risk)."""
        r = self._all(t)
        return LossCurves(t=check.times("t", t).ravel(),
                          curves={"train": (r["train_signal"] + r["train_noise"]).ravel(),
                                  "test": (r["test_signal"] + r["test_noise"]).ravel()},
                          source="theory", params=self.params)

    def bias_variance(self, t) -> Mapping[str, np.ndarray]:
        """Bias, infinite ensembles and the ANOVA variances at times t (module docstring).

        Keys: ``test``, ``train``, ``bias``, ``ensemble_features`` (infinite ensemble over features,
        shared data and labels), ``ensemble_data`` (infinite bagging, shared features),
        ``var_features``, ``var_data``, ``var_interaction``, ``var_noise``,
        ``var_noise_data``, ``var_noise_interaction``. ``test = bias + var_features +
        var_data + var_interaction + var_noise``.
        """
        self._linear_only("bias_variance")
        r = self._all(t)
        bias = r["bias_amplitude"] ** 2
        l1_sig = r["test_signal"]
        ens_a = r["ens_features_signal"] + r["ens_features_noise"]
        ens_x = r["ens_data"]
        return {
            "test": l1_sig + r["test_noise"],
            "train": r["train_signal"] + r["train_noise"],
            "bias": bias,
            "ensemble_features": ens_a,
            "ensemble_data": ens_x,
            "var_features": ens_x - bias,
            "var_data": r["ens_features_signal"] - bias,
            "var_interaction": l1_sig - r["ens_features_signal"] - ens_x + bias,
            "var_noise": r["test_noise"],
            "var_noise_data": r["ens_features_noise"],
            "var_noise_interaction": r["test_noise"] - r["ens_features_noise"],
        }

    def bias_variance_curves(self, t) -> LossCurves:
        """``bias_variance(t)`` as a ``LossCurves`` (t must be 1-D)."""
        t = check.times("t", t).ravel()
        return LossCurves(t=t, curves=dict(self.bias_variance(t)), source="theory",
                          params=self.params)

    def ensemble_error(self, t, members: int, share: str = "data") -> np.ndarray:
        """Test error of an ensemble of ``members`` predictors: ``L_inf + (L_1 - L_inf)/E``.

        ``share="data"``: members share data and labels, differ in features (``L_inf`` =
        ``ensemble_features``); ``share="features"``: members share A, each trains on its own
        dataset (bagging; ``L_inf`` = ``ensemble_data``).
        """
        members = check.positive_int("members", members)
        if share not in ("data", "features"):
            raise ValueError(f"share must be 'data' or 'features', got {share!r}")
        bv = self.bias_variance(t)
        inf = bv["ensemble_features"] if share == "data" else bv["ensemble_data"]
        return inf + (bv["test"] - inf) / members

    # ------------------------------------------------------------------ limits
    def limit(self, eps: float = 1e-4) -> dict[str, float]:
        """t -> inf values by the final-value theorem ``lim s1 s2 F(s1, s2)`` (s1, s2 -> 0).

        ``s1 s2 F`` is evaluated at ``(e, 2e)`` for ``e = eps`` and ``eps/2`` and extrapolated
        linearly to 0 (Richardson; error O(eps^2)). The limit diverges at the interpolation
        threshold N = P (or D = min(N, P)) without ridge when noise > 0.
        """
        self._linear_only("limit")
        eps = check.positive("eps", eps)

        def at(e):
            lam = self._lin_ridge
            sa, sb = np.array([e]), np.array([2 * e])
            xa, xb = sa + lam, sb + lam
            a = self._pieces(xa, self.laplace_response(xa).real)
            b = self._pieces(xb, self.laplace_response(xb).real)
            tr = self._transforms(a, b, sa, sb)
            f = {k: float((v * sa * sb).real[0]) for k, v in tr.items()}
            f["bias_amplitude"] = float((xa * a["H"])[0])
            return f

        f1, f2 = at(eps), at(eps / 2)
        f = {k: 2 * f2[k] - f1[k] for k in f1}
        return {"test": f["test_signal"] + f["test_noise"],
                "train": f["train_signal"] + f["train_noise"],
                "bias": f["bias_amplitude"] ** 2,
                "ensemble_features": f["ens_features_signal"] + f["ens_features_noise"],
                "ensemble_data": f["ens_data"]}

    def early_stopping(self, t_max: float = 1e3) -> tuple[float, float]:
        """``(t*, test_error(t*))`` minimising the test error over ``0 < t <= t_max``."""
        t_max = check.positive("t_max", t_max)
        grid = np.geomspace(1e-2, t_max, 60)
        vals = self.test_error(grid)
        i = int(np.argmin(vals))
        lo, hi = np.log(grid[max(i - 1, 0)]), np.log(grid[min(i + 1, grid.size - 1)])
        if hi <= lo:
            return float(grid[i]), float(vals[i])
        res = minimize_scalar(lambda u: float(self.test_error(np.array([np.exp(u)]))[0]),
                              bounds=(lo, hi), method="bounded", options={"xatol": 1e-4})
        if res.fun < vals[i]:
            return float(np.exp(res.x)), float(res.fun)
        return float(grid[i]), float(vals[i])
