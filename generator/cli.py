"""The command line: parse arguments, call build or check, print through one reporter.

Exit codes: 0 ok, 1 problems found (errors; warnings too with --strict), 2 usage error.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TextIO

from .model import Problem
from .values import BadValue, parse_date

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
BUILD_LIMIT = 20  # problems a build prints in full before pointing at `dealbook check`


class Reporter:
    """Everything the CLI prints goes through here: problems compiler-style, then a summary."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.out, self.err = out, err

    def problems(
        self, problems: list[Problem], files: int, bad_files: int, limit: int | None = None
    ) -> None:
        """Every problem, or with `limit` at most that many (errors first) and a pointer to
        `dealbook check` for the rest, so a build of a big pipeline stays short."""
        shown = problems
        if limit is not None and len(problems) > limit:
            shown = sorted((p for p in problems if p.is_error), key=problems.index)[:limit]
        for p in shown:
            print(p.format(), file=self.out)
            if p.hint:
                print(f"    hint: {p.hint}", file=self.out)
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        if len(shown) < len(problems):
            print(
                f"... {len(problems) - len(shown)} more not shown; `dealbook check` lists "
                "them all, and so does problems.html",
                file=self.out,
            )
        if problems:
            n = len(problems)
            print(
                f"{n} problem{'s' if n != 1 else ''} ({errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}) in {bad_files} of {files} "
                f"deal{'s' if files != 1 else ''}",
                file=self.out,
            )

    def line(self, text: str) -> None:
        print(text, file=self.out)

    def usage_error(self, text: str) -> None:
        print(f"dealbook: error: {text}", file=self.err)


def _as_of(text: str) -> date:
    try:
        return parse_date(text)[0]
    except BadValue as exc:
        raise argparse.ArgumentTypeError(f"{exc.message}; {exc.hint}") from exc


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dealbook",
        description="A sales pipeline kept as Markdown "
        "deal files, turned into a static site with metrics.",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="validate the deals and build the site")
    b.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="folder holding dealbook.yaml and deals/ (default: current folder)",
    )
    b.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/site)")
    b.add_argument(
        "--as-of",
        type=_as_of,
        default=None,
        metavar="YYYY-MM-DD",
        help="the date taken as today (default: the config's as_of, else today)",
    )
    c = sub.add_parser("check", help="validate the deal files and the config only")
    c.add_argument(
        "--root",
        type=Path,
        default=Path("."),
        help="folder holding dealbook.yaml and deals/ (default: current folder)",
    )
    c.add_argument("--strict", action="store_true", help="fail on warnings too")
    for name, what in (
        ("watch", "build, then rebuild whenever a deal, the config or a template changes"),
        ("serve", "watch, and serve the site on this computer with live reload"),
    ):
        w = sub.add_parser(name, help=what)
        w.add_argument(
            "--root",
            type=Path,
            default=Path("."),
            help="folder holding dealbook.yaml and deals/ (default: current folder)",
        )
        w.add_argument("--out", type=Path, default=None, help="output folder (default: ROOT/site)")
        w.add_argument(
            "--as-of",
            type=_as_of,
            default=None,
            metavar="YYYY-MM-DD",
            help="the date taken as today (default: the config's as_of, else today)",
        )
        if name == "serve":
            w.add_argument(
                "--host",
                default="127.0.0.1",
                help="address to listen on (default: 127.0.0.1, this computer only)",
            )
            w.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    return p


def _bad_files(problems: list[Problem]) -> int:
    return len({p.path for p in problems if p.path.startswith("deals/")})


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
    if not (root / "deals").is_dir() and not (root / "dealbook.yaml").is_file():
        r.usage_error(
            f"{root.resolve()} has neither dealbook.yaml nor a deals/ folder; "
            "run dealbook in your pipeline folder or pass --root"
        )
        return EXIT_USAGE
    if args.command == "check":
        from .pipeline import load_repo

        loaded = load_repo(root)
        r.problems(loaded.problems, loaded.files, _bad_files(loaded.problems))
        if not loaded.problems:
            r.line(f"{loaded.files} deal{'s' if loaded.files != 1 else ''} checked, no problems")
        failed = loaded.errors > 0 or (args.strict and loaded.warnings > 0)
        return EXIT_PROBLEMS if failed else EXIT_OK
    if args.command in ("watch", "serve"):
        from .live import run_live

        return run_live(args, r)
    from .build import build

    result = build(root, args.out, args.as_of)
    loaded = result.loaded
    r.problems(loaded.problems, loaded.files, _bad_files(loaded.problems), limit=BUILD_LIMIT)
    left_out = len(loaded.invalid)
    note = f", {left_out} left out for errors (see problems.html)" if left_out else ""
    n = len(loaded.deals)
    r.line(
        f"built {result.pages} pages from {n} deal{'s' if n != 1 else ''}{note} in "
        f"{result.seconds:.1f} s -> {result.out / 'index.html'}"
    )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
