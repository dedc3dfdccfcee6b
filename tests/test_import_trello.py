"""`dealbook import trello`: cards to deals, comments to touches, moves to stage dates;
lists that are not stages get a suggested stage list instead of an import."""

from __future__ import annotations

import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from generator.cli import Reporter, main
from generator.model import Deal, Touch
from generator.pipeline import load_repo

from shared_data import shared_path

BOARD = Path(__file__).resolve().parent / "data" / "import" / "trello-board.json"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Reporter(out, err))
    return code, out.getvalue(), err.getvalue()


def trello(root: Path, board: Path, *extra: str) -> tuple[int, str, str]:
    return run(["import", "trello", str(board), "--root", str(root), *extra])


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted((root / "deals").rglob("*"))
        if p.is_file()
    }


def deals(root: Path) -> dict[str, Deal]:
    loaded = load_repo(root)
    assert loaded.errors == 0, [p.format() for p in loaded.problems if p.is_error]
    return {d.id: d for d in loaded.deals}


# -- the real export's shape ---------------------------------------------------------------


def test_lists_that_are_not_stages_get_a_suggestion_and_nothing_is_imported(
    tmp_path: Path,
) -> None:
    board = shared_path("data", "trello-export-nextcloud-deck", "data-trelloJson.json")
    (tmp_path / "deals").mkdir()
    code, out, _ = trello(tmp_path, board)
    assert code == 1
    assert out.splitlines() == [
        "the board's list 'TODO' is not a stage of dealbook.yaml; nothing was imported.",
        "Either make the lists your stages: put this in dealbook.yaml (and check the "
        "probabilities),",
        "",
        "stages:",
        "  - {id: todo, label: TODO, probability: 0.5}",
        "  - {id: won, label: Won, outcome: won}",
        "  - {id: lost, label: Lost, outcome: lost}",
        "",
        "or map each list onto one of your stages (lead, qualified, proposal, negotiation, "
        "won, lost) in a file you pass with --map:",
        "",
        "stages:",
        "  TODO: lead",
    ]
    assert files(tmp_path) == {}

    # the suggested stage list, accepted as it is, makes the board importable
    (tmp_path / "dealbook.yaml").write_text("\n".join(out.splitlines()[3:7]) + "\n")
    code, out, _ = trello(tmp_path, board)
    assert code == 0, out
    assert files(tmp_path) == {
        "deals/name-card-7.md": "---\n"
        "title: Name Card 7\n"
        "stage: todo\n"
        "created: 2017-09-15\n"  # the card's createCard action (its id holds no time)
        'trello_card: "https://trello.com/c/fakeshortlinkcard7/7-name-card-7"\n'
        "---\n"
    }
    assert run(["check", "--root", str(tmp_path)])[0] == 0


def test_real_export_with_a_map_and_a_second_run(tmp_path: Path) -> None:
    board = shared_path("data", "trello-export-nextcloud-deck", "data-trelloJson.json")
    (tmp_path / "map.yaml").write_text("stages:\n  TODO: lead\n")
    code, out, _ = trello(tmp_path, board, "--map", str(tmp_path / "map.yaml"))
    assert code == 0
    assert "  created deals/name-card-7.md  (card 1: Name Card 7, lead)" in out
    assert deals(tmp_path)["name-card-7"].stage == "lead"
    code, out, _ = trello(tmp_path, board, "--map", str(tmp_path / "map.yaml"))
    assert code == 0
    assert out.splitlines()[-2:] == [
        "1 card: 0 imported, 1 already imported, 0 skipped",
        "nothing new to import: every card is already there",
    ]


# -- a richer board: lists named like the default stages, custom fields, history ----------


@pytest.fixture
def imported(tmp_path: Path) -> tuple[Path, int, str]:
    (tmp_path / "deals").mkdir()
    code, out, _ = trello(tmp_path, BOARD)
    return tmp_path, code, out


def test_a_card_with_everything(imported: tuple[Path, int, str]) -> None:
    root, _, _ = imported
    assert files(root)["deals/northwind-shop-redesign.md"] == (
        "---\n"
        'title: "Northwind: shop redesign"\n'
        "client: Northwind Outfitters\n"  # custom field Client
        "stage: proposal\n"  # the list 'Proposal sent' is the label of stage proposal
        "value: 4800\n"  # custom field Value
        "created: 2026-09-14\n"  # createCard
        "owner: Maria Lopez\n"  # first member
        "source: Referral\n"  # custom drop-down Source
        "next_step_due: 2026-10-20\n"  # due
        "tags:\n"
        "  - shopify\n"
        "  - red\n"  # a label without a name is its colour
        "stage_dates:\n"  # the moves Lead -> Qualified -> Proposal sent
        "  qualified: 2026-09-16\n"
        "  proposal: 2026-09-20\n"
        "touches:\n"  # the comments, the second one's line break made a space
        "  - date: 2026-09-21\n"
        "    kind: comment\n"
        '    note: "Sent the proposal: v2"\n'
        "  - date: 2026-09-25\n"
        "    kind: comment\n"
        '    note: "Call: clarified scope next week"\n'
        'trello_card: "https://trello.com/c/sl000001/1-northwind-shop-redesign"\n'
        "other_members: Li Chen\n"
        'budget_range: "4-6k"\n'  # any other custom field
        "---\n"
        "Wants Shopify.\n\n- 3 stores\n"
    )
    d = deals(root)["northwind-shop-redesign"]
    assert d.touches == (
        Touch(d.created.replace(day=21), "comment", "Sent the proposal: v2"),
        Touch(d.created.replace(day=25), "comment", "Call: clarified scope next week"),
    )


