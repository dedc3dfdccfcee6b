"""load: finding deal files, decoding bytes, splitting front matter, parsing YAML with places.

Every expected problem is written out in full; line numbers count from 1 at the opening
`---` and were counted by hand from the text in each test.
"""

from __future__ import annotations

from pathlib import Path

from generator.load import find_deal_files, is_deal_name, read_deal
from generator.model import Deal, DealFile
from generator.pipeline import load_repo

from conftest import check_one, write_repo

GOOD = (
    "---\n"  # 1
    "title: Shopify store redesign\n"  # 2
    "client: Northwind Outfitters\n"  # 3
    "stage: proposal\n"  # 4
    "value: 4800\n"  # 5
    "created: 2026-09-14\n"  # 6
    "next_step: Call to walk through scope\n"  # 7
    "---\n"  # 8
    "Notes about the client.\n"
)

UTF8_HINT = "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)"


def _fields(tmp_path: Path, content: str | bytes) -> tuple[dict[str, str], list[str], str]:
    root = write_repo(tmp_path, {"deals/acme.md": content})
    src = read_deal(root / "deals" / "acme.md", "deals/acme.md")
    fields = {k: v.text for k, (_, v) in src.fields.items()}
    return fields, [p.format() for p in src.problems], src.body


# --- encodings and line endings ---------------------------------------------------------


def test_good_file_reads_every_field_and_the_body(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, GOOD)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.title == "Shopify store redesign"
    assert result.body == "Notes about the client."
    assert result.lines == {
        "title": 2,
        "client": 3,
        "stage": 4,
        "value": 5,
        "created": 6,
        "next_step": 7,
    }


def test_bom_is_dropped_and_the_file_reads_normally(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, b"\xef\xbb\xbf" + GOOD.encode())
    assert problems == []
    assert isinstance(result, Deal)
    assert result.title == "Shopify store redesign"
    assert "\ufeff" not in result.raw and result.lines["title"] == 2


def test_crlf_line_endings_read_as_lf(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, GOOD.replace("\n", "\r\n").encode())
    assert problems == []
    assert isinstance(result, Deal)
    assert result.title == "Shopify store redesign"
    assert result.client == "Northwind Outfitters"
    assert "\r" not in result.body and "\r" not in result.next_step  # type: ignore[operator]


def test_crlf_keeps_line_and_column_of_problems(tmp_path: Path) -> None:
    text = GOOD.replace("created: 2026-09-14", "created: 2026-02-30").replace("\n", "\r\n")
    _, problems, _ = check_one(tmp_path, text.encode())
    assert problems == [
        "deals/acme.md:6:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days"
    ]


def test_old_mac_cr_line_endings_read_as_lf(tmp_path: Path) -> None:
    result, problems, _ = check_one(tmp_path, GOOD.replace("\n", "\r").encode())
    assert problems == []
    assert isinstance(result, Deal) and result.value is not None


def test_latin1_byte_is_an_error_naming_line_and_column(tmp_path: Path) -> None:
    data = GOOD.replace("Northwind Outfitters", "Café Lumière").encode("latin-1")
    # line 3 is "client: Café Lumière"; "client: Caf" is 11 characters, so the é is column 12
    result, problems, hints = check_one(tmp_path, data)
    assert problems == [
        "deals/acme.md:3:12: error: byte 0xe9 is not valid UTF-8 "
        "(the file looks like Latin-1 or Windows-1252)"
    ]
    assert hints == [UTF8_HINT]
    assert isinstance(result, DealFile)


def test_latin1_column_counts_characters_not_bytes(tmp_path: Path) -> None:
    # a UTF-8 'ü' (2 bytes) before a stray Latin-1 'é': "client: Müller Caf" is 18
    # characters (19 bytes), so the é is column 19
    data = "---\nclient: Müller Caf".encode() + b"\xe9\n---\n"
    _, problems, _ = check_one(tmp_path, data)
    assert problems == [
        "deals/acme.md:2:19: error: byte 0xe9 is not valid UTF-8 "
        "(the file looks like Latin-1 or Windows-1252)"
    ]


def test_utf16_is_an_error(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, GOOD.encode("utf-16"))
    assert problems == ["deals/acme.md:1:1: error: file is UTF-16, not UTF-8"]
    assert hints == [UTF8_HINT]
    assert isinstance(result, DealFile)


def test_nul_byte_is_an_error_pointing_at_it(tmp_path: Path) -> None:
    text = GOOD.replace("Northwind Outfitters", "North\x00wind")
    # line 3: "client: North" is 13 characters, the NUL is column 14
    result, problems, hints = check_one(tmp_path, text.encode())
    assert problems == ["deals/acme.md:3:14: error: file contains NUL bytes"]
    assert hints == ["remove them; deal files are plain text"]
    assert isinstance(result, DealFile)


# --- front matter shape -----------------------------------------------------------------


def test_no_front_matter(tmp_path: Path) -> None:
    text = "title: Shopify store redesign\nstage: lead\ncreated: 2026-09-14\n"
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:1:1: error: no front matter: the file must start with a '---' line"
    ]
    assert hints == ["put the deal's fields between two '---' lines at the top of the file"]
    assert isinstance(result, DealFile)


