"""Parameter sweeps: deterministic per seed, identical locally and on a Dask LocalCluster."""

import numpy as np
import pytest

import rmtdyn as rd
from rmtdyn.simulate.sweep import parameter_grid, sweep


def top_eigenvalue(n, ratio, rng):
    return np.linalg.eigvalsh(rd.MarchenkoPastur(ratio).sample(n, rng))[-1]


def test_parameter_grid_order_and_validation():
    grid = parameter_grid(n=[10, 20], ratio=[0.5, 1.0, 2.0])
    assert grid[0] == {"n": 10, "ratio": 0.5} and grid[1] == {"n": 10, "ratio": 1.0}
    assert len(grid) == 6
    with pytest.raises(ValueError, match="ratio"):
        parameter_grid(n=[10], ratio=[])


def test_local_sweep_is_reproducible_and_converges_to_the_edge():
    points = parameter_grid(n=[400], ratio=[0.25])
    first = sweep(top_eigenvalue, points, seeds=range(8))
    second = sweep(top_eigenvalue, points, seeds=range(8))
    assert np.array_equal(first.mean(), second.mean())
    # The top eigenvalue sits at the MP edge (1 + sqrt(ratio))^2 = 2.25 up to Tracy-Widom
    # fluctuations of size ~ n^{-2/3} ~ 0.02 and a negative mean shift of the same order.
    edge = rd.MarchenkoPastur(0.25).support()[-1][1]
    assert abs(first.mean()[0] - edge) < 5 * 400 ** (-2 / 3)
    assert first.standard_error()[0] > 0


def test_bad_arguments():
    with pytest.raises(TypeError, match="simulation"):
        sweep(42, [{"n": 3}])
    with pytest.raises(ValueError, match="points"):
        sweep(top_eigenvalue, [])
    with pytest.raises(TypeError, match="client"):
        sweep(top_eigenvalue, [{"n": 5, "ratio": 0.5}], client=object())


def test_dask_local_cluster_matches_local_run():
    distributed = pytest.importorskip("distributed")
    points = parameter_grid(n=[60, 120], ratio=[0.5])
    local = sweep(top_eigenvalue, points, seeds=[1, 2, 3])
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = sweep(top_eigenvalue, points, seeds=[1, 2, 3], client=client)
    assert remote.points == local.points
    assert np.array_equal(remote.mean(), local.mean())


def test_progress_bars_do_not_change_results(capsys):
    """Long simulations take progress=True (a tqdm bar on stderr) with identical numbers."""
    from rmtdyn.simulate.random_features import simulate_random_features

    model = rd.RandomFeatureFlow(alpha=2.0, nu=0.5)
    t = np.array([0.0, 1.0])
    quiet = simulate_random_features(model, t, d=60, seeds=2, rng=3)
    loud = simulate_random_features(model, t, d=60, seeds=2, rng=3, progress=True)
    assert np.array_equal(quiet.curves["test"], loud.curves["test"])
    assert "seeds" in capsys.readouterr().err
