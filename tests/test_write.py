"""The output folder: only changed files written, the old site kept whole when a build
fails or is killed, nothing outside the folder, files we did not write left alone."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.build import build
from generator.cli import Reporter, main
from generator.write import WriteError, write_site

from bench.synth import make_pipeline

PROJECT = Path(__file__).resolve().parents[1]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_only_changed_files_are_written(tmp_path: Path) -> None:
    out = tmp_path / "site"
    first = write_site(out, [("a.html", b"A"), ("deals/b.html", b"B")])
    assert (first.written, first.unchanged) == (2, 0)
    mtime = (out / "a.html").stat().st_mtime_ns
    second = write_site(out, [("a.html", b"A"), ("deals/b.html", b"B2")])
    assert (second.written, second.unchanged, second.removed) == (1, 1, 0)
    assert (out / "a.html").stat().st_mtime_ns == mtime
    third = write_site(out, [("a.html", b"A")])
    assert third.removed == 1 and not (out / "deals").exists()


def test_files_we_did_not_write_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(out, [("index.html", b"1")])
    (out / "CNAME").write_text("deals.example.com\n")
    write_site(out, [("index.html", b"2")])
    assert tree(out) == {
        "index.html": b"2",
        "CNAME": b"deals.example.com\n",
        ".dealbook-manifest": (out / ".dealbook-manifest").read_bytes(),
    }


@pytest.mark.parametrize("rel", ["../escape.html", "/etc/x", "a/../../b", "a\\..\\b", ""])
def test_nothing_is_written_outside_the_folder(tmp_path: Path, rel: str) -> None:
    with pytest.raises(WriteError):
        write_site(tmp_path / "site", [(rel, b"x")])
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_same_file_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(WriteError):
        write_site(tmp_path / "site", [("a.html", b"1"), ("a.html", b"2")])


def test_a_failing_build_leaves_the_old_site(tmp_path: Path) -> None:
    (tmp_path / "deals").mkdir()
    (tmp_path / "deals/a.md").write_text("---\ntitle: A\nstage: lead\ncreated: 2026-10-01\n---\n")
    build(tmp_path)
    before = tree(tmp_path / "site")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/deal.html").write_text("{{ no_such_thing.at_all }}\n")
    with pytest.raises(Exception, match="no_such_thing"):
        build(tmp_path)
    assert tree(tmp_path / "site") == before
    err = io.StringIO()
    assert main(["build", "--root", str(tmp_path)], Reporter(io.StringIO(), err)) == 1
    assert err.getvalue() == (
        "dealbook: error: a template failed: 'no_such_thing' is undefined; "
        "the site was not changed\n"
    )
    assert tree(tmp_path / "site") == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_a_killed_build_leaves_one_whole_site(tmp_path: Path) -> None:
    root = make_pipeline(tmp_path / "repo", 1500)
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "generator", "build", "--root", str(root)]
    subprocess.run(command, env=env, check=True, capture_output=True)
    old = tree(root / "site")
    for path in (root / "deals").rglob("*.md"):  # every page changes
        path.write_text(path.read_text().replace("title: ", "title: Renamed "))
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after_kill = tree(root / "site")
    subprocess.run(command, env=env, check=True, capture_output=True)
    new = tree(root / "site")
    assert after_kill in (old, new)  # never a mix of the two
    assert old != new
    assert [p.name for p in root.iterdir() if p.name.startswith(".site")] == []


@pytest.mark.parametrize("out", [".", "..", "deals", "deals/site", "templates/x"])
def test_the_output_folder_may_not_hold_the_pipeline(tmp_path: Path, out: str) -> None:
    root = tmp_path / "repo"
    (root / "deals").mkdir(parents=True)
    (root / "deals/a.md").write_text("---\ntitle: A\nstage: lead\ncreated: 2026-10-01\n---\n")
    err = io.StringIO()
    code = main(
        ["build", "--root", str(root), "--out", str(root / out)], Reporter(io.StringIO(), err)
    )
    assert code == 2 and "--out" in err.getvalue()
    assert (root / "deals/a.md").is_file()


def test_a_folder_dealbook_did_not_make_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "Documents").mkdir()
    (tmp_path / "Documents/letter.txt").write_text("keep me")
    with pytest.raises(WriteError, match="not empty and was not made by Dealbook"):
        write_site(tmp_path / "Documents", [("index.html", b"x")])
    assert tree(tmp_path / "Documents") == {"letter.txt": b"keep me"}


def _site_v1_v2(tmp_path: Path) -> tuple[Path, list[tuple[str, bytes | None]], dict[str, bytes]]:
    """A site written once (v1), and the files of a build that changes a few of them (v2)."""
    out = tmp_path / "site"
    v1 = [(f"deals/d{i}.html", f"one {i}".encode()) for i in range(10)] + [("gone.html", b"x")]
    write_site(out, list(v1))
    v2: list[tuple[str, bytes | None]] = [
        (rel, f"two {rel}".encode() if rel in ("deals/d1.html", "deals/d7.html") else None)
        for rel, _ in v1
        if rel != "gone.html"
    ]
    v2.append(("new/page.html", b"new"))
    expected = {f"deals/d{i}.html": f"one {i}".encode() for i in range(10)}
    expected |= {"deals/d1.html": b"two deals/d1.html", "deals/d7.html": b"two deals/d7.html"}
    expected["new/page.html"] = b"new"
    return out, v2, expected


def test_a_small_change_interrupted_during_its_renames_is_finished_next_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.write as w

    out, v2, expected = _site_v1_v2(tmp_path)
    real, calls = os.replace, []

    def dies_on_the_second_page(src: str, dst: str) -> None:
        calls.append(dst)
        if str(dst).endswith(".html") and sum(c.endswith(".html") for c in map(str, calls)) == 2:
            raise KeyboardInterrupt  # as if killed between two renames
        real(src, dst)

    monkeypatch.setattr(w.os, "replace", dies_on_the_second_page)
    with pytest.raises(KeyboardInterrupt):
        write_site(out, v2)
    monkeypatch.setattr(w.os, "replace", real)
    half = tree(out)
    assert half["deals/d1.html"] == b"two deals/d1.html"  # one page renamed ...
    assert half["deals/d7.html"] == b"one 7"  # ... the next not yet
    w.recover(out)  # what the next build does first
    after = tree(out)
    assert {k: v for k, v in after.items() if k != ".dealbook-manifest"} == expected
    assert "gone.html\n" not in after[".dealbook-manifest"].decode()
    assert write_site(out, [(rel, None) for rel, _ in v2]).written == 0  # manifest agrees


def test_a_small_change_killed_while_writing_leaves_the_old_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.write as w

    out, v2, _ = _site_v1_v2(tmp_path)
    before = tree(out)
    chmods = []

    def killed(path: object, mode: int) -> None:
        chmods.append(path)
        if len(chmods) == 2:
            raise SystemExit  # the second temporary file is written, not yet finished

    monkeypatch.setattr(w.os, "chmod", killed)
    monkeypatch.setattr(w, "_roll_forward", lambda out: None)  # a kill cleans nothing up
    with pytest.raises(SystemExit):
        write_site(out, v2)
    monkeypatch.undo()
    assert any(p.name.startswith(".tmp-") for p in out.rglob("*"))  # left behind
    w.recover(out)
    assert tree(out) == before  # the old site exactly, temporary files and journal gone
