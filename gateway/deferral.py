"""The per-sender budget as the pipeline applies it: which budget a message is charged
to, holding a message over it, releasing held messages in order, one `clarify` an hour,
and sweeping the spool. A mixin of `pipeline.Gateway` (its own module so the pipeline
stays one job: read -> decide -> persist); the budgets themselves are `ratelimit`."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.authresults import verdict
from gateway.draftdocs import draft_from_doc
from gateway.model import Incoming, Kind
from gateway.ratelimit import DEFERRED_STATUS, HeldMessage, budget_key, deferred_notice
from gateway.settings import staff_allowed
from gateway.tokens import parse_token, token_matches
from gateway.workflow import AuditEvent, Outcome

if TYPE_CHECKING:
    from gateway.pipeline import Gateway

log = logging.getLogger("gateway.pipeline")
SWEEP_EVERY = timedelta(hours=1)
#: Spool files younger than this are never swept (written for a transaction not yet committed).
SWEEP_GRACE = timedelta(hours=1)


class Deferral:
    """Methods of `Gateway` (see there for the attributes they use)."""

    def _budget_bucket(self: Gateway, inc: Incoming) -> str | None:
        """The budget this message is charged to, or None when it costs nothing: automatic
        mail, our own mail and strangers' drafts are only logged, never answered."""
        if inc.kind not in (Kind.DRAFT, Kind.REPLY) or self._is_loop(inc):
            return None
        if inc.kind == Kind.DRAFT and not staff_allowed(self.settings, inc.from_addr):
            return None
        return budget_key(self._person(inc), self._proven(inc))

    def _proven(self: Gateway, inc: Incoming) -> bool:
        """Where the office names its receiving server (`[review] authserv_ids`), that
        server's word for the From domain: mail that fails authentication never uses up the
        real person's budget, token or not. Elsewhere, a reply token made for this From."""
        if self.settings.authserv_ids:
            return verdict(inc.auth_results, inc.from_addr, self.settings.authserv_ids).passed
        for raw_token in inc.tokens:
            token = parse_token(raw_token)
            if token is not None and token_matches(self.token_secret, token, self._person(inc)):
                return True
        return False

    def _may_handle_now(self: Gateway, bucket: str, now: datetime) -> bool:
        """Within the budget, and nothing of this budget is still waiting (order is kept)."""
        if any(h.bucket == bucket for h in self.hold.entries()):
            return False
        return self.budgets.allows(bucket, now)

    def _defer(
        self: Gateway, inc: Incoming, raw: bytes | Path, key: str, bucket: str, now: datetime
    ) -> None:
        """Over the budget: keep the raw message, handle it when the window allows; tell the
        sender once per window (only a member of staff or a reviewer: no backscatter)."""
        path = self.spool.put_held(raw)
        person = self._person(inc)
        self.hold.add(HeldMessage(key, bucket, person, path, now.isoformat()))
        release = self.budgets.next_free(bucket, now)
        waiting = sum(1 for h in self.hold.entries() if h.bucket == bucket)
        told = False
        if self._may_be_told(person) and self.budgets.should_tell_deferred(person, now):
            msg = deferred_notice(
                inc, release, self.settings.limits.per_sender_per_hour, self.settings, now
            )
            self.queue_standalone(msg, DEFERRED_STATUS, [person], now)
            told = True
        self.store.add_event(
            AuditEvent(
                "rate_deferred",
                None,
                person or "-",
                now,
                {
                    "subject": inc.subject,
                    "message_id": inc.message_id,
                    "budget": "verified" if bucket == person else "unverified",
                    "waiting": waiting,
                    "release_after": release.isoformat(timespec="minutes"),
                    "sender_told": told,
                    "limit_per_hour": self.settings.limits.per_sender_per_hour,
                },
            )
        )
        log.warning(
            "event=rate_deferred from=%s message_id=%s waiting=%d release_after=%s",
            inc.from_addr,
            inc.message_id,
            waiting,
            release.isoformat(timespec="minutes"),
        )
        if told:
            self.on_queued()

    def _may_be_told(self: Gateway, address: str) -> bool:
        return bool(address) and (
            staff_allowed(self.settings, address)
            or any(address in a.reviewers for a in self.settings.accounts)
        )

    def _release_held(self: Gateway, now: datetime) -> int:
        """Inside the tick's transaction: handle held messages, oldest first, as budgets allow."""
        released = 0
        blocked: set[str] = set()
        for held in self.hold.entries():
            if held.bucket in blocked or not self.budgets.allows(held.bucket, now):
                blocked.add(held.bucket)  # a later one of the same budget must wait too
                continue
            try:
                with self.spool.held_path(held.path).open("rb") as f:
                    inc = self._read(f)  # its photos into the spool, in pieces
            except OSError as exc:
                log.error("event=held_message_lost path=%s error=%r", held.path, exc)
                self.hold.remove(held)
                continue
            self.hold.remove(held)
            self.budgets.charge(held.bucket, now)
            outcome, name = self._decide(inc, now)
            self._persist(outcome, now)
            self.store.add_event(
                AuditEvent(
                    "held_released",
                    outcome.draft.id if outcome.draft else None,
                    inc.from_addr or "-",
                    now,
                    {"message_id": inc.message_id, "outcome": name, "held_since": held.at},
                )
            )
            log.info(
                "event=held_released from=%s message_id=%s outcome=%s",
                inc.from_addr,
                inc.message_id,
                name,
            )
            released += 1
        return released

    def _sweep_spool(self: Gateway, now: datetime) -> None:
        """Once an hour: delete spooled attachments no hot draft refers to (archived and
        rejected drafts' photos), sent mail no longer in the hot outbox, held mail handled."""
        if self._last_sweep is not None and now - self._last_sweep < SWEEP_EVERY:
            return
        self._last_sweep = now
        attachments = {
            a.sha256
            for doc in self.store.drafts.all()
            for v in draft_from_doc(doc).versions
            for a in v.attachments
        }
        keep = {
            "attachments": attachments,
            "encoded": {f"{sha}.b64" for sha in attachments},
            "outbox": {str(e.get("path")) for e in self.store.outbox_entries()},
            "held": self.hold.paths(),
            "incoming": set(),  # a fetched mail is deleted once handled; older: a crash's
        }
        removed = self.spool.sweep(keep, time.time() - SWEEP_GRACE.total_seconds())
        if removed:
            log.info("event=spool_swept removed=%d", removed)

    def _limit_clarify(self: Gateway, outcome: Outcome, sender: str, now: datetime) -> Outcome:
        """A reply that cannot count asks its sender how to answer at most once an hour, so a
        flood under a reviewer's address does not become a flood of mail to the reviewer."""
        if not outcome.mails or self.budgets.may_clarify(sender, now):
            return outcome
        return Outcome(outcome.draft, (), outcome.events)
