"""Bad input to invert_laplace fails early with a message naming the problem."""

from __future__ import annotations

import numpy as np
import pytest

import rmtdyn as rd


def good(s):
    return 1.0 / (s + 1.0)


def test_non_callable_F():
    with pytest.raises(TypeError, match="F must be callable"):
        rd.invert_laplace(3.0, [1.0])


def test_negative_time():
    with pytest.raises(ValueError, match="t must be >= 0"):
        rd.invert_laplace(good, [1.0, -0.5])


def test_non_numeric_time():
    with pytest.raises(TypeError, match="t must be"):
        rd.invert_laplace(good, ["a"])


def test_unknown_method_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="'auto', 'talbot', 'hyperbola', 'dehoog', 'contour'"):
        rd.invert_laplace(good, [1.0], method="stehfest")


def test_unknown_option():
    with pytest.raises(TypeError, match="unknown option"):
        rd.invert_laplace(good, [1.0], method="talbot", support=(0, 1))
    with pytest.raises(TypeError, match="unknown option"):
        rd.invert_laplace(good, [1.0], nodez=3)


def test_contour_needs_support():
    with pytest.raises(TypeError, match="support"):
        rd.invert_laplace(good, [1.0], method="contour")
    with pytest.raises(ValueError, match="a <= b"):
        rd.invert_laplace(good, [1.0], method="contour", support=(2.0, 1.0))


def test_F_with_wrong_shape():
    with pytest.raises(ValueError, match="shape"):
        rd.invert_laplace(lambda s: np.ones(3), [1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        rd.invert_laplace(lambda s: good(s).sum(axis=-1), [1.0, 2.0], method="talbot")


def test_F_not_real_symmetric():
    with pytest.raises(ValueError, match="conj"):
        rd.invert_laplace(lambda s: 1.0 / (s - 1j), [1.0])


def test_F_non_finite_on_contour():
    """F returning NaN on the contour: a clear error, never a silent NaN."""
    with pytest.raises(ValueError, match="non-finite"):
        rd.invert_laplace(lambda s: np.where(np.abs(s) < 10, np.nan, 1 / s), [1.0], "talbot")


def test_bad_method_options():
    with pytest.raises(ValueError, match="nodes"):
        rd.invert_laplace(good, [1.0], "talbot", nodes=2)
    with pytest.raises(ValueError, match="scale"):
        rd.invert_laplace(good, [1.0], "dehoog", scale=0.5)
    with pytest.raises(TypeError, match="shift"):
        rd.invert_laplace(good, [1.0], "talbot", shift="left")


def test_response_method_name():
    with pytest.raises(ValueError, match="'quadrature' or 'contour'"):
        rd.MarchenkoPastur(0.5).response([1.0], method="talbot")


def test_contour_support_missing_an_atom():
    """MP ratio 2 has an atom at 0: a support of the continuous part alone is refused."""
    mp = rd.MarchenkoPastur(2.0)
    (low, high), = mp.support()
    with pytest.raises(ValueError, match="support must contain the whole spectrum"):
        rd.invert_laplace(lambda s: -mp.stieltjes(-s), [1.0, 100.0], "contour",
                          support=(low, high))
