"""The orchestrator: load -> validate -> metrics -> charts -> render -> write.

A Builder keeps what it may reuse between builds of the same folder (files read, pages
rendered, charts drawn, bytes written), so `watch` redoes only what a change touched. A
single `build()` is a Builder used once; both give the same bytes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from .charts import Chart, render_charts
from .config import normalize_base_url
from .metrics import compute
from .model import Problem
from .pipeline import FileCache, Loaded, load_repo
from .render import BUILTIN_TEMPLATES, Memo, Renderer, SiteInput, deal_url, environment
from .write import WriteResult, write_site

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


class Builder:
    def __init__(
        self,
        root: Path,
        out: Path | None = None,
        as_of: date | None = None,
        base_url: str | None = None,
    ) -> None:
        self.root = root
        self.out = out or root / "site"
        self.as_of = as_of
        self.base_url = normalize_base_url(base_url) if base_url else None
        self.files = FileCache()
        self.charts: dict[str, tuple[Any, Chart]] = {}
        self.pages: dict[str, tuple[dict[str, Any], bytes]] = {}  # out -> (context, bytes)
        self.memo = Memo()
        self.templates: object = None
        self.env = environment(root)
        self.written: dict[str, bytes] | None = None  # what the last build left in `out`
        self.facts: dict[str, Any] = {}  # deal id -> (Deal, DealFacts) for `facts_day`
        self.facts_day: date | None = None
        self.deal_inputs: dict[str, Any] = {}  # deal page -> what it showed last time

    def _forget_rendering(self) -> None:
        self.pages.clear()
        self.deal_inputs.clear()
        self.memo = Memo()
        self.env = environment(self.root)

    def build(self, keep_on_config_error: bool = False) -> BuildResult:
        """Build the site. With `keep_on_config_error` (while serving), a config with errors
        leaves the last good site in place instead of building one with default settings."""
        started = time.perf_counter()
        templates = _templates_key(self.root)
        if templates != self.templates:
            self.templates = templates
            self._forget_rendering()
        loaded = load_repo(self.root, self.files)
        if keep_on_config_error and loaded.config_errors and self.written is not None:
            return BuildResult(
                loaded, self.out, 0, WriteResult(0, 0, 0), time.perf_counter() - started, 0, True
            )
        config = loaded.config
        if self.base_url is not None:
            config = replace(config, base_url=self.base_url)
        day = self.as_of or config.as_of or date.today()
        if day != self.facts_day:
            self.facts, self.facts_day = {}, day
        metrics = compute(loaded.deals, config, day, len(loaded.invalid), self.facts)
        charts = render_charts(metrics, config, self.charts)
        site = SiteInput(
            config, loaded.deals, loaded.invalid, loaded.problems, metrics, charts, loaded.files
        )
        renderer = Renderer(site, self.root, self.env, self.memo)
        files: list[tuple[str, bytes]] = []
        pages: dict[str, tuple[dict[str, Any], bytes]] = {}
        rendered = 0
        for page in renderer.pages():
            previous = self.pages.get(page.out)
            if previous is not None and previous[0] == page.context:
                data = previous[1]
            else:
                data = renderer.render(page)
                rendered += 1
            pages[page.out] = (page.context, data)
            files.append((page.out, data))
        # A deal's page is looked at only if its deal, facts, problems or layout changed:
        # with thousands of deals, even building each page's context would cost too much.
        deal_inputs: dict[str, Any] = {}
        for d in loaded.deals:
            out = deal_url(d.id)
            inputs = renderer.deal_inputs(d)
            before = self.deal_inputs.get(out)
            if (
                before is not None
                and before[0] is inputs[0]
                and before[1:] == inputs[1:]
                and out in self.pages
            ):
                data = self.pages[out][1]
            else:
                data = renderer.render(renderer.deal_page(d))
                rendered += 1
            deal_inputs[out] = inputs
            pages[out] = ({}, data)
            files.append((out, data))
        self.pages, self.deal_inputs = pages, deal_inputs
        files += [(f"charts/{c.name}.svg", c.svg) for c in charts]
        files += renderer.data_files() + assets(self.root)
        # the first build swaps a whole new site in; later ones (watch) update in place
        written = write_site(self.out, files, self.written, swap=self.written is None)
        self.written = dict(files)
        return BuildResult(
            loaded,
            self.out,
            len(pages),
            written,
            time.perf_counter() - started,
            rendered,
        )


def build(
    root: Path, out: Path | None = None, as_of: date | None = None, base_url: str | None = None
) -> BuildResult:
    return Builder(root, out, as_of, base_url).build()
