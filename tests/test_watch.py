"""A real watcher on a temporary pipeline: every kind of editing ends with the right site
and the right number of rebuilds, and a page served with live reload follows a change."""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.build import Builder, build
from generator.serve import LiveState, make_server
from generator.watch import Rebuild, Watcher, relevant

DEAL = "---\ntitle: {title}\nstage: lead\ncreated: 2026-10-01\nnext_step: call\n---\n"
SETTLE = 0.6  # seconds of silence after which the watcher must have caught up


class Live:
    def __init__(self, root: Path) -> None:
        self.reports: list[Rebuild] = []  # one per rebuild, when it is complete
        self.early: list[Rebuild] = []  # pages written, charts still to come
        self.watcher = Watcher(
            Builder(root),
            lambda r: (self.early if r.early else self.reports).append(r),
            quiet=0.15,
        )
        self.watcher.start()
        self.watcher.rebuild([])
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)
        self.thread.start()
        time.sleep(0.3)  # let the observer's watches be in place before the test edits
        self.reports.clear()
        self.early.clear()

    def settle(self, timeout: float = 20.0) -> list[Rebuild]:
        """Wait until the watcher has been idle for SETTLE seconds; return the rebuilds."""
        start = time.monotonic()
        deadline = start + timeout
        while time.monotonic() < deadline:
            # events may still be on their way: wait at least SETTLE after the test's action
            if time.monotonic() - start >= SETTLE and self.watcher.idle_for(SETTLE):
                done, self.reports = self.reports, []
                return done
            time.sleep(0.05)
        raise AssertionError("the watcher did not settle")

    def stop(self) -> None:
        self.watcher.stop()
        self.thread.join(timeout=5)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "deals").mkdir()
    (tmp_path / "dealbook.yaml").write_text("as_of: 2026-10-10\n")
    (tmp_path / "deals/a.md").write_text(DEAL.format(title="Alpha"))
    return tmp_path


@pytest.fixture
def live(repo: Path) -> Iterator[Live]:
    lv = Live(repo)
    yield lv
    lv.stop()


def page(repo: Path, rel: str) -> str:
    return (repo / "site" / rel).read_text()


