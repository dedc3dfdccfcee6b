"""Third stage: pure functions from (deals, config, as-of date) to the pipeline figures.

No I/O and no formatting: money stays Decimal, ratios stay exact until `to_json` rounds
them for metrics.json. Definitions follow the metrics page of the site word for word.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .formatting import day
from .model import Config, Deal, Period, Stage, compact

FLAGS = ("stalled", "no_next_step", "overdue_next_step", "past_expected_close")
TOP_HEAVY_RATIO = Decimal(3)


@compact
@dataclass(frozen=True, slots=True)
class DealFacts:
    """What the metrics know about one deal as of A (shown on its page and in deals.json)."""

    id: str
    base_value: Decimal  # 0 when the deal has no value
    probability: Decimal
    weighted_value: Decimal
    furthest: str  # stage id
    entered: dict[str, date]  # open stage id -> entered(d, s) for every stage reached
    last_activity: date | None  # open deals only
    days_in_stage: int | None  # open deals only
    days_idle: int | None  # open deals only
    health: tuple[str, ...]  # the FLAGS that apply
    reasons: tuple[str, ...]  # the same, in words


@dataclass(frozen=True)
class Metrics:
    as_of: date
    period: Period
    figures: dict[str, Any]  # the metrics.json object, unrounded
    facts: dict[str, DealFacts]
    monthly: list[dict[str, Any]] = field(default_factory=list)  # won/lost by month of `closed`


def resolve_period(config: Config, as_of: date, deals: list[Deal]) -> Period:
    if config.period == "range" and config.period_from and config.period_to:
        return Period("range", config.period_from, config.period_to)
    if config.period == "month":
        start = as_of.replace(day=1)
    elif config.period == "quarter":
        start = date(as_of.year, 3 * ((as_of.month - 1) // 3) + 1, 1)
    elif config.period == "year":
        start = date(as_of.year, 1, 1)
    else:  # all
        dates = [d.created for d in deals] + [d.closed for d in deals if d.closed]
        return Period("all", min([*dates, as_of]), as_of)
    months = {"month": 1, "quarter": 3, "year": 12}[config.period]
    month_index = start.month - 1 + months
    end = date(start.year + month_index // 12, month_index % 12 + 1, 1) - timedelta(days=1)
    return Period(config.period, start, end)


class Pipeline:
    """The stage-order questions every figure asks of a deal."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.open = config.open_stages
        self.index = {s.id: i for i, s in enumerate(self.open)}
        self.by_id = {s.id: s for s in config.stages}

    def outcome(self, d: Deal) -> str | None:
        return self.by_id[d.stage].outcome

    def probability(self, d: Deal) -> Decimal:
        outcome = self.outcome(d)
        if outcome == "won":
            return Decimal(1)
        if outcome == "lost":
            return Decimal(0)
        return d.probability if d.probability is not None else self.by_id[d.stage].probability

    def furthest(self, d: Deal) -> int:
        """Index into the open stages of the furthest stage the deal reached."""
        outcome = self.outcome(d)
        if outcome is None:
            return self.index[d.stage]
        if outcome == "won":
            return len(self.open) - 1
        if d.lost_at is not None:
            return self.index[d.lost_at]
        named = [self.index[s] for s in d.stage_dates if s in self.index]
        return max(named) if named else 0

    def entered(self, d: Deal, i: int, furthest: int) -> date:
        s = self.open[i].id
        if s in d.stage_dates:
            return d.stage_dates[s]
        later = [
            d.stage_dates[o.id] for o in self.open[i + 1 : furthest + 1] if o.id in d.stage_dates
        ]
        if d.closed is not None:
            later.append(d.closed)
        return min(later) if later else d.created

    def base(self, d: Deal) -> Decimal:
        return d.base_value if d.base_value is not None else Decimal(0)


