"""Wigner matrices: the semicircle law."""

from __future__ import annotations

import math

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum

#: Beyond ``|z| > FAR * (1 + scale)`` the closed forms would overflow; there
#: ``g = 1/z + m_1/z^2`` is exact to double precision (the next term is < 1e-32 relative).
FAR = 1e16


def far_field(z: np.ndarray, scale: float, mean: float) -> tuple[np.ndarray, np.ndarray]:
    """Mask of points with ``|z| > FAR (1 + scale)`` and ``1/z + mean/z^2`` there."""
    far = np.abs(z) > FAR * (1.0 + scale)
    zf = z[far]
    size = np.maximum(np.abs(zf.real), np.abs(zf.imag))  # scale first: |z|^2 may overflow
    unit = zf / size
    inv = 1.0 / unit
    return far, inv / size + (mean / size) / size * inv * inv


class Wigner(Spectrum):
    r"""Semicircle law of ``A = sigma (G + G^T)/sqrt(2N)``, ``G`` iid N(0, 1).

    Density ``rho(x) = sqrt(4 sigma^2 - x^2) / (2 pi sigma^2)`` on ``[-2 sigma, 2 sigma]``.
    Stieltjes transform (equation ``sigma^2 g^2 - z g + 1 = 0``)::

        g(z) = 2 / (z + sqrt(z - 2 sigma) sqrt(z + 2 sigma)),

    the product of principal square roots, which equals ``z`` (not ``-z``) far from
    the cut in every direction, so this is the physical branch (``g ~ 1/z``) and the
    form has no cancellation at large ``|z|``. At the edges ``g(+-2 sigma) = +-1/sigma``
    (finite: soft edges); for ``|z| > 1e16 (1 + 2 sigma)`` ``g = 1/z`` (no overflow).
    R-transform ``R(w) = sigma^2 w``; moments ``m_{2j} = Catalan(j) sigma^{2j}``.

    Parameters
    ----------
    variance : float
        ``sigma^2 > 0``, the variance of the off-diagonal entries times N.
    """

    def __init__(self, variance: float = 1.0):
        self.variance = check.positive("variance", variance)
        self.sigma = math.sqrt(self.variance)

    def __repr__(self) -> str:
        return f"Wigner(variance={self.variance!r})"

    def _stieltjes_upper(self, z):
        e = 2.0 * self.sigma
        far, g_far = far_field(z, e, 0.0)
        zn = z[~far]
        out = np.empty(z.shape, dtype=complex)
        out[~far] = 2.0 / (zn + np.sqrt(zn - e) * np.sqrt(zn + e))
        out[far] = g_far
        return out

    def _stieltjes_mp(self, z, dps):
        import mpmath

        out = np.empty(z.shape, dtype=object)
        with mpmath.workdps(dps):
            e = 2 * mpmath.sqrt(mpmath.mpf(self.variance))
            for idx, zz in np.ndenumerate(z):
                lower = zz.imag < 0
                zm = mpmath.mpc(zz.real, abs(zz.imag))
                g = 2 / (zm + mpmath.sqrt(zm - e) * mpmath.sqrt(zm + e))
                out[idx] = mpmath.conj(g) if lower else g
        return out

    def _density_inside(self, x):
        # (2s - x)(2s + x) avoids the cancellation of 4s^2 - x^2 near the edges.
        e = 2.0 * self.sigma
        return np.sqrt(np.maximum((e - x) * (e + x), 0.0)) / (2.0 * np.pi * self.variance)

    def support(self):
        return ((-2.0 * self.sigma, 2.0 * self.sigma),)

    def moment(self, k):
        """Odd moments vanish; ``m_{2j} = Catalan(j) sigma^{2j}``."""
        k = check.positive_int("k", k, minimum=0)
        if k % 2:
            return 0.0
        j = k // 2
        return math.comb(2 * j, j) / (j + 1) * self.variance**j

    def sample(self, n, rng=None):
        n = self._check_sample_size(n)
        g = check.rng(rng).standard_normal((n, n))
        return self.sigma * (g + g.T) / math.sqrt(2.0 * n)

    def equation(self):
        """``sigma^2 g^2 - z g + 1 = 0``, derived by sympy from ``R(w) = sigma^2 w``."""
        from rmtdyn.symbolic.transforms import equation_from_r

        return equation_from_r(self.r_transform())

    def r_transform(self):
        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        return exact_rational(self.variance) * W
