r"""Gradient flow of a nonlinear random-feature readout through Gaussian equivalence.

Model. ``psi ~ N(0, I_D)``, ``y = w*.psi/sqrt(D) + sigma eps`` (``w* ~ N(0, I_D)``),
features ``phi(psi) = f(A psi/sqrt(D)) - mu0`` (``A`` is ``N x D`` iid N(0,1); the features are
**centred** by the constant ``mu0 = E f(z)``, ``z ~ N(0, 1)``; there is no bias unit), student
``f_w(psi) = w.phi/sqrt(N)``, ``dw/dt = -(D/2) grad_w Lhat - lam w``, ``w(0) = 0``. For
``f(z) = z`` this is exactly ``RandomFeatureFlow`` with ``activation=None``.

Gaussian equivalence (paper-notes §2.4, §3.5): ``phi ~= mu1 A psi/sqrt(D) + mu_* xi`` with
``xi ~ N(0, I_N)`` independent of ``psi``, ``mu1^2 = zeta = (E f')^2`` and
``mu_*^2 = eta - zeta`` (``eta = Var f(z)``). Conditional on ``A`` the features are then Gaussian
with covariance ``Sigma = mu1^2 S + mu_*^2 I_N`` (``S = A A^T/D``, Marchenko-Pastur with ratio
``nu``), and ``y = theta.phi + e`` with the population regression vector
``theta = Sigma^{-1} mu1 A w*/D`` and an effective noise ``e`` independent of ``phi``,
``Var e = sigma^2 + A0``. ``A0 = 1 - nu (1 - mu_*^2 <1/lambda>)`` is the approximation error (the
part of the linear teacher that no readout of these features can represent); ``<.>`` averages
over the eigenvalues ``lambda = mu1^2 s + mu_*^2`` of ``Sigma``.

With ``u = w/sqrt(N)`` the flow is ``du/dtau = -(Sigma_hat + kappa0) u + Phi^T y/P`` in the time
``tau = t/nu`` with ``kappa0 = lam nu`` and ``Sigma_hat = Phi^T Phi/P``: linear regression in N
dimensions with P samples (``gamma = N/P = nu/alpha``). Its double Laplace transforms
(``s' = s + kappa0``, ``G_i = (s_i' + Sigma_hat)^{-1}``) use the one- and two-point deterministic
equivalents

    s' G ~ kappa (Sigma + kappa)^{-1},   kappa - s' = gamma kappa (1 - kappa R(kappa)),
    E[G1 C G2] ~ Gb1 C Gb2 + c1 c2 Gb1 Sigma Gb2 (1/P) tr(Sigma Gb1 C Gb2)/(1 - D12),
    Gb_i = (kappa_i/s_i') (Sigma + kappa_i)^{-1},  c_i = s_i'/kappa_i,
    D12 = gamma [1 + (k1^2 R(k1) - k2^2 R(k2))/(k2 - k1)],

with ``R(k) = <1/(lambda + k)> = mu1^{-2} R_S((mu_*^2 + k)/mu1^2)`` (``R_S(x) = -g_MP(-x)``).
Every trace is a partial fraction of ``R`` at ``kappa1``, ``kappa2`` and 0. Writing
``sig_e^2 = sigma^2 + A0`` and ``m = mu_*^2``:

    test   = A0 + invL2[ k1 k2 nu <(lam - m)/(lam (lam+k1)(lam+k2))> / (s1 s2 (1 - D12))
                         + sig_e^2 gamma (N1 + N2)/(2 s1 s2) ],
    N1     = (k1/s1') (1 - k1 R1) - (k1 k2/s1') <lam/((lam+k1)(lam+k2))>/(1 - D12)  (N2: 1 <-> 2),
    train  = invL2[ (s1' s2'/(s1 s2)) (U(k2) - U(k1))/(s2' - s1')
                    + sig_e^2 {gamma (s1' s2'/(s1 s2)) (Rh1 - Rh2)/(s2' - s1')
                               + (1 - gamma)/(s1 s2)} ],
    U(k)   = nu (k + m)(R(0) - R(k))/k,   Rh = (k/s') R(k)   (coded without its constant nu R(0)).

**Meaning of the test error.** ``test_error(t) = E_psi (f_w(psi) - w*.psi/sqrt(D))^2``, the excess
risk over the Bayes risk ``sigma^2`` (the Bayes predictor is the linear teacher). It contains the
approximation error: ``test_error(t) >= A0 = approximation_error()``, which is > 0 whenever
``mu_* > 0`` or ``nu < 1``; the excess over the best predictor of the class is
``test_error - A0``. ``train_loss`` is ``(1/P) |Phi w/sqrt(N) - y|^2`` (with label noise).

``kappa(s')`` is found by Newton's method, continued along each Talbot half contour from
``theta = 0`` (real ``s' > 0``, where the root is the unique one with ``kappa > s'``) in small
steps, so the branch is fixed by construction. The double inversion is the trapezoid/midpoint
Talbot rule of ``random_features`` (the two node sets never meet, so ``k1 != k2``).
"""

