"""Wishart matrices: the Marchenko-Pastur law (identity population).

A population covariance (Silverstein's equation) is handled by
``rmtdyn.spectra.population`` and reached through the ``population=`` argument.
"""

from __future__ import annotations

import math

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum
from rmtdyn.spectra.wigner import far_field


class MarchenkoPastur(Spectrum):
    r"""Limiting spectrum of ``A = X^T X / P`` with ``X`` a ``P x N`` matrix of iid N(0, sigma^2).

    ``ratio = N/P`` (dimension over samples, called gamma below). With
    ``l_pm = sigma^2 (1 +- sqrt(gamma))^2`` the density is

        rho(x) = sqrt((l_+ - x)(x - l_-)) / (2 pi gamma sigma^2 x)   on [l_-, l_+],

    plus an atom of mass ``1 - 1/gamma`` at 0 when ``gamma > 1``. The Stieltjes
    transform solves ``gamma sigma^2 z g^2 - (z - sigma^2 (1 - gamma)) g + 1 = 0``;
    rationalising the usual root gives the cancellation-free form

        g(z) = 2 / (z - sigma^2 (1 - gamma) + sqrt(z - l_-) sqrt(z - l_+)),

    with the product of principal roots (``~ z`` at infinity in every direction). Near
    ``z = 0`` with ``gamma > 1`` that denominator cancels, so there the equivalent
    ``g = (z - sigma^2 (1 - gamma) - sqrt sqrt) / (2 gamma sigma^2 z)`` is used (the two
    forms multiply to ``4 gamma sigma^2 z``; the larger-modulus one is taken pointwise).

    At ``z = 0`` (and ``|z| < 1e-300``) with ``gamma >= 1`` (the atom for ``gamma > 1``, the
    hard edge ``rho ~ 1/sqrt(x)`` for ``gamma = 1``) ``g(0 + i0)`` is infinite: ``stieltjes``
    returns ``complex(0, -inf)`` there (imaginary part ``-inf``: infinite density; the real part
    has no direction-independent limit and is reported as 0). Never NaN.
    R-transform ``sigma^2 / (1 - gamma sigma^2 w)``; S-transform ``1/(sigma^2 (1 + gamma w))``.

    Parameters
    ----------
    ratio : float
        ``gamma = N/P > 0``.
    variance : float
        ``sigma^2 > 0``, the variance of the entries of X.
    population : optional
        Spectrum of the population covariance Sigma (``A = Sigma^{1/2} X^T X Sigma^{1/2}/P``):
        a pair ``(eigenvalues, weights)`` or any Hermitian rmtdyn spectrum on [0, inf).
        ``None`` means Sigma = I.
    """

    def __new__(cls, ratio: float = 1.0, variance: float = 1.0, population=None):
        if population is not None and cls is MarchenkoPastur:
            from rmtdyn.spectra.population import PopulationMarchenkoPastur

            return PopulationMarchenkoPastur(ratio, variance, population)
        return super().__new__(cls)

    def __init__(self, ratio: float, variance: float = 1.0, population=None):
        self.ratio = check.positive("ratio", ratio)
        self.variance = check.positive("variance", variance)
        self.population = None
        root = math.sqrt(self.ratio)
        # (1 - sqrt(gamma)) = (1 - gamma)/(1 + sqrt(gamma)): no cancellation near gamma = 1
        self.lower = self.variance * ((1.0 - self.ratio) / (1.0 + root)) ** 2
        self.upper = self.variance * (1.0 + root) ** 2

    def __repr__(self) -> str:
        return f"MarchenkoPastur(ratio={self.ratio!r}, variance={self.variance!r})"

    def _stieltjes_upper(self, z):
        s2, gam = self.variance, self.ratio
        far, g_far = far_field(z, self.upper, s2)
        zn = z[~far]
        root = np.sqrt(zn - self.lower) * np.sqrt(zn - self.upper)
        plus = zn - s2 * (1.0 - gam) + root  # never small away from z = 0
        minus = zn - s2 * (1.0 - gam) - root  # plus * minus = 4 gamma s2 z
        use_minus = np.abs(minus) > np.abs(plus)
        g = np.empty(zn.shape, dtype=complex)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            g[~use_minus] = 2.0 / plus[~use_minus]
            g[use_minus] = minus[use_minus] / (2.0 * gam * s2 * zn[use_minus])
        if gam >= 1.0:  # pole (gamma > 1) or hard edge (gamma = 1) at exactly z = 0, and
            # |g| beyond the double range for |z| ~ 1e-308 next to it: reported as the pole
            # (|z| < 1e-300 counts as 0: subnormal z carries too few bits for g ~ z^{-1/2})
            g[(np.abs(zn) < 1e-300) | np.isnan(g)] = complex(0.0, -np.inf)
        out = np.empty(z.shape, dtype=complex)
        out[~far] = g
        out[far] = g_far
        return out

    def _stieltjes_mp(self, z, dps):
        import mpmath

        out = np.empty(z.shape, dtype=object)
        with mpmath.workdps(dps):
            s2, gam = mpmath.mpf(self.variance), mpmath.mpf(self.ratio)
            lo = s2 * (1 - mpmath.sqrt(gam)) ** 2
            hi = s2 * (1 + mpmath.sqrt(gam)) ** 2
            for idx, zz in np.ndenumerate(z):
                lower = zz.imag < 0
                zm = mpmath.mpc(zz.real, abs(zz.imag))
                if zm == 0 and gam >= 1:
                    out[idx] = mpmath.mpc(0, "-inf")
                    continue
                root = mpmath.sqrt(zm - lo) * mpmath.sqrt(zm - hi)
                plus, minus = zm - s2 * (1 - gam) + root, zm - s2 * (1 - gam) - root
                g = 2 / plus if abs(plus) >= abs(minus) else minus / (2 * gam * s2 * zm)
                out[idx] = mpmath.conj(g) if lower else g
        return out

    def density(self, x):
        """``sqrt((l_+ - x)(x - l_-)) / (2 pi gamma sigma^2 x)`` inside ``(l_-, l_+)``, 0 elsewhere
        (the atom at 0 is not included). One vectorised pass, no masking."""
        x = check.real_array("x", x)
        width = np.asarray((self.upper - x) * (x - self.lower))  # > 0 exactly inside the support
        np.maximum(width, 0.0, out=width)
        np.sqrt(width, out=width)
        out = np.zeros_like(width)
        np.divide(width, (2.0 * np.pi * self.ratio * self.variance) * x, out=out, where=width > 0)
        return out

    def _density_inside(self, x):
        width = np.maximum((self.upper - x) * (x - self.lower), 0.0)
        return np.sqrt(width) / (2.0 * np.pi * self.ratio * self.variance * x)

    def support(self):
        return ((self.lower, self.upper),)

    def atoms(self):
        if self.ratio > 1.0:
            return ((0.0, 1.0 - 1.0 / self.ratio),)
        return ()

    def moment(self, k):
        """Narayana polynomials: ``m_k = sigma^{2k} sum_{j<k} gamma^j C(k, j) C(k-1, j)/(j+1)``."""
        k = check.positive_int("k", k, minimum=0)
        if k == 0:
            return 1.0
        total = sum(self.ratio**j * math.comb(k, j) * math.comb(k - 1, j) / (j + 1)
                    for j in range(k))
        return float(self.variance**k * total)

    def sample(self, n, rng=None):
        n = self._check_sample_size(n)
        p = max(1, round(n / self.ratio))
        x = math.sqrt(self.variance) * check.rng(rng).standard_normal((p, n))
        return x.T @ x / p

    def equation(self):
        """``gamma sigma^2 z g^2 - (z - sigma^2(1 - gamma)) g + 1 = 0`` (up to a constant factor),
        derived by sympy from the R-transform ``sigma^2/(1 - gamma sigma^2 w)``."""
        from rmtdyn.symbolic.transforms import equation_from_r

        return equation_from_r(self.r_transform())

    def r_transform(self):
        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        gam = exact_rational(self.ratio)
        s2 = exact_rational(self.variance)
        return s2 / (1 - gam * s2 * W)

    def s_transform(self):
        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import W

        gam = exact_rational(self.ratio)
        s2 = exact_rational(self.variance)
        return 1 / (s2 * (1 + gam * W))
