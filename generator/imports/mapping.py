"""A mapping: which column (or template) fills each deal field, and how a row is read with it.

`mapfile` reads and checks the mapping file into these values; `drafts` applies them to rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ..validate import DATE_FIELDS, TEXT_FIELDS
from ..values import BadValue, parse_date
from .csvfile import Row

# the deal fields that hold one line of text, and those that hold a date
TEXT, DATES = TEXT_FIELDS, DATE_FIELDS
# The order fields are written in a new deal file; every key the validator knows.
FIELD_ORDER = (
    "title",
    "client",
    "stage",
    "value",
    "currency",
    "probability",
    "created",
    "expected_close",
    "closed",
    "lost_reason",
    "lost_at",
    "owner",
    "source",
    "next_step",
    "next_step_due",
    "tags",
    "stage_dates",
    "touches",
)
# What a mapping may fill: the fields (touches come from Trello only) and the notes body.
TARGETS = (*(f for f in FIELD_ORDER if f != "touches"), "notes")
ROW_COLUMN = "_row"  # every row's number, usable in templates: "Deal {_row}"


def norm(name: str) -> str:
    """Loose form of a column name or stage value: `Deal - Won time` == `won_time`."""
    s = re.sub(r"^\s*deal\s*[-\u2013\u2014:]\s*", "", name.casefold())
    return re.sub(r"[\W_]+", "", s)


@dataclass(frozen=True)
class Ref:
    """A column of the imported file, or of a lookup table (`{team.manager}`)."""

    column: str
    lookup: str | None = None


@dataclass(frozen=True)
class Template:
    """Literal text and column references; empty when any referenced cell is empty."""

    parts: tuple[str | Ref, ...]


@dataclass(frozen=True)
class Spec:
    """How one deal field (or extra field) is filled from a row."""

    label: str  # where it is in the mapping, e.g. "fields.title"
    alternatives: tuple[Template, ...] = ()  # tried in order; the first non-empty wins
    default: str | None = None  # when every alternative is empty
    stages: frozenset[str] | None = None  # only on rows in these stage ids
    ignore: frozenset[str] = frozenset()  # cell values (loose) that count as empty


@dataclass(frozen=True)
class Lookup:
    match: Template  # the value looked up, from the imported row
    rows: dict[str, dict[str, str]]  # key value -> that row of the lookup file


@dataclass
class Mapping:
    path: str
    fields: dict[str, Spec] = field(default_factory=dict)
    stage_dates: dict[str, Spec] = field(default_factory=dict)  # stage id -> spec
    extra: dict[str, Spec] = field(default_factory=dict)
    stages: dict[str, str | None] = field(default_factory=dict)  # norm(value) -> id; None: skip
    file_name: Spec | None = None
    date_formats: tuple[str, ...] = ()
    lookups: dict[str, Lookup] = field(default_factory=dict)

    def value(self, spec: Spec, row: Row) -> str | None:
        """The text a spec gives for a row (before the stage filter), or None."""
        for alt in spec.alternatives:
            text = self.fill(alt, row, spec.ignore)
            if text:
                return text
        return spec.default

    def fill(self, template: Template, row: Row, ignore: frozenset[str] = frozenset()) -> str:
        out: list[str] = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            cell = self.cell(part, row)
            if not cell or (ignore and norm(cell) in ignore):
                return ""
            out.append(cell)
        return "".join(out).strip()

    def cell(self, ref: Ref, row: Row) -> str:
        if ref.lookup is None:
            return str(row.number) if ref.column == ROW_COLUMN else row.cells.get(ref.column, "")
        lookup = self.lookups[ref.lookup]
        found = lookup.rows.get(self.fill(lookup.match, row))
        return found.get(ref.column, "") if found else ""

    def to_date(self, text: str) -> date | None:
        """ISO dates (a time after them is dropped), then the mapping's date_format list."""
        try:
            return parse_date(text)[0]
        except BadValue:
            pass
        for fmt in self.date_formats:
            try:
                return datetime.strptime(text.strip(), fmt).date()
            except ValueError:
                continue
        return None


def extra_key(column: str) -> str:
    """A column name as an extra field's key: `Deal - Weighted value` -> `weighted_value`."""
    s = re.sub(r"^\s*deal\s*[-\u2013\u2014:]\s*", "", column, flags=re.I)
    return re.sub(r"[\W_]+", "_", s.casefold()).strip("_")
