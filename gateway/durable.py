"""Files that survive a crash: replace a file atomically, make a rename durable.

Shared by the state (gateway.statedb), the spool and the files gateway init and the staff
desk write, so every one of them writes the same careful way.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
