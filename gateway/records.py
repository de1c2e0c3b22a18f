"""The workflow's records, inputs and outputs as plain frozen data.

Split from the state machine (gateway.workflow) so that the routing policy
(gateway.routing), the author's commands and the store can share them without
importing the transitions. No behaviour beyond small read-only views.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gateway.businessdays import WorkCalendar
from gateway.model import Decision, Finding

IN_REVIEW = "in_review"
APPROVED = "approved"
RETURNED = "returned"
REJECTED = "rejected"
EXPIRED = "expired"
WITHDRAWN = "withdrawn"  # the author took it back (取り下げ)
OPEN_STATES = (IN_REVIEW,)
REVISABLE_STATES = (IN_REVIEW, RETURNED, REJECTED)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class AttachmentRef:
    filename: str
    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Version:
    number: int
    text: str  # exactly what would be posted
    text_sha256: str
    subject: str
    message_id: str  # the author's message that carried this version
    received_at: datetime
    findings: tuple[Finding, ...] = ()
    attachments: tuple[AttachmentRef, ...] = ()
    schedule: datetime | None = None


@dataclass(frozen=True)
class Vote:
    reviewer: str
    decision: Decision
    version: int
    at: datetime
    message_id: str
    comment: str = ""


@dataclass(frozen=True)
class Stage:
    """One step of a route: `required` different people of `members` must approve."""

    members: tuple[str, ...]
    required: int
    name: str = ""  # e.g. 係長, 課長 (for mails and the record)


@dataclass(frozen=True)
class StandIn:
    """Someone deciding in a reviewer's place (the seat) on the current version.

    why: "absence" (代決 while the seat holder is away; they may still answer). `person`
    "" records that nobody could be found (so it is logged once)."""

    seat: str
    person: str
    why: str
    at: datetime


@dataclass(frozen=True)
class FixedText:
    """A 定型文: a text two reviewers approved in advance, with {placeholders}."""

    name: str
    text: str
    approved_by: tuple[str, ...]


@dataclass(frozen=True)
class AccountRules:
    """A section's own rules for one account (clause 4(4)), as data.

    stages == (): the fixed pair, exactly as before (first two listed reviewers, the rest
    alternates). One stage: a pool (everyone asked, `required` approvals). Several: in order."""

    stages: tuple[Stage, ...] = ()
    at_least_one_of: tuple[str, ...] = ()
    emergency: bool = False
    emergency_reminder: timedelta = timedelta(minutes=15)
    fixed_texts: tuple[FixedText, ...] = ()


@dataclass(frozen=True)
class Absence:
    """A reviewer's planned absence (代決 by `deputy`, 後閲 afterwards); dates inclusive, JST.

    state: "pending" (set by mail, waiting for the reviewer's confirmation), "confirmed",
    "removed", "reported" (over, and the 後閲 mail queued)."""

    id: str
    reviewer: str
    deputy: str
    start: date
    end: date
    state: str
    set_by: str
    created_at: datetime
    reported_at: datetime | None = None

    def covers(self, day: date) -> bool:
        return self.state == "confirmed" and self.start <= day <= self.end


@dataclass(frozen=True)
class Draft:
    id: str
    author: str
    author_name: str
    account: str
    state: str
    reviewers: tuple[str, ...]
    versions: tuple[Version, ...]
    created_at: datetime
    updated_at: datetime
    votes: tuple[Vote, ...] = ()
    reminded: tuple[str, ...] = ()  # reviewers reminded about the current version
    thread: tuple[str, ...] = ()  # Message-IDs of the author's messages, for References
    reason: str = ""  # why rejected / returned, for status and export
    reminded_at: datetime | None = None  # when the last first-reminder went out
    # (silent reviewer, alternate asked in their place; "" when nobody was left to ask),
    # for the current version only: a new version starts with the two reviewers again.
    alternates: tuple[tuple[str, str], ...] = ()
    schedule_warned: int = 0  # the version whose passed schedule the author was warned about
    # The route of the current version (gateway.routing). stages == (): the fixed pair.
    stages: tuple[Stage, ...] = ()
    stand_ins: tuple[StandIn, ...] = ()
    at_least_one_of: tuple[str, ...] = ()
    emergency: bool = False
    fixed_text: str = ""  # the 定型文 this version is, when it needs one reviewer

    @property
    def current(self) -> Version:
        return self.versions[-1]

    @property
    def version(self) -> int:
        return self.current.number

    def votes_for(self, version: int) -> dict[str, Vote]:
        """The latest vote of each reviewer on `version`."""
        latest: dict[str, Vote] = {}
        for vote in self.votes:
            if vote.version == version:
                latest[vote.reviewer] = vote
        return latest

    def alternate_for(self, reviewer: str) -> str | None:
        """Who was asked to decide in place of `reviewer` (silent, away or gone), if anyone."""
        for silent, alternate in self.alternates:
            if silent == reviewer and alternate:
                return alternate
        for s in self.stand_ins:
            if s.seat == reviewer:
                return s.person
        return None

    # The views below are answered by gateway.routing, the one place that knows routes.

    @property
    def deciders(self) -> tuple[str, ...]:
        """Everyone whose decision counts on the current version (asked so far)."""
        from gateway.routing import deciders

        return deciders(self)

    def slot_of(self, person: str) -> str | None:
        """The reviewer whose place `person` decides in (themselves for a reviewer)."""
        from gateway.routing import seat_of

        return seat_of(self, person)

    def slot_votes(self, version: int) -> dict[str, Vote]:
        """Per reviewer, the latest vote on `version` by them or by whoever stands in."""
        from gateway.routing import seat_votes

        return seat_votes(self, version)

    def waiting_on(self) -> tuple[str, ...]:
        """Reviewers (seats) of the current stage whose place nobody has decided yet."""
        from gateway.routing import waiting_seats

        return waiting_seats(self)


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class MailSpec:
    """A mail to send, as data: the shell renders, signs and queues it."""

    status: str  # X-Gateway-Status
    draft_id: str
    version: int
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    token_for: str | None = None  # bind the Reply-To token to this address
    attach_version: bool = False  # carry the version's attachments (photos)
    approval_record: dict[str, Any] | None = None  # to be signed and attached
    in_reply_to: str | None = None  # the message this answers (else the draft's thread)


@dataclass(frozen=True)
class AuditEvent:
    action: str
    draft_id: str | None
    actor: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    draft: Draft | None = None  # the new or updated record, if any
    mails: tuple[MailSpec, ...] = ()
    events: tuple[AuditEvent, ...] = ()


@dataclass(frozen=True)
class Policy:
    """What the workflow needs to know of the config."""

    accounts: dict[str, tuple[str, ...]]  # account name -> reviewer addresses, in order
    reminder_after: timedelta = timedelta(hours=24)
    expire_after: timedelta = timedelta(days=7)
    # With a calendar, reminder_after and expire_after are amounts of *working* time
    # (business days, office hours); without one, of wall-clock time.
    calendar: WorkCalendar | None = None
    rules: dict[str, AccountRules] = field(default_factory=dict)  # absent: the fixed pair
    admin: str | None = None  # told at once of an emergency
    absences: tuple[Absence, ...] = ()  # the state's absences, as of this call

    def rules_for(self, account: str) -> AccountRules:
        return self.rules.get(account) or AccountRules()

    def elapsed(self, since: datetime, now: datetime) -> timedelta:
        if self.calendar is None:
            return now - since
        return self.calendar.working_time(since, now)


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class NewDraft:
    author: str
    author_name: str
    subject: str
    message_id: str
    references: tuple[str, ...]
    text: str
    account: str | None  # from the account line; None if not given
    schedule: datetime | None
    findings: tuple[Finding, ...]
    attachments: tuple[AttachmentRef, ...]
    at: datetime
    emergency: bool = False  # 【緊急】 subject or a 緊急: はい line


@dataclass(frozen=True)
class Reply:
    """A reply whose token has already been verified against its From by the shell."""

    sender: str
    draft_id: str
    token_version: int
    reading_decision: Decision
    comment: str
    message_id: str
    at: datetime
