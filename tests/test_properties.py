"""Property: whatever a deal file holds, loading and checking it never raises, and every
problem points at a place inside the file (line 1.., column 1..).

Hypothesis writes the files: YAML-ish front matter assembled from the pieces that trip
parsers (indentation, flow brackets, anchors, tags, quotes, tabs, odd line endings), random
text, and random bytes. Bounded so the whole module runs in seconds.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config import read_config
from generator.load import SourceFile, read_deal
from generator.model import Deal, DealFile
from generator.validate import KNOWN, check_deal

CONFIG = read_config(SourceFile("dealbook.yaml"))
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = st.sampled_from([*KNOWN, "budget_range", "<<", "~", "? a", "[a, b]", '""', "yes", "é"])
TOKENS = st.sampled_from(
    [
        "yes",
        "NO",
        "on",
        "~",
        "null",
        "010",
        "0x1F",
        "1:30",
        "1e3",
        "4.8k",
        '"$4,800"',
        "EUR 1.234,50",
        "2026-02-30",
        "2026-09-14",
        "2026-09-14T10:00:00+02:00",
        "1899-01-01",
        "lead",
        "won",
        "proposal",
        "-5",
        "1.5",
        "40%",
        "&a x",
        "*a",
        "*b",
        "!!str 1",
        "!!python/object/apply:os.system [x]",
        "[",
        "]",
        "{",
        "}",
        "[a, b]",
        "{a: 1}",
        "'",
        '"',
        "|",
        ">",
        "- x",
        "#",
        ": ",
        "\t",
        "\u202e",
        "\x1b",
        "東京",
        "🚀",
        "",
    ]
)
LINE = st.one_of(
    st.tuples(
        st.sampled_from(["", "  ", "    ", "\t", "- ", "  - "]),
        KEYS,
        st.sampled_from([": ", ":", " : "]),
        TOKENS,
    ).map("".join),
    st.tuples(st.sampled_from(["", "  ", "- "]), TOKENS, TOKENS).map(" ".join),
    st.text(max_size=40),
)
ENDING = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def yamlish(draw: st.DrawFn) -> bytes:
    lines = draw(st.lists(LINE, max_size=12))
    eol = draw(ENDING)
    closing = draw(st.sampled_from(["---", "...", "----", "+++", ""]))
    body = draw(st.text(max_size=60))
    text = eol.join(["---", *lines, closing, body])
    prefix = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n"]))
    return prefix + text.encode("utf-8", "surrogatepass")


FILES = st.one_of(
    yamlish(),
    st.text(max_size=200).map(lambda t: ("---\n" + t + "\n---\n").encode("utf-8", "surrogatepass")),
    st.binary(max_size=200).map(lambda b: b"---\n" + b + b"\n---\n"),
    st.binary(max_size=200),
)


def _line_count(data: bytes) -> int:
    text = data.decode("utf-8", "replace")
    return len(re.split(r"\r\n|\r|\n", text))


@SETTINGS
@given(FILES)
def test_any_file_loads_or_reports_problems_inside_it(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "deals" / "acme.md"
        path.parent.mkdir()
        path.write_bytes(data)
        src = read_deal(path, "deals/acme.md")
        result = check_deal(src, "acme.md", CONFIG, "deals/acme.md")
    assert isinstance(result, (Deal, DealFile))
    lines = _line_count(data)
    for p in src.problems:
        assert 1 <= p.line <= lines, (p.format(), lines)
        assert p.col >= 1, p.format()
        assert "\n" not in p.format() and "\x1b" not in p.format() and "\u202e" not in p.format()
    if isinstance(result, DealFile):
        assert any(p.is_error for p in src.problems) or src.problems and not src.parsed
