"""Shared helpers for tests: build a throwaway pipeline repository on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from generator.config import read_config as build_config
from generator.load import SourceFile, read_config, read_deal
from generator.model import Config, Deal, DealFile
from generator.validate import check_deal, sort_problems


def write_repo(tmp_path: Path, files: dict[str, str | bytes], config: str | None = None) -> Path:
    """Write a repository under tmp_path and return its root.

    `files` maps a path relative to the repository root (e.g. "deals/2026/acme.md") to its
    content; text is written as UTF-8 exactly as given (no newline translation), bytes as is.
    `config`, when not None, is written to dealbook.yaml.
    """
    root = tmp_path / "repo"
    root.mkdir(parents=True, exist_ok=True)
    if config is not None:
        (root / "dealbook.yaml").write_bytes(config.encode("utf-8"))
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return root


def config_from(tmp_path: Path, text: str | None) -> tuple[Config, SourceFile]:
    """Read `text` as dealbook.yaml (None: no file) -> (Config, its parsed source with problems)."""
    root = write_repo(tmp_path, {}, text)
    src = read_config(root / "dealbook.yaml", "dealbook.yaml")
    return build_config(src if src.parsed else SourceFile("dealbook.yaml")), src


def check_one(
    tmp_path: Path,
    content: str | bytes,
    name: str = "acme.md",
    config: str | None = None,
) -> tuple[Deal | DealFile, list[str], list[str]]:
    """Load and validate one deal file `deals/<name>`.

    Returns (result, formatted problems sorted by line, their hints in the same order).
    Config problems are not included; see config_from for those.
    """
    root = write_repo(tmp_path, {f"deals/{name}": content}, config)
    cfg, _ = config_from(tmp_path, config)
    src = read_deal(root / "deals" / name, f"deals/{name}")
    result = check_deal(src, name, cfg, f"deals/{name}")
    problems = sort_problems(src.problems)
    return result, [p.format() for p in problems], [p.hint for p in problems]


@pytest.fixture(autouse=True, scope="session")
def _isolated_build_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Builds in the tests keep their cache in a temporary folder, not the user's."""
    os.environ["DEALBOOK_CACHE_DIR"] = str(tmp_path_factory.mktemp("build-cache"))
