r"""Stochastic gradient descent on linear regression: exact and DMFT loss curves in discrete time.

Two models, both with squared loss and time counted in **steps** ``k = 0, 1, 2, ...``.

**Online SGD** (``OnlineSGD``; paper-notes §6.2). A fresh minibatch of ``B`` points
``x_b ~ N(0, Lambda)`` (``Lambda = diag(l_1..l_M)``, any spectrum, e.g. ``l_i = i^{-a}``),
labels ``y = w*.x + sigma eps``, predictor ``f = w.x``, ``w(0) = 0`` and

    w <- w + (eta/B) sum_b (y_b - f_b) x_b.

With ``v = w - w*`` and ``C = E v v^T`` Gaussian fourth moments (Isserlis) give the **exact**
second-moment recursion

    C_{k+1} = (I - eta Lambda) C_k (I - eta Lambda)
              + (eta^2/B) [Lambda C_k Lambda + Lambda tr(Lambda C_k) + sigma^2 Lambda],

and the population loss ``L_k = E (y - f)^2 = tr(Lambda C_k) + sigma^2``. Only the mode
variances ``c_i = C_ii`` enter the loss and their recursion closes:

    c_{k+1} = a * c_k + (eta^2/B) l (l.c_k + sigma^2),   a_i = (1 - eta l_i)^2 + eta^2 l_i^2/B,

with ``c_i(0) = E (w*_i)^2`` (the ``target`` power). The ``eta^2/B`` terms are the SGD noise.
**Stability.** The map ``c -> a*c + (eta^2/B) l (l.c)`` is a diagonal plus a rank-one
positive matrix; its spectral radius is < 1 iff every ``a_i < 1``, i.e.
``eta l_max (1 + 1/B) < 2``, and the secular sum
``S = sum_i (eta^2/B) l_i^2/(1 - a_i) = sum_i (eta/B) l_i / (2 - eta l_i (1 + 1/B)) < 1``.
A learning rate outside that region raises ``ValueError`` (the loss would diverge).

**Multi-pass SGD** (``MultiPassSGD``). Linear regression in the conventions of
``LinearRegressionFlow``: ``X`` is ``P x N`` iid N(0,1), ``y = X beta*/sqrt(N) + sigma xi``,
``beta* ~ N(0, I_N)``, ``ratio = gamma = N/P``. Each step draws a batch ``S`` of ``B``
distinct indices out of the ``P`` samples (without replacement) and

    w <- w - (eta/B) X_S^T (X_S w - sqrt(N) y_S)

(``B = P`` is gradient descent, the Euler discretisation of the flow with step ``eta``).
DMFT with minibatch indicators: write the step as ``e <- e - eta (sqrt(N)/P) X^T Z r`` with
``e = w - beta*``, the train residual ``r = X e/sqrt(N) - sigma xi`` and ``Z = (P/B) S``
(``S_mu`` = 1 if ``mu`` is in the batch), so ``E Z = I``. The indicators enter only through

    Cov(Z r | r) = c_d [diag(r r^T) - r r^T / P],
    c_d = (P/B) (P - B)/(P - 1)                      (sampling without replacement).

The rank-one part changes the test error by a relative ``O(1/P)`` and is dropped, and the
per-sample squared residuals are replaced by their mean, ``diag(r r^T) -> (|r|^2/P) I``
(self-averaging of the per-sample losses: **the one approximation**, leading order in
``1/P``; the tests bound it against simulation at P = 400). SGD is then gradient descent
plus an independent additive noise of covariance ``eta^2 c_d gamma L_k Sigma_hat`` per step,
``L_k`` the train loss, which gives discrete Volterra equations on the MP law ``rho`` of
``Sigma_hat = X^T X/P``:

    L_k = L_k^GD + eta^2 c_d gamma sum_{j<k} L_j int rho(x) x^2 (1 - eta x)^{2(k-1-j)},
    E_k = E_k^GD + eta^2 c_d gamma sum_{j<k} L_j int rho(x) x   (1 - eta x)^{2(k-1-j)},

    E_k^GD = int rho [ (1 - eta x)^{2k} + sigma^2 gamma x g_k(x)^2 ],
             g_k(x) = (1 - (1 - eta x)^k)/x,
    L_k^GD = int rho [ x (1 - eta x)^{2k} ]
             + sigma^2 [ gamma int rho (1 - eta x)^{2k} + 1 - gamma ].

``E_k = |w - beta*|^2/N`` is the test error (excess risk; add sigma^2 for the noisy test MSE)
and ``L_k = (1/P)|X w/sqrt(N) - y|^2``. The SGD noise is proportional to
``eta^2 c_d ~ eta^2 (P/B - 1)``: it vanishes at ``B = P`` and, relative to the
``O(eta)`` drift, grows like ``eta (1/B - 1/P) P``. Stability of the theory:
``eta lambda_+ < 2`` and ``eta c_d gamma int rho(x) x/(2 - eta x) < 1``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves


def _steps(name: str, steps) -> np.ndarray:
    arr = check.real_array(name, steps)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ValueError(f"{name} must hold non-negative integers (step counts)")
    return arr.astype(np.int64)


def power_law_spectrum(size: int, exponent: float, target_exponent: float | None = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues ``l_i = i^{-a}`` (``i = 1..size``) and target powers ``E w*_i^2``.

    With ``target_exponent = b`` the target power is ``l_i^{b-1}`` (the source condition
    ``E (w*_i)^2 l_i = i^{-ab}``); ``None`` gives ``E w*_i^2 = 1``.
    """
    size = check.positive_int("size", size)
    a = check.positive("exponent", exponent)
    lam = np.arange(1, size + 1, dtype=float) ** (-a)
    if target_exponent is None:
        return lam, np.ones(size)
    b = check.real_number("target_exponent", target_exponent)
    return lam, lam ** (b - 1.0)


