r"""Linear time-invariant systems driven by a random matrix: response and correlation.

The model is

    d theta/dt = -A theta + xi(t),   theta(0) ~ N(0, sigma0^2 I_N),

with ``A`` an ``N x N`` Hermitian random matrix whose eigenvalue law is a rmtdyn
``Spectrum`` ``rho`` (atoms and negative eigenvalues allowed), and ``xi`` a
Gaussian noise independent of ``theta(0)`` and ``A``, iid over coordinates, with a
two-time covariance ``E xi_i(u) xi_j(v) = delta_ij K(u, v)``. Two noises are offered:

* white noise of strength ``D``: ``K(u, v) = 2 D delta(u - v)`` (``noise=D``);
* a user covariance kernel ``K(u, v)`` (``noise=callable``), vectorised: called with
  broadcastable arrays ``u``, ``v`` it returns ``K`` with their broadcast shape.

DMFT order parameters (conventions.md, paper-notes §4.2), for ``N -> inf``:

* Response ``R(tau) = (1/N) tr e^{-tau A} = int e^{-l tau} drho(l)`` (``tau >= 0``); the
  two-time response is ``R(t, t') = R(t - t') Theta(t - t')``. Its Laplace transform is
  ``-g(-s)``.
* Correlation ``C(t, t') = (1/N) E theta(t) . theta(t')``

      C(t, t') = sigma0^2 R(t + t')
                 + int drho(l) int_0^t du int_0^t' dv e^{-l(t-u)} e^{-l(t'-v)} K(u, v).

  For white noise the double integral is closed:
  ``2D int_0^{min} e^{-l(t + t' - 2u)} du = D e^{-l|t - t'|} (1 - e^{-2 l min(t,t')})/l``,
  evaluated as ``D e^{-l|t-t'|} * (-expm1(-2 l m)/l)`` with the value ``2 D m`` at ``l = 0``
  (atoms at 0) and no cancellation for ``l < 0`` (growing modes) or tiny ``l``.
  For a kernel, the inner double integral is a tensor Gauss-Legendre rule with
  ``quad_points`` nodes per axis (exponential convergence for smooth ``K``; a kink on the
  diagonal, as in ``exp(-|u - v|)``, converges like ``quad_points^-2``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum

#: number of (t, t') pairs evaluated per vectorised block in ``correlation``.
_PAIR_BLOCK = 8192


def _psi(lam: np.ndarray, s: np.ndarray) -> np.ndarray:
    """``(1 - e^{-l s})/l`` for any real ``l`` (``s`` at ``l = 0``; expm1, no cancellation)."""
    nonzero = lam != 0
    safe = np.where(nonzero, lam, 1.0)
    with np.errstate(over="ignore"):
        return np.where(nonzero, -np.expm1(-lam * s) / safe, s)


class LTISystem:
    r"""``d theta/dt = -A theta + xi(t)`` with ``A`` drawn from ``spectrum`` (Hermitian).

    Parameters
    ----------
    spectrum : Spectrum
        The limiting eigenvalue law of A (any Hermitian rmtdyn spectrum, e.g.
        ``Wigner() + 2`` or ``MarchenkoPastur(0.5)``).
    noise : None, float or callable
        ``None``: no noise. A number ``D >= 0``: white noise,
        ``E xi_i(u) xi_j(v) = 2 D delta_ij delta(u - v)``. A callable ``K(u, v)``: the
        covariance ``E xi_i(u) xi_j(v) = delta_ij K(u, v)`` (vectorised, broadcasting).
    init_variance : float
        ``sigma0^2 >= 0``, the variance of each coordinate of ``theta(0)`` (default 1).
    quad_points : int
        Gauss-Legendre points per axis for a kernel noise (default 48).

    Examples
    --------
    >>> import rmtdyn as rd
    >>> sys = rd.LTISystem(rd.Wigner() + 2.0, noise=0.5)
    >>> float(sys.response(0.0))
    1.0
    """

    def __init__(self, spectrum: Spectrum, noise: float | Callable | None = None,
                 init_variance: float = 1.0, quad_points: int = 48):
        if not isinstance(spectrum, Spectrum) or not getattr(spectrum, "hermitian", False):
            raise TypeError("spectrum must be a Hermitian rmtdyn Spectrum (e.g. rd.Wigner() + 2)")
        self.spectrum = spectrum
        self.init_variance = check.nonnegative("init_variance", init_variance)
        self.quad_points = check.positive_int("quad_points", quad_points, minimum=2)
        if noise is None:
            self.white_noise, self.kernel = 0.0, None
        elif callable(noise):
            self.white_noise, self.kernel = 0.0, noise
        else:
            self.white_noise, self.kernel = check.nonnegative("noise", noise), None

    def __repr__(self) -> str:
        noise = self.kernel if self.kernel is not None else self.white_noise
        return (f"LTISystem({self.spectrum!r}, noise={noise!r}, "
                f"init_variance={self.init_variance!r})")

    # ----------------------------------------------------------- response
    def response(self, t) -> np.ndarray:
        """``R(t) = int e^{-l t} drho(l)`` for lags ``t >= 0`` of any shape (``R(0) = 1``)."""
        return self.spectrum.response(t)

    def response_two_time(self, t, t2) -> np.ndarray:
        """Causal two-time response ``R(t, t2) = R(t - t2)`` if ``t >= t2`` else 0 (broadcast)."""
        t, t2 = self._pair("t", t, "t2", t2)
        lag = t - t2
        out = np.zeros(lag.shape)
        causal = lag >= 0
        out[causal] = self.spectrum.response(lag[causal])
        return out

    # -------------------------------------------------------- correlation
    def correlation(self, t, t2=None) -> np.ndarray:
        """``C(t, t2) = (1/N) E theta(t) . theta(t2)``; ``t2=None`` gives ``C(t, t)``.

        ``t`` and ``t2`` (times >= 0) broadcast against each other. See the module docstring
        for the formula; the pairs are evaluated in blocks of one spectral quadrature each.
        """
        if t2 is None:
            t2 = t
        t, t2 = self._pair("t", t, "t2", t2)
        shape = t.shape
        a, b = t.ravel(), t2.ravel()
        out = np.empty(a.size)
        for start in range(0, a.size, _PAIR_BLOCK):  # blocks bound memory, not a grid loop
            sl = slice(start, start + _PAIR_BLOCK)
            out[sl] = self._correlation_block(a[sl], b[sl])
        return out.reshape(shape)

    def _correlation_block(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        total = self.init_variance * self.spectrum.response(a + b) if self.init_variance else 0.0
        if self.white_noise > 0:
            lag, low = np.abs(a - b), np.minimum(a, b)

            def white(lam):
                lam = lam[:, None]
                psi = _psi(lam, 2.0 * low)
                with np.errstate(over="ignore", invalid="ignore"):
                    # psi = 0 exactly when min(t, t') = 0: the term is 0 even if e^{-l lag}
                    # overflows (l < 0), never inf * 0 = NaN.
                    return np.where(psi == 0, 0.0, np.exp(-lam * lag) * psi)

            total = total + self.white_noise * np.asarray(self.spectrum.expect(white))
        if self.kernel is not None:
            total = total + self._kernel_term(a, b)
        return np.broadcast_to(np.asarray(total, dtype=float), a.shape)

    def _kernel_term(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``int drho int_0^a int_0^b e^{-l(a-u)} e^{-l(b-v)} K(u, v)`` by tensor Gauss-Legendre."""
        x, w = np.polynomial.legendre.leggauss(self.quad_points)
        x, w = (x + 1.0) / 2.0, w / 2.0
        u, v = a[:, None] * x, b[:, None] * x  # (m, q)
        wu, wv = a[:, None] * w, b[:, None] * w
        kern = np.asarray(self.kernel(u[:, :, None], v[:, None, :]), dtype=float)
        if kern.shape != (a.size, x.size, x.size):
            raise ValueError("the noise kernel K(u, v) must broadcast: called with arrays of "
                             f"shapes {u[:, :, None].shape} and {v[:, None, :].shape} it returned "
                             f"shape {kern.shape}")
        if not np.all(np.isfinite(kern)):
            raise ValueError("the noise kernel K(u, v) returned non-finite values")

        def integrand(lam):
            lam = lam[:, None, None]
            with np.errstate(over="ignore"):
                left = np.exp(-lam * (a[:, None] - u)) * wu  # (L, m, q)
                right = np.exp(-lam * (b[:, None] - v)) * wv
            return np.einsum("lmi,mij,lmj->lm", left, kern, right, optimize=True)

        return np.asarray(self.spectrum.expect(integrand))

    # --------------------------------------------------------- single site
    def single_site(self, t, n_paths: int, rng=None):
        """Sample paths of the DMFT single-site process (Wigner/GOE ``A = shift + M`` only).

        See ``rmtdyn.dmft.single_site.sample_single_site``.
        """
        from rmtdyn.dmft.single_site import sample_single_site

        return sample_single_site(self, t, n_paths, rng=rng)

    # ------------------------------------------------------------- helpers
    @staticmethod
    def _pair(name1, t1, name2, t2) -> tuple[np.ndarray, np.ndarray]:
        t1 = check.times(name1, t1)
        t2 = check.times(name2, t2)
        try:
            return tuple(np.array(x, dtype=float) for x in np.broadcast_arrays(t1, t2))
        except ValueError as exc:
            raise ValueError(f"{name1} and {name2} must have broadcastable shapes, got "
                             f"{t1.shape} and {t2.shape}") from exc
