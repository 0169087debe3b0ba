r"""Gradient flow on linear regression: train and test learning curves from the spectrum.

Model (conventions.md): ``X`` is ``P x N`` with iid N(0, 1) entries, teacher
``beta* ~ N(0, I_N)``, labels ``y = X beta*/sqrt(N) + sigma xi`` (``xi ~ N(0, I_P)``),
prediction ``x . w / sqrt(N)`` and

    dw/dt = -(1/P) X^T (X w - sqrt(N) y) - lam w,    w(0) ~ N(0, sigma0^2 I_N),

so the Hessian is the Wishart ``A = X^T X / P`` whose limiting law is
Marchenko-Pastur with ``ratio = gamma = N/P`` (atom ``1 - 1/gamma`` at 0 when
``gamma > 1``). ``lam`` is the ridge.

Derivation (each eigenmode of A separately). In the eigenbasis ``A v_i = l_i v_i``,
write ``k = l + lam`` and ``phi(k, t) = (1 - e^{-k t})/k`` (``= t`` at ``k = 0``). With
``b = X^T xi`` one has ``E[(v_i . b)^2 | X] = P l_i``, so the label noise feeds the
mode ``i`` with variance ``sigma^2 gamma l_i``, and the error ``e = w - beta*`` is

    e_i(t) = e^{-k t} w0_i - B(l, t) beta*_i + phi(k, t) (sigma sqrt(N)/P) (v_i . b),
    B(l, t) = 1 - l phi(k, t) = (lam + l e^{-k t}) / k          (B = 1 at k = 0).

Hence, with ``rho`` the MP law (atoms included):

    test_error(t) = |w - beta*|^2/N
                  = int rho(l) [ sigma0^2 e^{-2kt} + B^2 + sigma^2 gamma l phi^2 ] dl,

    train_loss(t) = (1/P)|X w/sqrt(N) - y|^2
                  = int rho(l) l [ sigma0^2 e^{-2kt} + B^2 ] dl
                    + sigma^2 [ (1 - gamma)_+ + gamma int_{l>0} rho(l) B^2 dl ].

The second line is the P-side form: the label-noise residual lives on the P
eigenmodes of ``K = X X^T/P``, ``(1 - gamma)_+`` of which are null modes that
keep their residual (``B = 1``). At ``lam = 0`` it is the paper's
``sigma^2 (1/P) tr e^{-2Kt} = sigma^2 [gamma int_{l>0} rho e^{-2lt} + (1 - gamma)_+]``.
Every term is a sum of non-negative pieces, so the curves keep their relative
accuracy on log axes.

Limits t -> inf (``limit()``) come from the resolvent ``g(z) = int rho/(z - l)``
and its derivative ``g'`` at ``z = -lam``, not from the time formulas:

    lam > 0:  test  = -lam^2 g' + sigma^2 gamma (-g + lam g'),
              train = lam^2 (-g + lam g') + sigma^2 (1 - gamma - gamma lam^2 g'),
    lam = 0:  gamma < 1:  test = sigma^2 gamma/(1 - gamma),   train = sigma^2 (1 - gamma);
              gamma > 1:  test = (1 - 1/gamma)(1 + sigma0^2) + sigma^2/(gamma - 1), train = 0;
              gamma = 1:  test = inf if sigma > 0 (hard edge), train = 0.

The noisy test MSE of conventions.md is ``test_error + sigma^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.learning.curves import LossCurves
from rmtdyn.spectra.marchenko_pastur import MarchenkoPastur


@dataclass(frozen=True)
class EarlyStopping:
    """The optimal stopping time of gradient flow and the test error there.

    ``time`` is ``inf`` when the test error decreases all the way to its limit.
    """

    time: float
    test_error: float


@dataclass(frozen=True)
class LossLimits:
    """``t -> inf`` values of the train loss and the test error (``inf`` if divergent)."""

    train: float
    test: float


def _mode_terms(lam: np.ndarray, t: np.ndarray, ridge: float):
    """Per-mode ``e^{-kt}``, ``phi = (1 - e^{-kt})/k`` and ``B = (ridge + l e^{-kt})/k``.

    ``lam`` has shape (n_modes,), ``t`` shape (n_t,); the outputs are (n_modes, n_t). At
    ``k = l + ridge = 0`` (an atom at 0 without ridge) the limits ``phi = t``, ``B = 1`` are
    used. ``phi`` uses ``expm1`` (no cancellation for small ``k t``).
    """
    k = lam + ridge
    null = k <= 0
    ks = np.where(null, 1.0, k)[:, None]
    kt = ks * t[None, :]
    decay = np.exp(-kt)
    phi = -np.expm1(-kt) / ks
    bias = (ridge + lam[:, None] * decay) / ks
    if null.any():
        decay[null] = 1.0
        phi[null] = t
        bias[null] = 1.0
    return decay, phi, bias


class LinearRegressionFlow:
    r"""Gradient flow on ridge-regularised linear regression in the proportional limit.

    Parameters
    ----------
    ratio : float
        ``gamma = N/P > 0`` (dimension over samples; ``alpha = 1/ratio``).
    noise : float
        Label-noise standard deviation ``sigma >= 0`` (labels ``y = X beta*/sqrt(N) + sigma xi``).
    ridge : float
        Ridge ``lam >= 0`` in ``dw/dt = -(1/P) X^T (X w - sqrt(N) y) - lam w``.
    init_variance : float
        ``sigma0^2 >= 0``, the variance of the entries of ``w(0)`` (conventions: 0).

    The formulas are in the module docstring; the Hessian law is ``self.spectrum``
    (``MarchenkoPastur(ratio)``) and every curve is one vectorised spectral integral
    ``spectrum.expect`` over t.

    Examples
    --------
    >>> import numpy as np, rmtdyn as rd
    >>> flow = rd.LinearRegressionFlow(ratio=0.5, noise=0.5)
    >>> round(flow.test_error(0.0), 12)
    1.0
    >>> round(flow.limit().test, 6)   # sigma^2 gamma / (1 - gamma)
    0.25
    """

    def __init__(self, ratio: float, noise: float = 0.0, ridge: float = 0.0,
                 init_variance: float = 0.0):
        self.ratio = check.positive("ratio", ratio)
        self.noise = check.nonnegative("noise", noise)
        self.ridge = check.nonnegative("ridge", ridge)
        self.init_variance = check.nonnegative("init_variance", init_variance)
        self.spectrum = MarchenkoPastur(self.ratio)

    def __repr__(self) -> str:
        return (f"LinearRegressionFlow(ratio={self.ratio!r}, noise={self.noise!r}, "
                f"ridge={self.ridge!r}, init_variance={self.init_variance!r})")

    @property
    def params(self) -> dict:
        """The model parameters as a plain dict (used in ``LossCurves.params``)."""
        return {"ratio": self.ratio, "noise": self.noise, "ridge": self.ridge,
                "init_variance": self.init_variance}

    # ------------------------------------------------------------ curves
    def _evaluate(self, t, which: tuple[str, ...]) -> dict[str, np.ndarray]:
        """The requested curves on times ``t`` (any shape): one pass over the spectral rule.

        ``int f drho = sum_k w_k f(l_k)`` with the nodes/weights of
        ``spectrum.quadrature_rule`` (tanh-sinh on the bulk, atoms exact), i.e.
        ``spectrum.expect`` written as one matrix-vector product per curve.
        """
        t = check.times("t", t)
        flat = t.ravel()
        rule = self.spectrum.quadrature_rule
        lam, weights = rule.nodes, rule.weights
        r, s2, g, v0 = self.ridge, self.noise**2, self.ratio, self.init_variance
        decay, phi, bias = _mode_terms(lam, flat, r)
        common = bias * bias  # B^2
        if v0 > 0:
            common += v0 * decay * decay
        out = {}
        if "test" in which:
            test = common + (s2 * g) * lam[:, None] * phi * phi
            out["test"] = (weights @ test).reshape(t.shape)
        if "train" in which:
            noise_weights = weights * (lam > 0)  # the P-side null modes are the (1 - g)_+ term
            train = weights * lam @ common + (s2 * g) * (noise_weights @ (bias * bias))
            out["train"] = (train + s2 * max(1.0 - g, 0.0)).reshape(t.shape)
        return out

    def test_error(self, t) -> np.ndarray:
        """Excess test error ``|w(t) - beta*|^2/N`` (theory), for ``t >= 0`` of any shape.

        ``int rho(l)[sigma0^2 e^{-2kt} + B(l,t)^2 + sigma^2 gamma l phi(k,t)^2] dl``, k = l + lam.
        """
        return self._evaluate(t, ("test",))["test"]

    def train_loss(self, t) -> np.ndarray:
        """Training loss ``(1/P)|X w(t)/sqrt(N) - y|^2`` (theory), for ``t >= 0`` of any shape.

        ``int rho l [sigma0^2 e^{-2kt} + B^2] + sigma^2[(1-gamma)_+ + gamma int_{l>0} rho B^2]``.
        """
        return self._evaluate(t, ("train",))["train"]

    def curves(self, t) -> LossCurves:
        """Train loss and test error on the 1-D time grid ``t`` as a theory ``LossCurves``."""
        t = check.times("t", t)
        if t.ndim != 1:
            raise ValueError(f"t must be one-dimensional, got shape {t.shape}")
        both = self._evaluate(t, ("train", "test"))
        return LossCurves(t=t, curves={"train": both["train"], "test": both["test"]},
                          source="theory", params=self.params)

    # ------------------------------------------------------------ limits
    def limit(self) -> LossLimits:
        """``t -> inf`` train loss and test error from the resolvent (formulas in the module doc).

        For ``ridge > 0`` the values use ``g(-lam)`` and ``g'(-lam)``, with ``g'`` from implicit
        differentiation of the MP equation ``gamma z g^2 - (z - 1 + gamma) g + 1 = 0``; for
        ``ridge = 0`` the least-squares (minimum-norm) formulas. ``test`` is ``inf`` at
        ``ratio = 1`` with ``noise > 0`` and no ridge (the variance diverges at the hard edge).
        """
        gam, s2, r = self.ratio, self.noise**2, self.ridge
        if r > 0:
            z = -r
            g = float(self.spectrum.stieltjes(complex(z)).real)
            # dP/dg g' + dP/dz = 0 for P(g, z) = gam z g^2 - (z - 1 + gam) g + 1.
            dg = -(gam * g * g - g) / (2.0 * gam * z * g - (z - 1.0 + gam))
            test = -r * r * dg + s2 * gam * (-g + r * dg)
            train = r * r * (-g + r * dg) + s2 * (1.0 - gam - gam * r * r * dg)
            return LossLimits(train=float(train), test=float(test))
        if gam < 1.0:
            return LossLimits(train=s2 * (1.0 - gam), test=s2 * gam / (1.0 - gam))
        null = 1.0 - 1.0 / gam
        if gam > 1.0:
            return LossLimits(train=0.0,
                              test=null * (1.0 + self.init_variance) + s2 / (gam - 1.0))
        return LossLimits(train=0.0, test=np.inf if s2 > 0 else 0.0)

    def early_stopping(self, t_max: float = 1e4) -> EarlyStopping:
        """Time of the minimum of ``test_error`` on ``[0, t_max]`` and the minimum itself.

        A log-spaced scan (200 points from 1e-3 to ``t_max``, plus t = 0) brackets the
        global minimum between the neighbours of the best scanned point; the bracket is then
        refined by vectorised zooming (33 equispaced points per round, keep the neighbours of
        the best one: the bracket shrinks 16-fold a round) until it is below 1e-10 relative.
        If no scanned value lies below the ``t -> inf`` limit (beyond round-off), the curve
        decreases to its limit: ``time = inf`` and the limit is returned (e.g. noise = 0, or
        a large ridge).
        """
        t_max = check.positive("t_max", t_max)
        grid = np.concatenate([[0.0], np.geomspace(min(1e-3, t_max / 10), t_max, 200)])
        values = self.test_error(grid)
        i = int(np.argmin(values))
        lim = self.limit().test
        # Rule: the curve "decreases to its limit" unless the scan dips below the limit by
        # more than round-off (1e-12 relative); then the minimum is interior.
        if values[i] >= lim - 1e-12 * max(1.0, abs(lim)):
            return EarlyStopping(time=np.inf, test_error=float(lim))
        if i == grid.size - 1:
            return EarlyStopping(time=float(grid[-1]), test_error=float(values[-1]))
        if i == 0 and values[0] <= values[1]:
            return EarlyStopping(time=0.0, test_error=float(values[0]))
        lo, hi = grid[max(i - 1, 0)], grid[i + 1]
        best_t, best = float(grid[i]), float(values[i])
        for _ in range(20):  # each round: one vectorised evaluation, bracket / 16
            pts = np.linspace(lo, hi, 33)
            vals = self.test_error(pts)
            j = int(np.argmin(vals))
            if vals[j] <= best:
                best_t, best = float(pts[j]), float(vals[j])
            lo, hi = pts[max(j - 1, 0)], pts[min(j + 1, pts.size - 1)]
            if hi - lo <= 1e-10 * max(best_t, 1e-300):
                break
        return EarlyStopping(time=best_t, test_error=best)
