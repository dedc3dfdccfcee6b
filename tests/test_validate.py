"""validate: every rule of the deal format, each with its exact problem text and hint.

`fm(...)` writes one front-matter line per argument: argument i (from 0) is on line i + 2,
and the closing `---` (where a missing field is reported) is on line len(args) + 2.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from generator.model import Deal, DealFile, Touch
from generator.pipeline import load_repo

from conftest import check_one, write_repo

STAGES = "lead, qualified, proposal, negotiation, won, lost"
RATES = "currency: USD\nrates: {EUR: 1.08, GBP: 1.27}\n"


def fm(*lines: str, body: str = "Notes.\n") -> str:
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n" + body


# --- YAML 1.1 traps ---------------------------------------------------------------------


def test_yaml_11_booleans_are_kept_as_the_text_typed(tmp_path: Path) -> None:
    text = fm(
        "title: yes",
        "client: NO",
        "owner: on",
        "source: off",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: y",
        "tags: [yes, no, on]",
        "connects_spent: 010",
        "budget_range: 1:30",
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert (result.title, result.client, result.owner, result.source, result.next_step) == (
        "yes",
        "NO",
        "on",
        "off",
        "y",
    )
    assert result.tags == ("yes", "no", "on")
    assert result.extra == {"connects_spent": "010", "budget_range": "1:30"}


def test_lost_reason_no_is_text(tmp_path: Path) -> None:
    text = fm(
        "title: X", "stage: lost", "created: 2026-09-14", "closed: 2026-10-01", "lost_reason: no"
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal) and result.lost_reason == "no"


# --- unknown keys -----------------------------------------------------------------------


def test_unknown_key_close_to_a_known_one_is_a_warning_with_did_you_mean(tmp_path: Path) -> None:
    text = fm(
        "title: Shopify store redesign",  # 2
        "stage: proposal",  # 3
        "value: 4800",  # 4
        "created: 2026-09-14",  # 5
        "next_step: Call",  # 6
        "expected_closed: 2026-11-30",  # 7
    )
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:7:1: warning: expected_closed: unknown key, kept as an extra field"
    ]
    assert hints == ["did you mean 'expected_close'?"]
    assert isinstance(result, Deal)
    assert result.expected_close is None
    assert result.extra == {"expected_closed": "2026-11-30"}


@pytest.mark.parametrize(
    ("key", "known"),
    [
        ("lost_reson", "lost_reason"),
        ("nextstep", "next_step"),
        ("tag", "tags"),
        ("touch", "touches"),
        ("Title", "title"),
    ],
)
def test_other_misspellings_get_did_you_mean(tmp_path: Path, key: str, known: str) -> None:
    text = fm("title: X", "stage: lead", "created: 2026-09-14", "next_step: Call", f"{key}: z")
    _, problems, hints = check_one(tmp_path, text)
    assert f"deals/acme.md:6:1: warning: {key}: unknown key, kept as an extra field" in problems
    assert f"did you mean '{known}'?" in hints


def test_other_unknown_keys_are_kept_silently_as_extra_fields(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: Call",
        "budget_range: 5-10k",
        "connects_spent: 16",
        "contact: {name: Nadia Brooks, role: founder}",
        "links: [a, b]",
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.extra == {
        "budget_range": "5-10k",
        "connects_spent": "16",
        "contact": {"name": "Nadia Brooks", "role": "founder"},
        "links": ["a", "b"],
    }


# --- required fields --------------------------------------------------------------------


def test_missing_title_stage_and_created_are_three_errors_at_the_closing_line(
    tmp_path: Path,
) -> None:
    result, problems, hints = check_one(tmp_path, fm("client: Northwind"))
    assert problems == [
        "deals/acme.md:3:1: error: created: every deal needs the date it entered the pipeline",
        "deals/acme.md:3:1: error: stage: every deal needs a stage",
        "deals/acme.md:3:1: error: title: every deal needs a title",
    ]
    assert hints == [
        "add e.g. 'created: 2026-09-14'",
        f"add e.g. 'stage: lead'; stages are: {STAGES}",
        "add e.g. 'title: Shopify redesign'",
    ]
    assert isinstance(result, DealFile) and result.title is None


def test_empty_quoted_title(tmp_path: Path) -> None:
    text = fm('title: ""', "stage: lead", "created: 2026-09-14", "next_step: Call")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:2:8: error: title: is empty"]
    assert hints == ["write what the deal is, e.g. 'Shopify redesign'"]


def test_title_key_with_no_value_points_at_the_title_line(tmp_path: Path) -> None:
    # the user wrote `title:` on line 2; pointing at the closing `---` (line 5) hides it
    text = fm("title:", "stage: lead", "created: 2026-09-14", "next_step: Call")
    result, problems, _ = check_one(tmp_path, text)
    assert isinstance(result, DealFile)
    assert len(problems) == 1
    assert problems[0].startswith("deals/acme.md:2:")
    assert ": error: title: " in problems[0]


# --- stage ------------------------------------------------------------------------------


def test_unknown_stage_closed_suggests_won_or_lost(tmp_path: Path) -> None:
    # the example from the contract: stage on line 4, value at column 8
    text = fm(
        "title: Acme redesign",
        "client: Acme",
        "stage: closed",
        "value: 4800",
        "created: 2026-09-14",
        "next_step: Call",
    )
    result, problems, hints = check_one(tmp_path, text, name="acme-redesign.md")
    assert problems == [
        "deals/acme-redesign.md:4:8: error: stage: 'closed' is not a stage; "
        "did you mean 'won' or 'lost'?"
    ]
    assert hints == [f"stages are: {STAGES}"]
    assert isinstance(result, DealFile)


def test_misspelt_stage_suggests_the_stage(tmp_path: Path) -> None:
    text = fm("title: X", "stage: propsal", "value: 4800", "created: 2026-09-14", "next_step: Call")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:3:8: error: stage: 'propsal' is not a stage; did you mean 'proposal'?"
    ]
    assert hints == [f"stages are: {STAGES}"]


@pytest.mark.parametrize(
    ("written", "stage"),
    [
        ("proposal", "proposal"),
        ("PROPOSAL", "proposal"),
        ("Proposal sent", "proposal"),
        ("proposal SENT", "proposal"),
        ("Negotiation", "negotiation"),
        ("Closed won", "won"),
        ("WON", "won"),
    ],
)
def test_stage_by_id_or_label_in_any_case(tmp_path: Path, written: str, stage: str) -> None:
    extra = ("closed: 2026-10-01",) if stage == "won" else ("next_step: Call",)
    text = fm("title: X", f"stage: {written}", "value: 4800", "created: 2026-09-14", *extra)
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal) and result.stage == stage


def test_stage_that_is_a_list(tmp_path: Path) -> None:
    text = fm("title: X", "stage: [lead]", "created: 2026-09-14", "next_step: Call")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:3:8: error: stage: must be a stage id"]
    assert hints == ["write e.g. 'proposal'"]


# --- closing ----------------------------------------------------------------------------


def test_closed_on_an_open_deal(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: negotiation",
        "value: 4800",
        "created: 2026-09-14",
        "closed: 2026-10-02",
        "next_step: Call",
    )
    # closed is on line 6, "closed: " is 8 characters
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:6:9: error: closed: an open deal (stage 'negotiation') cannot have a "
        "closed date"
    ]
    assert hints == ["remove 'closed', or set the stage to won or lost"]
    assert isinstance(result, DealFile)


def test_won_deal_without_closed(tmp_path: Path) -> None:
    text = fm("title: X", "stage: won", "value: 4800", "created: 2026-09-14")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:6:1: error: closed: a won deal needs the date it closed"]
    assert hints == ["add e.g. 'closed: 2026-10-02'"]


def test_lost_deal_without_closed_or_reason(tmp_path: Path) -> None:
    text = fm("title: X", "stage: lost", "created: 2026-09-14")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:5:1: error: closed: a lost deal needs the date it closed",
        "deals/acme.md:5:1: error: lost_reason: a lost deal needs a reason",
    ]
    assert hints == [
        "add e.g. 'closed: 2026-10-02'",
        "add e.g. 'lost_reason: budget' (what you learn from losses)",
    ]


def test_lost_deal_with_an_empty_lost_reason(tmp_path: Path) -> None:
    text = fm(
        "title: X", "stage: lost", "created: 2026-09-14", "closed: 2026-10-01", 'lost_reason: ""'
    )
    # an empty reason is no reason: it must not slip through because the key is present
    result, problems, _ = check_one(tmp_path, text)
    assert isinstance(result, DealFile)
    assert len(problems) == 1 and problems[0].startswith("deals/acme.md:6:")
    assert ": error: lost_reason: " in problems[0]


def test_closed_before_created(tmp_path: Path) -> None:
    text = fm("title: X", "stage: won", "value: 4800", "created: 2026-09-14", "closed: 2026-09-01")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:6:9: error: closed: 2026-09-01 is before created (2026-09-14)"
    ]
    assert hints == ["check both dates"]


def test_lost_at_on_a_won_deal_is_a_warning(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: won",
        "value: 4800",
        "created: 2026-09-14",
        "closed: 2026-10-01",
        "lost_at: proposal",
    )
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:7:10: warning: lost_at: only a lost deal has 'lost_at'; it is ignored"
    ]
    assert hints == ["remove it, or set the stage to lost"]
    assert isinstance(result, Deal) and result.lost_at is None


def test_lost_at_must_be_an_open_stage(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lost",
        "created: 2026-09-14",
        "closed: 2026-10-01",
        "lost_reason: budget",
        "lost_at: won",
    )
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:7:10: error: lost_at: 'won' is not an open stage"]
    assert hints == ["stages are: lead, qualified, proposal, negotiation"]


# --- stage_dates ------------------------------------------------------------------------


def test_stage_dates_before_created_and_after_closed(tmp_path: Path) -> None:
    text = fm(
        "title: X",  # 2
        "stage: won",  # 3
        "value: 4800",  # 4
        "created: 2026-09-14",  # 5
        "closed: 2026-10-20",  # 6
        "stage_dates:",  # 7
        "  lead: 2026-09-10",  # 8: "  lead: " is 8 characters
        "  Proposal sent: 2026-09-20",  # 9: by label, fine
        "  negotiation: 2026-10-25",  # 10: "  negotiation: " is 15 characters
    )
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:8:9: error: stage_dates.lead: 2026-09-10 is before created (2026-09-14)",
        "deals/acme.md:10:16: error: stage_dates.negotiation: 2026-10-25 is after closed "
        "(2026-10-20)",
    ]
    assert hints == [
        "a stage cannot be entered before the deal was created",
        "a stage cannot be entered after the deal closed",
    ]
    assert isinstance(result, DealFile)


def test_stage_dates_read(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: proposal",
        "value: 4800",
        "created: 2026-09-14",
        "next_step: Call",
        "stage_dates:",
        "  qualified: 2026-09-16",
        "  Proposal Sent: 2026-09-20",
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.stage_dates == {"qualified": date(2026, 9, 16), "proposal": date(2026, 9, 20)}


def test_stage_dates_unknown_stage_and_bad_date(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: proposal",
        "value: 4800",
        "created: 2026-09-14",
        "next_step: Call",
        "stage_dates:",
        "  qualifed: 2026-09-16",  # 8, key at column 3
        "  proposal: 2026-09-31",
    )  # 9, "  proposal: " is 12 characters
    _, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:8:3: error: stage_dates: 'qualifed' is not a stage; "
        "did you mean 'qualified'?",
        "deals/acme.md:9:13: error: stage_dates.proposal: '2026-09-31' is not a date: "
        "September 2026 has 30 days",
    ]
    assert hints == [f"stages are: {STAGES}", "check the day of the month"]


# --- currency and value -----------------------------------------------------------------


def test_currency_with_no_rate(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: proposal",
        "value: 4800",
        "currency: JPY",
        "created: 2026-09-14",
        "next_step: Call",
    )
    # currency on line 5, "currency: " is 10 characters
    result, problems, hints = check_one(tmp_path, text, config=RATES)
    assert problems == ["deals/acme.md:5:11: error: currency: no exchange rate for 'JPY'"]
    assert hints == [
        "add 'JPY: <rate>' under 'rates' in dealbook.yaml, or use one of: USD, EUR, GBP"
    ]
    assert isinstance(result, DealFile)


def test_currency_with_a_rate_converts_exactly(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: proposal",
        "value: 1100.10",
        "currency: eur",
        "created: 2026-09-14",
        "next_step: Call",
    )
    result, problems, _ = check_one(tmp_path, text, config=RATES)
    assert problems == []
    assert isinstance(result, Deal)
    assert (result.value, result.currency, result.base_value) == (
        Decimal("1100.10"),
        "EUR",
        Decimal("1188.108"),
    )


def test_currency_symbol_in_value_with_no_rate(tmp_path: Path) -> None:
    text = fm(
        "title: X", "stage: proposal", 'value: "¥500000"', "created: 2026-09-14", "next_step: Call"
    )
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:4:8: error: value: no exchange rate for 'JPY'"]
    assert hints == ["add 'JPY: <rate>' under 'rates' in dealbook.yaml"]


def test_currency_that_is_not_a_code_says_so(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: proposal",
        "value: 4800",
        "currency: euros",
        "created: 2026-09-14",
        "next_step: Call",
    )
    # advising to add 'EUROS: <rate>' to the config would be wrong: it is not a currency code
    _, problems, hints = check_one(tmp_path, text, config=RATES)
    assert problems == ["deals/acme.md:5:11: error: currency: 'euros' is not a currency code"]
    assert "EUROS" not in hints[0]


VALUE_HINT = (
    "add e.g. 'value: 4800' (in USD unless 'currency' says otherwise); "
    "from stage '{}' on a value is required"
)


@pytest.mark.parametrize("stage", ["proposal", "negotiation"])
def test_value_required_from_the_proposal_stage_on(tmp_path: Path, stage: str) -> None:
    text = fm("title: X", f"stage: {stage}", "created: 2026-09-14", "next_step: Call")
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [f"deals/acme.md:6:1: error: value: a deal in stage '{stage}' needs a value"]
    assert hints == [VALUE_HINT.format("proposal")]
    assert isinstance(result, DealFile)


def test_value_required_on_won_deals(tmp_path: Path) -> None:
    text = fm("title: X", "stage: won", "created: 2026-09-14", "closed: 2026-10-01")
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:6:1: error: value: a deal in stage 'won' needs a value"]
    assert hints == [VALUE_HINT.format("proposal")]


@pytest.mark.parametrize("stage", ["lead", "qualified"])
def test_value_not_required_before_proposal(tmp_path: Path, stage: str) -> None:
    text = fm("title: X", f"stage: {stage}", "created: 2026-09-14", "next_step: Call")
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal) and result.value is None


def test_value_never_required_on_lost_deals(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lost",
        "created: 2026-09-14",
        "closed: 2026-10-01",
        "lost_reason: budget",
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)


@pytest.mark.parametrize("stage", ["proposal", "negotiation", "won"])
def test_value_required_from_null_means_never(tmp_path: Path, stage: str) -> None:
    extra = "closed: 2026-10-01" if stage == "won" else "next_step: Call"
    text = fm("title: X", f"stage: {stage}", "created: 2026-09-14", extra)
    result, problems, _ = check_one(tmp_path, text, config="value_required_from: null\n")
    assert problems == []
    assert isinstance(result, Deal)


@pytest.mark.parametrize("stage", ["proposal", "negotiation"])
def test_value_required_from_won_spares_open_deals(tmp_path: Path, stage: str) -> None:
    text = fm("title: X", f"stage: {stage}", "created: 2026-09-14", "next_step: Call")
    result, problems, _ = check_one(tmp_path, text, config="value_required_from: won\n")
    assert problems == []
    assert isinstance(result, Deal)


def test_value_required_from_won_requires_it_on_won_deals(tmp_path: Path) -> None:
    text = fm("title: X", "stage: won", "created: 2026-09-14", "closed: 2026-10-01")
    _, problems, hints = check_one(tmp_path, text, config="value_required_from: won\n")
    assert problems == ["deals/acme.md:6:1: error: value: a deal in stage 'won' needs a value"]
    assert hints == [VALUE_HINT.format("won")]


def test_value_required_from_won_spares_lost_deals(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lost",
        "created: 2026-09-14",
        "closed: 2026-10-01",
        "lost_reason: budget",
    )
    _, problems, _ = check_one(tmp_path, text, config="value_required_from: won\n")
    assert problems == []


# --- next step --------------------------------------------------------------------------


def test_open_deal_without_next_step_is_a_warning(tmp_path: Path) -> None:
    # the example from the contract: the closing `---` is line 9
    text = fm(
        "title: Acme redesign",
        "client: Acme",
        "stage: proposal",
        "value: 4800",
        "created: 2026-09-14",
        "expected_close: 2026-11-30",
        "owner: maria",
    )
    result, problems, hints = check_one(tmp_path, text, name="acme-redesign.md")
    assert problems == [
        "deals/acme-redesign.md:9:1: warning: next_step: open deal has no next step"
    ]
    assert hints == ["add e.g. 'next_step: Call to walk through scope' and a next_step_due date"]
    assert isinstance(result, Deal)  # a warning does not make the deal invalid


def test_closed_deal_needs_no_next_step(tmp_path: Path) -> None:
    text = fm("title: X", "stage: won", "value: 4800", "created: 2026-09-14", "closed: 2026-10-01")
    _, problems, _ = check_one(tmp_path, text)
    assert problems == []


# --- touches ----------------------------------------------------------------------------


def test_touches_in_both_forms(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: Call",
        "touches:",
        "  - 2026-09-21 email sent the proposal",
        "  - {date: 2026-09-25, kind: call, note: clarified scope}",
        "  - date: 2026-09-27",
        "    kind: meeting",
        "  - 2026-09-28",
    )
    result, problems, _ = check_one(tmp_path, text)
    assert problems == []
    assert isinstance(result, Deal)
    assert result.touches == (
        Touch(date(2026, 9, 21), "email", "sent the proposal"),
        Touch(date(2026, 9, 25), "call", "clarified scope"),
        Touch(date(2026, 9, 27), "meeting", ""),
        Touch(date(2026, 9, 28), "", ""),
    )


def test_bad_touch_dates(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: Call",
        "touches:",  # 6
        "  - 2026-09-31 call",  # 7: the item starts at column 5
        "  - {date: 2026-13-01, kind: call}",  # 8: "  - {date: " is 11 characters
        "  - {kind: call, note: no date}",  # 9
    )
    result, problems, hints = check_one(tmp_path, text)
    assert problems == [
        "deals/acme.md:7:5: error: touches: '2026-09-31' is not a date: September 2026 has 30 days",
        "deals/acme.md:8:12: error: touches: '2026-13-01' is not a date: there is no month 13",
        "deals/acme.md:9:5: error: touches: a touch needs a date",
    ]
    assert hints == [
        "check the day of the month",
        "write dates as YYYY-MM-DD, month between 01 and 12",
        "write '- 2026-09-21 email sent the proposal' or '- {date: 2026-09-21, kind: email}'",
    ]
    assert isinstance(result, DealFile)


def test_touch_line_with_a_colon_says_to_quote_it(tmp_path: Path) -> None:
    # YAML reads "- 2026-09-21 call: discussed pricing" as a mapping; "a touch needs a date"
    # alone is baffling when the line starts with a date
    text = fm(
        "title: X",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: Call",
        "touches:",
        "  - 2026-09-21 call: discussed pricing",
    )
    result, problems, hints = check_one(tmp_path, text)
    assert isinstance(result, DealFile)
    assert len(problems) == 1 and problems[0].startswith("deals/acme.md:7:5: error: touches: ")
    assert "quote" in hints[0]


def test_touches_not_a_list(tmp_path: Path) -> None:
    text = fm(
        "title: X",
        "stage: lead",
        "created: 2026-09-14",
        "next_step: Call",
        "touches: {date: 2026-09-21}",
    )
    _, problems, hints = check_one(tmp_path, text)
    assert problems == ["deals/acme.md:6:10: error: touches: must be a list"]
    assert hints == ["write one '- YYYY-MM-DD kind note' per touch"]


# --- tags -------------------------------------------------------------------------------


def test_tags_as_list_or_comma_text(tmp_path: Path) -> None:
    for i, tags in enumerate(["[shopify, design]", "shopify, design", "\n  - shopify\n  - design"]):
        text = fm(
            "title: X",
            "stage: lead",
            "created: 2026-09-14",
            "next_step: Call",
            f"tags: {tags}".rstrip(),
        )
        result, problems, _ = check_one(tmp_path / str(i), text)
        assert problems == [], tags
        assert isinstance(result, Deal) and result.tags == ("shopify", "design")


# --- one pass, many files ---------------------------------------------------------------


def test_three_mistakes_give_three_problems_in_line_order(tmp_path: Path) -> None:
    text = fm(
        "title: Acme redesign",  # 2
        "stage: negociation",  # 3
        'value: "9,99"',  # 4
        "created: 2026-02-30",  # 5
        "next_step: Call",  # 6
    )
    root = write_repo(tmp_path, {"deals/acme.md": text})
    loaded = load_repo(root)
    assert [p.format() for p in loaded.problems] == [
        "deals/acme.md:3:8: error: stage: 'negociation' is not a stage; "
        "did you mean 'negotiation'?",
        "deals/acme.md:4:8: error: value: '9,99' is ambiguous: is the comma a decimal point?",
        "deals/acme.md:5:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days",
    ]
    assert loaded.errors == 3 and loaded.warnings == 0
    assert loaded.deals == []
    assert [(f.id, f.title) for f in loaded.invalid] == [("acme", "Acme redesign")]


def test_a_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    good = fm("title: Good", "stage: lead", "created: 2026-09-14", "next_step: Call")
    bad = fm("title: Bad", "stage: lead", "created: 2026-02-30", "next_step: Call")
    root = write_repo(tmp_path, {"deals/a-bad.md": bad, "deals/b-good.md": good})
    loaded = load_repo(root)
    assert [d.id for d in loaded.deals] == ["b-good"]
    assert [f.id for f in loaded.invalid] == ["a-bad"]
    assert loaded.files == 2
    assert [p.format() for p in loaded.invalid[0].problems] == [
        "deals/a-bad.md:4:10: error: created: '2026-02-30' is not a date: February 2026 has 28 days"
    ]


def test_problems_are_sorted_by_file_then_line(tmp_path: Path) -> None:
    ok_but_no_step = fm("title: X", "stage: lead", "created: 2026-09-14")  # warning at 5:1
    root = write_repo(
        tmp_path,
        {
            "deals/b.md": fm("title: X", "stage: lead", "created: 2026-09-31", "next_step: Call"),
            "deals/a.md": ok_but_no_step,
            "deals/c.md": fm(
                "title: X", "title: Y", "stage: lead", "created: 2026-09-14", "next_step: Call"
            ),  # duplicate key at 3:1
        },
    )
    loaded = load_repo(root)
    assert [(p.path, p.line) for p in loaded.problems] == [
        ("deals/a.md", 5),
        ("deals/b.md", 4),
        ("deals/c.md", 3),
    ]
    assert [d.id for d in loaded.deals] == ["a"]
    assert [f.id for f in loaded.invalid] == ["b", "c"]
