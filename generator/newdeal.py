"""`dealbook new`: a well-formed deal file from a title, ready to be filled in.

Built like an import (written by hand, checked by `validate`, created without ever
replacing a file): deals/<slug>.md, or <slug>-2.md and so on when that name is taken.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from .imports.dealtext import Amount, DealDraft, check_text, render
from .imports.drafts import one_line
from .imports.run import repo_config
from .imports.slugs import slugify
from .imports.writing import create
from .model import Config, Deal, Stage
from .values import quote_list, suggest

NEXT_STEP = "Plan the first call"
DUE_IN_DAYS = 7
NOTES = (
    "## Context\nWhat they need, and why now.\n\n## Contacts\nWho decides, and how to reach them.\n"
)
MAX_TRIES = 1000
_CLOSED_WORDS = frozenset({"closed", "done", "signed", "won", "lost", "complete", "completed"})


class NewDealError(Exception):
    """Why the deal cannot be written; `code` is the exit code (2: a bad argument)."""

    def __init__(self, message: str, hint: str = "", code: int = 2) -> None:
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code


def open_stage(config: Config, wanted: str | None) -> Stage:
    """The stage named by id or label, in any case; the first open stage by default."""
    if wanted is None:
        return config.open_stages[0]
    key = wanted.strip().casefold()
    for s in config.stages:
        if key in (s.id.casefold(), s.label.casefold()):
            if not s.is_open:
                raise NewDealError(
                    f"--stage {wanted}: a new deal starts in an open stage",
                    "open stages are: " + ", ".join(x.id for x in config.open_stages),
                )
            return s
    if key in _CLOSED_WORDS:
        raise NewDealError(
            f"--stage {wanted}: a new deal starts in an open stage",
            "open stages are: " + ", ".join(x.id for x in config.open_stages),
        )
    names = {s.id.casefold(): s.id for s in config.open_stages}
    names |= {s.label.casefold(): s.id for s in config.open_stages}
    close = list(dict.fromkeys(names[c] for c in suggest(key, list(names), n=2)))
    guess = f"; did you mean {quote_list(close)}?" if close else ""
    raise NewDealError(
        f"--stage {wanted}: not a stage{guess}",
        "open stages are: " + ", ".join(s.id for s in config.open_stages),
    )


def new_deal(
    root: Path,
    title: str,
    client: str | None = None,
    stage: str | None = None,
    value: str | None = None,
    today: date | None = None,
) -> Path:
    """Write a new deal file under root/deals and return its path."""
    config, errors = repo_config(root)
    if errors:
        raise NewDealError(
            "dealbook.yaml has errors; fix them first", "`dealbook check` lists them", code=1
        )
    # "today" is the pipeline's today: a config that fixes as_of (as the sample does) keeps
    # new deals from being dated after it, which would show negative days in stage
    day = today or config.as_of or date.today()
    title = one_line(title)
    if not title:
        raise NewDealError(
            "the title is empty", 'write what the deal is: dealbook new "Shop redesign"'
        )
    d = DealDraft()
    d.fields["title"] = title
    if client and one_line(client):
        d.fields["client"] = one_line(client)
    d.fields["stage"] = open_stage(config, stage).id
    if value is not None:
        d.fields["value"] = Amount(value.strip())
    d.fields["created"] = day
    d.fields["next_step"] = NEXT_STEP
    d.fields["next_step_due"] = day + timedelta(days=DUE_IN_DAYS)
    d.body = NOTES
    text = render(d)
    deal, src = check_text(text, "new.md", config)
    if not isinstance(deal, Deal):
        p = next(p for p in src.problems if p.is_error)
        option = {"value": "--value", "title": "title", "client": "--client"}.get(p.field, p.field)
        hint = "pass e.g. --value 4800" if p.field == "value" and "needs" in p.message else p.hint
        raise NewDealError(f"{option}: {p.message}", hint)
    data = text.encode("utf-8")
    base = slugify(title) or "deal"
    for n in range(1, MAX_TRIES + 1):
        path = root / "deals" / (f"{base}.md" if n == 1 else f"{base}-{n}.md")
        if not path.exists() and not path.is_symlink() and create(path, data):
            return path
    raise NewDealError(f"deals/{base}.md and {MAX_TRIES - 1} more names are taken", code=1)
