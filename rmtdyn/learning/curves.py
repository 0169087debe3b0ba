"""``LossCurves``: the one result type of every learning-curve computation.

Theory (``LinearRegressionFlow.curves``, ...) and simulation
(``rmtdyn.simulate.simulate_linear_regression``, ...) both return a
``LossCurves``, so the two can be compared number by number and drawn on the
same axes (``rmtdyn.plotting.dynamics.plot_loss_curves``).

A ``LossCurves`` holds a time grid ``t`` (shape ``(n_t,)``), a dict of named
curves (each of shape ``(n_t,)``; e.g. ``"train"``, ``"test"``), an optional
dict of standard errors with the same keys (simulations: the standard error of
the mean over seeds), the ``source`` (``"theory"`` or ``"simulation"``) and a
dict of ``params`` describing the model (ratio, noise, ...). It is frozen; the
arrays are stored read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rmtdyn import _validation as check

SOURCES = ("theory", "simulation")


def _readonly(name: str, value, n_t: int | None) -> np.ndarray:
    arr = check.real_array(name, value).copy()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if n_t is not None and arr.shape != (n_t,):
        raise ValueError(f"{name} must have the shape of t, ({n_t},), got {arr.shape}")
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class LossCurves:
    """Named loss curves on a common time grid, from theory or from a simulation.

    Parameters
    ----------
    t : array of shape (n_t,)
        Non-negative times.
    curves : mapping name -> array of shape (n_t,)
        The curves, e.g. ``{"train": ..., "test": ...}``.
    stderr : mapping name -> array of shape (n_t,), optional
        Standard errors of the curves of the same name (a subset of the keys of
        ``curves``); ``None`` for theory.
    source : {"theory", "simulation"}
    params : mapping, optional
        Model parameters (plain numbers or strings), e.g. ``{"ratio": 0.5}``;
        simulations add ``n`` and ``seeds``.
    label : str, optional
        A legend label; ``None`` lets plotting choose one from ``source``.

    Examples
    --------
    >>> import numpy as np
    >>> c = LossCurves(t=np.array([0.0, 1.0]), curves={"test": np.array([1.0, 0.5])})
    >>> c["test"][1]
    0.5
    """

    t: np.ndarray
    curves: Mapping[str, np.ndarray]
    stderr: Mapping[str, np.ndarray] | None = None
    source: str = "theory"
    params: Mapping[str, Any] = field(default_factory=dict)
    label: str | None = None

    def __post_init__(self) -> None:
        t = check.times("t", self.t).copy()
        if t.ndim != 1:
            raise ValueError(f"t must be one-dimensional, got shape {t.shape}")
        t.flags.writeable = False
        object.__setattr__(self, "t", t)
        if not isinstance(self.curves, Mapping) or not self.curves:
            raise TypeError("curves must be a non-empty mapping name -> array")
        curves = {str(k): _readonly(f"curves[{k!r}]", v, t.size) for k, v in self.curves.items()}
        object.__setattr__(self, "curves", curves)
        if self.stderr is not None:
            if not isinstance(self.stderr, Mapping):
                raise TypeError("stderr must be None or a mapping name -> array")
            unknown = set(map(str, self.stderr)) - set(curves)
            if unknown:
                raise ValueError(f"stderr has keys without a curve: {sorted(unknown)}")
            stderr = {str(k): _readonly(f"stderr[{k!r}]", v, t.size)
                      for k, v in self.stderr.items()}
            if any(np.any(v < 0) for v in stderr.values()):
                raise ValueError("stderr must be >= 0")
            object.__setattr__(self, "stderr", stderr)
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if not isinstance(self.params, Mapping):
            raise TypeError("params must be a mapping")
        object.__setattr__(self, "params", dict(self.params))

    # ---------------------------------------------------------------- access
    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.curves[name]
        except KeyError:
            raise KeyError(f"no curve {name!r}; available: {sorted(self.curves)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.curves

    @property
    def names(self) -> tuple[str, ...]:
        """The curve names, in insertion order."""
        return tuple(self.curves)

    def error(self, name: str) -> np.ndarray | None:
        """The standard error of curve ``name`` (``None`` if there is none)."""
        if self.stderr is None:
            return None
        return self.stderr.get(name)

    # ---------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists of floats) for ``--json`` output."""
        out: dict[str, Any] = {
            "source": self.source,
            "params": dict(self.params),
            "t": self.t.tolist(),
            "curves": {k: v.tolist() for k, v in self.curves.items()},
        }
        if self.stderr is not None:
            out["stderr"] = {k: v.tolist() for k, v in self.stderr.items()}
        if self.label is not None:
            out["label"] = self.label
        return out

    def __repr__(self) -> str:
        span = f"t in [{self.t.min():.3g}, {self.t.max():.3g}]" if self.t.size else "t empty"
        return (f"LossCurves(source={self.source!r}, curves={list(self.curves)}, {span}, "
                f"n_t={self.t.size}, params={self.params})")
