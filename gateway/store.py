"""State in TinyDB: drafts, the audit log, the outbox, absences and the messages already
handled, behind small functions; and what moves to the archive when.

The files, the journal and transactions are gateway.statedb's; drafts as documents are
gateway.draftdocs'. Reads (`get_draft`, `is_seen`, `all_events`, `all_drafts`) see the
archive as well as the hot state.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from gateway.draftdocs import draft_from_doc, draft_number, draft_to_doc, optional_datetime
from gateway.durable import write_atomically
from gateway.memtables import Document
from gateway.records import Absence
from gateway.statedb import StateDB
from gateway.statefiles import StateError, compact_json, exclusive_lock
from gateway.workflow import AuditEvent, Draft

log = logging.getLogger(__name__)

CLOSED_STATES = ("approved", "returned", "rejected", "expired", "withdrawn")


class Store(StateDB):
    """All state behind small functions. Callers group changes in `transaction()`, which is
    one fsynced journal append when the block ends (nothing at all if nothing changed)."""

    def _index(self, data: dict[str, dict[str, Any]]) -> None:
        self._hot_seen = {d["key"] for d in data["seen"].values() if "key" in d}
        self._hot_mail = {d["message_id"] for d in data["outbox"].values() if "message_id" in d}

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
                    reported_at=optional_datetime(doc.get("reported_at")),
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
            key = doc.get("seq") or compact_json(dict(doc))
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
    lock = exclusive_lock(path)
    try:
        if path.exists():
            shutil.copy2(path, aside)
        write_atomically(path, bak.read_bytes())
    finally:
        os.close(lock)
    return aside, Store(path, exclusive=True)
