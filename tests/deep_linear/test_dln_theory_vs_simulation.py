"""Two-time DMFT against the seeded finite-D simulation (feature-learning regime).

Tolerance: 3 standard errors over seeds plus a finite-size allowance of
0.02 (absolute; the measured D = 300 gaps are below 0.005 after t = 1).
"""

import numpy as np
import pytest

from rmtdyn.learning.deep_linear import DeepLinearNetwork
from rmtdyn.simulate.deep_linear import simulate_deep_linear

T = np.linspace(0.0, 3.0, 7)


def _compare(depth, richness, noise=0.0, D=200, seeds=4, allowance=0.02):
    theory = DeepLinearNetwork(depth, 2.0, 1.0, richness, noise=noise).curves(T, n_steps=150)
    sim = simulate_deep_linear(depth, 2.0, 1.0, richness, noise=noise, D=D, t=T, seeds=seeds,
                               rng=2024).curves
    for name in ("train", "test"):
        gap = np.abs(theory[name] - sim[name])
        tol = 3 * sim.error(name) + allowance
        assert np.all(gap[1:] <= tol[1:]), (name, gap, tol)
    return theory, sim


@pytest.mark.parametrize("depth,richness", [(1, 0.5), (1, 2.0), (2, 0.5), (2, 1.5)])
def test_losses_match_simulation(depth, richness):
    _compare(depth, richness)


def test_label_noise_matches_simulation():
    theory, _ = _compare(1, 1.0, noise=0.5)
    assert theory["train"][0] == pytest.approx(1.25)  # |β*|²/D + σ² at t = 0


def test_feature_learning_changes_the_curve():
    # the rich curve must differ from the lazy one by far more than the tolerance,
    # so the comparisons above can fail
    lazy = DeepLinearNetwork(1, 2.0, 1.0, 0.0).test_error(T, n_steps=150)
    rich = DeepLinearNetwork(1, 2.0, 1.0, 2.0).test_error(T, n_steps=150)
    assert np.max(lazy - rich) > 0.15


@pytest.mark.slow
@pytest.mark.parametrize("depth,richness", [(3, 1.0), (2, 2.5)])
def test_losses_match_simulation_deep_slow(depth, richness):
    _compare(depth, richness, D=300, seeds=6, allowance=0.01)


@pytest.mark.slow
def test_large_width_limit_exists():
    # at fixed t the simulated loss converges as D grows (D = 100, 200, 400):
    # the seed-averaged gap to the DMFT shrinks
    t = np.array([1.0, 2.0])
    theory = DeepLinearNetwork(2, 2.0, 1.0, 1.0).test_error(t, n_steps=150)
    gaps = []
    for D, seeds in ((100, 16), (200, 8), (400, 4)):
        sim = simulate_deep_linear(2, 2.0, 1.0, 1.0, D=D, t=t, seeds=seeds, rng=D).curves
        gaps.append(np.max(np.abs(sim["test"] - theory) - 2 * sim.error("test")))
    assert gaps[-1] <= 0.01
