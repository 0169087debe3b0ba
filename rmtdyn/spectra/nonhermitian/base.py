"""The ``NonHermitianEnsemble`` base: what every non-Hermitian ensemble answers.

Conventions (``conventions.md``):

* ``eigenvalue_density(z)``: density of the limiting eigenvalue law with respect to the area
  measure ``d(Re z) d(Im z)`` on the complex plane (zero outside the support).
* ``support_boundary(n)``: ``n`` complex points tracing the boundary of the support (a closed
  curve, or a segment when the spectrum is real), ready for ``plt.plot(b.real, b.imag)``.
* Two-point function ``T(z, w) = lim (1/N) tr[(z - A)^{-1} (w - A^T)^{-1}]`` for ``z`` and ``w``
  outside the spectrum (deterministic equivalent); broadcast over arrays.
* ``isotropic_loss(t) = lim (1/N) E|exp(-tA) theta0|^2`` with ``theta0 ~ N(0, I_N)``; it equals the
  double contour integral ``(2 pi i)^{-2} oint oint e^{-t(z + w)} T(z, w) dz dw`` around the
  spectrum.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from rmtdyn import _validation as check


def broadcast_pair(name_a: str, a, name_b: str, b) -> tuple[np.ndarray, np.ndarray]:
    """Two complex arrays broadcast together; ``ValueError`` naming both on mismatched shapes."""
    a = check.complex_array(name_a, a)
    b = check.complex_array(name_b, b)
    try:
        return tuple(np.broadcast_arrays(a, b))  # type: ignore[return-value]
    except ValueError as exc:
        raise ValueError(f"{name_a} and {name_b} must have broadcastable shapes, "
                         f"got {a.shape} and {b.shape}") from exc


def haar_orthogonal(n: int, rng: np.random.Generator) -> np.ndarray:
    """An ``n x n`` Haar-distributed orthogonal matrix (QR of a Gaussian matrix, signs fixed
    so that ``R`` has a positive diagonal, which makes the law exactly Haar)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


class NonHermitianEnsemble(ABC):
    """A random-matrix ensemble whose matrices are not symmetric (real, ``N x N``)."""

    #: Non-Hermitian ensembles have complex (or real but non-normal) spectra.
    hermitian: bool = False
    #: True when every eigenvalue is real (then the real-axis Spectrum methods exist).
    real_spectrum: bool = False

    @abstractmethod
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """One ``n x n`` real matrix drawn from the finite-``n`` ensemble."""

    @abstractmethod
    def eigenvalue_density(self, z) -> np.ndarray:
        """Density of the limiting eigenvalue law on the complex plane (area measure)."""

    @abstractmethod
    def support_boundary(self, n: int = 400) -> np.ndarray:
        """``n`` complex points along the boundary of the limiting eigenvalue support."""

    @abstractmethod
    def two_point(self, z, w) -> np.ndarray:
        """``T(z, w) = lim (1/N) tr[(z - A)^{-1}(w - A^T)^{-1}]`` outside the spectrum."""

    @abstractmethod
    def isotropic_loss(self, t) -> np.ndarray:
        """``lim (1/N) E|exp(-tA) theta0|^2`` with ``theta0 ~ N(0, I_N)``, ``t >= 0``, any shape."""

    def _check_sample_size(self, n) -> int:
        return check.positive_int("n", n, minimum=1)


def empirical_isotropic_loss(matrix: np.ndarray, t) -> np.ndarray:
    """``(1/N) ||exp(-tA)||_F^2 = (1/N) E|exp(-tA) theta0|^2`` for one matrix, at times ``t``.

    Uses ``scipy.linalg.expm`` of ``-dt A`` and repeated products on a uniform grid when
    ``t`` is uniform (one ``expm``), else one ``expm`` per time. Never an eigendecomposition:
    eigenvectors of non-normal matrices are ill-conditioned (paper-notes section 8).
    """
    from scipy.linalg import expm

    a = np.asarray(matrix, dtype=float)
    t = check.times("t", t)
    flat = t.ravel()
    n = a.shape[0]
    out = np.empty(flat.shape)
    for i, ti in enumerate(flat):
        e = expm(-ti * a)
        out[i] = np.sum(e * e) / n
    return out.reshape(t.shape)
