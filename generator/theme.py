"""The theme: where the templates come from and the filters that format values in them.

The built-in templates are the repository's templates/ folder (shipped inside the package
as generator/theme); a pipeline's own templates/ folder overrides any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

import jinja2

from . import formatting as fmt


def _builtin_templates() -> Path:
    """The theme: inside the package when installed (generator/theme), else the
    repository's templates/ folder (a checkout, or an editable install)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "theme", here.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    return here.parent / "templates"


BUILTIN_TEMPLATES = _builtin_templates()
FLAG_LABELS = {
    "stalled": "Stalled",
    "no_next_step": "No next step",
    "overdue_next_step": "Overdue",
    "past_expected_close": "Past close date",
}


def _remembered(formatter: Callable[..., str]) -> Callable[..., str]:
    """A formatting filter that remembers its last few thousand answers: a deal page shows
    the same amounts and probabilities as many others. Only non-zero finite Decimals are
    remembered, as 0 and -0 are equal keys that print differently."""
    remembered = lru_cache(maxsize=4096)(formatter)

    def cached(value: object, *args: object) -> str:
        if type(value) is Decimal and value and value.is_finite():
            return remembered(value, *args)
        return formatter(value, *args)

    return cached


def environment(root: Path | None, compiled: Path | None = None) -> jinja2.Environment:
    """Templates from the user's `templates/` first, then the built-in theme. With
    `compiled` (a folder of the build cache), templates compiled by an earlier run are
    reused: compiling them took a tenth of a second of every fresh build."""
    paths = [str(root / "templates")] if root and (root / "templates").is_dir() else []
    if str(BUILTIN_TEMPLATES) not in paths:
        paths.append(str(BUILTIN_TEMPLATES))
    bytecode = None
    if compiled is not None:
        try:
            compiled.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            compiled.mkdir(exist_ok=True, mode=0o700)
            bytecode = jinja2.FileSystemBytecodeCache(str(compiled))
        except OSError:
            pass  # no cache folder: compile every time
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(paths),
        bytecode_cache=bytecode,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # a Builder makes a new environment whenever a template file changes (see
        # build._templates_key), so stat()ing every template on each page is wasted work
        auto_reload=False,
    )
    # a global as well as in each page's context: the badges macro needs nothing else, so the
    # deal page and the stage row import it without their context, and Jinja builds the
    # macros module once instead of once per page
    env.globals["flag_labels"] = FLAG_LABELS
    env.filters.update(
        money=_remembered(fmt.money),
        whole_money=lambda v, currency="": fmt.money(
            None if v is None else Decimal(v).quantize(Decimal(1), rounding=ROUND_HALF_UP), currency
        ),
        short_money=fmt.short_money,
        percent=_remembered(fmt.percent),
        days=fmt.days,
        multiple=fmt.multiple,
        day=fmt.day,
        month=fmt.month,
    )
    return env
