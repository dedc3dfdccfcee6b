"""The orchestrator: load -> validate -> metrics -> charts -> render -> write.

A Builder keeps what it may reuse between builds of the same folder (files read, pages
rendered, charts drawn, bytes written), so `watch` redoes only what a change touched. A
single `build()` is a Builder used once; both give the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, cast

from .cache import BuildCache
from .charts import CHART_NAMES, Chart, charts_to_draw, render_charts
from .config import normalize_base_url
from .gcpause import paused_gc
from .links import deal_url
from .load import read_deal
from .metrics import Pipeline, compute, deal_facts
from .model import Config, Deal, Problem
from .parallel import Background, pimap
from .pipeline import CONFIG_NAME, DEALS_DIR, FileCache, Loaded, listing, load_repo
from .render import Memo, Renderer, SiteInput
from .theme import BUILTIN_TEMPLATES, environment
from .validate import check_deal, deal_id
from .write import (
    IN_PLACE_MAX,
    MANIFEST,
    SiteWriter,
    WriteError,
    WriteResult,
    digest,
    update_files,
    write_site,
)

ASSETS = BUILTIN_TEMPLATES / "assets"
# Pages to render from which worker processes write them into the new site themselves.
# Measured cold on 2 cores: at 10,000 deals it cost 0.4 s (6.35 against 5.9 s), at
# 30,000 it was even, at 100,000 it saved 23 s (48 against 71 s).
WORKERS_WRITE_FROM = 30_000


@dataclass(frozen=True)
class BuildResult:
    loaded: Loaded
    out: Path
    pages: int
    written: WriteResult
    seconds: float
    rendered: int  # pages rendered this time (the rest were reused)
    kept: bool = False  # the config had errors, so the last good site was left as it was
    deals: int = 0  # valid deals
    invalid: int = 0  # deal files left out for errors

    @property
    def problems(self) -> list[Problem]:
        return self.loaded.problems


def assets(root: Path) -> list[tuple[str, bytes]]:
    """The theme's static files; a file in the user's templates/assets/ replaces the built-in one."""
    found: dict[str, bytes] = {}
    for folder in (ASSETS, root / "templates" / "assets"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    found[f"assets/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return sorted(found.items())


def _templates_key(root: Path) -> tuple[tuple[str, int, int], ...]:
    """Every template and asset file with its size and time: a change to any of them means
    no rendered page can be trusted."""
    key = []
    for folder in (BUILTIN_TEMPLATES, root / "templates"):
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    st = path.stat()
                    key.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(key)


def check_out(root: Path, out: Path) -> None:
    """The output folder is replaced by each build: it must not hold the pipeline."""
    r, o = root.resolve(), out.resolve()
    if o == r or o in r.parents:
        raise WriteError(f"--out {out} would replace the pipeline folder itself; use e.g. site/")
    for name in (DEALS_DIR, "templates"):
        if o == r / name or (r / name) in o.parents:
            raise WriteError(f"--out {out} is inside {name}/; the site goes elsewhere, e.g. site/")


class _State:
    """What a Builder may reuse. It is cached (see cache.py) in parts: what is common to
    the build, and each deal file's record (what was read from it, its facts, page inputs,
    stage row and JSON) in the part its path hashes to, so that a build after one edit
    writes one part of the cache, not all of it."""

    def __init__(self) -> None:
        self.files = FileCache()
        self.charts: dict[str, tuple[Any, Chart]] = {}
        # page -> (its context, as _context_key gives it, and the hash of its bytes)
        self.pages: dict[str, tuple[dict[str, Any], str]] = {}
        self.deal_inputs: dict[str, Any] = {}  # deal page -> what it showed last time
        self.memo = Memo()
        self.templates: object = None
        self.facts: dict[str, Any] = {}  # deal id -> (Deal, DealFacts) for `facts_day`
        self.facts_day: date | None = None
        self.output_key = ""  # _output_key() of the output folder after the last build
        self.loaded: dict[str, tuple[Any, ...]] = {}  # deal file -> its record, as loaded
        self._live: dict[str, tuple[Any, ...]] = {}  # the records parts() last saw
        self._parts: dict[tuple[str, int], int] = {}  # (deal file, part count) -> its part
        self.part_count = 0

    def forget_pages(self) -> None:
        self.pages.clear()
        self.deal_inputs.clear()

    def _part(self, rel: str, count: int) -> int:
        key = (rel, count)
        n = self._parts.get(key)
        if n is None:
            n = self._parts[key] = _part_of(rel, count)
        return n

    def _record(self, rel: str) -> tuple[Any, ...]:
        """What the state holds for one deal file, as live objects."""
        did = deal_id(rel)
        return (
            self.files.entries[rel],
            self.facts.get(did),
            self.deal_inputs.get(deal_url(did)),
            self.memo.rows.get(did),
            self.memo.deal_json.get(did),
        )

    def parts(self) -> tuple[dict[str, Any], dict[int, dict[str, Any]], set[int]]:
        """(what is common, {part: {deal file: record}} for the parts that changed since
        they were loaded, the parts that did not).
        The layout every row and page input share is kept once, in the common part; a
        record says only whether it was the current one."""
        layout = self.memo.layout
        count = _part_count(len(self.files.entries))
        changed = set(range(count)) if count != self.part_count else set()
        members: dict[int, list[str]] = {n: [] for n in range(count)}
        loaded = self.loaded
        self._live = live = {rel: self._record(rel) for rel in self.files.entries}
        for rel, record in live.items():
            n = self._part(rel, count)
            members[n].append(rel)
            if n not in changed and not _same_record(loaded.get(rel), record):
                changed.add(n)
        changed |= {self._part(rel, count) for rel in loaded.keys() - live.keys()}  # gone
        parts: dict[int, dict[str, Any]] = {n: {} for n in changed}
        for n in changed:  # only these are written; the rest stay as they are in the cache
            for rel in members[n]:
                entry, facts, inputs, row, js = live[rel]
                parts[n][rel] = (
                    entry,
                    facts,
                    None if inputs is None else (*inputs[:3], inputs[3] is layout),
                    None if row is None else (*row[:2], row[2] is layout, row[3]),
                    js,
                )
        common = {
            "config_key": self.files.config_key,
            "reads": self.files.reads,
            "charts": self.charts,
            "pages": self.pages,
            "templates": self.templates,
            "facts_day": self.facts_day,
            "output_key": self.output_key,
            "layout": layout,
            "part_count": count,
        }
        return common, parts, set(range(count)) - changed

    @classmethod
    def from_parts(cls, common: dict[str, Any], parts: dict[int, dict[str, Any]]) -> _State:
        st = cls()
        st.files.config_key, st.files.reads = common["config_key"], common["reads"]
        st.charts, st.pages, st.templates = common["charts"], common["pages"], common["templates"]
        st.facts_day, st.output_key = common["facts_day"], common["output_key"]
        st.part_count = common["part_count"]
        layout = st.memo.layout = common["layout"]
        stale = object()  # a layout equal to no other
        for part in parts.values():
            for rel, (entry, facts, inputs, row, js) in part.items():
                did = deal_id(rel)
                st.files.entries[rel] = entry
                if facts is not None:
                    st.facts[did] = facts
                if inputs is not None:
                    st.deal_inputs[deal_url(did)] = (*inputs[:3], layout if inputs[3] else stale)
                if row is not None:
                    st.memo.rows[did] = (*row[:2], layout if row[2] else stale, row[3])
                if js is not None:
                    st.memo.deal_json[did] = js
                st.loaded[rel] = st._record(rel)
        return st

    def saved(self) -> None:
        """What the cache now holds is what the state holds."""
        self.loaded, self._live = self._live, {}  # what parts() saw is what was saved
        self.part_count = _part_count(len(self.files.entries))


def _part_count(files: int) -> int:
    """About 250 deal files a part, in a power of two of parts from 1 to 256."""
    count = 1
    while count < 256 and count * 500 <= files:
        count *= 2
    return count


def _part_of(rel: str, count: int) -> int:
    return zlib.crc32(rel.encode("utf-8")) % count


def _same_record(before: tuple[Any, ...] | None, now: tuple[Any, ...]) -> bool:
    """Whether a deal file's record is the one loaded: the same objects, except the page
    inputs, which each build makes anew from the same deal, facts, problems and layout."""
    if before is None:
        return False
    for i, (a, b) in enumerate(zip(before, now, strict=True)):
        if i == 2 and a is not None and b is not None:
            if not (a[0] is b[0] and a[1] is b[1] and a[2] == b[2] and a[3] is b[3]):
                return False
        elif a is not b:
            return False
    return True


class Builder:
    def __init__(
        self,
        root: Path,
        out: Path | None = None,
        as_of: date | None = None,
        base_url: str | None = None,
        cache: bool = True,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.root = root
        self.out = out or root / "site"
        check_out(root, self.out)
        self.as_of = as_of
        self.base_url = normalize_base_url(base_url) if base_url else None
        self.cache = BuildCache(self.root, self.out) if cache else None
        self._state: _State | None = None  # loaded from the cache when first needed
        self.progress = progress  # (what, done, total), for a progress bar
        self.env = environment(root, self.cache.compiled if self.cache else None)
        self.builds = 0  # in this process
        self._pending: Any = None  # what finish_charts() needs, after a defer_charts build
        self._last: tuple[Config, SiteInput] | None = None  # the last build's, for quick()
        # False in a process that builds again and again (watch): see gcpause.paused_gc
        self.short_lived = True

    @property
    def state(self) -> _State:
        if self._state is None:
            kept = self.cache.load() if self.cache else None
            self._state = _State()
            if kept is not None and isinstance(kept[0], dict):
                with contextlib.suppress(Exception):  # a cache of another shape is no cache
                    self._state = _State.from_parts(kept[0], cast(Any, kept[1]))
        return self._state

    def build(
        self, keep_on_config_error: bool = True, persist: bool = True, defer_charts: bool = False
    ) -> BuildResult:
        """Build the site. A config with errors leaves the site as it was (kept=True)
        rather than building one whose figures rest on a wrong setting. `persist=False`
        (watch, between saves) keeps the cache in memory only; see save().

        `defer_charts` (watch): when charts must be redrawn, write every other page first
        and leave the charts and the dashboard that shows them as they were, for
        finish_charts(); a saved deal then shows before its charts are drawn."""
        self._pending = None
        with paused_gc(freeze=self.short_lived):
            return self._build(keep_on_config_error, persist, defer_charts)

    def quick(self, changed: list[str]) -> list[str]:
        """watch: write the new pages of the deal files in `changed` (paths under the root)
        at once, against the last build's figures, before the whole rebuild that follows
        (which finds them already written). Anything else changed, a file with a problem,
        a new or deleted deal, and this does nothing: the rebuild handles it. Returns the
        pages written."""
        if self._last is None or not changed:
            return []
        config, site = self._last
        by_id = {d.id: d for d in site.deals}
        found = []
        for path in changed:
            rel = path[len(DEALS_DIR) + 1 :]
            if not path.startswith(DEALS_DIR + "/") or deal_id(rel) not in by_id:
                return []
            src = read_deal(str(self.root / path), path)
            deal = check_deal(src, rel, config, path)
            if src.problems or not isinstance(deal, Deal) or deal.stage != by_id[deal.id].stage:
                return []  # problems, and stage moves (the board, lists), wait for the rebuild
            found.append(deal)
        with paused_gc():
            metrics = site.metrics
            pipe = Pipeline(config)
            facts = dict(metrics.facts)
            for d in found:
                facts[d.id] = deal_facts(d, pipe, metrics.as_of)
            shown = set(changed)  # their old problems are gone (a file with one stops here)
            problems = [p for p in site.problems if p.path not in shown]
            inputs = replace(site, problems=problems, metrics=replace(metrics, facts=facts))
            renderer = Renderer(inputs, self.root, self.env, Memo())
            pages = [(deal_url(d.id), renderer.render(renderer.deal_page(d))) for d in found]
            written = update_files(self.out, pages)
            self.state.output_key = _output_key(self.out)
        return written

    @property
    def charts_pending(self) -> bool:
        return self._pending is not None

    def finish_charts(self) -> BuildResult | None:
        """Draw the charts a build with defer_charts left, and write them and the dashboard."""
        if self._pending is None:
            return None
        started = time.perf_counter()
        drawing, site, files, result = self._pending
        self._pending = None
        st = self.state
        with paused_gc():
            charts, st.charts = drawing.result()
            renderer = Renderer(replace(site, charts=charts), self.root, self.env, st.memo)
            page = renderer.dashboard()
            data = renderer.render(page)
            st.pages[page.out] = (_context_key(page.context), digest(data))
            new = {page.out: data} | {f"charts/{c.name}.svg": c.svg for c in charts}
            written = write_site(self.out, [(rel, new.get(rel)) for rel in files], swap=False)
            st.output_key = _output_key(self.out)
        return replace(
            result,
            written=WriteResult(
                result.written.written + written.written, written.unchanged, result.written.removed
            ),
            rendered=result.rendered + 1,
            seconds=result.seconds + time.perf_counter() - started,
        )

    def _build(self, keep_on_config_error: bool, persist: bool, defer_charts: bool) -> BuildResult:
        started = time.perf_counter()
        templates = _templates_key(self.root)
        files_now = listing(self.root / DEALS_DIR)  # once: for the fingerprint and the load
        inputs_key = self._inputs_key(templates, files_now) if self.cache else ""
        output_key = _output_key(self.out)
        if self.cache is not None and self.builds == 0:
            # a fresh run: if no input, template, date or output changed, there is nothing to do
            fingerprint = f"{inputs_key} {output_key}"
            summary = self.cache.load_summary()
            if isinstance(summary, tuple) and len(summary) == 2 and summary[0] == fingerprint:
                self.builds += 1
                done: BuildResult = replace(
                    summary[1], seconds=time.perf_counter() - started, rendered=0
                )
                return done
        st = self.state
        if templates != st.templates:
            st.templates, st.memo = templates, Memo()
            st.forget_pages()
            self.env = environment(self.root, self.cache.compiled if self.cache else None)
        if output_key != st.output_key:
            st.forget_pages()  # the output folder is not what the last build left
        reread = st.files.reads
        loaded = load_repo(
            self.root, st.files, progress=self._phase("reading deals"), files_now=files_now
        )
        if keep_on_config_error and loaded.config_errors:
            return BuildResult(
                loaded, self.out, 0, WriteResult(0, 0, 0), time.perf_counter() - started, 0, True
            )
        config = loaded.config
        if self.base_url is not None:
            config = replace(config, base_url=self.base_url)
        day = self.as_of or config.as_of or date.today()
        if day != st.facts_day:
            st.facts, st.facts_day = {}, day
        metrics = compute(loaded.deals, config, day, len(loaded.invalid), st.facts)
        # Drawing charts is slow (matplotlib); where it can, a forked process draws them
        # while this one renders the deal pages, which do not show them.
        memo = st.charts
        drawing = None
        if charts_to_draw(metrics, config, memo):
            drawing = Background(
                lambda: (render_charts(metrics, config, memo, parallel=False), memo)
            )
        charts = [] if drawing else render_charts(metrics, config, memo)
        site = SiteInput(
            config, loaded.deals, loaded.invalid, loaded.problems, metrics, charts, loaded.files
        )
        renderer = Renderer(site, self.root, self.env, st.memo)
        pages: dict[str, tuple[dict[str, Any], str]] = {}
        # A deal's page is looked at only if its deal, facts, problems or layout changed:
        # with thousands of deals, even building each page's context would cost too much.
        deal_inputs: dict[str, Any] = {}
        todo: list[Deal] = []
        kept: list[str] = []
        for d in loaded.deals:
            out = deal_url(d.id)
            inputs = renderer.deal_inputs(d)
            before = st.deal_inputs.get(out)
            if before is not None and before[0] is inputs[0] and before[1:] == inputs[1:]:
                kept.append(out)  # unchanged: keep the file as it is
            else:
                todo.append(d)
            deal_inputs[out] = inputs
        # The first build of a run swaps a whole new site in (streamed into it page by page
        # when many pages change); later ones (watch) update in place.
        first = self.builds == 0
        writer = SiteWriter(self.out, swap=first, stream=first and len(todo) > IN_PLACE_MAX)
        files: list[str] = []  # every file of the site, in the order written

        def add(rel: str, data: bytes | None) -> None:
            writer.add(rel, data)
            files.append(rel)

        try:
            for rel in kept:
                add(rel, None)
            if writer.stage is not None and len(todo) >= WORKERS_WRITE_FROM:
                # a new site is being assembled: the workers write the pages they render
                # into it and send back only their hashes; at 100,000 deals, receiving and
                # writing every page here made this process the bottleneck
                def job(d: Deal) -> tuple[tuple[str, int, bool], str, bytes]:
                    html, row, entry = renderer.deal_outputs(d)
                    return writer.write_new(deal_url(d.id), html), row, entry

                staged = pimap(job, todo, self._phase("rendering pages"))
                for d, (wrote, row, entry) in zip(todo, staged, strict=True):
                    renderer.remember(d, row, entry)
                    writer.record(deal_url(d.id), *wrote)
                    files.append(deal_url(d.id))
            else:
                rendering = pimap(renderer.deal_outputs, todo, self._phase("rendering pages"))
                for d, (html, row, entry) in zip(todo, rendering, strict=True):
                    renderer.remember(d, row, entry)
                    add(deal_url(d.id), html)
            rendered = len(todo)
            # the charts and the dashboard may wait (defer_charts) if the last build wrote them
            deferred = (
                defer_charts
                and drawing is not None
                and "index.html" in st.pages
                and all(name in st.charts for name in CHART_NAMES)
            )
            if drawing is not None and not deferred:
                charts, st.charts = drawing.result()
                renderer = Renderer(replace(site, charts=charts), self.root, self.env, st.memo)
            for page in renderer.pages():
                previous = st.pages.get(page.out)
                if deferred and page.out == "index.html":
                    pages[page.out] = previous  # type: ignore[assignment]
                    add(page.out, None)
                    continue
                key = _context_key(page.context)
                if previous is not None and previous[0] == key:
                    pages[page.out] = previous
                    add(page.out, None)
                else:
                    data = renderer.render(page)
                    rendered += 1
                    pages[page.out] = (key, digest(data))
                    add(page.out, data)
            st.pages, st.deal_inputs = pages, deal_inputs
            for c in charts if not deferred else []:
                add(f"charts/{c.name}.svg", c.svg)
            for name in CHART_NAMES if deferred else []:
                add(f"charts/{name}.svg", None)
            for rel, data in renderer.data_files() + assets(self.root):
                add(rel, data)
            written = writer.finish()
        finally:
            writer.abort()
        self.builds += 1
        st.output_key = _output_key(self.out)
        if (
            persist
            and self.cache
            and (written.written or written.removed or st.files.reads != reread)
        ):
            self._save()
        result = BuildResult(
            loaded,
            self.out,
            sum(1 for rel in files if rel.endswith(".html")),
            written,
            time.perf_counter() - started,
            rendered,
            deals=len(loaded.deals),
            invalid=len(loaded.invalid),
        )
        self._last = (config, replace(site, charts=charts))
        if deferred:
            assert drawing is not None
            self._pending = (drawing, site, files, result)
        if persist and self.cache is not None:
            light = replace(loaded, deals=[], invalid=[])  # the counts are in the result
            unchanged = WriteResult(0, written.written + written.unchanged, 0)
            self.cache.save_summary(
                (f"{inputs_key} {st.output_key}", replace(result, loaded=light, written=unchanged))
            )
        return result

    def save(self) -> None:
        """Write the in-memory cache out (watch does this when it stops)."""
        if self.cache is not None and self._state is not None:
            with paused_gc():
                self._save()

    def _save(self) -> None:
        assert self.cache is not None and self._state is not None
        common, parts, unchanged = self._state.parts()
        self.cache.save(common, parts, unchanged)
        self._state.saved()

    def _phase(self, what: str) -> Callable[[int, int], None] | None:
        report = self.progress
        if report is None:
            return None
        return lambda done, total: report(what, done, total)

    def _inputs_key(self, templates: object, files_now: dict[str, Any]) -> str:
        """Everything a build's output depends on but the output folder, cheaply: code,
        options, today's date, the config's and every deal file's signature, the templates.
        (The signatures are those the build then reads by: a file changed while it runs
        makes the next build look again.)"""
        h = hashlib.blake2b(digest_size=16)
        config = self.root / CONFIG_NAME
        sig = os.stat(config) if config.exists() else None
        h.update(repr((self.as_of, self.base_url, date.today(), templates)).encode())
        if sig is not None:
            h.update(f"{sig.st_mtime_ns} {sig.st_size} {sig.st_ino}".encode())
        for rel, (mtime, size, ino) in files_now.items():
            h.update(f"{rel} {mtime} {size} {ino}\n".encode())
        return h.hexdigest()


LONG_TEXT = 1 << 16


def _context_key(context: dict[str, Any]) -> dict[str, Any]:
    """A page's context as kept to compare with the next build's, with each long text in
    it (a stage list's rows: megabytes at 100,000 deals) as its hash: as telling, and
    kilobytes rather than megabytes to keep in the cache."""
    key = {}
    for name, value in context.items():
        if isinstance(value, str) and len(value) > LONG_TEXT:
            value = ("text", type(value).__name__, digest(value.encode("utf-8", "surrogatepass")))
        key[name] = value
    return key


def _output_key(out: Path) -> str:
    """What the output folder is, cheaply: its manifest (what the last build wrote) and
    the time each of its folders last had a file added, removed or renamed. A page
    deleted from the site by hand changes it, so the next build writes the page again
    rather than taking the site as up to date."""
    try:
        manifest = (out / MANIFEST).read_bytes()
    except OSError:
        return ""
    # each line is "hash size path"; a path may hold spaces
    folders = {line.split(b" ", 2)[-1].rpartition(b"/")[0] for line in manifest.split(b"\n")}
    h = hashlib.blake2b(manifest, digest_size=16)
    base = os.fsencode(out) + b"/"
    for folder in sorted(folders):
        try:
            st = os.stat(base + folder)
        except OSError:
            h.update(b"\0missing " + folder)
            continue
        h.update(b"\0%s %d %d" % (folder, st.st_mtime_ns, st.st_ino))
    return h.hexdigest()


def build(
    root: Path, out: Path | None = None, as_of: date | None = None, base_url: str | None = None
) -> BuildResult:
    return Builder(root, out, as_of, base_url).build()
