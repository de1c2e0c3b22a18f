"""Commands on one draft: the author's 状況 and 取り下げ, a reviewer's 再送, the admin's
reassign. Pure transitions, like gateway.workflow: (draft, who, when) -> Outcome.

Who may do what: 取り下げ only the author (their token proves it); 状況 the author or
anyone asked on the draft, answered to their own address; 再送 only someone asked now,
sent to that person's configured address (a forged 再送 only repeats a request to the
right person). Reassign is the admin's (the CLI), logged with the admin as actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gateway.model import Decision
from gateway.records import (
    APPROVED,
    EXPIRED,
    IN_REVIEW,
    REJECTED,
    RETURNED,
    WITHDRAWN,
    AuditEvent,
    Draft,
    MailSpec,
    Outcome,
)
from gateway.route_mail import notice
from gateway.routing import (
    asked_now,
    deciders,
    progress,
    same_person,
    seat_of,
    seat_votes,
    stage_opened_at,
    stages_of,
    waiting_seats,
)
from gateway.workflow import _base_context, _event, move_seat, review_requests

STATE_LABELS = {
    IN_REVIEW: "確認中",
    APPROVED: "承認済み",
    RETURNED: "差戻し",
    REJECTED: "要修正（確認者には送っていません）",
    EXPIRED: "期限切れ",
    WITHDRAWN: "取り下げ",
}
WITHDRAWABLE = (IN_REVIEW, RETURNED, REJECTED)


def _since(draft: Draft, seat: str, person: str) -> datetime:
    """When `person` was asked for `seat` on the current version."""
    for s in draft.stand_ins:
        if s.seat == seat and s.person == person:
            return s.at
    for silent, alternate in draft.alternates:
        if silent == seat and alternate == person:
            return draft.updated_at
    return stage_opened_at(draft)


def status_report(draft: Draft, asker: str, at: datetime, message_id: str) -> Outcome:
    """状況: who approved, who is still asked and since when, answered to the asker."""
    ctx: dict[str, Any] = _base_context(draft)
    votes = seat_votes(draft, draft.version)
    approved = [
        {
            "reviewer": v.reviewer,
            "at": v.at.isoformat(),
            "in_place_of": seat if v.reviewer != seat else "",
        }
        for seat, v in votes.items()
        if v.decision == Decision.APPROVE
    ]
    asked = [
        {
            "person": person,
            "since": _since(draft, seat, person).isoformat(),
            "in_place_of": seat if person != seat else "",
        }
        for person, seat in asked_now(draft)
    ]
    stages = stages_of(draft)
    stage_label = ""
    if len(stages) > 1 and draft.state == IN_REVIEW:
        current = min(progress(draft).current, len(stages) - 1)
        stage_label = f"{current + 1}/{len(stages)}（{stages[current].name}）"
    mail = MailSpec(
        "status-report",
        draft.id,
        draft.version,
        to=(asker,),
        context={
            **ctx,
            "asker": asker,
            "state_label": STATE_LABELS.get(draft.state, draft.state),
            "approved_by": approved,
            "asked": asked,
            "stage_label": stage_label,
        },
        # The author's token never decides; a reviewer's would, on a mail without the text.
        token_for=asker if same_person(asker, draft.author) else None,
        in_reply_to=message_id,
    )
    event = _event(
        "status_reported",
        draft,
        asker,
        at,
        version=draft.version,
        state=draft.state,
        asked=[a["person"] for a in asked],
        message_id=message_id,
    )
    return Outcome(None, (mail,), (event,))


def withdraw(draft: Draft, author: str, at: datetime, message_id: str) -> Outcome:
    """取り下げ: the author takes the draft back; everyone asked is told; later decisions
    get a polite notice (workflow.on_reply)."""
    if not same_person(author, draft.author):
        return Outcome(
            None,
            (),
            (
                _event(
                    "command_refused",
                    draft,
                    author,
                    at,
                    command="withdraw",
                    reason="not-the-author",
                ),
            ),
        )
    if draft.state not in WITHDRAWABLE:
        return notice(draft, author, "cannot-withdraw", at, message_id, "command_refused")
    told = deciders(draft) if draft.state == IN_REVIEW else ()
    done = replace(draft, state=WITHDRAWN, updated_at=at, reason="withdrawn")
    ctx = _base_context(done)
    mail = MailSpec(
        "withdrawn",
        draft.id,
        draft.version,
        to=(draft.author,),
        cc=told,
        context=ctx,
        in_reply_to=message_id,
    )
    event = _event(
        "draft_withdrawn",
        draft,
        author,
        at,
        version=draft.version,
        told=list(told),
        message_id=message_id,
    )
    return Outcome(done, (mail,), (event,))


def resend(draft: Draft, sender: str, at: datetime, message_id: str) -> Outcome:
    """再送: someone asked now gets the request again (with the photos), at the address the
    gateway asked; anyone else is told there is nothing to resend, or nothing happens."""
    pairs = [(p, s) for p, s in asked_now(draft) if same_person(p, sender)]
    if draft.state != IN_REVIEW or not pairs:
        if seat_of(draft, sender) is None and not same_person(sender, draft.author):
            return Outcome(
                None,
                (),
                (
                    _event(
                        "command_refused", draft, sender, at, command="resend", reason="not-asked"
                    ),
                ),
            )
        return notice(draft, sender, "not-asked", at, message_id, "command_refused")
    person = pairs[0][0]
    mails = [
        replace(m, in_reply_to=message_id)
        for m in review_requests(draft, _base_context(draft), only=(person,))
    ]
    event = _event(
        "request_resent", draft, person, at, version=draft.version, message_id=message_id
    )
    return Outcome(None, tuple(mails), (event,))


def reassign(
    draft: Draft,
    old: str,
    new: str,
    at: datetime,
    actor: str = "admin",
    listed: Sequence[str] | None = None,
) -> Outcome | str:
    """`gateway reassign D-000042 --from A --to B`: B takes A's waiting seat (this and later
    versions). B must be listed for the account (`listed`), or the next staff-change check
    would move the seat on again. Returns a Japanese reason instead when it cannot be done."""
    if draft.state != IN_REVIEW:
        return (
            f"{draft.id} は確認中ではありません（{STATE_LABELS.get(draft.state, draft.state)}）。"
        )
    seat = next((s for s in waiting_seats(draft) if same_person(s, old)), None)
    if seat is None:
        if seat_of(draft, old) is not None:
            return f"{old} さんは {draft.id} 第{draft.version}版をすでに判断したか、まだ依頼されていません。"
        return f"{old} さんは {draft.id} の確認者ではありません。"
    if same_person(new, draft.author):
        return f"{new} さんは作成者なので、確認者にはできません。"
    if seat_of(draft, new) is not None:
        return f"{new} さんはすでに {draft.id} の確認者です。"
    if listed is not None and not any(same_person(new, p) for p in listed):
        return (
            f"{new} さんは {draft.account} の確認者として設定ファイルに登録されていません。"
            "先に [[accounts]] の reviewers に加えてください。"
        )
    mails: list[MailSpec] = []
    events: list[AuditEvent] = []
    moved = move_seat(draft, seat, new, at, "reassign", mails, events, actor=actor)
    return Outcome(replace(moved, updated_at=at), tuple(mails), tuple(events))
