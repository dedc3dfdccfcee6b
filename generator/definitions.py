"""How each figure is counted, in plain words: one list feeds the tiles' hover text and the
metrics page, so the two can never disagree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Definition:
    key: str
    label: str
    formula: str  # short, shown on hover
    words: str  # a sentence or two for the metrics page


DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "open_value",
        "Open pipeline",
        "Σ value of open deals",
        "Every deal in an open stage today, whatever the period, at its value converted "
        "to the base currency. A deal without a value counts 0.",
    ),
    Definition(
        "weighted_value",
        "Weighted pipeline",
        "Σ value × probability of open deals",
        "Each open deal's value times its probability: the deal's own 'probability' when "
        "it sets one, otherwise its stage's.",
    ),
    Definition(
        "won_value",
        "Won this period",
        "Σ value of won deals with closed in the period",
        "Won deals whose 'closed' date falls in the period.",
    ),
    Definition(
        "win_rate",
        "Win rate",
        "won ÷ (won + lost), closed in the period",
        "Of the deals closed in the period, the share that were won. Benchmarks: under 16 % "
        "is below typical, 16–30 % typical, 30–40 % strong, 40 % and up elite.",
    ),
    Definition(
        "proposal_win_rate",
        "Proposal win rate",
        "won ÷ proposals sent in the period",
        "Of the deals that reached the proposal stage during the period, the share that are "
        "won today.",
    ),
    Definition(
        "avg_deal_size",
        "Average deal size",
        "won value ÷ won deals, in the period",
        "The mean value of the deals won in the period.",
    ),
    Definition(
        "avg_sales_cycle_days",
        "Sales cycle",
        "mean of (closed − created) over won deals",
        "How many days the deals won in the period took from entering the pipeline to "
        "closing, on average.",
    ),
    Definition(
        "avg_proposal_to_win_days",
        "Proposal to win",
        "mean of (closed − proposal date) over won deals",
        "For the deals won in the period, the mean number of days from entering the "
        "proposal stage to closing. A deal that skipped the stage entered it on the day it "
        "jumped past it.",
    ),
    Definition(
        "sales_velocity_per_day",
        "Sales velocity",
        "open deals × average deal size × win rate ÷ sales cycle",
        "The revenue the pipeline produces per day at the current pace.",
    ),
    Definition(
        "qualified_leads",
        "Qualified leads",
        "deals that entered the qualified stage in the period",
        "Deals that reached the stage marked 'milestone: qualified', counted when they "
        "entered it (its date in stage_dates, or when they moved past it, or created).",
    ),
    Definition(
        "proposals_sent",
        "Proposals sent",
        "deals that entered the proposal stage in the period",
        "The same count for the stage marked 'milestone: proposal'.",
    ),
    Definition(
        "remaining_quota",
        "Quota left",
        "max(quota − won value, 0)",
        "How much revenue is still missing to reach the period's quota.",
    ),
    Definition(
        "coverage",
        "Pipeline coverage",
        "open pipeline ÷ quota left",
        "How many times the open pipeline covers the quota still to win. Below 3× is thin, "
        "3–4× healthy (the usual rule), above 4× ample.",
    ),
    Definition(
        "weighted_coverage",
        "Weighted coverage",
        "weighted pipeline ÷ quota left",
        "The same with each deal weighted by its probability; 1× means the expected "
        "revenue just meets the quota.",
    ),
    Definition(
        "touches",
        "Follow-up touches",
        "mean touches per deal closed in the period",
        "For the deals won and lost in the period: the mean number of logged touches, and "
        "the share of deals that took more than 5.",
    ),
    Definition(
        "stalled",
        "Stalled",
        "days since last activity > the stage's stall_after_days",
        "An open deal with no activity (created, stage entered, or a touch) for longer "
        "than its stage allows.",
    ),
    Definition(
        "leak_stage",
        "Leaking stage",
        "the open stage with the lowest conversion",
        "Conversion of a stage = deals that reached the next stage ÷ deals that reached it "
        "and are no longer sitting in it. All deals count, not only the period's.",
    ),
    Definition(
        "balance",
        "Top-heavy pipeline",
        "open deals before the proposal stage ÷ open deals from it on > 3",
        "Many early leads and few proposals: the pipeline is top-heavy and will close little soon.",
    ),
)

BY_KEY = {d.key: d for d in DEFINITIONS}
