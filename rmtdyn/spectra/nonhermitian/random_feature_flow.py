"""The function-space matrix of random-feature gradient flow, ``T = F Sigma_hat``.

Random-feature model (paper-notes section 2.4, conventions "Random-feature gradient flow"):
input dimension D, N features, P samples; ``F = A^T A / N`` (A an ``N x D`` Gaussian projection)
and ``Sigma_hat = X^T X / P`` (X the ``P x D`` data). The function-space error
``v = w* - A^T w/sqrt(N)`` obeys ``dv/dt = -T v`` with ``T = F Sigma_hat``, which is
``ProductWishart(ratio1 = D/N, ratio2 = D/P)`` = ``ProductWishart(1/nu, 1/alpha)`` with
``alpha = P/D`` (samples per input dimension) and ``nu = N/D`` (features per input dimension).

With ``v(0) ~ N(0, I_D)`` and no label noise:

* ``test_loss(t) = |v(t)|^2/D = (1/D) tr e^{-tT} e^{-tT^T}`` (``isotropic_loss``; non-monotone
  for some ratios although every eigenvalue of T is >= 0);
* ``train_loss(t) = v^T Sigma_hat v / D = (1/D) tr[Sigma_hat e^{-2tT}]`` (``weighted_loss``;
  always non-increasing, it is the gradient-flow objective);
* ``hermitian_test_loss(t) = int rho e^{-2 l t}``: the same spectrum, Hermitian (monotone).
"""

from __future__ import annotations

from rmtdyn import _validation as check
from rmtdyn.spectra.nonhermitian.product_wishart import ProductWishart


class RandomFeatureGradientFlowMatrix(ProductWishart):
    """``T = F Sigma_hat`` of random-feature gradient flow, as a product of Wisharts.

    Parameters
    ----------
    feature_ratio : float
        ``D/N = 1/nu`` (input dimension over number of features), the ratio of ``F``.
    sample_ratio : float
        ``D/P = 1/alpha`` (input dimension over number of samples), the ratio of ``Sigma_hat``.

    ``RandomFeatureGradientFlowMatrix.from_alpha_nu(alpha, nu)`` takes the learning-literature
    parameters instead. ``sample_factors(D, rng)`` returns ``(F, Sigma_hat)``.
    """

    def __init__(self, feature_ratio: float, sample_ratio: float):
        feature_ratio = check.positive("feature_ratio", feature_ratio)
        sample_ratio = check.positive("sample_ratio", sample_ratio)
        super().__init__(feature_ratio, sample_ratio)

    @classmethod
    def from_alpha_nu(cls, alpha: float, nu: float) -> RandomFeatureGradientFlowMatrix:
        """From ``alpha = P/D`` (samples per input dimension) and ``nu = N/D`` (features per input
        dimension)."""
        alpha = check.positive("alpha", alpha)
        nu = check.positive("nu", nu)
        return cls(1.0 / nu, 1.0 / alpha)

    @property
    def alpha(self) -> float:
        """``P/D``, samples per input dimension."""
        return 1.0 / self.ratio2

    @property
    def nu(self) -> float:
        """``N/D``, features per input dimension."""
        return 1.0 / self.ratio1

    def __repr__(self) -> str:
        return (f"RandomFeatureGradientFlowMatrix(feature_ratio={self.ratio1!r}, "
                f"sample_ratio={self.ratio2!r})")

    def test_loss(self, t, **options):
        """``|v(t)|^2 / D`` for ``v(0) ~ N(0, I)`` (no label noise): the isotropic loss."""
        return self.isotropic_loss(t, **options)

    def train_loss(self, t, **options):
        """``v(t)^T Sigma_hat v(t) / D = (1/D) tr[Sigma_hat e^{-2tT}]`` (no label noise)."""
        return self.weighted_loss(t, **options)

    def hermitian_test_loss(self, t):
        """Test loss of the Hermitian companion, ``int rho e^{-2 l t}`` (monotone)."""
        return self.isotropic_loss_hermitian(t)
