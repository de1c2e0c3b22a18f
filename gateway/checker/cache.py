"""A cache of work done when rules load, so that `gateway check` starts fast.

Loading runs every rule's examples and every prh dictionary's specs, and translates and
analyses every prh pattern; the results depend only on the files and on the code that
reads them. Each is kept under a key that hashes both: the file's bytes and the code's
identity (the gateway's version, the checker's own source files, Python, the `regex`
module and the Sudachi dictionary). A changed file or an upgraded gateway simply misses.

The cache is never required: a directory that cannot be created or written, or a record
that cannot be read back, means the work is done again, nothing else.
Where: `$CACHE_DIRECTORY` (systemd's `CacheDirectory=`), else `$XDG_CACHE_HOME/gateway`,
else `~/.cache/gateway`; `GATEWAY_NO_CACHE=1` turns it off.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

_FORMAT = "1"  # bump when what is stored changes shape
_KEEP_SECONDS = 30 * 24 * 3600


@lru_cache(maxsize=1)
def code_identity() -> bytes:
    """What the cached results depend on besides the files themselves."""
    import gateway

    h = hashlib.sha256()
    h.update(f"{_FORMAT}|{gateway.__version__}|{sys.version}".encode())
    checker_dir = Path(__file__).resolve().parent
    for source in sorted(checker_dir.glob("*.py")):
        h.update(source.name.encode())
        h.update(source.read_bytes())
    # the libraries whose behaviour the results depend on, by their installed files
    # (found without importing them: `check` may never need `regex`)
    for package in ("regex", "sudachipy", "sudachidict_core"):
        h.update(package.encode())
        h.update(_installed_stamp(package))
    return h.digest()


def _installed_stamp(package: str) -> bytes:
    """Size and mtime of an installed package's files (a reinstall or upgrade changes it)."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return b"missing"
    stamps = []
    folders = [
        os.path.join(loc, sub)
        for loc in spec.submodule_search_locations
        for sub in ("", "resources")
    ]  # fmt: skip  (sudachidict keeps its .dic there)
    for location in folders:
        if not os.path.isdir(location):
            continue
        try:
            for entry in sorted(os.scandir(location), key=lambda e: e.name):
                if entry.is_file():
                    st = entry.stat()
                    stamps.append(f"{entry.name}:{st.st_size}:{st.st_mtime_ns}")
        except OSError:
            stamps.append("unreadable")
    return "|".join(stamps).encode()


class LoadCache:
    """Small JSON records by key, in one directory (None: a cache that keeps nothing)."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def key(self, kind: str, *parts: bytes | str) -> str:
        h = hashlib.sha256(code_identity())
        h.update(kind.encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> Path | None:
        return self.directory / f"{key}.json" if self.directory is not None else None

    def get(self, key: str) -> Any:
        """The record stored under `key`, or None (missing, unreadable or damaged)."""
        path = self._path(key)
        if path is None:
            return None
        try:
            return json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, value: Any) -> None:
        """Store a record; any failure to write leaves the cache as it was."""
        path = self._path(key)
        if path is None:
            return
        import tempfile

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
                os.replace(tmp, path)
            except BaseException:
                os.unlink(tmp)
                raise
        except (OSError, TypeError, ValueError):
            return
        self._prune(path.parent)

    @staticmethod
    def _prune(folder: Path) -> None:
        """Forget records not read or written for a month (old versions, edited files)."""
        import time

        limit = time.time() - _KEEP_SECONDS
        try:
            for entry in os.scandir(folder):
                st = entry.stat()
                if entry.name.endswith(".json") and max(st.st_atime, st.st_mtime) < limit:
                    os.unlink(entry.path)
        except OSError:
            return


def cache_directory(environ: dict[str, str] | None = None) -> Path | None:
    """Where the cache lives for this process (None: no cache)."""
    env = os.environ if environ is None else environ
    if env.get("GATEWAY_NO_CACHE") not in (None, "", "0"):
        return None
    systemd = env.get("CACHE_DIRECTORY")
    if systemd:
        return Path(systemd.split(":")[0]) / "checker"
    base = env.get("XDG_CACHE_HOME")
    if base and os.path.isabs(base):
        return Path(base) / "gateway" / "checker"
    home = env.get("HOME") or os.path.expanduser("~")
    if not home or home == "~":
        return None
    return Path(home) / ".cache" / "gateway" / "checker"


def default_cache() -> LoadCache:
    return LoadCache(cache_directory())
