"""The state machine's clock: expiry, the passed schedule, reminders and alternates in
working time, emergencies' reminders round the clock, and the route changes that time brings
(an absence starting, a reviewer no longer listed after a config edit). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, tzinfo

from gateway.businessdays import JST
from gateway.records import (
    EXPIRED,
    IN_REVIEW,
    AuditEvent,
    Draft,
    MailSpec,
    Outcome,
    Policy,
)
from gateway.route_mail import (
    _base_context,
    _event,
    _stand_in_context,
    move_seat,
    person_key,
    review_requests,
    route_event,
)
from gateway.routing import (
    asked_now,
    deputy_moves,
    people_for,
    staff_moves,
    stage_opened_at,
    with_stand_ins,
)


def schedule_passed(draft: Draft, now: datetime, tz: tzinfo) -> bool:
    """The current version's planned posting time has come and it is not approved yet."""
    schedule = draft.current.schedule
    if schedule is None or draft.state != IN_REVIEW:
        return False
    if schedule.tzinfo is None:
        schedule = schedule.replace(tzinfo=tz)
    return now >= schedule


def next_alternate(draft: Draft, candidates: Sequence[str]) -> str:
    """The next listed reviewer who is neither the author, a reviewer, nor already asked."""
    taken = {person_key(draft.author), *(person_key(r) for r in draft.deciders)}
    for person in candidates:
        if person_key(person) not in taken:
            return person
    return ""


def on_tick(draft: Draft, now: datetime, policy: Policy) -> Outcome:
    """Time passed: expiry, a warning when the planned posting time passed, a reminder to
    silent reviewers, and later a request to an alternate in a still-silent reviewer's place.

    Every interval counts from the current version's arrival (expiry, first reminder) or
    from the first reminder (alternate), in working time when the policy has a calendar.
    """
    if draft.state != IN_REVIEW:
        return Outcome()
    since = draft.current.received_at
    elapsed = policy.elapsed(since, now)
    ctx = _base_context(draft)
    if elapsed >= policy.expire_after:
        waiting = draft.waiting_on()
        stand_ins = tuple(a for r in waiting if (a := draft.alternate_for(r)))
        expired = replace(draft, state=EXPIRED, updated_at=now, reason="expired")
        mail = MailSpec(
            "expired",
            draft.id,
            draft.version,
            to=(draft.author,),
            cc=(*waiting, *stand_ins),
            context={**ctx, "waiting_on": list(waiting)},
            token_for=draft.author,
        )
        return Outcome(
            expired,
            (mail,),
            (_event("draft_expired", draft, "gateway", now, version=draft.version),),
        )

    updated = draft
    mails: list[MailSpec] = []
    events: list[AuditEvent] = []
    tz = policy.calendar.tz if policy.calendar else JST  # drafts write local time
    if schedule_passed(draft, now, tz) and draft.schedule_warned != draft.version:
        mails.append(
            MailSpec(
                "schedule-passed",
                draft.id,
                draft.version,
                to=(draft.author,),
                context={**ctx, "waiting_on": list(draft.waiting_on())},
                token_for=draft.author,
            )
        )
        updated = replace(updated, schedule_warned=draft.version)
        events.append(
            _event(
                "schedule_passed",
                draft,
                "gateway",
                now,
                version=draft.version,
                schedule=ctx["schedule"],
            )
        )

    updated = _staff_changes(updated, now, policy, mails, events)
    updated = _absences(updated, now, policy, mails, events)
    ctx = _base_context(updated)
    if updated.emergency:
        _emergency_reminders(updated, now, policy, mails, events)
        if mails and mails[-1].status == "reminder":
            updated = replace(updated, reminded_at=now)
        return _ticked(draft, updated, now, mails, events)

    silent = [r for r in updated.waiting_on() if r not in updated.reminded]
    asked_for = policy.elapsed(stage_opened_at(updated), now)  # stage 2 counts from its start
    if silent and asked_for >= policy.reminder_after:
        mails.extend(
            MailSpec(
                "reminder",
                draft.id,
                draft.version,
                to=(person,),
                context={**ctx, "reviewer": person, **_stand_in_context(updated, person, r)},
                token_for=person,
            )
            for r in silent
            for person in people_for(updated, r)
        )
        updated = replace(updated, reminded=(*updated.reminded, *silent), reminded_at=now)
        events.append(_event("reminder_sent", draft, "gateway", now, reviewers=silent))
    elif updated.reminded_at is not None and (
        policy.elapsed(updated.reminded_at, now) >= policy.reminder_after
    ):
        asked = {r for r, _ in updated.alternates}
        for r in updated.waiting_on():
            if r not in updated.reminded or r in asked:
                continue
            alternate = next_alternate(updated, policy.accounts.get(draft.account, ()))
            updated = replace(updated, alternates=(*updated.alternates, (r, alternate)))
            if not alternate:
                events.append(_event("alternate_unavailable", draft, "gateway", now, reviewer=r))
                continue
            mails.append(
                MailSpec(
                    "reminder",
                    draft.id,
                    draft.version,
                    to=(alternate,),
                    context={**ctx, "reviewer": alternate, "alternate_for": r},
                    token_for=alternate,
                    attach_version=True,
                )
            )
            events.append(
                _event("alternate_asked", draft, "gateway", now, reviewer=r, alternate=alternate)
            )
    return _ticked(draft, updated, now, mails, events)


