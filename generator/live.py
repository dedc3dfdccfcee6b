"""`watch` and `serve` for the command line: start the watcher (and the server), print one
line per rebuild, stop cleanly on Ctrl-C."""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any, Protocol

from .build import Builder
from .watch import Rebuild, Watcher

ERRORS_SHOWN = 5  # errors printed under a rebuild line; the rest are on problems.html


class Printer(Protocol):
    def line(self, text: str) -> None: ...

    def usage_error(self, text: str) -> None: ...


def describe(report: Rebuild) -> list[str]:
    """The terminal lines for one rebuild: what changed, how long, how many problems."""
    changed = report.changed
    what = changed[0] if len(changed) == 1 else f"{len(changed)} files"
    stamp = time.strftime("%H:%M:%S")
    if not changed and report.result is not None and not report.result.kept:
        what = "start"
        n = report.result.deals
        head = (
            f"{stamp} built {report.result.pages:,} pages from {n:,} deal{'s' if n != 1 else ''}"
            f" in {report.seconds:.1f} s -> {report.result.out / 'index.html'}"
        )
        return [head] + _errors(report)
    if report.result is None:
        return [
            f"{stamp} {what} changed: build failed after {report.seconds * 1000:.0f} ms",
            report.error.rstrip(),
        ]
    loaded = report.result.loaded
    e, w = loaded.errors, loaded.warnings
    counts = f"{e} error{'s' if e != 1 else ''}, {w} warning{'s' if w != 1 else ''}"
    if report.result.kept:
        head = f"{stamp} {what} changed: dealbook.yaml has errors, kept the last good site"
    else:
        charts = (
            f" (pages in {(report.seconds - report.charts_seconds) * 1000:.0f} ms)"
            if report.charts_seconds
            else ""
        )
        head = (
            f"{stamp} {what} changed: rebuilt in {report.seconds * 1000:.0f} ms{charts}, "
            f"{report.result.rendered} page{'s' if report.result.rendered != 1 else ''} "
            f"updated, {counts}"
        )
    return [head] + _errors(report)


def _errors(report: Rebuild) -> list[str]:
    assert report.result is not None
    lines = []
    errors = [p for p in report.result.loaded.problems if p.is_error]
    for p in errors[:ERRORS_SHOWN]:
        lines.append("  " + p.format())
    if len(errors) > ERRORS_SHOWN:
        lines.append(f"  ... and {len(errors) - ERRORS_SHOWN} more on problems.html")
    return lines


def browser_errors(report: Rebuild) -> list[dict[str, Any]]:
    if report.result is None:
        return [
            {
                "where": "dealbook",
                "field": "",
                "message": "the build failed: " + report.error.strip().splitlines()[-1],
                "hint": "see the terminal",
            }
        ]
    return [
        {
            "where": f"{p.path}:{p.line}:{p.col}",
            "field": p.field,
            "message": p.message,
            "hint": p.hint,
        }
        for p in report.result.loaded.problems
        if p.is_error
    ][:20]


def run_live(args: argparse.Namespace, r: Printer) -> int:
    from .write import WriteError

    try:
        builder = Builder(args.root, args.out, args.as_of)
    except WriteError as exc:
        r.usage_error(str(exc))
        return 2
    server = state = None
    if args.command == "serve":
        from .serve import LiveState, make_server

        state = LiveState()
        try:
            server = make_server(
                builder.out if builder.out.exists() else _prepare(builder),
                args.host,
                args.port,
                state,
            )
        except OSError as exc:
            r.usage_error(
                f"cannot listen on {args.host}:{args.port}: {exc.strerror}; try another --port"
            )
            return 2

    def on_rebuild(report: Rebuild) -> None:
        if not report.early:  # one line per rebuild, when it is complete
            for text in describe(report):
                r.line(text)
        if state is not None:
            # browsers reload only the pages the report changed, when it knows them
            quick = report.early and report.result is None  # a saved deal's own page
            state.publish(state.errors if quick else browser_errors(report), report.pages)

    watcher = Watcher(builder, on_rebuild)
    watcher.start()
    watcher.rebuild([])
    if server is not None:
        host, port = str(server.server_address[0]), server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        r.line(f"serving http://{host}:{port}/ with live reload (Ctrl-C to stop)")
    else:
        r.line("watching for changes (Ctrl-C to stop)")
    try:
        watcher.run()
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        if server is not None and state is not None:
            state.close()
            server.shutdown()
            server.server_close()
        r.line("stopped")
    return 0


def _prepare(builder: Builder) -> Any:
    builder.out.mkdir(parents=True, exist_ok=True)
    return builder.out
