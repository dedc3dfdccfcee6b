"""Reading a whole repository: config + every deal file -> (config, deals, invalid files, problems).

This is the load -> validate half of a build, shared by `check` (which stops here) and
`build` (which goes on to metrics, charts, render and write).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import config as config_mod
from .load import find_deal_files, read_config, read_deal
from .model import Config, Deal, DealFile, Problem
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


def load_repo(root: Path) -> Loaded:
    csrc = read_config(root / CONFIG_NAME, CONFIG_NAME)
    config = (
        config_mod.read_config(csrc)
        if csrc.parsed
        else config_mod.read_config(type(csrc)(CONFIG_NAME))
    )
    problems = list(csrc.problems)
    deals: list[Deal] = []
    invalid: list[DealFile] = []
    deals_dir = root / DEALS_DIR
    files = find_deal_files(deals_dir)
    for path in files:
        rel = path.relative_to(deals_dir).as_posix()
        shown = f"{DEALS_DIR}/{rel}"
        src = read_deal(path, shown)
        result = check_deal(src, rel, config, shown)
        problems.extend(src.problems)
        if isinstance(result, Deal):
            deals.append(result)
        else:
            invalid.append(result)
    return Loaded(config, deals, invalid, sort_problems(problems), len(files))
