"""Mail sent on someone's behalf: refused as before, and the people concerned are told.

A Sender naming another address than the From (Outlook's 「佐藤 on behalf of 広報係」 from
a shared or delegated mailbox, Gmail's "send mail as") is not the From's own mail, and a
Sender is as forgeable as a From: such mail is never a draft nor a decision
(gateway.identity). Without a word, though, the person's draft or 承認 would simply
vanish. So the person who sent it (the Sender) and the owner of the From are each told,
in a short notice through the durable outbox, what happened and what to do: only a
member of staff or a reviewer (never a stranger), only for a person's mail (the reader
sets `Incoming.on_behalf` only when neither address makes it automatic or our own), at
most once an hour per address. The admin sees the mail in the digest, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING

from gateway.identity import People
from gateway.model import Incoming
from gateway.render import templated_notice
from gateway.workflow import AuditEvent, Outcome

if TYPE_CHECKING:
    from gateway.pipeline import Gateway
    from gateway.settings import Settings

STATUS = "on-behalf"


def who_to_tell(
    pair: tuple[str, ...], people: People, may_be_told: Callable[[str], bool]
) -> list[tuple[str, bool]]:
    """(person key, whether they sent it) for the Sender and the From of `pair`
    (From, Sender), each only when `may_be_told`; one notice per person."""
    author, sender = pair
    out: list[tuple[str, bool]] = []
    for address, sent_it in ((sender, True), (author, False)):
        key = people.key_or_none(address)
        if key and key not in (k for k, _ in out) and may_be_told(key):
            out.append((key, sent_it))
    return out


def notice(
    inc: Incoming, to: str, sent_it: bool, settings: Settings, now: datetime
) -> EmailMessage:
    """The notice to one person: their mail (or the mail under their address) was not taken."""
    gateway_address = settings.mailbox.address
    author, sender = inc.on_behalf
    subject = inc.subject or "（件名なし）"
    context = {
        "subject": subject,
        "mailbox": author,
        "sender": sender,
        "sent_it": sent_it,
        "reply": bool(inc.tokens),
        "admin": settings.admin_address,
    }
    return templated_notice(
        to,
        f"[受け付けていません] {' '.join(subject.split())}",
        STATUS,
        context,
        gateway_address,
        now,
        settings.templates_dir,
        in_reply_to=inc.message_id,
    )


def refuse_on_behalf(gw: Gateway, inc: Incoming, now: datetime) -> Outcome:
    """Inside the message's transaction: queue the notices (once an hour per address) and
    return the audit event; nothing else changes (no draft, no decision, no budget)."""
    told = []
    for person, sent_it in who_to_tell(inc.on_behalf, gw.settings.people, gw._may_be_told):
        if gw.budgets.may_tell_on_behalf(person, now):
            gw.queue_standalone(notice(inc, person, sent_it, gw.settings, now), STATUS, [person], now)
            told.append(person)
    author, sender = inc.on_behalf
    detail = {
        "subject": inc.subject,
        "problems": list(inc.problems),
        "message_id": inc.message_id,
        "on_behalf": {"from": author, "sender": sender},
        "told": told,
    }
    return Outcome(None, (), (AuditEvent("other_ignored", None, "-", now, detail),))
