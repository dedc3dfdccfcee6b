"""The orchestrator: load -> validate -> metrics -> charts -> render -> write.

A Builder keeps what it may reuse between builds of the same folder (files read, pages
rendered, charts drawn, bytes written), so `watch` redoes only what a change touched. A
single `build()` is a Builder used once; both give the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .cache import BuildCache
from .charts import Chart, render_charts
from .config import normalize_base_url
from .gcpause import paused_gc
from .links import deal_url
from .load import deal_paths
from .metrics import compute
from .model import Deal, Problem
from .parallel import pmap
from .pipeline import CONFIG_NAME, DEALS_DIR, FileCache, Loaded, load_repo
from .render import Memo, Renderer, SiteInput
from .theme import BUILTIN_TEMPLATES, environment
from .write import MANIFEST, WriteError, WriteResult, digest, write_site

ASSETS = BUILTIN_TEMPLATES / "assets"


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
    """What a Builder may reuse, in one picklable value (see cache.py)."""

    def __init__(self) -> None:
        self.files = FileCache()
        self.charts: dict[str, tuple[Any, Chart]] = {}
        self.pages: dict[str, tuple[dict[str, Any], str]] = {}  # page -> (context, its hash)
        self.deal_inputs: dict[str, Any] = {}  # deal page -> what it showed last time
        self.memo = Memo()
        self.templates: object = None
        self.facts: dict[str, Any] = {}  # deal id -> (Deal, DealFacts) for `facts_day`
        self.facts_day: date | None = None
        self.manifest = ""  # hash of the output folder's manifest after the last build

    def forget_pages(self) -> None:
        self.pages.clear()
        self.deal_inputs.clear()


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
        self.env = environment(root)
        self.builds = 0  # in this process

    @property
    def state(self) -> _State:
        if self._state is None:
            kept = self.cache.load() if self.cache else None
            self._state = kept if isinstance(kept, _State) else _State()
        return self._state

    def build(self, keep_on_config_error: bool = True, persist: bool = True) -> BuildResult:
        """Build the site. A config with errors leaves the site as it was (kept=True)
        rather than building one whose figures rest on a wrong setting. `persist=False`
        (watch, between saves) keeps the cache in memory only; see save()."""
        with paused_gc():
            return self._build(keep_on_config_error, persist)

    def _build(self, keep_on_config_error: bool, persist: bool) -> BuildResult:
        started = time.perf_counter()
        templates = _templates_key(self.root)
        if self.cache is not None and self.builds == 0:
            # a fresh run: if no input, template, date or output changed, there is nothing to do
            fingerprint = self._fingerprint(templates)
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
            self.env = environment(self.root)
        if _manifest_hash(self.out) != st.manifest:
            st.forget_pages()  # the output folder is not what the last build left
        reread = st.files.reads
        loaded = load_repo(self.root, st.files, progress=self._phase("reading deals"))
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
        charts = render_charts(metrics, config, st.charts)
        site = SiteInput(
            config, loaded.deals, loaded.invalid, loaded.problems, metrics, charts, loaded.files
        )
        renderer = Renderer(site, self.root, self.env, st.memo)
        files: list[tuple[str, bytes | None]] = []
        pages: dict[str, tuple[dict[str, Any], str]] = {}
        # A deal's page is looked at only if its deal, facts, problems or layout changed:
        # with thousands of deals, even building each page's context would cost too much.
        deal_inputs: dict[str, Any] = {}
        todo: list[Deal] = []
        for d in loaded.deals:
            out = deal_url(d.id)
            inputs = renderer.deal_inputs(d)
            before = st.deal_inputs.get(out)
            if before is not None and before[0] is inputs[0] and before[1:] == inputs[1:]:
                files.append((out, None))  # unchanged: keep the file as it is
            else:
                todo.append(d)
            deal_inputs[out] = inputs
        for d, (html, row, entry) in zip(
            todo, pmap(renderer.deal_outputs, todo, self._phase("rendering pages")), strict=True
        ):
            renderer.remember(d, row, entry)
            files.append((deal_url(d.id), html))
        rendered = len(todo)
        for page in renderer.pages():
            previous = st.pages.get(page.out)
            if previous is not None and previous[0] == page.context:
                pages[page.out] = previous
                files.append((page.out, None))
            else:
                data = renderer.render(page)
                rendered += 1
                pages[page.out] = (page.context, digest(data))
                files.append((page.out, data))
        st.pages, st.deal_inputs = pages, deal_inputs
        files += [(f"charts/{c.name}.svg", c.svg) for c in charts]
        files += renderer.data_files() + assets(self.root)
        # the first build swaps a whole new site in; later ones (watch) update in place
        written = write_site(self.out, files, swap=self.builds == 0)
        self.builds += 1
        st.manifest = _manifest_hash(self.out)
        if (
            persist
            and self.cache
            and (written.written or written.removed or st.files.reads != reread)
        ):
            self.cache.save(st)
        result = BuildResult(
            loaded,
            self.out,
            sum(1 for rel, _ in files if rel.endswith(".html")),
            written,
            time.perf_counter() - started,
            rendered,
            deals=len(loaded.deals),
            invalid=len(loaded.invalid),
        )
        if persist and self.cache is not None:
            light = replace(loaded, deals=[], invalid=[])  # the counts are in the result
            unchanged = WriteResult(0, written.written + written.unchanged, 0)
            self.cache.save_summary(
                (self._fingerprint(templates), replace(result, loaded=light, written=unchanged))
            )
        return result

    def save(self) -> None:
        """Write the in-memory cache out (watch does this when it stops)."""
        if self.cache is not None and self._state is not None:
            with paused_gc():
                self.cache.save(self._state)

    def _phase(self, what: str) -> Callable[[int, int], None] | None:
        report = self.progress
        if report is None:
            return None
        return lambda done, total: report(what, done, total)

    def _fingerprint(self, templates: object) -> str:
        """Everything a build's output depends on, cheaply: code, options, today's date,
        the config's and every deal file's size and time, the templates, the output."""
        h = hashlib.blake2b(digest_size=16)
        config = self.root / CONFIG_NAME
        sig = os.stat(config) if config.exists() else None
        h.update(
            repr(
                (self.as_of, self.base_url, date.today(), templates, _manifest_hash(self.out))
            ).encode()
        )
        if sig is not None:
            h.update(f"{sig.st_mtime_ns} {sig.st_size} {sig.st_ino}".encode())
        deals = self.root / DEALS_DIR
        base = str(deals) + os.sep
        for rel in deal_paths(deals):
            try:
                s = os.stat(base + rel)
                h.update(f"{rel} {s.st_mtime_ns} {s.st_size} {s.st_ino}\n".encode())
            except OSError:
                h.update(rel.encode())
        return h.hexdigest()


def _manifest_hash(out: Path) -> str:
    try:
        return digest((out / MANIFEST).read_bytes())
    except OSError:
        return ""


def build(
    root: Path, out: Path | None = None, as_of: date | None = None, base_url: str | None = None
) -> BuildResult:
    return Builder(root, out, as_of, base_url).build()