from __future__ import annotations

import numpy as np

from rmtdyn.errors import ConvergenceError
from rmtdyn.spectra.activations import activation_function, gaussian_coefficients
from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur

#: smallest mu_*^2 / mu1^2 handled by the Gaussian-equivalent formulas; below it the
#: features are linear and the product-Wishart code is used (see ``RandomFeatureFlow``)
MIN_NONLINEARITY = 1e-9

__all__ = ["GaussianEquivalentFlow", "resolve_activation"]


def resolve_activation(activation):
    """``(function or None, mu0, mu1, mu_star2)`` for None, a name or a callable."""
    f = activation_function(activation)
    if f is None:
        return None, 0.0, 1.0, 0.0
    c = gaussian_coefficients(f)
    return f, c.mu0, float(np.sqrt(c.zeta)), max(c.eta - c.zeta, 0.0)


class GaussianEquivalentFlow:
    """Theory of the nonlinear RF gradient flow (module docstring); used by ``RandomFeatureFlow``.

    ``mu1 > 0`` and ``mu_star2 >= 0`` are the Gaussian-equivalence coefficients.
    """

    def __init__(self, alpha: float, nu: float, noise: float, ridge: float, mu1: float,
                 mu_star2: float):
        if mu1 <= 0:
            raise ValueError("activation: the linear coefficient mu1 = E f'(z) must be non-zero "
                             f"(got {mu1:g}); an even activation learns nothing from a linear "
                             "teacher in this model")
        self.alpha, self.nu, self.noise, self.ridge = alpha, nu, noise, ridge
        self.mu1, self.m = mu1, mu_star2
        self.gamma = nu / alpha
        self.kappa0 = ridge * nu
        self._mp = MarchenkoPastur(nu)
        self.approximation_error = float(
            (1.0 - nu * (1.0 - self.m * self._resolvent(np.array([0.0 + 0j])).real))[0])

    # ------------------------------------------------------------ one-point functions
    def _resolvent(self, k):
        """``R(k) = <1/(lambda + k)>`` over the eigenvalues of ``Sigma`` (complex k)."""
        mu2 = self.mu1**2
        x = (self.m + k) / mu2
        return -self._mp.stieltjes(-x) / mu2

    def _resolvent_and_slope(self, k):
        mu2 = self.mu1**2
        x = (self.m + k) / mu2
        z = -x
        g = self._mp.stieltjes(z)
        nu = self.nu
        dg = (g - nu * g * g) / (2 * nu * z * g - z + 1 - nu)
        return -g / mu2, dg / mu2**2

    def kappa(self, sp: np.ndarray, guess: np.ndarray) -> np.ndarray:
        """Root of ``kappa - s' = gamma kappa (1 - kappa R(kappa))`` by Newton from ``guess``."""
        k = guess.astype(complex)
        gam = self.gamma
        res = np.inf
        it = 0
        for it in range(60):  # noqa: B007 (reported in the error)
            r, dr = self._resolvent_and_slope(k)
            f = k - sp - gam * k * (1 - k * r)
            df = 1 - gam + 2 * gam * k * r + gam * k * k * dr
            step = f / df
            k = k - step
            res = float(np.max(np.abs(step) / np.maximum(np.abs(k), 1e-300)))
            if res < 1e-14:
                return k
        if res < 1e-10:
            return k
        raise ConvergenceError("kappa(s) Newton iteration did not converge", res, it + 1)

    def kappa_on_contour(self, sp_of_theta, theta_nodes: np.ndarray, r: np.ndarray,
                         substeps: int = 6) -> np.ndarray:
        """``kappa`` at ``s'(theta)`` for sorted ``theta_nodes`` in [0, pi), continued from 0.

        ``sp_of_theta(theta)`` returns ``s'`` of shape (n_t,). Returns shape (n_t, n_theta).
        """
        out = np.empty((r.size, theta_nodes.size), dtype=complex)
        th_prev = 0.0
        sp = sp_of_theta(0.0)
        k = self.kappa(sp, sp.real + self.gamma + 1.0 + 0j)
        for j, th in enumerate(theta_nodes):
            for th_sub in np.linspace(th_prev, th, substeps + 1)[1:]:
                sp_new = sp_of_theta(th_sub)
                k = self.kappa(sp_new, k + (sp_new - sp))
                sp = sp_new
            th_prev = th
            out[:, j] = k
        return out

    # ------------------------------------------------------------ 2-D transforms
    def transforms(self, s1, s2, k1, k2) -> dict[str, np.ndarray]:
        """Double Laplace transforms (in tau) of the test and train pieces; broadcastable."""
        nu, gam, m, k0 = self.nu, self.gamma, self.m, self.kappa0
        sp1, sp2 = s1 + k0, s2 + k0
        r1, r2 = self._resolvent(k1), self._resolvent(k2)
        r0 = self._resolvent(np.array([0.0 + 0j]))[0]
        dk = k2 - k1
        d12 = gam * (1 + (k1 * k1 * r1 - k2 * k2 * r2) / dk)
        one = 1.0 - d12
        # <(lam - m)/(lam (lam + a)(lam + b))> by partial fractions at 0, -a, -b
        teach = (-m * r0 / (k1 * k2) + (k1 + m) * r1 / (k1 * dk) - (k2 + m) * r2 / (k2 * dk))
        pair = (k2 * r2 - k1 * r1) / dk  # <lam/((lam+k1)(lam+k2))>
        se2 = self.noise**2 + self.approximation_error
        inv = 1.0 / (s1 * s2)
        n1 = (k1 / sp1) * (1 - k1 * r1) - (k1 * k2 / sp1) * pair / one
        n2 = (k2 / sp2) * (1 - k2 * r2) - (k1 * k2 / sp2) * pair / one
        fac = sp1 * sp2 * inv

        def u(k, r):  # U(k) minus its constant nu R(0) (which cancels in U(k2) - U(k1)
            # and would cost digits: R(0) ~ 1/m when nu > 1)
            return nu * (m * r0 - (k + m) * r) / k

        dsp = sp2 - sp1
        return {
            "test_signal": inv * k1 * k2 * nu * teach / one,
            "test_noise": se2 * gam * inv * 0.5 * (n1 + n2),
            "train_signal": fac * (u(k2, r2) - u(k1, r1)) / dsp,
            "train_noise": se2 * (gam * fac * ((k1 / sp1) * r1 - (k2 / sp2) * r2) / dsp
                                  + (1 - gam) * inv),
        }


def make_flow(alpha, nu, noise, ridge, activation):
    """``(GaussianEquivalentFlow or None, function, mu0, mu1, mu_star2)`` for ``activation``."""
    f, mu0, mu1, m = resolve_activation(activation)
    if f is None:
        return None, None, 0.0, 1.0, 0.0
    if m <= MIN_NONLINEARITY * mu1**2:
        return None, f, mu0, mu1, m
    return GaussianEquivalentFlow(alpha, nu, noise, ridge, mu1, m), f, mu0, mu1, m
