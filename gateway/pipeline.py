"""Where a mail is handled: read -> decide -> persist, in one store transaction.

This is the imperative shell around the pure workflow. It reads the raw message,
verifies tokens against the From, runs the checker and the reply reader, asks the
workflow what to do, and stores the new state, the audit events and the rendered
mails (in the outbox) in one atomic write. Only after that returns may the intake
acknowledge the message on the IMAP server.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from gateway import admin_commands, staffdesk
from gateway.authresults import verdict
from gateway.businessdays import WorkCalendar
from gateway.checker import Checker
from gateway.deferral import Deferral
from gateway.digest import queue_digest
from gateway.draft_intake import DraftIntake
from gateway.mime import (
    MAX_HEADER_BYTES,
    REFUSED_TOO_LARGE,
    header_block,
    read_message,
    read_message_file,
)
from gateway.model import Incoming, Kind
from gateway.onbehalf import refuse_on_behalf
from gateway.ratelimit import (
    Budgets,
    Hold,
)
from gateway.render import build_message, file_parts
from gateway.reply_intake import ReplyIntake
from gateway.settings import Settings, staff_allowed
from gateway.signing import SigningKey
from gateway.spool import Spool, spool_for  # noqa: F401 - Spool re-exported (outbox, tests)
from gateway.store import Store
from gateway.tokens import DRAFT_ID_RE
from gateway.workflow import (
    IN_REVIEW,
    REJECTED,
    RETURNED,
    AuditEvent,
    Draft,
    Outcome,
    Policy,
    on_tick,
    unmatched_reply,
)

log = logging.getLogger(__name__)
JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> datetime:
    return datetime.now(JST)


def _sha256_of(raw: bytes | Path) -> str:
    if isinstance(raw, bytes):
        return hashlib.sha256(raw).hexdigest()
    with raw.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def policy_for(settings: Settings) -> Policy:
    """Reminders and expiry count working time (business days, office hours, Japan time);
    `expire_after_days` business days are that many whole working days of working time."""
    calendar = WorkCalendar(*settings.working_hours, closed=settings.closed_days)
    return Policy(
        accounts={a.name: a.reviewers for a in settings.accounts},
        reminder_after=timedelta(hours=settings.reminder_after_hours),
        expire_after=settings.expire_after_days * calendar.day_length,
        calendar=calendar,
        rules={a.name: a.rules for a in settings.accounts},
        admin=settings.admin_address,
    )


class Gateway(Deferral, DraftIntake, ReplyIntake):
    """Handles one message or one clock tick at a time, each in one store transaction."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        key: SigningKey,
        checker: Checker,
        *,
        clock: Callable[[], datetime] = now_jst,
        on_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.key = key
        self.token_secret = key.derive_secret("reply-token")
        self.checker = checker
        self.clock = clock
        self.on_queued = on_queued
        self.spool = spool_for(settings)
        self.policy = policy_for(settings)
        self.address = settings.mailbox.address
        self.budgets = Budgets(store, settings.limits.per_sender_per_hour)
        self.hold = Hold(store)
        self._last_sweep: datetime | None = None

    # ------------------------------------------------------------------ entry points

    def handle_raw(self, raw: bytes) -> str:
        """Handle one raw message; returns a short outcome name for logs and tests.

        A message over `max_message_mb` is read as headers only (its body is never parsed):
        the author is told the limit. Read like a fetched file (`handle_file`): the
        attachments go to the spool as they are decoded."""
        if len(raw) > self.settings.limits.max_message_mb * 1024 * 1024:
            return self.handle_oversize(raw, len(raw))
        return self._handle(self._read(io.BytesIO(raw)), raw)

    def handle_file(self, path: Path) -> str:
        """Handle one message the intake fetched into a file: it is never held whole, its
        photos are decoded from the file into the spool in pieces (`read_message_file`)."""
        size = path.stat().st_size
        if size > self.settings.limits.max_message_mb * 1024 * 1024:
            with path.open("rb") as f:
                return self.handle_oversize(f.read(MAX_HEADER_BYTES + 4), size)
        with path.open("rb") as f:
            incoming = self._read(f)
        return self._handle(incoming, path)

    def _read(self, source: BinaryIO) -> Incoming:
        return read_message_file(
            source, [self.address], blobs=self.spool.attachment_writer,
            people=self.settings.people,
        )  # fmt: skip

    def handle_oversize(self, head: bytes, size: int) -> str:
        """A message of `size` bytes of which only `head` (at least its header block) was
        fetched, because it is over the size limit."""
        incoming = read_message(
            head, [self.address], refuse=REFUSED_TOO_LARGE, raw_size=size,
            people=self.settings.people,
        )  # fmt: skip
        return self._handle(incoming, header_block(head))

    def _handle(self, incoming: Incoming, raw: bytes | Path) -> str:
        key = incoming.message_id or "sha256:" + _sha256_of(raw)
        now = self.clock()
        with self.store.transaction() as store:
            if store.is_seen(key):
                log.info("event=duplicate_message message_id=%s", key)
                return "duplicate"
            bucket = self._budget_bucket(incoming)
            # A refused mail (too large, too complex) cannot be held (its body was never
            # fetched) and costs only its rejection: it is charged, never deferred.
            if (
                bucket is not None
                and not incoming.refused
                and not self._may_handle_now(bucket, now)
            ):
                self._defer(incoming, raw, key, bucket, now)
                store.mark_seen(key, now, "deferred")
                return "deferred"
            if bucket is not None:
                self.budgets.charge(bucket, now)
            outcome, name = self._decide(incoming, now)
            self._persist(outcome, now)
            store.mark_seen(key, now, name)
        log.info(
            "event=message_handled outcome=%s kind=%s from=%s message_id=%s draft=%s",
            name,
            incoming.kind,
            incoming.from_addr or "-",
            key,
            outcome.draft.id if outcome.draft else "-",
        )
        queued_directly = name.startswith("absence_") or name in ("on_behalf", "command_refused")
        if outcome.mails or queued_directly:
            self.on_queued()
        return name

    def tick(self) -> int:
        """Reminders and expiry for every open draft; returns how many drafts changed."""
        now = self.clock()
        changed = 0
        with self.store.transaction() as store:
            changed += admin_commands.apply_admin_commands(self, now)
            changed += staffdesk.absence_ticks(self, now)
            policy = self.current_policy()
            for draft in store.drafts_in_state(IN_REVIEW):
                outcome = on_tick(draft, now, policy)
                if outcome.draft or outcome.mails:
                    self._persist(outcome, now)
                    changed += 1
            changed += self._release_held(now)
            self._sweep_spool(now)
            if queue_digest(self, now):
                changed += 1
        if changed:
            self.on_queued()
        return changed

    def current_policy(self) -> Policy:
        """The config's policy with the state's absences as of now."""
        return replace(self.policy, absences=tuple(self.store.absences()))

    # ------------------------------------------------------------------ deciding

    def _person(self, inc: Incoming) -> str:
        """Who sent this mail: the person key of its From (gateway.identity), "" if none.
        Everything about people (author, reviewers, tokens, rate limit) uses this key;
        only authentication looks at the From's own domain."""
        return self.settings.people.key_or_none(inc.from_addr) or ""

    def _as_person(self, inc: Incoming) -> Incoming:
        """The mail with its From replaced by the person key, for the staff desk (commands,
        absences), which compares addresses as people do; its name is the From's display
        name and the person's `[[people]]` name."""
        person = self._person(inc)
        listed = next((p.name for p in self.settings.people.persons if p.key == person), "")
        # Both names, as a short mail may be signed with either (「山田」 under 「はい」).
        names = " ".join(n for n in (inc.from_name, listed) if n)
        return replace(inc, from_addr=person, from_name=names)

    def _decide(self, inc: Incoming, now: datetime) -> tuple[Outcome, str]:
        sender = self._person(inc)
        if self._is_loop(inc):
            return self._only_event("loop_ignored", None, sender, now, subject=inc.subject), "loop"
        if inc.on_behalf:  # refused, never counted; the people concerned are told
            return refuse_on_behalf(self, inc, now), "on_behalf"
        if inc.kind in (Kind.AUTO_REPLY, Kind.BOUNCE, Kind.OTHER):
            action = {Kind.AUTO_REPLY: "auto_reply_ignored", Kind.BOUNCE: "bounce_received"}.get(
                inc.kind, "other_ignored"
            )
            detail = {"subject": inc.subject, "problems": list(inc.problems)}
            if inc.kind == Kind.BOUNCE:
                detail["recipients"] = list(inc.bounced)
            return self._only_event(action, None, sender, now, **detail), action

        if inc.kind == Kind.REPLY:
            return self._decide_reply(inc, now)

        # A draft-shaped message.
        if not staff_allowed(self.settings, sender):
            return self._only_event(
                "stranger_ignored", None, sender, now, subject=inc.subject
            ), "stranger"
        if self.settings.require_authenticated:
            auth = verdict(inc.auth_results, inc.from_addr, self.settings.authserv_ids)
            if not auth.passed:
                # A forged staff From: nothing is forwarded, and nobody is answered (the
                # From may not be the sender's); the admin sees it in the log and digest.
                log.warning(
                    "event=draft_not_authenticated from=%s message_id=%s reason=%r",
                    inc.from_addr,
                    inc.message_id,
                    auth.reason,
                )
                return self._only_event(
                    "draft_not_authenticated",
                    None,
                    sender,
                    now,
                    subject=inc.subject,
                    message_id=inc.message_id,
                    reason=auth.reason,
                ), "draft_not_authenticated"
        if staffdesk.answers_absence_mail(inc):  # e.g. 「ありがとうございます」 to a 後閲 mail
            absence = staffdesk.absence_by_mail(self, self._as_person(inc), now)
            if absence is not None:  # a new absence written in reply to the last one
                return Outcome(), absence
            return self._only_event(
                "reply_not_counted",
                None,
                sender,
                now,
                reason="answer-to-absence-mail",
                message_id=inc.message_id,
            ), "reply_not_counted"
        mentioned = self._mentioned_draft(inc)
        if mentioned is not None:
            handled = staffdesk.draft_command(mentioned, self._as_person(inc), now, has_token=False)
            if handled is not None:
                return handled
        else:
            absence = staffdesk.absence_by_mail(self, self._as_person(inc), now)
            if absence is not None:
                return Outcome(), absence
            handled = staffdesk.command_without_draft(self, self._as_person(inc), now)
            if handled is not None:  # 「状況」 alone is never a draft for the reviewers
                return handled
        if (
            mentioned is not None
            and mentioned.slot_of(sender) is not None
            and sender != mentioned.author
        ):
            # A reviewer answered without the token (the client dropped it): never counts.
            return self._limit_clarify(
                unmatched_reply(mentioned, sender, inc.message_id, "no-token", now), sender, now
            ), "reply_no_token"
        previous = None
        if (
            mentioned is not None
            and mentioned.author == sender
            and mentioned.state in (RETURNED, REJECTED, IN_REVIEW)
        ):
            previous = mentioned
        return self._new_draft(inc, now, previous), "draft"

    def _is_loop(self, inc: Incoming) -> bool:
        """Our own mail coming back (X-Loop names our address): never answer it."""
        return any(
            name.lower() == "x-loop" and self.address in value.lower()
            for name, value in inc.headers
        )

    def _mentioned_draft(self, inc: Incoming) -> Draft | None:
        m = DRAFT_ID_RE.search(inc.subject or "")
        return self.store.get_draft(m.group(0)) if m else None

    @staticmethod
    def _only_event(
        action: str, draft: Draft | None, actor: str, at: datetime, **detail
    ) -> Outcome:
        return Outcome(
            None, (), (AuditEvent(action, draft.id if draft else None, actor or "-", at, detail),)
        )

    # ------------------------------------------------------------------ persisting

    def queue_standalone(
        self, msg: EmailMessage, status: str, recipients: list[str], now: datetime
    ) -> None:
        """Queue a mail that concerns no one draft (the digest, a failure notice), inside
        the caller's store transaction: it goes out through the durable outbox."""
        message_id = str(msg["Message-ID"])
        path = self.spool.put_mail(message_id, msg.as_bytes(policy=policy.SMTP))
        self.store.queue_mail(
            {
                "message_id": message_id,
                "draft_id": None,
                "mail_status": status,
                "path": path,
                "recipients": recipients,
                "created": now.isoformat(),
            }
        )

    def persist(self, outcome: Outcome, now: datetime) -> None:
        """Store a decision's record, events and mails (inside the caller's transaction)."""
        self._persist(outcome, now)

    def _persist(self, outcome: Outcome, now: datetime) -> None:
        store = self.store
        if outcome.draft is not None:
            store.put_draft(outcome.draft)
        for event in outcome.events:
            store.add_event(event)
        for spec in outcome.mails:
            draft = outcome.draft or store.get_draft(spec.draft_id)
            assert draft is not None, spec
            attachments = []
            if spec.attach_version:
                attachments = [  # files: encoded in pieces as each mail is written
                    (a.filename, a.content_type, self.spool.attachment_path(a.sha256))
                    for a in draft.current.attachments
                ]
            msg = build_message(
                spec,
                draft,
                gateway_address=self.address,
                token_secret=self.token_secret,
                now=now,
                attachments=attachments,
                template_dir=self.settings.templates_dir,
                sign=self.key.sign,
            )
            message_id = msg["Message-ID"]
            path = self.spool.put_message(message_id, msg, file_parts(msg))
            del msg
            store.queue_mail(
                {
                    "message_id": message_id,
                    "draft_id": spec.draft_id,
                    "mail_status": spec.status,
                    "path": path,
                    "recipients": [*spec.to, *spec.cc],
                    "created": now.isoformat(),
                }
            )
            store.add_event(
                AuditEvent(
                    "mail_queued",
                    spec.draft_id,
                    "gateway",
                    now,
                    {
                        "status": spec.status,
                        "to": list(spec.to),
                        "cc": list(spec.cc),
                        "message_id": message_id,
                    },
                )
            )