def _ticked(
    draft: Draft, updated: Draft, now: datetime, mails: list[MailSpec], events: list[AuditEvent]
) -> Outcome:
    if updated == draft:
        return Outcome()
    return Outcome(replace(updated, updated_at=now), tuple(mails), tuple(events))


def _staff_changes(
    draft: Draft, now: datetime, policy: Policy, mails: list[MailSpec], events: list[AuditEvent]
) -> Draft:
    """After a config edit: a waiting seat whose holder is no longer listed for the account
    moves to the next person; the new reviewer and the author are told."""
    if draft.account not in policy.accounts:
        return draft
    rules = policy.rules_for(draft.account)
    moves = staff_moves(draft, rules, policy.accounts[draft.account], policy.absences, now)
    for old, new in moves:
        if not new:
            if not any(e.action == "reviewer_left" for e in events):
                events.append(_event("reviewer_left", draft, "gateway", now, reviewer=old, to=""))
            continue
        draft = move_seat(draft, old, new, now, "left", mails, events)
    return draft


def _absences(
    draft: Draft, now: datetime, policy: Policy, mails: list[MailSpec], events: list[AuditEvent]
) -> Draft:
    """From the first day of a confirmed absence, a waiting seat goes to the deputy (代決):
    the deputy gets the request with the photos, the absent reviewer is told."""
    moves, nobody = deputy_moves(
        draft, policy.absences, now, policy.accounts.get(draft.account, ())
    )
    if not moves:
        return draft
    before = {s.seat: s.person for s in draft.stand_ins if s.person}
    draft = with_stand_ins(draft, moves)
    ctx = _base_context(draft)
    for move in moves:
        if not move.person:
            continue
        mails.extend(review_requests(draft, ctx, only=(move.person,)))
        away = before.get(move.seat, move.seat)  # the holder, or the deputy now away too
        mails.append(
            MailSpec(
                "reassigned",
                draft.id,
                draft.version,
                to=(away,),
                context={
                    **ctx,
                    "from_reviewer": away,
                    "to_reviewer": move.person,
                    "why": "absence",
                    "in_place_of": move.seat if away != move.seat else "",
                },
            )
        )
    events.append(route_event(draft, now, nobody))
    return draft


def _emergency_reminders(
    draft: Draft, now: datetime, policy: Policy, mails: list[MailSpec], events: list[AuditEvent]
) -> None:
    """緊急: everyone still asked is reminded every `emergency_reminder_minutes`, by the wall
    clock (nights, weekends and holidays included)."""
    every = policy.rules_for(draft.account).emergency_reminder
    last = draft.reminded_at or draft.current.received_at
    if now - last < every:
        return
    asked = asked_now(draft)
    if not asked:
        return
    ctx = _base_context(draft)
    for person, seat in asked:
        mails.append(
            MailSpec(
                "reminder",
                draft.id,
                draft.version,
                to=(person,),
                context={**ctx, "reviewer": person, **_stand_in_context(draft, person, seat)},
                token_for=person,
            )
        )
    events.append(
        _event(
            "reminder_sent",
            draft,
            "gateway",
            now,
            reviewers=[p for p, _ in asked],
            emergency=True,
        )
    )
