"""Fifth stage: pages from plain values, through Jinja2 (autoescape on, StrictUndefined).

Everything a deal file says reaches HTML either escaped by Jinja or, for the Markdown
notes, rendered and then cleaned by the nh3 sanitiser. Links are relative, so the site
works at `/`, under a sub-path, and opened from disk.
"""

from __future__ import annotations

import functools
import heapq
import json
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from . import formatting as fmt
from .charts import Chart
from .definitions import BY_KEY, DEFINITIONS
from .links import deal_url, edit_url, root_prefix, stage_url
from .metrics import DealFacts, Metrics, to_json
from .model import Config, Deal, DealFile, Problem
from .notes import notes_html
from .theme import FLAG_LABELS, environment

NAV = (
    ("index.html", "Dashboard", "index"),
    ("board.html", "Board", "board"),
    ("review.html", "Weekly review", "review"),
    ("problems.html", "Problems", "problems"),
    ("metrics.html", "How we count", "metrics"),
)
ALERT_LIMIT = 10  # deals listed under each dashboard alert
BOARD_LIMIT = 60  # cards per board column; the stage's own page lists every deal
LIST_LIMIT = 100  # deals listed in each section of the weekly review


@dataclass(frozen=True)
class SiteInput:
    config: Config
    deals: list[Deal]
    invalid: list[DealFile]
    problems: list[Problem]
    metrics: Metrics
    charts: list[Chart]
    files: int  # deal files read


@dataclass
class Page:
    """One page to write: its path in the site, its template and everything it shows.

    Two pages with equal contexts render to the same bytes, which is what lets a rebuild
    reuse the bytes of every page whose context did not change."""

    out: str
    template: str
    context: dict[str, Any]


class Memo:
    """What a Renderer may reuse from an earlier build of the same site (kept by `watch`,
    and by the build cache between runs)."""

    def __init__(self) -> None:
        self.notes: dict[str, str] = {}  # Markdown body -> sanitised HTML
        self.deal_json: dict[str, tuple[Deal, DealFacts, bytes]] = {}  # deal id -> JSON, UTF-8
        self.rows: dict[str, tuple[Deal, DealFacts, Any, str]] = {}  # deal id -> stage row HTML
        self.layout: Any = None  # the layout of the last build, shared by the rows above

    def __getstate__(self) -> dict[str, Any]:
        # notes are cheap to redo for the few deals that change, and heavy to store
        return {**self.__dict__, "notes": {}}


