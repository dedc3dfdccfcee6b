"""Spreading a big, even job over the machine's cores, for cold builds of large pipelines.

Forked worker processes read the parent's data as it was at the fork (nothing to send
but the results back), so it is used only where forking is safe and pays: Linux-like
systems, a single-threaded process (never inside `watch`), and enough items.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, cast

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


Progress = Callable[[int, int], None]  # (done, total)


def pmap(
    func: Callable[[T], R],
    items: Sequence[T],
    progress: Progress | None = None,
    min_items: int = MIN_ITEMS,
) -> list[R]:
    """[func(i) for i in items], in order, on every core when that is safe and worth it;
    `progress` hears how many are done now and then."""
    return list(pimap(func, items, progress, min_items))


def pimap(
    func: Callable[[T], R],
    items: Sequence[T],
    progress: Progress | None = None,
    min_items: int = MIN_ITEMS,
) -> Iterator[R]:
    """pmap, one result at a time in order, so the caller can use each (write a page, say)
    and let it go before the last is made."""
    n = workers()
    total = len(items)
    if n < 2 or total < min_items or not _fork_ok():
        for i, item in enumerate(items, 1):
            yield func(item)
            if progress is not None and (i % 250 == 0 or i == total):
                progress(i, total)
        return
    size = max(1 if total < 50 else 50, -(-total // (n * 16)))
    bounds = [(i, min(i + size, total)) for i in range(0, total, size)]
    _JOB[:] = [(func, items)]
    done = 0
    try:
        with multiprocessing.get_context("fork").Pool(n) as pool:
            for part in pool.imap(_run_chunk, bounds):
                done += len(part)
                if progress is not None:
                    progress(done, total)
                yield from part
    finally:
        _JOB.clear()


def _fork_ok() -> bool:
    return (
        workers() >= 2
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


class Background(Generic[R]):
    """func() worked out in a forked process while this one goes on; result() waits for
    it. Where forking is not safe or would not pay (one core, a threaded process such as
    `watch`), func runs inline when its result is asked for. A failure in the child is
    not reported from there: func runs again here, so the error is raised as usual."""

    def __init__(self, func: Callable[[], R]) -> None:
        self._func = func
        self._pid = 0
        self._fd = -1
        if not _fork_ok():
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, send the result, and leave without cleanups
            os.close(read)
            try:
                data = pickle.dumps((True, func()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException:
                data = pickle.dumps((False, None))
            with os.fdopen(write, "wb") as out:
                out.write(data)
            os._exit(0)
        os.close(write)
        self._pid, self._fd = pid, read

    def result(self) -> R:
        if not self._pid:
            return self._func()
        with os.fdopen(self._fd, "rb") as pipe:
            data = pipe.read()
        os.waitpid(self._pid, 0)
        self._pid = 0
        try:
            ok, value = pickle.loads(data)
        except Exception:  # the child was killed, or could not send what it made
            ok, value = False, None
        return cast(R, value) if ok else self._func()