def deal_facts(d: Deal, pipe: Pipeline, as_of: date) -> DealFacts:
    f = pipe.furthest(d)
    entered = {pipe.open[i].id: pipe.entered(d, i, f) for i in range(f + 1)}
    p = pipe.probability(d)
    base = pipe.base(d)
    flags: list[str] = []
    reasons: list[str] = []
    last = days_in = idle = None
    if pipe.outcome(d) is None:
        stage: Stage = pipe.by_id[d.stage]
        current_entry = entered[d.stage]
        touch_days = [t.date for t in d.touches if t.date <= as_of]
        last = max([d.created, current_entry, *touch_days])
        days_in = (as_of - current_entry).days
        idle = (as_of - last).days
        if idle > stage.stall_after_days:
            flags.append("stalled")
            reasons.append(
                f"no activity for {idle} days (this stage stalls after {stage.stall_after_days})"
            )
        if not d.next_step:
            flags.append("no_next_step")
            reasons.append("no next step")
        if d.next_step_due is not None and d.next_step_due < as_of:
            flags.append("overdue_next_step")
            reasons.append(f"next step was due {day(d.next_step_due)}")
        if d.expected_close is not None and d.expected_close < as_of:
            flags.append("past_expected_close")
            reasons.append(f"expected to close by {day(d.expected_close)}")
    return DealFacts(
        d.id,
        base,
        p,
        base * p,
        pipe.open[f].id,
        entered,
        last,
        days_in,
        idle,
        tuple(flags),
        tuple(reasons),
    )


def _ratio(num: Decimal | int, den: Decimal | int) -> Decimal | None:
    return None if not den else Decimal(num) / Decimal(den)


def _mean(values: list[int] | list[Decimal]) -> Decimal | None:
    return None if not values else Decimal(sum(values)) / len(values)


