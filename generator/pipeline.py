"""Reading a whole repository: config + every deal file -> (config, deals, invalid files, problems).

This is the load -> validate half of a build, shared by `check` (which stops here) and
`build` (which goes on to metrics, charts, render and write).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from . import config as config_mod
from .load import deal_paths, read_config, read_deal
from .model import Config, Deal, DealFile, Problem
from .parallel import Progress, pmap
from .validate import check_deal, sort_problems

CONFIG_NAME = "dealbook.yaml"
DEALS_DIR = "deals"


@dataclass(frozen=True)
class Loaded:
    config: Config
    deals: list[Deal]
    invalid: list[DealFile]
    problems: list[Problem]  # config's and every deal file's, sorted by file then line
    files: int  # deal files read

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.is_error)

    @property
    def warnings(self) -> int:
        return len(self.problems) - self.errors

    @property
    def config_errors(self) -> bool:
        return any(p.is_error and p.path == CONFIG_NAME for p in self.problems)


class FileCache:
    """What was read from each deal file, kept between builds (by `watch`) so that only the
    files whose size or modification time changed are read and checked again. Anything the
    checks depend on besides the file (the config) empties it."""

    def __init__(self) -> None:
        self.config_key: object = None
        self.reads = 0  # files read and checked so far (not taken from here)
        self.entries: dict[str, tuple[tuple[int, int, int], list[Problem], Deal | DealFile]] = {}

    def for_config(self, key: object) -> None:
        if key != self.config_key:
            self.config_key = key
            self.entries.clear()


def listing(deals_dir: Path) -> dict[str, tuple[int, int, int]]:
    """Every deal file (path under deals/) with its signature: modification time, size
    and inode, which change whenever the file does."""
    base = str(deals_dir) + os.sep
    return {rel: _signature_or_none(base + rel) for rel in deal_paths(deals_dir)}


def _signature_or_none(path: str) -> tuple[int, int, int]:
    try:
        st = os.stat(path)
    except OSError:  # deleted between listing and reading
        return (0, 0, 0)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _check_file(base: str, config: Config, rel: str) -> tuple[list[Problem], Deal | DealFile]:
    shown = f"{DEALS_DIR}/{rel}"
    src = read_deal(base + rel, shown)
    return src.problems, check_deal(src, rel, config, shown)


def load_repo(
    root: Path,
    cache: FileCache | None = None,
    only: list[str] | None = None,
    progress: Progress | None = None,
    files_now: dict[str, tuple[int, int, int]] | None = None,
) -> Loaded:
    """Read and check the config and every deal file (or, with `only`, those deal files:
    paths relative to deals/). `files_now` is a listing() the caller just made."""
    csrc = read_config(root / CONFIG_NAME, CONFIG_NAME)
    config = (
        config_mod.read_config(csrc)
        if csrc.parsed
        else config_mod.read_config(type(csrc)(CONFIG_NAME))
    )
    problems = list(csrc.problems)
    if cache is not None:
        cache.for_config(config)
    deals: list[Deal] = []
    invalid: list[DealFile] = []
    deals_dir = root / DEALS_DIR
    base = str(deals_dir) + os.sep
    if files_now is not None and only is None:
        files, sigs = list(files_now), files_now
    else:
        files = deal_paths(deals_dir) if only is None else sorted(only)
        # only a cache compares them (a `check` has none, and need not stat every file twice)
        sigs = {rel: _signature_or_none(base + rel) for rel in files} if cache is not None else {}
    todo = [
        rel
        for rel in files
        if cache is None or rel not in cache.entries or cache.entries[rel][0] != sigs[rel]
    ]
    fresh = dict(zip(todo, pmap(partial(_check_file, base, config), todo, progress), strict=True))
    for rel in files:
        if rel in fresh:
            file_problems, result = fresh[rel]
            if cache is not None:
                cache.entries[rel] = (sigs[rel], file_problems, result)
                cache.reads += 1
        else:
            assert cache is not None
            file_problems, result = cache.entries[rel][1], cache.entries[rel][2]
        problems.extend(file_problems)
        if isinstance(result, Deal):
            deals.append(result)
        else:
            invalid.append(result)
    seen = set(files)
    if cache is not None:
        for rel in set(cache.entries) - seen:
            del cache.entries[rel]
    return Loaded(config, deals, invalid, sort_problems(problems), len(files))
