"""First stage: find the deal files, split front matter from body, parse the YAML.

The YAML is composed, not constructed: every value stays the text the user typed, with
its line and column, so `validate` decides what `NO`, `010` or `1:30` mean, not YAML 1.1.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .model import ERROR, WARNING, Problem
from .values import MAX_QUOTED, quoted, visible

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


# Limits that keep one file from taking the build's time or memory. Each is far above any
# real deal (one with 10,000 touches has about 400 KB and 10,000 values) and each, when
# hit, is an error on that file only.
MAX_FILE_BYTES = 1_000_000  # read no more than this; a bigger file is an error
MAX_NODES = 100_000  # values in one YAML document, aliases expanded (alias bombs)
MAX_DEPTH = 50  # levels of nesting
MAX_KEY = 100  # characters in a front-matter key
_COUNT_EVENTS_FROM = 64_000  # front matter this long is counted before it is composed
_SAVE_AS_UTF8 = "save the file as UTF-8 (in most editors: 'Save with encoding' > UTF-8)"
# What YAML allows in a stream (PyYAML's reader refuses the rest)
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Characters a page address cannot carry as they are (# ? %), that Windows and the writer
# refuse (a backslash), and control characters
_BAD_NAME_CHARS = re.compile("[#?%\\\\\x00-\x1f\x7f]")
# What pathlib's is_symlink reads as "no such path" rather than raising
_NOT_THERE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))  # what an unquoted null is written as


@dataclass(slots=True)
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
        return self.kind == "scalar" and not self.quoted and self.text in _NULLS

    def plain(self) -> object:
        """The value as plain Python: text, list or dict of text (for extra fields)."""
        if self.kind == "scalar":
            return None if not self.quoted and self.text in _NULLS else self.text
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
        self.problems.append(_problem(self.path, line, col, ERROR, fld, message, hint))

    def warning(self, line: int, col: int, fld: str, message: str, hint: str = "") -> None:
        self.problems.append(_problem(self.path, line, col, WARNING, fld, message, hint))


def _problem(
    path: str, line: int, col: int, severity: str, fld: str, message: str, hint: str
) -> Problem:
    """Every problem passes here: whatever a file puts into a message (a key, a value, its
    name) is shown on one line, without control or text-direction characters, so a message
    printed in a terminal or on the site reads the way the file is written."""
    if len(fld) > MAX_QUOTED:
        fld = fld[: MAX_QUOTED - 1] + "…"
    return Problem(
        visible(path), line, col, severity, visible(fld), visible(message), visible(hint)
    )


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
            elif entry.is_symlink():
                # listed, so that reading it says why it is not read (links are not followed)
                if is_deal_name(name) or (entry.is_dir() and not name.startswith((".", "_"))):
                    found.append(prefix + name)
            elif is_deal_name(name) and entry.is_file():
                found.append(prefix + name)

    if deals_dir.is_dir():
        walk(str(deals_dir), "")
    return sorted(found)


def _place(before: str) -> tuple[int, int]:
    """(line, column) of the character after `before`, counting CRLF, CR and LF as breaks."""
    lines = _LINE_BREAK.split(before)
    return len(lines), len(lines[-1]) + 1


def _wide_encoding(data: bytes) -> str | None:
    """'UTF-16' or 'UTF-32' when the bytes are text in one of them, with or without a BOM."""
    if data.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:4096]
    if len(head) < 4 or head.count(0) * 10 < len(head):  # counted in C: most files have none
        return None  # a stray NUL or two is reported as such, after decoding
    zeros = [i for i, b in enumerate(head) if b == 0]
    if len(zeros) * 2 > len(head):  # three bytes in four are zero in Latin text
        return "UTF-32"
    # UTF-16: the zero bytes of Latin letters all sit at even, or all at odd, offsets
    even = sum(1 for i in zeros if i % 2 == 0)
    return "UTF-16" if max(even, len(zeros) - even) * 10 >= len(zeros) * 9 else None


def decode(data: bytes, src: SourceFile) -> str | None:
    """Bytes to text: UTF-8 (a BOM is dropped), CRLF and CR read as LF; anything else is an error."""
    wide = _wide_encoding(data)
    if wide:
        src.error(1, 1, "", f"file is {wide}, not UTF-8", _SAVE_AS_UTF8)
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _place(data[: exc.start].decode("utf-8", "replace"))  # characters
        src.error(
            line,
            col,
            "",
            f"byte 0x{data[exc.start]:02x} is not valid UTF-8 "
            "(the file looks like Latin-1 or Windows-1252)",
            _SAVE_AS_UTF8,
        )
        return None
    if "\x00" in text:
        line, col = _place(text[: text.index("\x00")])
        src.error(
            line, col, "", "file contains NUL bytes", "remove them; deal files are plain text"
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, src: SourceFile) -> str | None:
    """Return the YAML text between the opening and closing `---`, setting src.body."""
    lines = text.split("\n")
    if not text.strip():
        src.error(
            1,
            1,
            "",
            "file is empty",
            "write the deal's fields between two '---' lines, or delete the file",
        )
        return None
    first = next(i for i, line in enumerate(lines) if line.strip())
    if first and lines[first].strip() == "---":
        above = "the empty line" if first == 1 else f"the {first} empty lines"
        src.error(
            first + 1,
            1,
            "",
            "the front matter must start on the first line",
            f"remove {above} above the '---'",
        )
        return None
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
    hint = "add a line with '---' after the last field"
    for i in range(1, len(lines)):
        if re.fullmatch(r"\s*(-{2,}|\+{3,}|\.{3,})\s*", lines[i]):
            hint = (
                f"line {i + 1} is {quoted(lines[i])}; to end the front matter, write exactly '---'"
            )
            break
    src.error(1, 1, "", "front matter is not closed", hint)
    return None


def compose(yaml_text: str, src: SourceFile, first_line: int = 2) -> Node | None:
    """Parse YAML text into a Node tree; syntax errors become problems with a place."""
    too_deep = f"front matter is nested more than {MAX_DEPTH} levels deep"
    too_big = f"front matter has more than {MAX_NODES:,} values"
    bounded = "write the values out instead of using deep nesting or repeated aliases"
    try:
        if len(yaml_text) >= _COUNT_EVENTS_FROM and not _few_events(yaml_text):
            # composing a long list of tiny values takes many times the text's memory
            src.error(first_line, 1, "", too_big, bounded)
            return None
        root = yaml.compose(yaml_text, Loader=_Composer)
    except yaml.reader.ReaderError:
        bad = _NOT_YAML.search(yaml_text)
        at = bad.start() if bad else 0
        line, col = _place(yaml_text[:at])
        code = ord(yaml_text[at]) if bad else 0
        char = "control character" if code < 0x20 or 0x7F <= code <= 0x9F else "character"
        src.error(
            line + first_line - 1,
            col,
            "",
            f"{char} U+{code:04X} is not allowed",
            "delete it: it is invisible in most editors",
        )
        return None
    except RecursionError:  # the pure-Python parser recurses once per level
        src.error(first_line, 1, "", too_deep, bounded)
        return None
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
        if "maximum nesting depth" in what:  # libyaml's own limit, far above ours
            src.error(line, col, "", too_deep, bounded)
            return None
        src.error(line, col, "", f"YAML syntax error: {what}", hint)
        return None
    except yaml.YAMLError as exc:
        src.error(first_line, 1, "", f"YAML syntax error: {type(exc).__name__}", "")
        return None
    if root is None:
        return None
    counter = [0]
    try:
        converted = _convert(root, first_line, counter, 0, src, "")
    except _TooBig as exc:
        if exc.args[0] == "depth":
            src.error(exc.args[1], exc.args[2], "", too_deep, bounded)
        else:
            src.error(first_line, 1, "", too_big, bounded)
        return None
    return converted


def _few_events(yaml_text: str) -> bool:
    """Whether the YAML has at most MAX_NODES values, counted from the parser's events
    without building nodes (an alias counts once here; `_convert` counts it expanded)."""
    count = 0
    for event in yaml.parse(yaml_text, Loader=_Loader):
        if isinstance(event, (yaml.NodeEvent, yaml.CollectionStartEvent)):
            count += 1
            if count > MAX_NODES:
                return False
    return True


class _TooBig(Exception):
    pass


_QUOTED_STYLES = frozenset(("'", '"', "|", ">"))


def _convert(
    node: yaml.Node, first_line: int, counter: list[int], depth: int, src: SourceFile, path: str
) -> Node:
    """yaml node -> Node; `path` names where it sits (`touches`, `stage_dates.proposal`).

    Runs for every value of every file, so the common case (a scalar) is made inline and
    the name of a mapping value's place is spelt out only for a value that can use it."""
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise _TooBig("values")
    mark = node.start_mark
    if depth > MAX_DEPTH:  # pointed at: the first value that is too deep
        raise _TooBig("depth", mark.line + first_line, mark.column + 1)
    line = mark.line + first_line
    col = mark.column + 1
    # Only a local tag such as `!money` is kept; YAML's own tags are resolved by us, not it.
    tag = node.tag
    explicit = tag if tag.startswith("!") else None
    if isinstance(node, yaml.ScalarNode):
        return Node(
            "scalar", line, col, str(node.value), node.style in _QUOTED_STYLES, [], [], explicit
        )
    depth += 1
    if isinstance(node, yaml.SequenceNode):
        items = [
            _scalar(n, first_line, counter, depth)
            if isinstance(n, yaml.ScalarNode)
            else _convert(n, first_line, counter, depth, src, path)
            for n in node.value
        ]
        return Node("seq", line, col, "", False, items, [])
    assert isinstance(node, yaml.MappingNode)
    pairs: list[tuple[Node, Node]] = []
    first: dict[str, Node] = {}
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode):
            key = _scalar(k, first_line, counter, depth)
            if not k.style and k.value == "<<":
                # YAML 1.1 would merge the anchored mapping in; composing does not
                src.error(
                    key.line,
                    key.col,
                    path,
                    "'<<' (a YAML merge key) is not supported",
                    "write the fields out in full instead of merging them from an anchor",
                )
                continue
        else:
            key = _convert(k, first_line, counter, depth, src, path)
        if isinstance(v, yaml.ScalarNode):
            value = _scalar(v, first_line, counter, depth)
        else:
            where = f"{path}.{key.text}" if path else key.text
            value = _convert(v, first_line, counter, depth, src, where)
        if key.kind == "scalar":
            text = key.text
            if text in first:
                # "last one wins" would silently drop a value: report it, keep the first
                src.error(
                    key.line,
                    key.col,
                    f"{path}.{text}" if path else text,
                    f"duplicate key (first given on line {first[text].line})",
                    "keep one of the two; a key may appear only once",
                )
                continue
            first[text] = key
        pairs.append((key, value))
    return Node("map", line, col, "", False, [], pairs)


