"""The workflow's mails and audit events: what every mail about a draft says (its context),
who gets a review request on the route, how a route decision is logged.

Shared by the state machine's parts (gateway.workflow: arrival and replies; gateway.timers:
time; gateway.draft_commands), so none of them imports another's transitions. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gateway.identity import try_canonical
from gateway.model import Finding, Severity
from gateway.records import (
    AuditEvent,
    Draft,
    MailSpec,
    Outcome,
)
from gateway.routing import (
    Route,
    asked_now,
    open_stage_index,
    replace_seat,
)


def person_key(address: str) -> str:
    """The shell hands the workflow person keys (gateway.identity); comparing through the
    canonical spelling as well means no spelling of one address is ever two people here."""
    return try_canonical(address) or address.strip().lower()


def _event(action: str, draft: Draft | None, actor: str, at: datetime, **detail: Any) -> AuditEvent:
    return AuditEvent(action, draft.id if draft else None, actor, at, detail)


def _finding_dicts(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [f.as_json() for f in findings]


def _base_context(draft: Draft) -> dict[str, Any]:
    v = draft.current
    return {
        "draft_id": draft.id,
        "version": v.number,
        "subject": v.subject,
        "account": draft.account,
        "author": draft.author,
        "author_name": draft.author_name,
        "text": v.text,
        "schedule": v.schedule.strftime("%Y-%m-%d %H:%M") if v.schedule else None,
        "reviewers": list(draft.reviewers),
        "findings": _finding_dicts(v.findings),
        "warnings": _finding_dicts([f for f in v.findings if f.severity != Severity.INFO]),
        "attachments": [a.filename for a in v.attachments],
        "emergency": draft.emergency,
        "fixed_text": draft.fixed_text,
        "stages": [
            {"name": st.name, "members": list(st.members), "required": st.required}
            for st in draft.stages
        ],
    }


def notice(
    draft: Draft,
    to: str,
    reason: str,
    at: datetime,
    message_id: str,
    action: str,
    *,
    token_version: int | None = None,
    **detail: Any,
) -> Outcome:
    """A short mail telling one person why their mail changed nothing (late, duplicate,
    withdrawn, a command they may not give), and the audit event that says so. A reply's
    `token_version` (the version its token was made for) goes into the mail and the event."""
    if token_version is not None:
        detail = {"token_version": token_version, **detail}
    mail = MailSpec(
        "notice",
        draft.id,
        draft.version,
        to=(to,),
        context={
            **_base_context(draft),
            "reason": reason,
            "token_version": draft.version if token_version is None else token_version,
            "state": draft.state,
        },
        in_reply_to=message_id,
    )
    event = _event(action, draft, to, at, reason=reason, message_id=message_id, **detail)
    return Outcome(None, (mail,), (event,))


def route_of(draft: Draft) -> Route:
    return Route(
        draft.stages, draft.reviewers, draft.at_least_one_of, draft.emergency, draft.fixed_text
    )


def route_event(draft: Draft, at: datetime, nobody: Sequence[str] = ()) -> AuditEvent:
    """Every route decision is in the audit log: the rules applied, who is asked, who stands
    in for whom and why."""
    return _event(
        "route_decided",
        draft,
        "gateway",
        at,
        version=draft.version,
        **route_of(draft).describe(),
        stage=open_stage_index(draft) + 1,
        asked=[p for p, _ in asked_now(draft)],
        stand_ins=[
            {"in_place_of": s.seat, "person": s.person, "why": s.why}
            for s in draft.stand_ins
            if s.person
        ],
        nobody_for=list(nobody),
    )


def review_requests(
    draft: Draft, ctx: dict[str, Any], only: Sequence[str] | None = None
) -> list[MailSpec]:
    """A review request (with the photos) to everyone asked now, or to `only` of them."""
    mails = []
    for person, seat in asked_now(draft):
        if only is not None and person not in only:
            continue
        extra: dict[str, Any] = {"reviewer": person}
        if person != seat:
            extra["in_place_of"] = seat
            extra["why"] = next((s.why for s in draft.stand_ins if s.person == person), "silent")
        mails.append(
            MailSpec(
                "review-request",
                draft.id,
                draft.version,
                to=(person,),
                context={**ctx, **extra},
                token_for=person,
                attach_version=True,
            )
        )
    return mails


def _why(draft: Draft, seat: str, person: str) -> str:
    if any(s.seat == seat and s.person == person for s in draft.stand_ins):
        return next(s.why for s in draft.stand_ins if s.seat == seat and s.person == person)
    return "silent"  # an alternate asked after the reviewer stayed silent


def _stand_in_context(draft: Draft, person: str, seat: str) -> dict[str, Any]:
    if person == seat:
        return {}
    why = _why(draft, seat, person)
    if why == "silent":
        return {"alternate_for": seat}
    return {"in_place_of": seat, "why": why}


def move_seat(
    draft: Draft,
    old: str,
    new: str,
    now: datetime,
    why: str,
    mails: list[MailSpec],
    events: list[AuditEvent],
    actor: str = "gateway",
) -> Draft:
    """`new` takes `old`'s seat on this and later versions: a request to `new` (with the
    photos), a notice to the author, an audit event."""
    draft = replace_seat(draft, old, new)
    ctx = _base_context(draft)
    mails.extend(review_requests(draft, ctx, only=(new,)))
    mails.append(
        MailSpec(
            "reassigned",
            draft.id,
            draft.version,
            to=(draft.author,),
            context={**ctx, "from_reviewer": old, "to_reviewer": new, "why": why},
            token_for=draft.author,
        )
    )
    events.append(
        _event(
            "reviewer_replaced",
            draft,
            actor,
            now,
            version=draft.version,
            **{"from": old},
            to=new,
            why=why,
        )
    )
    return draft
