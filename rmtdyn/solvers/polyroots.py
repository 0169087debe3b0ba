"""Batched roots of polynomials whose coefficients vary over a grid.

The roots of ``sum_k c_k(z) g^k`` for many z at once come from the eigenvalues of
a stack of companion matrices (one LAPACK call). The caller chooses the physical root by
a stated rule (e.g. ``rmtdyn.spectra.algebraic_roots``), never by position in the output.
"""

from __future__ import annotations

import numpy as np


def polynomial_roots(coeffs: np.ndarray) -> np.ndarray:
    """All roots of ``sum_{k=0}^{d} coeffs[..., k] g^k`` for each leading index.

    Parameters
    ----------
    coeffs
        Array of shape ``(..., d + 1)``, lowest degree first. The leading
        coefficient ``coeffs[..., d]`` must be non-zero.

    Returns
    -------
    Complex array of shape ``(..., d)``.
    """
    c = np.asarray(coeffs, dtype=complex)
    d = c.shape[-1] - 1
    if d < 1:
        raise ValueError("coeffs must describe a polynomial of degree >= 1")
    lead = c[..., d]
    if np.any(lead == 0):
        raise ValueError("leading coefficient vanishes at some points")
    if d == 1:
        return (-c[..., 0] / lead)[..., None]
    comp = np.zeros(c.shape[:-1] + (d, d), dtype=complex)
    comp[..., 1:, :-1] = np.eye(d - 1)
    comp[..., :, -1] = -c[..., :d] / lead[..., None]
    return np.linalg.eigvals(comp)

