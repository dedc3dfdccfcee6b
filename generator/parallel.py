"""Spreading a big, even job over the machine's cores, for cold builds of large pipelines.

Forked worker processes read the parent's data as it was at the fork (nothing to send
but the results back), so it is used only where forking is safe and pays: Linux-like
systems, a single-threaded process (never inside `watch`), and enough items.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 800  # below this, starting workers costs more than it saves
_JOB: list[Any] = []  # (function, items) for the forked workers


def workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _run_chunk(bounds: tuple[int, int]) -> list[Any]:
    func, items = _JOB[0]
    return [func(item) for item in items[bounds[0] : bounds[1]]]


def pmap(func: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """[func(i) for i in items], in order, on every core when that is safe and worth it."""
    n = workers()
    if (
        n < 2
        or len(items) < MIN_ITEMS
        or threading.active_count() > 1
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        return [func(item) for item in items]
    chunks = n * 4
    size = -(-len(items) // chunks)
    bounds = [(i, min(i + size, len(items))) for i in range(0, len(items), size)]
    _JOB[:] = [(func, items)]
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            parts = pool.map(_run_chunk, bounds)
    finally:
        _JOB.clear()
    return [result for part in parts for result in part]