def _scalar(node: yaml.ScalarNode, first_line: int, counter: list[int], depth: int) -> Node:
    """`_convert` for a scalar, which needs neither the file nor its place's name."""
    counter[0] += 1
    if counter[0] > MAX_NODES:
        raise _TooBig("values")
    mark = node.start_mark
    if depth > MAX_DEPTH:
        raise _TooBig("depth", mark.line + first_line, mark.column + 1)
    tag = node.tag
    return Node(
        "scalar",
        mark.line + first_line,
        mark.column + 1,
        str(node.value),
        node.style in _QUOTED_STYLES,
        [],
        [],
        tag if tag.startswith("!") else None,
    )


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
        if key.kind != "scalar" or key.is_null or not key.text.strip():
            src.error(
                key.line,
                key.col,
                "",
                "a key must be a plain name",
                "write keys as words such as 'title' or 'value'",
            )
            continue
        if len(key.text) > MAX_KEY:
            src.error(
                key.line,
                key.col,
                "",
                f"a key may be at most {MAX_KEY} characters long (this one has {len(key.text):,})",
                "a key names a field; put long text in the value or in the notes",
            )
            continue
        src.fields[key.text] = (key, value)


def read_bytes(path: str | Path, src: SourceFile) -> bytes | None:
    """At most MAX_FILE_BYTES of a regular file; anything else is a problem on src."""
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                src.error(1, 1, "", "is not a regular file", "deal files are plain text files")
                return None
            # Asking for MAX_FILE_BYTES at once makes a buffer that big for every file; ask
            # for the size it has, and for the rest of the limit only if it grew meanwhile.
            want = MAX_FILE_BYTES + 1
            data = fh.read(min(st.st_size + 1, want))
            if len(data) > st.st_size:
                data += fh.read(want - len(data))
            size = os.fstat(fh.fileno()).st_size if len(data) > MAX_FILE_BYTES else 0
    except OSError as exc:
        src.error(1, 1, "", f"cannot read file: {exc.strerror}", "check the file's permissions")
        return None
    if len(data) > MAX_FILE_BYTES:
        src.error(
            1,
            1,
            "",
            f"file is {max(size, len(data)) / 1e6:.1f} MB; "
            f"Dealbook reads files of up to {MAX_FILE_BYTES / 1e6:g} MB",
            "keep long documents (transcripts, exports) in files of their own and link to "
            "them from the notes",
        )
        return None
    return data