class OnlineSGD:
    """Online minibatch SGD on Gaussian linear regression with covariance spectrum ``eigenvalues``.

    Parameters
    ----------
    eigenvalues : array of l_i > 0 (or a ``(eigenvalues, target)`` pair)
        Spectrum of the data covariance ``Lambda``.
    lr : float
        Learning rate ``eta`` (> 0; bounded by the stability condition of the module docstring).
    batch : int
        Batch size ``B >= 1``.
    noise : float
        Label-noise standard deviation ``sigma >= 0``.
    target : array, optional
        Target power ``E (w*_i)^2`` per mode (default 1); ``w(0) = 0``.

    ``loss(steps)`` is the exact population loss ``tr(Lambda C_k) + sigma^2``; ``excess(steps)``
    omits ``sigma^2``.
    """

    def __init__(self, eigenvalues, lr: float, batch: int, noise: float = 0.0, target=None):
        if isinstance(eigenvalues, tuple) and len(eigenvalues) == 2 and target is None:
            eigenvalues, target = eigenvalues
        lam = check.real_array("eigenvalues", eigenvalues).ravel()
        if lam.size == 0 or np.any(lam <= 0):
            raise ValueError("eigenvalues must be a non-empty array of positive numbers")
        self.eigenvalues = lam
        self.lr = check.positive("lr", lr)
        self.batch = check.positive_int("batch", batch)
        self.noise = check.nonnegative("noise", noise)
        if target is None:
            target = np.ones_like(lam)
        target = check.real_array("target", target).ravel()
        if target.shape != lam.shape or np.any(target < 0):
            raise ValueError("target must be non-negative powers, one per eigenvalue")
        self.target = target
        self._check_stability()

    @property
    def params(self) -> dict:
        return {"model": "online_sgd", "lr": self.lr, "batch": self.batch,
                "noise": self.noise, "modes": int(self.eigenvalues.size)}

    def stability_margin(self) -> tuple[float, float]:
        """``(eta l_max (1 + 1/B) / 2, S)``: both must be < 1 for a convergent loss."""
        eta, b, lam = self.lr, self.batch, self.eigenvalues
        edge = eta * lam.max() * (1 + 1 / b) / 2
        with np.errstate(divide="ignore"):
            secular = float(np.sum((eta / b) * lam / (2 - eta * lam * (1 + 1 / b)))) \
                if edge < 1 else np.inf
        return float(edge), secular

    def max_stable_lr(self) -> float:
        """The largest stable learning rate (bisection on the two conditions)."""
        lo, hi = 0.0, 2.0 / (self.eigenvalues.max() * (1 + 1 / self.batch))
        lam, b = self.eigenvalues, self.batch
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            s = np.sum((mid / b) * lam / (2 - mid * lam * (1 + 1 / b)))
            lo, hi = (mid, hi) if s < 1 else (lo, mid)
        return lo

    def _check_stability(self) -> None:
        edge, secular = self.stability_margin()
        if edge >= 1:
            raise ValueError(
                f"lr={self.lr} is unstable: eta * l_max * (1 + 1/B) = {2 * edge:.4g} must be < 2 "
                "(the top mode's variance grows); use lr < "
                f"{2 / (self.eigenvalues.max() * (1 + 1 / self.batch)):.4g}")
        if secular >= 1:
            raise ValueError(
                f"lr={self.lr} is unstable: the SGD-noise feedback sum "
                f"sum_i (eta/B) l_i/(2 - eta l_i (1 + 1/B)) = {secular:.4g} must be < 1 "
                f"(the loss diverges); the largest stable lr is {self.max_stable_lr():.4g}")

    def mode_variances(self, steps) -> np.ndarray:
        """``c_i(k) = E (w_i - w*_i)^2`` at the requested steps, shape ``(len(steps), modes)``."""
        steps = _steps("steps", steps)
        eta, b, lam, s2 = self.lr, self.batch, self.eigenvalues, self.noise**2
        a = (1 - eta * lam) ** 2 + eta**2 * lam**2 / b
        feed = (eta**2 / b) * lam
        c = self.target.astype(float).copy()
        out = np.empty((steps.size, lam.size))
        order = np.argsort(steps)
        k = 0
        for idx in order:
            while k < steps[idx]:
                c = a * c + feed * (lam @ c + s2)
                k += 1
            out[idx] = c
        return out

    def excess(self, steps) -> np.ndarray:
        """Excess population loss ``tr(Lambda C_k)`` at integer ``steps``."""
        return self.mode_variances(steps) @ self.eigenvalues

    def loss(self, steps) -> np.ndarray:
        """Population loss ``L_k = tr(Lambda C_k) + sigma^2`` at integer ``steps``."""
        return self.excess(steps) + self.noise**2

    def limit(self) -> float:
        """``L_inf`` (k -> inf): ``sigma^2 (1 + S/(1 - S))`` with S the secular sum."""
        _, secular = self.stability_margin()
        return self.noise**2 * (1 + secular / (1 - secular))

    def curves(self, steps) -> LossCurves:
        """``LossCurves`` on the step grid with curves ``test`` (population loss) and ``excess``."""
        steps = _steps("steps", steps)
        ex = self.excess(steps)
        return LossCurves(t=steps.astype(float),
                          curves={"test": ex + self.noise**2, "excess": ex},
                          source="theory", params=dict(self.params, time="steps"))