def same_as_clean_build(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    clean = tmp_path_factory.mktemp("clean")
    build(repo, clean)
    live_files = {
        p.relative_to(repo / "site"): p.read_bytes()
        for p in (repo / "site").rglob("*")
        if p.is_file()
    }
    clean_files = {p.relative_to(clean): p.read_bytes() for p in clean.rglob("*") if p.is_file()}
    assert live_files.keys() == clean_files.keys()
    assert [k for k in live_files if live_files[k] != clean_files[k]] == []


def test_an_edit_rebuilds_once_and_matches_a_clean_build(
    repo: Path, live: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (repo / "deals/a.md").write_text(DEAL.format(title="Alpha renamed"))
    reports = live.settle()
    assert [r.changed for r in reports] == [["deals/a.md"]]
    assert "Alpha renamed" in page(repo, "deals/a.html")
    same_as_clean_build(repo, tmp_path_factory)


def test_atomic_save_through_a_temp_file_and_rename(repo: Path, live: Live) -> None:
    tmp = repo / "deals/.a.md.tmp1234"
    tmp.write_text(DEAL.format(title="Saved atomically"))
    os.replace(tmp, repo / "deals/a.md")
    reports = live.settle()
    assert len(reports) == 1
    assert "Saved atomically" in page(repo, "deals/a.html")


def test_editor_leftovers_and_output_never_trigger_a_rebuild(repo: Path, live: Live) -> None:
    (repo / "deals/.a.md.swp").write_text("swap")
    (repo / "deals/a.md~").write_text("backup")
    (repo / "deals/.#a.md").write_text("lock")
    (repo / "deals/a.md___jb_tmp___").write_text("jetbrains")
    (repo / "deals/notes.txt").write_text("not a deal")
    (repo / "site/extra.html").write_text("output")
    (repo / "README.md").write_text("not watched")
    assert live.settle() == []


def test_delete_and_rename(
    repo: Path, live: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (repo / "deals/b.md").write_text(DEAL.format(title="Beta"))
    assert len(live.settle()) == 1
    os.rename(repo / "deals/b.md", repo / "deals/c.md")
    assert len(live.settle()) == 1
    assert not (repo / "site/deals/b.html").exists()
    assert "Beta" in page(repo, "deals/c.html")
    (repo / "deals/c.md").unlink()
    assert len(live.settle()) == 1
    assert not (repo / "site/deals/c.html").exists()
    same_as_clean_build(repo, tmp_path_factory)


def test_a_new_folder_of_deals(repo: Path, live: Live) -> None:
    staging = repo / "staging"
    staging.mkdir()
    (staging / "x.md").write_text(DEAL.format(title="Moved in"))
    os.rename(staging, repo / "deals/2026")
    assert len(live.settle()) == 1
    assert "Moved in" in page(repo, "deals/2026/x.html")


def test_a_burst_of_500_files_is_one_rebuild(
    repo: Path, live: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for i in range(500):
        (repo / f"deals/bulk-{i:03d}.md").write_text(DEAL.format(title=f"Bulk {i}"))
    reports = live.settle()
    assert len(reports) == 1
    assert len(reports[0].changed) == 500
    assert len(list((repo / "site/deals").glob("bulk-*.html"))) == 500
    same_as_clean_build(repo, tmp_path_factory)


def test_broken_yaml_is_reported_then_cleared(repo: Path, live: Live) -> None:
    (repo / "deals/b.md").write_text(DEAL.format(title="Beta"))
    live.settle()
    (repo / "deals/b.md").write_text("---\ntitle: [Beta\nstage: lead\n---\n")
    (broken,) = live.settle()
    assert broken.result is not None
    assert [p.format() for p in broken.result.loaded.problems if p.is_error] == [
        "deals/b.md:2:8: error: YAML syntax error: '[' is never closed"
    ]
    assert "Alpha" in page(repo, "deals/a.html")  # everything else still served
    (repo / "deals/b.md").write_text(DEAL.format(title="Beta fixed"))
    (fixed,) = live.settle()
    assert fixed.result is not None and fixed.result.loaded.errors == 0
    assert "Beta fixed" in page(repo, "deals/b.html")


def test_a_broken_config_keeps_the_last_good_site(repo: Path, live: Live) -> None:
    before = page(repo, "index.html")
    (repo / "dealbook.yaml").write_text("as_of: 2026-10-10\ncurrency: [\n")
    (report,) = live.settle()
    assert report.result is not None and report.result.kept
    assert page(repo, "index.html") == before


@pytest.mark.parametrize(
    "rel,is_dir,expected",
    [
        ("deals/a.md", False, "deals/a.md"),
        ("deals/sub", True, "deals/sub"),
        ("deals/_drafts/a.md", False, None),
        ("deals/.git/x", False, None),
        ("dealbook.yaml", False, "dealbook.yaml"),
        ("templates/board.html", False, "templates/board.html"),
        ("templates/.board.html.swp", False, None),
        ("site/index.html", False, None),
        (".git/index", False, None),
        ("notes.md", False, None),
    ],
)
def test_which_paths_matter(tmp_path: Path, rel: str, is_dir: bool, expected: str | None) -> None:
    assert relevant(tmp_path, tmp_path / "site", str(tmp_path / rel), is_dir) == expected


def test_a_saved_deal_shows_first_then_the_rest_then_the_charts(
    repo: Path, live: Live, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A saved deal is written in three steps, each reported for the browser with the
    pages it changed: the deal's own page; every other page but the dashboard; the
    charts and the dashboard. The end is exactly a clean build."""
    chart = (repo / "site/charts/stage-value.svg").read_bytes()
    dashboard = page(repo, "index.html")
    seen: list[dict[str, object]] = []
    watcher = live.watcher
    on_rebuild = watcher.on_rebuild

    def look(report: Rebuild) -> None:  # what a browser would load at each report
        seen.append(
            {
                "pages": report.pages,
                "deal": page(repo, "deals/a.html"),
                "list": page(repo, "stages/lead.html"),
                "chart": (repo / "site/charts/stage-value.svg").read_bytes(),
                "dashboard": page(repo, "index.html"),
            }
        )
        on_rebuild(report)

    watcher.on_rebuild = look
    text = DEAL.format(title="Alpha").replace("stage: lead", "stage: lead\nvalue: 9000")
    (repo / "deals/a.md").write_text(text)
    reports = live.settle()
    assert len(reports) == 1 and len(live.early) == 2
    first, second, third = seen
    assert first["pages"] == ["deals/a.html"]
    assert "9,000" in str(first["deal"]) and "9,000" not in str(first["list"])
    assert first["chart"] == chart and first["dashboard"] == dashboard
    assert "deals/a.html" not in second["pages"]  # type: ignore[operator]
    assert "stages/lead.html" in second["pages"]  # type: ignore[operator]
    assert "9,000" in str(second["list"])
    assert second["chart"] == chart and second["dashboard"] == dashboard
    assert third["pages"] == ["index.html"] and reports[0].charts_seconds > 0
    assert third["chart"] != chart and third["dashboard"] != dashboard
    same_as_clean_build(repo, tmp_path_factory)


def test_a_saved_deal_with_a_problem_waits_for_the_whole_rebuild(repo: Path, live: Live) -> None:
    (repo / "deals/a.md").write_text(DEAL.format(title="Alpha").replace("lead", "nope"))
    reports = live.settle()
    assert [r for r in live.early if r.result is None] == []  # no deal page went first
    assert len(reports) == 1
    assert reports[0].result is not None and reports[0].result.loaded.errors == 1


def test_served_page_reloads_after_a_change(repo: Path) -> None:
    """A browser's view: load a page, follow the reload channel, see the new content."""
    state = LiveState()
    reports: list[Rebuild] = []

    def on_rebuild(report: Rebuild) -> None:
        reports.append(report)
        state.publish([])

    watcher = Watcher(Builder(repo), on_rebuild, quiet=0.15)
    watcher.start()
    watcher.rebuild([])
    server = make_server(repo / "site", "127.0.0.1", 0, state)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        html = urllib.request.urlopen(f"{base}/deals/a.html", timeout=5).read().decode()
        assert "Alpha" in html
        assert '<script src="/__dealbook/live.js" data-build="1"></script></body>' in html
        stream = urllib.request.urlopen(f"{base}/__dealbook/events", timeout=10)
        assert json.loads(_next_event(stream))["build"] == 1
        time.sleep(0.3)
        (repo / "deals/a.md").write_text(DEAL.format(title="Alpha v2"))
        event = json.loads(_next_event(stream))
        assert event == {"build": 2, "errors": [], "only": None}
        html = urllib.request.urlopen(f"{base}/deals/a.html", timeout=5).read().decode()
        # the saved deal's page is event 2; the whole rebuild after it (event 3) may
        # already be done by the time the page is fetched
        shown = re.search(r'data-build="(\d+)"', html)
        assert "Alpha v2" in html and shown is not None and int(shown[1]) in (2, 3)
        # no listings, nothing outside the site
        for path in ("/deals/", "/../dealbook.yaml", "/%2e%2e/dealbook.yaml"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=5)
            assert err.value.code == 404
        stream.close()
    finally:
        watcher.stop()
        state.close()
        server.shutdown()
        server.server_close()


def _next_event(stream) -> str:  # type: ignore[no-untyped-def]
    data = ""
    while True:
        line = stream.readline().decode()
        if line.startswith("data: "):
            data = line[len("data: ") :].strip()
        elif line == "\n" and data:
            return data


def test_folders_created_after_start_are_watched(tmp_path: Path) -> None:
    (tmp_path / "dealbook.yaml").write_text("as_of: 2026-10-10\n")
    lv = Live(tmp_path)
    try:
        (tmp_path / "deals").mkdir()
        assert len(lv.settle()) == 1
        (tmp_path / "deals/a.md").write_text(DEAL.format(title="Late"))
        assert len(lv.settle()) == 1
        assert "Late" in page(tmp_path, "deals/a.html")
        (tmp_path / "templates").mkdir()
        lv.settle()
        (tmp_path / "templates/deal.html").write_text("{{ deal.title }} from my theme\n")
        assert len(lv.settle()) == 1
        assert page(tmp_path, "deals/a.html") == "Late from my theme\n"
    finally:
        lv.stop()
