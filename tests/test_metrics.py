"""The figures: both shared fixtures key by key, and hand-worked cases for each definition."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from generator.config import DEFAULT_STAGES
from generator.metrics import compute, resolve_period, to_json
from generator.model import Config, Deal, Touch
from generator.pipeline import load_repo

from shared_data import shared_path


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else k))
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def metrics_of(root: Path) -> dict[str, Any]:
    loaded = load_repo(root)
    assert loaded.config.as_of is not None
    m = compute(loaded.deals, loaded.config, loaded.config.as_of, len(loaded.invalid))
    # through JSON text, exactly as metrics.json is written
    return json.loads(json.dumps(to_json(m.figures)))


@pytest.mark.parametrize("name", ["fixtures/agency-small", "data/maven-deals"])
def test_shared_inputs_match_their_expected_metrics_on_every_key(name: str) -> None:
    root = shared_path(*name.split("/"))
    expected = json.loads((root / "expected-metrics.json").read_text())
    got = metrics_of(root)
    exp_flat, got_flat = flatten(expected), flatten(got)
    assert sorted(got_flat) == sorted(exp_flat)
    mismatches = {k: (got_flat[k], v) for k, v in exp_flat.items() if got_flat[k] != v}
    assert mismatches == {}


# -- hand-worked cases ---------------------------------------------------------------------

AS_OF = date(2026, 10, 31)
CONFIG = Config(
    currency="USD",
    rates={"EUR": Decimal("1.10")},
    as_of=AS_OF,
    period="range",
    period_from=date(2026, 10, 1),
    period_to=date(2026, 10, 31),
    quota=Decimal("10000"),
    stages=DEFAULT_STAGES,
    value_required_from="proposal",
)


def deal(id: str, stage: str, created: str, **kw: Any) -> Deal:
    value = kw.pop("value", None)
    currency = kw.pop("currency", "USD")
    base = None
    if value is not None:
        value = Decimal(value)
        base = value * (CONFIG.rates[currency] if currency != "USD" else 1)
    for key in ("closed", "expected_close", "next_step_due"):
        if key in kw:
            kw[key] = date.fromisoformat(kw[key])
    if "stage_dates" in kw:
        kw["stage_dates"] = {k: date.fromisoformat(v) for k, v in kw["stage_dates"].items()}
    return Deal(
        id=id,
        path=f"deals/{id}.md",
        title=id,
        stage=stage,
        created=date.fromisoformat(created),
        value=value,
        currency=currency,
        base_value=base,
        **kw,
    )


def test_money_is_exact_decimal() -> None:
    deals = [
        deal("a", "won", "2026-10-01", value="1100.10", closed="2026-10-05"),
        deal("b", "won", "2026-10-01", value="2200.20", closed="2026-10-06"),
    ]
    fig = compute(deals, CONFIG, AS_OF).figures
    assert fig["won_value"] == Decimal("3300.30")
    assert to_json(fig)["won_value"] == 3300.3


def test_currency_conversion_and_weighting() -> None:
    # 1000 EUR at 1.10 = 1100 USD; in proposal at 50 % -> 550 weighted
    deals = [deal("a", "proposal", "2026-10-01", value="1000", currency="EUR", next_step="x")]
    fig = compute(deals, CONFIG, AS_OF).figures
    assert fig["open_value"] == Decimal("1100.00")
    assert fig["weighted_value"] == Decimal("550.0000")
    assert fig["coverage"] == Decimal("1100") / Decimal("10000")


def test_probability_override_and_forecast_months() -> None:
    deals = [
        deal(
            "a",
            "lead",
            "2026-10-01",
            value="1000",
            probability=Decimal("0.9"),
            expected_close="2026-11-15",
            next_step="x",
        ),
        deal("b", "lead", "2026-10-01", value="500", next_step="x"),
    ]
    fig = compute(deals, CONFIG, AS_OF).figures
    assert fig["forecast"] == {"2026-11": Decimal("900.0"), "unscheduled": Decimal("50.00")}


def test_null_when_denominator_is_zero() -> None:
    fig = compute([], Config(stages=DEFAULT_STAGES), AS_OF).figures
    for key in (
        "win_rate",
        "proposal_win_rate",
        "avg_deal_size",
        "avg_sales_cycle_days",
        "avg_proposal_to_win_days",
        "sales_velocity_per_day",
        "quota",
        "coverage",
    ):
        assert fig[key] is None, key
    assert fig["balance"]["ratio"] is None
    assert fig["leak_stage"] is None
    assert fig["touches"] == {"avg_won": None, "avg_lost": None, "share_over_5": None}


def test_stalled_uses_latest_activity_and_ignores_future_touches() -> None:
    # proposal stalls after 10 days; last real activity 2026-10-20 -> 11 days idle -> stalled.
    # A touch dated after the as-of date does not count as activity.
    d = deal(
        "a",
        "proposal",
        "2026-10-01",
        value="100",
        next_step="x",
        stage_dates={"proposal": "2026-10-05"},
        touches=(Touch(date(2026, 10, 20), "email", ""), Touch(date(2026, 11, 5), "call", "")),
    )
    m = compute([d], CONFIG, AS_OF)
    assert m.facts["a"].days_idle == 11
    assert m.figures["health"]["stalled"] == ["a"]
    # exactly at the limit is not stalled
    m2 = compute([d], CONFIG, date(2026, 10, 30))
    assert m2.figures["health"]["stalled"] == []


def test_entered_a_skipped_stage_on_the_day_it_jumped_past() -> None:
    # won with no stage_dates: entered every stage on `closed`; proposal-to-win = 0 days
    d = deal("a", "won", "2026-10-01", value="100", closed="2026-10-11")
    m = compute([d], CONFIG, AS_OF)
    assert m.facts["a"].entered == {
        s: date(2026, 10, 11) for s in ("lead", "qualified", "proposal", "negotiation")
    }
    assert m.figures["avg_proposal_to_win_days"] == 0
    assert m.figures["avg_sales_cycle_days"] == 10


def test_lost_deal_reaches_lost_at_else_last_named_stage_else_first() -> None:
    deals = [
        deal("at", "lost", "2026-10-01", closed="2026-10-09", lost_reason="x", lost_at="qualified"),
        deal(
            "named",
            "lost",
            "2026-10-01",
            closed="2026-10-09",
            lost_reason="x",
            stage_dates={"proposal": "2026-10-03"},
        ),
        deal("none", "lost", "2026-10-01", closed="2026-10-09", lost_reason="x"),
    ]
    m = compute(deals, CONFIG, AS_OF)
    assert [m.facts[i].furthest for i in ("at", "named", "none")] == [
        "qualified",
        "proposal",
        "lead",
    ]
    funnel = {f["stage"]: f for f in m.figures["funnel"]}
    assert funnel["lead"] == {
        "stage": "lead",
        "reached": 3,
        "sitting": 0,
        "advanced": 2,
        "conversion": Decimal(2) / 3,
    }
    assert funnel["proposal"]["advanced"] == 0
    assert m.figures["leak_stage"] == "proposal"  # 0 % beats qualified's 50 %


def test_loss_reasons_are_trimmed_and_lower_cased() -> None:
    deals = [
        deal(str(i), "lost", "2026-10-01", closed="2026-10-02", lost_reason=r)
        for i, r in enumerate(["Budget", " budget ", "went quiet"])
    ]
    assert compute(deals, CONFIG, AS_OF).figures["loss_reasons"] == {"budget": 2, "went quiet": 1}


def test_by_source_groups_missing_values_as_none() -> None:
    deals = [
        deal("a", "won", "2026-10-01", value="100", closed="2026-10-02", source="upwork"),
        deal("b", "lost", "2026-10-01", closed="2026-10-02", lost_reason="x"),
        deal("c", "lead", "2026-10-01", next_step="x"),
    ]
    fig = compute(deals, CONFIG, AS_OF).figures
    assert set(fig["by_source"]) == {"upwork", "(none)"}
    assert fig["by_source"]["(none)"]["win_rate"] == 0
    assert fig["by_source"]["(none)"]["open_count"] == 1
    assert fig["by_source"]["upwork"]["win_rate"] == 1


def test_top_heavy_when_more_than_three_early_deals_per_late_one() -> None:
    early = [deal(f"e{i}", "lead", "2026-10-01", next_step="x") for i in range(7)]
    late = [deal(f"l{i}", "proposal", "2026-10-01", value="1", next_step="x") for i in range(2)]
    balance = compute(early + late, CONFIG, AS_OF).figures["balance"]
    assert balance == {"early": 7, "late": 2, "ratio": Decimal("3.5"), "top_heavy": True}
    balance = compute(early[:6] + late, CONFIG, AS_OF).figures["balance"]
    assert balance["top_heavy"] is False  # exactly 3 is not top-heavy


@pytest.mark.parametrize(
    "kind,start,end",
    [
        ("month", "2026-02-01", "2026-02-28"),
        ("quarter", "2026-01-01", "2026-03-31"),
        ("year", "2026-01-01", "2026-12-31"),
    ],
)
def test_calendar_periods_contain_the_as_of_date(kind: str, start: str, end: str) -> None:
    p = resolve_period(Config(period=kind, stages=DEFAULT_STAGES), date(2026, 2, 14), [])
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)


def test_period_all_runs_from_the_earliest_deal_to_as_of() -> None:
    deals = [deal("a", "lead", "2025-03-04", next_step="x")]
    p = resolve_period(Config(period="all", stages=DEFAULT_STAGES), date(2026, 2, 14), deals)
    assert (p.start, p.end) == (date(2025, 3, 4), date(2026, 2, 14))


def test_rounding_is_half_up_to_the_stated_places() -> None:
    out = to_json(
        {
            "won_value": Decimal("0.125"),
            "win_rate": Decimal("0.33335"),
            "avg_sales_cycle_days": Decimal("20.65"),
        }
    )
    assert out == {"won_value": 0.13, "win_rate": 0.3334, "avg_sales_cycle_days": 20.7}
