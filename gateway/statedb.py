"""The state's files, loaded into TinyDB in memory, and transactions on them.

TinyDB's JSON storage rewrites its whole file on every change: slow as history grows, and
a crash mid-write destroys it. Here TinyDB works on an in-memory dict, and the disk holds

- `state.json`: a snapshot (TinyDB's format plus a `journal` table with its sequence number),
  always replaced atomically (temp file, fsync, rename), mode 0600;
- `state.json.journal`: one line per committed transaction (the documents it changed, with a
  CRC), appended and fsynced before `transaction()` returns. A write therefore costs what the
  transaction changed, not what the history holds. Every few MB the journal is folded into a
  new snapshot;
- `state.json.bak` + `state.json.journal.prev`: the previous snapshot and the journal since
  it, so a damaged `state.json` can be restored without losing a transaction
  (`gateway restore -c FILE`);
- `state.json.archive/`: closed drafts and old records (gateway.archive), moved out of the
  hot state by `Store.archive()`.

Only one process may write (an flock on `state.json.lock`); others open read-only. What the
tables hold and how they are queried is gateway.store's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from gateway.archive import Archive
from gateway.durable import fsync_dir
from gateway.memtables import Document, JournaledDB, MemoryStorage
from gateway.statefiles import (
    StateError,
    compact_json,
    encode_record,
    exclusive_lock,
    read_journal,
    read_snapshot,
    restore_hint,
)

log = logging.getLogger(__name__)

TABLES = ("drafts", "events", "outbox", "seen", "meta", "absences")
SNAPSHOT_BYTES = 8 << 20  # fold the journal into a new snapshot beyond this size


class _Fds:
    """The store's open files (journal, writer lock), closed once: by close() or on GC."""

    def __init__(self) -> None:
        self.journal: int | None = None
        self.lock: int | None = None

    def close(self) -> None:
        for fd in (self.journal, self.lock):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.journal = self.lock = None


