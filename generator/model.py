"""The plain values every stage passes on: config, stages, deals, touches, problems.

Frozen dataclasses (and one named tuple) only; this module imports nothing of the
package, so any stage (and any test) can build these values by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, TypeVar

ERROR = "error"
WARNING = "warning"

T = TypeVar("T")
_SETTERS: dict[type, tuple[Any, ...]] = {}


def compact(cls: type[T]) -> type[T]:
    """For a frozen dataclass with slots made by the hundred thousand (deals, their
    facts, problems): pickle it as a tuple of its values, rebuilt by setting each slot. The build cache and the worker processes pickle every deal; a slotted
    object is also read faster than one with a __dict__, on every pass of the metrics."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    _SETTERS[cls] = tuple(cls.__dict__[name].__set__ for name in names)

    def reduce(self: Any) -> tuple[Any, ...]:
        return (_rebuild, (cls, tuple([getattr(self, name) for name in names])))

    cls.__reduce__ = reduce  # type: ignore[method-assign]
    return cls


def _rebuild(cls: type[T], values: tuple[Any, ...]) -> T:
    obj = object.__new__(cls)
    for set_value, value in zip(_SETTERS[cls], values, strict=True):
        set_value(obj, value)
    return obj


@compact
@dataclass(frozen=True, order=True, slots=True)
class Problem:
    """One thing wrong in a deal file or the config, with its place and a fix."""

    path: str  # as shown to the user, e.g. "deals/acme.md" or "dealbook.yaml"
    line: int  # 1-based, counting the opening `---` as line 1
    col: int  # 1-based
    severity: str  # ERROR or WARNING
    field: str  # the front-matter key, or "" for a file-level problem
    message: str
    hint: str = ""

    def format(self) -> str:
        where = f"{self.path}:{self.line}:{self.col}"
        subject = f"{self.field}: " if self.field else ""
        return f"{where}: {self.severity}: {subject}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    label: str
    probability: Decimal  # 1 for won, 0 for lost
    stall_after_days: int
    milestone: str | None = None  # "qualified" | "proposal" | None
    outcome: str | None = None  # "won" | "lost" | None for open stages

    @property
    def is_open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True, slots=True)
class Period:
    kind: str  # month | quarter | year | all | range
    start: date
    end: date

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True, slots=True)
class Config:
    title: str = "Pipeline"
    currency: str = "USD"
    rates: dict[str, Decimal] = field(default_factory=dict)
    base_url: str = "/"
    repo_url: str | None = None
    as_of: date | None = None
    period: str = "quarter"  # month | quarter | year | all | range
    period_from: date | None = None
    period_to: date | None = None
    quota: Decimal | None = None
    stall_after_days: int = 14
    value_required_from: str | None = None  # a stage id; None means never
    stages: tuple[Stage, ...] = ()

    @property
    def open_stages(self) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.is_open)

    def stage(self, stage_id: str) -> Stage:
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    def milestone(self, name: str) -> Stage | None:
        for s in self.stages:
            if s.milestone == name:
                return s
        return None

    def outcome_stage(self, outcome: str) -> Stage | None:
        for s in self.stages:
            if s.outcome == outcome:
                return s
        return None


class Touch(NamedTuple):
    """One logged contact. A named tuple, not a dataclass: a deal may log dozens, and the
    build cache loads a tuple faster than any other object."""

    date: date
    kind: str
    note: str


@compact
@dataclass(frozen=True, slots=True)
class Deal:
    """A valid deal: every field checked and typed, with the text it was written as."""

    id: str  # path under deals/ without .md, with forward slashes
    path: str  # as shown to the user, e.g. "deals/2026/acme.md"
    title: str
    stage: str  # a stage id
    created: date
    client: str | None = None
    value: Decimal | None = None  # in `currency`
    currency: str = "USD"
    base_value: Decimal | None = None  # in the config's base currency
    expected_close: date | None = None
    closed: date | None = None
    lost_reason: str | None = None
    lost_at: str | None = None
    owner: str | None = None
    source: str | None = None
    probability: Decimal | None = None  # the file's override, if any
    next_step: str | None = None
    next_step_due: date | None = None
    tags: tuple[str, ...] = ()
    stage_dates: dict[str, date] = field(default_factory=dict)
    touches: tuple[Touch, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept as written
    raw: dict[str, Any] = field(default_factory=dict)  # every front-matter field as text
    body: str = ""
    lines: dict[str, int] = field(default_factory=dict)  # key -> line in the file


@compact
@dataclass(frozen=True, slots=True)
class DealFile:
    """A deal file that could not be made into a Deal still has a place on the site."""

    id: str
    path: str
    title: str | None
    problems: tuple[Problem, ...]
