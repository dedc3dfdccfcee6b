"""An import from start to end: read the source and the mapping, turn every row into a
deal file's text, check it, write what is new, and report row by row.

Returns a Report (lines to print and an exit code) for `cli`; raises UsageError for a
command that cannot start (a missing file, --into outside deals/).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import config as config_mod
from ..load import SourceFile, read_config
from ..model import Config, Deal, Problem
from ..validate import sort_problems
from . import trello
from .csvfile import Row, SourceError, Table, read_table
from .dealtext import check_text, reads_back, render
from .drafts import Reason, draft, one_line
from .mapfile import delimiter_of, read_mapping
from .mapping import Mapping
from .slugs import slugify, unique_names
from .writing import create

CREATED, SAME, SKIPPED = "create", "same", "skip"


class UsageError(Exception):
    """The import cannot start; the message says why (exit code 2)."""


@dataclass(frozen=True)
class Outcome:
    row: Row
    path: str  # as shown, e.g. deals/acme.md
    status: str  # CREATED | SAME | SKIPPED
    title: str = ""
    stage: str = ""
    reasons: tuple[Reason, ...] = ()
    warnings: int = 0


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    code: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


def repo_config(root: Path) -> tuple[Config, list[Problem]]:
    """The pipeline's config, as `check` reads it, and its errors."""
    csrc = read_config(root / "dealbook.yaml", "dealbook.yaml")
    config = config_mod.read_config(csrc if csrc.parsed else SourceFile("dealbook.yaml"))
    return config, [p for p in csrc.problems if p.is_error]


def problem_lines(problems: list[Problem]) -> list[str]:
    lines = []
    for p in sort_problems(problems):
        lines.append(p.format())
        if p.hint:
            lines.append(f"    hint: {p.hint}")
    return lines


def _target(root: Path, into: Path | None) -> tuple[Path, str]:
    """The folder to write into and its shown form ('deals/' or 'deals/2026/')."""
    deals = (root / "deals").resolve()
    target = ((into if into.is_absolute() else root / into).resolve()) if into else deals
    if target != deals and deals not in target.parents:
        raise UsageError(
            f"--into {into}: deal files must go in {root / 'deals'} or a folder inside it "
            "(a path relative to --root, e.g. deals/imported)"
        )
    rel = target.relative_to(deals).as_posix()
    return target, "deals/" if rel == "." else f"deals/{rel}/"


def _start(root: Path, source: Path, map_path: Path | None) -> tuple[Config, list[str]]:
    if not source.is_file():
        raise UsageError(f"{source}: no such file")
    if map_path is not None and not map_path.is_file():
        raise UsageError(f"--map {map_path}: no such file")
    config, errors = repo_config(root)
    if errors:
        return config, [
            *problem_lines(errors),
            "dealbook.yaml has errors; fix them first (`dealbook check` lists them)",
        ]
    return config, []


def import_csv(
    source: Path, map_path: Path, root: Path, into: Path | None = None, dry_run: bool = False
) -> Report:
    target, shown_into = _target(root, into)
    config, stop = _start(root, source, map_path)
    if stop:
        return Report(stop, 1)
    msrc = read_config(map_path, str(map_path))
    delimiter = delimiter_of(msrc)
    if msrc.problems:
        return Report(problem_lines(msrc.problems), 1)
    try:
        table = read_table(source.read_bytes(), str(source), delimiter)
    except SourceError as exc:
        return Report(problem_lines(exc.problems), 1)
    mapping = read_mapping(msrc, config, table.columns, source.name, source.parent)
    if msrc.problems:
        return Report(problem_lines(msrc.problems), 1)
    return import_table(table, mapping, config, target, shown_into, dry_run)


def import_trello(
    source: Path,
    map_path: Path | None,
    root: Path,
    into: Path | None = None,
    dry_run: bool = False,
) -> Report:
    target, shown_into = _target(root, into)
    config, stop = _start(root, source, map_path)
    if stop:
        return Report(stop, 1)
    try:
        board = trello.read_board(source.read_bytes(), str(source), config)
    except SourceError as exc:
        return Report(problem_lines(exc.problems), 1)
    msrc = read_config(map_path, str(map_path)) if map_path else SourceFile("a --map file")
    if msrc.problems:
        return Report(problem_lines(msrc.problems), 1)
    mapping = read_mapping(
        msrc,
        config,
        board.table.columns,
        source.name,
        source.parent,
        board.defaults,
        board.default_extra,
    )
    if msrc.problems:
        return Report(problem_lines(msrc.problems), 1)
    unmapped = trello.unmapped_lists(board, mapping, config)
    if unmapped:
        return Report(trello.suggestion(board, unmapped, config), 1)
    return import_table(board.table, mapping, config, target, shown_into, dry_run)