class StateDB:
    """The state's tables in memory, their files on disk, and transactions. Callers group
    changes in `transaction()`, which is one fsynced journal append when the block ends
    (nothing at all if nothing changed). gateway.store.Store adds what the tables mean."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        exclusive: bool | None = None,
        snapshot_bytes: int = SNAPSHOT_BYTES,
    ) -> None:
        """`exclusive=True`: the writer (the daemon), StateError if another process writes.
        `None`: write if no other process does, else open read-only (status, export)."""
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.prev_journal_path = self.path.with_name(self.path.name + ".journal.prev")
        self.bak_path = self.path.with_name(self.path.name + ".bak")
        self.snapshot_bytes = snapshot_bytes
        self.archive_store = Archive(self.path.with_name(self.path.name + ".archive"))
        self._lock = threading.RLock()
        self._depth = 0
        self._storage = MemoryStorage()
        self._db = JournaledDB(storage=lambda: self._storage)
        self.drafts = self._db.table("drafts", cache_size=0)
        self.events = self._db.table("events", cache_size=0)
        self.outbox = self._db.table("outbox", cache_size=0)
        self.seen = self._db.table("seen", cache_size=0)
        self.meta = self._db.table("meta", cache_size=0)
        self.absences_table = self._db.table("absences", cache_size=0)
        self._fds = _Fds()
        self._finalizer = weakref.finalize(self, self._fds.close)
        self.readonly = True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive is not False:
            self.readonly = not self._take_lock()
            if self.readonly and exclusive:
                raise StateError(
                    f"state {self.path} is in use by another gateway process",
                    f"状態ファイル {self.path} は別のゲートウェイのプロセスが使用中です。",
                )
        try:
            self._load(repair=not self.readonly)
            self.archive_store.load()
        except BaseException:
            self._finalizer()  # release the writer lock: a restore must be able to take it
            raise
        if not self.readonly:
            self._fds.journal = os.open(
                self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
            )
            if not self.meta.get(doc_id=1):
                with self.transaction():
                    self.meta.insert(Document({"created": True, "next_draft": 1}, doc_id=1))
            if not self.path.exists():
                self.snapshot()

    # -- opening --------------------------------------------------------------------

    def _take_lock(self) -> bool:
        try:
            self._fds.lock = exclusive_lock(self.path)
        except StateError:
            return False
        for leftover in self.path.parent.glob(".state-*"):  # temp files of a crashed write
            leftover.unlink(missing_ok=True)
        return True

    def _load(self, *, repair: bool) -> None:
        """Snapshot + journal replay into memory. With `repair`, cut a torn last record."""
        for attempt in range(3):
            try:
                self._load_once(repair=repair)
                return
            except StateError:
                # A reader can race the writer's snapshot rotation: look again.
                if repair or attempt == 2:
                    raise

    def _load_once(self, *, repair: bool) -> None:
        data = read_snapshot(self.path) or {}
        for name in TABLES:
            data.setdefault(name, {})
        meta = data.pop("journal", {}).get("1", {})
        seq = int(meta.get("seq", 0))
        for journal in (self.prev_journal_path, self.journal_path):
            records, good, damaged = read_journal(journal)
            if damaged is not None:
                raise StateError(
                    f"journal {journal} is damaged at line {damaged}; it was left untouched",
                    f"ジャーナル {journal} の {damaged} 行目が壊れています。ファイルはそのまま残してあります。",
                    restore_hint(self.path),
                )
            for record in records:
                if record["seq"] <= seq:
                    continue
                if record["seq"] != seq + 1:
                    raise StateError(
                        f"journal {journal} skips from transaction {seq} to {record['seq']}",
                        f"ジャーナル {journal} に欠落があります（{seq} の次が {record['seq']}）。",
                        restore_hint(self.path),
                    )
                for table, doc_id, doc in record["ops"]:
                    if doc is None:
                        data.setdefault(table, {}).pop(doc_id, None)
                    else:
                        data.setdefault(table, {})[doc_id] = doc
                seq = record["seq"]
            torn = journal.exists() and good != journal.stat().st_size
            if repair and journal == self.journal_path and torn:
                log.warning("event=journal_torn_tail_dropped file=%s", journal)
                os.truncate(journal, good)
        self._storage.data = data
        self._storage.dirty = {}
        self._storage.decoded = {}
        self._seq = seq
        self._journal_size = self.journal_path.stat().st_size if self.journal_path.exists() else 0
        self._snapshot_seq = int(meta.get("seq", 0))
        self._broken = False
        for table in (
            self.drafts,
            self.events,
            self.outbox,
            self.seen,
            self.meta,
            self.absences_table,
        ):
            table._next_id = None
            table.clear_cache()
        self._index(data)

    def _index(self, data: dict[str, dict[str, Any]]) -> None:
        """Rebuild the in-memory indexes of the loaded tables (Store keeps some)."""

    # -- writing --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Self]:
        with self._lock:
            if self._depth:  # nested: the outermost block commits
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            if self._broken:
                self._recover()
            self._storage.dirty = {}
            self._depth = 1
            try:
                yield self
            except BaseException:
                if self._storage.dirty:
                    self._reload()  # drop the uncommitted changes
                raise
            finally:
                self._depth = 0
            if self._storage.dirty:
                self._commit()

    def _commit(self) -> None:
        if self.readonly:
            self._reload()
            raise StateError(
                f"state {self.path} is open read-only (another process writes it)",
                f"状態ファイル {self.path} は読み取り専用で開いています。",
            )
        data = self._storage.data
        ops = [
            [table, doc_id, data.get(table, {}).get(doc_id)]
            for table, ids in sorted(self._storage.dirty.items())
            for doc_id in sorted(ids)
        ]
        line = encode_record({"seq": self._seq + 1, "ops": ops})
        try:
            written = os.write(self._fds.journal, line)  # type: ignore[arg-type]
            if written != len(line):
                raise OSError(f"short write to {self.journal_path} ({written}/{len(line)})")
            os.fsync(self._fds.journal)  # type: ignore[arg-type]
        except BaseException:
            self._broken = True
            with contextlib.suppress(OSError):
                self._recover()
            raise
        self._seq += 1
        self._journal_size += len(line)
        self._storage.dirty = {}
        if self._journal_size >= self.snapshot_bytes:
            try:
                self.snapshot()
            except OSError as exc:  # the transaction is safe in the journal; try again later
                log.error("event=snapshot_failed error=%r", exc)

    def _recover(self) -> None:
        """After a failed append: cut the journal back to its last good record and reload."""
        os.truncate(self.journal_path, self._journal_size)
        self._reload()
        self._broken = False

    def _reload(self) -> None:
        self._load(repair=False)

    def snapshot(self) -> None:
        """Fold the journal into a new state.json; keep the old one as .bak, the journal as .prev."""
        with self._lock:
            if self.readonly:
                return
            if self.path.exists() and self._seq == self._snapshot_seq:
                return
            payload = compact_json({**self._storage.data, "journal": {"1": {"seq": self._seq}}})
            fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(payload.encode("utf-8"))
                    f.flush()
                    os.fsync(f.fileno())
                if self.path.exists():  # the old snapshot becomes the last good copy
                    bak_tmp = self.bak_path.with_name(self.bak_path.name + ".tmp")
                    bak_tmp.unlink(missing_ok=True)
                    os.link(self.path, bak_tmp)
                    os.replace(bak_tmp, self.bak_path)
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            os.replace(self.journal_path, self.prev_journal_path)
            new_fd = os.open(self.journal_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            old_fd, self._fds.journal = self._fds.journal, new_fd
            if old_fd is not None:
                os.close(old_fd)
            fsync_dir(self.path.parent)
            self._journal_size = 0
            self._snapshot_seq = self._seq
            log.debug("event=state_snapshot seq=%d bytes=%d", self._seq, len(payload))

    def close(self) -> None:
        with self._lock:
            if not self.readonly and self._fds.journal is not None:
                with contextlib.suppress(OSError):
                    self.snapshot()
            self._finalizer()