def test_empty_file_is_named_as_such(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, "")
    assert problems == ["deals/acme.md:1:1: error: file is empty"]
    assert hints == ["write the deal's fields between two '---' lines, or delete the file"]


def test_toml_front_matter_is_named(tmp_path: Path) -> None:
    _, problems, hints = check_one(tmp_path, '+++\ntitle = "X"\n+++\n')
    assert problems == ["deals/acme.md:1:1: error: TOML front matter (+++) is not supported"]
    assert hints == ["write the front matter as YAML between two '---' lines"]


def test_unclosed_front_matter(tmp_path: Path) -> None:
    text = "---\ntitle: Shopify store redesign\nstage: lead\ncreated: 2026-09-14\n"
    result, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:1:1: error: front matter is not closed"]
    assert hints == ["add a line with '---' after the last field"]
    assert isinstance(result, DealFile)


def test_empty_front_matter(tmp_path: Path) -> None:
    result, problems, hints = check_one(tmp_path, "---\n---\nJust notes.\n")
    assert problems == ["deals/acme.md:1:1: error: front matter is empty"]
    assert hints == ["add at least 'title', 'stage' and 'created' between the '---' lines"]
    assert isinstance(result, DealFile)


def test_front_matter_of_comments_only_is_empty(tmp_path: Path) -> None:
    _, problems, _ = check_one(tmp_path, "---\n# to fill in\n---\n")
    assert problems == ["deals/acme.md:1:1: error: front matter is empty"]


def test_front_matter_that_is_a_list(tmp_path: Path) -> None:
    text = "---\n- title: Shopify store redesign\n- stage: lead\n---\n"
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:2:1: error: the front matter is a list, not a set of 'key: value' fields"
    ]
    assert hints == ["write one 'key: value' per line, e.g. 'title: Shopify redesign'"]
    assert isinstance(result, DealFile)


def test_front_matter_that_is_a_scalar(tmp_path: Path) -> None:
    text = "---\nShopify store redesign for Northwind\n---\n"
    result, problems, _ = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:2:1: error: the front matter is a single value, "
        "not a set of 'key: value' fields"
    ]
    assert isinstance(result, DealFile)


def test_dashes_inside_the_body_stay_in_the_body(tmp_path: Path) -> None:
    text = GOOD + "\n---\n\nSecond section.\n---\nstage: lost\n"
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.stage == "proposal"  # the `stage: lost` in the body is body text
    assert result.body == "Notes about the client.\n\n---\n\nSecond section.\n---\nstage: lost"


# --- YAML syntax ------------------------------------------------------------------------


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    text = GOOD.replace("next_step: Call to walk through scope", "next_step: Call re: scope")
    # line 7 "next_step: Call re: scope": the second ': ' is after "next_step: Call re" (18)
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:7:19: error: YAML syntax error: "
        "mapping values are not allowed in this context"
    ]
    assert hints == [
        "check the indentation and quote text that contains ': ' or starts with a symbol"
    ]
    assert isinstance(result, DealFile)


def test_unclosed_quote_is_a_syntax_error_not_a_crash(tmp_path: Path) -> None:
    text = GOOD.replace("title: Shopify store redesign", 'title: "Shopify store redesign')
    # the quote opens on line 2 at column 8 and is never closed: that is where to look
    result, problems, _ = check_one(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("deals/acme.md:2:8: error: YAML syntax error: ")
    assert isinstance(result, DealFile)


def test_tab_indentation_under_a_key_says_use_spaces(tmp_path: Path) -> None:
    text = (
        "---\n"  # 1
        "title: Shopify store redesign\n"  # 2
        "stage: lead\n"  # 3
        "created: 2026-09-14\n"  # 4
        "stage_dates:\n"  # 5
        "\tlead: 2026-09-14\n"  # 6
        "---\n"
    )
    result, problems, hints = check_one(tmp_path, text)
    assert len(problems) == 1
    assert problems[0].startswith("deals/acme.md:6:1: error: YAML syntax error: ")
    assert hints == ["indent with spaces, not tabs"]
    assert isinstance(result, DealFile)


def test_tab_before_a_top_level_key_says_use_spaces(tmp_path: Path) -> None:
    text = "---\ntitle: Shopify store redesign\n\tstage: lead\n---\n"
    _, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:3:1: error: YAML syntax error: "
        "found a tab character that violates indentation"
    ]
    assert hints == ["indent with spaces, not tabs"]


def test_tab_after_the_colon_is_fine(tmp_path: Path) -> None:
    fields, problems, _ = _fields(tmp_path, "---\ntitle:\tShopify store redesign\n---\n")
    assert problems == []
    assert fields["title"] == "Shopify store redesign"


# --- keys -------------------------------------------------------------------------------


def test_duplicate_key_is_an_error_not_last_wins(tmp_path: Path) -> None:
    text = GOOD.replace("value: 4800\n", "value: 4800\nstage: won\n")
    # stage is on line 4, the second stage on line 6
    result, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:6:1: error: stage: duplicate key (first given on line 4)"]
    assert hints == ["keep one of the two; a key may appear only once"]
    assert isinstance(result, DealFile)


