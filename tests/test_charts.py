"""The charts: the numbers behind each one (worked out by hand from eight deals), the leak
stage, empty pipelines, and SVG that is valid, titled, dateless and the same on every run.

No pixels and no stored SVG: the data tables carry the numbers, the SVG is checked by its text.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from generator.charts import EMPTY, Chart, render_charts
from generator.metrics import Metrics, compute
from generator.model import Config, Deal, Period, Stage

SVG = "{http://www.w3.org/2000/svg}"
AS_OF = date(2026, 11, 20)
NAMES = ["stage-value", "funnel", "forecast", "won-by-month", "loss-reasons", "win-rate-by-source"]

STAGES = (
    Stage("lead", "Lead", Decimal("0.1"), 14),
    Stage("proposal", "Proposal sent", Decimal("0.5"), 10, milestone="proposal"),
    Stage("negotiation", "Negotiation", Decimal("0.75"), 7),
    Stage("won", "Closed won", Decimal(1), 14, outcome="won"),
    Stage("lost", "Closed lost", Decimal(0), 14, outcome="lost"),
)
CONFIG = Config(currency="USD", as_of=AS_OF, period="quarter", stages=STAGES)


def deal(id: str, stage: str, created: date, value: int | None = None, **kw: Any) -> Deal:
    base = None if value is None else Decimal(value)
    return Deal(id, f"deals/{id}.md", id, stage, created, value=base, base_value=base, **kw)


# The quarter is 1 Oct - 31 Dec 2026. Furthest stages: a lead, b proposal, c negotiation,
# d won (negotiation), e proposal, f lead, g lead (no lost_at, no dates), h proposal.
DEALS = [
    deal("a", "lead", date(2026, 10, 1), 1000, expected_close=date(2026, 12, 15), source="events"),
    deal("b", "proposal", date(2026, 9, 1), 4000, source="web"),
    deal(
        "c",
        "negotiation",
        date(2026, 8, 1),
        10000,
        probability=Decimal("0.9"),
        expected_close=date(2026, 11, 30),
        source="referral",
    ),
    deal("d", "won", date(2026, 7, 1), 5000, closed=date(2026, 10, 15), source="referral"),
    deal(
        "e",
        "lost",
        date(2026, 7, 5),
        2000,
        closed=date(2026, 11, 2),
        lost_at="proposal",
        lost_reason=" Budget ",
        source="web",
    ),
    deal(
        "f",
        "lost",
        date(2026, 9, 1),
        closed=date(2026, 10, 20),
        lost_at="lead",
        lost_reason="budget",
        source="referral",
    ),
    deal("g", "lost", date(2026, 10, 2), closed=date(2026, 11, 10), lost_reason="went quiet"),
    deal(
        "h",
        "lost",
        date(2026, 6, 1),
        closed=date(2026, 9, 15),
        lost_at="proposal",
        lost_reason="price",
        source="web",
    ),
]


@pytest.fixture(scope="module")
def charts() -> dict[str, Chart]:
    rendered = render_charts(compute(DEALS, CONFIG, AS_OF), CONFIG)
    assert [c.name for c in rendered] == NAMES
    return {c.name: c for c in rendered}


def texts(svg: bytes) -> list[str]:
    """Every piece of text drawn in the SVG (text stays text: svg.fonttype is 'none')."""
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_stage_value_table(charts: dict[str, Chart]) -> None:
    c = charts["stage-value"]
    assert c.columns == ["Stage", "Deals", "Open value", "Weighted value"]
    assert c.rows == [
        ["Lead", "1", "$1,000", "$100"],
        ["Proposal sent", "1", "$4,000", "$2,000"],
        ["Negotiation", "1", "$10,000", "$9,000"],  # the deal's own probability, 0.9
    ]
    assert "$15,000" in c.alt and "$11,100" in c.alt
    # amounts on the bars, as literal dollars (not mathtext)
    assert {"$1k", "$100", "$4k", "$2k", "$10k", "$9k"} <= set(texts(c.svg))


def test_funnel_table_and_leak_stage(charts: dict[str, Chart]) -> None:
    c = charts["funnel"]
    assert c.columns == ["Stage", "Reached", "Sitting", "Advanced", "Conversion"]
    assert c.rows == [
        ["Lead", "8", "1", "5", "71%"],  # 5 / (8 - 1)
        ["Proposal sent", "5", "1", "2", "50%"],  # 2 / (5 - 1): the lowest
        ["Negotiation", "2", "1", "1", "100%"],  # won deals / (2 - 1)
    ]
    assert c.note == "Leak stage: Proposal sent (lowest conversion, 50%)"
    assert "Proposal sent converts worst" in c.alt
    assert "50%  leak" in texts(c.svg)
    assert c.svg.lower().count(b"fill: #d55e00") == 1  # one bar in the warning colour


def test_funnel_null_conversion_has_dash_and_no_bar() -> None:
    figures = {
        "funnel": [
            {"stage": "lead", "reached": 4, "sitting": 1, "advanced": 3, "conversion": Decimal(1)},
            {"stage": "proposal", "reached": 3, "sitting": 3, "advanced": 0, "conversion": None},
        ],
        "leak_stage": "lead",
    }
    c = _render_figures(figures)["funnel"]
    assert [r[-1] for r in c.rows] == ["100%", "–"]
    assert "–  (all still in this stage)" in texts(c.svg)
    assert c.note == "Leak stage: Lead (lowest conversion, 100%)"


def test_forecast_table(charts: dict[str, Chart]) -> None:
    c = charts["forecast"]
    assert c.columns == ["Expected close", "Weighted value"]
    assert c.rows == [["Nov 2026", "$9,000"], ["Dec 2026", "$100"], ["Unscheduled", "$2,000"]]
    assert "Unscheduled" in texts(c.svg)
    assert c.note == ""  # nothing was expected before November


def test_forecast_fills_missing_months_and_flags_past_ones() -> None:
    forecast = {"2026-09": Decimal(500), "2026-12": Decimal(700)}
    c = _render_figures({"as_of": "2026-11-20", "forecast": forecast})["forecast"]
    assert c.rows == [
        ["Sep 2026", "$500"],
        ["Oct 2026", "$0"],
        ["Nov 2026", "$0"],
        ["Dec 2026", "$700"],
    ]
    assert c.note == "Months before Nov 2026 hold deals past their expected close"


def test_won_by_month_table(charts: dict[str, Chart]) -> None:
    c = charts["won-by-month"]
    assert c.columns == ["Month", "Won", "Lost", "Won value", "Win rate"]
    assert len(c.rows) == 12
    assert c.rows[0] == ["Dec 2025", "0", "0", "$0", "–"]
    assert c.rows[-3:] == [
        ["Sep 2026", "0", "1", "$0", "0%"],
        ["Oct 2026", "1", "1", "$5,000", "50%"],
        ["Nov 2026", "0", "2", "$0", "0%"],
    ]
    assert "1 of 5 closed deals were won" in c.alt


def test_loss_reasons_table(charts: dict[str, Chart]) -> None:
    c = charts["loss-reasons"]
    assert c.columns == ["Reason", "Lost deals", "Share"]
    # " Budget " and "budget" are one reason; "price" was lost in September, before the period
    assert c.rows == [["budget", "2", "67%"], ["went quiet", "1", "33%"]]
    assert c.note == "Deals lost 1 Oct 2026 – 31 Dec 2026"


def test_many_loss_reasons_group_the_tail_in_the_chart_only() -> None:
    reasons = {f"reason {i:02d}": 30 - i for i in range(20)}
    c = _render_figures({"loss_reasons": reasons})["loss-reasons"]
    assert len(c.rows) == 20 and c.rows[0] == ["reason 00", "30", "7%"]  # 30 of 410
    assert "Other (9 reasons)" in texts(c.svg)
    assert "reason 10" in texts(c.svg) and "reason 11" not in texts(c.svg)


def test_win_rate_by_source_table(charts: dict[str, Chart]) -> None:
    c = charts["win-rate-by-source"]
    assert c.columns == ["Source", "Won", "Lost", "Win rate", "Won value"]
    assert c.rows == [
        ["referral", "1", "1", "50%", "$5,000"],
        ["(none)", "0", "1", "0%", "$0"],
        ["web", "0", "1", "0%", "$0"],  # h was lost before the period
        ["events", "0", "0", "–", "$0"],  # open deals only: in the table, not the chart
    ]
    drawn = texts(c.svg)
    assert "50%  (1/2 won)" in drawn and "0%  (0/1 won)" in drawn
    assert "events" not in drawn
    assert "no closed deals yet: events" in c.note


def test_every_svg_is_xml_with_its_title_and_no_date(charts: dict[str, Chart]) -> None:
    for c in charts.values():
        root = ET.fromstring(c.svg)
        assert root.tag == f"{SVG}svg"
        assert c.title in texts(c.svg)
        assert root.find(f"{SVG}title") is not None
        assert b"dc:date" not in c.svg and b"Matplotlib v" not in c.svg
        assert b"<image" not in c.svg  # text stays text, no embedded raster
        assert c.alt.endswith(".") and c.alt[0].isupper()


def test_renders_are_byte_identical(charts: dict[str, Chart]) -> None:
    again = render_charts(compute(DEALS, CONFIG, AS_OF), CONFIG)
    assert [c.svg for c in again] == [charts[n].svg for n in NAMES]


def test_same_bytes_in_another_process_timezone_and_user_config(
    charts: dict[str, Chart], tmp_path: Path
) -> None:
    (tmp_path / "matplotlibrc").write_text("font.size: 22\nsvg.fonttype: path\naxes.grid: False\n")
    env = {
        **os.environ,
        "TZ": "Pacific/Auckland",
        "PYTHONHASHSEED": "12345",
        "SOURCE_DATE_EPOCH": "0",
        "MPLCONFIGDIR": str(tmp_path),
    }
    code = (
        "import hashlib, sys; sys.path.insert(0, 'tests'); import test_charts as t; "
        "from generator.charts import render_charts; from generator.metrics import compute; "
        "cs = render_charts(compute(t.DEALS, t.CONFIG, t.AS_OF), t.CONFIG); "
        "print(' '.join(hashlib.sha256(c.svg).hexdigest() for c in cs)); "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    ).stdout.split("\n")
    assert out[0].split() == [hashlib.sha256(charts[n].svg).hexdigest() for n in NAMES]
    assert out[1] == "False"  # the Figure API only, never pyplot


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = "import sys, generator.charts; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_deals_gives_no_data_yet_everywhere() -> None:
    charts = render_charts(compute([], CONFIG, AS_OF), CONFIG)
    assert [c.name for c in charts] == NAMES
    for c in charts:
        assert EMPTY in texts(c.svg), c.name
        assert c.title in texts(c.svg)
        ET.fromstring(c.svg)
    by_name = {c.name: c for c in charts}
    assert by_name["loss-reasons"].rows == [] and by_name["win-rate-by-source"].rows == []
    assert by_name["stage-value"].rows[0] == ["Lead", "0", "$0", "$0"]


def test_no_figures_at_all_gives_no_data_yet() -> None:
    for c in _render_figures({}).values():
        assert EMPTY in texts(c.svg) and c.rows == []


def test_only_the_empty_chart_says_no_data_yet() -> None:
    won_only = [d for d in DEALS if d.stage != "lost"]
    charts = {c.name: c for c in render_charts(compute(won_only, CONFIG, AS_OF), CONFIG)}
    assert EMPTY in texts(charts["loss-reasons"].svg)
    assert charts["loss-reasons"].alt == "No deal was lost in the period."
    for name in ("stage-value", "funnel", "forecast", "won-by-month", "win-rate-by-source"):
        assert EMPTY not in texts(charts[name].svg), name


def test_open_deals_without_values_say_so() -> None:
    no_values = [replace(d, value=None, base_value=None) for d in DEALS if d.stage == "lead"]
    charts = {c.name: c for c in render_charts(compute(no_values, CONFIG, AS_OF), CONFIG)}
    assert "No open deal has a value yet" in texts(charts["stage-value"].svg)
    assert charts["stage-value"].note == "1 open deal without a value"


def test_other_currency_and_stage_labels_come_from_the_config() -> None:
    config = replace(
        CONFIG, currency="CHF", stages=(replace(STAGES[0], label="Erstkontakt"), *STAGES[1:])
    )
    charts = {c.name: c for c in render_charts(compute(DEALS, config, AS_OF), config)}
    assert charts["stage-value"].rows[0] == ["Erstkontakt", "1", "1,000 CHF", "100 CHF"]
    assert "Value (CHF)" in texts(charts["stage-value"].svg)
    assert "Erstkontakt" in texts(charts["funnel"].svg)


def _render_figures(figures: dict[str, object]) -> dict[str, Chart]:
    period = Period("quarter", date(2026, 10, 1), date(2026, 12, 31))
    metrics = Metrics(AS_OF, period, dict(figures), {}, [])
    return {c.name: c for c in render_charts(metrics, CONFIG)}
