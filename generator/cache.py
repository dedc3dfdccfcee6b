"""The build cache: what a Builder may reuse, kept between runs of `dealbook build`.

It lives in the user's cache folder ($DEALBOOK_CACHE_DIR, else $XDG_CACHE_HOME/dealbook,
else ~/.cache/dealbook), one file per pipeline and output folder, never in the
repository: a pickle is code, and a file a pull request could add must never be loaded.
It is dropped when Dealbook's code or Python changes, and ignored if unreadable;
deleting it only makes the next build slower.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

FORMAT = 1
KEEP = 24  # cache files kept (one per pipeline and output folder); the oldest go first


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
        self.path = cache_dir() / (hashlib.sha256(ident).hexdigest()[:32] + ".pickle")
        self.key = _code_key()

    def load(self) -> object | None:
        return self._load(self.path)

    def load_summary(self) -> object | None:
        """The small record of the last build, enough to say "nothing changed" quickly."""
        return self._load(self.path.with_suffix(".summary"))

    def save_summary(self, summary: object) -> None:
        self._save(self.path.with_suffix(".summary"), summary)

    def _load(self, path: Path) -> object | None:
        try:
            with open(path, "rb") as fh:
                if fh.readline().decode().strip() != self.key:
                    return None
                return pickle.load(fh)
        except Exception:  # a missing, old or damaged cache is just no cache
            return None

    def save(self, state: object) -> None:
        self._save(self.path, state)
        self._prune()

    def _save(self, path: Path, value: object) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.key.encode() + b"\n")
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError:
            pass  # no cache folder we can write: builds stay correct, only slower

    def _prune(self) -> None:
        entries = sorted(self.path.parent.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-KEEP]:
            old.unlink(missing_ok=True)
            old.with_suffix(".summary").unlink(missing_ok=True)
