"""`dealbook new`: one well-formed deal file, never over another, and its path printed."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from generator.cli import Reporter, main
from generator.pipeline import load_repo

NOTES = (
    "## Context\nWhat they need, and why now.\n\n## Contacts\nWho decides, and how to reach them.\n"
)


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Reporter(out, err))
    return code, out.getvalue(), err.getvalue()


def new(root: Path, *args: str) -> tuple[int, str, str]:
    return run(["new", *args, "--root", str(root)])


def test_new_writes_a_deal_that_passes_check_and_prints_its_path(tmp_path: Path) -> None:
    today = date.today()
    code, out, err = new(
        tmp_path, "Shop redesign", "--client", "Northwind: Outfitters", "--value", "4800"
    )
    assert (code, err) == (0, "")
    path = tmp_path / "deals" / "shop-redesign.md"
    assert out == f"{path}\n"
    assert path.read_text() == (
        "---\n"
        "title: Shop redesign\n"
        'client: "Northwind: Outfitters"\n'
        "stage: lead\n"
        "value: 4800\n"
        f"created: {today.isoformat()}\n"
        "next_step: Plan the first call\n"
        f"next_step_due: {(today + timedelta(days=7)).isoformat()}\n"
        "---\n" + NOTES
    )
    assert run(["check", "--root", str(tmp_path)]) == (0, "1 deal checked, no problems\n", "")


def test_the_same_title_twice_gets_a_second_name_and_nothing_is_overwritten(
    tmp_path: Path,
) -> None:
    (tmp_path / "deals").mkdir()
    mine = tmp_path / "deals" / "acme.md"
    mine.write_text("---\ntitle: mine\n---\n")
    assert new(tmp_path, "Acme")[1] == f"{tmp_path / 'deals' / 'acme-2.md'}\n"
    assert new(tmp_path, "ACME!")[1] == f"{tmp_path / 'deals' / 'acme-3.md'}\n"
    assert mine.read_text() == "---\ntitle: mine\n---\n"


def test_stage_by_id_or_label_in_any_case(tmp_path: Path) -> None:
    assert new(tmp_path, "A", "--stage", "QUALIFIED")[0] == 0
    assert new(tmp_path, "B", "--stage", "proposal sent", "--value", "4.8k")[0] == 0
    deals = {d.id: d for d in load_repo(tmp_path).deals}
    assert (deals["a"].stage, deals["b"].stage, str(deals["b"].value)) == (
        "qualified",
        "proposal",
        "4800",
    )


def test_a_stage_of_dealbook_yaml(tmp_path: Path) -> None:
    (tmp_path / "dealbook.yaml").write_text(
        "stages:\n  - {id: inbox, label: Inbox, probability: 0.1}\n"
        "  - {id: won, outcome: won}\n  - {id: lost, outcome: lost}\n"
    )
    assert new(tmp_path, "A")[0] == 0
    assert "stage: inbox\n" in (tmp_path / "deals" / "a.md").read_text()
    code, _, err = new(tmp_path, "B", "--stage", "lead")
    assert code == 2
    assert err == "dealbook: error: --stage lead: not a stage\n    hint: open stages are: inbox\n"


def test_bad_arguments_exit_2_and_write_nothing(tmp_path: Path) -> None:
    cases = [
        (
            ["X", "--stage", "propsal"],
            "--stage propsal: not a stage; did you mean 'proposal'?",
            "open stages are: lead, qualified, proposal, negotiation",
        ),
        (
            ["X", "--stage", "won"],
            "--stage won: a new deal starts in an open stage",
            "open stages are: lead, qualified, proposal, negotiation",
        ),
        (
            ["X", "--stage", "proposal"],
            "--value: a deal in stage 'proposal' needs a value",
            "pass e.g. --value 4800",
        ),
        (
            ["X", "--value", "9,99"],
            "--value: '9,99' is ambiguous: is the comma a decimal point?",
            "write 9.99 for a decimal, or 999 for a whole number (a dot for decimals, no "
            "thousands separator)",
        ),
        (["   "], "the title is empty", 'write what the deal is: dealbook new "Shop redesign"'),
    ]
    for args, message, hint in cases:
        code, out, err = new(tmp_path, *args)
        assert (code, out) == (2, ""), args
        assert err == f"dealbook: error: {message}\n    hint: {hint}\n", args
    assert not (tmp_path / "deals").exists()


def test_titles_yaml_would_misread_stay_text(tmp_path: Path) -> None:
    for title in ("yes", "1:30", "#1 priority: rush", "2026-01-02"):
        assert new(tmp_path, title)[0] == 0
    titles = sorted(d.title for d in load_repo(tmp_path).deals)
    assert titles == ["#1 priority: rush", "1:30", "2026-01-02", "yes"]
    assert (tmp_path / "deals" / "1-priority-rush.md").exists()


def test_a_title_with_no_letters_is_named_deal(tmp_path: Path) -> None:
    assert new(tmp_path, "???")[1] == f"{tmp_path / 'deals' / 'deal.md'}\n"


def test_no_root_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = new(tmp_path / "missing", "X")
    assert code == 2 and "no such folder" in err


def test_new_dates_the_deal_on_the_pipelines_as_of_day(tmp_path: Path) -> None:
    # The sample config fixes "today"; a deal created after it would show negative days.
    (tmp_path / "dealbook.yaml").write_text("as_of: 2026-11-20\n")
    code, out, _ = new(tmp_path, "Later deal")
    assert code == 0
    text = Path(out.strip()).read_text()
    assert "created: 2026-11-20\n" in text and "next_step_due: 2026-11-27\n" in text
