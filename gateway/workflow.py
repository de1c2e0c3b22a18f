"""The approval state machine: (draft record, event) -> (new record, mails, audit events).

Pure: no network, no clock, no disk. The shell hands it what it read and the time,
and stores and sends what it returns. Every decision about who may decide what is
taken here, so the tests can drive whole conversations in memory.

States: in_review -> approved | returned | expired; rejected (the automatic check
or the account failed). A new version (a reply to `returned`, or a new draft with the
same subject from the same author) starts the approvals over; `withdrawn` when the author
takes it back (gateway.draft_commands).

Split by job: the records are in gateway.records, who is asked in gateway.routing, the
mails and audit events in gateway.route_mail, the clock in gateway.timers (re-exported
here), the commands on one draft in gateway.draft_commands.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gateway.approval_format import RECORD_FORMAT, RECORD_TYPE, attachment_entries
from gateway.model import Decision, Finding, Severity
from gateway.records import (  # noqa: F401  (re-exported: the workflow's vocabulary)
    APPROVED,
    EXPIRED,
    IN_REVIEW,
    OPEN_STATES,
    REJECTED,
    RETURNED,
    REVISABLE_STATES,
    WITHDRAWN,
    AttachmentRef,
    AuditEvent,
    Draft,
    MailSpec,
    NewDraft,
    Outcome,
    Policy,
    Reply,
    Version,
    Vote,
)
from gateway.route_mail import (  # noqa: F401  (re-exported)
    _base_context,
    _event,
    _finding_dicts,
    _stand_in_context,
    _why,
    move_seat,
    person_key,
    review_requests,
    route_event,
    route_of,
)
from gateway.route_mail import notice as send_notice
from gateway.routing import (
    Route,
    asked_now,
    deputy_moves,
    match_fixed_text,
    may_decide,
    open_stage_index,
    pick_pair,
    plan,
    progress,
    same_person,
    with_stand_ins,
)

# --------------------------------------------------------------------------- helpers

_SUBJECT_PREFIX = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|rif|返信|転送|回答)\s*[:：]\s*|\[[^\]]*\]\s*|【[^】]*】\s*)",
    re.IGNORECASE,
)


def normalize_subject(subject: str) -> str:
    """The subject without reply/forward prefixes and bracket tags, for matching versions."""
    s = unicodedata.normalize("NFKC", subject or "")
    while True:
        stripped = _SUBJECT_PREFIX.sub("", s, count=1)
        if stripped == s:
            break
        s = stripped
    return re.sub(r"\s+", " ", s).strip().lower()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def errors(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.severity == Severity.ERROR)


def diff_lines(old: str, new: str) -> list[str]:
    """A readable line diff for reviewers: `- ` removed, `+ ` added, nothing else."""
    out = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        if line.startswith(("- ", "+ ")):
            out.append(line)
    return out


def pick_reviewers(candidates: Sequence[str], author: str) -> tuple[str, ...]:
    """The first two listed reviewers who are not the author."""
    return pick_pair(candidates, author)


# --------------------------------------------------------------------------- draft arrival


def find_previous(author: str, subject: str, drafts: Sequence[Draft]) -> Draft | None:
    """The author's draft this one revises: same author, same subject, still revisable."""
    key = normalize_subject(subject)
    if not key:
        return None
    matches = [
        d
        for d in drafts
        if person_key(d.author) == person_key(author)
        and d.state in REVISABLE_STATES
        and normalize_subject(d.current.subject) == key
    ]
    return max(matches, key=lambda d: d.updated_at, default=None)


