"""The store's journal, snapshots, last good copy, archive and single-writer lock."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.statefiles import StateError, cut_damaged_journal
from gateway.store import Store, restore_last_good
from gateway.workflow import APPROVED, AuditEvent, NewDraft, Policy, on_new_draft

JST = ZoneInfo("Asia/Tokyo")
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=JST)


def _draft(n: int, at: datetime = T0, state: str | None = None):
    event = NewDraft(
        "sato@town.example.jp", "佐藤", f"件名{n}", f"<m{n}@x>", (), "本文", None, None, (), (), at
    )
    draft = on_new_draft(event, None, f"D-{n:06d}", Policy({"X": ("a@x.jp", "b@x.jp")})).draft
    return replace(draft, state=state) if state else draft


def _add(store: Store, n: int, **kw) -> None:
    with store.transaction():
        store.put_draft(_draft(n, **kw))
        store.add_event(AuditEvent("draft_received", f"D-{n:06d}", "sato", kw.get("at", T0), {}))
        store.mark_seen(f"<m{n}@x>", kw.get("at", T0), "draft")


def test_a_write_appends_one_journal_line_and_survives_reopening(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    before = store.journal_path.stat().st_size
    _add(store, 1)
    lines = store.journal_path.read_bytes()[before:].splitlines()
    assert len(lines) == 1 and b"D-000001" in lines[0]
    with store.transaction():
        pass  # nothing changed: nothing written
    assert len(store.journal_path.read_bytes()[before:].splitlines()) == 1
    store._fds.close()  # as if killed: no snapshot at close
    again = Store(path)
    assert again.get_draft("D-000001") == _draft(1)
    assert again.is_seen("<m1@x>")


def test_a_torn_last_line_is_dropped_but_damage_before_it_refuses(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    for n in (1, 2, 3):
        _add(store, n)
    store._fds.close()  # killed: no snapshot
    journal = store.journal_path
    good = journal.read_bytes()
    journal.write_bytes(good + b'0badc0de {"seq": 99, "ops": [')  # a crash mid-append
    again = Store(path)
    assert again.get_draft("D-000003") is not None
    assert journal.read_bytes() == good  # cut back to the last whole record
    again._fds.close()
    # Damage before the last line is not a crash: refuse, keep the file, say how to go on.
    lines = good.splitlines(keepends=True)
    damaged = b"".join([lines[0], lines[1].replace(b"D-000002", b"D-000007"), *lines[2:]])
    journal.write_bytes(damaged)
    with pytest.raises(StateError) as info:
        Store(path)
    assert "壊れています" in info.value.bilingual() and "damaged" in str(info.value)
    assert journal.read_bytes() == damaged
    aside, dropped = cut_damaged_journal(path, T0)
    assert aside.read_bytes() == damaged and dropped == len(lines) - 1
    survivor = Store(path)
    assert survivor.get_draft("D-000001") is not None and survivor.get_draft("D-000002") is None


def test_snapshots_rotate_a_last_good_copy_that_restores_everything(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path, snapshot_bytes=2000)  # a snapshot every few transactions
    for n in range(1, 30):
        _add(store, n)
    store._fds.close()
    assert store.bak_path.exists() and store.prev_journal_path.exists()
    path.write_bytes(path.read_bytes()[:100])  # state.json damaged
    with pytest.raises(StateError) as info:
        Store(path)
    assert "gateway restore" in info.value.bilingual()
    aside, restored = restore_last_good(path, T0)
    assert aside.exists()
    assert [d.id for d in restored.all_drafts()] == [f"D-{n:06d}" for n in range(1, 30)]
    assert len(restored.all_events()) == 29


def test_one_writer_others_read_only(tmp_path):
    path = tmp_path / "state.json"
    writer = Store(path, exclusive=True)
    _add(writer, 1)
    with pytest.raises(StateError):
        Store(path, exclusive=True)
    reader = Store(path)
    assert reader.readonly and reader.get_draft("D-000001") is not None
    with pytest.raises(StateError), reader.transaction():
        reader.put_draft(_draft(2))
    writer.close()
    assert not Store(path).readonly


def test_archive_moves_closed_drafts_and_keeps_them_readable(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    old = T0 - timedelta(days=90)
    _add(store, 1, at=old, state=APPROVED)
    _add(store, 2, at=old)  # still in review: never archived
    _add(store, 3, at=T0, state=APPROVED)  # closed but recent
    with store.transaction():
        store.queue_mail(
            {
                "message_id": "<q@x>",
                "path": "p",
                "recipients": ["r@x"],
                "draft_id": "D-000001",
                "created": old.isoformat(),
            }
        )
    moved = store.archive(T0, timedelta(days=30), timedelta(days=30))
    assert moved == 1 + 2 + 2  # draft 1; events and seen keys of drafts 1 and 2 (not the mail)
    assert store.drafts.get(doc_id=1) is None
    assert store.get_draft("D-000001").state == APPROVED
    assert store.is_seen("<m1@x>")
    assert store.pending_mail(T0)[0]["message_id"] == "<q@x>"
    assert [d.id for d in store.all_drafts()] == ["D-000001", "D-000002", "D-000003"]
    assert len(store.all_events()) == 3
    store.close()
    again = Store(path)
    assert again.get_draft("D-000001").state == APPROVED and again.is_seen("<m1@x>")
    assert again.archive(T0, timedelta(days=30), timedelta(days=30)) == 0


def test_archiving_twice_after_a_crash_does_not_duplicate(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    old = T0 - timedelta(days=90)
    _add(store, 1, at=old, state=APPROVED)
    docs = [dict(d) for d in store.events.all()]
    store.archive_store.add("events", docs, lambda d: d["at"])  # crash before the removal
    store.archive(T0, timedelta(days=30), timedelta(days=30))
    assert len(store.all_events()) == 1


def test_a_later_mail_of_the_same_draft_waits_for_an_earlier_retry(tmp_path):
    store = Store(tmp_path / "state.json")
    with store.transaction():
        for mid, draft in (("<a@x>", "D-1"), ("<b@x>", "D-1"), ("<c@x>", "D-2")):
            store.queue_mail(
                {"message_id": mid, "path": "p", "recipients": ["r@x"], "draft_id": draft}
            )
        first = store.pending_mail(T0)[0]
        store.mark_retry(first["_id"], "450 try later", T0 + timedelta(minutes=1), 1)
    assert [d["message_id"] for d in store.pending_mail(T0)] == ["<c@x>"]
    assert [d["message_id"] for d in store.pending_mail(T0 + timedelta(minutes=2))] == [
        "<a@x>",
        "<b@x>",
        "<c@x>",
    ]