def read_deal(path: str | Path, shown: str) -> SourceFile:
    """One deal file. `shown` is its path as the user sees it: `deals/<path under deals/>`.
    A build reads thousands, so `path` may be a plain string (no Path to make for each)."""
    path = os.fspath(path)
    src = SourceFile(shown)
    rel = shown[len("deals/") :] if shown.startswith("deals/") else None
    if rel is not None and not _name_ok(path, rel, src):
        return src
    if _is_link(path):
        src.warning(
            1,
            1,
            "",
            "is a symbolic link; links are not followed, so it is not read",
            "move or copy the deal file itself into deals/",
        )
        return src
    data = read_bytes(path, src)
    if data is None:
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
    data = read_bytes(path, src)
    if data is None:
        return src
    text = decode(data, src)
    if text is None:
        return src
    root = compose(text, src, first_line=1)
    mapping_fields(root, src, "dealbook.yaml")
    if root is None and not src.problems:
        src.parsed = True
    return src


# --- names --------------------------------------------------------------------------------


def _is_link(path: str) -> bool:
    """Path.is_symlink for a string: an error that says the path is not there is False,
    any other is raised."""
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError as exc:
        if exc.errno not in _NOT_THERE and getattr(exc, "winerror", None) not in (21, 123, 1921):
            raise
        return False
    except ValueError:  # a NUL in the path
        return False


