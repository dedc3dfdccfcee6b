"""Second stage: every check on every deal file in one pass -> (deals, problems).

A file with any error becomes a DealFile (listed on the problems page, left out of the
metrics); a file with warnings only is still a Deal. Nothing here raises on bad input.
"""

from __future__ import annotations

import re
import sys
from datetime import date
from decimal import Decimal
from typing import Any

from .load import Node, SourceFile
from .model import Config, Deal, DealFile, Problem, Stage, Touch
from .values import (
    SYMBOLS,
    BadValue,
    parse_amount,
    parse_date,
    parse_probability,
    quote_list,
    quoted,
    suggest,
)

TEXT_FIELDS = ("title", "client", "lost_reason", "owner", "source", "next_step")
DATE_FIELDS = ("created", "expected_close", "closed", "next_step_due")
KNOWN = (
    "title",
    "client",
    "stage",
    "value",
    "currency",
    "created",
    "expected_close",
    "closed",
    "lost_reason",
    "lost_at",
    "owner",
    "source",
    "probability",
    "next_step",
    "next_step_due",
    "tags",
    "stage_dates",
    "touches",
)
_KNOWN = frozenset(KNOWN)
# One-line text longer than this is a paste gone wrong, and would swamp the board's cards
MAX_TITLE = 200  # characters
MAX_TEXT = 1000  # characters of any other one-line text: client, next_step, a tag, a touch...
_CLOSURE_WORDS = {"closed", "done", "complete", "completed", "finished", "signed", "over", "ended"}


def deal_id(rel_path: str) -> str:
    return rel_path[:-3] if rel_path.endswith(".md") else rel_path


class _Checker:
    """Collects the typed fields of one file and its problems."""

    def __init__(self, src: SourceFile, config: Config) -> None:
        self.src = src
        self.config = config
        self.values: dict[str, Any] = {}

    def error(self, node: Node, fld: str, message: str, hint: str = "") -> None:
        self.src.error(node.line, node.col, fld, message, hint)

    def missing(self, fld: str, message: str, hint: str) -> None:
        self.src.error(self.src.end_line, 1, fld, message, hint)

    def empty(self, key: str) -> Node | None:
        """The key's node when the key is written with no value (`title:`), else None."""
        entry = self.src.fields.get(key)
        if entry and entry[1].is_null:
            return entry[0]
        if entry and entry[1].kind == "scalar" and not entry[1].text.strip():
            return entry[1]  # `title: ""`: point at the quotes
        return None

    def require(self, key: str, message: str, hint: str, empty_hint: str = "") -> None:
        """A required value is missing: point at `key:` when it is there but empty."""
        knode = self.empty(key)
        if knode is not None:
            self.error(knode, key, "is empty", empty_hint or hint)
        else:
            self.missing(key, message, hint)

    def node(self, key: str) -> Node | None:
        """The key's value; None when it is missing or empty (`key:`, `key: ~`, `key: ""`)."""
        entry = self.src.fields.get(key)
        if entry is None:
            return None
        n = entry[1]
        if n.kind == "scalar" and (n.is_null or not n.text.strip()):
            return None
        return n

    def short(self, n: Node, key: str, text: str) -> bool:
        """Whether one-line text is within its length limit (an error when it is not)."""
        limit = MAX_TITLE if key == "title" else MAX_TEXT
        if len(text) <= limit:
            return True
        self.error(
            n,
            key,
            f"is {len(text):,} characters long; at most {limit:,}",
            f"keep the {key} short; put the details in the notes below the front matter",
        )
        return False

    def text(self, key: str) -> str | None:
        n = self.node(key)
        if n is None:
            return None
        if n.kind != "scalar":
            self.error(
                n,
                key,
                "must be text, not a " + ("list" if n.kind == "seq" else "mapping"),
                f"write '{key}: some text' on one line (quote it if it contains ': ')",
            )
            return None
        text = n.text.strip()
        return text if self.short(n, key, text) else None

    def day(self, key: str) -> date | None:
        n = self.node(key)
        if n is None:
            return None
        return self.date_of(n, key)

    def date_of(self, n: Node, key: str) -> date | None:
        if n.kind != "scalar":
            self.error(n, key, "must be a date", "write dates as YYYY-MM-DD, e.g. 2026-09-14")
            return None
        return self.date_at(n.text, n.line, n.col, key)

    def date_at(self, text: str, line: int, col: int, key: str) -> date | None:
        """The date in `text`, written at line:col (a problem there when it is not one)."""
        try:
            day, had_time = parse_date(text)
        except BadValue as exc:
            self.src.error(line, col, key, exc.message, exc.hint)
            return None
        if had_time:
            self.src.warning(
                line,
                col,
                key,
                f"{quoted(text)} has a time; only the date {day.isoformat()} is used",
                "write the date alone as YYYY-MM-DD",
            )
        return day

    def stage_ref(self, n: Node, key: str, open_only: bool) -> Stage | None:
        """A stage named by id or label, in any case."""
        stages = self.config.open_stages if open_only else self.config.stages
        if n.kind != "scalar":
            self.error(n, key, "must be a stage id", "write e.g. 'proposal'")
            return None
        wanted = n.text.strip().lower()
        for s in stages:
            if wanted == s.id.lower() or wanted == s.label.lower():
                return s
        names = {s.id.lower(): s.id for s in stages} | {s.label.lower(): s.id for s in stages}
        close = list(dict.fromkeys(names[c] for c in suggest(wanted, list(names), n=3)))[:2]
        if not close and wanted in _CLOSURE_WORDS and not open_only:
            close = [s.id for s in stages if s.outcome]
        what = "an open stage" if open_only else "a stage"
        guess = f"; did you mean {quote_list(close)}?" if close else ""
        self.error(
            n,
            key,
            f"{quoted(n.text)} is not {what}{guess}",
            "stages are: " + ", ".join(s.id for s in stages),
        )
        return None