def on_new_draft(event: NewDraft, previous: Draft | None, new_id: str, policy: Policy) -> Outcome:
    """A draft arrived: reject it, or open (or re-open) its review with two reviewers."""
    account = event.account
    if account is None and previous is not None:
        account = previous.account
    if account is None and len(policy.accounts) == 1:
        account = next(iter(policy.accounts))

    number = previous.version + 1 if previous else 1
    version = Version(
        number=number,
        text=event.text,
        text_sha256=text_sha256(event.text),
        subject=event.subject,
        message_id=event.message_id,
        received_at=event.at,
        findings=event.findings,
        attachments=event.attachments,
        schedule=event.schedule,
    )
    base = previous or Draft(
        id=new_id,
        author=event.author,
        author_name=event.author_name,
        account=account or "",
        state=IN_REVIEW,
        reviewers=(),
        versions=(),
        created_at=event.at,
        updated_at=event.at,
    )
    thread = tuple(dict.fromkeys((*base.thread, *event.references, event.message_id)))
    draft = replace(
        base,
        account=account or "",
        versions=(*base.versions, version),
        updated_at=event.at,
        reminded=(),
        reminded_at=None,
        alternates=(),
        thread=thread,
        reason="",
    )

    if account is None:
        draft = replace(draft, state=REJECTED, reason="account-missing")
        mail = MailSpec(
            "clarify",
            draft.id,
            number,
            to=(event.author,),
            context={
                **_base_context(draft),
                "reason": "account-missing",
                "accounts": list(policy.accounts),
            },
            token_for=event.author,
        )
        return Outcome(
            draft, (mail,), (_event("draft_needs_account", draft, event.author, event.at),)
        )

    problems = list(errors(event.findings))
    reason = ""
    if account not in policy.accounts:
        reason = "account-unknown"
    elif not problems:
        route = choose_route(event, previous, account, policy)
        if route is None:
            reason = "no-reviewers"
        else:
            draft = replace(
                draft,
                reviewers=route.reviewers,
                stages=route.stages,
                at_least_one_of=route.at_least_one_of,
                emergency=route.emergency,
                fixed_text=route.fixed_text,
                stand_ins=(),
            )

    if problems or reason:
        draft = replace(draft, state=REJECTED, reason=reason or "check-error")
        ctx = {
            **_base_context(draft),
            "reason": draft.reason,
            "errors": _finding_dicts(problems),
            "accounts": list(policy.accounts),
        }
        mail = MailSpec(
            "rejected", draft.id, number, to=(event.author,), context=ctx, token_for=event.author
        )
        return Outcome(
            draft,
            (mail,),
            (
                _event(
                    "draft_rejected",
                    draft,
                    event.author,
                    event.at,
                    version=number,
                    reason=draft.reason,
                    clauses=sorted({f.clause or "-" for f in problems}),
                ),
            ),
        )

    draft = replace(draft, state=IN_REVIEW)
    candidates = policy.accounts.get(draft.account, ())
    deputies, nobody = deputy_moves(draft, policy.absences, event.at, candidates)
    draft = replace(draft, stand_ins=tuple(deputies))
    ctx = _base_context(draft)
    events: list[AuditEvent] = []
    mails: list[MailSpec] = []
    if previous is not None:
        ctx["previous_version"] = previous.version
        ctx["diff"] = diff_lines(previous.current.text, event.text)
        if previous.account and previous.account != account:
            # The revision names another account: that account's reviewers decide, from
            # scratch; those of the old account are told they need not answer any more.
            ctx["previous_account"] = previous.account
            dropped = [r for r in previous.deciders if r not in draft.reviewers]
            events.append(
                _event(
                    "draft_account_changed",
                    draft,
                    event.author,
                    event.at,
                    version=number,
                    previous_account=previous.account,
                    account=account,
                    previous_reviewers=list(previous.reviewers),
                    reviewers=list(draft.reviewers),
                )
            )
            mails.extend(
                MailSpec(
                    "notice",
                    draft.id,
                    number,
                    to=(r,),
                    context={**ctx, "reason": "account-changed", "token_version": previous.version},
                )
                for r in dropped
            )
    if event.emergency and not draft.emergency:
        ctx["emergency_refused"] = True
    asked = [p for p, _ in asked_now(draft)]  # deputies in place of absent reviewers
    mails.insert(
        0,
        MailSpec(
            "received",
            draft.id,
            number,
            to=(event.author,),
            context={**ctx, "reviewers": asked} if draft.stand_ins else ctx,
            token_for=event.author,
        ),
    )
    mails.extend(review_requests(draft, ctx))
    if draft.emergency and policy.admin:
        mails.append(
            MailSpec(
                "emergency",
                draft.id,
                number,
                to=(policy.admin,),
                context=ctx,
                token_for=policy.admin,
            )
        )  # with a token: an answer from the admin is logged, never taken for a new draft
    action = "draft_revised" if previous else "draft_received"
    return Outcome(
        draft,
        tuple(mails),
        (
            *events,
            _event(
                action,
                draft,
                event.author,
                event.at,
                version=number,
                account=account,
                reviewers=list(draft.reviewers),
                text_sha256=version.text_sha256,
                warnings=len(ctx["warnings"]),
            ),
            route_event(draft, event.at, nobody),
        ),
    )


