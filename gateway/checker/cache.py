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
import itertools
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


@lru_cache(maxsize=1)
def _identity_hash() -> Any:
    """sha256 fed with the code's identity, copied for each key."""
    return hashlib.sha256(code_identity())


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
    """Small JSON records by key, in one directory (None: a cache that keeps nothing).

    Paths are plain strings and the folder is made only when a write finds it missing:
    a warm start of a small rule set reads a few records, and pathlib's objects, a
    `mkdir` per record and a scan of the folder per write had cost more than reading them.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._folder = os.fspath(directory) if directory is not None else None

    def key(self, kind: str, *parts: bytes | str) -> str:
        h = _identity_hash().copy()
        h.update(kind.encode())
        for part in parts:
            data = part.encode() if isinstance(part, str) else part
            h.update(len(data).to_bytes(8, "big"))
            h.update(data)
        return h.hexdigest()

    def _path(self, key: str) -> str | None:
        return f"{self._folder}{os.sep}{key}.json" if self._folder is not None else None

    def get(self, key: str) -> Any:
        """The record stored under `key`, or None (missing, unreadable or damaged)."""
        path = self._path(key)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                return json.loads(f.read())
        except (OSError, ValueError):
            return None

    def has(self, key: str) -> bool:
        return self.get(key) is not None

    def put(self, key: str, value: Any) -> None:
        """Store a record; any failure to write leaves the cache as it was."""
        path = self._path(key)
        if path is None or self._folder is None:
            return
        try:
            data = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
            tmp = self._temp_file()
            try:
                with os.fdopen(tmp[0], "wb") as f:
                    f.write(data)
                os.replace(tmp[1], path)
            except BaseException:
                os.unlink(tmp[1])
                raise
        except (OSError, TypeError, ValueError):
            return
        _prune_now_and_then(self._folder)

    def _temp_file(self) -> tuple[int, str]:
        """A new file (owner-only, as mkstemp makes it) beside the records: named by the
        process and a counter, so no random name and no folder check per write; the folder
        is made when missing, and a name left by an earlier process falls back to mkstemp."""
        assert self._folder is not None
        name = f"{self._folder}{os.sep}.tmp-{os.getpid()}-{next(_TEMP_COUNTER)}.json"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            return os.open(name, flags, 0o600), name
        except FileNotFoundError:
            os.makedirs(self._folder, exist_ok=True)
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            import tempfile

            return tempfile.mkstemp(dir=self._folder, prefix=".tmp-", suffix=".json")


_TEMP_COUNTER = itertools.count()
_PRUNE_EVERY_SECONDS = 3600.0
_PRUNED: dict[str, float] = {}  # folder -> monotonic time of its last prune


def _prune_now_and_then(folder: str) -> None:
    """Prune a folder at most once an hour per process (not on every write: a scan of
    the whole folder per record written cost more than writing the record)."""
    import time

    now = time.monotonic()
    last = _PRUNED.get(folder)
    if last is not None and now - last < _PRUNE_EVERY_SECONDS:
        return
    _PRUNED[folder] = now
    _prune(folder)


def _prune(folder: str | Path) -> None:
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
    return _directory(
        env.get("GATEWAY_NO_CACHE"), env.get("CACHE_DIRECTORY"), env.get("XDG_CACHE_HOME"),
        env.get("HOME"),
    )  # fmt: skip


@lru_cache(maxsize=8)
def _directory(
    no_cache: str | None, systemd: str | None, base: str | None, home: str | None
) -> Path | None:
    """cache_directory's answer for these variables (asked several times per load)."""
    if no_cache not in (None, "", "0"):
        return None
    if systemd:
        return Path(systemd.split(":")[0]) / "checker"
    if base and os.path.isabs(base):
        return Path(base) / "gateway" / "checker"
    home = home or os.path.expanduser("~")
    if not home or home == "~":
        return None
    return Path(home) / ".cache" / "gateway" / "checker"


@lru_cache(maxsize=8)
def _cache_in(directory: Path | None) -> LoadCache:
    return LoadCache(directory)


def default_cache() -> LoadCache:
    """The cache of this process's environment (one object per folder: it keeps nothing
    but the folder's name)."""
    return _cache_in(cache_directory())
