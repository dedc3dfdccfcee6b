"""`dealbook import csv`: every quirk of a spreadsheet export, the mapping's features, the
ready-made Pipedrive and HubSpot mappings, and the two real data sets with their figures."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
import yaml

from generator.cli import Reporter, main
from generator.imports.dealtext import scalar
from generator.metrics import compute, to_json
from generator.model import Deal
from generator.pipeline import load_repo

from shared_data import shared_path

PROJECT = Path(__file__).resolve().parents[1]
EXAMPLES = PROJECT / "examples"
DATA = Path(__file__).resolve().parent / "data" / "import"

SIMPLE_MAP = "fields:\n  title: Title\n  stage: Stage\n  created: {default: 2026-10-01}\n"


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, Reporter(out, err))
    return code, out.getvalue(), err.getvalue()


def setup(
    tmp_path: Path, data: bytes | str, mapping: str = SIMPLE_MAP, config: str | None = None
) -> Path:
    """A pipeline folder with deals.csv and map.yaml beside it; returns the folder."""
    (tmp_path / "deals").mkdir(exist_ok=True)
    (tmp_path / "deals.csv").write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    (tmp_path / "map.yaml").write_text(mapping, encoding="utf-8")
    if config is not None:
        (tmp_path / "dealbook.yaml").write_text(config, encoding="utf-8")
    return tmp_path


def import_csv(root: Path, *extra: str) -> tuple[int, str, str]:
    return run(
        [
            "import",
            "csv",
            str(root / "deals.csv"),
            "--map",
            str(root / "map.yaml"),
            "--root",
            str(root),
            *extra,
        ]
    )


def files(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted((root / "deals").rglob("*"))
        if p.is_file()
    }


def deals(root: Path) -> dict[str, Deal]:
    loaded = load_repo(root)
    assert loaded.errors == 0, [p.format() for p in loaded.problems if p.is_error]
    return {d.id: d for d in loaded.deals}


LEAD = "---\ntitle: {t}\nstage: lead\ncreated: 2026-10-01\n---\n"


# -- delimiters, encodings, line ends -----------------------------------------------------


@pytest.mark.parametrize(
    ("sep", "title", "written"),
    [
        # each title holds the other two separators, so only the right one splits evenly
        (",", "Acme; shop\tredesign", 'title: "Acme; shop redesign"'),
        (";", "Acme, shop\tredesign", "title: Acme, shop redesign"),
        ("\t", "Acme, shop; redesign", 'title: "Acme, shop; redesign"'),
    ],
)
def test_delimiter_is_found(tmp_path: Path, sep: str, title: str, written: str) -> None:
    data = f"Title{sep}Stage\n{title}{sep}lead\nGlobex app{sep}qualified\n"
    root = setup(tmp_path, data)
    code, out, _ = import_csv(root)
    assert code == 0, out
    assert files(root) == {
        "deals/acme-shop-redesign.md": f"---\n{written}\nstage: lead\ncreated: 2026-10-01\n---\n",
        "deals/globex-app.md": "---\ntitle: Globex app\nstage: qualified\ncreated: 2026-10-01\n---\n",
    }
    name = {";": "semicolon", "\t": "tab", ",": "comma"}[sep]
    assert out.splitlines()[0].endswith(f"(UTF-8, {name}-separated): 2 rows -> deals/")


def test_utf8_bom_is_dropped_and_header_still_matches(tmp_path: Path) -> None:
    root = setup(tmp_path, b"\xef\xbb\xbfTitle,Stage\nZo\xc3\xab's caf\xc3\xa9,lead\n")
    code, out, _ = import_csv(root)
    assert code == 0, out
    assert "UTF-8 with BOM" in out
    assert files(root) == {"deals/zoe-s-cafe.md": LEAD.format(t="Zoë's café")}


def test_latin1_is_an_error_naming_row_and_byte_and_how_to_resave(tmp_path: Path) -> None:
    # "Title,Stage\n" is 12 bytes, "Acme,lead\n" 10 more, then "Caf" and 0xe9 at offset 25
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nCafé,lead\n".encode("latin-1"))
    code, out, _ = import_csv(root)
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        f"{root / 'deals.csv'}:3:4: error: row 3: byte 0xe9 (at offset 25 in the file) is not "
        "UTF-8; the file looks like Latin-1 or Windows-1252"
    )
    assert lines[1].startswith(
        "    hint: re-save the file as UTF-8: in Excel 'Save As' > 'CSV UTF-8"
    )
    assert files(root) == {}  # nothing written, not even the rows before the bad byte


def test_latin1_inside_a_quoted_multiline_cell_names_the_row_not_the_line(tmp_path: Path) -> None:
    data = 'Title,Stage\n"Two\nlines",lead\nCaf\xe9,lead\n'.encode("latin-1")
    root = setup(tmp_path, data)
    code, out, _ = import_csv(root)
    assert code == 1
    assert ":4:4: error: row 3: byte 0xe9" in out.splitlines()[0]


def test_crlf_quoted_newlines_and_row_numbers(tmp_path: Path) -> None:
    data = 'Title,Stage,Notes\r\n"Acme\r\nshop",lead,"line one\r\nline two"\r\nGlobex,closed,\r\n'
    mapping = SIMPLE_MAP + "  notes: Notes\n"
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 1
    assert files(root) == {
        # a line break in a title becomes a space; in the notes it stays
        "deals/acme-shop.md": LEAD.format(t="Acme shop") + "line one\nline two\n",
    }
    # the second record starts on line 4 of the file but is row 3 of the spreadsheet
    assert "  row 3 (Globex): stage: 'closed' is not in the stages table" in out


def test_no_final_newline(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nGlobex,lead")
    code, _, _ = import_csv(root)
    assert code == 0
    assert sorted(files(root)) == ["deals/acme.md", "deals/globex.md"]


def test_blank_lines_are_not_deals_and_keep_row_numbers(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\n\nAcme,lead\n,\n")
    code, out, _ = import_csv(root)
    assert code == 0
    assert "created deals/acme.md  (row 3: Acme, lead)" in out
    assert "1 row: 1 imported, 0 already imported, 0 skipped" in out


def test_a_row_with_more_cells_than_the_header_is_skipped(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nGlobex, Inc.,lead\n")
    code, out, _ = import_csv(root)
    assert code == 1
    assert sorted(files(root)) == ["deals/acme.md"]
    assert "  row 3 (Globex): has 3 cells but the header names 2 columns" in out
    assert "      hint: a cell holding the delimiter must be in double quotes" in out


# -- the mapping ---------------------------------------------------------------------------


def test_headers_match_loosely(tmp_path: Path) -> None:
    data = "Deal - Title, DEAL - STAGE ,Won_Time,deal: created on\nAcme,Won,2026-10-09 17:03:00,2026-09-01\n"
    mapping = (
        "fields:\n  title: title\n  stage: Stage\n  closed: won time\n  created: Created On\n"
        "  value: {default: 100}\n"
    )
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 0, out
    assert files(root)["deals/acme.md"] == (
        "---\ntitle: Acme\nstage: won\nvalue: 100\ncreated: 2026-09-01\nclosed: 2026-10-09\n---\n"
    )


def test_template_falls_back_when_a_column_is_empty(tmp_path: Path) -> None:
    data = "id,product,account,stage\nA1,GTX Pro,Acme,lead\nB2,MG Special,,lead\n"
    mapping = (
        'fields:\n  title: ["{product} for {account}", "{product} ({id})"]\n'
        "  client: account\n  stage: stage\n  created: {default: 2026-10-01}\n"
    )
    root = setup(tmp_path, data, mapping)
    assert import_csv(root)[0] == 0
    got = deals(root)
    assert (got["gtx-pro-for-acme"].title, got["gtx-pro-for-acme"].client) == (
        "GTX Pro for Acme",
        "Acme",
    )
    assert (got["mg-special-b2"].title, got["mg-special-b2"].client) == ("MG Special (B2)", None)


def test_unknown_stage_value_skips_the_row_with_its_reason(tmp_path: Path) -> None:
    data = "Title,Status\nAcme,Hot\nGlobex,Cold\nInitech,Frozen\n"
    mapping = (
        "fields:\n  title: Title\n  stage: Status\n  created: {default: 2026-10-01}\n"
        "stages:\n  hot: qualified\n  Cold: lead\n"
    )
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 1
    assert sorted(files(root)) == ["deals/acme.md", "deals/globex.md"]
    assert out.splitlines()[-5:-1] == [
        "3 rows: 2 imported, 0 already imported, 1 skipped",
        "skipped:",
        f"  row 4 (Initech): stage: 'Frozen' is not in the stages table of {root / 'map.yaml'} "
        "nor a stage of dealbook.yaml",
        f"      hint: add 'Frozen: <stage id>' under 'stages:' in {root / 'map.yaml'}; "
        "stages are: lead, qualified, proposal, negotiation, won, lost",
    ]


def test_a_stage_mapped_to_null_is_skipped_on_purpose(tmp_path: Path) -> None:
    mapping = SIMPLE_MAP + "stages:\n  Deleted: null\n"
    root = setup(tmp_path, "Title,Stage\nAcme,Deleted\nGlobex,lead\n", mapping)
    code, out, _ = import_csv(root)
    assert code == 1
    assert sorted(files(root)) == ["deals/globex.md"]
    assert f"  row 2 (Acme): stage: 'Deleted' is mapped to null in {root / 'map.yaml'}" in out


def test_per_stage_fields_defaults_and_ignored_values(tmp_path: Path) -> None:
    data = (
        "Name,Status,Step,Amount,Opened,Closed\n"
        "Acme,open,Proposal,4800,2026-09-01,\n"
        "Globex,lost,Proposal,0,2026-08-01,2026-09-15\n"
        "Initech,won,Negotiation,9000,2026-07-01,2026-09-30\n"
    )
    mapping = (
        "fields:\n"
        "  title: Name\n"
        "  stage: {from: [Status, Step], ignore: [open]}\n"
        "  value: {from: Amount, stages: [open, won]}\n"
        "  created: Opened\n"
        "  closed: Closed\n"
        "  lost_reason: {default: not recorded, stages: [lost]}\n"
        "  lost_at: {from: Step, stages: [lost]}\n"
    )
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 0, out
    got = deals(root)
    acme, globex, initech = got["acme"], got["globex"], got["initech"]
    assert (acme.stage, acme.value, acme.lost_reason) == ("proposal", Decimal(4800), None)
    assert (globex.stage, globex.value, globex.lost_reason, globex.lost_at) == (
        "lost",
        None,
        "not recorded",
        "proposal",
    )
    assert (initech.stage, initech.value, str(initech.closed)) == (
        "won",
        Decimal(9000),
        "2026-09-30",
    )


def test_date_format_reads_other_date_forms(tmp_path: Path) -> None:
    data = "Title,Stage,Created\nAcme,lead,15/03/2026\n"
    mapping = "fields:\n  title: Title\n  stage: Stage\n  created: Created\n"
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 1
    assert "  row 2 (Acme): created: '15/03/2026' is not a date" in out
    assert "date_format: '%d/%m/%Y'" in out
    (root / "map.yaml").write_text(mapping + "date_format: '%d/%m/%Y'\n")
    assert import_csv(root)[0] == 0
    assert deals(root)["acme"].created.isoformat() == "2026-03-15"


def test_lookup_joins_another_file_next_to_the_import(tmp_path: Path) -> None:
    data = "Title,Stage,agent\nAcme,lead,Ann\nGlobex,lead,Bob\nInitech,lead,Zed\n"
    (tmp_path / "teams.csv").write_text("agent;manager;office\nAnn;Mia;East\nBob;Ola;West\n")
    mapping = (
        SIMPLE_MAP
        + "lookups:\n  team: {file: teams.csv, key: agent, match: agent}\n"
        + "extra:\n  manager: '{team.manager}'\n  region: '{team.office}'\n"
    )
    root = setup(tmp_path, data, mapping)
    assert import_csv(root)[0] == 0
    got = deals(root)
    assert got["acme"].extra == {"manager": "Mia", "region": "East"}
    assert got["globex"].extra == {"manager": "Ola", "region": "West"}
    assert got["initech"].extra == {}  # no row for Zed: nothing invented


def test_extra_columns_keep_their_text(tmp_path: Path) -> None:
    data = "Title,Stage,Budget range,Deal - Competitors\nAcme,lead,4-6k,No\n"
    mapping = SIMPLE_MAP + "extra: [Budget range, Deal - Competitors]\n"
    root = setup(tmp_path, data, mapping)
    assert import_csv(root)[0] == 0
    assert deals(root)["acme"].extra == {"budget_range": "4-6k", "competitors": "No"}
    assert 'competitors: "No"' in files(root)["deals/acme.md"]


def test_mapping_errors_have_places_and_fixes(tmp_path: Path) -> None:
    mapping = (
        "fields:\n"
        "  title: Titel\n"
        "  stage: Stage\n"
        "  created: {from: Created, default: 2026-02-30}\n"
        "  clinet: Client\n"
        "stages:\n"
        "  Hot: qualifed\n"
        "extra: [Stage]\n"
    )
    root = setup(tmp_path, "Title,Stage,Created,Client\nAcme,lead,2026-01-01,X\n", mapping)
    code, out, _ = import_csv(root)
    assert code == 1
    m = root / "map.yaml"
    assert out.splitlines() == [
        f"{m}:2:10: error: fields.title: column 'Titel' is not in deals.csv; did you mean 'Title'?",
        "    hint: columns are: 'Title', 'Stage', 'Created', 'Client'",
        f"{m}:4:37: error: fields.created.default: '2026-02-30' is not a date: February 2026 has 28 days",
        "    hint: check the day of the month",
        f"{m}:5:3: error: fields.clinet: not a deal field",
        "    hint: did you mean 'client'? other columns go under 'extra:'",
        f"{m}:7:8: error: stages.Hot: 'qualifed' is not a stage; did you mean 'qualified'?",
        "    hint: stages are: lead, qualified, proposal, negotiation, won, lost",
        f"{m}:8:9: error: extra: 'stage' is a deal field, not an extra one",
        "    hint: map it under 'fields:', or give it another name: 'extra: {other_name: Stage}'",
    ]
    assert files(root) == {}


def test_a_mapping_without_title_stage_or_created_is_refused(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\n", "fields:\n  title: []\n  stage: null\n")
    code, out, _ = import_csv(root)
    assert code == 1
    # sorted by place: the two missing fields are reported at 'fields:' (line 1)
    assert [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line] == [
        "fields.created: every deal needs a created date: name its column or give a default",
        "fields.stage: every deal needs a stage: name its column or give a default",
        "fields.title: is an empty list",
    ]
    assert files(root) == {}


# -- file names and never overwriting -----------------------------------------------------


def test_duplicate_titles_get_distinct_names_in_row_order(tmp_path: Path) -> None:
    data = "Title,Stage\nAcme,lead\nACME!,lead\nGlobex,lead\nacme,lead\n"
    root = setup(tmp_path, data)
    assert import_csv(root)[0] == 0
    assert {k: v.splitlines()[1] for k, v in files(root).items()} == {
        "deals/acme.md": "title: Acme",
        "deals/acme-2.md": 'title: "ACME!"',
        "deals/globex.md": "title: Globex",
        "deals/acme-3.md": "title: acme",
    }


def test_names_that_slug_to_nothing_use_the_row_number(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\n???,lead\n日本,lead\n")
    assert import_csv(root)[0] == 0
    assert sorted(files(root)) == ["deals/deal-2.md", "deals/deal-3.md"]
    assert deals(root)["deal-3"].title == "日本"


def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nGlobex,lead\n")
    shutil.rmtree(root / "deals")
    code, out, _ = import_csv(root, "--dry-run")
    assert code == 0
    assert not (root / "deals").exists()
    assert "  would create deals/acme.md  (row 2: Acme, lead)" in out
    assert "2 rows: 2 to import, 0 already imported, 0 skipped (dry run: nothing written)" in out


def test_second_run_creates_nothing_and_says_so(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nAcme,lead\n")
    assert import_csv(root)[0] == 0
    before = files(root)
    code, out, _ = import_csv(root)
    assert code == 0
    assert files(root) == before
    assert out.splitlines()[1:] == [
        "  already there deals/acme.md  (row 2, same content)",
        "  already there deals/acme-2.md  (row 3, same content)",
        "2 rows: 0 imported, 2 already imported, 0 skipped",
        "nothing new to import: every row is already there",
    ]


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\nGlobex,lead\n")
    mine = "---\ntitle: Acme (my own notes)\nstage: qualified\ncreated: 2026-01-01\n---\nkeep me\n"
    (root / "deals" / "acme.md").write_text(mine)
    code, out, _ = import_csv(root)
    assert code == 1
    assert (root / "deals" / "acme.md").read_text() == mine
    assert sorted(files(root)) == ["deals/acme.md", "deals/globex.md"]
    assert (
        "  row 2 (Acme): deals/acme.md already exists with other content; it is not overwritten"
        in out
    )


def test_into_a_sub_folder_and_not_outside_deals(tmp_path: Path) -> None:
    root = setup(tmp_path, "Title,Stage\nAcme,lead\n")
    assert import_csv(root, "--into", "deals/2026")[0] == 0
    assert sorted(files(root)) == ["deals/2026/acme.md"]
    assert "2026/acme" in deals(root)
    code, _, err = import_csv(root, "--into", "elsewhere")
    assert code == 2
    assert "--into elsewhere: deal files must go in" in err


# -- what is written reads back exactly ---------------------------------------------------

TRICKY = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "null",
    "~",
    "010",
    "0x1F",
    "1:30",
    "12.50",
    "1e3",
    ".inf",
    "2026-01-02",
    "2026-01-02 10:00",
    "- dash",
    "#hash",
    "a #b",
    "a: b",
    "trailing:",
    "@at",
    "`tick",
    "'single'",
    '"double"',
    "back\\slash",
    "%pct",
    "!bang",
    "&anchor",
    "*alias",
    "|pipe",
    ">fold",
    "[list]",
    "{map}",
    "?q",
    ", comma",
    "=",
    "Zoë & Søn",
    "It's fine",
    "sep\u2028here",
    "nel\x85here",
    "bell\x07",
]


@pytest.mark.parametrize("text", TRICKY)
def test_scalar_reads_back_with_a_yaml_1_1_parser(text: str) -> None:
    # PyYAML's safe_load resolves like YAML 1.1 (yes/on are booleans, 010 octal, 1:30 sixty-based)
    assert yaml.safe_load(f"key: {scalar(text)}\n") == {"key": text}


def test_imported_values_read_back_exactly(tmp_path: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["Title", "Owner", "Note"])
    for text in TRICKY:
        writer.writerow([text if text.isprintable() else "x", text, text + "\nline 2"])
    mapping = (
        'file_name: "Deal {_row}"\n'
        "fields:\n  title: Title\n  owner: Owner\n  stage: {default: lead}\n"
        "  created: {default: 2026-10-01}\n  next_step: Title\nextra: [Note]\n"
    )
    root = setup(tmp_path, buf.getvalue(), mapping)
    code, out, _ = import_csv(root)
    assert code == 0, out
    got = deals(root)
    assert len(got) == len(TRICKY)
    # one-line fields turn line breaks (a YAML 1.1 NEL or line separator too) into a space
    one_line = {"sep\u2028here": "sep here", "nel\x85here": "nel here", "bell\x07": "bell\x07"}
    for row, text in enumerate(TRICKY, start=2):
        d = got[f"deal-{row}"]
        title = text if text.isprintable() else "x"
        assert (d.title, d.next_step) == (title, title), text
        assert d.owner == one_line.get(text, text), text
        assert d.extra == {"note": text + "\nline 2"}, text  # extra fields keep everything


# -- ready-made mappings --------------------------------------------------------------------


def test_pipedrive_export_with_the_shipped_mapping(tmp_path: Path) -> None:
    root = tmp_path
    (root / "dealbook.yaml").write_text("rates: {EUR: 1.08}\n")
    shutil.copy(DATA / "pipedrive-deals.csv", root / "deals.csv")
    shutil.copy(EXAMPLES / "pipedrive.yaml", root / "map.yaml")
    code, out, _ = import_csv(root)
    assert code == 1  # the deleted deal is left out, and said so
    assert "  row 6 (Test deal, please ignore): stage: 'Deleted' is mapped to null" in out
    assert files(root)["deals/northwind-shop-redesign-101.md"] == (
        "---\n"
        "title: Northwind shop redesign\n"
        "client: Northwind Outfitters\n"
        "stage: proposal\n"
        "value: 4800\n"
        "currency: EUR\n"
        "created: 2026-09-14\n"
        "expected_close: 2026-11-30\n"
        "owner: Maria Lopez\n"
        "next_step_due: 2026-10-20\n"
        "tags:\n"
        "  - shopify\n"
        'pipedrive_id: "101"\n'
        "contact_person: Jane Holm\n"
        "pipeline: Sales pipeline\n"
        "---\n"
    )
    got = deals(root)
    assert sorted(got) == [
        "acme-rebrand-102",
        "globex-app-103",
        "initech-portal-104",
        "northwind-shop-redesign-101",
        "umbrella-phase-2-106",
    ]
    won, lost, umbrella = (
        got["acme-rebrand-102"],
        got["globex-app-103"],
        got["umbrella-phase-2-106"],
    )
    assert (won.stage, won.value, str(won.closed)) == ("won", Decimal(12000), "2026-10-02")
    assert (lost.stage, str(lost.closed), lost.lost_reason, lost.lost_at) == (
        "lost",
        "2026-09-01",
        "Went with another agency",
        "qualified",
    )
    assert (umbrella.title, umbrella.client, umbrella.tags) == (
        "Umbrella: phase 2",
        "NO Studio #1",
        ("design", "retainer"),
    )
    assert got["northwind-shop-redesign-101"].base_value == Decimal("5184.00")


def test_hubspot_export_with_the_shipped_mapping(tmp_path: Path) -> None:
    root = tmp_path
    shutil.copy(DATA / "hubspot-deals.csv", root / "deals.csv")  # BOM, CRLF, a quoted newline
    shutil.copy(EXAMPLES / "hubspot.yaml", root / "map.yaml")
    code, out, _ = import_csv(root)
    assert code == 1
    assert out.splitlines()[-5:-1] == [
        "5 rows: 4 imported, 0 already imported, 1 skipped",
        "skipped:",
        "  row 6 (Membership site): value: a deal in stage 'proposal' needs a value",
        "      hint: add e.g. 'value: 4800' (in USD unless 'currency' says otherwise); "
        "from stage 'proposal' on a value is required",
    ]
    assert files(root)["deals/website-refresh-9001.md"] == (
        "---\n"
        "title: Website refresh\n"
        "client: Fernhill Gardens\n"
        "stage: lead\n"
        "created: 2026-10-01\n"
        "expected_close: 2026-12-15\n"
        "owner: Li Chen\n"
        'hubspot_id: "9001"\n'
        "deal_type: newbusiness\n"
        "pipeline: Sales Pipeline\n"
        "---\n"
        "Intro call booked.\n"
        "They want online bookings.\n"
    )
    got = deals(root)
    won, lost = got["clinic-accessibility-audit-9003"], got["school-site-9004"]
    assert (won.stage, won.value, str(won.closed), won.expected_close) == (
        "won",
        Decimal("5400.50"),
        "2026-10-15",
        None,
    )
    assert (lost.stage, lost.lost_reason, str(lost.closed)) == ("lost", "Budget", "2026-09-30")
    assert (got["booking-widget-9002"].stage, got["booking-widget-9002"].client) == (
        "negotiation",
        "Foxglove B&B",
    )


# -- real data ----------------------------------------------------------------------------


def test_maven_crm_sample_imports_to_the_published_figures(tmp_path: Path) -> None:
    source = shared_path("data", "maven-crm-sales-opportunities", "sales_pipeline.csv")
    reference = shared_path("data", "maven-deals")
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(reference / "dealbook.yaml", root / "dealbook.yaml")
    argv = ["import", "csv", str(source), "--map", str(EXAMPLES / "maven" / "mapping.yaml")]
    code, out, _ = run([*argv, "--root", str(root)])
    assert code == 0
    assert "8800 rows: 8800 imported, 0 already imported, 0 skipped" in out

    loaded = load_repo(root)
    assert (len(loaded.deals), loaded.errors) == (8800, 0)
    config = loaded.config
    assert config.as_of is not None
    figures = to_json(compute(loaded.deals, config, config.as_of, len(loaded.invalid)).figures)
    assert figures == json.loads((reference / "expected-metrics.json").read_text())

    # and deal by deal, the same as the published deal files (SOURCE.md's recipe)
    published = {d.id: d for d in load_repo(reference).deals}
    assert {d.id for d in loaded.deals} == set(published)
    fields = ("title", "client", "stage", "value", "created", "closed", "lost_reason", "owner")
    for d in loaded.deals:
        p = published[d.id]
        assert [getattr(d, f) for f in fields] == [getattr(p, f) for f in fields], d.id
        assert (d.stage_dates, d.extra) == (p.stage_dates, p.extra), d.id

    code, out, _ = run([*argv, "--root", str(root)])
    assert code == 0
    assert "8800 rows: 0 imported, 8800 already imported, 0 skipped" in out


def _b2b_counts(path: Path) -> dict[str, tuple[int, int]]:
    won: dict[str, int] = {}
    lost: dict[str, int] = {}
    with path.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            side = won if row["Status"] == "Won" else lost
            side[row["Source"]] = side.get(row["Source"], 0) + 1
    return {s: (won.get(s, 0), lost.get(s, 0)) for s in set(won) | set(lost)}


@pytest.mark.parametrize("sep", [",", ";"])
def test_b2b_data_set_imports_with_win_rate_by_source(tmp_path: Path, sep: str) -> None:
    source = shared_path("data", "b2b-sales-bohanec", "B2B_dataset.csv")
    counts = _b2b_counts(source)
    assert sum(w + lost for w, lost in counts.values()) == 448
    data = source.read_bytes()
    if sep == ";":
        # every value is a plain word, so swapping the delimiter keeps the content
        assert b";" not in data and b'"' not in data
        data = data.replace(b",", b";")
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(EXAMPLES / "b2b" / "dealbook.yaml", root / "dealbook.yaml")
    (tmp_path / "b2b.csv").write_bytes(data)
    argv = [
        "import",
        "csv",
        str(tmp_path / "b2b.csv"),
        "--map",
        str(EXAMPLES / "b2b" / "mapping.yaml"),
    ]
    code, out, _ = run([*argv, "--root", str(root)])
    assert code == 0, out
    assert "448 rows: 448 imported, 0 already imported, 0 skipped" in out

    loaded = load_repo(root)
    assert (len(loaded.deals), loaded.errors) == (448, 0)
    config = loaded.config
    assert config.as_of is not None
    figures = to_json(compute(loaded.deals, config, config.as_of).figures)
    by_source = figures["by_source"]
    assert set(by_source) == set(counts)
    for name, (won, lost) in counts.items():
        g = by_source[name]
        rate = (Decimal(won) / (won + lost)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
        assert (g["won_count"], g["lost_count"], g["win_rate"]) == (won, lost, float(rate)), name
    assert (figures["won_count"], figures["lost_count"]) == (227, 221)

    code, out, _ = run([*argv, "--root", str(root)])
    assert "448 rows: 0 imported, 448 already imported, 0 skipped" in out


# -- the README's migration ---------------------------------------------------------------


def test_readme_spreadsheet_migration_runs_as_written(tmp_path: Path) -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Bringing your pipeline in") :]
    sheet = re.search(r"```csv\n(.*?)```", section, re.S)
    mapping = re.search(r"```yaml\n# pipeline-map.yaml\n(.*?)```", section, re.S)
    commands = re.search(r"```sh\n(dealbook import csv.*?)```", section, re.S)
    assert sheet and mapping and commands
    (tmp_path / "pipeline.csv").write_text(sheet.group(1), encoding="utf-8")
    (tmp_path / "pipeline-map.yaml").write_text(mapping.group(1), encoding="utf-8")
    (tmp_path / "deals").mkdir()
    for line in commands.group(1).strip().splitlines():
        argv = line.split("#")[0].split()
        assert argv[0] == "dealbook"
        if argv[1] == "import":
            argv += ["--root", str(tmp_path)]
            argv[3] = str(tmp_path / argv[3])
            argv[argv.index("--map") + 1] = str(tmp_path / argv[argv.index("--map") + 1])
        else:
            argv += ["--root", str(tmp_path)]
        code, out, _ = run(argv[1:])
        assert code == 0, (line, out)
    imported = deals(tmp_path)
    rows = list(csv.DictReader(io.StringIO(sheet.group(1))))
    assert len(imported) == len(rows) >= 3


def test_readme_mapping_reference_is_a_valid_mapping(tmp_path: Path) -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### The mapping file") :]
    block = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert block is not None
    header = "Title,ID,Org,Country,Status,Stage,Amount,Created,Proposal sent on,Description,Product,Region,Owner"
    row = "Shop,7,Acme,NL,open,proposal,4800,02/03/2026,05/03/2026,Notes,Widgets,EU,Ann"
    root = setup(tmp_path, f"{header}\n{row}\n".replace(",", ";"), block.group(1))
    (tmp_path / "teams.csv").write_text("agent,manager\nAnn,Mia\n")
    code, out, _ = import_csv(root)
    assert code == 0, out
    d = deals(root)["shop-7"]
    assert (d.title, d.client, d.stage, d.value, str(d.created)) == (
        "Shop",
        "Acme (NL)",
        "proposal",
        Decimal(4800),
        "2026-03-02",
    )
    assert ({k: str(v) for k, v in d.stage_dates.items()}, d.body) == (
        {"proposal": "2026-03-05"},
        "Notes",
    )
    assert d.extra == {"product": "Widgets", "region": "EU"}


def test_create_is_create_only_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    from generator.imports.writing import create

    target = tmp_path / "deals" / "a.md"
    assert create(target, b"one") is True
    assert create(target, b"two") is False
    assert target.read_bytes() == b"one"
    assert [p.name for p in (tmp_path / "deals").iterdir()] == ["a.md"]


def test_a_repeated_or_empty_header_hides_no_column(tmp_path: Path) -> None:
    data = "Name,Stage,Name,\nAcme,lead,Acme Corp,north\n"
    mapping = SIMPLE_MAP.replace("Title", "Name") + "  client: Name (2)\nextra: {area: column 4}\n"
    root = setup(tmp_path, data, mapping)
    code, out, _ = import_csv(root)
    assert code == 0, out
    d = deals(root)["acme"]
    assert (d.title, d.client, d.extra) == ("Acme", "Acme Corp", {"area": "north"})


def test_imported_files_use_exactly_the_fields_the_validator_knows() -> None:
    from generator.imports.mapping import FIELD_ORDER
    from generator.validate import KNOWN

    assert sorted(FIELD_ORDER) == sorted(KNOWN)
