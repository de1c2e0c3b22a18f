"""Per-sender budgets that defer mail instead of dropping it, and whose window survives a restart.

Why budgets are keyed by how far the sender is proven: the From header is free text, so
a flood of forged mail under a reviewer's address must not use up the budget that the
reviewer's real answer needs. Mail that carries a reply token made for its From (a MAC
only the gateway can compute), or that the receiving server authenticated for its From
domain, is charged to the address itself; everything else under that address is charged
to a separate "unverified" budget. Neither budget ever drops mail: over the limit, the
raw message is held and handled in arrival order when the window allows (`Hold`).

The windows live in the state's `meta` table (a few timestamps per active sender), so a
restart neither forgets a flood nor resets the count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from gateway.render import templated_notice

if TYPE_CHECKING:
    from gateway.model import Incoming
    from gateway.settings import Settings

WINDOW = timedelta(hours=1)
DEFERRED_STATUS = "deferred"
_WEEKDAYS = "月火水木金土日"
UNVERIFIED_PREFIX = "unverified:"

_WINDOWS_KEY = "rate_windows"
_TOLD_KEY = "rate_told"
_CLARIFY_KEY = "clarify_told"
_ON_BEHALF_KEY = "on_behalf_told"
_HELD_KEY = "held_message"


def budget_key(sender: str, proven: bool) -> str:
    """The budget a message is charged to: the address, or its unverified twin."""
    sender = sender or "-"
    return sender if proven else UNVERIFIED_PREFIX + sender


def sender_of(bucket: str) -> str:
    return bucket.removeprefix(UNVERIFIED_PREFIX)


def trim(window: Iterable[datetime], now: datetime) -> list[datetime]:
    """The arrivals still inside the sliding hour."""
    return [t for t in window if now - t < WINDOW]


def allows(window: Iterable[datetime], now: datetime, per_hour: int) -> bool:
    return len(trim(window, now)) < per_hour


def next_free(window: Iterable[datetime], now: datetime, per_hour: int) -> datetime:
    """When the next message of this budget may be handled."""
    live = sorted(trim(window, now))
    if len(live) < per_hour:
        return now
    return live[len(live) - per_hour] + WINDOW


@dataclass
class Budgets:
    """The sliding windows, read from and written back to the state's meta table."""

    store: Any  # gateway.store.Store (kept loose: this module stays import-light)
    per_hour: int

    def _doc(self, key: str) -> Mapping[str, Any]:
        docs = self.store.meta.search(lambda d: d.get("key") == key)
        return docs[0] if docs else {}

    def _put(self, key: str, value: dict[str, Any]) -> None:
        docs = self.store.meta.search(lambda d: d.get("key") == key)
        if docs:
            self.store.meta.update({"value": value}, doc_ids=[docs[0].doc_id])
        else:
            self.store.meta.insert({"key": key, "value": value})

    def _windows(self) -> dict[str, list[str]]:
        return dict(self._doc(_WINDOWS_KEY).get("value") or {})

    def window(self, bucket: str) -> list[datetime]:
        return [datetime.fromisoformat(t) for t in self._windows().get(bucket, ())]

    def allows(self, bucket: str, now: datetime) -> bool:
        return allows(self.window(bucket), now, self.per_hour)

    def next_free(self, bucket: str, now: datetime) -> datetime:
        return next_free(self.window(bucket), now, self.per_hour)

    def charge(self, bucket: str, now: datetime) -> None:
        """Count one handled message (inside the caller's store transaction)."""
        windows = self._windows()
        live = {
            b: [t.isoformat() for t in trim(map(datetime.fromisoformat, ts), now)]
            for b, ts in windows.items()
        }
        live = {b: ts for b, ts in live.items() if ts}
        live.setdefault(bucket, []).append(now.isoformat())
        self._put(_WINDOWS_KEY, live)

    # -- "told once per window" -------------------------------------------------------

    def _told_recently(self, key: str, address: str, now: datetime) -> bool:
        at = (self._doc(key).get("value") or {}).get(address)
        return at is not None and now - datetime.fromisoformat(at) < WINDOW

    def _remember_told(self, key: str, address: str, now: datetime) -> None:
        told = {
            a: t
            for a, t in (self._doc(key).get("value") or {}).items()
            if now - datetime.fromisoformat(t) < WINDOW
        }
        told[address] = now.isoformat()
        self._put(key, told)

    def should_tell_deferred(self, address: str, now: datetime) -> bool:
        """True once per window per address; remembers that it said so."""
        if self._told_recently(_TOLD_KEY, address, now):
            return False
        self._remember_told(_TOLD_KEY, address, now)
        return True

    def may_clarify(self, address: str, now: datetime) -> bool:
        """At most one `clarify` per hour per address for replies that cannot count."""
        if self._told_recently(_CLARIFY_KEY, address, now):
            return False
        self._remember_told(_CLARIFY_KEY, address, now)
        return True

    def may_tell_on_behalf(self, address: str, now: datetime) -> bool:
        """At most one "sent on behalf, not accepted" notice per hour per address (its own
        window, so it never silences a `clarify` a real reply needs, nor the other way)."""
        if self._told_recently(_ON_BEHALF_KEY, address, now):
            return False
        self._remember_told(_ON_BEHALF_KEY, address, now)
        return True


@dataclass(frozen=True)
class HeldMessage:
    key: str  # the message key (Message-ID or sha256 of the raw bytes)
    bucket: str
    sender: str
    path: str  # spool file name (under held/)
    at: str  # ISO time it was held
    doc_id: int = 0


class Hold:
    """Messages over a budget, kept durably (raw bytes in the spool, an entry in the state)
    and handed back oldest first."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def add(self, message: HeldMessage) -> None:
        self.store.meta.insert(
            {
                "key": _HELD_KEY,
                "message_key": message.key,
                "bucket": message.bucket,
                "sender": message.sender,
                "path": message.path,
                "at": message.at,
            }
        )

    def entries(self) -> list[HeldMessage]:
        docs = self.store.meta.search(lambda d: d.get("key") == _HELD_KEY)
        return sorted(
            (
                HeldMessage(
                    d["message_key"], d["bucket"], d["sender"], d["path"], d["at"], d.doc_id
                )
                for d in docs
            ),
            key=lambda h: (h.at, h.doc_id),
        )

    def remove(self, message: HeldMessage) -> None:
        self.store.meta.remove(doc_ids=[message.doc_id])

    def paths(self) -> set[str]:
        return {h.path for h in self.entries()}


def deferred_notice(
    inc: Incoming, release: datetime, per_hour: int, settings: Settings, now: datetime
) -> EmailMessage:
    """The one mail per window that tells a sender their mail waits and is not lost."""
    gateway_address = settings.mailbox.address
    local = release.astimezone(now.tzinfo) if now.tzinfo else release
    context = {
        "subject": inc.subject or "（件名なし）",
        "per_hour": per_hour,
        "release": f"{local.month}月{local.day}日（{_WEEKDAYS[local.weekday()]}）{local:%H:%M}",
        "admin": settings.admin_address,
    }
    return templated_notice(
        inc.from_addr,
        f"[順番待ち] {context['subject']}",
        DEFERRED_STATUS,
        context,
        gateway_address,
        now,
        settings.templates_dir,
        in_reply_to=inc.message_id,
    )