class Renderer:
    def __init__(
        self,
        site: SiteInput,
        root: Path | None = None,
        env: jinja2.Environment | None = None,
        memo: Memo | None = None,
    ) -> None:
        self.s = site
        self.c = site.config
        self.m = site.metrics
        self.env = env or environment(root)
        self.memo = memo or Memo()
        self.labels = {st.id: st.label for st in self.c.stages}
        self.valid_ids = {d.id for d in site.deals}
        self.errors = sum(1 for p in site.problems if p.is_error)
        self.problems_by_path: dict[str, list[Problem]] = {}
        for p in site.problems:
            self.problems_by_path.setdefault(p.path, []).append(p)
        # what every page's layout shows besides its own content
        self.layout = (self.c, self.m.as_of, self.m.period)
        if self.memo.layout == self.layout:
            self.layout = self.memo.layout  # the same object: rows compare by identity
        self.memo.layout = self.layout
        self.templates: dict[str, jinja2.Template] = {}
        self.headers: dict[tuple[str, str], Markup] = {}

    def template(self, name: str) -> jinja2.Template:
        t = self.templates.get(name)
        if t is None:
            t = self.templates[name] = self.env.get_template(name)
        return t

    @functools.cached_property
    def by_stage(self) -> dict[str, list[Deal]]:
        """The deals in each stage, in the order of the deal files."""
        groups: dict[str, list[Deal]] = {st.id: [] for st in self.c.stages}
        for d in self.s.deals:
            groups[d.stage].append(d)
        return groups

    # -- helpers shared by pages ------------------------------------------------------------
    def page(self, template: str, out: str, active: str, **context: Any) -> Page:
        """A page with the layout's context. Only what the layout shows goes in here, so that
        a change to one deal leaves every other deal's page context equal."""
        root = root_prefix(out)
        return Page(
            out,
            template,
            dict(
                root=root,
                header=self.header(root, active),
                nav=NAV,
                active=active,
                title=self.c.title,
                as_of=self.m.as_of,
                period=self.m.period,
                currency=self.c.currency,
                labels=self.labels,
                flag_labels=FLAG_LABELS,
                **context,
            ),
        )

    def header(self, root: str, active: str) -> Markup:
        """The top of a page (_header.html), the same on every page of the same depth and
        kind: rendered once, not on each of ten thousand deal pages."""
        key = (root, active)
        html = self.headers.get(key)
        if html is None:
            html = self.headers[key] = Markup(
                self.template("_header.html").render(
                    root=root,
                    active=active,
                    nav=NAV,
                    title=self.c.title,
                    as_of=self.m.as_of,
                    period=self.m.period,
                )
            )
        return html

    def render(self, page: Page) -> bytes:
        return self.template(page.template).render(page.context).encode("utf-8")

    def card(self, d: Deal) -> dict[str, Any]:
        f = self.m.facts[d.id]
        return {
            "id": d.id,
            "url": deal_url(d.id),
            "title": d.title,
            "client": d.client,
            "stage": d.stage,
            "owner": d.owner,
            "source": d.source,
            "value": d.value,
            "currency": d.currency,
            "base_value": d.base_value,
            "days_in_stage": f.days_in_stage,
            "flags": f.health,
            "closed": d.closed,
            "next_step": d.next_step,
            "lost_reason": d.lost_reason,
            "next_step_due": d.next_step_due,
            "expected_close": d.expected_close,
            "probability": f.probability,
        }

    # -- pages ------------------------------------------------------------------------------
    def dashboard(self) -> Page:
        fig = self.m.figures
        cur = self.c.currency
        tiles = [
            self._tile(
                "open_value",
                _tile_money(fig["open_value"], cur),
                f"{fig['open_count']:,} open deals",
            ),
            self._tile(
                "weighted_value", _tile_money(fig["weighted_value"], cur), "expected revenue"
            ),
            self._tile(
                "won_value", _tile_money(fig["won_value"], cur), f"{fig['won_count']:,} won"
            ),
            self._tile(
                "win_rate",
                fmt.percent(fig["win_rate"]),
                f"{fig['won_count']:,} won, {fig['lost_count']:,} lost",
                band=_win_rate_band(fig["win_rate"]),
            ),
            self._tile(
                "proposal_win_rate",
                fmt.percent(fig["proposal_win_rate"]),
                f"of {fig['proposals_sent']:,} proposals"
                if fig["proposals_sent"] is not None
                else "",
            ),
            self._tile("avg_deal_size", _tile_money(fig["avg_deal_size"], cur), "won deals"),
            self._tile(
                "avg_sales_cycle_days", fmt.days(fig["avg_sales_cycle_days"]), "created → won"
            ),
            self._tile(
                "avg_proposal_to_win_days",
                fmt.days(fig["avg_proposal_to_win_days"]),
                "proposal → won",
            ),
            self._tile(
                "sales_velocity_per_day", _tile_money(fig["sales_velocity_per_day"], cur), "per day"
            ),
            self._tile("qualified_leads", _count(fig["qualified_leads"]), "this period"),
            self._tile("proposals_sent", _count(fig["proposals_sent"]), "this period"),
        ]
        if fig["quota"] is not None:
            tiles += [
                self._tile(
                    "remaining_quota",
                    _tile_money(fig["remaining_quota"], cur),
                    f"of {fmt.money(fig['quota'], cur)} quota",
                ),
                self._tile(
                    "coverage",
                    fmt.multiple(fig["coverage"]),
                    "open ÷ quota left",
                    band=_coverage_band(fig["coverage"]),
                ),
                self._tile(
                    "weighted_coverage",
                    fmt.multiple(fig["weighted_coverage"]),
                    "weighted ÷ quota left",
                ),
            ]
        t = fig["touches"]
        logged = any(d.touches for d in self.s.deals)
        tiles.append(
            self._tile(
                "touches",
                f"{_one(t['avg_won'])} / {_one(t['avg_lost'])}" if logged else "–",
                f"won / lost; {fmt.percent(t['share_over_5'])} took over 5"
                if logged
                else "no touches logged yet",
            )
        )
        return self.page(
            "index.html",
            "index.html",
            "index",
            errors=self.errors,
            tiles=tiles,
            alerts=self._alerts(),
            charts=self.s.charts,
        )

    def _tile(
        self, key: str, value: str, sub: str, band: tuple[str, str] | None = None
    ) -> dict[str, Any]:
        d = BY_KEY[key]
        return {
            "key": key,
            "label": d.label,
            "value": value,
            "sub": sub,
            "formula": d.formula,
            "band": band,
        }

    def _alerts(self) -> list[dict[str, Any]]:
        fig = self.m.figures
        by_id = {d.id: d for d in self.s.deals}
        alerts = []
        for flag, what in (
            ("stalled", "stalled: no activity for longer than {its} stage allows"),
            ("overdue_next_step", "with an overdue next step"),
            ("no_next_step", "without a next step"),
            ("past_expected_close", "past {its} expected close date"),
        ):
            ids = fig["health"][flag]
            if ids:
                # the most valuable deals at risk first; the full lists are on the review page
                worst = heapq.nsmallest(ALERT_LIMIT, (by_id[i] for i in ids), key=_by_value)
                what = what.format(its="its" if len(ids) == 1 else "their")
                alerts.append(
                    {
                        "kind": flag,
                        "text": f"{len(ids):,} open deal{'s' if len(ids) != 1 else ''} {what}",
                        "deals": [self.card(d) for d in worst[:ALERT_LIMIT]],
                        "more": max(len(ids) - ALERT_LIMIT, 0),
                    }
                )
        leak = fig["leak_stage"]
        if leak:
            row = next(f for f in fig["funnel"] if f["stage"] == leak)
            alerts.append(
                {
                    "kind": "leak",
                    "text": f"Leaking stage: {self.labels[leak]} converts "
                    f"{fmt.percent(row['conversion'])} of the deals that left it",
                    "deals": [],
                    "more": 0,
                }
            )
        if fig["balance"]["top_heavy"]:
            b = fig["balance"]
            alerts.append(
                {
                    "kind": "top_heavy",
                    "text": f"Top-heavy pipeline: {b['early']} early "
                    f"deals for {b['late']} from the proposal stage on",
                    "deals": [],
                    "more": 0,
                }
            )
        return alerts

    def board(self) -> Page:
        columns = []
        stage_rows = {row["id"]: row for row in self.m.figures["stages"]}
        period = self.m.period
        for st in self.c.stages:
            if st.is_open:
                deals = list(self.by_stage[st.id])
                row = stage_rows[st.id]
                count, value, weighted = row["count"], row["value"], row["weighted_value"]
            else:
                deals = [d for d in self.by_stage[st.id] if period.contains(d.closed)]
                count = len(deals)
                value = sum((d.base_value or Decimal(0) for d in deals), Decimal(0))
                weighted = value if st.outcome == "won" else Decimal(0)
            top = heapq.nsmallest(BOARD_LIMIT, deals, key=_by_value)  # sorted, like sort()[:n]
            columns.append(
                {
                    "stage": st,
                    "count": count,
                    "value": value,
                    "weighted": weighted,
                    "cards": [self.card(d) for d in top],
                    "list_url": stage_url(st.id),
                }
            )
        owners = sorted({d.owner for d in self.s.deals if d.owner})
        sources = sorted({d.source for d in self.s.deals if d.source})
        return self.page(
            "board.html", "board.html", "board", columns=columns, owners=owners, sources=sources
        )

    def stage_page(self, st: Any) -> Page:
        """Every deal in one stage, as a table that sorts by any column (closed stages:
        every deal ever closed there, newest first)."""
        deals = list(self.by_stage[st.id])
        if st.outcome:
            deals.sort(key=lambda d: (d.closed or d.created, d.id), reverse=True)
        else:
            deals.sort(key=_by_value)
        # the rows are our own HTML, joined once: a stage may hold tens of thousands
        rows = Markup("".join([self.stage_row(d, bool(st.outcome)) for d in deals]))
        return self.page(
            "stage.html", stage_url(st.id), "board", stage=st, count=len(deals), rows=rows
        )

    def stage_row(self, d: Deal, closed: bool) -> str:
        """One table row of a stage list, reused while the deal, its facts and the layout
        are the same (a stage may hold thousands of deals)."""
        f = self.m.facts[d.id]
        cached = self.memo.rows.get(d.id)
        if (
            cached is not None
            and cached[0] is d
            and (cached[1] is f or cached[1] == f)
            and cached[2] is self.layout
        ):
            return cached[3]
        html = self.template("_stage_row.html").render(
            c=self.card(d),
            closed=closed,
            root="../",
            currency=self.c.currency,
            flag_labels=FLAG_LABELS,
        )
        self.memo.rows[d.id] = (d, f, self.layout, html)
        return html

    def deal_outputs(self, d: Deal) -> tuple[bytes, str, bytes]:
        """A deal's page, its stage-list row and its deals.json entry, rendered fresh
        (safe to run in a worker process: it changes nothing)."""
        closed = bool(self.c.stage(d.stage).outcome)
        self.memo.rows.pop(d.id, None)
        self.memo.deal_json.pop(d.id, None)
        return self.render(self.deal_page(d)), self.stage_row(d, closed), self.deal_json(d)

    def remember(self, d: Deal, row: str, entry: bytes) -> None:
        """Keep what deal_outputs made (in whichever process it ran)."""
        f = self.m.facts[d.id]
        self.memo.rows[d.id] = (d, f, self.layout, row)
        self.memo.deal_json[d.id] = (d, f, entry)

    def deal_inputs(self, d: Deal) -> tuple[Deal, DealFacts, tuple[Problem, ...], Any]:
        """Everything a deal's page shows, to compare with the last build's before rendering."""
        return (d, self.m.facts[d.id], tuple(self.problems_by_path.get(d.path, ())), self.layout)

    def deal_page(self, d: Deal) -> Page:
        f = self.m.facts[d.id]
        timeline = []
        for st in self.c.open_stages:
            if st.id in f.entered:
                timeline.append(
                    {"label": st.label, "date": f.entered[st.id], "given": st.id in d.stage_dates}
                )
        if d.closed:
            timeline.append({"label": self.labels[d.stage], "date": d.closed, "given": True})
        out = deal_url(d.id)
        edit = edit_url(self.c.repo_url, d.path)
        return self.page(
            "deal.html",
            out,
            "board",
            deal=d,
            facts=f,
            card=self.card(d),
            timeline=timeline,
            touches=sorted(d.touches, key=_by_date),
            notes=self.notes(d.body),
            extra=[(k, _show(v)) for k, v in d.extra.items()],
            problems=self.problems_by_path.get(d.path, []),
            edit_url=edit,
        )

    def notes(self, body: str) -> str:
        if not body.strip():
            return ""
        html = self.memo.notes.get(body)
        if html is None:
            html = self.memo.notes[body] = notes_html(body)
        return html

    def review(self) -> Page:
        a = self.m.as_of
        week_ago = a - timedelta(days=7)
        week_ahead = a + timedelta(days=7)
        outcome = {st.id: st.outcome for st in self.c.stages}
        open_deals = [d for d in self.s.deals if outcome[d.stage] is None]

        def cards(deals: list[Deal], key: Any) -> dict[str, Any]:
            ordered = sorted(deals, key=key)
            return {"cards": [self.card(d) for d in ordered[:LIST_LIMIT]], "total": len(ordered)}

        due = cards(
            [d for d in open_deals if d.next_step_due and a <= d.next_step_due <= week_ahead],
            lambda d: (d.next_step_due, d.id),
        )
        overdue = cards(
            [d for d in open_deals if d.next_step_due and d.next_step_due < a],
            lambda d: (d.next_step_due, d.id),
        )
        stalled = cards(
            [d for d in open_deals if "stalled" in self.m.facts[d.id].health],
            lambda d: (-(self.m.facts[d.id].days_idle or 0), d.id),
        )
        created = cards(
            [d for d in self.s.deals if week_ago < d.created <= a], lambda d: (d.created, d.id)
        )
        advanced = []
        for d in self.s.deals:
            moves = [
                (day, self.labels.get(s, s))
                for s, day in d.stage_dates.items()
                if week_ago < day <= a and day != d.created
            ]
            if moves:
                card = self.card(d)
                card["moves"] = sorted(moves)
                advanced.append(card)
        advanced.sort(key=lambda c: (c["moves"][-1][0], c["id"]))
        won = cards(
            [
                d
                for d in self.s.deals
                if outcome[d.stage] == "won" and d.closed and week_ago < d.closed <= a
            ],
            lambda d: (d.closed, d.id),
        )
        lost = cards(
            [
                d
                for d in self.s.deals
                if outcome[d.stage] == "lost" and d.closed and week_ago < d.closed <= a
            ],
            lambda d: (d.closed, d.id),
        )
        fig = self.m.figures
        expected = fig["won_value"] + fig["weighted_value"]
        return self.page(
            "review.html",
            "review.html",
            "review",
            fig=self.m.figures,
            due=due,
            overdue=overdue,
            stalled=stalled,
            created=created,
            advanced=advanced,
            won=won,
            lost=lost,
            week_start=week_ago + timedelta(days=1),
            week_ahead=week_ahead,
            expected=expected,
        )

    def problems_page(self) -> Page:
        files = []
        # files with errors first (they are left out of the site), then by path
        for path, problems in sorted(
            self.problems_by_path.items(),
            key=lambda kv: (not any(p.is_error for p in kv[1]), kv[0]),
        ):
            deal = path[len("deals/") : -3] if path.startswith("deals/") else None
            files.append(
                {
                    "path": path,
                    "problems": problems,
                    "url": deal_url(deal) if deal in self.valid_ids else None,
                }
            )
        return self.page(
            "problems.html",
            "problems.html",
            "problems",
            errors=self.errors,
            files=files,
            invalid=self.s.invalid,
        )

    def not_found_page(self) -> Page:
        """404.html for Pages hosts: served at any missing address, so its links are
        absolute, from base_url."""
        page = self.page("404.html", "404.html", "")
        page.context["root"] = self.c.base_url
        page.context["header"] = self.header(self.c.base_url, "")
        return page

    def metrics_page(self) -> Page:
        return self.page(
            "metrics.html",
            "metrics.html",
            "metrics",
            definitions=DEFINITIONS,
            stages=self.c.stages,
            config=self.c,
        )

    def data_files(self) -> list[tuple[str, bytes]]:
        metrics = json.dumps(to_json(self.m.figures), indent=2, ensure_ascii=False) + "\n"
        # bytes all along: at 100,000 deals this file is 150 MB, so it is made only once
        entries = [self.deal_json(d) for d in self.s.deals]
        head = json.dumps({"as_of": self.m.as_of.isoformat(), "currency": self.c.currency})
        body = b",\n".join(entries)
        return [
            ("data/metrics.json", metrics.encode("utf-8")),
            ("data/deals.json", b"".join((head[:-1].encode(), b', "deals": [\n', body, b"\n]}\n"))),
        ]

    def deal_json(self, d: Deal) -> bytes:
        """One deal of deals.json, on one line; reused while the deal and its facts are equal."""
        f = self.m.facts[d.id]
        cached = self.memo.deal_json.get(d.id)
        if (
            cached is not None
            and (cached[0] is d or cached[0] == d)
            and (cached[1] is f or cached[1] == f)
        ):
            return cached[2]
        text = _JSON.encode(
            {
                "id": d.id,
                "path": d.path,
                "url": deal_url(d.id),
                "title": d.title,
                "client": d.client,
                "stage": d.stage,
                "owner": d.owner,
                "source": d.source,
                "value": _num(d.value),
                "currency": d.currency,
                "base_value": _num(f.base_value),
                "probability": _num(f.probability),
                "weighted_value": _num(f.weighted_value),
                "created": d.created.isoformat(),
                "closed": _iso(d.closed),
                "furthest_stage": f.furthest,
                "entered": {k: v.isoformat() for k, v in f.entered.items()},
                "last_activity": _iso(f.last_activity),
                "days_in_stage": f.days_in_stage,
                "days_idle": f.days_idle,
                "health": list(f.health),
                "touches": len(d.touches),
                "fields": d.raw,
            }
        ).encode("utf-8")
        self.memo.deal_json[d.id] = (d, f, text)
        return text

    def pages(self) -> list[Page]:
        pages = [
            self.dashboard(),
            self.board(),
            self.review(),
            self.problems_page(),
            self.metrics_page(),
            self.not_found_page(),
        ]
        pages += [self.stage_page(st) for st in self.c.stages]
        return pages

    def all_files(self) -> list[tuple[str, bytes]]:
        """Every page rendered, the charts and the data files: a whole build, no reuse."""
        pages = self.pages() + [self.deal_page(d) for d in self.s.deals]
        files = [(p.out, self.render(p)) for p in pages]
        files += [(f"charts/{c.name}.svg", c.svg) for c in self.s.charts]
        return files + self.data_files()


