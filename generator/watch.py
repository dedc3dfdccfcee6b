"""Rebuild on change: watchdog events -> debounce -> Builder.build, for `watch` and `serve`.

The event handler only records that something relevant changed; the loop waits for a
quiet moment (so a `git checkout` of hundreds of files is one rebuild), then builds. A
failed build is reported, never fatal. The output folder is never watched.
"""

from __future__ import annotations

import contextlib
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .build import Builder, BuildResult
from .load import is_deal_name
from .pipeline import CONFIG_NAME, DEALS_DIR

DASHBOARD = ["index.html"]  # the page that shows the charts
QUIET = 0.08  # seconds without events before a rebuild starts (editors and git write in bursts of a few ms)
MAX_WAIT = 2.0  # ...unless events keep coming for this long


@dataclass
class Rebuild:
    """What one rebuild saw and did, for the terminal line and the browser."""

    number: int
    changed: list[str]  # paths relative to the root
    result: BuildResult | None
    error: str = ""  # a crash inside the build, as text
    seconds: float = 0.0
    # True for the first of two reports on a build whose charts are drawn after its pages:
    # the pages are written; the charts and dashboard follow in the second report
    early: bool = False
    charts_seconds: float = 0.0  # of `seconds`, drawing charts after the pages were written
    # the pages this report changed, when known (None: any page may have), so that a
    # browser reloads only a page that changed
    pages: list[str] | None = None
    problems_text: list[str] = field(default_factory=list)


def relevant(root: Path, out: Path, path: str, is_dir: bool) -> str | None:
    """The path relative to root when a change to it can change the site, else None."""
    p = Path(path)
    try:
        rel = p.relative_to(root)
    except ValueError:
        return None
    if p == out or out in p.parents:
        return None  # our own output
    parts = rel.parts
    if not parts or any(part.startswith(".") for part in parts[:-1]) or parts[0] == ".git":
        return None
    name = parts[-1]
    if rel.as_posix() == CONFIG_NAME:
        return CONFIG_NAME
    if parts[0] == DEALS_DIR:
        if len(parts) == 1:
            return rel.as_posix()  # the deals folder itself was created, removed or moved
        if any(part.startswith((".", "_")) for part in parts[1:-1]):
            return None
        if is_dir:
            return None if name.startswith((".", "_")) else rel.as_posix()
        return rel.as_posix() if is_deal_name(name) else None
    if rel.as_posix() == "templates":
        return "templates"  # the theme folder came or went
    if parts[0] == "templates":
        if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", "___jb_tmp___")):
            return None
        return rel.as_posix()
    return None


def _pages(result: BuildResult) -> list[str] | None:
    """The pages a rebuild wrote, when it says (an in-place write of a few files)."""
    changed = result.written.changed
    if not changed and (result.written.written or result.written.removed or result.kept):
        return None
    return [rel for rel in changed if rel.endswith(".html")]


class _Handler(FileSystemEventHandler):
    def __init__(self, root: Path, out: Path) -> None:
        self.root, self.out = root, out
        self.lock = threading.Lock()
        self.changed: set[str] = set()
        self.last_event = 0.0
        self.wake = threading.Event()

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type in ("modified", "closed"):
            return  # a folder's own time changes whenever a file in it does
        paths = [event.src_path, getattr(event, "dest_path", "") or ""]
        hits = []
        for raw in paths:
            text = raw.decode() if isinstance(raw, bytes) else raw
            if text:
                hit = relevant(self.root, self.out, text, event.is_directory)
                if hit:
                    hits.append(hit)
        if hits:
            with self.lock:
                self.changed.update(hits)
                self.last_event = time.monotonic()
            self.wake.set()

    def take(self) -> list[str]:
        with self.lock:
            changed, self.changed = sorted(self.changed), set()
            return changed


