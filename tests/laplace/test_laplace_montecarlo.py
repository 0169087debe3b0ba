"""The Laplace-inverted response against finite-N simulation.

R(t) = (1/N) E tr e^{-tA} for Wigner and Marchenko-Pastur matrices: the inverse
Laplace transform of -g(-s) must match the average over seeded samples at
N = 400 within 4 standard errors plus a finite-size allowance (1 + t)/N
(relative; the measured bias is ~0.5/N for Marchenko-Pastur and ~t/N for Wigner,
whose lower edge weighs e^{2t}). The same tolerance must reject a neighbouring
law, so the check can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

import rmtdyn as rd

N = 400
SEEDS = 20
T = np.array([0.25, 0.5, 1.0, 2.0])


def _simulate(spectrum, rng):
    values = []
    for _ in range(SEEDS):
        eig = np.linalg.eigvalsh(spectrum.sample(N, rng))
        values.append(np.exp(-np.outer(T, eig)).mean(axis=1))
    values = np.array(values)
    return values.mean(axis=0), values.std(axis=0, ddof=1) / np.sqrt(SEEDS)


def _theory(spectrum, method):
    F = lambda s: -spectrum.stieltjes(-s)  # noqa: E731
    lows = [a for a, _ in spectrum.support()] + [x for x, _ in spectrum.atoms()]
    high = spectrum.support()[-1][1]
    if method == "contour":
        return rd.invert_laplace(F, T, "contour", support=(min(lows), high))
    return rd.invert_laplace(F, T, method, shift=-min(lows))


@pytest.mark.parametrize(("spectrum", "wrong"), [
    (rd.Wigner(), rd.Wigner(1.1)),
    (rd.MarchenkoPastur(0.5), rd.MarchenkoPastur(0.6)),
    (rd.MarchenkoPastur(2.0), rd.MarchenkoPastur(2.3)),
], ids=["wigner", "mp0.5", "mp2"])
def test_inverted_response_matches_simulation(spectrum, wrong):
    mean, se = _simulate(spectrum, np.random.default_rng(20261127))
    for method in ("talbot", "dehoog", "contour"):
        theory = _theory(spectrum, method)
        tolerance = 4 * se + (1 + T) / N * theory
        assert np.all(np.abs(mean - theory) <= tolerance), (method, (mean - theory) / theory)
    other = _theory(wrong, "talbot")
    assert np.any(np.abs(mean - other) > 4 * se + (1 + T) / N * other)
