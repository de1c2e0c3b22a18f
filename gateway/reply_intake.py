"""A reply as the pipeline reads it: the token checked against the sender, the absence
or command a reviewer may send instead, and the words read (our own text they quote
dropped, `_sent_texts`) into a `Reply` for the pure workflow's `on_reply`; a reply the
receiving server could not vouch for never counts. A mixin of `pipeline.Gateway` (its own
module so that the pipeline stays one job: read -> decide -> persist)."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import TYPE_CHECKING

from gateway import staffdesk
from gateway.authresults import verdict
from gateway.model import Incoming
from gateway.rawruns import reduce_message
from gateway.replies import read_reply
from gateway.tokens import parse_token, token_matches
from gateway.workflow import (
    IN_REVIEW,
    REJECTED,
    RETURNED,
    AuditEvent,
    Draft,
    MailSpec,
    Outcome,
    Reply,
    on_reply,
    unmatched_reply,
)

if TYPE_CHECKING:
    from gateway.pipeline import Gateway


def _plain_body(path: Path) -> str | None:
    """The text/plain body of a mail we sent, read without its photos (`rawruns`: a
    review request carries up to 30 MB of them)."""
    with path.open("rb") as f:
        reduced = reduce_message(f)
        msg = message_from_bytes(reduced.data, policy=policy.default)
        body = msg.get_body(("plain",))
        if body is None:
            return None
        payload = body.get_payload()
        if isinstance(payload, str) and reduced.runs.has_markers(payload.encode("ascii", "replace")):
            body.set_payload(reduced.runs.expand(payload.encode("ascii")).decode("ascii"))
        return body.get_content()




class ReplyIntake:
    """Methods of `Gateway` (see there for the attributes they use)."""

    def _decide_reply(self: Gateway, inc: Incoming, now: datetime) -> tuple[Outcome, str]:
        sender = self._person(inc)
        first_draft: Draft | None = None
        for raw_token in inc.tokens:
            token = parse_token(raw_token)
            if token is None:
                continue
            if token.draft_id.startswith("A-"):  # the confirmation of an absence set by mail
                own = token_matches(self.token_secret, token, sender)
                absence = (
                    staffdesk.absence_by_mail(self, self._as_person(inc), now, in_reply=True)
                    if own
                    else None
                )
                if absence is not None:  # corrected dates or deputy instead of 「はい」
                    return Outcome(), absence
                return Outcome(), staffdesk.confirm_by_mail(self, self._as_person(inc), token, now)
            draft = self.store.get_draft(token.draft_id)
            if draft is None:
                continue
            first_draft = first_draft or draft
            if not token_matches(self.token_secret, token, sender):
                continue
            is_author = sender == draft.author
            if self.settings.require_authenticated:
                # Reviewers' decisions, the author's revisions and commands alike.
                auth = verdict(inc.auth_results, inc.from_addr, self.settings.authserv_ids)
                if not auth.passed:
                    return self._unauthenticated(draft, inc, token.version, auth.reason, now), (
                        "reply_not_authenticated"
                    )
            if not is_author:  # a reviewer about to be away answers a request with 「不在 …」
                absence = staffdesk.absence_by_mail(self, self._as_person(inc), now, in_reply=True)
                if absence is not None:
                    return Outcome(), absence
            sent = () if is_author else self._sent_texts(draft.id, sender)
            handled = staffdesk.draft_command(draft, self._as_person(inc), now, has_token=True, sent=list(sent))
            if handled is not None:
                return handled
            if is_author and draft.state in (RETURNED, REJECTED) and token.version == draft.version:
                return self._new_draft(inc, now, draft), "revision"
            # The author's words are read only for the audit log: the workflow never counts them.
            reading = read_reply(inc.text, sent, alternatives=inc.alt_texts)
            reply = Reply(
                sender,
                draft.id,
                token.version,
                reading.decision,
                reading.comment,
                inc.message_id,
                now,
            )
            return on_reply(
                draft, reply, self.current_policy()
            ), "author_reply" if is_author else f"reply_{reading.decision}"
        reason = "token-not-for-sender" if first_draft else "no-token"
        target = first_draft or self._mentioned_draft(inc)
        if target is not None:  # 状況 / 再送 need no token: the answer goes to the asked address
            handled = staffdesk.draft_command(target, self._as_person(inc), now, has_token=False)
            if handled is not None:
                return handled
        outcome = unmatched_reply(
            first_draft or self._mentioned_draft(inc), sender, inc.message_id, reason, now
        )
        return self._limit_clarify(outcome, sender, now), "reply_not_counted"

    def _unauthenticated(
        self: Gateway, draft: Draft, inc: Incoming, version: int, reason: str, now: datetime
    ) -> Outcome:
        """A reply whose sender the receiving server could not vouch for: it never counts.
        The reviewer is told (their own address, so no backscatter); the admin sees the audit log."""
        sender = self._person(inc)
        event = AuditEvent(
            "reply_not_counted",
            draft.id,
            sender,
            now,
            {"reason": "not-authenticated", "detail": reason, "message_id": inc.message_id},
        )
        if draft.state != IN_REVIEW or sender not in draft.reviewers:
            return Outcome(None, (), (event,))
        mail = MailSpec(
            "notice",
            draft.id,
            draft.version,
            to=(sender,),
            context={
                "draft_id": draft.id,
                "version": draft.version,
                "subject": draft.current.subject,
                "reason": "not-authenticated",
                "token_version": version,
            },
            in_reply_to=inc.message_id,
        )
        return Outcome(None, (mail,), (event,))

    def _sent_texts(self: Gateway, draft_id: str, recipient: str) -> list[str]:
        """Bodies of the mails we sent to `recipient` about this draft: their fingerprints
        let the reply reader drop our own text (and the 承認 instructions in it)."""
        texts = []
        for entry in self.store.outbox.search(lambda d: d.get("draft_id") == draft_id):
            if recipient not in entry.get("recipients", ()):
                continue
            try:
                body = _plain_body(self.spool.mail_path(entry["path"]))
            except (OSError, LookupError, ValueError):
                continue
            if body is not None:
                texts.append(body)
        return texts