def import_table(
    table: Table,
    mapping: Mapping,
    config: Config,
    target: Path,
    shown_into: str,
    dry_run: bool,
) -> Report:
    """Every row to a deal file in `target` (inside deals/); nothing written with dry_run."""
    rel_into = shown_into[len("deals/") :]
    name_spec = mapping.file_name or mapping.fields["title"]
    bases = [
        slugify(mapping.value(name_spec, row) or "") or f"deal-{row.number}" for row in table.rows
    ]
    outcomes: list[Outcome] = []
    for row, reason, hint in table.skipped:
        title = one_line(mapping.value(mapping.fields["title"], row) or "")
        outcomes.append(Outcome(row, "", SKIPPED, title, reasons=(Reason(reason, hint),)))
    for row, name in zip(table.rows, unique_names(bases), strict=True):
        outcomes.append(_one(row, name, mapping, config, target, rel_into, dry_run))
    outcomes.sort(key=lambda o: o.row.number)
    return _report(table, outcomes, shown_into, dry_run)


def _one(
    row: Row,
    name: str,
    mapping: Mapping,
    config: Config,
    target: Path,
    rel_into: str,
    dry_run: bool,
) -> Outcome:
    rel = f"{rel_into}{name}.md"
    shown = f"deals/{rel}"
    title = one_line(mapping.value(mapping.fields["title"], row) or "")
    d = draft(row, mapping, config)
    if isinstance(d, list):
        return Outcome(row, shown, SKIPPED, title, reasons=tuple(d))
    text = render(d)
    data = text.encode("utf-8")
    stage = str(d.fields.get("stage", ""))
    path = target / f"{name}.md"
    if path.exists() or path.is_symlink():  # a re-run: the bytes say whether it is this row's
        if path.is_file() and path.read_bytes() == data:
            return Outcome(row, shown, SAME, title, stage)
        return Outcome(row, shown, SKIPPED, title, stage, (_exists(shown),))
    deal, src = check_text(text, rel, config)
    if not isinstance(deal, Deal):
        reasons = tuple(
            Reason(f"{p.field}: {p.message}" if p.field else p.message, p.hint)
            for p in sort_problems(src.problems)
            if p.is_error
        )
        return Outcome(row, shown, SKIPPED, title, stage, reasons)
    wrong = reads_back(d, deal)
    if wrong:  # never expected: the writer quotes whatever YAML could misread
        return Outcome(
            row,
            shown,
            SKIPPED,
            title,
            stage,
            (Reason(f"{', '.join(wrong)}: would not read back as written (please report this)"),),
        )
    if not dry_run and not create(path, data):
        return Outcome(row, shown, SKIPPED, title, stage, (_exists(shown),))
    return Outcome(row, shown, CREATED, title, stage, warnings=len(src.problems))


def _exists(shown: str) -> Reason:
    return Reason(
        f"{shown} already exists with other content; it is not overwritten",
        "if it is this row's deal edited since the last import, nothing is needed; "
        "otherwise import --into another folder under deals/",
    )


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _report(table: Table, outcomes: list[Outcome], into: str, dry_run: bool) -> Report:
    kind = "card" if table.description.startswith("Trello") else "row"
    lines = [f"{table.path} ({table.description}): {plural(len(outcomes), kind)} -> {into}"]
    verb = "would create" if dry_run else "created"
    for o in outcomes:
        if o.status == CREATED:
            lines.append(f"  {verb} {o.path}  ({o.row.label}: {o.title}, {o.stage})")
        elif o.status == SAME:
            lines.append(f"  already there {o.path}  ({o.row.label}, same content)")
    created = [o for o in outcomes if o.status == CREATED]
    same = [o for o in outcomes if o.status == SAME]
    skipped = [o for o in outcomes if o.status == SKIPPED]
    lines.append(
        f"{plural(len(outcomes), kind)}: {len(created)} {'to import' if dry_run else 'imported'}, "
        f"{len(same)} already imported, {len(skipped)} skipped"
        + (" (dry run: nothing written)" if dry_run else "")
    )
    if not created and not skipped:
        lines.append(f"nothing new to import: every {kind} is already there")
    if skipped:
        lines.append("skipped:")
        for o in skipped:
            name = f" ({o.title})" if o.title else ""
            lines.append(f"  {o.row.label}{name}: {o.reasons[0].message}")
            lines.extend(f"      {r.message}" for r in o.reasons[1:])
            hint = next((r.hint for r in o.reasons if r.hint), "")
            if hint:
                lines.append(f"      hint: {hint}")
    warned = sum(1 for o in created if o.warnings)
    if warned:
        lines.append(
            f"{warned} of the {'new ' if not dry_run else ''}files "
            f"{'has' if warned == 1 else 'have'} warnings only (such as an open deal with no "
            "next step); `dealbook check` lists them"
        )
    return Report(lines, 1 if skipped else 0, outcomes)
