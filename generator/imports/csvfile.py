"""Reading a spreadsheet export: bytes -> header + rows, whatever the tool that wrote it.

UTF-8 with or without a BOM (anything else is an error naming the row and byte), `,` `;`
or tab found by looking at the file, CRLF or LF, quoted fields with newlines, no final
newline. Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from ..model import ERROR, Problem

DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
_SNIFF_ROWS = 50
_RESAVE = (
    "re-save the file as UTF-8: in Excel 'Save As' > 'CSV UTF-8 (Comma delimited)'; in "
    "LibreOffice tick 'Edit filter settings' and pick 'Unicode (UTF-8)'; or run "
    "'iconv -f WINDOWS-1252 -t UTF-8 old.csv > new.csv'"
)


@dataclass(frozen=True)
class Row:
    """One record to import: its cells by column name, and where it came from."""

    number: int  # the spreadsheet row (header = 1), or the card's place in a board
    label: str  # how the report names it: "row 7", "card 3 'Acme'"
    cells: dict[str, str]
    # sources richer than a table (Trello) also carry dated events:
    stage_dates: dict[str, date] = field(default_factory=dict)  # source stage name -> entered
    touches: tuple[tuple[date, str, str], ...] = ()  # (date, kind, note)


@dataclass(frozen=True)
class Table:
    path: str  # as shown to the user
    columns: list[str]
    rows: list[Row]
    skipped: list[tuple[Row, str, str]]  # rows that cannot be read: (row, reason, hint)
    description: str  # e.g. "UTF-8, columns separated by semicolons"


class SourceError(Exception):
    """The file cannot be read at all; carries the problems to print."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].message if problems else "cannot read")
        self.problems = problems


def decode(data: bytes, shown: str) -> tuple[str, bool]:
    """Bytes -> text and whether there was a BOM; anything but UTF-8 is a SourceError."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(
            [
                Problem(
                    shown,
                    1,
                    1,
                    ERROR,
                    "",
                    "the file is UTF-16, not UTF-8",
                    _RESAVE.replace("WINDOWS-1252", "UTF-16"),
                )
            ]
        )
    bom = data.startswith(b"\xef\xbb\xbf")
    if bom:
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        good = data[: exc.start].decode("utf-8")
        line = good.count("\n") + 1
        col = len(good) - (good.rfind("\n") + 1) + 1
        row = _rows_started(good)
        offset = exc.start + (3 if bom else 0)
        raise SourceError(
            [
                Problem(
                    shown,
                    line,
                    col,
                    ERROR,
                    "",
                    f"row {row}: byte 0x{data[exc.start]:02x} (at offset {offset} in the file) is "
                    "not UTF-8; the file looks like Latin-1 or Windows-1252",
                    _RESAVE,
                )
            ]
        ) from None
    return text, bom


def _rows_started(text: str) -> int:
    """The row in which `text` ends: a sentinel stands in for the byte that follows it."""
    reader = csv.reader(io.StringIO(text + "X", newline=""))
    count = 0
    try:
        for _ in reader:
            count += 1
    except csv.Error:  # an unfinished quoted cell: the row it opened is the one
        count += 1
    return max(count, 1)


def sniff(text: str) -> str:
    """The delimiter that splits the first rows into the same, largest number of columns."""
    best, best_score = ",", (False, 0.0, 0)
    sample = text[:65536]
    for delim in DELIMITERS:
        reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delim)
        rows: list[list[str]] = []
        try:
            for record in reader:
                if record:
                    rows.append(record)
                if len(rows) >= _SNIFF_ROWS:
                    break
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        same = sum(1 for r in rows[1:] if len(r) == width) / max(len(rows) - 1, 1)
        score = (width > 1, same, width)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_table(data: bytes, shown: str, delimiter: str | None = None) -> Table:
    """Parse a CSV export. Rows with more cells than the header are skipped with a reason."""
    text, bom = decode(data, shown)
    delim = delimiter or sniff(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    records: list[list[str]] = []
    try:
        records.extend(reader)
    except csv.Error as exc:
        raise SourceError(
            [
                Problem(
                    shown,
                    reader.line_num,
                    1,
                    ERROR,
                    "",
                    f"row {len(records) + 1}: cannot be read as CSV ({exc})",
                    'check the quotes on that row; a cell holding quotes must double them ("")',
                )
            ]
        ) from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise SourceError(
            [
                Problem(
                    shown,
                    1,
                    1,
                    ERROR,
                    "",
                    "the file has no header row",
                    "the first row must name the columns, e.g. 'Title,Stage,Value'",
                )
            ]
        )
    columns = _column_names(records[0])
    rows: list[Row] = []
    skipped: list[tuple[Row, str, str]] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line is not a deal
        cells = {col: _cell(record[i]) if i < len(record) else "" for i, col in enumerate(columns)}
        row = Row(number, f"row {number}", cells)
        if len(record) > len(columns) and any(c.strip() for c in record[len(columns) :]):
            skipped.append(
                (
                    row,
                    f"has {len(record)} cells but the header names {len(columns)} columns",
                    "a cell holding the delimiter must be in double quotes",
                )
            )
            continue
        rows.append(row)
    name = DELIMITER_NAMES.get(delim, repr(delim))
    description = f"UTF-8{' with BOM' if bom else ''}, {name}-separated"
    return Table(shown, columns, rows, skipped, description)


def _column_names(header: list[str]) -> list[str]:
    """The header's names, made distinct: a repeated 'Name' becomes 'Name (2)', an empty
    one 'column 5', so no column silently hides another."""
    names: list[str] = []
    for i, raw in enumerate(header, start=1):
        name = raw.strip() or f"column {i}"
        base, n = name, 2
        while name in names:
            name, n = f"{base} ({n})", n + 1
        names.append(name)
    return names


def _cell(text: str) -> str:
    """A cell as text: line breaks inside quotes become \\n, the ends are trimmed."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()