def choose_route(
    event: NewDraft, previous: Draft | None, account: str, policy: Policy
) -> Route | None:
    """The route of a new version: the account's rules, or the fixed pair as before (kept
    across versions unless the author or someone no longer listed is in it)."""
    rules = policy.rules_for(account)
    candidates = policy.accounts[account]
    emergency = event.emergency and rules.emergency
    if emergency or rules.stages:
        fixed = match_fixed_text(event.text, rules.fixed_texts) if emergency else None
        return plan(rules, candidates, event.author, emergency=emergency, fixed=fixed)
    reviewers = previous.reviewers if previous and previous.reviewers else ()
    if previous is not None and (
        previous.stages or previous.emergency or previous.account != account
    ):
        # Another account (a revision naming it) is that account's reviewers' decision,
        # from scratch: a draft's reviewers always belong to its account, so the signed
        # record never names one account with another account's approvals.
        reviewers = ()
    listed = [*candidates]
    if (
        len(reviewers) != 2
        or any(same_person(r, event.author) for r in reviewers)
        or not all(any(same_person(r, c) for c in listed) for r in reviewers)
    ):
        return plan(rules, candidates, event.author)
    return Route((), reviewers, rules.at_least_one_of)


# --------------------------------------------------------------------------- replies


def _approval(draft: Draft, seat: str, vote: Vote) -> dict[str, Any]:
    out: dict[str, Any] = {
        "reviewer": vote.reviewer,  # who approved: the reviewer or whoever stood in
        "decision": "approve",
        "at": vote.at.isoformat(),
        "message_id": vote.message_id,
    }
    if vote.reviewer != seat:
        out["in_place_of"] = seat
        out["why"] = _why(draft, seat, vote.reviewer)
    return out


def approval_record(draft: Draft, at: datetime) -> dict[str, Any]:
    """The canonical facts of an approval; the shell signs exactly this. Beyond the fixed
    pair, it carries the route: the rules applied, each approval's stage, emergency, 定型文."""
    record: dict[str, Any] = {
        "type": RECORD_TYPE,
        "format": RECORD_FORMAT,
        "draft_id": draft.id,
        "version": draft.version,
        "account": draft.account,
        "subject": draft.current.subject,
        "text_sha256": draft.current.text_sha256,
        "attachments": attachment_entries(draft.current.attachments),  # photos are signed too
        "author": draft.author,
    }
    if not draft.stages:
        votes = draft.slot_votes(draft.version)
        record["approvals"] = [_approval(draft, r, votes[r]) for r in draft.reviewers]
    else:
        stages = draft.stages
        record["approvals"] = [
            {**_approval(draft, seat, vote), "stage": i + 1, "stage_name": stages[i].name}
            for i, seat, vote in progress(draft).approvals
        ]
        record["route"] = route_of(draft).describe()
    record["approved_at"] = at.isoformat()
    return record


