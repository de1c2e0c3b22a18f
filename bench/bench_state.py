"""State growth: the cost of one state write with 100, 10,000 and 50,000 drafts in history.

History is approved drafts spread over the past two years, each with its audit events,
seen keys and sent mail; 20 drafts are in review. "One write" is what handling a draft
stores: the draft, two events, a seen key and three queued mails, in one transaction.
Printed: the write's median and p95 with the archive in use (closed drafts older than
30 days moved out of the hot state) and without it, the hot state's size, the time to
open the store, and the full rewrite (a snapshot, written once the journal reaches 8 MB;
TinyDB's own storage paid it on every write).

    python bench/bench_state.py [--sizes 100,10000,50000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.draftdocs import draft_to_doc
from gateway.store import Store
from gateway.workflow import APPROVED, AuditEvent, NewDraft, Policy, on_new_draft

JST = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=JST)
POLICY = Policy({"辰野町公式X": ("kacho@town.example.jp", "kakaricho@town.example.jp")})
TEXT = "町民運動会を町営グラウンドで開きます。どなたでも参加できます。詳しくは町のホームページをご覧ください。"


def draft(n: int, at: datetime, state: str | None = None):
    event = NewDraft(
        f"staff{n % 40}@town.example.jp",
        "職員",
        f"お知らせ {n}",
        f"<draft{n}@town.example.jp>",
        (),
        f"{TEXT}（{n}）",
        "辰野町公式X",
        None,
        (),
        (),
        at,
    )
    d = on_new_draft(event, None, f"D-{n:06d}", POLICY).draft
    return replace(d, state=state, updated_at=at + timedelta(hours=3)) if state else d


def handle(store: Store, n: int, at: datetime) -> None:
    """What handling one draft writes (one transaction)."""
    with store.transaction():
        store.put_draft(draft(n, at))
        store.add_event(AuditEvent("draft_received", f"D-{n:06d}", "staff", at, {"version": 1}))
        store.add_event(AuditEvent("mail_queued", f"D-{n:06d}", "gateway", at, {"n": 3}))
        store.mark_seen(f"<draft{n}@town.example.jp>", at, "draft")
        for kind in ("received", "review-request-1", "review-request-2"):
            store.queue_mail(mail_doc(n, kind, at))


def mail_doc(n: int, kind: str, at: datetime) -> dict:
    return {
        "message_id": f"<D-{n:06d}.v1.{kind}@town.example.jp>",
        "draft_id": f"D-{n:06d}",
        "mail_status": kind,
        "path": "x.eml",
        "recipients": ["kacho@town.example.jp"],
        "created": at.isoformat(),
    }


def build(path: Path, history: int) -> Store:
    """History goes straight into a snapshot (building it write by write would take hours
    without the archive); then 20 drafts in review arrive through the store as usual."""
    store = Store(path, exclusive=True)
    data = store._storage.data
    step = timedelta(days=730) / max(history, 1)
    event = mail = seen = 0
    for n in range(1, history + 1):
        at = NOW - timedelta(days=730) + step * n
        data["drafts"][str(n)] = draft_to_doc(draft(n, at, APPROVED))
        for action in ("draft_received", "mail_queued", "decision_counted", "draft_approved"):
            event += 1
            data["events"][str(event)] = {
                "action": action,
                "draft_id": f"D-{n:06d}",
                "actor": "staff",
                "at": at.isoformat(),
                "detail": {"version": 1},
                "seq": event,
            }
        for key in (f"<draft{n}@x>", f"<reply{n}a@x>", f"<reply{n}b@x>"):
            seen += 1
            data["seen"][str(seen)] = {"key": key, "at": at.isoformat(), "outcome": "draft"}
        for kind in ("received", "review-request-1", "review-request-2", "approved"):
            mail += 1
            sent = {"status": "sent", "attempts": 0, "sent_at": at.isoformat()}
            data["outbox"][str(mail)] = {**mail_doc(n, kind, at), **sent}
    data["meta"]["1"] = {"created": True, "next_draft": history + 1, "next_event": event + 1}
    store._snapshot_seq = -1
    store.snapshot()
    store.close()
    store = Store(path, exclusive=True)
    for n in range(history + 1, history + 21):
        handle(store, n, NOW - timedelta(hours=n - history))
    return store


def timed_writes(store: Store, first: int, count: int = 60) -> list[float]:
    times = []
    for n in range(first, first + count):
        start = time.perf_counter()
        handle(store, n, NOW)
        times.append(time.perf_counter() - start)
    return times


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(values) * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms"


def measure(history: int, archive: bool) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state.json"
        store = build(path, history)
        if archive:
            store.archive(NOW, timedelta(days=30), timedelta(days=31))
        store.snapshot()
        before = store.journal_path.stat().st_size
        writes = timed_writes(store, history + 100)
        per_write = (store.journal_path.stat().st_size - before) / len(writes)
        start = time.perf_counter()
        store._snapshot_seq = -1  # force a full rewrite
        store.snapshot()
        rewrite = time.perf_counter() - start
        store.close()
        hot = path.stat().st_size
        start = time.perf_counter()
        again = Store(path)
        opened = time.perf_counter() - start
        assert again.get_draft("D-000001") is not None
        return {
            "write": ms(writes),
            "hot": f"{hot / 1024:8.0f} kB",
            "open": f"{opened * 1000:7.0f} ms",
            "rewrite": f"{rewrite * 1000:7.1f} ms",
            "every": f"{store.snapshot_bytes / per_write:5.0f}",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,10000,50000")
    args = parser.parse_args()
    print("one state write (a draft handled) with N drafts in history")
    for size in (int(s) for s in args.sizes.split(",")):
        for archive in (True, False):
            r = measure(size, archive)
            label = "archived" if archive else "all hot "
            print(
                f"N={size:6d} {label}  write {r['write']}  hot state {r['hot']}  "
                f"open {r['open']}  snapshot {r['rewrite']} (every ~{r['every']} writes)",
                flush=True,
            )


if __name__ == "__main__":
    main()
