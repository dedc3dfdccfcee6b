"""Second stage, for `dealbook.yaml`: every key checked in one pass -> (Config, problems).

A missing file or key means the default. Problems carry the config's line and column, like
deal problems; a broken key falls back to its default so the deals can still be checked.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from .load import Node, SourceFile
from .model import Config, Stage
from .values import (
    BadValue,
    parse_amount,
    parse_date,
    parse_probability,
    parse_whole,
    quoted,
    suggest,
)

DEFAULT_STAGES = (
    Stage("lead", "Lead", Decimal("0.10"), 14),
    Stage("qualified", "Qualified", Decimal("0.25"), 14, milestone="qualified"),
    Stage("proposal", "Proposal sent", Decimal("0.50"), 10, milestone="proposal"),
    Stage("negotiation", "Negotiation", Decimal("0.75"), 7),
    Stage("won", "Closed won", Decimal(1), 14, outcome="won"),
    Stage("lost", "Closed lost", Decimal(0), 14, outcome="lost"),
)

KEYS = (
    "title",
    "currency",
    "rates",
    "base_url",
    "repo_url",
    "as_of",
    "period",
    "quota",
    "stall_after_days",
    "value_required_from",
    "stages",
)
STAGE_KEYS = ("id", "label", "probability", "stall_after_days", "milestone", "outcome")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalize_base_url(text: str) -> str:
    """'/my-pipeline', 'my-pipeline/' and '/my-pipeline/' are all '/my-pipeline/'; a full
    address keeps its host."""
    t = text.strip()
    m = re.match(r"^(https?://[^/]+)(/.*)?$", t)
    host, path = (m.group(1), m.group(2) or "/") if m else ("", t)
    path = "/" + path.strip("/") + "/" if path.strip("/ ") else "/"
    return host + path


def _text(node: Node, src: SourceFile, key: str) -> str | None:
    if node.kind != "scalar":
        src.error(node.line, node.col, key, "must be text", f"write '{key}: some text'")
        return None
    return None if node.is_null else node.text


def read_config(src: SourceFile) -> Config:
    """Turn the parsed `dealbook.yaml` into a Config; problems go to src.problems."""
    values: dict[str, Any] = {}
    f = src.fields
    for key, (knode, _) in f.items():
        if key not in KEYS:
            close = suggest(key, list(KEYS), n=1, cutoff=0.7)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(KEYS)
            src.warning(knode.line, knode.col, key, "unknown key is ignored", hint)

    def node(key: str) -> Node | None:
        return f[key][1] if key in f and not f[key][1].is_null else None

    if (n := node("title")) is not None and (t := _text(n, src, "title")):
        values["title"] = t
    currency = "USD"
    if (n := node("currency")) is not None and (t := _text(n, src, "currency")):
        if _CURRENCY.match(t.strip().upper()):
            currency = t.strip().upper()
        else:
            src.error(
                n.line,
                n.col,
                "currency",
                f"{quoted(t)} is not a currency code",
                "write a three-letter ISO 4217 code such as USD, EUR or GBP",
            )
    values["currency"] = currency
    rates: dict[str, Decimal] = {}
    if (n := node("rates")) is not None:
        if n.kind != "map":
            src.error(
                n.line,
                n.col,
                "rates",
                "must be a mapping of currency to rate",
                "write e.g. 'rates: {EUR: 1.08, GBP: 1.27}'",
            )
        else:
            for k, v in n.pairs:
                code = k.text.strip().upper()
                if not _CURRENCY.match(code):
                    src.error(
                        k.line,
                        k.col,
                        "rates",
                        f"{quoted(k.text)} is not a currency code",
                        "write a three-letter ISO 4217 code such as EUR",
                    )
                    continue
                try:
                    if v.kind != "scalar":
                        raise BadValue("must be a number", "")
                    rate, _ = parse_amount(v.text, None)
                    if rate <= 0:
                        raise BadValue("must be more than 0", "")
                    rates[code] = rate
                except BadValue as exc:
                    src.error(
                        v.line,
                        v.col,
                        "rates",
                        f"rate for {code}: {exc.message}",
                        f"write how many {currency} one {code} is worth, e.g. {code}: 1.08",
                    )
    values["rates"] = rates
    if (n := node("base_url")) is not None and (t := _text(n, src, "base_url")):
        values["base_url"] = normalize_base_url(t)
    if (n := node("repo_url")) is not None and (t := _text(n, src, "repo_url")):
        if re.match(r"^https?://", t.strip()):
            values["repo_url"] = t.strip().rstrip("/")
        else:
            src.error(
                n.line,
                n.col,
                "repo_url",
                f"{quoted(t)} is not a web address",
                "write e.g. https://github.com/you/pipeline",
            )
    if (n := node("as_of")) is not None and (t := _text(n, src, "as_of")):
        try:
            values["as_of"] = parse_date(t)[0]
        except BadValue as exc:
            src.error(n.line, n.col, "as_of", exc.message, exc.hint)
    _read_period(node("period"), src, values)
    if (n := node("quota")) is not None and (t := _text(n, src, "quota")):
        try:
            values["quota"] = parse_amount(t, currency)[0]
        except BadValue as exc:
            src.error(n.line, n.col, "quota", exc.message, exc.hint)
    if (n := node("stall_after_days")) is not None and (t := _text(n, src, "stall_after_days")):
        try:
            values["stall_after_days"] = parse_whole(t, 1)
        except BadValue as exc:
            src.error(n.line, n.col, "stall_after_days", exc.message, exc.hint)
    stall = values.get("stall_after_days", 14)
    stages = _read_stages(node("stages"), src, stall)
    values["stages"] = stages
    values["value_required_from"] = _value_required_from(f.get("value_required_from"), src, stages)
    return Config(**values)


def _read_period(n: Node | None, src: SourceFile, values: dict[str, Any]) -> None:
    if n is None:
        return
    if n.kind == "scalar":
        kind = n.text.strip().lower()
        if kind in ("month", "quarter", "year", "all"):
            values["period"] = kind
        else:
            src.error(
                n.line,
                n.col,
                "period",
                f"{quoted(n.text)} is not a period",
                "use month, quarter, year, all or {from: YYYY-MM-DD, to: YYYY-MM-DD}",
            )
        return
    if n.kind != "map" or {k.text for k, _ in n.pairs} != {"from", "to"}:
        src.error(
            n.line,
            n.col,
            "period",
            "a custom period needs exactly 'from' and 'to'",
            "write e.g. 'period: {from: 2026-07-01, to: 2026-12-31}'",
        )
        return
    bounds = {}
    for k, v in n.pairs:
        try:
            bounds[k.text] = parse_date(v.text)[0]
        except BadValue as exc:
            src.error(v.line, v.col, "period", f"{k.text}: {exc.message}", exc.hint)
    if len(bounds) == 2:
        if bounds["from"] > bounds["to"]:
            src.error(n.line, n.col, "period", "'from' is after 'to'", "swap the two dates")
        else:
            values.update(period="range", period_from=bounds["from"], period_to=bounds["to"])


def _read_stages(n: Node | None, src: SourceFile, stall: int) -> tuple[Stage, ...]:
    if n is None:
        return tuple(
            Stage(
                s.id,
                s.label,
                s.probability,
                s.stall_after_days if s.id in ("proposal", "negotiation") else stall,
                s.milestone,
                s.outcome,
            )
            for s in DEFAULT_STAGES
        )
    if n.kind != "seq" or not n.items:
        src.error(
            n.line,
            n.col,
            "stages",
            "must be a list of stages",
            "write one '- {id: lead, label: Lead, probability: 0.1}' per stage",
        )
        return DEFAULT_STAGES
    stages: list[Stage] = []
    places: list[Node] = []
    seen: set[str] = set()
    ok = True
    for item in n.items:
        if item.kind != "map":
            src.error(
                item.line,
                item.col,
                "stages",
                "a stage must be a mapping with an id",
                "write e.g. '- {id: lead, label: Lead, probability: 0.1}'",
            )
            ok = False
            continue
        fields = {k.text: (k, v) for k, v in item.pairs}
        for key, (k, _) in fields.items():
            if key not in STAGE_KEYS:
                close = suggest(key, list(STAGE_KEYS), n=1, cutoff=0.7)
                src.warning(
                    k.line,
                    k.col,
                    f"stages.{key}",
                    "unknown stage key is ignored",
                    f"did you mean '{close[0]}'?"
                    if close
                    else "stage keys: " + ", ".join(STAGE_KEYS),
                )
        idn = fields.get("id", (None, None))[1]
        if idn is None or idn.kind != "scalar" or idn.is_null:
            src.error(
                item.line,
                item.col,
                "stages.id",
                "a stage needs an id",
                "add e.g. 'id: proposal' (lower-case letters, digits, - or _)",
            )
            ok = False
            continue
        sid = idn.text.strip()
        if not _ID.match(sid):
            src.error(
                idn.line,
                idn.col,
                "stages.id",
                f"{quoted(sid)} is not a valid stage id",
                "use lower-case letters, digits, - or _, e.g. 'proposal'",
            )
            ok = False
            continue
        if sid in seen:
            src.error(
                idn.line,
                idn.col,
                "stages.id",
                f"stage '{sid}' is listed twice",
                "give each stage its own id",
            )
            ok = False
            continue
        seen.add(sid)
        label = sid.replace("-", " ").replace("_", " ").capitalize()
        if (
            "label" in fields
            and fields["label"][1].kind == "scalar"
            and not fields["label"][1].is_null
        ):
            label = fields["label"][1].text
        outcome = None
        bad_outcome = False
        if "outcome" in fields and not fields["outcome"][1].is_null:
            o = fields["outcome"][1]
            if o.text.strip().lower() in ("won", "lost"):
                outcome = o.text.strip().lower()
            else:
                bad_outcome, ok = True, False
                src.error(
                    o.line,
                    o.col,
                    "stages.outcome",
                    f"{quoted(o.text)} is not an outcome",
                    "use 'outcome: won' or 'outcome: lost', or leave it out for an open stage",
                )
        milestone = None
        if "milestone" in fields and not fields["milestone"][1].is_null:
            mnode = fields["milestone"][1]
            if mnode.text.strip().lower() in ("qualified", "proposal"):
                milestone = mnode.text.strip().lower()
            else:
                src.error(
                    mnode.line,
                    mnode.col,
                    "stages.milestone",
                    f"{quoted(mnode.text)} is not a milestone",
                    "use 'qualified' or 'proposal'",
                )
        if milestone and outcome:
            mnode = fields["milestone"][1]
            src.error(
                mnode.line,
                mnode.col,
                "stages.milestone",
                f"the {outcome} stage cannot be a milestone",
                "put 'milestone: qualified' or 'milestone: proposal' on an open stage",
            )
            milestone, ok = None, False
        probability = Decimal(1) if outcome == "won" else Decimal(0)
        if outcome is None:
            probability = Decimal(0)
            if "probability" in fields and not fields["probability"][1].is_null:
                p = fields["probability"][1]
                try:
                    probability = parse_probability(p.text)
                except BadValue as exc:
                    src.error(p.line, p.col, "stages.probability", exc.message, exc.hint)
            elif not bad_outcome:
                src.warning(
                    item.line,
                    item.col,
                    "stages.probability",
                    f"stage '{sid}' has no probability; 0 is used",
                    "add e.g. 'probability: 0.25' so the weighted forecast counts it",
                )
        days = stall
        if "stall_after_days" in fields and not fields["stall_after_days"][1].is_null:
            d = fields["stall_after_days"][1]
            try:
                days = parse_whole(d.text, 1)
            except BadValue as exc:
                src.error(d.line, d.col, "stages.stall_after_days", exc.message, exc.hint)
        stages.append(Stage(sid, label, probability, days, milestone, outcome))
        places.append(item)
    outcomes = [s.outcome for s in stages if s.outcome]
    complete = ok
    for wanted in ("won", "lost"):
        if complete and outcomes.count(wanted) != 1:
            src.error(
                n.line,
                n.col,
                "stages",
                f"there must be exactly one stage with "
                f"'outcome: {wanted}' (found {outcomes.count(wanted)})",
                f"add e.g. '- {{id: {wanted}, label: Closed {wanted}, outcome: {wanted}}}'",
            )
            ok = False
    first_closed = next((i for i, s in enumerate(stages) if s.outcome), len(stages))
    for st, place in list(zip(stages, places, strict=True))[first_closed:]:
        if complete and st.is_open:
            src.error(
                place.line,
                place.col,
                "stages",
                f"open stage '{st.id}' is listed after '{stages[first_closed].id}'",
                "list the stages in pipeline order: open stages first, won and lost last",
            )
            ok = False
    if ok and not any(s.is_open for s in stages):
        src.error(n.line, n.col, "stages", "there is no open stage", "add e.g. '- {id: lead, ...}'")
        ok = False
    for name in ("qualified", "proposal"):
        if sum(1 for s in stages if s.milestone == name) > 1:
            src.error(
                n.line,
                n.col,
                "stages",
                f"more than one stage has 'milestone: {name}'",
                "mark one stage only",
            )
            ok = False
    return tuple(stages) if ok else DEFAULT_STAGES


def _value_required_from(
    entry: tuple[Node, Node] | None, src: SourceFile, stages: tuple[Stage, ...]
) -> str | None:
    if entry is None:
        proposal = next((s for s in stages if s.milestone == "proposal"), None)
        return proposal.id if proposal else None
    n = entry[1]
    if n.is_null:
        return None
    wanted = n.text.strip().lower()
    for s in stages:
        if wanted in (s.id, s.label.lower()):
            return s.id
    close = suggest(wanted, [s.id for s in stages])
    src.error(
        n.line,
        n.col,
        "value_required_from",
        f"{quoted(n.text)} is not a stage",
        (f"did you mean '{close[0]}'? " if close else "") + "use a stage id, or null for never",
    )
    return None
