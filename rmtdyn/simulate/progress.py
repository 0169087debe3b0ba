"""A tiny progress-bar wrapper shared by the simulations.

``progress(iterable, enabled, desc=...)`` wraps ``iterable`` in a ``tqdm`` bar
(on standard error) when ``enabled`` is true and returns it unchanged
otherwise, so a simulation loop reads the same either way::

    for seed in progress(seeds, enabled=progress_flag, desc="seeds"):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], enabled: bool = False, desc: str | None = None,
             total: int | None = None) -> Iterable[T] | Iterator[T]:
    """Wrap ``iterable`` in a tqdm progress bar if ``enabled`` (a bool), else return it as is."""
    if not isinstance(enabled, bool):
        raise TypeError(f"progress must be True or False, got {enabled!r}")
    if not enabled:
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)
