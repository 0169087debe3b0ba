"""Wishart matrices: the Marchenko-Pastur law (identity population).

A population covariance (Silverstein's equation) is handled by
``rmtdyn.spectra.population`` and reached through the ``population=`` argument.
"""

from __future__ import annotations

import math

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum


class MarchenkoPastur(Spectrum):
    r"""Limiting spectrum of ``A = X^T X / P`` with ``X`` a ``P x N`` matrix of iid N(0, sigma^2).

    ``ratio = N/P`` (dimension over samples, called gamma below). With
    ``l_pm = sigma^2 (1 +- sqrt(gamma))^2`` the density is

        rho(x) = sqrt((l_+ - x)(x - l_-)) / (2 pi gamma sigma^2 x)   on [l_-, l_+],

    plus an atom of mass ``1 - 1/gamma`` at 0 when ``gamma > 1``. The Stieltjes
    transform solves ``gamma sigma^2 z g^2 - (z - sigma^2 (1 - gamma)) g + 1 = 0``;
    rationalising the usual root gives the cancellation-free form

        g(z) = 2 / (z - sigma^2 (1 - gamma) + sqrt(z - l_-) sqrt(z - l_+)),

    with the product of principal roots (``~ z`` at infinity in every direction).
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
        self.lower = self.variance * (1.0 - root) ** 2
        self.upper = self.variance * (1.0 + root) ** 2

    def __repr__(self) -> str:
        return f"MarchenkoPastur(ratio={self.ratio!r}, variance={self.variance!r})"

    def _stieltjes_upper(self, z):
        s2, gam = self.variance, self.ratio
        root = np.sqrt(z - self.lower) * np.sqrt(z - self.upper)
        with np.errstate(divide="ignore", invalid="ignore"):
            return 2.0 / (z - s2 * (1.0 - gam) + root)

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
        import sympy as sp

        from rmtdyn.symbolic.symbols import G, Z

        gam = sp.nsimplify(self.ratio, rational=True)
        s2 = sp.nsimplify(self.variance, rational=True)
        return sp.Poly(gam * s2 * Z * G**2 - (Z - s2 * (1 - gam)) * G + 1, G, Z)

    def r_transform(self):
        import sympy as sp

        from rmtdyn.symbolic.symbols import W

        gam = sp.nsimplify(self.ratio, rational=True)
        s2 = sp.nsimplify(self.variance, rational=True)
        return s2 / (1 - gam * s2 * W)

    def s_transform(self):
        import sympy as sp

        from rmtdyn.symbolic.symbols import W

        gam = sp.nsimplify(self.ratio, rational=True)
        s2 = sp.nsimplify(self.variance, rational=True)
        return 1 / (s2 * (1 + gam * W))
