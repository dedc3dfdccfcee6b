"""The orchestrator: load -> validate -> metrics -> charts -> render -> write.

Returns a BuildResult (plain values) for the CLI to report; it prints nothing itself.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from .charts import render_charts
from .metrics import compute
from .model import Problem
from .pipeline import Loaded, load_repo
from .render import Renderer, SiteInput
from .write import WriteResult, write_site

ASSETS = Path(__file__).resolve().parent.parent / "templates" / "assets"


@dataclass(frozen=True)
class BuildResult:
    loaded: Loaded
    out: Path
    pages: int
    written: WriteResult
    seconds: float

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


def build(root: Path, out: Path | None = None, as_of: date | None = None) -> BuildResult:
    started = time.perf_counter()
    loaded = load_repo(root)
    config = loaded.config
    day = as_of or config.as_of or date.today()
    metrics = compute(loaded.deals, config, day, len(loaded.invalid))
    charts = render_charts(metrics, config)
    site = SiteInput(
        config, loaded.deals, loaded.invalid, loaded.problems, metrics, charts, loaded.files
    )
    files = Renderer(site, root).all_pages() + assets(root)
    target = out or root / "site"
    written = write_site(target, files)
    pages = sum(1 for name, _ in files if name.endswith(".html"))
    return BuildResult(loaded, target, pages, written, time.perf_counter() - started)
