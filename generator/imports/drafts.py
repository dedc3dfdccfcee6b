"""One row + the mapping -> the deal it describes (a DealDraft), or why it cannot be one.

Values are converted as the deal format expects them (stage ids, YYYY-MM-DD dates, tags as
a list) but never invented: an empty cell leaves the field out unless the mapping gives a
default. Whether the result is a valid deal is for `validate` to say, in dealtext.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..model import Config, Touch
from .csvfile import Row
from .dealtext import Amount, DealDraft
from .mapping import DATES, FIELD_ORDER, TEXT, Mapping, norm


@dataclass(frozen=True)
class Reason:
    """Why a row is not imported: a message (with its field) and how to fix it."""

    message: str
    hint: str = ""


def stage_of(row: Row, mapping: Mapping, config: Config) -> str | Reason:
    spec = mapping.fields["stage"]
    text = mapping.value(spec, row)
    if not text:
        return Reason(
            "stage: the row has no stage",
            f"fill the stage column, or give 'stage' a default in {mapping.path}",
        )
    key = norm(text)
    if key in mapping.stages:
        sid = mapping.stages[key]
        if sid is None:
            return Reason(f"stage: '{text}' is mapped to null in {mapping.path}: not imported")
        return sid
    wanted = text.strip().casefold()
    for s in config.stages:
        if wanted in (s.id.casefold(), s.label.casefold()):
            return s.id
    return Reason(
        f"stage: '{text}' is not in the stages table of {mapping.path} nor a stage of "
        "dealbook.yaml",
        f"add '{text}: <stage id>' under 'stages:' in {mapping.path}; stages are: "
        + ", ".join(s.id for s in config.stages),
    )


def one_line(text: str) -> str:
    """Text for a one-line field: line breaks and runs of spaces become one space."""
    return re.sub(r"\s+", " ", text).strip()


def draft(row: Row, mapping: Mapping, config: Config) -> DealDraft | list[Reason]:
    stage = stage_of(row, mapping, config)
    if isinstance(stage, Reason):
        return [stage]
    reasons: list[Reason] = []
    d = DealDraft()
    stage_dates: dict[str, date] = {}

    def applies(stages: frozenset[str] | None) -> bool:
        return stages is None or stage in stages

    def as_date(label: str, text: str) -> date | None:
        day = mapping.to_date(text)
        if day is None:
            reasons.append(
                Reason(
                    f"{label}: '{text}' is not a date",
                    "dates are read as YYYY-MM-DD; for another form add e.g. "
                    f"date_format: '%d/%m/%Y' to {mapping.path}",
                )
            )
        return day

    for name, spec in mapping.fields.items():
        if name == "stage" or not applies(spec.stages):
            continue
        text = mapping.value(spec, row)
        if not text:
            continue
        if name in TEXT:
            d.fields[name] = one_line(text)
        elif name in DATES:
            day = as_date(name, text)
            if day:
                d.fields[name] = day
        elif name in ("value", "probability"):
            d.fields[name] = Amount(one_line(text))
        elif name == "currency":
            d.fields[name] = one_line(text).upper()
        elif name == "lost_at":
            table = mapping.stages.get(norm(text))
            d.fields[name] = table or _config_stage(text, config) or one_line(text)
        elif name == "tags":
            tags = [one_line(t) for t in re.split(r"[,;\n]", text)]
            d.fields[name] = list(dict.fromkeys(t for t in tags if t))
        elif name == "notes":
            d.body = text
    for sid, spec in mapping.stage_dates.items():
        if applies(spec.stages) and (text := mapping.value(spec, row)):
            day = as_date(f"stage_dates.{sid}", text)
            if day:
                stage_dates[sid] = day
    for source_stage, day in row.stage_dates.items():  # a board's card moves
        moved = mapping.stages.get(norm(source_stage)) or _config_stage(source_stage, config)
        if moved and config.stage(moved).is_open and moved not in stage_dates:
            stage_dates[moved] = day
    if reasons:
        return reasons
    ordered = _ordered(d.fields, stage, stage_dates, row.touches, config)
    d.fields = ordered
    for key, spec in mapping.extra.items():
        if applies(spec.stages) and (text := mapping.value(spec, row)):
            d.extra[key] = text
    return d


def _config_stage(text: str, config: Config) -> str | None:
    wanted = text.strip().casefold()
    for s in config.stages:
        if wanted in (s.id.casefold(), s.label.casefold()):
            return s.id
    return None


def _ordered(
    fields: dict[str, object],
    stage: str,
    stage_dates: dict[str, date],
    touches: tuple[tuple[date, str, str], ...],
    config: Config,
) -> dict[str, object]:
    """The fields in the order of the deal format, stage dates in pipeline order."""
    fields = dict(fields, stage=stage)
    if stage_dates:
        order = [s.id for s in config.stages]
        fields["stage_dates"] = {
            sid: stage_dates[sid] for sid in sorted(stage_dates, key=order.index)
        }
    if touches:
        fields["touches"] = [Touch(day, kind, one_line(note)) for day, kind, note in touches]
    return {k: fields[k] for k in FIELD_ORDER if k in fields}
