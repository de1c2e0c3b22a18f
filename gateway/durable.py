"""Files that survive a crash: replace a file atomically, make a rename durable.

Shared by the state (gateway.statedb), the spool and the files gateway init and the staff
desk write, so every one of them writes the same careful way.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

#: The name every temporary file of write_atomically starts with (a crash may leave one).
TEMP_PREFIX = ".state-"


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry itself is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, payload: bytes, mode: int = 0o600) -> None:
    """Replace `path` by `payload`: temp file in the same directory, fsync, rename, fsync dir."""
    write_atomically_with(path, lambda f: f.write(payload), mode)


def write_atomically_with(
    path: Path, write: Callable[[BinaryIO], object], mode: int = 0o600, *, sync_dir: bool = True
) -> None:
    """Replace `path` by what `write` writes to the open temp file (in pieces, for files too
    large to hold): fsync, rename, and fsync the directory unless `sync_dir` is False (a
    cache that is rebuilt when lost)."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if sync_dir:
        fsync_dir(path.parent)
