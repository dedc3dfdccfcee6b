"""The build cache: a fresh `dealbook build` reuses the last run's work and still gives
exactly the bytes of a clean build; anything the output depends on invalidates it."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from generator.build import Builder, build
from generator.cache import BuildCache
from generator.cli import Reporter, main

PROJECT = Path(__file__).resolve().parents[1]


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DEALBOOK_CACHE_DIR", str(tmp_path / "cache"))
    root = tmp_path / "repo"
    shutil.copytree(PROJECT / "deals", root / "deals")
    shutil.copy(PROJECT / "dealbook.yaml", root / "dealbook.yaml")
    return root


def clean_build(root: Path, tmp_path: Path) -> dict[str, bytes]:
    out = tmp_path / "clean"
    Builder(root, out, cache=False).build()
    return tree(out)


def test_nothing_changed_is_recognised_without_work(repo: Path) -> None:
    first = build(repo)
    assert first.rendered > 0
    again = Builder(repo).build()  # a new process would start just like this
    assert (again.rendered, again.written.written) == (0, 0)
    assert again.deals == first.deals and again.problems == first.problems


def test_cached_build_after_edits_equals_a_clean_build(repo: Path, tmp_path: Path) -> None:
    build(repo)
    deal = repo / "deals/bramble-subscription-box.md"
    deal.write_text(deal.read_text().replace("value: 4800", "value: 5100"))
    (repo / "deals/copperleaf-shopify-redesign.md").unlink()
    (repo / "deals/new-one.md").write_text(
        "---\ntitle: New one\nstage: lead\ncreated: 2026-11-19\nnext_step: call\n---\n"
    )
    result = Builder(repo).build()
    assert 0 < result.rendered < 20  # only what the edits touched
    assert tree(repo / "site") == clean_build(repo, tmp_path)


def test_pages_deleted_from_the_site_by_hand_are_written_again(repo: Path, tmp_path: Path) -> None:
    build(repo)
    page = repo / "site/deals/bramble-subscription-box.html"
    page.unlink()
    again = Builder(repo).build()  # not "up to date": the page is missing
    assert page.is_file() and again.written.written == 1
    shutil.rmtree(repo / "site/stages")
    watching = Builder(repo)  # and the same for a builder that builds again (watch)
    watching.build()
    (repo / "site/charts/funnel.svg").unlink()
    watching.build()
    assert tree(repo / "site") == clean_build(repo, tmp_path)


@pytest.mark.parametrize("change", ["template", "config", "site deleted"])
def test_what_invalidates_the_cache(repo: Path, tmp_path: Path, change: str) -> None:
    build(repo)
    if change == "template":
        (repo / "templates").mkdir()
        (repo / "templates/deal.html").write_text("<p>{{ deal.title }}</p>\n")
    elif change == "config":
        cfg = repo / "dealbook.yaml"
        cfg.write_text(cfg.read_text().replace("EUR: 1.08", "EUR: 1.10"))
    else:
        shutil.rmtree(repo / "site")
    Builder(repo).build()
    assert tree(repo / "site") == clean_build(repo, tmp_path)


def test_a_damaged_cache_is_ignored(repo: Path, tmp_path: Path) -> None:
    build(repo)
    cache = BuildCache(repo, repo / "site")
    for path in cache.path.glob("*.pickle"):
        path.write_bytes(path.read_bytes()[:200] + b"garbage")
    (repo / "deals/bramble-subscription-box.md").touch()
    result = Builder(repo).build()
    assert result.deals == 31
    assert tree(repo / "site") == clean_build(repo, tmp_path)


def test_the_cache_lives_outside_the_repository(repo: Path, tmp_path: Path) -> None:
    build(repo)
    cache = BuildCache(repo, repo / "site")
    assert (cache.path / "index.pickle").is_file() and tmp_path / "cache" in cache.path.parents
    assert not [p for p in repo.rglob("*") if "cache" in p.name.lower()]
    assert oct(os.stat(cache.path.parent).st_mode & 0o777) == "0o700"


def test_up_to_date_message(repo: Path) -> None:
    out = io.StringIO()
    assert main(["build", "--root", str(repo)], Reporter(out, io.StringIO())) == 0
    out = io.StringIO()
    assert main(["build", "--root", str(repo)], Reporter(out, io.StringIO())) == 0
    assert out.getvalue().splitlines()[-1] == (
        f"up to date: 43 pages from 31 deals -> {repo / 'site' / 'index.html'}"
    )
    (repo / "site/deals/bramble-subscription-box.html").unlink()  # one file to write back
    out = io.StringIO()
    assert main(["build", "--root", str(repo)], Reporter(out, io.StringIO())) == 0
    last = out.getvalue().splitlines()[-1]
    assert last.startswith("built 43 pages from 31 deals in ")
    assert last.endswith(f" s (1 file written) -> {repo / 'site' / 'index.html'}")


def test_one_edit_rewrites_one_part_of_the_cache(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import generator.build as b

    monkeypatch.setattr(b, "_part_count", lambda files: 8)  # as if the pipeline were large
    build(repo)
    cache = BuildCache(repo, repo / "site")
    before = {p.name for p in cache.path.glob("part-*")}
    assert len(before) == 8
    deal = repo / "deals/bramble-subscription-box.md"
    deal.write_text(deal.read_text().replace("value: 4800", "value: 5100"))
    Builder(repo).build()
    after = {p.name for p in cache.path.glob("part-*")}
    assert len(after) == 8 and len(after - before) == 1  # the edited deal's part only
    # a new process reading those parts builds exactly what a clean build does
    (repo / "deals/copperleaf-shopify-redesign.md").unlink()
    result = Builder(repo).build()
    assert 0 < result.rendered < 20
    assert tree(repo / "site") == clean_build(repo, tmp_path)
    assert len({p.name for p in cache.path.glob("part-*")} - after) == 1