def _check_minibatch(lr, batch, samples) -> tuple[float, int, int]:
    """Validate multi-pass SGD settings: ``lr > 0``, ``samples >= 2``, ``1 <= batch <= samples``."""
    lr = check.positive("lr", lr)
    samples = check.positive_int("samples", samples, minimum=2)
    batch = check.positive_int("batch", batch)
    if batch > samples:
        raise ValueError(f"batch must be <= samples P = {samples} (a minibatch is drawn "
                         f"without replacement from the P training points), got {batch}")
    return lr, batch, samples


class _DiscreteTimeCurves:
    """Shared read-out of the multi-pass models: ``_solve(kmax)`` returns the train and test
    curves on steps ``0..kmax``; these methods sample them at integer ``steps``."""

    def curves(self, steps) -> LossCurves:
        """``LossCurves`` with ``train`` and ``test`` (the excess test risk) at integer steps."""
        steps = _steps("steps", steps)
        train, test = self._solve(int(steps.max()) if steps.size else 0)
        return LossCurves(t=steps.astype(float),
                          curves={"train": train[steps], "test": test[steps]},
                          source="theory", params=dict(self.params, time="steps"))

    def test_error(self, steps) -> np.ndarray:
        """Excess test risk at integer ``steps``."""
        return self.curves(steps)["test"]

    def train_loss(self, steps) -> np.ndarray:
        """Train loss at integer ``steps``."""
        return self.curves(steps)["train"]


