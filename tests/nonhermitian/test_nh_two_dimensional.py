"""Double inverse Laplace on the diagonal: closed forms, two methods, error estimates, bad input."""

import numpy as np
import pytest

import rmtdyn as rd
from rmtdyn.laplace.two_dimensional import (
    invert_laplace_diagonal,
    invert_laplace_diagonal_circle,
    invert_laplace_talbot,
)


def separable(s1, s2):
    return 1.0 / ((s1 + 1.0) * (s2 + 2.0))


def test_separable_exponentials():
    t = np.array([0.0, 0.01, 0.5, 3.0, 30.0])
    exact = np.exp(-3.0 * t)
    vals, errs = invert_laplace_diagonal(separable, t, error=True)
    assert np.max(np.abs(vals - exact)) < 3e-11  # M = 16: truncation ~1e-11
    assert np.all(np.abs(vals - exact) <= errs)
    # shift = the rightmost singularity keeps relative accuracy in the tail (e^{-60} at t = 30)
    rel = invert_laplace_diagonal(lambda a, b: 1.0 / ((a + 1.0) * (b + 1.0)), t[1:],
                                  shift=-1.0) / np.exp(-2.0 * t[1:])
    assert np.max(np.abs(rel - 1)) < 1e-10
    circle = invert_laplace_diagonal_circle(separable, t[:4], center=-1.5, radius=1.5)
    assert np.max(np.abs(circle - exact[:4])) < 1e-13


def test_hermitian_two_point_gives_response_at_2t():
    """For a Hermitian law Q = (H(s1) - H(s2))/(s2 - s1) and f(t, t) = R(2t) (base quadrature)."""
    gam = 0.5
    mp = rd.MarchenkoPastur(gam)
    lo, hi = mp.support()[0]

    def h(s):
        return 2.0 / (s + 1 - gam + np.sqrt(s + lo) * np.sqrt(s + hi))

    def q(s1, s2):
        s1, s2 = np.broadcast_arrays(s1, s2)
        h1, h2 = h(s1), h(s2)
        same = s1 == s2
        with np.errstate(all="ignore"):
            out = (h1 - h2) / (s2 - s1)
        hd = h1[same]
        sd = s1[same]
        out[same] = (gam * hd**2 + hd) / (2 * gam * sd * hd + sd + 1 - gam)  # -H'
        return out

    t = np.array([0.1, 1.0, 5.0, 50.0])
    got = invert_laplace_diagonal(q, t, shift=-lo)
    assert np.max(np.abs(got / mp.response(2 * t) - 1)) < 1e-9


def test_nodes_beyond_round_off_limit_rejected_and_m40_garbage():
    with pytest.raises(ValueError, match="nodes"):
        invert_laplace_diagonal(separable, 1.0, nodes=40)
    with pytest.raises(ValueError, match="nodes"):
        invert_laplace_diagonal(separable, 1.0, nodes=4)


def test_bad_callables():
    with pytest.raises(TypeError, match="callable"):
        invert_laplace_diagonal(3.0, 1.0)
    with pytest.raises(ValueError, match="shape"):
        invert_laplace_diagonal(lambda a, b: np.ones(3), 1.0)
    with pytest.raises(ValueError, match="non-finite"), np.errstate(all="ignore"):
        invert_laplace_diagonal(lambda a, b: 1.0 / (a + b - 2 * a.real), np.array([1.0]))
    with pytest.raises(ValueError, match=">= 0"):
        invert_laplace_diagonal(separable, -1.0)


def test_one_variable_talbot():
    t = np.array([0.0, 0.5, 5.0, 50.0])
    got = invert_laplace_talbot(lambda s: 1.0 / (s + 0.5), t, shift=-0.5)
    assert np.max(np.abs(got / np.exp(-0.5 * t) - 1)) < 1e-11
