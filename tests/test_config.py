"""config: `dealbook.yaml` read into a Config; every problem with dealbook.yaml line and column.

In the config, line 1 is the file's first line (there is no `---`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from generator.model import Config, Deal, Stage
from generator.pipeline import load_repo

from conftest import config_from, write_repo

PROB_HINT = "write a probability between 0 and 1 (0.4) or as a percentage (40%)"
OUTCOMES = "  - {id: won, outcome: won}\n  - {id: lost, outcome: lost}\n"

DEFAULTS = Config(
    title="Pipeline",
    currency="USD",
    rates={},
    base_url="/",
    repo_url=None,
    as_of=None,
    period="quarter",
    quota=None,
    stall_after_days=14,
    value_required_from="proposal",
    stages=(
        Stage("lead", "Lead", Decimal("0.10"), 14),
        Stage("qualified", "Qualified", Decimal("0.25"), 14, milestone="qualified"),
        Stage("proposal", "Proposal sent", Decimal("0.50"), 10, milestone="proposal"),
        Stage("negotiation", "Negotiation", Decimal("0.75"), 7),
        Stage("won", "Closed won", Decimal(1), 14, outcome="won"),
        Stage("lost", "Closed lost", Decimal(0), 14, outcome="lost"),
    ),
)


def problems_of(tmp_path: Path, text: str) -> tuple[Config, list[str], list[str]]:
    config, src = config_from(tmp_path, text)
    problems = sorted(src.problems)
    return config, [p.format() for p in problems], [p.hint for p in problems]


# --- defaults ---------------------------------------------------------------------------


def test_missing_config_means_the_defaults(tmp_path: Path) -> None:
    config, src = config_from(tmp_path, None)
    assert src.problems == []
    assert config == DEFAULTS


def test_missing_config_in_a_repo(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {})
    loaded = load_repo(root)
    assert loaded.problems == [] and loaded.files == 0
    assert loaded.config == DEFAULTS


@pytest.mark.parametrize("text", ["", "# nothing set yet\n", "\n\n"])
def test_empty_config_means_the_defaults(tmp_path: Path, text: str) -> None:
    config, problems, _ = problems_of(tmp_path, text)
    assert problems == []
    assert config == DEFAULTS


def test_sample_config_of_the_repository_is_clean(tmp_path: Path) -> None:
    sample = (Path(__file__).parent.parent / "dealbook.yaml").read_text(encoding="utf-8")
    config, problems, _ = problems_of(tmp_path, sample)
    assert problems == []
    assert [s.id for s in config.stages] == [s.id for s in DEFAULTS.stages]


def test_values_are_read(tmp_path: Path) -> None:
    text = (
        "title: yes\n"
        "currency: eur\n"
        "rates: {usd: 0.93, GBP: 1.17}\n"
        "base_url: my-repo\n"
        "repo_url: https://github.com/me/pipeline/\n"
        "as_of: 2026-11-20\n"
        "period: {from: 2026-07-01, to: 2026-12-31}\n"
        "quota: 60k\n"
        "stall_after_days: 20\n"
        "value_required_from: Negotiation\n"
    )
    config, problems, _ = problems_of(tmp_path, text)
    assert problems == []
    assert config.title == "yes"
    assert config.currency == "EUR"
    assert config.rates == {"USD": Decimal("0.93"), "GBP": Decimal("1.17")}
    assert config.base_url == "/my-repo/"
    assert config.repo_url == "https://github.com/me/pipeline"
    assert config.as_of == date(2026, 11, 20)
    assert (config.period, config.period_from, config.period_to) == (
        "range",
        date(2026, 7, 1),
        date(2026, 12, 31),
    )
    assert config.quota == Decimal(60000)
    assert config.value_required_from == "negotiation"
    # stages that do not set their own stall limit take the config's
    assert [s.stall_after_days for s in config.stages] == [20, 20, 10, 7, 20, 20]


def test_value_required_from_null_means_never(tmp_path: Path) -> None:
    config, problems, _ = problems_of(tmp_path, "value_required_from: null\n")
    assert problems == []
    assert config.value_required_from is None


@pytest.mark.parametrize("period", ["month", "quarter", "year", "all", "Year"])
def test_named_periods(tmp_path: Path, period: str) -> None:
    config, problems, _ = problems_of(tmp_path, f"period: {period}\n")
    assert problems == []
    assert config.period == period.lower()


# --- unknown keys -----------------------------------------------------------------------


def test_unknown_keys_did_you_mean(tmp_path: Path) -> None:
    text = "title: Pipeline\ncurency: EUR\nstall_after_day: 10\ncolour: blue\n"
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:1: warning: curency: unknown key is ignored",
        "dealbook.yaml:3:1: warning: stall_after_day: unknown key is ignored",
        "dealbook.yaml:4:1: warning: colour: unknown key is ignored",
    ]
    assert hints == [
        "did you mean 'currency'?",
        "did you mean 'stall_after_days'?",
        "known keys: title, currency, rates, base_url, repo_url, as_of, period, quota, "
        "stall_after_days, value_required_from, stages",
    ]
    assert config.currency == "USD"


def test_unknown_stage_key_did_you_mean(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead, probabilty: 0.1, probability: 0.1}\n" + OUTCOMES
    # "  - {id: lead, " is 15 characters
    _, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:16: warning: stages.probabilty: unknown stage key is ignored"
    ]
    assert hints == ["did you mean 'probability'?"]


# --- currency and rates -----------------------------------------------------------------


@pytest.mark.parametrize("code", ["dollars", "$", "US"])
def test_bad_currency_code(tmp_path: Path, code: str) -> None:
    # "currency: " is 10 characters
    config, problems, hints = problems_of(tmp_path, f"currency: {code}\n")
    assert problems == [f"dealbook.yaml:1:11: error: currency: '{code}' is not a currency code"]
    assert hints == ["write a three-letter ISO 4217 code such as USD, EUR or GBP"]
    assert config.currency == "USD"


def test_bad_rates(tmp_path: Path) -> None:
    text = (
        "rates:\n"  # 1
        "  euro: 1.08\n"  # 2: key at column 3
        "  GBP: 0\n"  # 3: "  GBP: " is 7 characters
        "  CAD: lots\n"  # 4
    )
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:3: error: rates: 'euro' is not a currency code",
        "dealbook.yaml:3:8: error: rates: rate for GBP: must be more than 0",
        "dealbook.yaml:4:8: error: rates: rate for CAD: 'lots' is not an amount",
    ]
    assert hints == [
        "write a three-letter ISO 4217 code such as EUR",
        "write how many USD one GBP is worth, e.g. GBP: 1.08",
        "write how many USD one CAD is worth, e.g. CAD: 1.08",
    ]
    assert config.rates == {}


# --- period -----------------------------------------------------------------------------


def test_bad_period_name(tmp_path: Path) -> None:
    # "period: " is 8 characters
    config, problems, hints = problems_of(tmp_path, "period: weekly\n")
    assert problems == ["dealbook.yaml:1:9: error: period: 'weekly' is not a period"]
    assert hints == ["use month, quarter, year, all or {from: YYYY-MM-DD, to: YYYY-MM-DD}"]
    assert config.period == "quarter"


def test_custom_period_without_to(tmp_path: Path) -> None:
    _, problems, hints = problems_of(tmp_path, "title: X\nperiod: {from: 2026-07-01}\n")
    assert problems == [
        "dealbook.yaml:2:9: error: period: a custom period needs exactly 'from' and 'to'"
    ]
    assert hints == ["write e.g. 'period: {from: 2026-07-01, to: 2026-12-31}'"]


def test_custom_period_backwards(tmp_path: Path) -> None:
    _, problems, hints = problems_of(tmp_path, "period: {from: 2026-12-31, to: 2026-07-01}\n")
    assert problems == ["dealbook.yaml:1:9: error: period: 'from' is after 'to'"]
    assert hints == ["swap the two dates"]


def test_custom_period_impossible_date(tmp_path: Path) -> None:
    # "period: {from: " is 15 characters
    _, problems, hints = problems_of(tmp_path, "period: {from: 2026-02-30, to: 2026-12-31}\n")
    assert problems == [
        "dealbook.yaml:1:16: error: period: from: '2026-02-30' is not a date: "
        "February 2026 has 28 days"
    ]
    assert hints == ["check the day of the month"]


# --- stages -----------------------------------------------------------------------------


def test_custom_stages(tmp_path: Path) -> None:
    text = (
        "stages:\n"
        "  - {id: inquiry, probability: 10%}\n"
        "  - {id: quoted, label: Quote sent, probability: 0.5, stall_after_days: 5, "
        "milestone: proposal}\n"
        "  - {id: signed, outcome: won}\n"
        "  - {id: declined, label: Declined, outcome: lost}\n"
    )
    config, problems, _ = problems_of(tmp_path, text)
    assert problems == []
    assert config.stages == (
        Stage("inquiry", "Inquiry", Decimal("0.1"), 14),
        Stage("quoted", "Quote sent", Decimal("0.5"), 5, milestone="proposal"),
        Stage("signed", "Signed", Decimal(1), 14, outcome="won"),
        Stage("declined", "Declined", Decimal(0), 14, outcome="lost"),
    )
    assert config.value_required_from == "quoted"


def test_stages_without_a_lost_outcome(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead, probability: 0.1}\n  - {id: won, outcome: won}\n"
    # the list starts at line 2, column 3 (its first '-')
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:3: error: stages: there must be exactly one stage with "
        "'outcome: lost' (found 0)"
    ]
    assert hints == ["add e.g. '- {id: lost, label: Closed lost, outcome: lost}'"]
    assert config.stages == DEFAULTS.stages


def test_stages_without_any_outcome(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead, probability: 0.1}\n  - {id: proposal, probability: 0.5}\n"
    _, problems, _ = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:3: error: stages: there must be exactly one stage with "
        "'outcome: lost' (found 0)",
        "dealbook.yaml:2:3: error: stages: there must be exactly one stage with "
        "'outcome: won' (found 0)",
    ]


def test_duplicate_stage_id(tmp_path: Path) -> None:
    text = (
        "stages:\n"  # 1
        "  - {id: lead, probability: 0.1}\n"  # 2
        "  - {id: lead, probability: 0.2}\n"  # 3: "  - {id: " is 9 characters
    ) + OUTCOMES
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == ["dealbook.yaml:3:10: error: stages.id: stage 'lead' is listed twice"]
    assert hints == ["give each stage its own id"]
    assert config.stages == DEFAULTS.stages


def test_duplicate_key_inside_a_stage_is_an_error(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead, probability: 0.1, probability: 0.9}\n" + OUTCOMES
    # the second `probability` starts after "  - {id: lead, probability: 0.1, " (33 characters)
    _, problems, _ = problems_of(tmp_path, text)
    assert len(problems) == 1, "two probabilities for one stage: the last silently won"
    assert problems[0].startswith("dealbook.yaml:2:34: error: ")
    assert "duplicate key" in problems[0]


def test_open_stage_after_won_points_at_that_stage(tmp_path: Path) -> None:
    text = (
        "stages:\n"  # 1
        "  - {id: lead, probability: 0.1}\n"  # 2
        "  - {id: won, outcome: won}\n"  # 3
        "  - {id: proposal, probability: 0.5}\n"  # 4: the stage at fault; its '{' is column 5
        "  - {id: lost, outcome: lost}\n"  # 5
    )
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:4:5: error: stages: open stage 'proposal' is listed after 'won'"
    ]
    assert hints == ["list the stages in pipeline order: open stages first, won and lost last"]
    assert config.stages == DEFAULTS.stages


def test_bad_stage_probability(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead, probability: 1.5}\n" + OUTCOMES
    # "  - {id: lead, probability: " is 28 characters
    _, problems, hints = problems_of(tmp_path, text)
    assert problems == ["dealbook.yaml:2:29: error: stages.probability: '1.5' is outside 0..1"]
    assert hints == [PROB_HINT]


def test_stage_without_probability_is_a_warning(tmp_path: Path) -> None:
    text = "stages:\n  - {id: lead}\n" + OUTCOMES
    config, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:5: warning: stages.probability: stage 'lead' has no probability; 0 is used"
    ]
    assert hints == ["add e.g. 'probability: 0.25' so the weighted forecast counts it"]
    assert config.stages[0].probability == 0


def test_bad_stage_id_outcome_and_milestone(tmp_path: Path) -> None:
    text = (
        "stages:\n"  # 1
        "  - {id: Lead Gen, probability: 0.1}\n"  # 2: "  - {id: " is 9 characters
        "  - {id: proposal, probability: 0.5, milestone: proposed}\n"  # 3
        "  - {id: won, outcome: closed}\n"  # 4: "  - {id: won, outcome: " is 23
        "  - {id: lost, outcome: lost}\n"
    )
    # line 3: "  - {id: proposal, probability: 0.5, milestone: " is 48 characters
    _, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:2:10: error: stages.id: 'Lead Gen' is not a valid stage id",
        "dealbook.yaml:3:49: error: stages.milestone: 'proposed' is not a milestone",
        "dealbook.yaml:4:24: error: stages.outcome: 'closed' is not an outcome",
    ]
    assert hints == [
        "use lower-case letters, digits, - or _, e.g. 'proposal'",
        "use 'qualified' or 'proposal'",
        "use 'outcome: won' or 'outcome: lost', or leave it out for an open stage",
    ]


def test_stages_not_a_list(tmp_path: Path) -> None:
    _, problems, hints = problems_of(tmp_path, "stages: lead, won, lost\n")
    assert problems == ["dealbook.yaml:1:9: error: stages: must be a list of stages"]
    assert hints == ["write one '- {id: lead, label: Lead, probability: 0.1}' per stage"]


# --- other keys -------------------------------------------------------------------------


def test_value_required_from_unknown_stage(tmp_path: Path) -> None:
    # "value_required_from: " is 21 characters
    _, problems, hints = problems_of(tmp_path, "value_required_from: proposals\n")
    assert problems == [
        "dealbook.yaml:1:22: error: value_required_from: 'proposals' is not a stage"
    ]
    assert hints == ["did you mean 'proposal'? use a stage id, or null for never"]


def test_bad_as_of_quota_and_repo_url(tmp_path: Path) -> None:
    text = (
        "as_of: 2026-02-30\n"  # 1: "as_of: " is 7 characters
        "quota: lots\n"  # 2: "quota: " is 7
        "repo_url: github.com/me/pipeline\n"  # 3: "repo_url: " is 10
    )
    _, problems, hints = problems_of(tmp_path, text)
    assert problems == [
        "dealbook.yaml:1:8: error: as_of: '2026-02-30' is not a date: February 2026 has 28 days",
        "dealbook.yaml:2:8: error: quota: 'lots' is not an amount",
        "dealbook.yaml:3:11: error: repo_url: 'github.com/me/pipeline' is not a web address",
    ]
    assert hints == [
        "check the day of the month",
        "write the amount as a plain number such as 4800 or 4800.50",
        "write e.g. https://github.com/you/pipeline",
    ]


def test_stall_after_days_zero_says_what_is_wrong(tmp_path: Path) -> None:
    # "stall_after_days: " is 18 characters; 0 is a whole number, it is just too small
    _, problems, hints = problems_of(tmp_path, "stall_after_days: 0\n")
    assert len(problems) == 1
    assert problems[0].startswith("dealbook.yaml:1:19: error: stall_after_days: ")
    assert "not a whole number" not in problems[0]
    assert hints == ["write a whole number of 1 or more"]


def test_stall_after_days_not_a_number(tmp_path: Path) -> None:
    _, problems, hints = problems_of(tmp_path, "stall_after_days: two weeks\n")
    assert problems == [
        "dealbook.yaml:1:19: error: stall_after_days: 'two weeks' is not a whole number"
    ]
    assert hints == ["write a whole number of 1 or more"]


# --- file-level problems ----------------------------------------------------------------


def test_config_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    # line 2 "title: Pipeline: mine": the second ':' is column 16
    _, problems, hints = problems_of(tmp_path, "currency: USD\ntitle: Pipeline: mine\n")
    assert problems == [
        "dealbook.yaml:2:16: error: YAML syntax error: mapping values are not allowed in this "
        "context"
    ]
    assert hints == [
        "check the indentation and quote text that contains ': ' or starts with a symbol"
    ]


def test_config_duplicate_key(tmp_path: Path) -> None:
    _, problems, hints = problems_of(tmp_path, "currency: USD\ntitle: X\ncurrency: EUR\n")
    assert problems == ["dealbook.yaml:3:1: error: currency: duplicate key (first given on line 1)"]
    assert hints == ["keep one of the two; a key may appear only once"]


def test_config_that_is_a_list(tmp_path: Path) -> None:
    config, problems, _ = problems_of(tmp_path, "- title: Pipeline\n- currency: EUR\n")
    assert problems == [
        "dealbook.yaml:1:1: error: dealbook.yaml is a list, not a set of 'key: value' fields"
    ]
    assert config == DEFAULTS


def test_config_problems_are_reported_and_deals_still_checked(tmp_path: Path) -> None:
    deal = "---\ntitle: X\nstage: lead\ncreated: 2026-09-14\nnext_step: Call\ncurrency: EUR\n---\n"
    root = write_repo(
        tmp_path,
        {"deals/acme.md": deal},
        config="currency: USD\nrates: {EUR: 1.08}\nperiod: weekly\n",
    )
    loaded = load_repo(root)
    assert [p.format() for p in loaded.problems] == [
        "dealbook.yaml:3:9: error: period: 'weekly' is not a period"
    ]
    assert loaded.config_errors
    assert [d.id for d in loaded.deals] == ["acme"]
    assert isinstance(loaded.deals[0], Deal) and loaded.deals[0].currency == "EUR"


def test_broken_config_yaml_falls_back_to_defaults_for_the_deals(tmp_path: Path) -> None:
    deal = "---\ntitle: X\nstage: lead\ncreated: 2026-09-14\nnext_step: Call\n---\n"
    root = write_repo(tmp_path, {"deals/acme.md": deal}, config="title: [unclosed\n")
    loaded = load_repo(root)
    assert loaded.config_errors
    assert all(p.path == "dealbook.yaml" for p in loaded.problems)
    assert loaded.config == DEFAULTS
    assert [d.id for d in loaded.deals] == ["acme"]
