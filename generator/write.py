"""Last stage, and the only code that touches the output folder.

A build's files are compared with what the folder holds (by the hashes in its manifest,
checked against each file's size and time, so nothing is read back); only changed files
are written. Two ways to write them:

- swap (a build that changes many files): the new site is assembled beside the old one
  (unchanged files hard-linked, changed ones written) and swapped in with two renames, so
  a failed or interrupted build leaves the old site whole;
- in place (a few changed files, and every rebuild while serving): each changed file is
  written to a temporary name; only when all are written is a journal of the renames
  written, then the renames done and the journal removed. A build interrupted before the
  journal leaves the old site (its temporary files are cleared next time); one
  interrupted after it is rolled forward by the next build, so no mix of the two lasts.

Swapping costs a link per file of the site, which at 10,000 deals was half the time of
a build after one edit; writing in place costs only the changed files.

Nothing is ever written outside the output folder, or twice in one build. Files in the
folder that Dealbook did not write (a CNAME for Pages, say) are kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST = ".dealbook-manifest"
JOURNAL = ".dealbook-journal"  # renames still to do, while an in-place write finishes
TEMP = ".tmp-"  # prefix of the temporary files an in-place write makes
IN_PLACE_MAX = 64  # changed and removed files up to which a build writes in place


class WriteError(Exception):
    pass


@dataclass(frozen=True)
class WriteResult:
    written: int
    unchanged: int
    removed: int
    changed: tuple[str, ...] = ()  # the files written, when few (in place): what to reload


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _check(rel: str) -> None:
    if (
        rel
        and not rel.startswith(("/", "."))
        and not rel.endswith("/")
        and "//" not in rel
        and "/." not in rel
        and "\\" not in rel
    ):
        return  # no empty, '.' or '..' part (the common case, checked cheaply)
    parts = rel.split("/")
    if (
        not rel
        or rel.startswith("/")
        or "\\" in rel
        or rel in (MANIFEST, JOURNAL)
        or any(part in ("..", ".", "") for part in parts)
    ):
        raise WriteError(f"refusing to write {rel!r}: outside the output folder")


def _read_manifest(out: Path) -> dict[str, tuple[str, int]]:
    """path -> (hash, size) of each file the last build wrote. (No times: the manifest is
    part of the site, which must be the same bytes on every machine.)"""
    entries: dict[str, tuple[str, int]] = {}
    try:
        text = (out / MANIFEST).read_text(encoding="utf-8")
    except OSError:
        return entries
    for line in text.splitlines():
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            entries[parts[2]] = (parts[0], int(parts[1]))
    return entries


def _on_disk(out: Path, rel: str, entry: tuple[str, int] | None) -> str | None:
    """The hash of the file as it is now, trusting the manifest while the size agrees (the
    output folder is ours: a same-size edit by hand there is not looked for)."""
    path = os.path.join(out, rel)  # strings, not Path: this runs for every file
    try:
        st = os.stat(path)
    except OSError:
        return None
    if entry is not None and entry[1] == st.st_size:
        return entry[0]
    try:
        with open(path, "rb") as fh:
            return digest(fh.read())
    except OSError:
        return None


def recover(out: Path) -> None:
    """Finish a swap interrupted between its two renames, or an in-place write interrupted
    during its renames, and clear what interrupted builds left behind."""
    parent = out.parent
    if not parent.is_dir():
        return
    old = sorted(parent.glob(f".{out.name}.old-*"))
    if not out.exists() and old:
        os.replace(old[-1], out)
        old = old[:-1]
    for leftover in [*old, *parent.glob(f".{out.name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)
    if out.is_dir():
        _roll_forward(out)


def _roll_forward(out: Path) -> None:
    """Finish an in-place write its journal says was complete (do its renames and
    removals), or undo one that was not (remove its temporary files)."""
    journal = out / JOURNAL
    try:
        lines = journal.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    done = bool(lines) and lines[0] == "complete"
    for line in lines[1:]:
        kind, _, rest = line.partition("\t")
        if kind == "move":
            temp, _, rel = rest.partition("\t")
            if not (_ours(temp) and _ours(rel) and os.path.basename(temp).startswith(TEMP)):
                continue  # not a journal of ours
            if done and os.path.exists(out / temp):
                os.replace(out / temp, out / rel)
            elif not done:
                (out / temp).unlink(missing_ok=True)
        elif kind == "remove" and done and _ours(rest) and (out / rest).is_file():
            (out / rest).unlink()
            _prune((out / rest).parent, out)
    journal.unlink()


def _ours(rel: str) -> bool:
    """A path a journal may name: inside the output folder."""
    try:
        _check(rel)
    except WriteError:
        return rel == MANIFEST
    return True


def write_site(
    out: Path,
    files: list[tuple[str, bytes | None]],
    swap: bool = True,
) -> WriteResult:
    """Make `out` hold exactly `files` (path in the site, bytes), plus any file it held that
    no build of ours wrote. Bytes of None mean "as the last build wrote it": the caller
    knows the file did not change and need not have its bytes."""
    for rel, _ in files:
        _check(rel)  # before anything is made
    writer = SiteWriter(out, swap=swap)
    try:
        for rel, data in files:
            writer.add(rel, data)
        return writer.finish()
    finally:
        writer.abort()


class SiteWriter:
    """write_site one file at a time, as a build makes them, so that a build of 100,000
    pages never holds them all. With `stream`, each changed file goes at once into the
    new site assembled beside the old one (a swap: for a build expected to change many
    files); otherwise changed files are kept until finish() decides how to write them."""

    def __init__(self, out: Path, swap: bool = True, stream: bool = False) -> None:
        recover(out)
        if out.is_dir() and not (out / MANIFEST).exists() and any(out.iterdir()):
            raise WriteError(
                f"{out} is not empty and was not made by Dealbook; build into a new or empty "
                "folder (a build replaces the folder's contents)"
            )
        out.mkdir(parents=True, exist_ok=True)
        self.out = out.resolve()
        self.base = str(self.out) + os.sep  # strings, not Path: this runs for every file
        self.swap = swap or stream
        self.manifest = _read_manifest(self.out)
        self.hashes: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.changed: list[tuple[str, bytes, str]] = []  # kept for finish()
        self.new: set[str] = set()  # written into the stage already
        self.made: set[str] = set()  # folders made in the stage
        self.listed: dict[str, set[str]] = {}  # folder of the output -> the names in it
        self.stage = self._new_stage() if stream else None

    def _new_stage(self) -> Path:
        return Path(tempfile.mkdtemp(prefix=f".{self.out.name}.new-", dir=self.out.parent))

    def add(self, rel: str, data: bytes | None) -> None:
        _check(rel)
        if rel in self.hashes:
            raise WriteError(f"refusing to write {rel!r} twice in one build")
        if data is None:
            if rel not in self.manifest or not self._present(rel):
                raise WriteError(f"{rel!r} was to be kept but the output folder lacks it")
            self.hashes[rel], self.sizes[rel] = self.manifest[rel]
            return
        h = digest(data)
        self.hashes[rel], self.sizes[rel] = h, len(data)
        if _on_disk(self.out, rel, self.manifest.get(rel)) == h:
            return
        if self.stage is not None:
            self._stage_write(rel, data)
        else:
            self.changed.append((rel, data, h))

    def _present(self, rel: str) -> bool:
        """Whether the output folder holds `rel`, from one listing of its folder rather
        than a stat of each of 100,000 kept pages."""
        folder, _, name = rel.rpartition("/")
        names = self.listed.get(folder)
        if names is None:
            try:
                names = self.listed[folder] = set(os.listdir(self.base + folder))
            except OSError:
                names = self.listed[folder] = set()
        return name in names

    def write_new(self, rel: str, data: bytes) -> tuple[str, int, bool]:
        """add() for a streaming writer, safe to call in a forked worker process: write the
        file into the new site if it changed, and return (hash, size, written) for
        record() in this process. The bytes then never travel back from the worker."""
        _check(rel)
        h = digest(data)
        if _on_disk(self.out, rel, self.manifest.get(rel)) == h:
            return h, len(data), False
        self._stage_write(rel, data)
        return h, len(data), True

    def record(self, rel: str, h: str, size: int, written: bool) -> None:
        """What write_new() did, wherever it ran."""
        if rel in self.hashes:
            raise WriteError(f"refusing to write {rel!r} twice in one build")
        self.hashes[rel], self.sizes[rel] = h, size
        if written:
            self.new.add(rel)

    def _stage_write(self, rel: str, data: bytes) -> None:
        assert self.stage is not None
        dst = str(self.stage) + os.sep
        _mkdirs(dst, rel, self.made)
        with open(dst + rel, "wb") as fh:
            fh.write(data)
        self.new.add(rel)

    def finish(self) -> WriteResult:
        changed = len(self.changed) + len(self.new)
        stale = [rel for rel in self.manifest if rel not in self.hashes]
        unchanged = len(self.hashes) - changed
        if not changed and not stale and (self.out / MANIFEST).exists():
            self.abort()
            return WriteResult(0, unchanged, 0)
        if self.stage is None and self.swap and changed + len(stale) > IN_PLACE_MAX:
            try:
                self.stage = self._new_stage()
            except OSError:
                self.swap = False
        if self.stage is not None:
            try:
                for rel, data, _ in self.changed:
                    self._stage_write(rel, data)
                self.changed = []
                self._swap_in()
                return WriteResult(changed, unchanged, len(stale))
            except OSError as exc:
                if exc.errno not in (18, 16):  # EXDEV, EBUSY: out is a mount point
                    raise
                self._move_back()  # write in place instead
        _in_place(self.out, self.changed, stale, self.hashes, self.sizes)
        paths = tuple(rel for rel, _, _ in self.changed)
        return WriteResult(changed, unchanged, len(stale), paths)

    def abort(self) -> None:
        """Drop a new site that was not swapped in (the build failed)."""
        if self.stage is not None:
            shutil.rmtree(self.stage, ignore_errors=True)
            self.stage = None

    def _move_back(self) -> None:
        """Take the files already in a stage that cannot be swapped in back for _in_place."""
        assert self.stage is not None
        for rel in sorted(self.new):
            data = (self.stage / rel).read_bytes()
            self.changed.append((rel, data, self.hashes[rel]))
        self.new = set()
        self.abort()

    def _swap_in(self) -> None:
        """Link the unchanged files into the stage, then swap it in with two renames."""
        stage, out = self.stage, self.out
        assert stage is not None
        src, dst = str(out) + os.sep, str(stage) + os.sep
        for rel in self.hashes:
            if rel not in self.new:
                _link(src + rel, dst, rel, self.made)
        # files Dealbook did not write (a CNAME, a verification file) come along
        for dirpath, _dirnames, filenames in os.walk(out):
            prefix = os.path.relpath(dirpath, out).replace(os.sep, "/")
            for name in filenames:
                rel = name if prefix == "." else f"{prefix}/{name}"
                if rel != MANIFEST and rel not in self.manifest and rel not in self.hashes:
                    _link(src + rel, dst, rel, self.made)
        (stage / MANIFEST).write_bytes(_manifest_text(self.sizes, self.hashes))
        os.chmod(stage, 0o755)
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.rmdir(old)
        os.replace(out, old)
        os.replace(stage, out)
        self.stage = None
        shutil.rmtree(old, ignore_errors=True)


def update_files(out: Path, files: list[tuple[str, bytes]]) -> list[str]:
    """Write a few files of a site a build made, leaving every other file as it is (the
    manifest is updated to match): for `watch`, to show a saved deal's page before the
    rebuild of everything else. Returns the files that changed."""
    for rel, _ in files:
        _check(rel)
    recover(out)
    manifest = _read_manifest(out)
    if not manifest:
        return []  # not a site of ours yet: a whole build comes next anyway
    changed = []
    for rel, data in files:
        h = digest(data)
        if _on_disk(out, rel, manifest.get(rel)) != h:
            changed.append((rel, data, h))
        manifest[rel] = (h, len(data))
    if changed:
        hashes = {rel: h for rel, (h, _) in manifest.items()}
        sizes = {rel: size for rel, (_, size) in manifest.items()}
        _in_place(out.resolve(), changed, [], hashes, sizes)
    return [rel for rel, _, _ in changed]


def _manifest_text(sizes: dict[str, int], hashes: dict[str, str]) -> bytes:
    lines = [f"{hashes[rel]} {sizes[rel]} {rel}" for rel in sorted(hashes)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _mkdirs(stage: str, rel: str, made: set[str]) -> None:
    parent = rel.rpartition("/")[0]
    if parent and parent not in made:
        os.makedirs(stage + parent, exist_ok=True)
        made.add(parent)


def _link(source: str, stage: str, rel: str, made: set[str]) -> None:
    """Put the unchanged file `source` into the new site as `rel`: a hard link, no copy."""
    _mkdirs(stage, rel, made)
    try:
        os.link(source, stage + rel)
    except OSError:
        shutil.copy2(source, stage + rel)


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


def _in_place(
    out: Path,
    changed: list[tuple[str, bytes, str]],
    stale: list[str],
    hashes: dict[str, str],
    sizes: dict[str, int],
) -> None:
    """The journal (as incomplete), every changed file and the new manifest under a
    temporary name, the journal again (as complete), then the renames (see the module's
    docstring)."""
    writes = [*changed, (MANIFEST, _manifest_text(sizes, hashes), "")]
    moves = []  # (temporary file, path in the site)
    for n, (rel, _, _) in enumerate(writes):
        folder, _, name = rel.rpartition("/")
        temp = f"{TEMP}{n}{os.path.splitext(name)[1]}"
        moves.append((f"{folder}/{temp}" if folder else temp, rel))
    body = "".join(f"move\t{temp}\t{rel}\n" for temp, rel in moves)
    body += "".join(f"remove\t{rel}\n" for rel in stale)
    write_atomic(out / JOURNAL, ("incomplete\n" + body).encode("utf-8"))
    try:
        for (temp, rel), (_, data, _) in zip(moves, writes, strict=True):
            path = out / rel
            if path.parent != out and out not in path.parent.resolve().parents:
                raise WriteError(f"refusing to write {rel!r}: outside the output folder")
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(out / temp, "wb") as fh:
                fh.write(data)
            os.chmod(out / temp, 0o644)
    except BaseException:
        _roll_forward(out)  # the journal still says incomplete: this removes the temps
        raise
    write_atomic(out / JOURNAL, ("complete\n" + body).encode("utf-8"))
    _roll_forward(out)


def _prune(folder: Path, out: Path) -> None:
    """Remove folders emptied by removing stale pages (never the output folder itself)."""
    while folder != out and out in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
