"""State in TinyDB: drafts, the audit log, the outbox and the messages already handled.

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
- `state.json.archive/`: closed drafts and old events, seen keys and sent mail, moved out
  of the hot state by `archive()` as append-only JSONL per month. Reads (`get_draft`,
  `is_seen`, `all_events`, `all_drafts`) still see them.

Only one process may write (an flock on `state.json.lock`); others open read-only.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import tempfile
import threading
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from gateway.model import Decision, Finding, Severity
from gateway.records import Absence, Stage, StandIn
from gateway.workflow import AttachmentRef, AuditEvent, Draft, Version, Vote

log = logging.getLogger(__name__)

TABLES = ("drafts", "events", "outbox", "seen", "meta", "absences")
CLOSED_STATES = ("approved", "returned", "rejected", "expired", "withdrawn")
SNAPSHOT_BYTES = 8 << 20  # fold the journal into a new snapshot beyond this size


class StateError(Exception):
    """The state file cannot be used; the daemon must not start or must stop taking mail."""

    def __init__(self, message: str, message_ja: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message_ja = message_ja
        self.hint = hint

    def bilingual(self) -> str:
        """Japanese first (for the admin), then English (for logs and search), then the fix."""
        lines = [self.message_ja] if self.message_ja else []
        lines.append(str(self))
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


def fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable (the directory entry itself is flushed)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path: Path, payload: bytes, mode: int = 0o600) -> None:
    """Replace `path` by `payload`: temp file in the same directory, fsync, rename, fsync dir."""
    fd, tmp = tempfile.mkstemp(prefix=".state-", dir=path.parent)
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


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically; kept for tools that want plain TinyDB."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        return read_snapshot(self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomically(self.path, _dumps(data).encode("utf-8"))

    def close(self) -> None:
        pass


def read_snapshot(path: Path) -> dict[str, dict[str, Any]] | None:
    """The snapshot's tables, None when there is none yet; StateError when it is damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise ValueError("not a TinyDB document (an object of tables)")
    except ValueError as exc:
        raise StateError(
            f"state file {path} is corrupt ({exc}); it was left untouched",
            f"状態ファイル {path} が壊れています（{exc}）。ファイルはそのまま残してあります。",
            restore_hint(path),
        ) from None
    return data


def restore_hint(path: Path) -> str:
    bak = path.with_name(path.name + ".bak")
    if bak.exists():
        return (
            f"直前の正常な写し {bak} から復元できます / restore the last good copy with:\n"
            f"    gateway restore -c <設定ファイル config file>\n"
            f"(or by hand: cp {path} {path}.corrupt && cp {bak} {path})"
        )
    return (
        f"正常な写し ({bak}) がありません。バックアップから戻してください。 / "
        f"No last good copy ({bak}) exists: restore {path} from your backups."
    )


# --------------------------------------------------------------------------- journal


def _encode_record(record: dict[str, Any]) -> bytes:
    payload = _dumps(record)
    return f"{zlib.crc32(payload.encode('utf-8')):08x} {payload}\n".encode()


def _decode_record(line: bytes) -> dict[str, Any] | None:
    """The record on one journal line, None when the line is damaged (CRC, JSON, shape)."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        record = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return None
    return record


def read_journal(path: Path) -> tuple[list[dict[str, Any]], int, int | None]:
    """(records, length of the good part, line number of a damaged line before the end)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0, None
    records: list[dict[str, Any]] = []
    good = 0
    lines = data.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        record = _decode_record(line)
        if record is None:
            # The last line may be torn by a crash: that transaction never returned, so the
            # caller never acknowledged anything on the strength of it. Anything before is damage.
            return records, good, (None if number == len(lines) else number)
        records.append(record)
        good += len(line)
    return records, good, None


# --------------------------------------------------------------------------- TinyDB in memory