class MultiPassSGD(_DiscreteTimeCurves):
    """Multi-pass minibatch SGD on linear regression with ``P`` fixed samples (DMFT, see module).

    Parameters
    ----------
    ratio : float
        ``gamma = N/P`` (dimension over samples), as in ``LinearRegressionFlow``.
    lr : float
        Learning rate ``eta`` per step.
    batch : int
        Batch size ``B`` (1 <= B <= samples), drawn without replacement each step.
    samples : int
        Number of training points ``P``; the theory depends on it only through
        ``c_d = (P/B)(P - B)/(P - 1)``.
    noise : float
        Label-noise standard deviation ``sigma``.
    """

    def __init__(self, ratio: float, lr: float, batch: int, samples: int, noise: float = 0.0):
        self.ratio = check.positive("ratio", ratio)
        self.lr, self.batch, self.samples = _check_minibatch(lr, batch, samples)
        self.noise = check.nonnegative("noise", noise)
        from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

        self.spectrum = MarchenkoPastur(self.ratio)
        self._check_stability()

    @property
    def noise_factor(self) -> float:
        """``c_d = (P/B)(P - B)/(P - 1)``: variance factor of the minibatch indicators."""
        p, b = self.samples, self.batch
        return (p / b) * (p - b) / (p - 1)

    @property
    def params(self) -> dict:
        return {"model": "multipass_sgd", "ratio": self.ratio, "lr": self.lr,
                "batch": self.batch, "samples": self.samples, "noise": self.noise}

    def _check_stability(self) -> None:
        edge = (1 + np.sqrt(self.ratio)) ** 2
        if self.lr * edge >= 2:
            raise ValueError(f"lr={self.lr} is unstable: eta * lambda_+ = {self.lr * edge:.4g} "
                             "must be < 2 (lambda_+ = (1 + sqrt(ratio))^2); "
                             f"use lr < {2 / edge:.4g}")
        eta = self.lr
        feedback = eta * self.noise_factor * self.ratio * self.spectrum.expect(
            lambda x: x / (2 - eta * x))
        if feedback >= 1:
            raise ValueError(
                f"lr={self.lr} with batch={self.batch} is unstable: the SGD-noise feedback "
                f"eta c_d gamma int rho x/(2 - eta x) = {feedback:.4g} must be < 1; lower lr "
                "or raise the batch size")

    def _kernels(self, kmax: int):
        eta, gamma = self.lr, self.ratio
        n = np.arange(kmax + 1)
        s2 = self.noise**2

        def table(lam):
            x = lam[:, None]
            p1 = (1 - eta * x) ** n[None, :]  # (1 - eta x)^n
            pw = p1 * p1
            # g_n(x) = (1 - (1 - eta x)^n)/x = eta sum_{j<n} (1 - eta x)^j  (= eta n at x = 0)
            gk = np.where(x > 0, (1 - p1) / np.where(x > 0, x, 1.0), eta * n[None, :])
            return np.concatenate([pw, x * pw, x * x * pw, x * gk * gk], axis=1)

        vals = self.spectrum.expect(table)
        m = kmax + 1
        r0, r1, r2, rg = vals[:m], vals[m:2 * m], vals[2 * m:3 * m], vals[3 * m:]
        test_gd = r0 + s2 * gamma * rg
        train_gd = r1 + s2 * (gamma * r0 + 1 - gamma)
        return test_gd, train_gd, r1, r2

    def _solve(self, kmax: int):
        test_gd, train_gd, k_test, k_train = self._kernels(kmax)
        c = self.lr**2 * self.noise_factor * self.ratio
        train = np.empty(kmax + 1)
        test = np.empty(kmax + 1)
        for k in range(kmax + 1):
            past = train[:k]
            train[k] = train_gd[k] + c * (past @ k_train[k - 1::-1][:k] if k else 0.0)
            test[k] = test_gd[k] + c * (past @ k_test[k - 1::-1][:k] if k else 0.0)
        return train, test



def sgd_noise_factor(lr: float, batch: int, samples: int) -> float:
    """Per-step SGD-noise strength ``eta^2 c_d`` with ``c_d = (P/B)(P - B)/(P - 1)``.

    Minibatches of ``B`` distinct indices out of ``P``: ``Cov(Z r) ~ c_d (|r|^2/P) I`` for the
    rescaled indicators ``Z = (P/B) S``, so each step adds a gradient noise of covariance
    ``eta^2 c_d L_k Sigma_hat/P`` (``L_k`` the train loss). ``eta^2 c_d = eta^2 P (1/B - 1/P)
    P/(P - 1) ~ eta^2 P (1/B - 1/P)``: zero for full batches, ``~ eta^2 P`` for ``B = 1``.
    Relative to the drift (``O(eta)`` per step) the noise is ``O(eta P (1/B - 1/P))``.
    """
    lr = check.positive("lr", lr)
    samples = check.positive_int("samples", samples, minimum=2)
    batch = check.positive_int("batch", batch)
    if batch > samples:
        raise ValueError(f"batch must be <= samples P = {samples}, got {batch}")
    return lr**2 * (samples / batch) * (samples - batch) / (samples - 1)


