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
from typing import TYPE_CHECKING, Any

from .formatting import day, money, month, percent, short_money

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from .metrics import Metrics
    from .model import Config

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
BLUE, SKY, ORANGE, VERMILION, GREY = "#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#9A9A9A"
INK, MUTED = "#333333", "#666666"
WIDTH, HEIGHT = 6.4, 3.6  # inches; bbox_inches="tight" trims the margins
MAX_BARS = 12  # beyond this a horizontal bar chart groups the rest as "Other"
EMPTY = "No data yet"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()

STYLE: dict[str, Any] = {
    "svg.hashsalt": "dealbook",  # element ids from a fixed salt, not a random uuid
    "svg.fonttype": "none",  # text stays <text>: small files, the viewer's fonts
    "svg.id": None,
    # DejaVu Sans ships with matplotlib, so text is measured the same on every machine;
    # the names after it are what a browser falls back to.
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial", "Liberation Sans"],
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titlelocation": "left",
    "axes.titlecolor": INK,
    "axes.labelsize": 10,
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
    "legend.fontsize": 9,
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


def render_charts(metrics: Metrics, config: Config) -> list[Chart]:
    ctx = _Context(metrics, config)
    return [build(ctx) for build in (_stage_value, _funnel, _forecast, _won_by_month,
                                      _loss_reasons, _by_source)]


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
    title = "Open pipeline by stage"
    stages = ctx.figures.get("stages") or []
    names = [ctx.label(s["id"]) for s in stages]
    value = [Decimal(s["value"]) for s in stages]
    weighted = [Decimal(s["weighted_value"]) for s in stages]
    rows = [[n, _count(s["count"]), ctx.money(v), ctx.money(w)]
            for n, s, v, w in zip(names, stages, value, weighted, strict=True)]
    columns = ["Stage", "Deals", "Open value", "Weighted value"]
    total, total_w = sum(value, Decimal(0)), sum(weighted, Decimal(0))
    count = sum(s["count"] for s in stages)
    note = "" if not count or total else f"{_count(count)} open deals, none with a value yet"

    def draw(fig: Figure, ax: Axes) -> None:
        y = list(range(len(names)))
        bars = ax.barh([i - 0.2 for i in y], _floats(value), 0.38, color=BLUE,
                       label="Open value")
        wbars = ax.barh([i + 0.2 for i in y], _floats(weighted), 0.38, color=SKY,
                        label="Weighted value (value × probability)")
        ax.bar_label(bars, [ctx.short(v) for v in value], padding=3, fontsize=9)
        ax.bar_label(wbars, [ctx.short(v) for v in weighted], padding=3, fontsize=9)
        _category_axis(ax, "y", names)
        _money_axis(ax, "x", f"Value ({ctx.currency})", max(value + weighted))
        _legend_on_top(ax, ncols=2)

    svg = _render(title, draw, empty=not total, rows=len(names), per_row=0.55)
    alt = (f"Open deals are worth {ctx.money(total)} ({ctx.money(total_w)} weighted by "
           f"probability): " + _listing(f"{n} {ctx.money(v)}" for n, v in zip(names, value))
           + "." if total else f"No open deal has a value yet. {note}".strip())
    return Chart("stage-value", title, alt, svg, columns, rows, note)


def _funnel(ctx: _Context) -> Chart:
    title = "Conversion by stage"
    funnel = ctx.figures.get("funnel") or []
    names = [ctx.label(f["stage"]) for f in funnel]
    conv = [f["conversion"] for f in funnel]
    leak = ctx.figures.get("leak_stage")
    rows = [[n, _count(f["reached"]), _count(f["sitting"]), _count(f["advanced"]),
             percent(f["conversion"])] for n, f in zip(names, funnel, strict=True)]
    columns = ["Stage", "Reached", "Sitting", "Advanced", "Conversion"]
    leak_row = next((f for f in funnel if f["stage"] == leak), None)
    note = ""
    if leak_row is not None:
        note = (f"Leak stage: {ctx.label(leak)} (lowest conversion, "
                f"{percent(leak_row['conversion'])})")

    def draw(fig: Figure, ax: Axes) -> None:
        y = [i for i, c in enumerate(conv) if c is not None]
        rates = [float(conv[i]) * 100 for i in y]
        colours = [VERMILION if funnel[i]["stage"] == leak else BLUE for i in y]
        bars = ax.barh(y, rates, 0.6, color=colours)
        labels = [percent(conv[i]) + ("  leak" if funnel[i]["stage"] == leak else "") for i in y]
        ax.bar_label(bars, labels, padding=3, fontsize=9)
        for i, c in enumerate(conv):
            if c is None:  # nothing has left this stage yet: no bar, a dash
                ax.text(1, i, "–", va="center", color=MUTED, fontsize=9)
        _category_axis(ax, "y", names)
        _percent_axis(ax, "x", "Deals that moved on (%)")

    svg = _render(title, draw, empty=not any(c is not None for c in conv), rows=len(names),
                  per_row=0.4)
    shown = [f"{n} {percent(c)}" for n, c in zip(names, conv, strict=True) if c is not None]
    alt = (f"Share of deals that moved on from each stage: {_listing(shown)}."
           + (f" {ctx.label(leak)} converts worst, so the pipeline leaks most there."
              if leak_row is not None else "") if shown else
           "No deal has moved on from or closed out of any stage yet.")
    return Chart("funnel", title, alt, svg, columns, rows, note)


def _forecast(ctx: _Context) -> Chart:
    title = "Weighted forecast by expected close"
    forecast: dict[str, Decimal] = ctx.figures.get("forecast") or {}
    keys = _fill_months([k for k in forecast if k != "unscheduled"])
    if "unscheduled" in forecast:
        keys.append("unscheduled")
    values = [Decimal(forecast.get(k, 0)) for k in keys]
    shown = [month(k) if k != "unscheduled" else "Unscheduled" for k in keys]
    rows = [[s, ctx.money(v)] for s, v in zip(shown, values, strict=True)]
    columns = ["Expected close", "Weighted value"]
    as_of_month = str(ctx.figures.get("as_of", ""))[:7]
    past = [k for k in keys if k != "unscheduled" and k < as_of_month and forecast.get(k)]
    note = (f"Months before {month(as_of_month)} hold deals past their expected close"
            if past else "")

    def draw(fig: Figure, ax: Axes) -> None:
        x = list(range(len(keys)))
        colours = [GREY if k == "unscheduled" else BLUE for k in keys]
        bars = ax.bar(x, _floats(values), 0.7, color=colours)
        if keys[-1] == "unscheduled":
            bars[-1].set_hatch("///")
        if len(keys) <= MAX_BARS:
            ax.bar_label(bars, [ctx.short(v) if v else "" for v in values], padding=2,
                         fontsize=9)
        ax.set_xticks(x, _month_labels(keys))
        ax.grid(axis="x", visible=False)
        ax.tick_params(axis="x", length=0)
        _money_axis(ax, "y", f"Weighted value ({ctx.currency})", max(values))
        ax.set_xlabel("Month of expected close")

    total = sum(values, Decimal(0))
    svg = _render(title, draw, empty=not total)
    alt = (f"Open deals weighted by probability, {ctx.money(total)} in all, by expected close: "
           + _listing(f"{s} {ctx.money(v)}" for s, v in zip(shown, values) if v) + "."
           if total else "No open deal has a weighted value yet.")
    return Chart("forecast", title, alt, svg, columns, rows, note)


def _won_by_month(ctx: _Context) -> Chart:
    title = "Won value and win rate by month"
    monthly = ctx.monthly
    keys = [r["month"] for r in monthly]
    won = [Decimal(r["won_value"]) for r in monthly]
    rates = [r["win_rate"] for r in monthly]
    rows = [[month(r["month"]), _count(r["won_count"]), _count(r["lost_count"]),
             ctx.money(r["won_value"]), percent(r["win_rate"])] for r in monthly]
    columns = ["Month", "Won", "Lost", "Won value", "Win rate"]

    def draw(fig: Figure, ax: Axes) -> None:
        x = list(range(len(keys)))
        ax.bar(x, _floats(won), 0.7, color=BLUE, label=f"Won value ({ctx.currency})")
        ax.set_xticks(x, _month_labels(keys))
        ax.grid(axis="x", visible=False)
        ax.tick_params(axis="x", length=0)
        _money_axis(ax, "y", f"Won value ({ctx.currency})", max(won))
        ax2 = ax.twinx()
        ax2.spines[["top", "right"]].set_visible(False)
        ax2.grid(False)
        ax2.plot(x, [float(r) * 100 if r is not None else float("nan") for r in rates],
                 color=ORANGE, marker="o", markersize=4, linewidth=1.8, label="Win rate (%)")
        _percent_axis(ax2, "y", "Win rate (%)", grid=False)
        handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
        _legend_on_top(ax, ncols=2, handles=handles)

    closed = sum(r["won_count"] + r["lost_count"] for r in monthly)
    svg = _render(title, draw, empty=not closed)
    won_count = sum(r["won_count"] for r in monthly)
    alt = (f"From {month(keys[0])} to {month(keys[-1])}, {_count(won_count)} of "
           f"{_count(closed)} closed deals were won, worth {ctx.money(sum(won, Decimal(0)))}; "
           f"the best month was {_best_month(monthly, ctx)}." if closed else
           "No deal has closed in these months yet.")
    return Chart("won-by-month", title, alt, svg, columns, rows)


def _loss_reasons(ctx: _Context) -> Chart:
    title = "Why deals were lost"
    reasons: dict[str, int] = ctx.figures.get("loss_reasons") or {}
    ordered = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    total = sum(reasons.values())
    names = [r or "(no reason given)" for r, _ in ordered]
    counts = [n for _, n in ordered]
    rows = [[r, _count(n), percent(Decimal(n) / total)] for r, n in zip(names, counts)]
    columns = ["Reason", "Lost deals", "Share"]
    note = f"Deals lost {ctx.period}"
    bars_names, bars_counts = _top(names, counts, "reasons")

    def draw(fig: Figure, ax: Axes) -> None:
        bars = ax.barh(range(len(bars_names)), bars_counts, 0.6, color=BLUE)
        ax.bar_label(bars, [_count(n) for n in bars_counts], padding=3, fontsize=9)
        _category_axis(ax, "y", bars_names)
        _count_axis(ax, "x", "Lost deals", max(bars_counts))

    svg = _render(title, draw, empty=not total, rows=len(bars_names), per_row=0.34)
    alt = (f"{_count(total)} deals lost in the period, by reason: "
           + _listing(f"{r} {n}" for r, n in zip(names, counts)) + "."
           if total else "No deal was lost in the period.")
    return Chart("loss-reasons", title, alt, svg, columns, rows, note)


def _by_source(ctx: _Context) -> Chart:
    title = "Win rate by source"
    sources: dict[str, dict[str, Any]] = ctx.figures.get("by_source") or {}

    def closed(g: dict[str, Any]) -> int:
        return int(g["won_count"]) + int(g["lost_count"])

    rated = sorted((kv for kv in sources.items() if closed(kv[1])),
                   key=lambda kv: (-kv[1]["win_rate"], -closed(kv[1]), kv[0]))
    unrated = sorted(k for k, g in sources.items() if not closed(g))
    rows = [[k, _count(g["won_count"]), _count(g["lost_count"]), percent(g["win_rate"]),
             ctx.money(g["won_value"])] for k, g in rated]
    rows += [[k, "0", "0", "–", ctx.money(sources[k]["won_value"])] for k in unrated]
    columns = ["Source", "Won", "Lost", "Win rate", "Won value"]
    notes = [f"Deals closed {ctx.period}"]
    charted = rated
    if len(rated) > MAX_BARS:
        keep = {k for k, _ in sorted(rated, key=lambda kv: (-closed(kv[1]), kv[0]))[:MAX_BARS]}
        charted = [kv for kv in rated if kv[0] in keep]
        notes.append(f"chart shows the {MAX_BARS} sources with most closed deals")
    if unrated:
        notes.append("no closed deals yet: " + ", ".join(unrated))
    note = "; ".join(notes)

    def draw(fig: Figure, ax: Axes) -> None:
        rates = [float(g["win_rate"]) * 100 for _, g in charted]
        bars = ax.barh(range(len(charted)), rates, 0.6, color=BLUE)
        labels = [f"{percent(g['win_rate'])}  ({g['won_count']:,}/{closed(g):,} won)"
                  for _, g in charted]
        ax.bar_label(bars, labels, padding=3, fontsize=9)
        _category_axis(ax, "y", [k for k, _ in charted])
        _percent_axis(ax, "x", "Win rate (%)", room=1.3)

    svg = _render(title, draw, empty=not charted, rows=len(charted), per_row=0.34)
    alt = ("Share of closed deals won, by where the deal came from: "
           + _listing(f"{k} {percent(g['win_rate'])} ({g['won_count']:,} of {closed(g):,})"
                      for k, g in rated) + "."
           if rated else "No deal from any source has closed in the period yet.")
    return Chart("win-rate-by-source", title, alt, svg, columns, rows, note)


# -- drawing helpers ---------------------------------------------------------------------------


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl
    import matplotlib.style

    # "default" first, so a user's matplotlibrc cannot change the output.
    with matplotlib.style.context("default"), mpl.rc_context(STYLE):
        yield


def _render(title: str, draw: Callable[[Figure, Axes], None], empty: bool,
            rows: int = 0, per_row: float = 0.0) -> bytes:
    """One figure, drawn by `draw` (or the empty state), saved as reproducible SVG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    height = HEIGHT if empty else max(HEIGHT, 1.3 + per_row * rows)
    with _style():
        fig = Figure(figsize=(WIDTH, height), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if empty:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.spines[:].set_visible(False)
            ax.text(0.5, 0.5, EMPTY, transform=ax.transAxes, ha="center", va="center",
                    fontsize=12, color=MUTED)
        else:
            draw(fig, ax)
        ax.set_title(title, pad=24 if ax.get_legend() else 8, fontweight="bold")
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08,
                    metadata={"Title": title, "Date": None, "Creator": None})
    return buf.getvalue()


def _category_axis(ax: Axes, axis: str, names: Sequence[str]) -> None:
    """Category labels on the y axis, first on top, long names wrapped."""
    ax.set_yticks(range(len(names)), [_wrap(n) for n in names])
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)


def _money_axis(ax: Axes, axis: str, label: str, top: Decimal) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MaxNLocator(5, steps=[1, 2, 2.5, 5, 10]))
    target.set_major_formatter(FuncFormatter(lambda v, _: short_money(round(v, 6))))
    limit = (0, float(top) * (1.2 if axis == "x" else 1.12) or 1)
    ax.set_xlim(*limit) if axis == "x" else ax.set_ylim(*limit)
    ax.set_xlabel(label) if axis == "x" else ax.set_ylabel(label)


def _percent_axis(ax: Axes, axis: str, label: str, grid: bool = True,
                  room: float = 1.18) -> None:
    from matplotlib.ticker import FuncFormatter, MultipleLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(MultipleLocator(25))
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    if axis == "x":  # room on the right for the bar labels; ticks stop at 100 %
        ax.set_xlim(0, 100 * room)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel(label)
    else:
        ax.set_ylim(0, 105)
        ax.set_ylabel(label)


def _count_axis(ax: Axes, axis: str, label: str, top: int) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_xlim(0, max(top, 1) * 1.15)
    ax.set_xlabel(label)


def _legend_on_top(ax: Axes, ncols: int, handles: list[Any] | None = None) -> None:
    kwargs: dict[str, Any] = {"handles": handles} if handles else {}
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=ncols, borderaxespad=0.2,
              handlelength=1.2, columnspacing=1.2, **kwargs)


def _month_labels(keys: Sequence[str]) -> list[str]:
    """'Nov' under each bar, the year under the first month and every January; with many
    months only every n-th is labelled so the labels never touch."""
    step = 1 if len(keys) <= 16 else -(-len(keys) // 12)
    labels, year = [], ""
    for i, k in enumerate(keys):
        if k == "unscheduled":
            labels.append("No\ndate")
        elif i % step:
            labels.append("")
        else:
            labels.append(MONTHS[int(k[5:]) - 1] + (f"\n{k[:4]}" if k[:4] != year else ""))
            year = k[:4]
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
    return ([*names[:MAX_BARS - 1], f"Other ({rest} {what})"],
            [*counts[:MAX_BARS - 1], sum(counts[MAX_BARS - 1:])])


# -- text helpers ------------------------------------------------------------------------------


def _wrap(text: str, width: int = 18) -> str:
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


def _best_month(monthly: list[dict[str, Any]], ctx: _Context) -> str:
    best = max(monthly, key=lambda r: (r["won_value"], r["month"]))
    return f"{month(best['month'])} ({ctx.money(best['won_value'])} won)"
