"""Finite point-mass laws: the spectrum of a fixed matrix, or a discrete population covariance."""

from __future__ import annotations

import numpy as np

from rmtdyn import _validation as check
from rmtdyn.spectra.base import Spectrum

#: Weights must sum to one within this tolerance.
WEIGHT_TOLERANCE = 1e-12


def mp_rational(x):
    """``exact_rational(x)`` (``rmtdyn.symbolic.polynomials``: the rational a double stands
    for in the exact paths) as an mpmath number at the working precision."""
    import mpmath

    from rmtdyn.symbolic.polynomials import exact_rational

    q = exact_rational(x)
    return mpmath.mpf(int(q.p)) / int(q.q)


def split_counts(n: int, weights: np.ndarray) -> np.ndarray:
    """Integers ``n_j >= 0`` summing to ``n`` with ``n_j ~ n w_j`` (largest-remainder rounding)."""
    exact = n * np.asarray(weights, dtype=float)
    counts = np.floor(exact).astype(int)
    short = n - counts.sum()
    if short > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def check_eigenvalues_weights(eigenvalues, weights, name: str = "eigenvalues"):
    """Validate a discrete law: finite real eigenvalues, positive weights summing to 1.

    Returns sorted distinct eigenvalues and their weights (repeated eigenvalues are merged).
    """
    lam = check.real_array(name, eigenvalues).ravel()
    if weights is None:
        w = np.full(lam.shape, 1.0 / max(lam.size, 1))
    else:
        w = check.real_array("weights", weights).ravel()
    if lam.size == 0:
        raise ValueError(f"{name} must contain at least one value")
    if w.shape != lam.shape:
        raise ValueError(f"weights must have one entry per eigenvalue: got {w.size} weights for "
                         f"{lam.size} eigenvalues")
    if np.any(w <= 0):
        raise ValueError(f"weights must be > 0, got {w.min()}")
    total = float(w.sum())
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise ValueError(f"weights must sum to 1 (within {WEIGHT_TOLERANCE:g}), got sum {total!r}")
    distinct, inverse = np.unique(lam, return_inverse=True)
    merged = np.zeros(distinct.shape)
    np.add.at(merged, inverse, w)
    return distinct, merged / merged.sum()


class DiscreteSpectrum(Spectrum):
    r"""The point-mass law ``sum_j w_j delta(x - lambda_j)``.

    ``g(z) = sum_j w_j / (z - lambda_j)``; no absolutely continuous part (``support() == ()``,
    ``density == 0``); every ``(lambda_j, w_j)`` is an atom; ``m_k = sum_j w_j lambda_j^k``.
    Exactly at an atom ``g(lambda_j + i0)`` is infinite and ``stieltjes`` returns
    ``complex(0, -inf)`` (imaginary part ``-inf``; the real part, which has no
    direction-independent limit, is reported as 0). Never NaN.

    ``sample(n)`` is the diagonal matrix carrying ``lambda_j`` with multiplicity
    ``n_j ~ n w_j`` (largest-remainder rounding, ``sum n_j = n``).

    Parameters
    ----------
    eigenvalues : array-like
        Finite real atoms (repeated values are merged).
    weights : array-like, optional
        Positive masses summing to 1 (tolerance 1e-12); default: equal weights.
    """

    def __init__(self, eigenvalues, weights=None):
        self.eigenvalues, self.weights = check_eigenvalues_weights(eigenvalues, weights)

    def __repr__(self) -> str:
        return (f"DiscreteSpectrum(eigenvalues={self.eigenvalues.tolist()!r}, "
                f"weights={self.weights.tolist()!r})")

    def _stieltjes_upper(self, z):
        diff = z[:, None] - self.eigenvalues[None, :]
        hit = diff == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = self.weights[None, :] / np.where(hit, 1.0, diff)
        out = np.where(hit, 0.0, terms).sum(axis=1)
        out[hit.any(axis=1)] = complex(0.0, -np.inf)
        return out

    def _stieltjes_mp(self, z: np.ndarray, dps: int) -> np.ndarray:
        """``sum_j w_j / (z - lambda_j)`` in mpmath at ``dps`` digits (the closed form; the
        eigenvalues and weights read by ``exact_rational``, as in ``equation()``).
        On an atom: ``complex(0, -inf)`` (``+inf`` below the axis), as in double precision."""
        import mpmath

        out = np.empty(z.shape, dtype=object)
        with mpmath.workdps(dps + 10):
            lam = [mp_rational(a) for a in self.eigenvalues]
            wts = [mp_rational(w) for w in self.weights]
            for idx, zz in np.ndenumerate(z):
                zm = mpmath.mpc(zz.real, zz.imag)
                if any(zm == a for a in lam):
                    value = mpmath.mpc(0, -mpmath.inf if zz.imag >= 0 else mpmath.inf)
                else:
                    value = sum(w / (zm - a) for a, w in zip(lam, wts, strict=True))
                with mpmath.workdps(dps):
                    out[idx] = +value
        return out

    def stieltjes_derivative(self, z) -> np.ndarray:
        """``g'(z) = -sum_j w_j / (z - lambda_j)^2`` (complex array, any shape, off the atoms)."""
        z = check.complex_array("z", z)
        diff = z[..., None] - self.eigenvalues
        return -(self.weights / (diff * diff)).sum(axis=-1)

    def _density_inside(self, x):
        return np.zeros(np.shape(x))

    def support(self):
        return ()

    def atoms(self):
        pairs = zip(self.eigenvalues, self.weights, strict=True)
        return tuple((float(a), float(m)) for a, m in pairs)

    def moment(self, k):
        k = check.positive_int("k", k, minimum=0)
        return float(np.sum(self.weights * self.eigenvalues**k))

    def sample(self, n, rng=None):
        """``diag`` of the eigenvalues, multiplicities ``n_j ~ n w_j`` (rng unused)."""
        n = self._check_sample_size(n)
        check.rng(rng)
        return np.diag(np.repeat(self.eigenvalues, split_counts(n, self.weights)))

    def equation(self):
        """``P(g, z) = g prod_j (z - l_j) - sum_j w_j prod_{i != j} (z - l_i)`` (sympy, cleared)."""
        import sympy as sp

        from rmtdyn.symbolic.polynomials import exact_rational
        from rmtdyn.symbolic.symbols import G, Z

        lam = [exact_rational(v) for v in self.eigenvalues]
        wts = [exact_rational(v) for v in self.weights]
        expr = G - sum(w / (Z - a) for a, w in zip(lam, wts, strict=False))
        return sp.Poly(sp.numer(sp.together(expr)), G, Z)

    def r_transform(self):
        """``R(w) = lambda`` for a single atom; several atoms have no closed form."""
        if self.eigenvalues.size == 1:
            from rmtdyn.symbolic.polynomials import exact_rational

            return exact_rational(self.eigenvalues[0])
        raise NotImplementedError("the R-transform of a law with several atoms has no closed form")

    def s_transform(self):
        """``S(w) = 1/lambda`` for a single positive atom; several atoms have no closed form."""
        if self.eigenvalues.size == 1 and self.eigenvalues[0] > 0:
            from rmtdyn.symbolic.polynomials import exact_rational

            return 1 / exact_rational(self.eigenvalues[0])
        raise NotImplementedError("the S-transform of a law with several atoms has no closed form")
