"""End to end: deal files in, a complete site out, checked page by page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from generator.build import build
from generator.pipeline import load_repo

from linkcheck import check_files
from shared_data import shared_path

PROJECT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    build(PROJECT, out)
    return out


def test_sample_site_has_every_page(sample_site: Path) -> None:
    for page in (
        "index.html",
        "board.html",
        "review.html",
        "problems.html",
        "metrics.html",
        "data/metrics.json",
        "data/deals.json",
        "assets/style.css",
        "assets/board.js",
    ):
        assert (sample_site / page).is_file(), page
    loaded = load_repo(PROJECT)
    assert loaded.deals, "the sample pipeline has deals"
    for d in loaded.deals:
        assert (sample_site / "deals" / f"{d.id}.html").is_file(), d.id
    assert len(list((sample_site / "charts").glob("*.svg"))) == 6


def test_every_link_and_image_resolves_inside_the_site(sample_site: Path) -> None:
    assert check_files(sample_site) == []


def test_no_external_resources(sample_site: Path) -> None:
    for page in sample_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"""src=["'](https?:)?//""", text), page
        assert not re.search(r"""<link[^>]*href=["'](https?:)?//""", text), page


def test_charts_have_alt_text_and_a_table_of_their_numbers(sample_site: Path) -> None:
    html = (sample_site / "index.html").read_text(encoding="utf-8")
    charts = re.findall(r'<img src="charts/[^"]+\.svg" alt="([^"]*)"', html)
    assert len(charts) == 6
    assert all(len(alt) > 20 for alt in charts)
    assert html.count("<table>") >= 6


def test_deals_json_lists_every_valid_deal_with_fields_as_typed(sample_site: Path) -> None:
    data = json.loads((sample_site / "data/deals.json").read_text())
    loaded = load_repo(PROJECT)
    assert [d["id"] for d in data["deals"]] == [d.id for d in loaded.deals]
    copper = next(d for d in data["deals"] if d["id"] == "copperleaf-shopify-redesign")
    assert copper["fields"]["value"] == "$4,800"  # the text as typed
    assert copper["value"] == 4800.0
    for d in data["deals"]:
        assert set(d) >= {"base_value", "probability", "days_in_stage", "health", "fields"}


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD = """---
title: Good deal
stage: lead
created: 2026-10-01
next_step: call
---
"""


def test_a_bad_file_is_listed_and_the_rest_still_builds(tmp_path: Path) -> None:
    write(tmp_path, "deals/good.md", GOOD)
    write(tmp_path, "deals/bad.md", "---\ntitle: Bad\nstage: nowhere\ncreated: 2026-10-01\n---\n")
    write(tmp_path, "dealbook.yaml", "as_of: 2026-10-10\n")
    result = build(tmp_path)
    site = tmp_path / "site"
    assert (site / "deals/good.html").is_file()
    assert not (site / "deals/bad.html").exists()
    problems = (site / "problems.html").read_text()
    assert "deals/bad.md:3:8" in problems and "&#39;nowhere&#39; is not a stage" in problems
    assert json.loads((site / "data/metrics.json").read_text())["invalid"] == 1
    assert result.loaded.errors == 1


HOSTILE = """---
title: <script>alert(1)</script>
client: "<img src=x onerror=alert(2)>"
stage: lead
created: 2026-10-01
next_step: "<b onmouseover=alert(3)>hi</b>"
owner: '"><script>alert(4)</script>'
my_field: <iframe src="javascript:alert(5)"></iframe>
---
Hello <script>alert(6)</script> [click](javascript:alert(7)) <a href="data:text/html,x">d</a>
<img src=x onerror=alert(8)> <iframe src="https://example.com"></iframe>
"""


def test_nothing_from_a_deal_runs_as_script(tmp_path: Path) -> None:
    write(tmp_path, "deals/evil.md", HOSTILE)
    write(tmp_path, "dealbook.yaml", "as_of: 2026-10-10\n")
    build(tmp_path)
    site = tmp_path / "site"
    for page in ["deals/evil.html", "board.html", "index.html", "review.html"]:
        html = (site / page).read_text()
        assert "<script>alert" not in html, page
        assert "onerror=" not in html.replace("onerror=alert(2)&gt;", ""), page
        assert not re.search(r"<[a-z]+[^>]*\son\w+=", html), page
        assert "javascript:" not in html.replace("javascript:alert(5)&#34;", ""), page
        assert "<iframe" not in html, page
    deal = (site / "deals/evil.html").read_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in deal  # shown as text
    assert 'href="data:' not in deal


def test_output_is_the_same_when_built_twice(tmp_path: Path) -> None:
    shutil.copytree(PROJECT / "deals", tmp_path / "deals")
    shutil.copy(PROJECT / "dealbook.yaml", tmp_path / "dealbook.yaml")
    build(tmp_path, tmp_path / "a")
    build(tmp_path, tmp_path / "b")
    a = {
        p.relative_to(tmp_path / "a"): p.read_bytes()
        for p in (tmp_path / "a").rglob("*")
        if p.is_file()
    }
    b = {
        p.relative_to(tmp_path / "b"): p.read_bytes()
        for p in (tmp_path / "b").rglob("*")
        if p.is_file()
    }
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []


def test_a_removed_deal_loses_its_page_on_the_next_build(tmp_path: Path) -> None:
    write(tmp_path, "deals/a.md", GOOD)
    write(tmp_path, "deals/sub/b.md", GOOD)
    build(tmp_path)
    assert (tmp_path / "site/deals/sub/b.html").exists()
    (tmp_path / "deals/sub/b.md").unlink()
    build(tmp_path)
    assert not (tmp_path / "site/deals/sub").exists()
    assert (tmp_path / "site/deals/a.html").exists()


def test_build_never_writes_under_deals(tmp_path: Path) -> None:
    write(tmp_path, "deals/a.md", GOOD)
    write(tmp_path, "deals/bad.md", "---\ntitle: [\n---\n")
    before = {p: p.read_bytes() for p in (tmp_path / "deals").rglob("*")}
    build(tmp_path)
    after = {p: p.read_bytes() for p in (tmp_path / "deals").rglob("*")}
    assert before == after


def test_real_crm_sample_builds_a_page_per_deal(tmp_path: Path) -> None:
    root = shared_path("data", "maven-deals")
    result = build(root, tmp_path / "site")
    assert len(result.loaded.deals) == 8800
    assert len(list((tmp_path / "site/deals").glob("*.html"))) == 8800
    expected = json.loads((root / "expected-metrics.json").read_text())
    got = json.loads((tmp_path / "site/data/metrics.json").read_text())
    assert got == expected