def test_won_lost_duplicates_and_nameless_cards(imported: tuple[Path, int, str]) -> None:
    root, _, _ = imported
    got = deals(root)
    assert sorted(got) == [
        "acme-rebrand",
        "acme-rebrand-2",
        "deal-7",
        "globex-app",
        "initech-portal",
        "northwind-shop-redesign",
    ]
    won = got["acme-rebrand"]
    # no createCard action: the date is in the card's id (6a6ddfc0 hex = 2026-08-01 12:00 UTC)
    assert (won.stage, won.value, str(won.created), str(won.closed), won.owner) == (
        "won",
        Decimal(12000),
        "2026-08-01",
        "2026-09-30",  # the day it moved into 'Closed won'
        "Sam Patel",
    )
    assert {k: str(v) for k, v in won.stage_dates.items()} == {"proposal": "2026-09-02"}
    lost = got["globex-app"]
    assert (lost.stage, str(lost.closed), lost.lost_reason) == (
        "lost",
        "2026-07-15",
        "went with an agency",  # custom field 'Lost reason'
    )
    assert got["initech-portal"].lost_reason == "not recorded"
    assert got["acme-rebrand-2"].stage == "lead"
    assert (got["deal-7"].title, got["deal-7"].stage) == ("???", "qualified")


def test_archived_cards_are_reported_not_imported(imported: tuple[Path, int, str]) -> None:
    _, code, out = imported
    assert code == 1
    assert out.splitlines()[-7:-1] == [
        "8 cards: 6 imported, 0 already imported, 2 skipped",
        "skipped:",
        "  card 5 (Old lead): archived in Trello",
        "      hint: restore it in Trello and export again to import it",
        "  card 6 (Someday idea): in the archived list 'Old ideas'",
        "      hint: restore it in Trello and export again to import it",
    ]


def test_second_run_and_dry_run_write_nothing(imported: tuple[Path, int, str]) -> None:
    root, _, _ = imported
    before = files(root)
    code, out, _ = trello(root, BOARD)
    assert files(root) == before
    assert "8 cards: 0 imported, 6 already imported, 2 skipped" in out
    fresh = root / "fresh"
    (fresh / "deals").mkdir(parents=True)
    code, out, _ = trello(fresh, BOARD, "--dry-run")
    assert files(fresh) == {}
    assert "  would create deals/northwind-shop-redesign.md  (card 1: " in out


def test_a_map_can_rename_lists_and_override_a_field(tmp_path: Path) -> None:
    data = json.loads(BOARD.read_text())
    for lst in data["lists"]:
        lst["name"] = {"Lead": "Inbox", "Closed won": "Signed"}.get(lst["name"], lst["name"])
    board = tmp_path / "board.json"
    board.write_text(json.dumps(data))
    code, out, _ = trello(tmp_path, board)
    assert code == 1 and "'Inbox', 'Signed' are not stages" in out
    assert "  - {id: signed, label: Signed, outcome: won}" in out  # a 'won' word
    (tmp_path / "map.yaml").write_text(
        "stages:\n  Inbox: lead\n  Signed: won\nfields:\n  owner: null\nextra:\n  trello_card: null\n"
    )
    code, out, _ = trello(tmp_path, board, "--map", str(tmp_path / "map.yaml"))
    got = deals(tmp_path)
    assert got["acme-rebrand"].stage == "won"
    assert got["northwind-shop-redesign"].owner is None
    assert "trello_card" not in got["northwind-shop-redesign"].extra


def test_not_a_board(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('{"name": "x"}')
    (tmp_path / "y.json").write_text('{"cards": [}')
    (tmp_path / "deals").mkdir()
    code, out, _ = trello(tmp_path, tmp_path / "x.json")
    assert code == 1
    assert "error: not a Trello board export: there is no 'cards' list" in out
    code, out, _ = trello(tmp_path, tmp_path / "y.json")
    assert code == 1
    assert f"{tmp_path / 'y.json'}:1:12: error: not valid JSON: Expecting value" in out


def test_board_file_missing_is_a_usage_error(tmp_path: Path) -> None:
    shutil.rmtree(tmp_path)
    tmp_path.mkdir()
    code, _, err = trello(tmp_path, tmp_path / "nope.json")
    assert code == 2 and "nope.json: no such file" in err