def _name_ok(path: str, rel: str, src: SourceFile) -> bool:
    """A deal's path under deals/ is its id and its page's address: check that it works as
    one on every system. False when the file must not be read at all."""
    parts = rel.split("/")
    if rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
        src.error(1, 1, "", "is not inside deals/; it is not read", "deal files live in deals/")
        return False
    bad = _BAD_NAME_CHARS.search(rel)
    if bad:
        src.error(
            1,
            1,
            "",
            f"the file name contains {quoted(bad.group())}, which breaks the address of "
            "the deal's page",
            "rename the file without # ? % \\ or control characters",
        )
    deals_dir = path
    for _ in parts:
        deals_dir = os.path.dirname(deals_dir)
    for other in _twins(deals_dir or ".", rel):
        if unicodedata.normalize("NFC", other) == unicodedata.normalize("NFC", rel):
            why = "is the same name in another Unicode form; on macOS the two are one file"
        else:
            why = "differs only in letter case; on macOS and Windows the two are one file"
        src.warning(
            1,
            1,
            "",
            f"deals/{other} {why}, and so are their pages",
            "rename one of them, or merge the two deals into one file",
        )
    return True


def _fold(name: str) -> str:
    """A name as a case-insensitive, normalising file system (macOS, Windows) compares it."""
    return unicodedata.normalize("NFC", name).lower()


_LISTINGS: dict[str, tuple[int, dict[str, list[str]]]] = {}  # folder -> (mtime, fold -> names)


def _folded(folder: str) -> dict[str, list[str]]:
    """The names in `folder` by their folded form; listed again only when the folder changes."""
    try:
        mtime = os.stat(folder).st_mtime_ns
        cached = _LISTINGS.get(folder)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        names: dict[str, list[str]] = {}
        for name in os.listdir(folder):
            names.setdefault(_fold(name), []).append(name)
    except OSError:
        return {}
    _LISTINGS[folder] = (mtime, names)
    return names


def _twins(deals_dir: str, rel: str) -> list[str]:
    """Other deal files (paths under deals/) whose path folds to the same as `rel`."""
    parts = rel.split("/")
    found = [("", deals_dir)]
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        found = [
            (f"{prefix}{name}" + ("" if last else "/"), os.path.join(folder, name))
            for prefix, folder in found
            for name in _folded(folder).get(_fold(part), [])
        ]
    return sorted(p for p, _ in found if p != rel and is_deal_name(p.rsplit("/", 1)[-1]))