def compute(
    deals: list[Deal],
    config: Config,
    as_of: date,
    invalid: int = 0,
    known: dict[str, tuple[Deal, DealFacts]] | None = None,
) -> Metrics:
    """All the figures. `known` (kept by the caller for the same config and as-of date)
    holds facts already worked out for the very same Deal objects, to skip them."""
    pipe = Pipeline(config)
    period = resolve_period(config, as_of, deals)
    facts: dict[str, DealFacts] = {}
    for d in deals:
        seen = known.get(d.id) if known is not None else None
        if seen is not None and seen[0] is d:
            facts[d.id] = seen[1]
        else:
            facts[d.id] = deal_facts(d, pipe, as_of)
            if known is not None:
                known[d.id] = (d, facts[d.id])
    reach = {d.id: pipe.index[facts[d.id].furthest] for d in deals}  # furthest(d) as an index
    open_deals: list[Deal] = []
    won_p: list[Deal] = []
    lost_p: list[Deal] = []
    for d in deals:
        outcome = pipe.outcome(d)
        if outcome is None:
            open_deals.append(d)
        elif period.contains(d.closed):
            (won_p if outcome == "won" else lost_p).append(d)

    fig: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "currency": config.currency,
        "period": {"start": period.start.isoformat(), "end": period.end.isoformat()},
        "deals": len(deals),
        "invalid": invalid,
        "open_count": len(open_deals),
        "open_value": sum((facts[d.id].base_value for d in open_deals), Decimal(0)),
        "weighted_value": sum((facts[d.id].weighted_value for d in open_deals), Decimal(0)),
    }
    by_stage: dict[str, list[DealFacts]] = {s.id: [] for s in pipe.open}
    for d in open_deals:
        by_stage[d.stage].append(facts[d.id])
    fig["stages"] = [
        {
            "id": s.id,
            "count": len(inside := by_stage[s.id]),
            "value": sum((f.base_value for f in inside), Decimal(0)),
            "weighted_value": sum((f.weighted_value for f in inside), Decimal(0)),
        }
        for s in pipe.open
    ]
    forecast: dict[str, Decimal] = {}
    for d in open_deals:
        close = d.expected_close
        key = f"{close.year:04d}-{close.month:02d}" if close else "unscheduled"
        forecast[key] = forecast.get(key, Decimal(0)) + facts[d.id].weighted_value
    fig["forecast"] = {
        k: forecast[k] for k in sorted(forecast, key=lambda k: (k == "unscheduled", k))
    }

    proposal = config.milestone("proposal")
    cut = pipe.index[proposal.id] if proposal and proposal.id in pipe.index else len(pipe.open)
    early = sum(1 for d in open_deals if pipe.index[d.stage] < cut)
    late = len(open_deals) - early
    ratio = _ratio(early, late)
    fig["balance"] = {
        "early": early,
        "late": late,
        "ratio": ratio,
        "top_heavy": ratio is not None and ratio > TOP_HEAVY_RATIO,
    }

    def milestone_deals(name: str) -> list[Deal] | None:
        stage = config.milestone(name)
        if stage is None or stage.id not in pipe.index:
            return None
        i, sid, start, end = pipe.index[stage.id], stage.id, period.start, period.end
        return [d for d in deals if reach[d.id] >= i and start <= facts[d.id].entered[sid] <= end]

    qualified = milestone_deals("qualified")
    proposals = milestone_deals("proposal")
    fig["qualified_leads"] = None if qualified is None else len(qualified)
    fig["proposals_sent"] = None if proposals is None else len(proposals)
    won_value = sum((facts[d.id].base_value for d in won_p), Decimal(0))
    fig["won_count"] = len(won_p)
    fig["won_value"] = won_value
    fig["lost_count"] = len(lost_p)
    fig["win_rate"] = win_rate = _ratio(len(won_p), len(won_p) + len(lost_p))
    fig["proposal_win_rate"] = (
        None
        if not proposals
        else _ratio(sum(1 for d in proposals if pipe.outcome(d) == "won"), len(proposals))
    )
    fig["avg_deal_size"] = avg_size = _ratio(won_value, len(won_p))
    assert all(d.closed for d in won_p)
    fig["avg_sales_cycle_days"] = cycle = _mean(
        [(d.closed - d.created).days for d in won_p if d.closed]
    )
    fig["avg_proposal_to_win_days"] = (
        None
        if proposal is None
        else _mean([(d.closed - facts[d.id].entered[proposal.id]).days for d in won_p if d.closed])
    )
    fig["sales_velocity_per_day"] = (
        None
        if avg_size is None or win_rate is None or not cycle
        else len(open_deals) * avg_size * win_rate / cycle
    )
    quota = config.quota
    remaining = None if quota is None else max(quota - won_value, Decimal(0))
    fig["quota"] = quota
    fig["remaining_quota"] = remaining
    fig["coverage"] = None if not remaining else fig["open_value"] / remaining
    fig["weighted_coverage"] = None if not remaining else fig["weighted_value"] / remaining
    closed_p = won_p + lost_p
    fig["touches"] = {
        "avg_won": _mean([len(d.touches) for d in won_p]),
        "avg_lost": _mean([len(d.touches) for d in lost_p]),
        "share_over_5": _ratio(sum(1 for d in closed_p if len(d.touches) > 5), len(closed_p)),
    }
    reasons = Counter((d.lost_reason or "").strip().lower() for d in lost_p)
    fig["loss_reasons"] = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    fig["by_source"] = _groups(lambda d: d.source, won_p, lost_p, open_deals, facts)
    fig["by_owner"] = _groups(lambda d: d.owner, won_p, lost_p, open_deals, facts)

    funnel = []
    furthest_count = Counter(reach.values())
    # reached(i): deals whose furthest stage is i or later
    reached_from = [
        sum(furthest_count[j] for j in range(i, len(pipe.open))) for i in range(len(pipe.open))
    ]
    sitting_in = Counter(d.stage for d in open_deals)
    won_ever = sum(1 for d in deals if pipe.outcome(d) == "won")
    for i, s in enumerate(pipe.open):
        reached = reached_from[i]
        sitting = sitting_in[s.id]
        advanced = reached_from[i + 1] if i + 1 < len(pipe.open) else won_ever
        funnel.append(
            {
                "stage": s.id,
                "reached": reached,
                "sitting": sitting,
                "advanced": advanced,
                "conversion": _ratio(advanced, reached - sitting),
            }
        )
    fig["funnel"] = funnel
    rated = [(f["conversion"], i) for i, f in enumerate(funnel) if f["conversion"] is not None]
    fig["leak_stage"] = funnel[min(rated)[1]]["stage"] if rated else None  # earliest on a tie
    flagged: dict[str, list[str]] = {flag: [] for flag in FLAGS}
    for d in open_deals:
        for flag in facts[d.id].health:
            flagged[flag].append(d.id)
    fig["health"] = {flag: sorted(ids) for flag, ids in flagged.items()}
    return Metrics(as_of, period, fig, facts, _monthly(deals, pipe, facts, as_of, period))