def test_duplicate_key_in_a_nested_mapping_is_an_error(tmp_path: Path) -> None:
    text = (
        "---\n"  # 1
        "title: Shopify store redesign\n"  # 2
        "stage: qualified\n"  # 3
        "created: 2026-09-14\n"  # 4
        "next_step: Call\n"  # 5
        "stage_dates:\n"  # 6
        "  qualified: 2026-09-16\n"  # 7
        "  qualified: 2026-09-18\n"  # 8
        "---\n"
    )
    result, problems, hints = check_one(tmp_path, text)
    assert isinstance(result, DealFile)
    assert problems == [
        "deals/acme.md:8:3: error: stage_dates.qualified: duplicate key (first given on line 7)"
    ]
    assert hints == ["keep one of the two; a key may appear only once"]


def test_duplicate_key_inside_a_touch_is_an_error(tmp_path: Path) -> None:
    text = (
        "---\n"  # 1
        "title: Shopify store redesign\n"  # 2
        "stage: lead\n"  # 3
        "created: 2026-09-14\n"  # 4
        "next_step: Call\n"  # 5
        "touches:\n"  # 6
        "  - {date: 2026-09-21, kind: call, date: 2026-09-25}\n"  # 7
        "---\n"
    )
    # the second `date` key starts after "  - {date: 2026-09-21, kind: call, " (35 characters)
    result, problems, _ = check_one(tmp_path, text)
    assert isinstance(result, DealFile), "a touch with two dates silently kept the last one"
    assert problems and problems[0].startswith("deals/acme.md:7:36: error: touches")
    assert "duplicate key" in problems[0]


def test_non_text_key_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("value: 4800\n", "value: 4800\n[budget, range]: 5-10k\n")
    # line 6 is "[budget, range]: 5-10k"
    result, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:6:1: error: a key must be a plain name"]
    assert hints == ["write keys as words such as 'title' or 'value'"]
    assert isinstance(result, DealFile)


def test_key_written_as_a_number_or_yes_is_kept_as_text(tmp_path: Path) -> None:
    text = GOOD.replace("value: 4800\n", "value: 4800\n2027: renewal likely\nyes: maybe\n")
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.extra == {"2027": "renewal likely", "yes": "maybe"}


# --- finding deal files -----------------------------------------------------------------


def test_editor_leftovers_and_private_files_are_not_deals(tmp_path: Path) -> None:
    names = [
        "acme.md~",
        ".acme.md.swp",
        "acme.md.swp",
        ".#acme.md",
        "_draft.md",
        "acme.md___jb_tmp___",
        "acme.md___jb_old___",
        ".hidden.md",
        "notes.txt",
    ]
    root = write_repo(
        tmp_path, {f"deals/{n}": "garbage \x00 not a deal" for n in names} | {"deals/acme.md": GOOD}
    )
    found = [p.relative_to(root / "deals").as_posix() for p in find_deal_files(root / "deals")]
    assert found == ["acme.md"]
    loaded = load_repo(root)
    assert [d.id for d in loaded.deals] == ["acme"]
    assert loaded.invalid == [] and loaded.problems == [] and loaded.files == 1


def test_is_deal_name() -> None:
    assert is_deal_name("acme.md")
    assert is_deal_name("2026-acme-redesign.md")
    for name in (
        "acme.md~",
        ".acme.md.swp",
        ".#acme.md",
        "_draft.md",
        "acme.md___jb_tmp___",
        ".acme.md",
        "acme.markdown.bak",
        "acme.txt",
    ):
        assert not is_deal_name(name), name


def test_sub_folders_give_ids_with_slashes(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path, {"deals/2026/acme.md": GOOD, "deals/2025/q4/beta.md": GOOD, "deals/zeta.md": GOOD}
    )
    loaded = load_repo(root)
    assert [d.id for d in loaded.deals] == ["2025/q4/beta", "2026/acme", "zeta"]
    assert [d.path for d in loaded.deals] == [
        "deals/2025/q4/beta.md",
        "deals/2026/acme.md",
        "deals/zeta.md",
    ]


def test_problems_name_the_file_under_its_sub_folder(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"deals/2026/acme.md": "no front matter\n"})
    loaded = load_repo(root)
    assert [p.format() for p in loaded.problems] == [
        "deals/2026/acme.md:1:1: error: no front matter: the file must start with a '---' line"
    ]
    assert [f.id for f in loaded.invalid] == ["2026/acme"]


def test_loading_never_changes_a_deal_file(tmp_path: Path) -> None:
    contents: dict[str, str | bytes] = {
        "deals/good.md": GOOD,
        "deals/crlf.md": GOOD.replace("\n", "\r\n").encode(),
        "deals/bom.md": b"\xef\xbb\xbf" + GOOD.encode(),
        "deals/bad.md": "---\ntitle: [\n---\n",
    }
    root = write_repo(tmp_path, contents)
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "deals").iterdir()}
    load_repo(root)
    after = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (root / "deals").iterdir()}
    assert after == before
