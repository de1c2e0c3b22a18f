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
import json
import os
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

_FORMAT = "1"  # bump when what is stored changes shape


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
    try:
        import regex

        h.update(str(regex.__version__).encode())
    except ImportError:  # pragma: no cover - a dependency
        pass
    try:
        import sudachidict_core

        dic = Path(sudachidict_core.__file__).parent / "resources" / "system.dic"
        st = dic.stat()
        h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
    except (ImportError, OSError, TypeError):
        h.update(b"no-sudachidict")
    return h.digest()


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
