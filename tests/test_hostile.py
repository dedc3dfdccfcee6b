"""The hostile corpus: broken and hostile input, each case with its exact outcome.

tests/data/hostile/ is a small pipeline repository: every file under its deals/ is one case
(a kind of broken or hostile input), pinned below with every problem line and hint, or with
the exact values read. Cases that cannot live in git on every system (names with `?` or a
backslash, case-only twins, symbolic links) and the size cases (a 20 MB file) are made by
the tests themselves. Lines count from 1 at the opening `---`; columns are characters.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import tracemalloc
import unicodedata
import urllib.request
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from generator.build import build
from generator.config import read_config
from generator.load import MAX_FILE_BYTES, SourceFile, read_deal
from generator.model import Deal, DealFile
from generator.notes import notes_html
from generator.pipeline import Loaded, load_repo
from generator.validate import check_deal

from conftest import write_repo
from linkcheck import check_files

CORPUS = Path(__file__).parent / "data" / "hostile"
AS_OF = date(2026, 10, 1)
UTF8 = "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)"
AMOUNT = "write the amount as a plain number such as 4800 or 4800.50"
PROBABILITY = "write a probability between 0 and 1 (0.4) or as a percentage (40%)"
NESTING = "write the values out instead of using deep nesting or repeated aliases"
PLAIN_KEY = "write keys as words such as 'title' or 'value'"
DUPLICATE = "keep one of the two; a key may appear only once"
HAS_TIME = "write the date alone as YYYY-MM-DD"
DAY = "check the day of the month"
YEARS = "use a year between 1900 and 2200"
STAGES = "stages are: lead, qualified, proposal, negotiation, won, lost"
LONG_TITLE = "keep the title short; put the details in the notes below the front matter"
GOOD = {
    "title": "Shopify store redesign",
    "client": "Northwind Outfitters",
    "stage": "proposal",
    "value": Decimal("4800"),
    "currency": "USD",
    "created": date(2026, 9, 14),
    "next_step": "Call to walk through scope",
    "body": "Notes about the client.",
    "lines": {"title": 2, "client": 3, "stage": 4, "value": 5, "created": 6, "next_step": 7},
}
Problems = list[tuple[str, str]]  # (problem line without "deals/<case>:", hint)

# case -> (every problem, in the order `check` prints them; the deal's values, or None when
# the file has an error and is left out)
CASES: dict[str, tuple[Problems, dict[str, Any] | None]] = {
    # --- 1. encoding and framing ---------------------------------------------------------
    "encoding/bom.md": ([], GOOD),
    "encoding/crlf.md": ([], GOOD),
    "encoding/mixed-endings.md": (
        [("4:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days", DAY)],
        None,
    ),
    # "client: Caf" is 11 characters: the é is column 12
    "encoding/latin1.md": (
        [
            (
                "3:12: error: byte 0xe9 is not valid UTF-8 "
                "(the file looks like Latin-1 or Windows-1252)",
                UTF8,
            )
        ],
        None,
    ),
    # Windows-1252 quotes, CRLF endings: "next_step: Send " is 16 characters
    "encoding/cp1252-crlf.md": (
        [
            (
                "5:17: error: byte 0x93 is not valid UTF-8 "
                "(the file looks like Latin-1 or Windows-1252)",
                UTF8,
            )
        ],
        None,
    ),
    "encoding/utf16-bom.md": ([("1:1: error: file is UTF-16, not UTF-8", UTF8)], None),
    "encoding/utf16-no-bom.md": ([("1:1: error: file is UTF-16, not UTF-8", UTF8)], None),
    "encoding/utf32.md": ([("1:1: error: file is UTF-32, not UTF-8", UTF8)], None),
    "encoding/nul.md": (
        [("3:14: error: file contains NUL bytes", "remove them; deal files are plain text")],
        None,
    ),
    "framing/no-front-matter.md": (
        [
            (
                "1:1: error: no front matter: the file must start with a '---' line",
                "put the deal's fields between two '---' lines at the top of the file",
            )
        ],
        None,
    ),
    "framing/unclosed.md": (
        [("1:1: error: front matter is not closed", "add a line with '---' after the last field")],
        None,
    ),
    "framing/unclosed-four-dashes.md": (
        [
            (
                "1:1: error: front matter is not closed",
                "line 5 is '----'; to end the front matter, write exactly '---'",
            )
        ],
        None,
    ),
    "framing/empty-front-matter.md": (
        [
            (
                "1:1: error: front matter is empty",
                "add at least 'title', 'stage' and 'created' between the '---' lines",
            )
        ],
        None,
    ),
    "framing/list-front-matter.md": (
        [
            (
                "2:1: error: the front matter is a list, not a set of 'key: value' fields",
                "write one 'key: value' per line, e.g. 'title: Shopify redesign'",
            )
        ],
        None,
    ),
    "framing/scalar-front-matter.md": (
        [
            (
                "2:1: error: the front matter is a single value, not a set of 'key: value' fields",
                "write one 'key: value' per line, e.g. 'title: Shopify redesign'",
            )
        ],
        None,
    ),
    "framing/dashes-in-body.md": (
        [],
        {"stage": "lead", "body": "Intro.\n\n---\n\nSecond part.\n---\nstage: lost"},
    ),
    "framing/plus-in-body.md": ([], {"body": '+++\ntitle = "not a field"\n+++'}),
    "framing/toml-front-matter.md": (
        [
            (
                "1:1: error: TOML front matter (+++) is not supported",
                "write the front matter as YAML between two '---' lines",
            )
        ],
        None,
    ),
    "framing/zero-bytes.md": (
        [
            (
                "1:1: error: file is empty",
                "write the deal's fields between two '---' lines, or delete the file",
            )
        ],
        None,
    ),
    "framing/blank-lines-before.md": (
        [
            (
                "3:1: error: the front matter must start on the first line",
                "remove the 2 empty lines above the '---'",
            )
        ],
        None,
    ),
    "framing/tab-indent.md": (
        [
            (
                "6:1: error: YAML syntax error: found character that cannot start any token",
                "indent with spaces, not tabs",
            )
        ],
        None,
    ),
    "framing/tab-after-colon.md": ([], {"title": "Tab after the colon", "stage": "lead"}),
    "framing/dots-close.md": ([], {"title": "Closed with dots", "body": "Notes."}),
    # --- 2. YAML typing traps --------------------------------------------------------------
    "yaml/booleans.md": (
        [],
        {
            "title": "yes",
            "client": "NO",
            "owner": "on",
            "source": "off",
            "next_step": "y",
            "tags": ("yes", "no", "on", "off", "true", "False"),
            "extra": {"retainer": "Yes"},
        },
    ),
    "yaml/sexagesimal-text.md": (
        [],
        {"title": "Call at 20:30", "client": "12:30", "extra": {"call_length": "1:30:00"}},
    ),
    "yaml/sexagesimal-value.md": ([("4:8: error: value: '1:30' is not an amount", AMOUNT)], None),
    "yaml/octal.md": (
        [],
        {"value": Decimal("10"), "extra": {"zip": "01234", "connects": "0o17"}},
    ),
    "yaml/hex-value.md": ([("4:8: error: value: '0x1F' is not an amount", AMOUNT)], None),
    "yaml/exponent-value.md": ([("4:8: error: value: '4.8e3' is not an amount", AMOUNT)], None),
    "yaml/exponent-probability.md": (
        [],
        {"probability": Decimal("0.4"), "extra": {"ratio": "1e3"}},
    ),
    "yaml/timestamps.md": (
        [
            (
                "4:10: warning: created: '2026-09-14T23:30:00-05:00' has a time; "
                "only the date 2026-09-14 is used",
                HAS_TIME,
            ),
            (
                "6:16: warning: next_step_due: '2026-09-20 10:00:00 +02:00' has a time; "
                "only the date 2026-09-20 is used",
                HAS_TIME,
            ),
            (
                "7:17: warning: expected_close: '2026-11-30t00:00:00Z' has a time; "
                "only the date 2026-11-30 is used",
                HAS_TIME,
            ),
        ],
        {
            "created": date(2026, 9, 14),
            "next_step_due": date(2026, 9, 20),
            "expected_close": date(2026, 11, 30),
        },
    ),
    "yaml/nulls.md": (
        [
            ("2:1: error: title: is empty", "write what the deal is, e.g. 'Shopify redesign'"),
            ("5:1: error: stage: is empty", "add e.g. 'stage: lead'; " + STAGES),
        ],
        None,
    ),
    "yaml/quoted-nulls.md": ([], {"title": "null", "client": "~", "owner": "NULL"}),
    "yaml/anchors.md": (
        [],
        {
            "client": "Northwind Outfitters",
            "owner": "Northwind Outfitters",
            "tags": ("shopify", "design"),
            "extra": {"labels": ["shopify", "design"]},
        },
    ),
    "yaml/merge-key.md": (
        [
            (
                "4:1: error: '<<' (a YAML merge key) is not supported",
                "write the fields out in full instead of merging them from an anchor",
            ),
            (
                "6:1: error: created: every deal needs the date it entered the pipeline",
                "add e.g. 'created: 2026-09-14'",
            ),
            ("6:1: error: stage: every deal needs a stage", "add e.g. 'stage: lead'; " + STAGES),
        ],
        None,
    ),
    # "extra: " and 50 brackets: the 51st level opens at column 58
    "yaml/deep-nesting.md": (
        [("6:58: error: front matter is nested more than 50 levels deep", NESTING)],
        None,
    ),
    # 5,000 levels: the parser itself stops at its limit of 1,000, at column 7 + 1,000
    "yaml/very-deep-nesting.md": (
        [("6:1007: error: front matter is nested more than 50 levels deep", NESTING)],
        None,
    ),
    "yaml/alias-bomb.md": (
        [("2:1: error: front matter has more than 100,000 values", NESTING)],
        None,
    ),
    "yaml/duplicate-keys.md": (
        [
            ("6:1: error: stage: duplicate key (first given on line 3)", DUPLICATE),
            ("9:3: error: stage_dates.lead: duplicate key (first given on line 8)", DUPLICATE),
        ],
        None,
    ),
    "yaml/non-text-keys.md": (
        [
            ("6:1: error: a key must be a plain name", PLAIN_KEY),  # [budget, range]
            ("7:3: error: a key must be a plain name", PLAIN_KEY),  # ? {a: b}
            ("9:1: error: a key must be a plain name", PLAIN_KEY),  # ~
            ("10:1: error: a key must be a plain name", PLAIN_KEY),  # ""
        ],
        None,
    ),
    "yaml/long-key.md": (
        [
            (
                "6:1: error: a key may be at most 100 characters long (this one has 150)",
                "a key names a field; put long text in the value or in the notes",
            )
        ],
        None,
    ),
    # composed, never constructed: the tag runs nothing, and the value is not text
    "yaml/python-tags.md": (
        [
            (
                "2:8: error: title: must be text, not a list",
                "write 'title: some text' on one line (quote it if it contains ': ')",
            )
        ],
        None,
    ),
    # "title: Bell" is 11 characters: the BEL is column 12
    "yaml/control-char-raw.md": (
        [
            (
                "2:12: error: control character U+0007 is not allowed",
                "delete it: it is invisible in most editors",
            )
        ],
        None,
    ),
    # written as a YAML escape, the character is read, and the message shows it escaped
    "yaml/control-char-escaped.md": (
        [("3:8: error: stage: 'lead\\x1b[31m' is not a stage; did you mean 'lead'?", STAGES)],
        None,
    ),
    # --- 3. values ---------------------------------------------------------------------------
    "values/impossible-dates.md": (
        [
            ("5:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days", DAY),
            (
                "6:17: error: expected_close: '2026-13-01' is not a date: there is no month 13",
                "write dates as YYYY-MM-DD, month between 01 and 12",
            ),
            ("8:16: error: next_step_due: '2026-04-31' is not a date: April 2026 has 30 days", DAY),
            (
                "10:13: error: stage_dates.proposal: '2026-02-00' is not a date: there is no day 0",
                DAY,
            ),
        ],
        None,
    ),
    "values/date-range.md": (
        [
            ("4:10: error: created: '1899-12-31' is out of range (year 1899)", YEARS),
            ("5:17: error: expected_close: '2201-01-01' is out of range (year 2201)", YEARS),
        ],
        None,
    ),
    "values/negative-amount.md": (
        [("4:8: error: value: '-500' is negative", "a deal's value is 0 or more")],
        None,
    ),
    "values/negative-parentheses.md": (
        [("4:8: error: value: '(1,200)' is negative", "a deal's value is 0 or more")],
        None,
    ),
    "values/absurd-amount.md": (
        [
            (
                "4:8: error: value: '5000000000000' is too large",
                "a deal's value must be below 1,000,000,000,000",
            )
        ],
        None,
    ),
    # 80 nines: the message repeats the first 59 characters and an ellipsis
    "values/absurd-amount-long.md": (
        [("4:8: error: value: '" + "9" * 59 + "…' is not an amount", AMOUNT)],
        None,
    ),
    "values/money-plain-decimal.md": ([], {"value": Decimal("4800.50"), "currency": "USD"}),
    "values/money-thousands.md": ([], {"value": Decimal("4800"), "currency": "USD"}),
    "values/money-dollar.md": ([], {"value": Decimal("4800.50"), "currency": "USD"}),
    "values/money-k-suffix.md": ([], {"value": Decimal("4800"), "currency": "USD"}),
    "values/money-m-suffix.md": ([], {"value": Decimal("1200000"), "currency": "USD"}),
    "values/money-euro-code-first.md": ([], {"value": Decimal("1234.50"), "currency": "EUR"}),
    "values/money-euro-symbol-after.md": ([], {"value": Decimal("1234.50"), "currency": "EUR"}),
    "values/money-pound.md": ([], {"value": Decimal("950"), "currency": "GBP"}),
    "values/money-space-groups.md": ([], {"value": Decimal("4800"), "currency": "USD"}),
    "values/money-nbsp-groups.md": ([], {"value": Decimal("4800"), "currency": "USD"}),
    "values/money-swiss-apostrophe.md": ([], {"value": Decimal("4800"), "currency": "CHF"}),
    "values/money-rupee-lakh.md": (
        [],
        {"value": Decimal("480000"), "currency": "INR", "base_value": Decimal("5760.000")},
    ),
    "values/money-code-after.md": ([], {"value": Decimal("4800"), "currency": "GBP"}),
    "values/money-ambiguous-comma.md": (
        [
            (
                "4:8: error: value: '9,99' is ambiguous: is the comma a decimal point?",
                "write 9.99 for a decimal, or 999 for a whole number "
                "(a dot for decimals, no thousands separator)",
            )
        ],
        None,
    ),
    "values/money-ambiguous-euro.md": (
        [
            (
                "4:8: error: value: '1,234' is ambiguous with EUR: thousands or decimals?",
                "write 1234 or 1.234 (a dot for decimals, no thousands separator)",
            )
        ],
        None,
    ),
    "values/money-words.md": (
        [("4:8: error: value: '4800 dollars' is not an amount", AMOUNT)],
        None,
    ),
    "values/money-unknown-symbol.md": (
        [("4:8: error: value: '₿0.5' is not an amount", AMOUNT)],
        None,
    ),
    "values/unknown-currency.md": (
        [
            (
                "5:11: error: currency: no exchange rate for 'XYZ'",
                "add 'XYZ: <rate>' under 'rates' in dealbook.yaml, "
                "or use one of: USD, CHF, EUR, GBP, INR",
            )
        ],
        None,
    ),
    "values/currency-symbol.md": (
        [
            (
                "5:11: error: currency: '€' is not a currency code",
                "write EUR, its three-letter ISO 4217 code",
            )
        ],
        None,
    ),
    "values/probability-above-one.md": (
        [("6:14: error: probability: '1.5' is outside 0..1", PROBABILITY)],
        None,
    ),
    "values/probability-percent.md": (
        [("6:14: error: probability: '140%' is outside 0..1", PROBABILITY)],
        None,
    ),
    "values/probability-negative.md": (
        [("6:14: error: probability: '-10%' is outside 0..1", PROBABILITY)],
        None,
    ),
    "values/title-200.md": ([], {"title": "Redesign " * 22 + "xx"}),
    "values/title-too-long.md": (
        [("2:8: error: title: is 319 characters long; at most 200", LONG_TITLE)],
        None,
    ),
    "values/unicode-accents.md": (
        [],
        {
            "title": "Crème brûlée für Zoë Ångström",
            "client": "Société Générale",
            "owner": "José Núñez",
        },
    ),
    "values/unicode-cjk.md": (
        [],
        {
            "title": "東京オフィス移転プロジェクト",
            "client": "株式会社サンプル",
            "owner": "王小明",
            "tags": ("東京", "移転"),
        },
    ),
    "values/unicode-emoji.md": (
        [],
        {"title": "🚀 Launch 👩\u200d💻 site 🇯🇵", "client": "Café ☕ Co", "tags": ("🔥", "✨")},
    ),
    "values/unicode-rtl.md": (
        [],
        {
            "title": "עיצוב מחדש לאתר",
            "client": "شركة المثال",
            "owner": "\u202eadmin",  # a right-to-left override, kept as written
            "next_step": "התקשר ללקוח about the quote",
        },
    ),
    # --- 4. names (the rest are made by the tests below) -------------------------------------
    "names/with spaces in the name.md": ([], {"id": "names/with spaces in the name"}),
    "names/東京 商談.md": ([], {"id": "names/東京 商談"}),
    "names/!!!.md": ([], {"id": "names/!!!"}),
    # both titles slug to 'cafe-nord': two deals, two pages
    "names/cafe-nord.md": ([], {"id": "names/cafe-nord", "title": "Café Nørd!"}),
    "names/café-nørd.md": ([], {"id": "names/café-nørd", "title": "cafe nord"}),
    # --- 5. injection: read as the text it is; the site tests below check the pages -----------
    "injection/every-field.md": (
        [],
        {
            "title": '<script>alert("title")</script>',
            "client": '"><img src=x onerror=alert(1)>',
            "owner": "</textarea><script>alert(2)</script>",
            "source": "' onmouseover='alert(3)",
            "next_step": "javascript:alert(4)",
            "tags": ('"><svg onload=alert(5)>', "</script><script>alert(6)</script>"),
            "extra": {'" onclick="alert(7)': '<a href="javascript:alert(8)">x</a>'},
        },
    ),
    "injection/body-script.md": ([], {"title": "Script in the notes"}),
    "injection/body-links.md": ([], {"title": "Links in the notes"}),
    "injection/body-handlers.md": ([], {"title": "Event handlers"}),
    "injection/body-embeds.md": ([], {"title": "Frames and embeds"}),
    "injection/body-broken-tags.md": ([], {"title": "Broken tags"}),
    "injection/body-breakouts.md": ([], {"title": "Breakouts"}),
    "injection/body-css.md": ([], {"title": "CSS"}),
}


@pytest.fixture(scope="module")
def corpus() -> Loaded:
    return load_repo(CORPUS)


def _case_files() -> list[str]:
    deals = CORPUS / "deals"
    return sorted(p.relative_to(deals).as_posix() for p in deals.rglob("*") if p.is_file())


def test_every_file_of_the_corpus_is_a_pinned_case() -> None:
    assert _case_files() == sorted(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_case(corpus: Loaded, case: str) -> None:
    expected_problems, values = CASES[case]
    path = f"deals/{case}"
    got = [(p.format(), p.hint) for p in corpus.problems if p.path == path]
    assert got == [(f"{path}:{line}", hint) for line, hint in expected_problems]
    result = next(d for d in [*corpus.deals, *corpus.invalid] if d.path == path)
    if values is None:
        assert isinstance(result, DealFile)
        return
    assert isinstance(result, Deal)
    assert {k: getattr(result, k) for k in values} == values
    assert "\r" not in result.body and "\ufeff" not in result.title


def test_the_alias_bomb_stays_fast_and_small() -> None:
    started = time.perf_counter()
    tracemalloc.start()
    src = read_deal(CORPUS / "deals/yaml/alias-bomb.md", "deals/yaml/alias-bomb.md")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert [p.message for p in src.problems] == ["front matter has more than 100,000 values"]
    assert time.perf_counter() - started < 3  # 10**9 values if expanded; ~0.4 s here
    assert peak < 100_000_000


# --- names made by the tests -------------------------------------------------------------

DEAL = "---\ntitle: {title}\nstage: lead\ncreated: 2026-09-14\nnext_step: Call\n---\n"


def _repo(tmp_path: Path, names: list[str]) -> Path:
    return write_repo(
        tmp_path, {f"deals/{n}": DEAL.format(title=f"Deal {i}") for i, n in enumerate(names)}
    )


def _problems(loaded: Loaded) -> list[tuple[str, str]]:
    return [(p.format(), p.hint) for p in loaded.problems]


def test_names_that_differ_only_in_letter_case_warn_on_both(tmp_path: Path) -> None:
    root = _repo(tmp_path, ["Acme.md", "acme.md", "2026/Q1/beta.md", "2026/q1/BETA.md"])
    loaded = load_repo(root)
    why = "differs only in letter case; on macOS and Windows the two are one file, and so are their pages"
    hint = "rename one of them, or merge the two deals into one file"
    assert _problems(loaded) == [
        (f"deals/2026/Q1/beta.md:1:1: warning: deals/2026/q1/BETA.md {why}", hint),
        (f"deals/2026/q1/BETA.md:1:1: warning: deals/2026/Q1/beta.md {why}", hint),
        (f"deals/Acme.md:1:1: warning: deals/acme.md {why}", hint),
        (f"deals/acme.md:1:1: warning: deals/Acme.md {why}", hint),
    ]
    assert len(loaded.deals) == 4  # a warning: both deals are still counted


def test_names_in_two_unicode_forms_warn_on_both(tmp_path: Path) -> None:
    nfc, nfd = unicodedata.normalize("NFC", "café.md"), unicodedata.normalize("NFD", "café.md")
    root = _repo(tmp_path, [nfc, nfd])
    if len(list((root / "deals").iterdir())) == 1:
        pytest.skip("this file system stores one form only")
    why = "is the same name in another Unicode form; on macOS the two are one file, and so are their pages"
    got = sorted(p.format() for p in load_repo(root).problems)
    assert got == sorted(
        [
            f"deals/{nfc}:1:1: warning: deals/{nfd} {why}",
            f"deals/{nfd}:1:1: warning: deals/{nfc} {why}",
        ]
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("q#1.md", "'#'"),
        ("what?.md", "'?'"),
        ("a%20b.md", "'%'"),
        ("x\\..\\y.md", "'\\'"),
        ("bell\x07.md", "'\\x07'"),
    ],
)
def test_names_that_break_a_page_address_are_errors(tmp_path: Path, name: str, shown: str) -> None:
    root = _repo(tmp_path, [name, "fine.md"])
    loaded = load_repo(root)
    shown_path = "deals/" + name.replace("\x07", "\\x07")
    assert _problems(loaded) == [
        (
            f"{shown_path}:1:1: error: the file name contains {shown}, "
            "which breaks the address of the deal's page",
            "rename the file without # ? % \\ or control characters",
        )
    ]
    assert [d.id for d in loaded.deals] == ["fine"]
    result = build(root, tmp_path / "site", AS_OF)  # the rest of the site still builds
    assert (tmp_path / "site/deals/fine.html").is_file() and result.loaded.errors == 1


def test_spaces_and_non_latin_names_give_working_links(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CORPUS, root)
    build(root, tmp_path / "site", AS_OF)
    # the one link that leads nowhere is the notes' own link to a page that does not exist
    assert check_files(tmp_path / "site") == ["deals/injection/body-links.html -> other.html"]
    board = (tmp_path / "site/board.html").read_text(encoding="utf-8")
    for deal_id in ("names/with spaces in the name", "names/東京 商談", "names/!!!"):
        assert f'href="deals/{deal_id}.html"' in board
        assert (tmp_path / f"site/deals/{deal_id}.html").is_file()


def test_a_path_outside_deals_is_not_read(tmp_path: Path) -> None:
    root = write_repo(
        tmp_path, {"secret.md": DEAL.format(title="Secret"), "deals/a.md": DEAL.format(title="A")}
    )
    loaded = load_repo(root, only=["../secret.md"])
    assert _problems(loaded) == [
        (
            "deals/../secret.md:1:1: error: is not inside deals/; it is not read",
            "deal files live in deals/",
        )
    ]
    assert loaded.deals == [] and loaded.invalid[0].title is None


def test_symbolic_links_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(DEAL.format(title="Secret from outside"))
    root = _repo(tmp_path, ["real.md"])
    deals = root / "deals"
    (deals / "link-out.md").symlink_to(outside / "secret.md")
    (deals / "link-in.md").symlink_to(deals / "real.md")
    (deals / "broken.md").symlink_to(tmp_path / "missing.md")
    (deals / "folder").symlink_to(outside, target_is_directory=True)
    loaded = load_repo(root)
    hint = "move or copy the deal file itself into deals/"
    message = "warning: is a symbolic link; links are not followed, so it is not read"
    assert _problems(loaded) == [
        (f"deals/broken.md:1:1: {message}", hint),
        (f"deals/folder:1:1: {message}", hint),
        (f"deals/link-in.md:1:1: {message}", hint),
        (f"deals/link-out.md:1:1: {message}", hint),
    ]
    assert [d.title for d in loaded.deals] == ["Deal 0"]
    build(root, tmp_path / "site", AS_OF)
    site = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.html"))
    assert "Secret from outside" not in site


# --- injection: the built site shows the text and runs nothing ----------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "repo"
    shutil.copytree(CORPUS, root)
    build(root, root / "site", AS_OF)
    return root / "site"


_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background"}
_BAD_SCHEMES = ("javascript:", "data:", "vbscript:")
_OWN_SCRIPTS = {"assets/board.js", "assets/sort.js"}


class _Audit(HTMLParser):
    """Everything in a page that could run script, with where it was found."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            v = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if key.startswith("on"):
                self.found.append(f"<{tag} {key}=...>")
            if key in _URL_ATTRS and v.startswith(_BAD_SCHEMES):
                self.found.append(f"<{tag} {key}={value}>")
            if key == "style" and (re.search(r"url\((?!['\"]?#)", v) or "expression(" in v):
                self.found.append(f"<{tag} style={value}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if re.sub(r"^(\.\./)*", "", src) not in _OWN_SCRIPTS:
                self.found.append(f"<script src={src!r}>")
            self.in_script = True
        own = (tag == "meta" and dict(attrs).keys() <= {"charset", "name", "content"}) or (
            tag == "form" and dict(attrs).get("id") == "filters"  # the board's filters
        )
        if (
            tag in ("iframe", "object", "embed", "form", "base", "meta", "frame", "applet")
            and not own
        ):
            self.found.append(f"<{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append("inline script")


def test_no_page_of_the_site_can_run_anything_from_a_deal(site: Path) -> None:
    pages = sorted([*site.rglob("*.html"), *site.rglob("*.svg")])
    assert len(pages) > 50
    for page in pages:
        audit = _Audit()
        audit.feed(page.read_text(encoding="utf-8"))
        assert audit.found == [], page.relative_to(site)


def test_every_field_shows_its_text_escaped(site: Path) -> None:
    page = (site / "deals/injection/every-field.html").read_text(encoding="utf-8")
    for fragment in [
        "<title>&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; · Hostile corpus</title>",
        '<h1 dir="auto">&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;</h1>',
        '<p class="deal-sub"><bdi>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</bdi> · ',
        "<dt>Owner</dt><dd><bdi>&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;</bdi></dd>",
        "<dt>Source</dt><dd><bdi>&#39; onmouseover=&#39;alert(3)</bdi></dd>",
        "<dt>Next step</dt><dd><bdi>javascript:alert(4)</bdi></dd>",
        '<bdi class="tag">&#34;&gt;&lt;svg onload=alert(5)&gt;</bdi> '
        '<bdi class="tag">&lt;/script&gt;&lt;script&gt;alert(6)&lt;/script&gt;</bdi>',
        "<dt><bdi>&#34; onclick=&#34;alert(7)</bdi></dt>"
        "<dd><bdi>&lt;a href=&#34;javascript:alert(8)&#34;&gt;x&lt;/a&gt;</bdi></dd>",
        '<bdi class="tag">&lt;iframe</bdi> '
        "<bdi>src=javascript:alert(9)&gt; &lt;style&gt;body{display:none}&lt;/style&gt;</bdi>",
        '<bdi class="tag">&lt;b onclick=alert(10)&gt;</bdi> '
        "<bdi>&lt;/title&gt;&lt;script&gt;alert(11)&lt;/script&gt;</bdi>",
    ]:
        assert fragment in page
    board = (site / "board.html").read_text(encoding="utf-8")
    assert (
        '<a class="card-title" href="deals/injection/every-field.html" dir="auto">'
        "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;</a>\n"
        '<div class="card-client" dir="auto">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</div>'
    ) in board
    assert 'data-owner="&lt;/textarea&gt;&lt;script&gt;alert(2)&lt;/script&gt;"' in board


NOTES = {
    "body-script": (
        "&lt;script&gt;alert(1)&lt;/script&gt;\n"
        '<p dir="auto">Inline &lt;script&gt;alert(2)&lt;/script&gt; script.</p>\n'
        '<p dir="auto">&lt;script&gt;alert(3)&lt;/script&gt;</p>\n\n\n\n'
    ),
    "body-links": (
        '<p dir="auto"><a rel="noopener noreferrer nofollow">a</a> '
        '<a rel="noopener noreferrer nofollow">b</a> <a rel="noopener noreferrer nofollow">c</a>\n'
        '<a rel="noopener noreferrer nofollow">d</a> '
        '<a rel="noopener noreferrer nofollow">javascript:alert(4)</a> '
        '<a rel="noopener noreferrer nofollow">e</a> '
        '<a href="https://example.com/" rel="noopener noreferrer nofollow">ok</a>\n'
        '<a rel="noopener noreferrer nofollow">f</a> <a rel="noopener noreferrer nofollow">g</a> '
        '<a rel="noopener noreferrer nofollow">h</a> '
        '<a href="other.html" rel="noopener noreferrer nofollow">rel</a> '
        '<a href="mailto:ann@example.com" rel="noopener noreferrer nofollow">'
        "mailto:ann@example.com</a></p>\n\n"
    ),
    "body-handlers": (
        'hover\n<p dir="auto">Text <a href="https://example.com" rel="noopener noreferrer '
        'nofollow">link</a> and <b>bold</b>.</p>\n\n'
    ),
    "body-embeds": (
        '&lt;iframe src="https://example.com"&gt;&lt;/iframe&gt;\n<p dir="auto"></p>\ngo\n\n\n\n'
    ),
    # every broken tag shows as text or goes; the text after each is still there
    "body-broken-tags": (
        '<p dir="auto">Before &lt;div class="x</p>\n'
        '<p dir="auto">Still here &lt;a href="x</p>\n'
        "&lt;textarea&gt;\n\nafter textarea\n\n&lt;title&gt;\n\n&lt;plaintext&gt;\n\n"
        "&lt;xmp&gt;\n\n\n\nThe end.\n\n\n"
    ),
    "body-breakouts": (
        '<p dir="auto">Text &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt; and '
        "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;</p>\n"
        '<p dir="auto">"&gt;&lt;script&gt;alert(3)&lt;/script&gt; \'&gt;</p>\n'
        "&lt;script&gt;alert(5)&lt;/script&gt;\n\n"
    ),
    "body-css": (
        '<p dir="auto">bg</p>\n<p dir="auto">expr</p>\n'
        "&lt;style&gt;@import 'javascript:alert(3)'; body { display: none }&lt;/style&gt;\n\n"
    ),
}


@pytest.mark.parametrize("name", sorted(NOTES))
def test_notes_are_sanitised_exactly(site: Path, name: str) -> None:
    page = (site / f"deals/injection/{name}.html").read_text(encoding="utf-8")
    notes = page.split('<h2 id="notes">Notes</h2>\n', 1)[1].split("</section>", 1)[0]
    assert notes == NOTES[name]
    assert page.rstrip().endswith("</footer>\n</body>\n</html>")  # nothing swallowed the page


# --- Unicode on the deal page and the board -----------------------------------------------


def test_unicode_titles_render_on_the_deal_page_and_the_board(site: Path) -> None:
    board = (site / "board.html").read_text(encoding="utf-8")
    for case, title in [
        ("unicode-accents", "Crème brûlée für Zoë Ångström"),
        ("unicode-cjk", "東京オフィス移転プロジェクト"),
        ("unicode-emoji", "🚀 Launch 👩\u200d💻 site 🇯🇵"),
        ("unicode-rtl", "עיצוב מחדש לאתר"),
        ("title-200", "Redesign " * 22 + "xx"),
    ]:
        page = (site / f"deals/values/{case}.html").read_text(encoding="utf-8")
        assert f'<h1 dir="auto">{title}</h1>' in page
        assert f'href="deals/values/{case}.html" dir="auto">{title}</a>' in board


def test_right_to_left_text_is_isolated_from_the_layout(site: Path) -> None:
    page = (site / "deals/values/unicode-rtl.html").read_text(encoding="utf-8")
    assert (
        '<p class="deal-sub"><bdi>شركة المثال</bdi> · <span class="stage-pill">Lead</span>' in page
    )
    assert "<dt>Owner</dt><dd><bdi>\u202eadmin</bdi></dd>" in page  # the override ends with it
    assert "<dt>Next step</dt><dd><bdi>התקשר ללקוח about the quote</bdi>" in page
    assert (
        '<p dir="auto">שלום, זו הערה בעברית.</p>\n<p dir="auto">An English paragraph.</p>' in page
    )
    board = (site / "board.html").read_text(encoding="utf-8")
    assert '<div class="card-client" dir="auto">شركة المثال</div>' in board
    assert '<bdi class="card-owner">\u202eadmin</bdi>' in board


# --- size ---------------------------------------------------------------------------------

HEAD = "---\ntitle: Big\nstage: lead\ncreated: 2020-01-01\nnext_step: Call\n"


def _timed(path: Path, shown: str) -> tuple[Any, float, int]:
    """Read and check one file: ((source, result), seconds, peak memory in bytes)."""
    config = read_config(SourceFile("dealbook.yaml"))  # the defaults
    tracemalloc.start()
    started = time.perf_counter()
    src = read_deal(path, shown)
    result = check_deal(src, shown[len("deals/") :], config, shown)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (src, result), seconds, peak


def test_a_20_mb_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "deals/big.md"
    path.parent.mkdir()
    with open(path, "wb") as fh:
        fh.write(HEAD.encode() + b"---\n")
        fh.write(b"A very long transcript line.\n" * (20_000_000 // 29))
    (src, result), seconds, peak = _timed(path, "deals/big.md")
    assert [(p.format(), p.hint) for p in src.problems] == [
        (
            "deals/big.md:1:1: error: file is 20.0 MB; Dealbook reads files of up to 1 MB",
            "keep long documents (transcripts, exports) in files of their own and link to "
            "them from the notes",
        )
    ]
    assert isinstance(result, DealFile)
    assert seconds < 1 and peak < 3 * MAX_FILE_BYTES


def test_a_file_just_under_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deals/near.md"
    path.parent.mkdir()
    body = "Notes [with [brackets.\n" * ((MAX_FILE_BYTES - 200) // 23)
    path.write_text(HEAD + "---\n" + body)
    (src, result), seconds, _ = _timed(path, "deals/near.md")
    assert src.problems == [] and isinstance(result, Deal)
    started = time.perf_counter()
    html = notes_html(result.body)
    assert time.perf_counter() - started < 2 and html.count("<p") == 1


@pytest.mark.parametrize("form", ["line", "mapping"])
def test_ten_thousand_touches(tmp_path: Path, form: str) -> None:
    def touch(i: int) -> str:
        day = f"2021-{1 + i % 12:02d}-{1 + i % 28:02d}"
        if form == "line":
            return f"  - {day} email sent note {i}\n"
        return f"  - {{date: {day}, kind: email, note: sent note {i}}}\n"

    path = tmp_path / "deals/busy.md"
    path.parent.mkdir()
    path.write_text(HEAD + "touches:\n" + "".join(touch(i) for i in range(10_000)) + "---\n")
    (src, result), seconds, peak = _timed(path, "deals/busy.md")
    assert src.problems == [] and isinstance(result, Deal)
    assert len(result.touches) == 10_000 and result.touches[-1].note == "sent note 9999"
    assert seconds < 10 and peak < 200_000_000


def test_a_thousand_tags(tmp_path: Path) -> None:
    tags = ", ".join(f"tag{i}" for i in range(1000))
    root = write_repo(tmp_path, {"deals/tagged.md": HEAD + f"tags: [{tags}]\n---\n"})
    started = time.perf_counter()
    result = build(root, tmp_path / "site", AS_OF)
    assert result.problems == [] and len(result.loaded.deals[0].tags) == 1000
    page = (tmp_path / "site/deals/tagged.html").read_text(encoding="utf-8")
    assert page.count('<bdi class="tag">') == 1000
    assert time.perf_counter() - started < 20


def test_a_long_list_of_tiny_values_is_refused_before_it_is_built(tmp_path: Path) -> None:
    path = tmp_path / "deals/list.md"
    path.parent.mkdir()
    path.write_text(HEAD + "numbers: [" + ",".join("1" for _ in range(400_000)) + "]\n---\n")
    (src, _), seconds, peak = _timed(path, "deals/list.md")
    assert [p.format() for p in src.problems] == [
        "deals/list.md:2:1: error: front matter has more than 100,000 values"
    ]
    assert seconds < 3 and peak < 60_000_000


def test_an_over_long_text_field_is_an_error(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"deals/long.md": HEAD + "client: " + "x" * 1001 + "\n---\n"})
    assert _problems(load_repo(root)) == [
        (
            "deals/long.md:6:9: error: client: is 1,001 characters long; at most 1,000",
            "keep the client short; put the details in the notes below the front matter",
        )
    ]


# --- no command but `new` and `import` writes under deals/ -----------------------------------


def _snapshot(deals: Path) -> dict[str, tuple[bytes, int, int]]:
    snap = {}
    for folder, dirs, files in os.walk(deals):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
            snap[path.relative_to(deals).as_posix()] = (data, st.st_mtime_ns, st.st_mode)
    return snap


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(check: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def hostile_repo(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "repo"
    shutil.copytree(CORPUS, root)
    (root / "deals/link.md").symlink_to(root / "deals/encoding/bom.md")
    yield root


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DEALBOOK_CACHE_DIR": str(Path(args[-1]).parent / "cache")}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, env=env
    )


def test_check_build_and_schema_never_touch_deals(hostile_repo: Path) -> None:
    before = _snapshot(hostile_repo / "deals")
    root = str(hostile_repo)
    assert _run("check", "--root", root).returncode == 1
    assert _run("check", "--strict", "--format", "json", "--root", root).returncode == 1
    assert _run("build", "--root", root).returncode == 0
    assert _run("build", "--root", root).returncode == 0  # again, over its own output
    assert _run("schema", "--root", root).returncode == 0
    assert _snapshot(hostile_repo / "deals") == before


@pytest.mark.parametrize("command", ["watch", "serve"])
def test_watch_and_serve_never_touch_deals(hostile_repo: Path, command: str) -> None:
    before = _snapshot(hostile_repo / "deals")
    out = hostile_repo.parent / "out"
    args = [sys.executable, "-m", "generator", command, "--root", str(hostile_repo)]
    args += ["--out", str(out)]
    port = _free_port()
    if command == "serve":
        args += ["--port", str(port)]
    env = {**os.environ, "DEALBOOK_CACHE_DIR": str(hostile_repo.parent / "cache")}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        assert _until(lambda: (out / "index.html").is_file(), 30)
        if command == "serve":

            def answers() -> bool:
                try:
                    url = f"http://127.0.0.1:{port}/deals/injection/every-field.html"
                    with urllib.request.urlopen(url, timeout=2) as response:
                        return bool(response.status == 200)
                except OSError:
                    return False

            assert _until(answers, 15)
        time.sleep(1)  # a moment of watching, with nothing changed
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    assert _snapshot(hostile_repo / "deals") == before
