"""The command line: exact output, exit codes 0 / 1 / 2, and `python -m generator`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import Reporter, main

GOOD = "---\ntitle: Good\nstage: lead\ncreated: 2026-10-01\nnext_step: call\n---\n"
WARN = "---\ntitle: Quiet\nstage: lead\ncreated: 2026-10-01\n---\n"
BAD = "---\ntitle: Bad\nstage: closed\ncreated: 2026-10-01\n---\n"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Reporter(out, err))
    return code, out.getvalue(), err.getvalue()


def repo(tmp_path: Path, **deals: str) -> Path:
    (tmp_path / "deals").mkdir()
    for name, text in deals.items():
        (tmp_path / "deals" / f"{name}.md").write_text(text)
    return tmp_path


def test_check_clean_repo_exits_0(tmp_path: Path) -> None:
    code, out, _ = run(["check", "--root", str(repo(tmp_path, good=GOOD))])
    assert (code, out) == (0, "1 deal checked, no problems\n")


def test_check_reports_every_problem_with_hint_and_summary(tmp_path: Path) -> None:
    code, out, _ = run(["check", "--root", str(repo(tmp_path, good=GOOD, bad=BAD, quiet=WARN))])
    assert code == 1
    assert out == (
        "deals/bad.md:3:8: error: stage: 'closed' is not a stage; did you mean 'won' or 'lost'?\n"
        "    hint: stages are: lead, qualified, proposal, negotiation, won, lost\n"
        "deals/quiet.md:5:1: warning: next_step: open deal has no next step\n"
        "    hint: add e.g. 'next_step: Call to walk through scope' and a next_step_due date\n"
        "2 problems (1 error, 1 warning) in 2 of 3 deals\n"
    )


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    root = str(repo(tmp_path, quiet=WARN))
    assert run(["check", "--root", root])[0] == 0
    assert run(["check", "--root", root, "--strict"])[0] == 1


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run([])[0] == 2
    assert run(["frobnicate"])[0] == 2
    code, _, err = run(["check", "--root", str(tmp_path / "nope")])
    assert code == 2 and "no such folder" in err
    code, _, err = run(["check", "--root", str(tmp_path)])
    assert code == 2 and "neither dealbook.yaml nor a deals/ folder" in err
    assert run(["build", "--root", str(repo(tmp_path, good=GOOD)), "--as-of", "2026-02-30"])[0] == 2


def test_build_writes_site_and_says_where(tmp_path: Path) -> None:
    root = repo(tmp_path, good=GOOD, bad=BAD)
    code, out, _ = run(["build", "--root", str(root), "--as-of", "2026-10-05"])
    assert code == 0
    # 6 pages (404.html too), a list per stage (6) and the valid deal's page
    assert out.splitlines()[-1].startswith("built 13 pages from 1 deal, 1 left out for errors")
    assert out.rstrip().endswith(f"-> {root / 'site' / 'index.html'}")
    assert '"as_of": "2026-10-05"' in (root / "site/data/metrics.json").read_text()


def test_build_output_stays_short_on_a_big_pipeline(tmp_path: Path) -> None:
    root = repo(tmp_path, **{f"d{i:02d}": WARN for i in range(30)})
    code, out, _ = run(["build", "--root", str(root), "--out", str(tmp_path / "out")])
    assert code == 0
    lines = out.splitlines()
    # the first 20 warnings (each with its hint), then a pointer to the rest and the summary
    assert lines[0] == "deals/d00.md:5:1: warning: next_step: open deal has no next step"
    assert (
        lines[40]
        == "... 10 more not shown; `dealbook check` lists them all, and so does problems.html"
    )
    assert len(lines) == 43
    assert (tmp_path / "out/index.html").is_file()


@pytest.mark.parametrize("module", ["generator"])
def test_python_dash_m_runs_the_same_command(tmp_path: Path, module: str) -> None:
    root = repo(tmp_path, good=GOOD)
    done = subprocess.run(
        [sys.executable, "-m", module, "check", "--root", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "1 deal checked, no problems\n")


def test_the_command_exits_with_its_code_after_all_its_output(tmp_path: Path) -> None:
    """`dealbook` leaves with os._exit once a command is done (freeing a big build's
    objects would only cost time): through a pipe, every line still arrives, and the
    exit code is the command's."""
    root = repo(tmp_path, good=GOOD, bad=BAD, quiet=WARN)
    env = {**os.environ, "DEALBOOK_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PYTHONUNBUFFERED", None)  # output through a pipe is then held in a buffer

    def dealbook(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "generator", *args, "--root", str(root)]
        return subprocess.run(command, capture_output=True, text=True, env=env, check=False)

    check = dealbook("check")
    assert check.returncode == 1
    assert check.stdout.splitlines()[-1] == "2 problems (1 error, 1 warning) in 2 of 3 deals"
    built = dealbook("build", "--out", str(tmp_path / "out"))
    assert built.returncode == 0 and built.stderr == ""
    assert built.stdout.count("\n") == 6  # two problems with their hints, the summary, a line
    assert built.stdout.splitlines()[-1].startswith("built 14 pages from 2 deals, 1 left out")
    assert (tmp_path / "out/deals/good.html").is_file()


def test_build_refuses_a_config_with_errors_and_keeps_the_site(tmp_path: Path) -> None:
    root = repo(tmp_path, good=GOOD)
    assert run(["build", "--root", str(root)])[0] == 0
    before = (root / "site/index.html").read_bytes()
    (root / "dealbook.yaml").write_text("currency: dollars\n")
    code, out, err = run(["build", "--root", str(root)])
    assert code == 1
    assert (
        out.splitlines()[0]
        == "dealbook.yaml:1:11: error: currency: 'dollars' is not a currency code"
    )
    assert "dealbook.yaml has errors, so the site was not built" in err
    assert (root / "site/index.html").read_bytes() == before
