"""The mapping file, checked in one pass: every problem with its line and column.

Read with the same YAML reader as dealbook.yaml. Column names are matched loosely (case,
spaces, underscores, a `Deal -` prefix); a name that matches no column is an error with a
"did you mean" before anything is imported.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..load import Node, SourceFile
from ..model import Config
from ..values import BadValue, parse_date, suggest
from .csvfile import SourceError, read_table
from .mapping import (
    DATES,
    ROW_COLUMN,
    TARGETS,
    Lookup,
    Mapping,
    Ref,
    Spec,
    Template,
    extra_key,
    norm,
)

TOP_KEYS = ("fields", "extra", "stages", "file_name", "date_format", "delimiter", "lookups")
SPEC_KEYS = ("from", "default", "stages", "ignore")
LOOKUP_KEYS = ("file", "key", "match")
_PLACEHOLDER = re.compile(r"(\{\{|\}\}|\{[^{}]*\})")
_DELIMITER_WORDS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}


class _Reader:
    """Turns the parsed mapping file into a Mapping, reporting every problem with its place."""

    def __init__(
        self, src: SourceFile, config: Config, columns: list[str], source: str, base: Path
    ) -> None:
        self.src = src
        self.config = config
        self.columns = columns
        self.source = source  # the imported file's name, for messages
        self.base = base  # lookup files are read from here: the imported file's folder
        self.mapping = Mapping(src.path)

    def error(self, node: Node, label: str, message: str, hint: str = "") -> None:
        self.src.error(node.line, node.col, label, message, hint)

    # -- columns and templates -------------------------------------------------------------

    def column(self, name: str, node: Node, label: str) -> Ref | None:
        if name == ROW_COLUMN:
            return Ref(ROW_COLUMN)
        head, dot, rest = name.partition(".")
        if dot and head in self.mapping.lookups and name not in self.columns:
            lookup = self.mapping.lookups[head]
            cols = next(iter(lookup.rows.values()), {})
            found = self._match(rest, list(cols))
            if isinstance(found, str):
                return Ref(found, head)
            self.error(node, label, f"column '{rest}' is not in lookup '{head}'", found[1])
            return None
        found = self._match(name, self.columns)
        if isinstance(found, str):
            return Ref(found)
        self.error(node, label, found[0], found[1])
        return None

    def _match(self, name: str, columns: list[str]) -> str | tuple[str, str]:
        """The column `name` stands for, or (message, hint)."""
        if name in columns:
            return name
        loose = [c for c in columns if norm(c) == norm(name)]
        if len(set(loose)) == 1:
            return loose[0]
        shown = ", ".join(repr(c) for c in columns[:40]) + (" ..." if len(columns) > 40 else "")
        if loose:
            return (
                f"'{name}' matches more than one column ({', '.join(repr(c) for c in loose)})",
                "write the column's exact name",
            )
        lowered = {c.casefold(): c for c in columns}
        close = [lowered[c] for c in suggest(name, list(lowered), n=1, cutoff=0.6)]
        guess = f"; did you mean '{close[0]}'?" if close else ""
        return (f"column '{name}' is not in {self.source}{guess}", f"columns are: {shown}")

    def template(self, node: Node, label: str) -> Template | None:
        if node.kind != "scalar" or node.is_null:
            self.error(node, label, "must be a column name or a template", _SPEC_HINT)
            return None
        text = node.text
        if "{" not in text and "}" not in text:
            ref = self.column(text.strip(), node, label)
            return Template((ref,)) if ref else None
        parts: list[str | Ref] = []
        ok = True
        for piece in _PLACEHOLDER.split(text):
            if piece in ("{{", "}}"):
                parts.append(piece[0])
            elif piece.startswith("{") and piece.endswith("}"):
                name = piece[1:-1].strip()
                ref = self.column(name, node, label) if name else None
                if not name:
                    self.error(node, label, "'{}' names no column", "write e.g. '{account}'")
                if ref is None:
                    ok = False
                else:
                    parts.append(ref)
            elif "{" in piece or "}" in piece:
                self.error(
                    node,
                    label,
                    f"unbalanced brace in '{text}'",
                    "write columns as {name}; a literal brace is {{ or }}",
                )
                ok = False
            elif piece:
                parts.append(piece)
        return Template(tuple(parts)) if ok else None

    # -- specs -----------------------------------------------------------------------------

    def spec(self, node: Node, label: str, target: str | None = None) -> Spec | None:
        if node.is_null:
            return None
        if node.kind == "scalar":
            t = self.template(node, label)
            return Spec(label, (t,)) if t else None
        if node.kind == "seq":
            if not node.items:
                self.error(node, label, "is an empty list", _SPEC_HINT)
                return None
            alts = [self.template(item, label) for item in node.items]
            if not all(alts):
                return None
            return Spec(label, tuple(a for a in alts if a))
        keys = {k.text: (k, v) for k, v in node.pairs}
        for key, (k, _) in keys.items():
            if key not in SPEC_KEYS:
                close = suggest(key, list(SPEC_KEYS), n=1)
                self.error(
                    k,
                    f"{label}.{key}",
                    "unknown key",
                    f"did you mean '{close[0]}'?" if close else "use: " + ", ".join(SPEC_KEYS),
                )
        alternatives: tuple[Template, ...] = ()
        if "from" in keys and not keys["from"][1].is_null:
            if keys["from"][1].kind == "map":
                self.error(
                    keys["from"][1], f"{label}.from", "must be a column or a list", _SPEC_HINT
                )
                return None
            inner = self.spec(keys["from"][1], label)
            if inner is None:
                return None
            alternatives = inner.alternatives
        default = None
        if "default" in keys and not keys["default"][1].is_null:
            dnode = keys["default"][1]
            if dnode.kind != "scalar":
                self.error(dnode, f"{label}.default", "must be a single value", _SPEC_HINT)
                return None
            default = dnode.text.strip()
            if not self.default_ok(dnode, f"{label}.default", target):
                return None
        if not alternatives and default is None:
            self.error(node, label, "needs 'from' or 'default'", _SPEC_HINT)
            return None
        stages = None
        if "stages" in keys and not keys["stages"][1].is_null:
            if target == "stage":
                self.error(
                    keys["stages"][0], f"{label}.stages", "the stage cannot depend on itself"
                )
                return None
            stages = self.stage_filter(keys["stages"][1], f"{label}.stages")
            if stages is None:
                return None
        ignore: frozenset[str] = frozenset()
        if "ignore" in keys and not keys["ignore"][1].is_null:
            inode = keys["ignore"][1]
            items = inode.items if inode.kind == "seq" else [inode]
            if any(i.kind != "scalar" for i in items):
                self.error(inode, f"{label}.ignore", "must be a list of values", "e.g. [open, n/a]")
                return None
            ignore = frozenset(norm(i.text) for i in items)
        return Spec(label, alternatives, default, stages, ignore)

    def default_ok(self, node: Node, label: str, target: str | None) -> bool:
        if target in DATES or (target and target.startswith("stage_dates.")):
            try:
                parse_date(node.text)
            except BadValue as exc:
                self.error(node, label, exc.message, exc.hint)
                return False
        if target in ("stage", "lost_at") and self.stage_id(node.text) is None:
            self.error(node, label, f"'{node.text}' is not a stage", self.stages_hint())
            return False
        return True

    def stage_id(self, text: str) -> str | None:
        wanted = text.strip().casefold()
        for s in self.config.stages:
            if wanted in (s.id.casefold(), s.label.casefold()):
                return s.id
        return None

    def stages_hint(self) -> str:
        return "stages are: " + ", ".join(s.id for s in self.config.stages)

    def stage_filter(self, node: Node, label: str) -> frozenset[str] | None:
        items = node.items if node.kind == "seq" else [node]
        ids: set[str] = set()
        for item in items:
            word = item.text.strip().casefold() if item.kind == "scalar" else ""
            sid = self.stage_id(word) if word else None
            if sid:
                ids.add(sid)
            elif word == "open":
                ids.update(s.id for s in self.config.open_stages)
            elif word in ("won", "lost") and self.config.outcome_stage(word):
                ids.add(self.config.outcome_stage(word).id)  # type: ignore[union-attr]
            else:
                self.error(
                    item,
                    label,
                    f"'{item.text}' is not a stage",
                    self.stages_hint() + "; or open, won, lost",
                )
                return None
        return frozenset(ids)

    # -- the sections ----------------------------------------------------------------------

    def read(
        self, defaults: dict[str, Spec] | None = None, default_extra: dict[str, Spec] | None = None
    ) -> Mapping:
        f = self.src.fields
        m = self.mapping
        m.extra = dict(default_extra or {})
        for key, (knode, _) in f.items():
            if key not in TOP_KEYS:
                close = suggest(key, list(TOP_KEYS), n=1)
                self.error(
                    knode,
                    key,
                    "unknown key",
                    f"did you mean '{close[0]}'?" if close else "keys are: " + ", ".join(TOP_KEYS),
                )
        if "date_format" in f and not f["date_format"][1].is_null:
            n = f["date_format"][1]
            items = n.items if n.kind == "seq" else [n]
            for item in items:
                if item.kind != "scalar" or "%" not in item.text:
                    self.error(
                        item,
                        "date_format",
                        f"'{item.plain()}' is not a date format",
                        "write e.g. '%d/%m/%Y' (day/month/year) or '%m/%d/%Y %H:%M'",
                    )
            m.date_formats = tuple(i.text for i in items if i.kind == "scalar" and "%" in i.text)
        if "stages" in f and not f["stages"][1].is_null:
            self.stage_table(f["stages"][1])
        if "lookups" in f and not f["lookups"][1].is_null:
            self.read_lookups(f["lookups"][1])
        fields = dict(defaults or {})
        failed: set[str] = set()  # already reported
        if "fields" in f and not f["fields"][1].is_null:
            fnode = f["fields"][1]
            if fnode.kind != "map":
                self.error(fnode, "fields", "must map deal fields to columns", _SPEC_HINT)
            for k, v in fnode.pairs if fnode.kind == "map" else []:
                name = k.text
                if name not in TARGETS:
                    close = suggest(name, list(TARGETS), n=1)
                    self.error(
                        k,
                        f"fields.{name}",
                        "not a deal field",
                        (f"did you mean '{close[0]}'? " if close else "")
                        + "other columns go under 'extra:'",
                    )
                    continue
                if name == "stage_dates":
                    fields.pop(name, None)
                    self.read_stage_dates(v)
                    continue
                spec = self.spec(v, f"fields.{name}", name)
                if spec is not None:
                    fields[name] = spec
                elif v.is_null:
                    fields.pop(name, None)  # `owner: null` turns a default off
                else:
                    failed.add(name)
        m.fields = {k: v for k, v in fields.items() if k != "stage_dates"}
        for required, example in (
            ("title", "title: Deal name  (or a template such as '{product} for {account}')"),
            ("stage", "stage: Status  (and a 'stages:' table from its values to stage ids)"),
            ("created", "created: Created on  (or {default: 2026-01-31})"),
        ):
            if required not in m.fields and required not in failed:
                where = f["fields"][0] if "fields" in f else None
                line, col = (where.line, where.col) if where else (1, 1)
                self.src.error(
                    line,
                    col,
                    f"fields.{required}",
                    f"every deal needs a {required}{' date' if required == 'created' else ''}: "
                    "name its column or give a default",
                    f"add under 'fields:' e.g. {example}",
                )
        if "extra" in f and not f["extra"][1].is_null:
            self.read_extra(f["extra"][1])
        if "file_name" in f and not f["file_name"][1].is_null:
            m.file_name = self.spec(f["file_name"][1], "file_name")
        return m

    def stage_table(self, node: Node) -> None:
        if node.kind != "map":
            self.error(node, "stages", "must map source values to stage ids", _STAGES_HINT)
            return
        seen: dict[str, Node] = {}
        for k, v in node.pairs:
            key = norm(k.text)
            if key in seen:
                self.error(
                    k,
                    "stages",
                    f"'{k.text}' is listed twice (also on line {seen[key].line})",
                    "keep one entry per source value",
                )
                continue
            seen[key] = k
            if v.is_null:
                self.mapping.stages[key] = None  # rows with this value are skipped
                continue
            written = v.text if v.kind == "scalar" else ""
            sid = self.stage_id(written) if written else None
            if sid is None:
                close = suggest(written, [s.id for s in self.config.stages], n=1)
                guess = f"; did you mean '{close[0]}'?" if close else ""
                self.error(
                    v, f"stages.{k.text}", f"'{written}' is not a stage{guess}", self.stages_hint()
                )
                continue
            self.mapping.stages[key] = sid

    def read_stage_dates(self, node: Node) -> None:
        if node.kind != "map":
            self.error(node, "fields.stage_dates", "must map stage ids to date columns", _SPEC_HINT)
            return
        for k, v in node.pairs:
            sid = self.stage_id(k.text)
            if sid is None:
                self.error(
                    k, "fields.stage_dates", f"'{k.text}' is not a stage", self.stages_hint()
                )
                continue
            spec = self.spec(v, f"fields.stage_dates.{k.text}", f"stage_dates.{sid}")
            if spec:
                self.mapping.stage_dates[sid] = spec

    def read_extra(self, node: Node) -> None:
        from ..validate import KNOWN

        pairs: list[tuple[str, Node, Node]] = []
        if node.kind == "seq":
            for item in node.items:
                if item.kind != "scalar" or item.is_null:
                    self.error(item, "extra", "must be a column name", _EXTRA_HINT)
                    continue
                pairs.append((extra_key(item.text), item, item))
        elif node.kind == "map":
            pairs = [(k.text.strip(), k, v) for k, v in node.pairs]
        else:
            self.error(node, "extra", "must be a list of columns or a mapping", _EXTRA_HINT)
            return
        seen: set[str] = set()
        for key, knode, vnode in pairs:
            if not key or key in KNOWN or key == "notes":
                self.error(
                    knode,
                    "extra",
                    f"'{key}' is a deal field, not an extra one"
                    if key
                    else "this column gives no usable field name",
                    f"map it under 'fields:', or give it another name: 'extra: {{other_name: {vnode.text}}}'",
                )
                continue
            if key in seen:
                self.error(knode, "extra", f"'{key}' is given twice", "keep one")
                continue
            seen.add(key)
            spec = self.spec(vnode, f"extra.{key}")
            if spec:
                self.mapping.extra[key] = spec
            elif vnode.is_null:
                self.mapping.extra.pop(key, None)  # `trello_card: null` turns a default off

    def read_lookups(self, node: Node) -> None:
        if node.kind != "map":
            self.error(node, "lookups", "must map names to lookup tables", _LOOKUP_HINT)
            return
        for k, v in node.pairs:
            name = k.text.strip()
            label = f"lookups.{name}"
            fields = {kk.text: vv for kk, vv in v.pairs} if v.kind == "map" else {}
            missing = [key for key in LOOKUP_KEYS if key not in fields or fields[key].is_null]
            if v.kind != "map" or missing:
                self.error(v, label, "needs " + ", ".join(missing or LOOKUP_KEYS), _LOOKUP_HINT)
                continue
            fnode = fields["file"]
            path = self.base / fnode.text.strip()
            try:
                table = read_table(path.read_bytes(), fnode.text.strip())
            except OSError as exc:
                self.error(
                    fnode,
                    f"{label}.file",
                    f"cannot read {path}: {exc.strerror}",
                    f"the file is looked for next to {self.source}",
                )
                continue
            except SourceError as exc:
                p = exc.problems[0]
                self.error(fnode, f"{label}.file", f"{fnode.text}: {p.message}", p.hint)
                continue
            key = self._match(fields["key"].text.strip(), table.columns)
            if not isinstance(key, str):
                self.error(
                    fields["key"], f"{label}.key", key[0].replace(self.source, fnode.text), key[1]
                )
                continue
            match = self.template(fields["match"], f"{label}.match")
            if match is None:
                continue
            rows: dict[str, dict[str, str]] = {}
            for row in table.rows:
                value = row.cells.get(key, "")
                if value in rows:
                    self.error(
                        fields["key"],
                        f"{label}.key",
                        f"'{value}' appears twice in column '{key}' of {fnode.text}",
                        "a lookup key must name one row",
                    )
                    break
                rows[value] = row.cells
            if not rows:
                rows[""] = dict.fromkeys(table.columns, "")  # keeps the column names known
            self.mapping.lookups[name] = Lookup(match, rows)


def delimiter_of(src: SourceFile) -> str | None:
    """The mapping's `delimiter`, needed before the file it describes can be read."""
    entry = src.fields.get("delimiter")
    if entry is None or entry[1].is_null:
        return None
    node = entry[1]
    value = _DELIMITER_WORDS.get(node.text if node.text == "\t" else node.text.strip().casefold())
    if value is None:
        src.error(
            node.line,
            node.col,
            "delimiter",
            f"'{node.text}' is not a delimiter",
            "use ',', ';', tab or '|', or leave it out to have it found",
        )
    return value


def read_mapping(
    src: SourceFile,
    config: Config,
    columns: list[str],
    source: str,
    base: Path,
    defaults: dict[str, Spec] | None = None,
    default_extra: dict[str, Spec] | None = None,
) -> Mapping:
    """Check a parsed mapping file against the config and the imported file's columns;
    `defaults` and `default_extra` are what a source (Trello) maps when the file does not."""
    return _Reader(src, config, columns, source, base).read(defaults, default_extra)


_SPEC_HINT = (
    "write a column name ('title: Deal name'), a template ('title: \"{product} for "
    "{account}\"'), a list of them tried in order, or {from: ..., default: ..., stages: [...]}"
)
_STAGES_HINT = "write one 'Source value: stage id' per line, e.g. 'Closed Won: won'"
_EXTRA_HINT = "write a list of columns, e.g. 'extra: [product, region]'"
_LOOKUP_HINT = "write e.g. 'team: {file: sales_teams.csv, key: sales_agent, match: sales_agent}'"
