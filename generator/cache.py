"""The build cache: what a Builder may reuse, kept between runs of `dealbook build`.

It lives in the user's cache folder ($DEALBOOK_CACHE_DIR, else $XDG_CACHE_HOME/dealbook,
else ~/.cache/dealbook), one folder per pipeline and output folder, never in the
repository: a pickle is code, and a file a pull request could add must never be loaded.
It is dropped when Dealbook's code or Python changes, and ignored if unreadable;
deleting it only makes the next build slower.

A cache is an index and its parts (the caller decides what goes in each part, e.g. the
deals whose path hashes to it). A save writes only the parts that changed, each under a
new name, then the index naming them, then removes the parts no index names: a build
after one edit rewrites one part, not everything, and an interrupted save leaves the old
index and every part it names.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import secrets
import shutil
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .parallel import pmap

FORMAT = 2
KEEP = 24  # caches kept (one per pipeline and output folder); the least recently used go
INDEX = "index.pickle"
SUMMARY = "summary.pickle"


def cache_dir() -> Path:
    explicit = os.environ.get("DEALBOOK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dealbook"


def _code_key() -> str:
    """Changes whenever any of Dealbook's modules or the Python version does."""
    h = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        st = path.stat()
        h.update(f"{path.name} {st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()


class BuildCache:
    def __init__(self, root: Path, out: Path) -> None:
        ident = f"{root.resolve()}\0{out.resolve()}".encode()
        self.path = cache_dir() / hashlib.sha256(ident).hexdigest()[:32]  # a folder
        self.key = _code_key()
        self.part_files: dict[int, str] = {}  # part -> its file, as the index last read says
        self.compiled = cache_dir() / "templates"  # compiled templates, shared by pipelines

    def load(self) -> tuple[object, dict[int, object]] | None:
        """(what is common to the build, {part number: part}), or None."""
        index = self._load(self.path / INDEX)
        if not (isinstance(index, tuple) and len(index) == 2 and isinstance(index[1], dict)):
            return None
        common, files = index
        parts = {}
        for n, name in files.items():
            part = self._load(self.path / name)
            if part is None:
                return None
            parts[n] = part
        self.part_files = dict(files)
        return common, parts

    def save(self, common: object, parts: Mapping[int, object], unchanged: set[int]) -> None:
        """Write `common` and `parts`; the parts in `unchanged` stay as they were loaded."""
        if not all(n in self.part_files for n in unchanged):
            return  # not the cache that was loaded: keep it rather than save half of one
        files = {n: self.part_files[n] for n in unchanged}
        todo = []
        for n, part in parts.items():
            files[n] = f"part-{n}-{secrets.token_hex(4)}.pickle"
            todo.append((self.path / files[n], part))
        # pickling is the slow part, and parts are independent: spread them over the cores
        if not all(pmap(lambda job: self._save(*job), todo, min_items=8)):
            return
        if not self._save(self.path / INDEX, (common, files)):
            return
        self.part_files = files
        wanted = set(files.values())
        for path in self.path.glob("part-*.pickle"):
            if path.name not in wanted:
                path.unlink(missing_ok=True)
        self._prune()

    def load_summary(self) -> object | None:
        """The small record of the last build, enough to say "nothing changed" quickly."""
        return self._load(self.path / SUMMARY)

    def save_summary(self, summary: object) -> None:
        self._save(self.path / SUMMARY, summary)

    def _load(self, path: Path) -> object | None:
        try:
            with open(path, "rb") as fh:
                if fh.readline().decode().strip() != self.key:
                    return None
                return pickle.load(fh)
        except Exception:  # a missing, old or damaged cache is just no cache
            return None

    def _save(self, path: Path, value: object) -> bool:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path.mkdir(exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.key.encode() + b"\n")
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            return True
        except OSError:
            return False  # no cache folder we can write: builds stay correct, only slower

    def _prune(self) -> None:
        def used(folder: Path) -> float:
            try:
                return (folder / INDEX).stat().st_mtime
            except OSError:
                return 0.0

        folders = sorted(
            (p for p in self.path.parent.iterdir() if p.is_dir() and p != self.compiled), key=used
        )
        for old in folders[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)
