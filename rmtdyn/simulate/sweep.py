"""Parameter sweeps of finite-N simulations, locally or on a Dask cluster.

A sweep runs ``simulation(**params, rng=np.random.default_rng(seed))`` for every
point of a parameter grid and every seed. Each task builds its own generator
from its own seed, so the results do not depend on where or in which order
the tasks run: a local run and a run on a ``dask.distributed`` client give
identical numbers for the same seeds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rmtdyn import _validation as check


@dataclass(frozen=True)
class SweepResult:
    """Results of a sweep: ``values[i][j]`` is the output at ``points[i]`` with ``seeds[j]``."""

    points: tuple[dict, ...]
    seeds: tuple[int, ...]
    values: tuple[tuple[Any, ...], ...] = field(repr=False)

    def mean(self) -> np.ndarray:
        """Mean over seeds at each point (outputs must be numeric arrays of one shape)."""
        return np.array([np.mean(np.asarray(v, dtype=float), axis=0) for v in self.values])

    def standard_error(self) -> np.ndarray:
        """Standard error of the mean over seeds (ddof = 1; zero for a single seed)."""
        out = []
        for v in self.values:
            arr = np.asarray(v, dtype=float)
            if arr.shape[0] < 2:
                out.append(np.zeros(arr.shape[1:]))
            else:
                out.append(arr.std(axis=0, ddof=1) / np.sqrt(arr.shape[0]))
        return np.array(out)


def parameter_grid(**axes: Iterable) -> list[dict]:
    """Cartesian product of named parameter lists as a list of dicts (last name varies fastest)."""
    names = list(axes)
    values = [list(axes[name]) for name in names]
    for name, vals in zip(names, values, strict=True):
        if not vals:
            raise ValueError(f"parameter {name!r} has no values")
    combos = itertools.product(*values)
    return [dict(zip(names, combo, strict=True)) for combo in combos]


def _run_one(simulation: Callable, params: Mapping, seed: int):
    return simulation(**params, rng=np.random.default_rng(seed))


def sweep(
    simulation: Callable[..., Any],
    points: Sequence[Mapping],
    seeds: Sequence[int] = (0,),
    *,
    client=None,
    progress: bool = False,
) -> SweepResult:
    """Run ``simulation(**point, rng=default_rng(seed))`` over all points and seeds.

    Parameters
    ----------
    simulation
        A picklable function (module level) taking the point's parameters as
        keywords and a ``numpy.random.Generator`` as ``rng``.
    points
        Parameter dicts, e.g. from ``parameter_grid``.
    seeds
        Integer seeds; every point is run once per seed.
    client
        ``None`` runs locally in this process; a ``dask.distributed.Client``
        submits one task per (point, seed) to its cluster
        (``pip install "rmtdyn[distributed]"``).
    progress
        Show a tqdm progress bar (local runs).
    """
    if not callable(simulation):
        raise TypeError("simulation must be callable")
    points = tuple(dict(p) for p in points)
    if not points:
        raise ValueError("points must contain at least one parameter dict")
    seeds = tuple(check.positive_int("seed", int(s), minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must contain at least one seed")
    tasks = [(p, s) for p in points for s in seeds]
    if client is None:
        from rmtdyn.simulate.progress import progress as progress_bar

        flat = [_run_one(simulation, p, s) for p, s in progress_bar(tasks, enabled=progress,
                                                                  desc="sweep")]
    else:
        if not hasattr(client, "submit") or not hasattr(client, "gather"):
            raise TypeError("client must be a dask.distributed.Client (or None for a local run)")
        futures = [client.submit(_run_one, simulation, p, s, pure=False) for p, s in tasks]
        flat = client.gather(futures)
    k = len(seeds)
    values = tuple(tuple(flat[i * k:(i + 1) * k]) for i in range(len(points)))
    return SweepResult(points=points, seeds=seeds, values=values)
