"""The plain values every stage passes on: config, stages, deals, touches, problems.

Frozen dataclasses only; this module imports nothing of the package, so any stage
(and any test) can build these values by hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Period:
    kind: str  # month | quarter | year | all | range
    start: date
    end: date

    def contains(self, day: date | None) -> bool:
        return day is not None and self.start <= day <= self.end


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class Touch:
    date: date
    kind: str
    note: str


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class DealFile:
    """A deal file that could not be made into a Deal still has a place on the site."""

    id: str
    path: str
    title: str | None
    problems: tuple[Problem, ...]
