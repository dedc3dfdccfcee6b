"""The command line: parse arguments, call build or check, print through one reporter.

Exit codes: 0 ok, 1 problems found (errors; warnings too with --strict), 2 usage error.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from .model import Problem
from .report import FORMATS, github_lines, json_lines, summary
from .schema import deal_schema
from .values import BadValue, parse_date

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
BUILD_LIMIT = 20  # problems a build prints in full before pointing at `dealbook check`


class Reporter:
    """Everything the CLI prints goes through here: problems compiler-style, then a summary."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out, self.err = out, err

    def problems(self, problems: list[Problem], files: int, limit: int | None = None) -> None:
        """Every problem, or with `limit` at most that many (errors first) and a pointer to
        `dealbook check` for the rest, so a build of a big pipeline stays short."""
        shown = problems
        if limit is not None and len(problems) > limit:
            errors = [p for p in problems if p.is_error][:limit]
            warnings = [p for p in problems if not p.is_error][: limit - len(errors)]
            shown = sorted(errors + warnings, key=problems.index)
        for p in shown:
            print(p.format(), file=self.out)
            if p.hint:
                print(f"    hint: {p.hint}", file=self.out)
        if len(shown) < len(problems):
            print(
                f"... {len(problems) - len(shown)} more not shown; `dealbook check` lists "
                "them all, and so does problems.html",
                file=self.out,
            )
        if problems:
            print(summary(problems, files), file=self.out)

    def line(self, text: str) -> None:
        print(text, file=self.out)

    def usage_error(self, text: str) -> None:
        print(f"dealbook: error: {text}", file=self.err)