class _MemoryStorage(Storage):
    """Holds the tables in memory; remembers which documents each transaction touched."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty: dict[str, set[str]] = {}
        #: Draft objects decoded from the documents, dropped when a document changes.
        self.decoded: dict[str, Draft] = {}

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data

    def touch(self, table: str, doc_ids: Iterable[int]) -> None:
        ids = {str(i) for i in doc_ids}
        self.dirty.setdefault(table, set()).update(ids)
        if table == "drafts":
            for key in ids:
                self.decoded.pop(key, None)


class _IntKeys(MutableMapping):
    """TinyDB's updaters want int document ids; this views the str-keyed table in place
    instead of copying the whole table twice per write, as TinyDB's own `_update_table` does."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __getitem__(self, key: int) -> Any:
        return self.raw[str(key)]

    def __setitem__(self, key: int, value: Any) -> None:
        self.raw[str(key)] = value

    def __delitem__(self, key: int) -> None:
        del self.raw[str(key)]

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in list(self.raw))

    def __len__(self) -> int:
        return len(self.raw)


class _JournaledTable(Table):
    """A TinyDB table that reports the documents each write touched to the storage."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        # Copy on write (one shallow dict copy, no id conversion): a reader in another
        # thread may be iterating the old dict (tests poll `store.seen.all()`).
        tables = self._storage.read()
        raw = dict(tables.get(self.name, {}))
        updater(_IntKeys(raw))  # type: ignore[arg-type]
        tables[self.name] = raw
        self.clear_cache()

    def _touch(self, ids: Iterable[int]) -> None:
        self._storage.touch(self.name, ids)  # type: ignore[attr-defined]

    def insert(self, document):  # type: ignore[override]
        doc_id = super().insert(document)
        self._touch([doc_id])
        return doc_id

    def insert_multiple(self, documents):  # type: ignore[override]
        ids = super().insert_multiple(documents)
        self._touch(ids)
        return ids

    def update(self, *args, **kwargs):  # type: ignore[override]
        ids = super().update(*args, **kwargs)
        self._touch(ids)
        return ids

    def update_multiple(self, *args, **kwargs):  # type: ignore[override]
        ids = super().update_multiple(*args, **kwargs)
        self._touch(ids)
        return ids

    def remove(self, *args, **kwargs):  # type: ignore[override]
        ids = super().remove(*args, **kwargs)
        self._touch(ids)
        return ids

    def truncate(self) -> None:
        self._touch(int(k) for k in self._storage.read().get(self.name, {}))
        super().truncate()


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


class _DB(TinyDB):
    table_class = _JournaledTable


# --------------------------------------------------------------------------- codecs


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def draft_to_doc(draft: Draft) -> dict[str, Any]:
    def enc(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, dict):
            return {k: enc(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [enc(v) for v in obj]
        return obj

    return enc(asdict(draft))


def draft_from_doc(doc: dict[str, Any]) -> Draft:
    versions = tuple(
        Version(
            number=v["number"],
            text=v["text"],
            text_sha256=v["text_sha256"],
            subject=v["subject"],
            message_id=v["message_id"],
            received_at=datetime.fromisoformat(v["received_at"]),
            findings=tuple(
                Finding(**{**f, "severity": Severity(f["severity"])}) for f in v.get("findings", ())
            ),
            attachments=tuple(AttachmentRef(**a) for a in v.get("attachments", ())),
            schedule=_dt(v.get("schedule")),
        )
        for v in doc["versions"]
    )
    votes = tuple(
        Vote(
            reviewer=v["reviewer"],
            decision=Decision(v["decision"]),
            version=v["version"],
            at=datetime.fromisoformat(v["at"]),
            message_id=v["message_id"],
            comment=v.get("comment", ""),
        )
        for v in doc.get("votes", ())
    )
    return Draft(
        id=doc["id"],
        author=doc["author"],
        author_name=doc.get("author_name", ""),
        account=doc["account"],
        state=doc["state"],
        reviewers=tuple(doc["reviewers"]),
        versions=versions,
        created_at=datetime.fromisoformat(doc["created_at"]),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
        votes=votes,
        reminded=tuple(doc.get("reminded", ())),
        thread=tuple(doc.get("thread", ())),
        reason=doc.get("reason", ""),
        reminded_at=_dt(doc.get("reminded_at")),
        alternates=tuple((r, a) for r, a in doc.get("alternates", ())),
        schedule_warned=int(doc.get("schedule_warned", 0)),
        stages=tuple(
            Stage(tuple(st["members"]), int(st["required"]), st.get("name", ""))
            for st in doc.get("stages", ())
        ),
        stand_ins=tuple(
            StandIn(si["seat"], si["person"], si["why"], datetime.fromisoformat(si["at"]))
            for si in doc.get("stand_ins", ())
        ),
        at_least_one_of=tuple(doc.get("at_least_one_of", ())),
        emergency=bool(doc.get("emergency", False)),
        fixed_text=doc.get("fixed_text", ""),
    )


def draft_number(draft_id: str) -> int:
    return int(draft_id.split("-", 1)[1])


# --------------------------------------------------------------------------- archive


class Archive:
    """Append-only JSONL files per month for what the hot state no longer needs.

    Writing is idempotent: records are appended (and fsynced) before they leave the hot
    state, so a crash in between leaves a record in both places, and readers dedup (drafts
    by id, newest wins; events by seq; seen by key; mail by Message-ID).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.draft_index: dict[str, tuple[str, int]] = {}  # id -> (file name, byte offset)
        self.seen: set[str] = set()

    def load(self) -> None:
        """Read the small indexes (draft ids, seen keys) into memory."""
        self.draft_index.clear()
        self.seen.clear()
        if not self.root.is_dir():
            return
        for entry in self._lines(self.root / "drafts-index.jsonl"):
            self.draft_index[entry["id"]] = (entry["file"], entry["offset"])
        for path in sorted(self.root.glob("seen-*.jsonl")):
            self.seen.update(e["key"] for e in self._lines(path))

    @staticmethod
    def _lines(path: Path) -> Iterator[dict[str, Any]]:
        try:
            with path.open("rb") as f:
                for line in f:
                    if not line.endswith(b"\n"):
                        continue  # torn by a crash; the record is still in the hot state
                    try:
                        yield json.loads(line)
                    except ValueError:
                        log.warning("event=archive_line_damaged file=%s", path)
        except FileNotFoundError:
            return

    def _append(self, name: str, docs: list[dict[str, Any]]) -> list[int]:
        """Append one JSON line per doc, fsync; returns each line's byte offset."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.root / name
        offsets = []
        with path.open("ab") as f:
            end = f.seek(0, os.SEEK_END)
            if end:
                with path.open("rb") as r:
                    r.seek(end - 1)
                    if r.read(1) != b"\n":  # a torn line from a crash: never glue onto it
                        f.write(b"\n")
                        end += 1
            chunks = []
            for doc in docs:
                line = (_dumps(doc) + "\n").encode("utf-8")
                offsets.append(end)
                end += len(line)
                chunks.append(line)
            f.write(b"".join(chunks))
            f.flush()
            os.fsync(f.fileno())
        return offsets

    def add(self, kind: str, docs: list[dict[str, Any]], stamp: Callable[[dict], str]) -> None:
        """Archive docs of one kind (drafts, events, seen, outbox), filed by month of `stamp`."""
        by_month: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            by_month.setdefault(stamp(doc)[:7] or "0000-00", []).append(doc)
        for month, group in sorted(by_month.items()):
            name = f"{kind}-{month}.jsonl"
            offsets = self._append(name, group)
            if kind == "drafts":
                index = [
                    {"id": d["id"], "state": d["state"], "file": name, "offset": o}
                    for d, o in zip(group, offsets, strict=True)
                ]
                self._append("drafts-index.jsonl", index)
                for entry in index:
                    self.draft_index[entry["id"]] = (name, entry["offset"])
            elif kind == "seen":
                self.seen.update(d["key"] for d in group)
        if self.root.exists():
            fsync_dir(self.root)

    def get_draft_doc(self, draft_id: str) -> dict[str, Any] | None:
        where = self.draft_index.get(draft_id)
        if where is None:
            return None
        with (self.root / where[0]).open("rb") as f:
            f.seek(where[1])
            return json.loads(f.readline())

    def docs(self, kind: str) -> Iterator[dict[str, Any]]:
        for path in sorted(self.root.glob(f"{kind}-????-??.jsonl")):
            yield from self._lines(path)


# --------------------------------------------------------------------------- the store


class Store:
    """All state behind small functions. Callers group changes in `transaction()`, which is
    one fsynced journal append when the block ends (nothing at all if nothing changed)."""

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
        self._storage = _MemoryStorage()
        self._db = _DB(storage=lambda: self._storage)
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
            self._fds.lock = _exclusive_lock(self.path)
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
        self._hot_seen = {d["key"] for d in data["seen"].values() if "key" in d}
        self._hot_mail = {d["message_id"] for d in data["outbox"].values() if "message_id" in d}

    # -- writing --------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
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
        line = _encode_record({"seq": self._seq + 1, "ops": ops})
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
            payload = _dumps({**self._storage.data, "journal": {"1": {"seq": self._seq}}})
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

    # -- archiving --------------------------------------------------------------------

    def archive(self, now: datetime, older_than: timedelta, keep_approved: timedelta) -> int:
        """Move closed drafts and old events, seen keys and sent mail to the archive.

        Drafts in review, and mail still to send, never move. Approved drafts stay at least
        `keep_approved` (the checker compares new drafts with recently approved ones).
        Returns how many records moved.
        """
        cutoff = (now - older_than).isoformat()
        approved_cutoff = (now - max(older_than, keep_approved)).isoformat()
        with self._lock:
            if self.readonly:
                return 0
            data = self._storage.data

            def old(doc: dict, field: str, limit: str = cutoff) -> bool:
                value = doc.get(field)
                return bool(value) and _utc(value) < _utc(limit)

            moves = {
                "drafts": [
                    k
                    for k, d in data["drafts"].items()
                    if d.get("state") in CLOSED_STATES
                    and old(
                        d, "updated_at", approved_cutoff if d["state"] == "approved" else cutoff
                    )
                ],
                "events": [k for k, d in data["events"].items() if old(d, "at")],
                "seen": [k for k, d in data["seen"].items() if old(d, "at")],
                "outbox": [
                    k
                    for k, d in data["outbox"].items()
                    if d.get("status") in ("sent", "failed")
                    and old(d, "sent_at" if d.get("status") == "sent" else "failed_at")
                ],
            }
            stamps = {"drafts": "updated_at", "events": "at", "seen": "at", "outbox": "created"}
            moved = 0
            for kind, keys in moves.items():
                if not keys:
                    continue
                docs = [data[kind][k] for k in keys]
                self.archive_store.add(kind, docs, lambda d, f=stamps[kind]: str(d.get(f, "")))
                moved += len(keys)
            if not moved:
                return 0
            with self.transaction():
                for kind, keys in moves.items():
                    table = getattr(self, kind)
                    if keys:
                        table.remove(doc_ids=[int(k) for k in keys])
            self._hot_seen = {d["key"] for d in data["seen"].values() if "key" in d}
            self._hot_mail = {d["message_id"] for d in data["outbox"].values()}
            log.info(
                "event=archived drafts=%d events=%d seen=%d mail=%d",
                *(len(moves[k]) for k in ("drafts", "events", "seen", "outbox")),
            )
            return moved

    # -- drafts ---------------------------------------------------------------------

    def next_draft_id(self) -> str:
        """Reserve the next draft id (inside a transaction, so it is not reused)."""
        doc = self.meta.get(doc_id=1)
        number = int(doc["next_draft"]) if doc else 1
        self.meta.upsert(Document({"created": True, "next_draft": number + 1}, doc_id=1))
        return f"D-{number:06d}"

    def put_draft(self, draft: Draft) -> None:
        self.drafts.upsert(Document(draft_to_doc(draft), doc_id=draft_number(draft.id)))

    def _hot_drafts(self, keep: Callable[[dict[str, Any]], bool]) -> list[Draft]:
        """Hot drafts whose document passes `keep`, decoded once per document version
        (a burst of 1,000 drafts from one author otherwise decodes them all per draft)."""
        decoded = self._storage.decoded
        out = []
        for key, doc in sorted(self._storage.data["drafts"].items(), key=lambda kv: int(kv[0])):
            if keep(doc):
                draft = decoded.get(key)
                if draft is None:
                    draft = decoded[key] = draft_from_doc(doc)
                out.append(draft)
        return out

    def get_draft(self, draft_id: str) -> Draft | None:
        """A draft in the hot state or, for late replies to a closed one, in the archive."""
        if not str(draft_id).upper().startswith("D-"):  # A-…: an absence, never a draft
            return None
        try:
            key = str(draft_number(draft_id))
        except (ValueError, IndexError):
            return None
        doc = self._storage.data["drafts"].get(key)
        if doc is not None:
            draft = self._storage.decoded.get(key)
            if draft is None:
                draft = self._storage.decoded[key] = draft_from_doc(doc)
            return draft
        doc = self.archive_store.get_draft_doc(draft_id)
        return draft_from_doc(doc) if doc else None

    def drafts_by_author(self, author: str) -> list[Draft]:
        """Hot drafts only: archived ones are closed and too old to be revised."""
        return self._hot_drafts(lambda d: d.get("author") == author)

    def drafts_in_state(self, *states: str) -> list[Draft]:
        """Hot drafts only (every draft in review is hot)."""
        return self._hot_drafts(lambda d: d.get("state") in states)

    def all_drafts(self) -> list[Draft]:
        """Every draft, archived ones included (newest record of each id)."""
        found: dict[str, dict[str, Any]] = {}
        for doc in self.archive_store.docs("drafts"):
            found[doc["id"]] = doc
        for doc in self.drafts.all():
            found[doc["id"]] = doc
        return [draft_from_doc(d) for _, d in sorted(found.items())]

    # -- absences (代決) --------------------------------------------------------------

    def next_absence_id(self) -> str:
        meta = self.meta.get(doc_id=1) or {}
        number = int(meta.get("next_absence", 1))
        self.meta.upsert(Document({**meta, "next_absence": number + 1}, doc_id=1))
        return f"A-{number:06d}"

    def put_absence(self, absence: Absence) -> None:
        doc = {
            "id": absence.id,
            "reviewer": absence.reviewer,
            "deputy": absence.deputy,
            "start": absence.start.isoformat(),
            "end": absence.end.isoformat(),
            "state": absence.state,
            "set_by": absence.set_by,
            "created_at": absence.created_at.isoformat(),
            "reported_at": absence.reported_at.isoformat() if absence.reported_at else None,
        }
        self.absences_table.upsert(Document(doc, doc_id=draft_number(absence.id)))

    def absences(self) -> list[Absence]:
        from datetime import date

        out = []
        for doc in sorted(self.absences_table.all(), key=lambda d: d["id"]):
            out.append(
                Absence(
                    id=doc["id"],
                    reviewer=doc["reviewer"],
                    deputy=doc["deputy"],
                    start=date.fromisoformat(doc["start"]),
                    end=date.fromisoformat(doc["end"]),
                    state=doc["state"],
                    set_by=doc["set_by"],
                    created_at=datetime.fromisoformat(doc["created_at"]),
                    reported_at=_dt(doc.get("reported_at")),
                )
            )
        return out

    def get_absence(self, absence_id: str) -> Absence | None:
        return next((a for a in self.absences() if a.id == absence_id), None)

    # -- audit ----------------------------------------------------------------------

    def add_event(self, event: AuditEvent) -> None:
        meta = self.meta.get(doc_id=1) or {}
        seq = int(meta.get("next_event", 1))
        self.meta.upsert(Document({**meta, "next_event": seq + 1}, doc_id=1))
        self.events.insert(
            {
                "action": event.action,
                "draft_id": event.draft_id,
                "actor": event.actor,
                "at": event.at.isoformat(),
                "detail": event.detail,
                "seq": seq,
            }
        )

    def all_events(self) -> list[dict[str, Any]]:
        """The whole audit log, archived events first, each once."""
        seen: set[Any] = set()
        out: list[dict[str, Any]] = []
        for doc in [*self.archive_store.docs("events"), *self.events.all()]:
            key = doc.get("seq") or _dumps(dict(doc))
            if key in seen:
                continue
            seen.add(key)
            out.append(dict(doc))
        return out

    # -- seen messages --------------------------------------------------------------

    def is_seen(self, message_key: str) -> bool:
        return message_key in self._hot_seen or message_key in self.archive_store.seen

    def mark_seen(self, message_key: str, at: datetime, outcome: str) -> None:
        self.seen.insert({"key": message_key, "at": at.isoformat(), "outcome": outcome})
        self._hot_seen.add(message_key)

    # -- outbox ---------------------------------------------------------------------

    def queue_mail(self, entry: dict[str, Any]) -> None:
        """Queue once per Message-ID: re-queuing the same mail is a no-op."""
        if entry["message_id"] not in self._hot_mail:
            self.outbox.insert({**entry, "status": "pending", "attempts": 0})
            self._hot_mail.add(entry["message_id"])

    def pending_mail(self, now: datetime) -> list[dict[str, Any]]:
        """Mail to send now, oldest first. A mail waiting for a retry holds back the later
        mails of its draft, so a draft's mails always arrive in the order they were queued."""
        held: set[Any] = set()
        due = []
        for key, doc in sorted(self._storage.data["outbox"].items(), key=lambda kv: int(kv[0])):
            if doc.get("status") != "pending":
                continue
            draft = doc.get("draft_id")
            if draft is not None and draft in held:
                continue
            waiting = doc.get("next_attempt") and datetime.fromisoformat(doc["next_attempt"]) > now
            if waiting:
                held.add(draft)
                continue
            due.append({**doc, "_id": int(key)})
        return due

    def has_pending_mail(self) -> bool:
        return any(d.get("status") == "pending" for d in self._storage.data["outbox"].values())

    def outbox_entries(self) -> list[dict[str, Any]]:
        """Every mail in the hot outbox (sent, pending or failed), as stored."""
        return [dict(doc) for doc in self._storage.data["outbox"].values()]

    def mark_sent(self, entry_id: int, at: datetime) -> None:
        self.outbox.update({"status": "sent", "sent_at": at.isoformat()}, doc_ids=[entry_id])

    def mark_retry(self, entry_id: int, error: str, next_attempt: datetime, attempts: int) -> None:
        self.outbox.update(
            {"attempts": attempts, "last_error": error, "next_attempt": next_attempt.isoformat()},
            doc_ids=[entry_id],
        )

    def mark_failed(self, entry_id: int, error: str, at: datetime) -> None:
        self.outbox.update(
            {"status": "failed", "last_error": error, "failed_at": at.isoformat()},
            doc_ids=[entry_id],
        )


