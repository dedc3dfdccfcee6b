"""Creating deal files: atomic and create-only. A file that exists is never replaced.

The text goes to a hidden temporary file beside the target (a name the loader ignores),
which is then hard-linked to the target name: the link fails if anything is already there,
and a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def create(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless something is already there. True when written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".dealbook-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:  # a file system without hard links: exclusive create instead
            try:
                with open(path, "xb") as f:
                    f.write(data)
            except FileExistsError:
                return False
        return True
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