_by_date = attrgetter("date")
_JSON = json.JSONEncoder(ensure_ascii=False)  # json.dumps(..., ensure_ascii=False), made once


def _by_value(d: Deal) -> tuple[Any, str, str]:
    """The order of deals on the board and in alerts: most valuable first, then by title."""
    return (-(d.base_value or 0), d.title.lower(), d.id)


def _tile_money(v: Decimal | None, currency: str) -> str:
    """Whole amounts in a tile (cents would only add noise there), shortened from a
    million up so they fit ($10.0M); the tables and data files keep every digit."""
    if v is not None and abs(v) >= 1_000_000:
        return fmt.short_money(v, currency)
    return fmt.money(
        None if v is None else v.quantize(Decimal(1), rounding=ROUND_HALF_UP), currency
    )


def _count(v: int | None) -> str:
    return "–" if v is None else f"{v:,}"


def _one(v: Decimal | None) -> str:
    return "–" if v is None else f"{v.quantize(Decimal('0.1'))}"


def _num(v: Decimal | None) -> float | None:
    return None if v is None else float(v.quantize(Decimal("0.0001")))


def _iso(v: date | None) -> str | None:
    return None if v is None else v.isoformat()


def _show(v: Any) -> str:
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return "" if v is None else str(v)


def _win_rate_band(rate: Decimal | None) -> tuple[str, str] | None:
    if rate is None:
        return None
    if rate < Decimal("0.16"):
        return ("low", "below typical (under 16 %)")
    if rate < Decimal("0.30"):
        return ("ok", "typical (16–30 %)")
    if rate < Decimal("0.40"):
        return ("good", "strong (30–40 %)")
    return ("great", "elite (40 % and up)")


def _coverage_band(cov: Decimal | None) -> tuple[str, str] | None:
    if cov is None:
        return None
    if cov < 3:
        return ("low", "thin (below 3×)")
    if cov <= 4:
        return ("good", "healthy (3–4×)")
    return ("great", "ample (above 4×)")