def _utc(value: str) -> datetime:
    """Comparable instants from ISO strings with or without an offset (naive = UTC)."""
    from datetime import UTC

    dt = datetime.fromisoformat(value)
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- restore


def restore_last_good(path: str | os.PathLike[str], now: datetime) -> tuple[Path, Store]:
    """Put the last good copy back in place of a damaged state file (which is kept aside).

    The last good copy plus the journals replay every committed transaction, so nothing
    is lost when only state.json was damaged. Returns where the damaged file went, and the
    store opened from the restored copy (StateError if that fails too).
    """
    path = Path(path)
    bak = path.with_name(path.name + ".bak")
    if not bak.exists():
        raise StateError(
            f"no last good copy {bak} to restore from",
            f"復元に使える正常な写し {bak} がありません。",
        )
    stamp = now.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    lock = _exclusive_lock(path)
    try:
        if path.exists():
            shutil.copy2(path, aside)
        write_atomically(path, bak.read_bytes())
    finally:
        os.close(lock)
    return aside, Store(path, exclusive=True)


def cut_damaged_journal(path: str | os.PathLike[str], now: datetime) -> tuple[Path, int] | None:
    """Keep a copy of a damaged journal and cut it before its first damaged line.

    Returns (copy, number of lines dropped), or None when the journal is intact. The
    transactions on the dropped lines are lost: mail handled then is in the Processed folder.
    """
    path = Path(path)
    journal = path.with_name(path.name + ".journal")
    _, good, damaged = read_journal(journal)
    if damaged is None:
        return None
    lock = _exclusive_lock(path)
    try:
        aside = journal.with_name(f"{journal.name}.damaged-{now.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(journal, aside)
        dropped = journal.read_bytes()[good:].count(b"\n")
        os.truncate(journal, good)
    finally:
        os.close(lock)
    return aside, dropped


def _exclusive_lock(path: Path) -> int:
    """The writer's lock; StateError while a daemon holds it."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateError(
            f"state {path} is in use by a running gateway: stop it first",
            f"状態ファイル {path} は稼働中のゲートウェイが使用中です。先に停止してください。",
        ) from None
    return fd