def check_deal(src: SourceFile, rel_path: str, config: Config, shown_path: str) -> Deal | DealFile:
    """Validate one parsed deal file against the config."""
    c = _Checker(src, config)
    if not src.parsed:
        return DealFile(deal_id(rel_path), shown_path, None, tuple(src.problems))
    f = src.fields

    for key, (knode, _) in f.items():
        if key not in _KNOWN:
            close = suggest(key, list(KNOWN), n=1, cutoff=0.8)
            if close:
                src.warning(
                    knode.line,
                    knode.col,
                    key,
                    "unknown key, kept as an extra field",
                    f"did you mean '{close[0]}'?",
                )

    title = c.text("title")
    if not title and (c.node("title") is None or c.empty("title")):
        c.require(
            "title",
            "every deal needs a title",
            "add e.g. 'title: Shopify redesign'",
            "write what the deal is, e.g. 'Shopify redesign'",
        )

    stage: Stage | None = None
    sn = c.node("stage")
    if sn is None or c.empty("stage"):
        c.require(
            "stage",
            "every deal needs a stage",
            "add e.g. 'stage: lead'; stages are: " + ", ".join(s.id for s in config.stages),
        )
        sn = None
    else:
        stage = c.stage_ref(sn, "stage", open_only=False)

    created = c.day("created")
    if created is None and c.node("created") is None:
        c.require(
            "created",
            "every deal needs the date it entered the pipeline",
            "add e.g. 'created: 2026-09-14'",
        )
    closed = c.day("closed")
    expected_close = c.day("expected_close")
    next_step_due = c.day("next_step_due")

    # money
    currency = config.currency
    cn = c.node("currency")
    if cn is not None:
        ctext = c.text("currency")
        if ctext is not None:
            code = ctext.upper()
            if not re.fullmatch(r"[A-Z]{3}", code):
                meant = SYMBOLS.get(ctext)
                c.error(
                    cn,
                    "currency",
                    f"{quoted(ctext)} is not a currency code",
                    f"write {meant}, its three-letter ISO 4217 code"
                    if meant
                    else "write a three-letter ISO 4217 code such as USD, EUR or GBP",
                )
                currency = ""
            elif code != config.currency and code not in config.rates:
                known = [config.currency, *sorted(config.rates)]
                c.error(
                    cn,
                    "currency",
                    f"no exchange rate for {quoted(ctext)}",
                    f"add '{code}: <rate>' under 'rates' in dealbook.yaml, or use one of: "
                    + ", ".join(known),
                )
                currency = ""
            else:
                currency = code
    value: Decimal | None = None
    vn = c.node("value")
    if vn is not None:
        if vn.kind != "scalar":
            c.error(vn, "value", "must be an amount", "write e.g. 'value: 4800'")
        else:
            try:
                value, named = parse_amount(vn.text, currency or config.currency)
                if named and cn is not None and currency and named != currency:
                    c.error(
                        vn,
                        "value",
                        f"says {named} but 'currency' is {currency}",
                        "remove the currency from the value or fix 'currency'",
                    )
                elif named and cn is None:
                    if named != config.currency and named not in config.rates:
                        c.error(
                            vn,
                            "value",
                            f"no exchange rate for '{named}'",
                            f"add '{named}: <rate>' under 'rates' in dealbook.yaml",
                        )
                        currency = ""
                    else:
                        currency = named
            except BadValue as exc:
                c.error(vn, "value", exc.message, exc.hint)

    probability: Decimal | None = None
    pn = c.node("probability")
    if pn is not None:
        if pn.kind != "scalar":
            c.error(pn, "probability", "must be a number", "write e.g. 'probability: 0.4' or 40%")
        else:
            try:
                probability = parse_probability(pn.text)
            except BadValue as exc:
                c.error(pn, "probability", exc.message, exc.hint)

    client = c.text("client")
    owner = c.text("owner")
    source = c.text("source")
    next_step = c.text("next_step")
    lost_reason = c.text("lost_reason")

    lost_at: Stage | None = None
    ln = c.node("lost_at")
    if ln is not None:
        lost_at = c.stage_ref(ln, "lost_at", open_only=True)

    tags = _tags(c)
    stage_dates = _stage_dates(c, created, closed)
    touches = _touches(c)

    # rules between fields
    if stage is not None:
        if stage.outcome and closed is None and c.node("closed") is None:
            c.require(
                "closed",
                f"a {stage.outcome} deal needs the date it closed",
                "add e.g. 'closed: 2026-10-02'",
            )
        if not stage.outcome and closed is not None:
            n = c.node("closed")
            assert n is not None
            c.error(
                n,
                "closed",
                f"an open deal (stage '{stage.id}') cannot have a closed date",
                "remove 'closed', or set the stage to "
                + " or ".join(s.id for s in config.stages if s.outcome),
            )
        lrn = c.node("lost_reason")
        if stage.outcome == "lost" and not lost_reason and (lrn is None or lrn.kind == "scalar"):
            c.require(
                "lost_reason",
                "a lost deal needs a reason",
                "add e.g. 'lost_reason: budget' (what you learn from losses)",
            )
        if stage.outcome != "lost" and ln is not None:
            src.warning(
                ln.line,
                ln.col,
                "lost_at",
                "only a lost deal has 'lost_at'; it is ignored",
                "remove it, or set the stage to lost",
            )
            lost_at = None
        if value is None and vn is None and _needs_value(stage, config):
            c.require(
                "value",
                f"a deal in stage '{stage.id}' needs a value",
                f"add e.g. 'value: 4800' (in {config.currency} unless 'currency' says "
                f"otherwise); from stage '{config.value_required_from}' on a value is required",
            )
        if stage.is_open and not next_step:
            nn = c.node("next_step")
            line = nn.line if nn else src.end_line
            src.warning(
                line,
                nn.col if nn else 1,
                "next_step",
                "open deal has no next step",
                "add e.g. 'next_step: Call to walk through scope' and a next_step_due date",
            )
    if created and closed and closed < created:
        n = c.node("closed")
        assert n is not None
        c.error(
            n,
            "closed",
            f"{closed.isoformat()} is before created ({created.isoformat()})",
            "check both dates",
        )

    shown_title = title or None
    if any(p.is_error for p in src.problems):
        return DealFile(deal_id(rel_path), shown_path, shown_title, tuple(src.problems))
    assert title and stage and created
    base_value = None
    if value is not None:
        rate = Decimal(1) if currency == config.currency else config.rates[currency]
        base_value = value * rate
    raw: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for k, (kn, v) in f.items():
        k = _shared(k)  # the same few names in every file
        plain = v.plain()
        raw[k] = _shared(plain) if type(plain) is str else plain
        lines[k] = kn.line
    extra = {k: v for k, v in raw.items() if k not in _KNOWN}
    return Deal(
        id=deal_id(rel_path),
        path=shown_path,
        title=title,
        stage=stage.id,
        created=created,
        client=client or None,
        value=value,
        currency=_shared(currency),
        base_value=base_value,
        expected_close=expected_close,
        closed=closed,
        lost_reason=lost_reason or None,
        lost_at=lost_at.id if lost_at else None,
        owner=_shared(owner) if owner else None,
        source=_shared(source) if source else None,
        probability=probability,
        next_step=next_step or None,
        next_step_due=next_step_due,
        tags=tuple(_shared(t) for t in tags),
        stage_dates=stage_dates,
        touches=tuple(touches),
        extra=extra,
        raw=raw,
        body=src.body,
        lines=lines,
    )


