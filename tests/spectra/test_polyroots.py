"""Batched polynomial roots (rmtdyn.solvers.polyroots) against prescribed roots.

The polynomials are built from chosen roots (coefficients by ``np.poly``), so the expected
answer is known independently of every solver; the companion-matrix solver is the second,
independent reference.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rmtdyn.solvers.polyroots import aberth_roots, closed_form_roots, polynomial_roots


def _from_roots(roots: np.ndarray) -> list[np.ndarray]:
    """Coefficients ``[c_0, ..., c_d]`` (lowest first) of ``prod_j (g - roots[:, j])``."""
    coeffs = np.stack([np.poly(r) for r in roots])[:, ::-1]
    return [np.ascontiguousarray(coeffs[:, k]) for k in range(coeffs.shape[1])]


def _matching_error(found: list[np.ndarray], expected: np.ndarray) -> np.ndarray:
    """Per point, the largest distance from an expected root to the nearest found root,
    relative to ``1 + |root|``."""
    f = np.stack(found, axis=1)
    dist = np.abs(expected[:, :, None] - f[:, None, :]).min(axis=2)
    return (dist / (1.0 + np.abs(expected))).max(axis=1)


@pytest.mark.parametrize("degree", [1, 2, 3, 4])
def test_closed_forms_recover_prescribed_roots(degree):
    rng = np.random.default_rng(degree)
    roots = rng.standard_normal((4000, degree)) + 1j * rng.standard_normal((4000, degree))
    err = _matching_error(closed_form_roots(_from_roots(roots)), roots)
    # well-separated random roots: a few ulps times the conditioning
    assert np.quantile(err, 0.99) < 1e-12


@pytest.mark.parametrize("degree", [5, 6, 8])
def test_aberth_recovers_prescribed_roots_and_agrees_with_companion(degree):
    rng = np.random.default_rng(10 + degree)
    roots = rng.standard_normal((3000, degree)) + 1j * rng.standard_normal((3000, degree))
    c = _from_roots(roots)
    found, converged = aberth_roots(c)
    assert converged.mean() > 0.999
    err = _matching_error(found, roots)[converged]
    assert np.quantile(err, 0.99) < 1e-12
    companion = polynomial_roots(np.stack(c, axis=-1))
    err_companion = _matching_error([companion[:, j] for j in range(degree)], roots)
    # Aberth is as accurate as LAPACK's companion eigenvalues
    assert np.median(err) < 10 * np.median(err_companion) + 1e-15


@settings(deadline=None, max_examples=60)
@given(log_spread=st.floats(-3, 3), degree=st.integers(5, 7), seed=st.integers(0, 10**6))
def test_aberth_converged_points_are_roots(log_spread, degree, seed):
    """Whatever it reports as converged satisfies the polynomial to rounding."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** (log_spread * rng.uniform(0, 1, (64, degree)))
    roots = scale * (rng.standard_normal((64, degree)) + 1j * rng.standard_normal((64, degree)))
    c = _from_roots(roots)
    found, converged = aberth_roots(c)
    for r in found:
        p = sum(ck * r**k for k, ck in enumerate(c))
        size = sum(np.abs(ck) * np.abs(r) ** k for k, ck in enumerate(c))
        assert np.all(np.abs(p[converged]) <= 1e-12 * size[converged])


def test_aberth_flags_a_multiple_root():
    # (g - 1)^5 has a five-fold root: the cubic convergence is lost and the error of a
    # simple-root iteration is of order eps^(1/5); either it reports non-convergence or
    # the roots are within that distance of 1
    c = _from_roots(np.ones((4, 5), dtype=complex))
    found, converged = aberth_roots(c)
    for r in found:
        assert np.all(~converged | (np.abs(r - 1) < 1e-2))


def test_bad_degree_raises():
    with pytest.raises(ValueError, match="degree"):
        aberth_roots([np.ones(3)])
    with pytest.raises(ValueError, match="degree"):
        closed_form_roots([np.ones(3)] * 6)


def test_aberth_result_of_a_point_does_not_depend_on_its_batch():
    """The iteration compacts its arrays to the points still running once most have
    converged: in a batch of easy points with a few slow ones (a six-fold root, a vanishing
    leading coefficient, a nan) each easy point gets the roots it gets alone (to rounding:
    numpy's vector and scalar loops round differently, which a six-fold root amplifies to
    eps^(1/6), so those are checked as roots only) and its prescribed roots."""
    rng = np.random.default_rng(3)
    roots = rng.standard_normal((500, 6)) + 1j * rng.standard_normal((500, 6))
    roots[:5] = 1.0  # six-fold root: slow
    c = _from_roots(roots)
    c[6][5:10] = 1e-300  # roots spanning 300 orders of magnitude
    c[1][10:15] = np.nan
    found, converged = aberth_roots(c)
    assert not converged[10:15].any() and converged[15:].mean() > 0.99
    for i in [15, 16, 100, 499]:
        alone, conv_alone = aberth_roots([ck[i:i + 1] for ck in c])
        assert conv_alone[0] == converged[i]
        for r, r_alone in zip(found, alone, strict=True):
            assert abs(r[i] - r_alone[0]) <= 1e-13 * abs(r_alone[0])
    err = _matching_error(found, roots)[15:][converged[15:]]
    assert np.quantile(err, 0.99) < 1e-12
    for r in found:  # what is reported as converged is a root, the slow points included
        p = sum(ck * r**k for k, ck in enumerate(c))
        size = sum(np.abs(ck) * np.abs(r) ** k for k, ck in enumerate(c))
        assert np.all(np.abs(p[converged]) <= 1e-12 * size[converged])
