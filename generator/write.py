"""Last stage, and the only code that touches the output folder.

Each file is written to a temporary name and renamed into place, so a browser never sees
half a page; nothing is written outside the output folder or twice in one build; a file
whose bytes did not change is left alone; files an earlier build wrote and this one did not
are removed (only those: the manifest says which they are).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MANIFEST = ".dealbook-manifest"


class WriteError(Exception):
    pass


@dataclass(frozen=True)
class WriteResult:
    written: int
    unchanged: int
    removed: int


def _target(out: Path, rel: str) -> Path:
    """The path for `rel` under `out` (already resolved), refusing anything that leaves it."""
    pure = PurePosixPath(rel)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in rel:
        raise WriteError(f"refusing to write {rel!r}: outside the output folder")
    path = out.joinpath(*pure.parts)
    # a symlinked folder inside the output could still lead out of it
    parent = path.parent
    if parent != out and (
        parent.is_symlink() or out not in parent.resolve().parents and parent.resolve() != out
    ):
        raise WriteError(f"refusing to write {rel!r}: outside the output folder")
    return path


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_site(
    out: Path, files: list[tuple[str, bytes]], previous: dict[str, bytes] | None = None
) -> WriteResult:
    """Write `files` (path in the site, bytes) into `out`. `previous` is what the same
    process wrote there last time: a file with the same bytes is then skipped without
    reading it back (as long as the folder still holds that build)."""
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    if previous is not None and not (out / MANIFEST).exists():
        previous = None  # the folder was emptied meanwhile: write everything
    seen: set[str] = set()
    written = unchanged = 0
    for rel, data in files:
        if rel in seen:
            raise WriteError(f"refusing to write {rel!r} twice in one build")
        seen.add(rel)
        if previous is not None and previous.get(rel) == data:
            unchanged += 1
            continue
        path = _target(out, rel)
        try:
            if path.read_bytes() == data:
                unchanged += 1
                continue
        except OSError:
            pass
        write_atomic(path, data)
        written += 1
    removed = 0
    manifest = out / MANIFEST
    if manifest.exists():
        for rel in manifest.read_text(encoding="utf-8").splitlines():
            if rel and rel not in seen:
                try:
                    path = _target(out, rel)
                except WriteError:
                    continue
                if path.is_file():
                    path.unlink()
                    removed += 1
                    _prune(path.parent, out)
    write_atomic(manifest, ("\n".join(sorted(seen)) + "\n").encode("utf-8"))
    return WriteResult(written, unchanged, removed)


def _prune(folder: Path, out: Path) -> None:
    """Remove folders emptied by removing stale pages (never the output folder itself)."""
    while folder != out and out in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