SHARED_MAX = 40


def _shared(text: str) -> str:
    """One object for each short text (field names and values as written, owners,
    sources, touch kinds) however many deals repeat it: less memory, and a build cache
    that loads faster (a pickle writes an object it has seen as a reference to it)."""
    return sys.intern(text) if len(text) <= SHARED_MAX else text


def _needs_value(stage: Stage, config: Config) -> bool:
    if config.value_required_from is None or stage.outcome == "lost":
        return False
    ids = [s.id for s in config.stages]
    start = ids.index(config.value_required_from)
    if stage.outcome == "won":
        return config.stage(config.value_required_from).outcome != "lost"
    return ids.index(stage.id) >= start


def _tags(c: _Checker) -> list[str]:
    n = c.node("tags")
    if n is None:
        return []
    if n.kind == "scalar":
        return [t.strip() for t in n.text.split(",") if t.strip() and c.short(n, "tags", t.strip())]
    if n.kind != "seq":
        c.error(n, "tags", "must be a list of text", "write e.g. 'tags: [shopify, design]'")
        return []
    tags = []
    for item in n.items:
        if item.kind != "scalar" or item.is_null:
            c.error(
                item,
                "tags",
                "each tag must be a short text",
                "write e.g. 'tags: [shopify, design]'",
            )
        elif c.short(item, "tags", item.text.strip()):
            tags.append(item.text.strip())
    return tags


