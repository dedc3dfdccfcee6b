"""A deal file's text, written by hand rather than by a YAML dumper, and checked by `validate`.

Any text YAML 1.1 could read as something else (yes, no, on, 010, 1:30, a date, a leading
symbol, ': ', ' #') is double-quoted, so every value reads back exactly as it was meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from ..load import SourceFile, compose, mapping_fields, split_front_matter
from ..model import Config, Deal, DealFile, Touch
from ..validate import check_deal

# Words YAML 1.1 reads as booleans or null, in any letter case.
_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"})
# Text safe to leave bare: a letter first, then letters, digits, spaces and a few marks that
# mean nothing to YAML inside a block mapping (no ':', '#', quotes or brackets).
_PLAIN = re.compile(r"[^\W\d_][\w .,'()/&+-]*")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


class Amount(str):
    """A value or probability as typed: bare when it is a plain number, else quoted text."""


@dataclass
class DealDraft:
    """The fields of a deal about to be written, in the order they are written."""

    fields: dict[str, object] = field(default_factory=dict)  # str | Amount | date | list | dict
    extra: dict[str, str] = field(default_factory=dict)
    body: str = ""


def scalar(text: str) -> str:
    """`text` as a YAML scalar that reads back as exactly this text."""
    if text and text.strip() == text and _PLAIN.fullmatch(text) and text.lower() not in _WORDS:
        return text
    return '"' + "".join(_escape(ch) for ch in text) + '"'


def _escape(ch: str) -> str:
    if ch in _ESCAPES:
        return _ESCAPES[ch]
    o = ord(ch)
    if o < 0x20 or 0x7F <= o <= 0x9F:  # control characters, and NEL (a YAML line break)
        return f"\\x{o:02x}"
    if ch in "\u2028\u2029\ufeff" or 0xD800 <= o <= 0xDFFF or o in (0xFFFE, 0xFFFF):
        return f"\\u{o:04x}"  # line and paragraph separators break lines in YAML 1.1
    return ch


def _value(v: object) -> str:
    if isinstance(v, Amount):
        return v if _NUMBER.fullmatch(v) else scalar(v)
    if isinstance(v, date):
        return v.isoformat()
    assert isinstance(v, str), v
    return scalar(v)


def render(draft: DealDraft) -> str:
    lines = ["---"]
    for key, v in [*draft.fields.items(), *draft.extra.items()]:
        k = scalar(key)
        if isinstance(v, list) and v and isinstance(v[0], Touch):
            lines.append(f"{k}:")
            for t in v:
                lines.append(f"  - date: {t.date.isoformat()}")
                if t.kind:
                    lines.append(f"    kind: {scalar(t.kind)}")
                if t.note:
                    lines.append(f"    note: {scalar(t.note)}")
        elif isinstance(v, list):
            lines.append(f"{k}:")
            lines.extend(f"  - {_value(item)}" for item in v)
        elif isinstance(v, dict):
            lines.append(f"{k}:")
            lines.extend(f"  {scalar(sk)}: {_value(sv)}" for sk, sv in v.items())
        else:
            lines.append(f"{k}: {_value(v)}")
    lines.append("---")
    body = body_text(draft.body)
    return "\n".join(lines) + "\n" + (body + "\n" if body else "")


def body_text(text: str) -> str:
    """Notes as the loader will read them back: LF line ends, no blank lines around."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")


def check_text(text: str, rel: str, config: Config) -> tuple[Deal | DealFile, SourceFile]:
    """Validate a deal file's text exactly as `dealbook check` would read it from deals/rel."""
    shown = f"deals/{rel}"
    src = SourceFile(shown)
    fm = split_front_matter(text, src)
    if fm is not None:
        mapping_fields(compose(fm, src), src, "the front matter")
    return check_deal(src, rel, config, shown), src


def reads_back(draft: DealDraft, deal: Deal) -> list[str]:
    """The fields whose value the written file would not give back exactly (a bug if any)."""
    wrong: list[str] = []
    for key in ("title", "client", "owner", "source", "next_step", "lost_reason"):
        if key in draft.fields and getattr(deal, key) != draft.fields[key]:
            wrong.append(key)
    if "tags" in draft.fields and list(deal.tags) != draft.fields["tags"]:
        wrong.append("tags")
    for key, text in draft.extra.items():
        if deal.extra.get(key) != text:
            wrong.append(key)
    if deal.body != body_text(draft.body):
        wrong.append("notes")
    return wrong
