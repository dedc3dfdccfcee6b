"""First stage: find the deal files, split front matter from body, parse the YAML.

The YAML is composed, not constructed: every value stays the text the user typed, with
its line and column, so `validate` decides what `NO`, `010` or `1:30` mean, not YAML 1.1.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import ERROR, WARNING, Problem

try:  # the C parser is several times faster; the pure-Python one gives the same nodes
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# Editor leftovers and private files are never deals (deal-format: names starting with
# `.` or `_`, `*~`, `*.swp`, `.#*`, JetBrains' `*___jb_tmp___`).
_IGNORED_SUFFIXES = ("~", ".swp", ".swo", ".swx", "___jb_tmp___", "___jb_old___")


class _Composer(_Loader):
    """Composes nodes without YAML 1.1's implicit typing: `validate` reads every value
    from its text, so asking the resolver's regular expressions about each one is wasted
    (a third of the parse time). An explicit tag such as `!money` is kept as written."""

    _TAGS = {
        yaml.ScalarNode: "tag:yaml.org,2002:str",
        yaml.SequenceNode: "tag:yaml.org,2002:seq",
        yaml.MappingNode: "tag:yaml.org,2002:map",
    }

    def resolve(self, kind: type, value: object, implicit: object) -> str:
        return self._TAGS[kind]


MAX_NODES = 20_000  # a front matter with more values than this is not a deal (alias bombs)


@dataclass
class Node:
    """One YAML value with where it was written. kind: scalar | seq | map."""

    kind: str
    line: int  # 1-based line in the file
    col: int  # 1-based column
    text: str = ""  # scalar text exactly as written (without quotes)
    quoted: bool = False  # the scalar was quoted, so it is text whatever it looks like
    items: list[Node] = field(default_factory=list)  # seq items
    pairs: list[tuple[Node, Node]] = field(default_factory=list)  # map entries in order
    tag: str | None = None  # an explicit tag such as !!str, when the user wrote one

    @property
    def is_null(self) -> bool:
        return (
            self.kind == "scalar"
            and not self.quoted
            and self.text in ("", "~", "null", "Null", "NULL")
        )

    def plain(self) -> object:
        """The value as plain Python: text, list or dict of text (for extra fields)."""
        if self.kind == "scalar":
            return None if self.is_null else self.text
        if self.kind == "seq":
            return [item.plain() for item in self.items]
        return {key.text: value.plain() for key, value in self.pairs}


@dataclass
class SourceFile:
    """A deal file or the config after parsing: its fields as nodes, its body, its problems."""

    path: str  # as shown to the user, relative to the root
    fields: dict[str, tuple[Node, Node]] = field(default_factory=dict)  # key -> (key, value)
    body: str = ""
    problems: list[Problem] = field(default_factory=list)
    parsed: bool = False  # the front matter was read as a mapping
    end_line: int = 1  # line of the closing `---`, where a missing field is reported

    def error(self, line: int, col: int, fld: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, line, col, ERROR, fld, message, hint))

    def warning(self, line: int, col: int, fld: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.path, line, col, WARNING, fld, message, hint))


def is_deal_name(name: str) -> bool:
    if name.startswith((".", "_")) or not name.endswith(".md"):
        return False
    return not name.endswith(_IGNORED_SUFFIXES)


def find_deal_files(deals_dir: Path) -> list[Path]:
    """Every deal file under deals_dir, sorted by id so output order never depends on the disk."""
    return [deals_dir / rel for rel in deal_paths(deals_dir)]


def deal_paths(deals_dir: Path) -> list[str]:
    """The relative paths (with /) of every deal file under deals_dir, sorted."""
    found: list[str] = []

    def walk(folder: str, prefix: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return
        for entry in entries:
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if not name.startswith((".", "_")):
                    walk(entry.path, f"{prefix}{name}/")
            elif is_deal_name(name) and entry.is_file():
                found.append(prefix + name)

    if deals_dir.is_dir():
        walk(str(deals_dir), "")
    return sorted(found)


def decode(data: bytes, src: SourceFile) -> str | None:
    """Bytes to text: UTF-8 (a BOM is dropped), CRLF and CR read as LF; anything else is an error."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        src.error(
            1,
            1,
            "",
            "file is UTF-16, not UTF-8",
            "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)",
        )
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1  # characters
        src.error(
            line,
            col,
            "",
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8 "
            "(the file looks like Latin-1 or Windows-1252)",
            "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)",
        )
        return None
    if "\x00" in text:
        if text.count("\x00") * 3 >= len(text):  # every other byte: UTF-16 without a BOM
            src.error(
                1,
                1,
                "",
                "file is UTF-16, not UTF-8",
                "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)",
            )
            return None
        at = text.index("\x00")
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        src.error(
            line, col, "", "file contains NUL bytes", "remove them; deal files are plain text"
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, src: SourceFile) -> str | None:
    """Return the YAML text between the opening and closing `---`, setting src.body."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        if lines and lines[0].rstrip() == "+++":
            src.error(
                1,
                1,
                "",
                "TOML front matter (+++) is not supported",
                "write the front matter as YAML between two '---' lines",
            )
        else:
            src.error(
                1,
                1,
                "",
                "no front matter: the file must start with a '---' line",
                "put the deal's fields between two '---' lines at the top of the file",
            )
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            src.end_line = i + 1
            src.body = "\n".join(lines[i + 1 :]).strip("\n")
            return "\n".join(lines[1:i])
    src.error(1, 1, "", "front matter is not closed", "add a line with '---' after the last field")
    return None


def compose(yaml_text: str, src: SourceFile, first_line: int = 2) -> Node | None:
    """Parse YAML text into a Node tree; syntax errors become problems with a place."""
    try:
        root = yaml.compose(yaml_text, Loader=_Composer)
    except yaml.MarkedYAMLError as exc:
        what = exc.problem or "invalid YAML"
        mark = exc.problem_mark or exc.context_mark
        hint = "check the indentation and quote text that contains ': ' or starts with a symbol"
        ctx = exc.context_mark
        opened = {"flow sequence": "[", "flow mapping": "{"}
        kind = next((k for k in opened if exc.context and k in exc.context), None)
        if kind and ctx is not None and mark is not None and mark.line > ctx.line:
            # `title: [draft` or `tags: [a, b`: the bracket opened on an earlier line
            mark, bracket = ctx, opened[kind]
            closer = "]" if bracket == "[" else "}"
            what = f"'{bracket}' is never closed"
            hint = (
                f"close it with '{closer}' on the same line, or put the text in quotes "
                f"if the '{bracket}' belongs to it"
            )
        elif "end of stream" in what and exc.context_mark is not None:
            # an unclosed quote or bracket: point where it was opened, not at the end
            mark = exc.context_mark
            what = f"{exc.context}, never closed" if exc.context else what
            hint = "close the quote or bracket opened here"
        line = (mark.line + first_line) if mark else first_line
        col = (mark.column + 1) if mark else 1
        lines = yaml_text.split("\n")
        bad_line = lines[mark.line] if mark and mark.line < len(lines) else ""
        if "\t" in bad_line[: (mark.column + 1) if mark else 0] or "tab" in what.lower():
            hint = "indent with spaces, not tabs"
        src.error(line, col, "", f"YAML syntax error: {what}", hint)
        return None
    except yaml.YAMLError as exc:
        src.error(first_line, 1, "", f"YAML syntax error: {exc}", "")
        return None
    if root is None:
        return None
    counter = [0]
    try:
        converted = _convert(root, first_line, counter, 0, src, "")
    except _TooBig as exc:
        src.error(
            first_line,
            1,
            "",
            str(exc),
            "write the values out instead of using deep nesting or repeated aliases",
        )
        return None
    return converted


class _TooBig(Exception):
    pass


def _convert(
    node: yaml.Node, first_line: int, counter: list[int], depth: int, src: SourceFile, path: str
) -> Node:
    """yaml node -> Node; `path` names where it sits (`touches`, `stage_dates.proposal`)."""
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise _TooBig(f"front matter has more than {MAX_NODES} values")
    if depth > 50:
        raise _TooBig("front matter is nested more than 50 levels deep")
    line = node.start_mark.line + first_line
    col = node.start_mark.column + 1
    # Only a local tag such as `!money` is kept; YAML's own tags are resolved by us, not it.
    explicit = node.tag if node.tag.startswith("!") else None
    if isinstance(node, yaml.ScalarNode):
        return Node(
            "scalar",
            line,
            col,
            text=str(node.value),
            quoted=node.style in ("'", '"', "|", ">"),
            tag=explicit,
        )
    if isinstance(node, yaml.SequenceNode):
        return Node(
            "seq",
            line,
            col,
            items=[_convert(n, first_line, counter, depth + 1, src, path) for n in node.value],
        )
    assert isinstance(node, yaml.MappingNode)
    pairs: list[tuple[Node, Node]] = []
    first: dict[str, Node] = {}
    for k, v in node.value:
        key = _convert(k, first_line, counter, depth + 1, src, path)
        where = f"{path}.{key.text}" if path else key.text
        value = _convert(v, first_line, counter, depth + 1, src, where)
        if key.kind == "scalar" and key.text in first:
            # "last one wins" would silently drop a value: report it, keep the first
            src.error(
                key.line,
                key.col,
                where,
                f"duplicate key (first given on line {first[key.text].line})",
                "keep one of the two; a key may appear only once",
            )
            continue
        if key.kind == "scalar":
            first[key.text] = key
        pairs.append((key, value))
    return Node("map", line, col, pairs=pairs)


def mapping_fields(root: Node | None, src: SourceFile, what: str) -> None:
    """Fill src.fields from a mapping node; duplicates and non-text keys are errors."""
    if root is None:
        src.parsed = not any(p.is_error for p in src.problems)
        return
    if root.kind != "map":
        shape = "a list" if root.kind == "seq" else "a single value"
        src.error(
            root.line,
            root.col,
            "",
            f"{what} is {shape}, not a set of 'key: value' fields",
            "write one 'key: value' per line, e.g. 'title: Shopify redesign'",
        )
        return
    src.parsed = True
    for key, value in root.pairs:
        if key.kind != "scalar" or key.is_null:
            src.error(
                key.line,
                key.col,
                "",
                "a key must be a plain name",
                "write keys as words such as 'title' or 'value'",
            )
            continue
        src.fields[key.text] = (key, value)


def read_deal(path: Path, shown: str) -> SourceFile:
    src = SourceFile(shown)
    try:
        data = path.read_bytes()
    except OSError as exc:
        src.error(1, 1, "", f"cannot read file: {exc.strerror}", "check the file's permissions")
        return src
    text = decode(data, src)
    if text is None:
        return src
    fm = split_front_matter(text, src)
    if fm is None:
        return src
    root = compose(fm, src)
    if root is None and not src.problems:
        src.error(
            1,
            1,
            "",
            "front matter is empty",
            "add at least 'title', 'stage' and 'created' between the '---' lines",
        )
        return src
    mapping_fields(root, src, "the front matter")
    return src


def read_config(path: Path, shown: str) -> SourceFile:
    """The config is YAML on its own: line 1 is the file's first line."""
    src = SourceFile(shown)
    if not path.exists():
        src.parsed = True
        return src
    text = decode(path.read_bytes(), src)
    if text is None:
        return src
    root = compose(text, src, first_line=1)
    mapping_fields(root, src, "dealbook.yaml")
    if root is None and not src.problems:
        src.parsed = True
    return src