def on_reply(draft: Draft, reply: Reply, policy: Policy | None = None) -> Outcome:
    """A reviewer answered with a token made for them. Decide whether and how it counts.

    `policy` (its absences) is needed when an approval opens the next stage."""
    sender, at = reply.sender, reply.at
    ctx = _base_context(draft)

    def notice(reason: str, action: str) -> Outcome:
        return send_notice(
            draft,
            sender,
            reason,
            at,
            reply.message_id,
            action,
            token_version=reply.token_version,
            decision=str(reply.reading_decision),
        )

    if same_person(sender, draft.author):
        if draft.state == WITHDRAWN:  # perhaps a corrected text: say where it must go
            return notice("withdrawn-author", "author_reply_after_withdrawal")
        return _author_reply(draft, reply)
    if not may_decide(draft, sender):
        return Outcome(
            None,
            (),
            (
                _event(
                    "reply_not_counted",
                    draft,
                    sender,
                    at,
                    reason="not-a-reviewer",
                    message_id=reply.message_id,
                ),
            ),
        )
    if draft.state == WITHDRAWN:
        return notice("withdrawn", "reply_late")
    if draft.state != IN_REVIEW:
        return notice("already-decided", "reply_late")
    if reply.token_version != draft.version:
        return notice("old-version", "reply_old_version")

    if reply.reading_decision == Decision.UNCLEAR:
        mail = MailSpec(
            "clarify",
            draft.id,
            draft.version,
            to=(sender,),
            context={**ctx, "reason": "unclear", "reviewer": sender, "their_words": reply.comment},
            token_for=sender,
            in_reply_to=reply.message_id,
        )
        return Outcome(
            None,
            (mail,),
            (_event("reply_unclear", draft, sender, at, message_id=reply.message_id),),
        )

    previous = draft.votes_for(draft.version).get(sender)
    if previous is not None and previous.decision == reply.reading_decision:
        return notice("duplicate", "reply_duplicate")

    vote = Vote(sender, reply.reading_decision, draft.version, at, reply.message_id, reply.comment)
    draft = replace(draft, votes=(*draft.votes, vote), updated_at=at)
    receipt = MailSpec(
        "receipt",
        draft.id,
        draft.version,
        to=(sender,),
        context={**ctx, "decision": str(vote.decision), "comment": vote.comment},
        in_reply_to=reply.message_id,
    )
    counted = _event(
        "decision_counted",
        draft,
        sender,
        at,
        decision=str(vote.decision),
        version=draft.version,
        message_id=reply.message_id,
        comment=vote.comment,
    )

    if vote.decision == Decision.SEND_BACK:
        draft = replace(draft, state=RETURNED, reason=vote.comment)
        others = tuple(r for r in draft.deciders if r != sender)
        returned = MailSpec(
            "returned",
            draft.id,
            draft.version,
            to=(draft.author,),
            cc=others,
            context={**ctx, "reviewer": sender, "comment": vote.comment},
            token_for=draft.author,
        )
        return Outcome(
            draft,
            (returned, receipt),
            (counted, _event("draft_returned", draft, sender, at, version=draft.version)),
        )

    if is_approved(draft):
        record = approval_record(draft, at)
        draft = replace(draft, state=APPROVED)
        approved = MailSpec(
            "approved",
            draft.id,
            draft.version,
            to=(draft.author,),
            cc=draft.deciders,
            context={**ctx, "approvals": record["approvals"]},
            attach_version=True,  # the photos travel with the record that signs them
            approval_record=record,
            token_for=draft.author,
        )
        return Outcome(
            draft,
            (approved,),
            (counted, _event("draft_approved", draft, sender, at, version=draft.version)),
        )
    before = open_stage_index(replace(draft, votes=draft.votes[:-1]))
    if open_stage_index(draft) > before:
        return _open_next_stage(draft, receipt, counted, at, policy)
    return Outcome(draft, (receipt,), (counted,))


def _open_next_stage(
    draft: Draft, receipt: MailSpec, counted: AuditEvent, at: datetime, policy: Policy | None
) -> Outcome:
    """Stage k is complete: stage k+1 is asked now (deputies for its absent members)."""
    absences = policy.absences if policy else ()
    candidates = policy.accounts.get(draft.account, ()) if policy else ()
    deputies, nobody = deputy_moves(draft, absences, at, candidates)
    draft = with_stand_ins(draft, deputies)
    requests = review_requests(draft, _base_context(draft))
    return Outcome(draft, (receipt, *requests), (counted, route_event(draft, at, nobody)))


def is_approved(draft: Draft) -> bool:
    """Every stage complete by different people (two at least, or one for a 定型文), none the
    author, with the required role if any (gateway.routing)."""
    return progress(draft).complete


def _author_reply(draft: Draft, reply: Reply) -> Outcome:
    """The author answered one of our mails. A revision is handled as a NewDraft by the shell;
    anything else from the author is recorded and never counts as a decision."""
    return Outcome(
        None,
        (),
        (
            _event(
                "reply_not_counted",
                draft,
                reply.sender,
                reply.at,
                reason="author-cannot-decide",
                message_id=reply.message_id,
                decision=str(reply.reading_decision),
            ),
        ),
    )


def unmatched_reply(
    draft: Draft | None, sender: str, message_id: str, reason: str, at: datetime
) -> Outcome:
    """A reply whose token is missing or not made for its From. It never counts.

    When the sender is a current reviewer of the draft, they are told how to answer;
    nobody else gets mail (no backscatter to forged or foreign addresses).
    """
    event = _event("reply_not_counted", draft, sender, at, reason=reason, message_id=message_id)
    if draft is None or draft.state != IN_REVIEW or draft.slot_of(sender) is None:
        return Outcome(None, (), (event,))
    mail = MailSpec(
        "clarify",
        draft.id,
        draft.version,
        to=(sender,),
        context={**_base_context(draft), "reason": "no-token", "reviewer": sender},
        token_for=sender,
        attach_version=False,
        in_reply_to=message_id,
    )
    return Outcome(None, (mail,), (event,))


# The clock's transitions live in gateway.timers; re-exported as the workflow's own.
from gateway.timers import next_alternate, on_tick, schedule_passed  # noqa: E402, F401
