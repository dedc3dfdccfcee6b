"""Stable, readable file names: a slug of the title (or of an id column), made unique in
row order, so the same input always maps to the same names and a re-run finds its files."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 60
# letters NFKD does not take apart into a base letter and an accent
_SPELLED = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ł": "l", "þ": "th"})
_RESERVED = frozenset(  # names Windows cannot open, whatever the extension
    ["con", "prn", "aux", "nul"]
    + [f"com{i}" for i in range(1, 10)]
    + [f"lpt{i}" for i in range(1, 10)]
)


def slugify(text: str) -> str:
    """'Café Nørd: Shop redesign!' -> 'cafe-nord-shop-redesign'; '' when nothing is left."""
    s = unicodedata.normalize("NFKD", text.casefold().translate(_SPELLED))
    s = s.encode("ascii", "ignore").decode("ascii")
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    if len(s) > MAX_LENGTH:
        cut = s[:MAX_LENGTH]
        s = cut.rsplit("-", 1)[0] if "-" in cut else cut
    if s in _RESERVED:
        s += "-deal"
    return s


def unique_names(bases: list[str]) -> list[str]:
    """Resolve collisions in order: the first 'acme' keeps it, the next is 'acme-2', ..."""
    used: set[str] = set()
    names = []
    for base in bases:
        name, n = base, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        names.append(name)
    return names
