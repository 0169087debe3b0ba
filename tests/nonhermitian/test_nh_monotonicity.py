"""The monotonicity detector on curves with known extrema, and the phase diagram."""

import numpy as np
import pytest

from rmtdyn.learning.monotonicity import monotonicity, nonmonotonicity_phase_diagram
from rmtdyn.spectra.nonhermitian import ProductWishart


def test_monotone_curves():
    t = np.linspace(0, 10, 201)
    assert monotonicity(t, np.exp(-t)).direction == "decreasing"
    assert monotonicity(t, 1 - np.exp(-t)).direction == "increasing"
    assert monotonicity(t, np.full_like(t, 2.0)).direction == "constant"
    res = monotonicity(t, np.exp(-t))
    assert res.monotone and res.extrema == () and res.rise == 0.0


def test_extremum_location_refined_by_parabola():
    t = np.linspace(0, 5, 51)  # step 0.1; true minimum at 2.03 (off the grid)
    v = (t - 2.03) ** 2 + 1.0
    res = monotonicity(t, v)
    assert not res.monotone and len(res.minima) == 1
    assert res.minima[0].t == pytest.approx(2.03, abs=1e-12)
    assert res.minima[0].value == pytest.approx(1.0, abs=1e-12)
    assert res.rise == pytest.approx(v[-1] - v.min())
    # smooth non-quadratic: O(h^2) location error
    v2 = np.exp(-t) + 0.05 * t
    res2 = monotonicity(t, v2)
    assert res2.minima[0].t == pytest.approx(np.log(20.0), abs=5e-3)


def test_round_off_wiggles_ignored_but_real_bumps_found():
    rng = np.random.default_rng(0)
    t = np.linspace(0, 10, 400)
    base = np.exp(-t)
    noisy = base + 1e-10 * rng.standard_normal(t.size)
    assert monotonicity(t, noisy).monotone
    bump = base + 1e-2 * np.exp(-((t - 6) ** 2))
    res = monotonicity(t, bump)
    assert not res.monotone and [e.kind for e in res.extrema] == ["min", "max"]
    # the same bump below an explicit tolerance is not counted
    assert monotonicity(t, bump, atol=2e-2).monotone


def test_bad_input():
    with pytest.raises(ValueError, match="increasing"):
        monotonicity([0, 2, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="equal length"):
        monotonicity([0, 1, 2], [1, 2])
    with pytest.raises(ValueError, match="at least 3"):
        monotonicity([0, 1], [1, 2])
    with pytest.raises(ValueError, match="finite"):
        monotonicity([0, 1, 2], [1, np.nan, 3])
    with pytest.raises(ValueError, match="rtol"):
        monotonicity([0, 1, 2], [1, 2, 3], rtol=-1)
    with pytest.raises(ValueError, match="ratios"):
        nonmonotonicity_phase_diagram([0.0, 1.0], [1.0])


def test_phase_diagram_small_grid():
    t = np.logspace(-2, 2, 120)
    pd = nonmonotonicity_phase_diagram([0.5, 3.0], [0.5, 0.3], t)
    assert pd.nonmonotone.tolist() == [[False, False], [True, True]]
    direct = monotonicity(t, ProductWishart(3.0, 0.5).isotropic_loss(t))
    assert pd.first_minimum_t[1, 0] == pytest.approx(direct.minima[0].t)
    assert np.isnan(pd.first_minimum_t[0, 0]) and pd.rise[0, 0] == 0.0
