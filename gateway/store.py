"""State in TinyDB: drafts, the audit log, the outbox and the messages already handled.

TinyDB's JSON storage rewrites its file in place, so a crash mid-write can destroy it.
Here every change goes through a cache and is written once per transaction, to a temp
file that is fsynced and renamed over the old one: the file on disk is always either
the state before or the state after a transaction, never half of each.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import Storage

from gateway.model import Decision, Finding, Severity
from gateway.workflow import AttachmentRef, AuditEvent, Draft, Version, Vote


class StateError(Exception):
    """The state file cannot be used; the daemon must not start or must stop taking mail."""


class AtomicJSONStorage(Storage):
    """JSON storage that replaces the file atomically (temp file, fsync, rename), mode 0600."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise StateError(
                f"state file {self.path} is corrupt ({exc}); it was left untouched"
            ) from None

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        fd, tmp = tempfile.mkstemp(prefix=".state-", dir=self.path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def close(self) -> None:
        pass


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
    )


def draft_number(draft_id: str) -> int:
    return int(draft_id.split("-", 1)[1])


# --------------------------------------------------------------------------- the store


class Store:
    """All state behind small functions. Callers group changes in `transaction()`,
    which is written to disk once, atomically, when the block ends."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._db = TinyDB(str(self.path), storage=CachingMiddleware(AtomicJSONStorage))
        self._db.storage.WRITE_CACHE_SIZE = 1 << 60  # never flush on its own
        try:
            self._db.tables()  # reads the file now, so corruption is found at start-up
        except StateError:
            raise
        self.drafts = self._db.table("drafts", cache_size=0)
        self.events = self._db.table("events", cache_size=0)
        self.outbox = self._db.table("outbox", cache_size=0)
        self.seen = self._db.table("seen", cache_size=0)
        self.meta = self._db.table("meta", cache_size=0)
        if not self.path.exists():
            with self.transaction():
                self.meta.insert({"created": True, "next_draft": 1})

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            try:
                yield self
            except BaseException:
                # Drop the uncommitted changes: reload what is on disk.
                self._db.storage.cache = None
                self._db.storage._cache_modified_count = 0
                self._db.clear_cache()
                raise
            self._db.storage.flush()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # drafts ---------------------------------------------------------------

    def next_draft_id(self) -> str:
        """Reserve the next draft id (inside a transaction, so it is not reused)."""
        doc = self.meta.get(doc_id=1)
        number = int(doc["next_draft"]) if doc else 1
        self.meta.upsert({"next_draft": number + 1}, Query().created == True)  # noqa: E712
        return f"D-{number:06d}"

    def put_draft(self, draft: Draft) -> None:
        from tinydb.table import Document

        self.drafts.upsert(Document(draft_to_doc(draft), doc_id=draft_number(draft.id)))

    def get_draft(self, draft_id: str) -> Draft | None:
        try:
            doc = self.drafts.get(doc_id=draft_number(draft_id))
        except (ValueError, IndexError):
            return None
        return draft_from_doc(doc) if doc else None

    def drafts_by_author(self, author: str) -> list[Draft]:
        return [draft_from_doc(d) for d in self.drafts.search(Query().author == author)]

    def drafts_in_state(self, *states: str) -> list[Draft]:
        return [draft_from_doc(d) for d in self.drafts.search(Query().state.one_of(list(states)))]

    def all_drafts(self) -> list[Draft]:
        return [draft_from_doc(d) for d in self.drafts.all()]

    # audit ----------------------------------------------------------------

    def add_event(self, event: AuditEvent) -> None:
        self.events.insert(
            {
                "action": event.action,
                "draft_id": event.draft_id,
                "actor": event.actor,
                "at": event.at.isoformat(),
                "detail": event.detail,
            }
        )

    def all_events(self) -> list[dict[str, Any]]:
        return list(self.events.all())

    # seen messages --------------------------------------------------------

    def is_seen(self, message_key: str) -> bool:
        return self.seen.contains(Query().key == message_key)

    def mark_seen(self, message_key: str, at: datetime, outcome: str) -> None:
        self.seen.insert({"key": message_key, "at": at.isoformat(), "outcome": outcome})

    # outbox ---------------------------------------------------------------

    def queue_mail(self, entry: dict[str, Any]) -> None:
        """Queue once per Message-ID: re-queuing the same mail is a no-op."""
        if not self.outbox.contains(Query().message_id == entry["message_id"]):
            self.outbox.insert({**entry, "status": "pending", "attempts": 0})

    def pending_mail(self, now: datetime) -> list[dict[str, Any]]:
        due = [
            {**doc, "_id": doc.doc_id}
            for doc in self.outbox.search(Query().status == "pending")
            if not doc.get("next_attempt") or datetime.fromisoformat(doc["next_attempt"]) <= now
        ]
        return sorted(due, key=lambda d: d["_id"])

    def has_pending_mail(self) -> bool:
        return self.outbox.contains(Query().status == "pending")

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