class Watcher:
    """Builds once, then again after every quiet moment that follows a relevant change."""

    def __init__(
        self,
        builder: Builder,
        on_rebuild: Callable[[Rebuild], None],
        quiet: float = QUIET,
    ) -> None:
        self.builder = builder
        builder.short_lived = False
        self.root = builder.root.resolve()
        self.out = builder.out.resolve()
        self.on_rebuild = on_rebuild
        self.quiet = quiet
        self.handler = _Handler(self.root, self.out)
        self.stop_event = threading.Event()
        self.count = 0
        self.building = False
        self.observer: Observer | None = None  # type: ignore[valid-type]

    def start(self) -> None:
        """Start watching (events are collected from here on) without building.

        The root is watched on its own (for dealbook.yaml, and deals/ or templates/ coming
        or going) and deals/ and templates/ recursively: never the output folder, which
        may sit inside the root and change by thousands of files per build."""
        self.observer = Observer()
        self.observer.schedule(self.handler, str(self.root), recursive=False)
        self.watched: dict[str, object] = {}
        self._watch_folders()
        self.observer.start()

    def _watch_folders(self) -> None:
        assert self.observer is not None
        for name in (DEALS_DIR, "templates"):
            folder = self.root / name
            present = folder.is_dir()
            if present and name not in self.watched:
                self.watched[name] = self.observer.schedule(
                    self.handler, str(folder), recursive=True
                )
            elif not present and name in self.watched:
                with contextlib.suppress(KeyError, ValueError):  # already gone with the folder
                    self.observer.unschedule(self.watched.pop(name))

    def rebuild(self, changed: list[str]) -> Rebuild:
        self.building = True
        self.count += 1
        started = time.perf_counter()
        try:
            if self.count > 1:
                # the saved deals' own pages first, at once; then everything else
                quick = self.builder.quick(changed)
                if quick:
                    early = Rebuild(self.count, changed, None, early=True, pages=quick)
                    early.seconds = time.perf_counter() - started
                    self.on_rebuild(early)
            # the first build leaves the cache on disk; later ones keep it in memory until
            # stop(): writing it takes longer than the rebuild of one deal
            result = self.builder.build(
                keep_on_config_error=True, persist=self.count == 1, defer_charts=self.count > 1
            )
            report = Rebuild(self.count, changed, result, pages=_pages(result))
            if self.builder.charts_pending:
                # the pages are written: show them now, then draw the charts
                report.seconds = time.perf_counter() - started
                self.on_rebuild(replace(report, early=True))
                drawn = time.perf_counter()
                report.result = self.builder.finish_charts()
                report.charts_seconds = time.perf_counter() - drawn
                report.pages = list(DASHBOARD)
        except Exception:  # a bug must not stop the loop: show it and keep serving
            report = Rebuild(self.count, changed, None, traceback.format_exc(limit=4))
        finally:
            self.building = False
        report.seconds = time.perf_counter() - started
        self.on_rebuild(report)
        return report

    def run(self) -> None:
        """The loop: until stop(), wait for a change, then for quiet, then rebuild."""
        handler = self.handler
        while not self.stop_event.is_set():
            if not handler.wake.wait(0.2):
                continue
            first = time.monotonic()
            while not self.stop_event.is_set():
                handler.wake.clear()
                since = time.monotonic() - handler.last_event
                if since >= self.quiet or time.monotonic() - first >= MAX_WAIT:
                    break
                handler.wake.wait(self.quiet - since)
            if self.stop_event.is_set():
                break
            changed = handler.take()
            if changed:
                if any(c in (DEALS_DIR, "templates") for c in changed):
                    self._watch_folders()  # the folder itself came or went
                self.rebuild(changed)

    def stop(self) -> None:
        self.stop_event.set()
        self.handler.wake.set()
        if self.observer is not None:
            self.observer.stop()
            self.observer.join(timeout=5)
        if self.count > 1:
            self.builder.save()

    def idle_for(self, seconds: float) -> bool:
        """True when nothing is pending or building and no event came for `seconds`."""
        return (
            not self.building
            and not self.handler.changed
            and time.monotonic() - self.handler.last_event >= seconds
        )