def _stage_dates(c: _Checker, created: date | None, closed: date | None) -> dict[str, date]:
    n = c.node("stage_dates")
    if n is None:
        return {}
    if n.kind != "map":
        c.error(
            n,
            "stage_dates",
            "must be a mapping of stage to date",
            "write one 'stage: YYYY-MM-DD' per line, indented under 'stage_dates:'",
        )
        return {}
    result: dict[str, date] = {}
    for k, v in n.pairs:
        stage = c.stage_ref(k, "stage_dates", open_only=False)
        day = c.date_of(v, f"stage_dates.{k.text}")
        if stage is None or day is None:
            continue
        if stage.id in result:
            c.error(k, "stage_dates", f"stage '{stage.id}' is given twice", "keep one date")
            continue
        if created and day < created:
            c.error(
                v,
                f"stage_dates.{k.text}",
                f"{day.isoformat()} is before created ({created.isoformat()})",
                "a stage cannot be entered before the deal was created",
            )
        elif closed and day > closed:
            c.error(
                v,
                f"stage_dates.{k.text}",
                f"{day.isoformat()} is after closed ({closed.isoformat()})",
                "a stage cannot be entered after the deal closed",
            )
        result[stage.id] = day
    return result


def _touches(c: _Checker) -> list[Touch]:
    n = c.node("touches")
    if n is None:
        return []
    if n.kind != "seq":
        c.error(n, "touches", "must be a list", "write one '- YYYY-MM-DD kind note' per touch")
        return []
    touches: list[Touch] = []
    how = "write '- 2026-09-21 email sent the proposal' or '- {date: 2026-09-21, kind: email}'"
    for item in n.items:
        if item.kind == "scalar":
            parts = item.text.strip().split(None, 2)
            if not parts:
                c.error(item, "touches", "empty touch", how)
                continue
            day = c.date_at(parts[0], item.line, item.col, "touches")
            if day is not None and c.short(item, "touches", " ".join(parts[1:])):
                kind = _shared(parts[1]) if len(parts) > 1 else ""
                touches.append(Touch(day, kind, parts[2] if len(parts) > 2 else ""))
        elif (
            item.kind == "map"
            and len(item.pairs) == 1
            and re.match(r"^\d{4}-\d{2}-\d{2}\s", item.pairs[0][0].text)
        ):
            key, value = item.pairs[0]
            line_text = f"{key.text}: {value.plain() or ''}".rstrip()
            c.error(
                item,
                "touches",
                "this touch was read as 'key: value' because of the ': ' in it",
                f'put the line in quotes: - "{quoted(line_text, 200)[1:-1]}"',
            )
        elif item.kind == "map":
            fields = {k.text: v for k, v in item.pairs}
            unknown = [k for k in fields if k not in ("date", "kind", "note")]
            if "date" not in fields:
                c.error(item, "touches", "a touch needs a date", how)
                continue
            if unknown:
                c.error(
                    item,
                    "touches",
                    f"unknown touch key {quoted(unknown[0])}",
                    "a touch has date, kind and note",
                )
                continue
            day = c.date_of(fields["date"], "touches")
            kind, note = _plain_text(fields.get("kind")), _plain_text(fields.get("note"))
            if day is not None and c.short(item, "touches", f"{kind} {note}".strip()):
                touches.append(Touch(day, _shared(kind), note))
        else:
            c.error(item, "touches", "a touch must be one line or a mapping", how)
    return touches


def _plain_text(node: Node | None) -> str:
    """A scalar's text, trimmed; "" for a missing, empty or non-scalar value."""
    if node is None or node.kind != "scalar" or node.is_null:
        return ""
    return node.text.strip()


def sort_problems(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.field, p.message))
