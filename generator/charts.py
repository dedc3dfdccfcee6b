"""Fourth stage: Metrics -> six charts, each an SVG plus the table of the numbers behind it.

matplotlib's Figure API only (Agg canvas, no pyplot state), imported on first use because it
is slow to import. Output is byte-for-byte reproducible: fixed style, hash salt, no date.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from .formatting import day, money, month, percent, short_money
from .parallel import pmap

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .metrics import Metrics
    from .model import Config

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
BLUE, SKY, ORANGE, VERMILION, GREY = "#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#9A9A9A"
INK, MUTED = "#333333", "#666666"
WIDTH, HEIGHT = 6.4, 3.6  # inches; bbox_inches="tight" trims the margins
EMPTY_HEIGHT = 2.0
LABEL_SIZE = 10  # numbers on the bars
MAX_BARS = 12  # beyond this a horizontal bar chart groups the rest as "Other"
EMPTY = "No data yet"
UNSCHEDULED = "unscheduled"
STAGE_VALUE = "Open pipeline by stage"
FUNNEL = "Conversion by stage"
FORECAST = "Weighted forecast by expected close"
WON_BY_MONTH = "Won value and win rate by month"
LOSS_REASONS = "Why deals were lost"
BY_SOURCE = "Win rate by source"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

STYLE: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays <text>: small files, the viewer's fonts
    # DejaVu Sans ships with matplotlib, so text is measured the same on every machine;
    # the names after it are what a browser falls back to.
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "Liberation Sans"],
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.labelsize": 11,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#8A8A8A",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.formatter.use_locale": False,
    "grid.color": "#E2E2E2",
    "grid.linewidth": 0.7,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "text.color": INK,
    "text.parse_math": False,  # "$4.8k" is money, not mathtext
    "text.usetex": False,
    "legend.frameon": False,
    "legend.fontsize": 10,
    "hatch.color": "#FFFFFF",
    "hatch.linewidth": 1.2,
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "path.simplify": True,
}


@dataclass(frozen=True)
class Chart:
    name: str  # file stem: site/charts/<name>.svg
    title: str  # the figure caption on the page
    alt: str  # one or two sentences with the key numbers
    svg: bytes
    columns: list[str]  # header of the data table beside the chart
    rows: list[list[str]]  # the chart's numbers, formatted as the site formats them
    note: str = ""


def _keys(ctx: _Context) -> dict[str, Any]:
    """What each chart shows: equal keys, equal SVG."""
    return {
        name: (inputs(ctx), ctx.currency, tuple(sorted(ctx.labels.items())))
        for name, _, inputs in _CHARTS
    }


def charts_to_draw(
    metrics: Metrics, config: Config, memo: dict[str, tuple[Any, Chart]]
) -> list[str]:
    """The charts whose inputs changed since `memo` was kept."""
    keys = _keys(_Context(metrics, config))
    return [n for n, _, _ in _CHARTS if n not in memo or memo[n][0] != keys[n]]


def render_charts(
    metrics: Metrics,
    config: Config,
    memo: dict[str, tuple[Any, Chart]] | None = None,
    parallel: bool = True,
) -> list[Chart]:
    """The six charts in page order. With `memo` (kept by the caller between builds), a chart
    whose inputs are unchanged is reused instead of drawn again: drawing is the slow part."""
    ctx = _Context(metrics, config)
    keys = _keys(ctx)
    todo = [
        (name, build)
        for name, build, _ in _CHARTS
        if memo is None or name not in memo or memo[name][0] != keys[name]
    ]
    # drawing is the slow part: on a fresh run, each core draws some of the charts
    drawn = dict(
        zip(
            (n for n, _ in todo),
            pmap(lambda job: job[1](ctx), todo, min_items=3 if parallel else len(todo) + 1),
            strict=True,
        )
    )
    charts = []
    for name, _, _ in _CHARTS:
        if name in drawn:
            if memo is not None:
                memo[name] = (keys[name], drawn[name])
            charts.append(drawn[name])
        else:
            assert memo is not None
            charts.append(memo[name][1])
    return charts


class _Context:
    def __init__(self, metrics: Metrics, config: Config) -> None:
        self.figures = metrics.figures
        self.monthly = metrics.monthly
        self.currency = config.currency
        self.labels = {s.id: s.label for s in config.stages}
        self.period = f"{day(metrics.period.start)} – {day(metrics.period.end)}"

    def label(self, stage_id: str) -> str:
        return self.labels.get(stage_id, stage_id)

    def money(self, value: Any) -> str:
        return money(value, self.currency)

    def short(self, value: Any) -> str:
        return short_money(value, self.currency)


# -- the six charts ----------------------------------------------------------------------------


def _stage_value(ctx: _Context) -> Chart:
    stages = ctx.figures.get("stages") or []
    names = [ctx.label(s["id"]) for s in stages]
    value = [Decimal(s["value"]) for s in stages]
    weighted = [Decimal(s["weighted_value"]) for s in stages]
    total, count = sum(value, Decimal(0)), sum(s["count"] for s in stages)
    rows = [
        [n, _count(s["count"]), ctx.money(v), ctx.money(w)]
        for n, s, v, w in zip(names, stages, value, weighted, strict=True)
    ]
    deals = f"{_count(count)} open {'deal' if count == 1 else 'deals'}"
    note = f"{deals} without a value" if count and not total else ""
    alt = (
        f"Open deals are worth {ctx.money(total)} "
        f"({ctx.money(sum(weighted, Decimal(0)))} weighted by probability): "
        + _listing(f"{n} {ctx.money(v)}" for n, v in zip(names, value, strict=True))
        if total
        else note or "There are no open deals"
    )

    def draw(ax: Axes) -> None:
        y = range(len(names))
        for shift, values, colour, label in (
            (-0.2, value, BLUE, "Open value"),
            (0.2, weighted, SKY, "Weighted value (value × probability)"),
        ):
            bars = ax.barh([i + shift for i in y], _floats(values), 0.38, color=colour, label=label)
            ax.bar_label(bars, [ctx.short(v) for v in values], padding=3, fontsize=LABEL_SIZE)
        _category_axis(ax, names)
        _money_axis(ax, "x", f"Value ({ctx.currency})", max(value + weighted))
        _legend_on_top(ax)

    svg = _render(
        "stage-value",
        STAGE_VALUE,
        draw,
        not total,
        len(names),
        0.55,
        "No open deal has a value yet" if count else EMPTY,
    )
    columns = ["Stage", "Deals", "Open value", "Weighted value"]
    return Chart("stage-value", STAGE_VALUE, alt + ".", svg, columns, rows, note)


def _funnel(ctx: _Context) -> Chart:
    funnel = ctx.figures.get("funnel") or []
    names = [ctx.label(f["stage"]) for f in funnel]
    conv = [f["conversion"] for f in funnel]
    leak: str | None = ctx.figures.get("leak_stage")
    rows = [
        [n]
        + [_count(f[k]) for k in ("reached", "sitting", "advanced")]
        + [percent(f["conversion"])]
        for n, f in zip(names, funnel, strict=True)
    ]
    leak_row = next((f for f in funnel if f["stage"] == leak), None)
    note = alt_leak = ""
    if leak_row is not None:
        name = ctx.label(leak_row["stage"])
        note = f"Leak stage: {name} (lowest conversion, {percent(leak_row['conversion'])})"
        alt_leak = f" {name} converts worst, so the pipeline leaks most there."
    shown = [f"{n} {percent(c)}" for n, c in zip(names, conv, strict=True) if c is not None]
    alt = (
        f"Share of deals that moved on from each stage: {_listing(shown)}.{alt_leak}"
        if shown
        else "No deal has moved on from or closed out of any stage yet."
    )

    def draw(ax: Axes) -> None:
        y = [i for i, c in enumerate(conv) if c is not None]
        is_leak = [funnel[i]["stage"] == leak for i in y]
        rates = [float(conv[i]) * 100 for i in y]
        ax.barh(y, rates, 0.6, color=[VERMILION if k else BLUE for k in is_leak])
        _percent_axis(ax, "x", "Deals that moved on (%)")
        labels = [
            percent(conv[i]) + ("  leak" if k else "") for i, k in zip(y, is_leak, strict=True)
        ]
        _hbar_labels(ax, y, rates, labels)
        for i in (i for i, c in enumerate(conv) if c is None):  # all still there: no bar
            _hbar_labels(ax, [i], [0.0], ["–  (all still in this stage)"], colour=MUTED)
        _category_axis(ax, names)

    svg = _render("funnel", FUNNEL, draw, not shown, len(names), 0.4)
    columns = ["Stage", "Reached", "Sitting", "Advanced", "Conversion"]
    return Chart("funnel", FUNNEL, alt, svg, columns, rows, note)


def _forecast(ctx: _Context) -> Chart:
    forecast: dict[str, Decimal] = ctx.figures.get("forecast") or {}
    keys = _fill_months([k for k in forecast if k != UNSCHEDULED])
    keys += [UNSCHEDULED] if UNSCHEDULED in forecast else []
    values = [Decimal(forecast.get(k, 0)) for k in keys]
    shown = ["Unscheduled" if k == UNSCHEDULED else month(k) for k in keys]
    rows = [[s, ctx.money(v)] for s, v in zip(shown, values, strict=True)]
    total = sum(values, Decimal(0))
    now = str(ctx.figures.get("as_of", ""))[:7]
    past = any(k < now and forecast.get(k) for k in keys if k != UNSCHEDULED)
    note = f"Months before {month(now)} hold deals past their expected close" if past else ""
    alt = (
        f"Open deals weighted by probability, {ctx.money(total)} in all, by expected close: "
        + _listing(f"{s} {ctx.money(v)}" for s, v in zip(shown, values, strict=True) if v)
        + "."
        if total
        else "No open deal has a weighted value yet."
    )

    def draw(ax: Axes) -> None:
        x = range(len(keys))
        colours = [GREY if k == UNSCHEDULED else BLUE for k in keys]
        bars = ax.bar(x, _floats(values), 0.7, color=colours)
        if keys[-1] == UNSCHEDULED:
            bars[-1].set_hatch("///")
        if len(keys) <= MAX_BARS:
            labels = [ctx.short(v) if v else "" for v in values]
            ax.bar_label(bars, labels, padding=2, fontsize=LABEL_SIZE)
        _month_axis(ax, keys, "Month of expected close")
        _money_axis(ax, "y", f"Weighted value ({ctx.currency})", max(values))

    no_value = "No open deal has a value yet" if forecast else EMPTY
    svg = _render("forecast", FORECAST, draw, not total, message=no_value)
    return Chart("forecast", FORECAST, alt, svg, ["Expected close", "Weighted value"], rows, note)


def _won_by_month(ctx: _Context) -> Chart:
    monthly = ctx.monthly
    keys = [r["month"] for r in monthly]
    won = [Decimal(r["won_value"]) for r in monthly]
    rates = [r["win_rate"] for r in monthly]
    rows = [
        [
            month(r["month"]),
            _count(r["won_count"]),
            _count(r["lost_count"]),
            ctx.money(r["won_value"]),
            percent(r["win_rate"]),
        ]
        for r in monthly
    ]
    won_count = sum(r["won_count"] for r in monthly)
    closed = won_count + sum(r["lost_count"] for r in monthly)
    alt = "No deal has closed in these months yet."
    if closed:
        best = max(monthly, key=lambda r: (r["won_value"], r["month"]))
        alt = (
            f"From {month(keys[0])} to {month(keys[-1])}, {_count(won_count)} of "
            f"{_count(closed)} closed deals were won, worth {ctx.money(sum(won, Decimal(0)))}"
            + (
                f"; the best month was {month(best['month'])} ({ctx.money(best['won_value'])})."
                if best["won_value"]
                else "."
            )
        )

    def draw(ax: Axes) -> None:
        x = range(len(keys))
        ax.bar(x, _floats(won), 0.7, color=BLUE, label=f"Won value ({ctx.currency})")
        _month_axis(ax, keys, "Month closed")
        _money_axis(ax, "y", f"Won value ({ctx.currency})", max(won))
        ax2 = ax.twinx()
        ax2.spines[["top", "right"]].set_visible(False)
        ax2.grid(False)
        # a month without closed deals has no rate: the line joins the months around it
        rated = [(i, float(r) * 100) for i, r in enumerate(rates) if r is not None]
        ax2.plot(
            *zip(*rated, strict=True),
            color=ORANGE,
            marker="o",
            markersize=4,
            linewidth=1.6,
            label="Win rate (%)",
        )
        _percent_axis(ax2, "y", "Win rate (%)")
        _legend_on_top(ax, ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0])

    svg = _render("won-by-month", WON_BY_MONTH, draw, not closed)
    columns = ["Month", "Won", "Lost", "Won value", "Win rate"]
    return Chart("won-by-month", WON_BY_MONTH, alt, svg, columns, rows)


def _loss_reasons(ctx: _Context) -> Chart:
    reasons: dict[str, int] = ctx.figures.get("loss_reasons") or {}
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    names = [r or "(no reason given)" for r, _ in ordered]
    counts = [n for _, n in ordered]
    total = sum(counts)
    rows = [[r, _count(n), percent(Decimal(n) / total)] for r, n in zip(names, counts, strict=True)]
    alt = (
        f"Deals lost in the period by reason, {_count(total)} in all: "
        + _listing(f"{r} {_count(n)}" for r, n in zip(names, counts, strict=True))
        + "."
        if total
        else "No deal was lost in the period."
    )
    bar_names, bar_counts = _top(names, counts, "reasons")

    def draw(ax: Axes) -> None:
        bars = ax.barh(range(len(bar_names)), bar_counts, 0.6, color=BLUE)
        ax.bar_label(bars, [_count(n) for n in bar_counts], padding=3, fontsize=LABEL_SIZE)
        _category_axis(ax, bar_names)
        _count_axis(ax, "Lost deals", max(bar_counts))

    svg = _render("loss-reasons", LOSS_REASONS, draw, not total, len(bar_names), 0.34)
    columns = ["Reason", "Lost deals", "Share"]
    return Chart("loss-reasons", LOSS_REASONS, alt, svg, columns, rows, f"Deals lost {ctx.period}")


def _by_source(ctx: _Context) -> Chart:
    sources: dict[str, dict[str, Any]] = ctx.figures.get("by_source") or {}

    def closed(g: dict[str, Any]) -> int:
        return int(g["won_count"]) + int(g["lost_count"])

    def ratio(g: dict[str, Any]) -> str:
        return f"{g['won_count']:,}/{closed(g):,}"

    rated = sorted(
        ((k, g) for k, g in sources.items() if closed(g)),
        key=lambda kv: (-kv[1]["win_rate"], -closed(kv[1]), kv[0]),
    )
    unrated = sorted(k for k, g in sources.items() if not closed(g))
    rows = [
        [
            k,
            _count(g["won_count"]),
            _count(g["lost_count"]),
            percent(g["win_rate"]),
            ctx.money(g["won_value"]),
        ]
        for k, g in rated + [(k, sources[k]) for k in unrated]
    ]
    notes = [f"Deals closed {ctx.period}"]
    charted = rated
    if len(rated) > MAX_BARS:
        keep = {k for k, _ in sorted(rated, key=lambda kv: (-closed(kv[1]), kv[0]))[:MAX_BARS]}
        charted = [kv for kv in rated if kv[0] in keep]
        notes.append(f"the chart shows the {MAX_BARS} sources with most closed deals")
    if unrated:
        notes.append("no closed deals yet: " + ", ".join(unrated))
    alt = (
        "Share of closed deals won, by where the deal came from: "
        + _listing(f"{k} {percent(g['win_rate'])} ({ratio(g)} won)" for k, g in rated)
        + "."
        if rated
        else "No deal from any source has closed in the period yet."
    )

    def draw(ax: Axes) -> None:
        y = list(range(len(charted)))
        rates = [float(g["win_rate"]) * 100 for _, g in charted]
        ax.barh(y, rates, 0.6, color=BLUE)
        _category_axis(ax, [k for k, _ in charted])
        _percent_axis(ax, "x", "Win rate (%)")
        labels = [f"{percent(g['win_rate'])}  ({ratio(g)} won)" for _, g in charted]
        _hbar_labels(ax, y, rates, labels)

    svg = _render("win-rate-by-source", BY_SOURCE, draw, not charted, len(charted), 0.34)
    columns = ["Source", "Won", "Lost", "Win rate", "Won value"]
    return Chart("win-rate-by-source", BY_SOURCE, alt, svg, columns, rows, "; ".join(notes))


# -- drawing helpers ---------------------------------------------------------------------------


# Each chart with exactly the figures it reads: equal inputs give an equal chart.
_CHARTS: tuple[tuple[str, Callable[[_Context], Chart], Callable[[_Context], Any]], ...] = (
    ("stage-value", _stage_value, lambda c: c.figures.get("stages")),
    ("funnel", _funnel, lambda c: (c.figures.get("funnel"), c.figures.get("leak_stage"))),
    ("forecast", _forecast, lambda c: (c.figures.get("forecast"), str(c.figures.get("as_of")))),
    ("won-by-month", _won_by_month, lambda c: c.monthly),
    ("loss-reasons", _loss_reasons, lambda c: (c.figures.get("loss_reasons"), c.period)),
    ("win-rate-by-source", _by_source, lambda c: (c.figures.get("by_source"), c.period)),
)
CHART_NAMES = tuple(name for name, _, _ in _CHARTS)


@contextmanager
def _style(name: str) -> Iterator[None]:
    import matplotlib as mpl
    import matplotlib.style

    # Ids come from a fixed salt instead of a random uuid, one per chart so that charts
    # inlined in the same page never share an id.
    rc = {**STYLE, "svg.hashsalt": f"dealbook-{name}"}
    # "default" first, so a user's matplotlibrc cannot change the output.
    with matplotlib.style.context("default"), mpl.rc_context(cast(Any, rc)):
        yield


def _render(
    name: str,
    title: str,
    draw: Callable[[Axes], None],
    empty: bool,
    rows: int = 0,
    per_row: float = 0.0,
    message: str = EMPTY,
) -> bytes:
    """One figure drawn by `draw` (or the empty state), saved as reproducible SVG; horizontal
    bar charts pass their number of rows so that many bars make a taller figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with _style(name):
        fig = Figure(
            figsize=(WIDTH, EMPTY_HEIGHT if empty else max(HEIGHT, 1.3 + per_row * rows)),
            layout="constrained",
        )
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if empty:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.spines[:].set_visible(False)
            ax.text(
                0.5,
                0.5,
                message,
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=12,
                color=MUTED,
            )
        else:
            draw(ax)
        ax.set_title(title, pad=24 if ax.get_legend() else 8, fontweight="bold")
        buf = io.BytesIO()
        # Date None: no timestamp; Creator None: no matplotlib version in the file either
        fig.savefig(
            buf,
            format="svg",
            bbox_inches="tight",
            pad_inches=0.08,
            metadata={"Title": title, "Date": None, "Creator": None},
        )
    return buf.getvalue()


