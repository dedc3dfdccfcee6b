"""Problems as text for people, as GitHub annotations for pull requests, or as JSON.

Pure functions from problems to lines; the CLI prints them.
"""

from __future__ import annotations

import json

from .model import Problem

FORMATS = ("text", "github", "json")


def summary(problems: list[Problem], files: int) -> str:
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    bad = len({p.path for p in problems if p.path.startswith("deals/")})
    n = len(problems)
    return (
        f"{n:,} problem{'s' if n != 1 else ''} ({errors:,} error{'s' if errors != 1 else ''}, "
        f"{warnings:,} warning{'s' if warnings != 1 else ''}) in {bad:,} of {files:,} "
        f"deal{'s' if files != 1 else ''}"
    )


def text_lines(problems: list[Problem]) -> list[str]:
    lines = []
    for p in problems:
        lines.append(p.format())
        if p.hint:
            lines.append(f"    hint: {p.hint}")
    return lines


def _escape_data(text: str) -> str:
    # GitHub's workflow-command encoding for the message part
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_lines(problems: list[Problem], prefix: str = "") -> list[str]:
    """`::error file=…,line=…,col=…,title=…::message` lines: on a pull request, each shows
    on the line of the file it is about. `prefix` is the path of the pipeline folder
    inside the repository, when it is not the repository's root."""
    lines = []
    for p in problems:
        command = "error" if p.is_error else "warning"
        title = f"dealbook: {p.field}" if p.field else "dealbook"
        message = f"{p.field}: {p.message}" if p.field else p.message
        if p.hint:
            message += f" (hint: {p.hint})"
        props = (
            f"file={_escape_property(prefix + p.path)},line={p.line},col={p.col},"
            f"title={_escape_property(title)}"
        )
        lines.append(f"::{command} {props}::{_escape_data(message)}")
    return lines


def json_lines(problems: list[Problem]) -> list[str]:
    """One JSON object per problem, one per line."""
    return [
        json.dumps(
            {
                "file": p.path,
                "line": p.line,
                "column": p.col,
                "severity": p.severity,
                "field": p.field,
                "message": p.message,
                "hint": p.hint,
            },
            ensure_ascii=False,
        )
        for p in problems
    ]
