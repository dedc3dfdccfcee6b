"""Work done in forked processes gives what the same work done here gives, errors included."""

from __future__ import annotations

import os
import threading

import pytest

from generator.parallel import Background, pmap, workers

forks = pytest.mark.skipif(workers() < 2, reason="needs two cores to fork at all")


@forks
def test_background_work_runs_in_another_process() -> None:
    job = Background(lambda: (os.getpid(), [x * x for x in range(1000)]))
    pid, squares = job.result()
    assert pid != os.getpid()
    assert squares == [x * x for x in range(1000)]


@forks
def test_a_failure_in_the_background_is_raised_here() -> None:
    def fails() -> None:
        raise ValueError("the real error")

    job = Background(fails)
    with pytest.raises(ValueError, match="the real error"):
        job.result()


def test_with_threads_running_nothing_is_forked() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert Background(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        thread.join()


@forks
def test_pmap_keeps_order_across_processes() -> None:
    items = list(range(2000))
    results = pmap(lambda x: (x, os.getpid()), items)
    assert [x for x, _ in results] == items
    assert {pid for _, pid in results} - {os.getpid()}  # the work was spread out