def _category_axis(ax: Axes, names: Sequence[str]) -> None:
    """Category labels on the y axis, first on top, long names wrapped; one or two bars
    keep the thickness they would have among four rather than filling the plot."""
    ax.set_yticks(range(len(names)), [_wrap(n) for n in names])
    pad = max(0, 4 - len(names)) / 2
    ax.set_ylim(len(names) - 0.5 + pad, -0.5 - pad)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)


def _month_axis(ax: Axes, keys: Sequence[str], label: str) -> None:
    ax.set_xticks(range(len(keys)), _month_labels(keys))
    ax.grid(axis="x", visible=False)
    ax.tick_params(axis="x", length=0)
    ax.set_xlabel(label)


def _money_axis(ax: Axes, axis: str, label: str, top: Decimal) -> None:
    """Ticks as 0 / 10k / 1.5M (the currency is in the axis label); room above the top bar
    for its label."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _: short_money(round(v, 6))))
    if axis == "x":
        ax.set_xlim(0, float(top) * 1.2 or 1)
        ax.set_xlabel(label)
    else:
        ax.set_ylim(0, float(top) * 1.12 or 1)
        ax.set_ylabel(label)


def _percent_axis(ax: Axes, axis: str, label: str) -> None:
    from matplotlib.ticker import FuncFormatter

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    if axis == "x":  # room on the right for the bar labels; ticks stop at 100 %
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel(label)
    else:
        ax.set_ylim(0, 105)
        ax.set_yticks([0, 25, 50, 75, 100])
        ax.set_ylabel(label)


def _count_axis(ax: Axes, label: str, top: int) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlim(0, max(top, 1) * 1.15)
    ax.set_xlabel(label)


def _hbar_labels(
    ax: Axes, y: Sequence[int], values: Sequence[float], labels: Sequence[str], colour: str = INK
) -> None:
    """A label at the end of each bar, inside it (white) when it would not fit outside."""
    right = ax.get_xlim()[1]
    for yi, v, text in zip(y, values, labels, strict=True):
        inside = v > 0.62 * right
        ax.annotate(
            text,
            (v, yi),
            xytext=(-4 if inside else 3, 0),
            textcoords="offset points",
            ha="right" if inside else "left",
            va="center",
            fontsize=LABEL_SIZE,
            color="white" if inside else colour,
        )


def _legend_on_top(ax: Axes, handles: list[Any] | None = None) -> None:
    """Between the title and the plot, where it cannot cover a bar."""
    kwargs: dict[str, Any] = {"handles": handles} if handles else {}
    ax.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=2,
        borderaxespad=0.2,
        handlelength=1.2,
        columnspacing=1.2,
        **kwargs,
    )


def _month_labels(keys: Sequence[str]) -> list[str]:
    """'Nov' under each bar and the year under the first month of each year; past 12 bars
    only every n-th month is labelled so the labels never crowd."""
    months = [k for k in keys if k != "unscheduled"]
    step = 1 if len(keys) <= 12 else -(-len(keys) // 12)
    shown = list(range(0, len(months), step))
    labels = [""] * len(months)
    year = ""
    for n, i in enumerate(shown):
        k = months[i]
        # the first label leaves the year to a January right after it: "Dec  Jan 2026"
        next_new_year = n + 1 < len(shown) and months[shown[n + 1]][:4] != k[:4]
        labels[i] = MONTHS[int(k[5:]) - 1]
        if k[:4] != year and not (n == 0 and next_new_year):
            labels[i] += f"\n{k[:4]}"
        year = k[:4]
    if len(months) < len(keys):
        labels.append("Unscheduled" if len(keys) <= 8 else "No\ndate")
    return labels


def _fill_months(keys: list[str]) -> list[str]:
    """The months between the first and last key, so the bars keep calendar spacing
    (only for spans up to two years: a stray far-off date should not make 100 bars)."""
    if not keys:
        return []
    keys = sorted(keys)
    y, m = int(keys[0][:4]), int(keys[0][5:])
    end = (int(keys[-1][:4]), int(keys[-1][5:]))
    if (end[0] - y) * 12 + end[1] - m >= 24:
        return keys
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _top(names: list[str], counts: list[int], what: str) -> tuple[list[str], list[int]]:
    if len(names) <= MAX_BARS:
        return names, counts
    rest = len(names) - MAX_BARS + 1
    return (
        [*names[: MAX_BARS - 1], f"Other ({rest} {what})"],
        [*counts[: MAX_BARS - 1], sum(counts[MAX_BARS - 1 :])],
    )


# -- text helpers ------------------------------------------------------------------------------


def _wrap(text: str, width: int = 22) -> str:
    return "\n".join(textwrap.wrap(text, width, max_lines=2, placeholder="…")) or text


def _count(n: int) -> str:
    return f"{n:,}"


def _floats(values: Sequence[Decimal]) -> list[float]:
    return [float(v) for v in values]


def _listing(items: Any, limit: int = 6) -> str:
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    return ", ".join(items)