class RandomFeatureMultiPassSGD(_DiscreteTimeCurves):
    r"""Multi-pass minibatch SGD on the linear random-feature model (``RandomFeatureFlow``).

    Model: that of ``RandomFeatureFlow(alpha, nu, noise)`` (ridge 0, linear features) with
    ``P = samples`` fixed training points, ``D = P/alpha``, ``N = nu D``. Each step draws a batch
    ``S`` of ``B`` distinct indices and ``w <- w - eta (D/2) grad_w Lhat_S`` (``Lhat_S`` the batch
    mean squared error): ``B = P`` is gradient descent, the Euler scheme of the flow at
    ``t = eta k``. In function space (``v = w* - A^T w/sqrt(N)``, ``T = F Sigma_hat``)

        v_{k+1} = (I - eta T) v_k - eta (sqrt(D)/P) F X^T (Z_k - I) r_k - (label-noise drive),

    ``r_k`` the train residual, ``Z_k = (P/B) diag(S_k)`` the minibatch indicators.

    **Approximations (stated, and bounded against simulation in the tests).**

    1. Mean field for the indicators (as in ``MultiPassSGD``): ``Cov(Z r) -> c_d (|r|^2/P) I``
       (drops the rank-one ``- r r^T/P`` part and replaces the per-sample squared residuals by
       their mean). SGD is then GD plus independent noise of covariance
       ``eta^2 c_d L_k Sigma_hat_phi/P`` in the readout.
    2. The only genuinely two-point (non-normal) piece, the noise-free GD test signal
       ``(1/D) tr[(I - eta T)^k (I - eta T^T)^k]``, is replaced by the gradient-flow value
       ``RandomFeatureFlow.test_error`` at ``t = eta k`` (signal part). Its error is
       ``O(eta)``: against exact finite-D gradient descent (D = 400, alpha = 2, nu = 0.8) it
       was <= 1.7 % at eta = 0.1 and <= 1.2 % at eta = 0.3 (``eta lambda_+ = 1.8``), k >= 1.

    Everything else is exact in discrete time and reduces to one-matrix spectral integrals over
    the eigenvalue law ``rho`` of ``T`` (``ProductWishart(1/nu, 1/alpha)``) and its weighted
    versions ``mu_F``, ``mu_S`` (``(1/D) tr[h(T) F] = int h dmu_F``; Stieltjes
    ``phi = (1 - sH)/r2``, resp. ``psi = (1 - sH)/r1``; ``F g(T)^T = g(T) F``,
    ``Sigma_hat g(T) = g(T^T) Sigma_hat``). With ``c = eta^2 c_d gamma2`` (``gamma2 = 1/alpha``):

        L_k = int mu_S (1 - eta x)^{2k} + sigma^2 [gamma2 int rho (1 - eta x)^{2k} + 1 - gamma2]
              + c sum_{j<k} L_j int rho x^2 (1 - eta x)^{2(k-1-j)},
        E_k = E_sig(k) + sigma^2 gamma2 int mu_F x g_k(x)^2
              + c sum_{j<k} L_j int mu_F x (1 - eta x)^{2(k-1-j)},
        g_k(x) = (1 - (1 - eta x)^k)/x.

    ``E_k`` is the excess test risk ``|v_k|^2/D``, ``L_k`` the train loss. The SGD-noise term is
    ``c = eta^2 c_d gamma2`` (``sgd_noise_factor``). Stability (of the theory): ``eta lambda_+ < 2``
    and ``eta c_d gamma2 int rho x/(2 - eta x) < 1``; violations raise ``ValueError``.
    """

    def __init__(self, alpha: float, nu: float, lr: float, batch: int, samples: int,
                 noise: float = 0.0):
        from rmtdyn.learning.random_features import RandomFeatureFlow

        self.alpha = check.positive("alpha", alpha)
        self.nu = check.positive("nu", nu)
        self.lr, self.batch, self.samples = _check_minibatch(lr, batch, samples)
        self.noise = check.nonnegative("noise", noise)
        self.flow = RandomFeatureFlow(self.alpha, self.nu, noise=0.0)
        self.spectrum = self.flow.matrix.hermitian_companion()
        self.gamma1, self.gamma2 = 1.0 / self.nu, 1.0 / self.alpha
        self.upper = max(b for _, b in self.spectrum.support())
        self._check_stability()

    @property
    def noise_factor(self) -> float:
        """``c_d = (P/B)(P - B)/(P - 1)``."""
        p, b = self.samples, self.batch
        return (p / b) * (p - b) / (p - 1)

    def sgd_noise(self) -> float:
        """The SGD-noise coefficient ``eta^2 c_d gamma2`` of the Volterra kernels."""
        return sgd_noise_factor(self.lr, self.batch, self.samples) * self.gamma2

    @property
    def params(self) -> dict:
        return {"model": "rf_multipass_sgd", "alpha": self.alpha, "nu": self.nu, "lr": self.lr,
                "batch": self.batch, "samples": self.samples, "noise": self.noise}

    def _check_stability(self) -> None:
        edge = self.lr * self.upper
        if edge >= 2:
            raise ValueError(f"lr={self.lr} is unstable: eta * lambda_+ = {edge:.4g} must be < 2 "
                             f"(lambda_+ = {self.upper:.4g}, top of the spectrum of T); use lr < "
                             f"{2 / self.upper:.4g}")
        eta = self.lr
        feedback = eta * self.noise_factor * self.gamma2 * float(
            self.spectrum.expect(lambda x: x / (2 - eta * x)))
        if feedback >= 1:
            raise ValueError(
                f"lr={self.lr} with batch={self.batch} is unstable: the SGD-noise feedback "
                f"eta c_d gamma2 int rho x/(2 - eta x) = {feedback:.4g} must be < 1; lower lr "
                "or raise the batch size")

    def _weights(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Densities of ``mu_F`` and ``mu_S`` relative to ``rho`` at x > 0 (inside the bulk)."""
        # H(-x + i0) (root with Im H < 0, rho = -Im H/pi), from the product cubic
        h = self.spectrum.cubic.real_axis_upper(-x)
        sh = 1 + x * h  # 1 - s H at s = -x
        phi = sh / (1 - self.gamma2 * sh)
        psi = sh / (1 - self.gamma1 * sh)
        im = np.where(h.imag < 0, h.imag, -1.0)
        ok = h.imag < 0
        return np.where(ok, phi.imag / im, 0.0), np.where(ok, psi.imag / im, 0.0)

    def _kernels(self, kmax: int):
        eta = self.lr
        n = np.arange(kmax + 1)

        def table(x):
            x = np.asarray(x, dtype=float)
            bulk = x > 0
            wf, ws = np.zeros_like(x), np.zeros_like(x)
            if bulk.any():
                wf[bulk], ws[bulk] = self._weights(x[bulk])
            xx = x[:, None]
            p1 = (1 - eta * xx) ** n[None, :]
            pw = p1 * p1
            gk = np.where(xx > 0, (1 - p1) / np.where(xx > 0, xx, 1.0), eta * n[None, :])
            one = np.ones_like(x)[:, None]
            return np.concatenate([pw, (ws[:, None] * pw), xx * xx * pw,
                                   (wf[:, None] * xx) * pw, (wf[:, None] * xx) * gk * gk,
                                   ws[:, None] * one], axis=1)

        vals = self.spectrum.expect(table)
        m = kmax + 1
        r0, rs, r2, rfx, rfg = (vals[i * m:(i + 1) * m] for i in range(5))
        # the atom of mu_S at 0 (where (1 - eta x)^{2k} = 1): the total mass of mu_S is
        # tr(Sigma_hat)/D = 1
        atom_s = 1.0 - float(vals[5 * m])
        rs = rs + atom_s
        return r0, rs, r2, rfx, rfg

    def _solve(self, kmax: int):
        eta, s2, g2 = self.lr, self.noise**2, self.gamma2
        r0, rs, r2, rfx, rfg = self._kernels(kmax)
        k_all = np.arange(kmax + 1)
        signal = self.flow.test_error(eta * k_all)
        test_gd = signal + s2 * g2 * rfg
        train_gd = rs + s2 * (g2 * r0 + 1 - g2)
        c = self.sgd_noise()
        if c == 0.0:  # full batch: gradient descent, no Volterra feedback
            return train_gd, test_gd
        train = np.empty(kmax + 1)
        test = np.empty(kmax + 1)
        for k in range(kmax + 1):
            past = train[:k]
            train[k] = train_gd[k] + (c * (past @ r2[k - 1::-1][:k]) if k else 0.0)
            test[k] = test_gd[k] + (c * (past @ rfx[k - 1::-1][:k]) if k else 0.0)
        return train, test



def batch_sweep(model_factory, batches: Sequence[int], steps) -> dict[int, LossCurves]:
    """``{B: model_factory(B).curves(steps)}``: curves of a family of models over batch sizes."""
    return {int(b): model_factory(int(b)).curves(steps) for b in batches}
