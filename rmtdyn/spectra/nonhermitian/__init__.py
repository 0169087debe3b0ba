"""Non-Hermitian ensembles: Ginibre, elliptic, products of Wisharts, random-feature gradient flow.

Every ensemble answers ``sample``, ``eigenvalue_density``, ``support_boundary``, ``two_point``
(``T(z, w) = (1/N) tr[(z - A)^{-1}(w - A^T)^{-1}]``) and ``isotropic_loss``; see
``rmtdyn.spectra.nonhermitian.base`` and ``docs/nonhermitian.md``.
"""

from rmtdyn.spectra.nonhermitian.base import NonHermitianEnsemble, empirical_isotropic_loss
from rmtdyn.spectra.nonhermitian.elliptic import Elliptic, Ginibre
from rmtdyn.spectra.nonhermitian.product_wishart import ProductWishart, ProductWishartSpectrum
from rmtdyn.spectra.nonhermitian.random_feature_flow import RandomFeatureGradientFlowMatrix

__all__ = [
    "NonHermitianEnsemble",
    "Elliptic",
    "Ginibre",
    "ProductWishart",
    "ProductWishartSpectrum",
    "RandomFeatureGradientFlowMatrix",
    "empirical_isotropic_loss",
]