class ProgressBar:
    """`reading deals [########------] 6,000/10,000` on a terminal, redrawn in place; nothing
    when the output is not a terminal or under CI."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.on = stream.isatty() and os.environ.get("CI") != "true"
        self.drawn = False

    def show(self, what: str, done: int, total: int) -> None:
        if not self.on or total < 200:
            return
        filled = self.WIDTH * done // total
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{what:<16} [{bar}] {done:,}/{total:,}\x1b[K")
        self.stream.flush()
        self.drawn = True

    def done(self) -> None:
        if self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = False


def _as_of(text: str) -> date:
    try:
        return parse_date(text)[0]
    except BadValue as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}; {exc.hint}") from exc


def _root(p: argparse.ArgumentParser, what: str = "") -> None:
    p.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help=what or "folder holding dealbook.yaml and deals/ (default: current folder)",
    )


def _as_of_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date taken as today (default: the config's as_of, else today)",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dealbook",
        description="A sales pipeline kept as Markdown "
        "deal files, turned into a static site with metrics.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="validate the deals and build the site")
    _root(b)
    b.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/site)")
    b.add_argument(
        "--base-url",
        default=None,
        metavar="PATH",
        help="the path the site is served under, e.g. /my-pipeline/ (default: the config's)",
    )
    _as_of_option(b)
    c = sub.add_parser("check", help="validate the deal files and the config only")
    _root(c)
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    c.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text for people (default), github for annotations on a pull request's lines, "
        "json for one object per problem per line",
    )
    c.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="check only these deal files (the config is always checked)",
    )
    sc = sub.add_parser("schema", help="print a JSON Schema of the deal front matter, for editors")
    _root(sc, "folder holding dealbook.yaml (its stages and currencies go into the schema)")
    for name, what in (
        ("watch", "build, then rebuild whenever a deal, the config or a template changes"),
        ("serve", "watch, and serve the site on this computer with live reload"),
    ):
        w = sub.add_parser(name, help=what)
        _root(w)
        w.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/site)")
        _as_of_option(w)
        if name == "serve":
            w.add_argument(
                "--host",
                default="127.0.0.1",
                help="address to listen on (default: 127.0.0.1, this computer only)",
            )
            w.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    imp = sub.add_parser("import", help="create deal files from a CSV export or a Trello board")
    sources = imp.add_subparsers(dest="source", metavar="SOURCE", required=True)
    for name, what, metavar in (
        ("csv", "a spreadsheet or CRM export (CSV), one deal per row", "FILE"),
        ("trello", "a Trello board exported as JSON, one deal per card", "BOARD.json"),
    ):
        i = sources.add_parser(name, help=f"import {what}")
        i.add_argument("file", type=Path, metavar=metavar)
        i.add_argument(
            "--map",
            type=Path,
            required=name == "csv",
            metavar="MAPPING.yaml",
            help="which column fills which deal field"
            + ("" if name == "csv" else " (optional: lists named like stages need none)"),
        )
        i.add_argument(
            "--into",
            type=Path,
            default=None,
            metavar="DIR",
            help="folder for the new files, inside deals/, relative to ROOT (default: deals/)",
        )
        _root(i)
        i.add_argument("--dry-run", action="store_true", help="show what would be created only")
    n = sub.add_parser("new", help="create a deal file, ready to fill in, and print its path")
    n.add_argument("title", help='what the deal is, e.g. "Shop redesign"')
    n.add_argument("--client", default=None)
    n.add_argument("--stage", default=None, help="a stage id or label (default: the first)")
    n.add_argument("--value", default=None, help="the amount, e.g. 4800")
    _root(n)
    return p


def _check(args: argparse.Namespace, r: Reporter) -> int:
    from .gcpause import paused_gc
    from .pipeline import DEALS_DIR, load_repo

    root: Path = args.root
    only = None
    if args.paths:
        deals = (root / DEALS_DIR).resolve()
        only = []
        for path in args.paths:
            full = path.resolve()
            if full.name == "dealbook.yaml" and full.parent == root.resolve():
                continue  # the config is checked anyway
            if deals not in full.parents:
                r.usage_error(f"{path} is not a deal file under {root / DEALS_DIR}")
                return EXIT_USAGE
            only.append(full.relative_to(deals).as_posix())
    with paused_gc():
        loaded = load_repo(root, only=only)
    if args.format == "github":
        prefix = os.path.relpath(root.resolve(), Path.cwd().resolve())
        prefix = "" if prefix == "." else prefix.replace(os.sep, "/") + "/"
        for line in github_lines(loaded.problems, prefix):
            r.line(line)
    elif args.format == "json":
        for line in json_lines(loaded.problems):
            r.line(line)
    else:
        r.problems(loaded.problems, loaded.files)
        if not loaded.problems:
            r.line(f"{loaded.files:,} deal{'s' if loaded.files != 1 else ''} checked, no problems")
    failed = loaded.errors > 0 or (args.strict and loaded.warnings > 0)
    return EXIT_PROBLEMS if failed else EXIT_OK


def _create(args: argparse.Namespace, r: Reporter) -> int:
    """`import` and `new`: the only commands that write deal files, and only new ones."""
    if args.command == "new":
        from .newdeal import NewDealError, new_deal

        try:
            path = new_deal(args.root, args.title, args.client, args.stage, args.value)
        except NewDealError as exc:
            r.usage_error(exc.message + (f"\n    hint: {exc.hint}" if exc.hint else ""))
            return exc.code
        r.line(str(path))
        return EXIT_OK
    from .imports.run import UsageError, import_csv, import_trello

    run = import_csv if args.source == "csv" else import_trello
    try:
        report = run(args.file, args.map, args.root, args.into, args.dry_run)
    except UsageError as exc:
        r.usage_error(str(exc))
        return EXIT_USAGE
    for line in report.lines:
        r.line(line)
    return report.code


def main(argv: list[str] | None = None, reporter: Reporter | None = None) -> int:
    r = reporter or Reporter()
    p = parser()
    try:
        args = p.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage message
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    if args.command is None:
        p.print_help(r.out)
        return EXIT_USAGE
    root: Path = args.root
    if not root.is_dir():
        r.usage_error(f"--root {root}: no such folder")
        return EXIT_USAGE
    if args.command in ("import", "new"):  # these may start a pipeline in an empty folder
        return _create(args, r)
    if not (root / "deals").is_dir() and not (root / "dealbook.yaml").is_file():
        r.usage_error(
            f"{root.resolve()} has neither dealbook.yaml nor a deals/ folder; "
            "run dealbook in your pipeline folder or pass --root"
        )
        return EXIT_USAGE
    if args.command == "check":
        return _check(args, r)
    if args.command == "schema":
        import json

        from .pipeline import load_repo

        r.line(json.dumps(deal_schema(load_repo(root, only=[]).config), indent=2))
        return EXIT_OK
    if args.command in ("watch", "serve"):
        from .live import run_live

        return run_live(args, r)
    import jinja2

    from .build import Builder
    from .write import WriteError

    bar = ProgressBar(r.err)
    try:
        builder = Builder(root, args.out, args.as_of, args.base_url, progress=bar.show)
        result = builder.build()
        if _LEFT is not None:
            _LEFT.append((builder, result))  # see run()
    except WriteError as exc:
        r.usage_error(str(exc))
        return EXIT_USAGE
    except jinja2.TemplateError as exc:
        where = (
            f"{exc.filename}:{exc.lineno}: " if isinstance(exc, jinja2.TemplateSyntaxError) else ""
        )
        r.usage_error(f"{where}a template failed: {exc.message or exc}; the site was not changed")
        return EXIT_PROBLEMS
    finally:
        bar.done()
    loaded = result.loaded
    if result.kept:
        r.problems([p for p in loaded.problems if p.path == "dealbook.yaml"], loaded.files)
        r.usage_error(
            "dealbook.yaml has errors, so the site was not built (it is as it was); "
            "fix them and build again"
        )
        return EXIT_PROBLEMS
    r.problems(loaded.problems, loaded.files, limit=BUILD_LIMIT)
    left_out = result.invalid
    note = f", {left_out} left out for errors (see problems.html)" if left_out else ""
    n = result.deals
    deals = f"{n:,} deal{'s' if n != 1 else ''}"
    w = result.written
    if w.written or w.removed:
        changed = f"{w.written:,} file{'s' if w.written != 1 else ''} written"
        if w.removed:
            changed += f", {w.removed:,} removed"
        r.line(
            f"built {result.pages:,} pages from {deals}{note} in "
            f"{result.seconds:.1f} s ({changed}) -> {result.out / 'index.html'}"
        )
    else:
        r.line(
            f"up to date: {result.pages:,} pages from {deals}{note} -> {result.out / 'index.html'}"
        )
    return EXIT_OK


# What a build made, left for the operating system to reclaim (see run()); None when
# main() is called as a function (the tests), which must free what it made.
_LEFT: list[object] | None = None


def run() -> None:
    """The `dealbook` command: main(), then an immediate exit. Freeing a build's objects
    one by one on the way out (every deal, date and page row) took 0.9 s at 100,000
    deals; the operating system takes the memory back at once. Everything is written
    and closed by then; only the output streams are left to flush."""
    global _LEFT
    _LEFT = []
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