def _groups(
    key: Any, won: list[Deal], lost: list[Deal], open_deals: list[Deal], facts: dict[str, DealFacts]
) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}

    def group(d: Deal) -> dict[str, Any]:
        name = key(d) or "(none)"
        g = groups.get(name)
        if g is None:
            g = groups[name] = {
                "won_count": 0,
                "lost_count": 0,
                "win_rate": None,
                "won_value": Decimal(0),
                "open_count": 0,
            }
        return g

    for d in won:
        g = group(d)
        g["won_count"] += 1
        g["won_value"] += facts[d.id].base_value
    for d in lost:
        group(d)["lost_count"] += 1
    for d in open_deals:
        group(d)["open_count"] += 1
    for g in groups.values():
        g["win_rate"] = _ratio(g["won_count"], g["won_count"] + g["lost_count"])
    return dict(sorted(groups.items()))


def _monthly(
    deals: list[Deal], pipe: Pipeline, facts: dict[str, DealFacts], as_of: date, period: Period
) -> list[dict[str, Any]]:
    """Won value, counts and win rate for each month of `closed`: the last 12 months to A,
    or the whole period when it is longer."""
    first = min(period.start, date(as_of.year - 1, as_of.month, 1) + timedelta(days=31))
    first = first.replace(day=1)
    last = as_of
    months: list[dict[str, Any]] = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        months.append(
            {
                "month": f"{y:04d}-{m:02d}",
                "won_count": 0,
                "lost_count": 0,
                "won_value": Decimal(0),
                "win_rate": None,
            }
        )
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    index = {(int(row["month"][:4]), int(row["month"][5:])): row for row in months}
    for d in deals:
        outcome = pipe.outcome(d)
        if outcome is None or d.closed is None or d.closed > as_of:
            continue
        row = index.get((d.closed.year, d.closed.month))
        if row is None:
            continue
        if outcome == "won":
            row["won_count"] += 1
            row["won_value"] += facts[d.id].base_value
        else:
            row["lost_count"] += 1
    for row in months:
        row["win_rate"] = _ratio(row["won_count"], row["won_count"] + row["lost_count"])
    return months


# -- metrics.json ---------------------------------------------------------------------------

_MONEY_KEYS = {
    "open_value",
    "weighted_value",
    "value",
    "won_value",
    "avg_deal_size",
    "sales_velocity_per_day",
    "quota",
    "remaining_quota",
}
_DAY_KEYS = {"avg_sales_cycle_days", "avg_proposal_to_win_days", "avg_won", "avg_lost"}


def _round(value: Decimal, places: int) -> float:
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def to_json(figures: dict[str, Any]) -> dict[str, Any]:
    """Round for metrics.json: money to cents, ratios to 4 places, days and averages to 1."""

    def convert(key: str, value: Any, money_map: bool = False) -> Any:
        if isinstance(value, dict):
            money = key == "forecast"
            return {k: convert(k, v, money) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(key, v) for v in value]
        if isinstance(value, Decimal):
            if money_map or key in _MONEY_KEYS:
                return _round(value, 2)
            if key in _DAY_KEYS:
                return _round(value, 1)
            return _round(value, 4)
        return value

    return {k: convert(k, v) for k, v in figures.items()}
