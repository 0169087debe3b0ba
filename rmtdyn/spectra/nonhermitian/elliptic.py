r"""Elliptic and Ginibre ensembles: complex spectra, closed-form two-point function and loss.

Elliptic ``A`` (``N x N`` real): ``E A_ij^2 = sigma^2/N``, ``E A_ij A_ji = tau sigma^2/N``
(``i != j``), sampled as ``A = sigma [sqrt((1+tau)/2) S + sqrt((1-tau)/2) K] / sqrt(N)`` with
``S = (G + G^T)/sqrt(2)``, ``K = (G' - G'^T)/sqrt(2)``. ``tau = 1`` is GOE (semicircle),
``tau = 0`` Ginibre (uniform disk of radius sigma), ``tau = -1`` antisymmetric.

* Eigenvalue law: uniform on the ellipse with semi-axes ``sigma(1+tau)`` (real) and
  ``sigma(1-tau)`` (imaginary), density ``1/(pi sigma^2 (1 - tau^2))``.
* Outside it ``g(z) = (z - sqrt(z^2 - 4 tau sigma^2))/(2 tau sigma^2)
  = 2/(z (1 + sqrt(1 - 4 tau sigma^2/z^2)))`` (principal root of ``1 - w``: its cut
  ``z^2 in [0, 4 tau sigma^2]`` is the focal segment, so the formula is the physical branch off
  the ellipse for either sign of tau); ``g = 1/(z - tau sigma^2 g)``.
* Two-point function (ladder sum; the rung pairs ``A_ij`` in ``(z - A)^{-1}`` with
  ``(A^T)_ji = A_ij`` in ``(w - A^T)^{-1}``, variance ``sigma^2/N``):
  ``T(z, w) = g(z) g(w) / (1 - sigma^2 g(z) g(w))`` for ``z, w`` outside the ellipse.
  ``tau = 1`` gives ``(g(z) - g(w))/(w - z)`` (Hermitian), ``tau = 0`` gives ``1/(zw - sigma^2)``.
* Loss: expanding ``T = sum_k sigma^{2k-2} g(z)^k g(w)^k`` and integrating each power,
  ``(2 pi i)^{-1} oint e^{-tz} g(z)^k dz = (-1)^{k-1} t^{k-1}/(k-1)! 0F1(; k+1; tau sigma^2 t^2)``
  (from ``g^k = sum_m k/(k+2m) C(k+2m, m) tau^m z^{-k-2m}``), so

      isotropic_loss(t) = sum_{k>=1} [(sigma t)^{k-1}/(k-1)! 0F1(; k+1; tau sigma^2 t^2)]^2,

  a sum of positive terms (no cancellation): ``I0(2 sigma t)`` at tau = 0,
  ``I1(4t)/(2t)`` at tau = 1 (GOE ``R(2t)``) and exactly 1 at tau = -1 (orthogonal ``e^{-tA}``).
  ``response(t) = (1/N) tr e^{-tA} = 0F1(; 2; tau sigma^2 t^2)``
  (``= I1(2 sqrt(tau) t)/(sqrt(tau) t)``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from rmtdyn import _validation as check
from rmtdyn.spectra.nonhermitian.base import NonHermitianEnsemble, broadcast_pair

#: largest sigma t (1 + |tau|) for which the loss is finite in double precision
MAX_GROWTH = 340.0


def hyp0f1_family(x: np.ndarray, kmax: int) -> np.ndarray:
    """``0F1(; k+1; x)`` for ``k = 1..kmax`` and each ``x`` (shape ``(len(x), kmax)``).

    Two values at a high order ``V >= max(kmax, 2|x|) + 20`` come from the series (terms
    decrease from 1 since ``|x| < V``); lower orders from the backward contiguous recurrence
    ``F(v-1) = F(v) + x F(v+1)/(v (v-1))``, stable because the Bessel-type solution
    (``I`` for ``x > 0``, ``J`` for ``x < 0``) is the minimal one as the order grows.
    """
    x = np.asarray(x, dtype=float)
    top = int(max(kmax, 2.0 * np.abs(x).max(initial=0.0))) + 20

    def series(v):
        total = np.ones_like(x)
        term = np.ones_like(x)
        for m in range(1, 400):
            term = term * x / (m * (v + m - 1))
            total = total + term
            if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
                break
        return total

    out = np.empty((x.size, kmax))
    f_hi, f_mid = series(top + 2.0), series(top + 1.0)  # F(v+1), F(v) at v = top + 1
    v = top + 1.0
    while v > 2.0:
        f_lo = f_mid + x * f_hi / (v * (v - 1.0))  # F(v - 1)
        f_hi, f_mid = f_mid, f_lo
        v -= 1.0
        k = int(v) - 1  # F(v) = 0F1(; k+1; x)
        if 1 <= k <= kmax:
            out[:, k - 1] = f_mid
    return out


class Elliptic(NonHermitianEnsemble):
    """Elliptic ensemble with correlation ``tau`` in [-1, 1] and entry variance ``sigma^2/N``.

    Parameters
    ----------
    tau : float
        ``E A_ij A_ji / E A_ij^2`` in [-1, 1] (ValueError outside).
    variance : float
        ``sigma^2 > 0`` (``N E A_ij^2``); the ellipse scales with ``sigma``.
    """

    def __init__(self, tau: float, variance: float = 1.0):
        self.tau = check.in_range("tau", tau, -1.0, 1.0)
        self.variance = check.positive("variance", variance)
        self.sigma = math.sqrt(self.variance)

    def __repr__(self) -> str:
        return f"Elliptic(tau={self.tau!r}, variance={self.variance!r})"

    @property
    def semi_axes(self) -> tuple[float, float]:
        """``(sigma(1 + tau), sigma(1 - tau))``: real and imaginary semi-axes of the support."""
        return self.sigma * (1.0 + self.tau), self.sigma * (1.0 - self.tau)

    # ------------------------------------------------------------ sampling
    def sample(self, n: int, rng=None) -> np.ndarray:
        n = self._check_sample_size(n)
        gen = check.rng(rng)
        g1 = gen.standard_normal((n, n))
        g2 = gen.standard_normal((n, n))
        sym = (g1 + g1.T) / math.sqrt(2.0)
        anti = (g2 - g2.T) / math.sqrt(2.0)
        a = math.sqrt((1.0 + self.tau) / 2.0) * sym + math.sqrt((1.0 - self.tau) / 2.0) * anti
        return self.sigma * a / math.sqrt(n)

    # ------------------------------------------------------------ spectrum
    def inside(self, z) -> np.ndarray:
        """Boolean mask: ``z`` in the closed ellipse (for |tau| = 1: on the segment)."""
        z = check.complex_array("z", z)
        a, b = self.semi_axes
        if b == 0.0:
            return (z.imag == 0) & (np.abs(z.real) <= a)
        if a == 0.0:
            return (z.real == 0) & (np.abs(z.imag) <= b)
        return (z.real / a) ** 2 + (z.imag / b) ** 2 <= 1.0

    def eigenvalue_density(self, z) -> np.ndarray:
        """``1/(pi sigma^2 (1 - tau^2))`` inside the ellipse, 0 outside (area measure).

        For ``|tau| = 1`` the law lives on a segment (no area density): ValueError."""
        if abs(self.tau) == 1.0:
            raise ValueError("tau = +-1: the eigenvalue law lives on a segment and has no density "
                             "on the plane (tau = 1 is rmtdyn.Wigner)")
        z = check.complex_array("z", z)
        height = 1.0 / (math.pi * self.variance * (1.0 - self.tau**2))
        return np.where(self.inside(z), height, 0.0)

    def support_boundary(self, n: int = 400) -> np.ndarray:
        """The ellipse ``sigma((1+tau) cos phi + i (1-tau) sin phi)``, closed (first point
        repeated)."""
        n = check.positive_int("n", n, minimum=3)
        phi = np.linspace(0.0, 2.0 * np.pi, n)
        a, b = self.semi_axes
        return a * np.cos(phi) + 1j * b * np.sin(phi)

    def stieltjes(self, z) -> np.ndarray:
        """``g(z) = lim (1/N) tr (z - A)^{-1} = 2/(z(1 + sqrt(1 - 4 tau sigma^2/z^2)))`` outside
        the ellipse (ValueError inside)."""
        z = check.complex_array("z", z)
        self._check_outside(z, "z")
        return 2.0 / (z * (1.0 + np.sqrt(1.0 - 4.0 * self.tau * self.variance / (z * z))))

    def _check_outside(self, z, name):
        if np.any(self.inside(z)):
            raise ValueError(f"{name} must lie outside the limiting spectrum (the ellipse with "
                             f"semi-axes {self.semi_axes}); inside, the resolvent has no "
                             "deterministic limit")

    # ------------------------------------------------------------ dynamics
    def two_point(self, z, w) -> np.ndarray:
        """``T(z, w) = g(z) g(w)/(1 - sigma^2 g(z) g(w))`` for ``z``, ``w`` outside the ellipse."""
        z, w = broadcast_pair("z", z, "w", w)
        gz, gw = self.stieltjes(z), self.stieltjes(w)
        return gz * gw / (1.0 - self.variance * gz * gw)

    def two_point_laplace(self, s1, s2) -> np.ndarray:
        """``Q(s1, s2) = (1/N) tr[(s1 + A)^{-T}(s2 + A)^{-1}] = T(-s2, -s1)``."""
        s1, s2 = broadcast_pair("s1", s1, "s2", s2)
        return self.two_point(-s2, -s1)

    def response(self, t) -> np.ndarray:
        """``(1/N) E tr e^{-tA} = 0F1(; 2; tau sigma^2 t^2)`` (real: the spectrum is
        conjugation symmetric)."""
        t = check.times("t", t)
        return special.hyp0f1(2.0, self.tau * self.variance * t * t)

    def isotropic_loss(self, t) -> np.ndarray:
        """``sum_{k>=1} [(sigma t)^{k-1}/(k-1)! 0F1(; k+1; tau sigma^2 t^2)]^2`` (module
        docstring)."""
        t = check.times("t", t)
        x = self.sigma * t.ravel()
        if np.any(x > MAX_GROWTH / 2):
            raise ValueError(f"t too large: sigma t must be <= {MAX_GROWTH / 2} (the loss "
                             "grows like e^(2 sigma t (1 + tau)) and the series needs ~(sigma t)^2 "
                             "terms)")
        kmax = int(np.ceil(np.e * x.max(initial=0.0) * (1.0 + math.sqrt(abs(self.tau))))) + 40
        hyp = hyp0f1_family(self.tau * x * x, kmax)  # (n, kmax): 0F1(; k+1; tau x^2)
        k = np.arange(1, kmax + 1)
        safe = np.where(x > 0, x, 1.0)
        logpow = (k[None, :] - 1) * np.log(safe)[:, None] - special.gammaln(k)[None, :]
        with np.errstate(divide="ignore"):
            loga = logpow + np.log(np.abs(hyp))
        terms = np.exp(2.0 * loga)
        terms[x == 0, 1:] = 0.0
        terms[x == 0, 0] = 1.0
        return terms.sum(axis=1).reshape(t.shape)

    def hermitian_companion(self):
        """Only ``tau = 1`` has a real spectrum: its companion is ``rmtdyn.Wigner(variance)``."""
        if self.tau != 1.0:
            raise ValueError("the elliptic spectrum is complex for tau < 1: no Hermitian matrix "
                             "has it (hermitian_companion needs tau = 1)")
        from rmtdyn.spectra.wigner import Wigner

        return Wigner(self.variance)


class Ginibre(Elliptic):
    """Real Ginibre ``A = sigma G/sqrt(N)``: uniform on the disk of radius ``sigma``.

    Closed forms: ``g(z) = 1/z`` (``|z| > sigma``), ``T(z, w) = 1/(zw - sigma^2)``,
    ``response(t) = 1`` and ``isotropic_loss(t) = I0(2 sigma t)`` (paper-notes section 3.6): the
    norm grows although every mode's response is flat, the simplest non-normal transient.
    """

    def __init__(self, variance: float = 1.0):
        super().__init__(0.0, variance)

    def __repr__(self) -> str:
        return f"Ginibre(variance={self.variance!r})"

    def sample(self, n: int, rng=None) -> np.ndarray:
        n = self._check_sample_size(n)
        return self.sigma * check.rng(rng).standard_normal((n, n)) / math.sqrt(n)

    def two_point(self, z, w) -> np.ndarray:
        z, w = broadcast_pair("z", z, "w", w)
        self._check_outside(z, "z")
        self._check_outside(w, "w")
        return 1.0 / (z * w - self.variance)

    def isotropic_loss(self, t) -> np.ndarray:
        """``I0(2 sigma t)`` (computed as ``i0e(2 sigma t) e^{2 sigma t}``)."""
        t = check.times("t", t)
        x = 2.0 * self.sigma * t
        if np.any(x > 2 * MAX_GROWTH):
            raise ValueError(f"t too large: 2 sigma t must be <= {2 * MAX_GROWTH}")
        return special.i0e(x) * np.exp(x)
