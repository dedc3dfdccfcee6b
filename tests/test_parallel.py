"""Work done in forked processes gives what the same work done here gives, errors included."""

from __future__ import annotations

import os
import threading
from datetime import date
from pathlib import Path

import pytest

import generator.build as build_module
from generator.build import Builder
from generator.charts import render_charts
from generator.metrics import compute
from generator.parallel import Background, pmap, workers
from generator.pipeline import load_repo
from generator.render import Renderer, SiteInput

from bench.synth import make_pipeline

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


def test_pages_written_by_worker_processes_equal_pages_rendered_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold build of a big pipeline renders and writes its deal pages in worker
    processes; every file must be what one process rendering everything makes."""
    root = make_pipeline(tmp_path / "repo", 1000)
    monkeypatch.setattr(build_module, "WORKERS_WRITE_FROM", 500)  # as for a big pipeline
    Builder(root, cache=False).build()
    site = {
        p.relative_to(root / "site").as_posix(): p.read_bytes()
        for p in (root / "site").rglob("*")
        if p.is_file()
    }
    loaded = load_repo(root)
    day = loaded.config.as_of or date.today()
    metrics = compute(loaded.deals, loaded.config, day, len(loaded.invalid))
    charts = render_charts(metrics, loaded.config)
    inputs = SiteInput(
        loaded.config, loaded.deals, loaded.invalid, loaded.problems, metrics, charts, 1000
    )
    expected = dict(Renderer(inputs, root).all_files())
    assert len(expected) > 1000
    assert [rel for rel in expected if site.get(rel) != expected[rel]] == []
