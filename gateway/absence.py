"""Planned absence (代決) and the 後閲 afterwards: the records' life, and their mails.

A reviewer away (leave, a business trip, the assembly session) names a deputy for a
date range. The admin sets it with `gateway absence add`; a reviewer sets it by mail
(「不在 12/24-12/27 代理 dairi@town.example.jp」), and it takes effect only once they
answer the gateway's confirmation mail, whose token is bound to their own address, so
nobody can set it for someone else. While it lasts, gateway.routing hands the
reviewer's waiting seats to the deputy. When it ends, the reviewer gets one 後閲 mail
listing what was decided in their place.

Decisions are pure; the message builders only render (the shell queues them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from gateway.records import Absence, Draft
from gateway.render import SENDER_NAME, domain_of, notice_mail, render_body
from gateway.routing import local_day, same_person, seat_of
from gateway.tokens import make_token, plus_address

PENDING, CONFIRMED, REMOVED, REPORTED, LAPSED = (
    "pending",
    "confirmed",
    "removed",
    "reported",
    "lapsed",
)
CONFIRM_WITHIN = timedelta(days=7)  # a mail-set absence not confirmed by then never counts
STATUS = "absence"
REPORT_STATUS = "absence-report"
WEEKDAYS = "月火水木金土日"


def day_label(day: date) -> str:
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def overlaps(a: Absence, b: Absence) -> bool:
    return a.start <= b.end and b.start <= a.end


def problem(
    reviewer: str, deputy: str, start: date, end: date, today: date, existing: Iterable[Absence]
) -> str | None:
    """Why this absence cannot be set (Japanese, for the reviewer or the admin), or None."""
    if same_person(reviewer, deputy):
        return "代理には、ご本人以外の方を指定してください。"
    if end < start:
        return "終わりの日が始まりの日より前になっています。"
    if end < today:
        return "過ぎた期間は設定できません。"
    for other in existing:
        live = other.state in (PENDING, CONFIRMED) and same_person(other.reviewer, reviewer)
        if live and other.start <= end and start <= other.end:
            return (
                f"同じ期間に重なる不在（{other.id}、{day_label(other.start)}〜"
                f"{day_label(other.end)}、代理 {other.deputy}）がすでにあります。"
                f"変えるときは、先に管理者に {other.id} の取り消しを依頼してください。"
            )
    return None


def confirm(absence: Absence, now: datetime) -> Absence | None:
    """The reviewer answered the confirmation in time: the absence counts from now on."""
    if absence.state != PENDING or now - absence.created_at > CONFIRM_WITHIN:
        return None
    return replace(absence, state=CONFIRMED)


def due_reports(absences: Sequence[Absence], now: datetime) -> list[Absence]:
    """Confirmed absences whose last day is over: their 後閲 mail is due."""
    today = local_day(now)
    return [a for a in absences if a.state == CONFIRMED and a.end < today]


def lapsed(absences: Sequence[Absence], now: datetime) -> list[Absence]:
    """Mail-set absences never confirmed in time."""
    return [a for a in absences if a.state == PENDING and now - a.created_at > CONFIRM_WITHIN]


def report_entries(absence: Absence, drafts: Iterable[Draft]) -> list[dict[str, Any]]:
    """What others decided in the absent reviewer's place during the absence (後閲): the
    named deputy, or whoever stood in when the deputy could not (the draft's author, away
    too) or after silence; one line per decision, oldest first."""
    out = []
    first = absence.start
    last = absence.end + timedelta(days=1)
    for d in drafts:
        seats = [*d.reviewers, *(m for st in d.stages for m in st.members)]
        seat = next((s for s in seats if same_person(s, absence.reviewer)), None)
        if seat is None:
            continue
        for v in d.votes:
            held = seat_of(d, v.reviewer)  # the stand-ins of the draft as it is now
            in_place = held == seat or (held is None and same_person(v.reviewer, absence.deputy))
            if same_person(v.reviewer, absence.reviewer) or not in_place:
                continue
            if not first <= local_day(v.at) < last:
                continue
            subject = next((x.subject for x in d.versions if x.number == v.version), "")
            out.append(
                {
                    "draft_id": d.id,
                    "by": v.reviewer,
                    "version": v.version,
                    "subject": subject,
                    "decision": str(v.decision),
                    "comment": v.comment,
                    "at": v.at.isoformat(timespec="minutes"),
                    "state": d.state,
                }
            )
    return sorted(out, key=lambda e: e["at"])


def context(absence: Absence, **extra: Any) -> dict[str, Any]:
    return {
        "absence_id": absence.id,
        "reviewer": absence.reviewer,
        "deputy": absence.deputy,
        "start": day_label(absence.start),
        "end": day_label(absence.end),
        **extra,
    }


def build_absence_message(
    status: str,
    kind: str,
    absence: Absence,
    ctx: dict[str, Any],
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    gateway_address: str,
    token_secret: bytes | None,
    now: datetime,
    template_dir: str | None = None,
) -> EmailMessage:
    """A mail about one absence (no draft): confirmation request, confirmed, refused, 後閲.
    A confirmation request carries a token bound to the reviewer's own address."""
    label = {"absence": "不在の設定", "absence-report": "後閲"}[status]
    domain = domain_of(gateway_address)
    token = None
    if kind == "request" and token_secret is not None:
        token = make_token(token_secret, absence.id, 1, absence.reviewer)
        message_id = f"<{absence.id}.{status}.{token}@{domain}>"
    else:
        tail = hashlib.sha256(f"{kind}|{','.join(to)}".encode()).hexdigest()[:10]
        message_id = f"<{absence.id}.{status}.{kind}.{tail}@{domain}>"
    subject = f"[{label} {absence.id}] {ctx['start']}〜{ctx['end']} 代理 {absence.deputy}"
    if kind == "unreadable":  # no absence was made: nothing to name but the way to write it
        subject = f"[{label}] 書き方をご確認ください"
        seed = f"{kind}|{','.join(to)}|{ctx.get('in_reply_to') or now.isoformat()}"
        message_id = f"<A-unreadable.{status}.{hashlib.sha256(seed.encode()).hexdigest()[:10]}@{domain}>"
    msg = notice_mail(
        ", ".join(to),
        subject,
        status,
        gateway_address,
        now,
        in_reply_to=ctx.get("in_reply_to"),
        message_id=message_id,
    )
    if cc:
        msg["Cc"] = ", ".join(cc)
    if token is not None:
        msg["Reply-To"] = Address(SENDER_NAME, addr_spec=plus_address(gateway_address, token))
    if absence.id:
        msg["X-Gateway-Absence"] = absence.id
    msg.set_content(render_body(status, {**ctx, "kind": kind}, template_dir), charset="utf-8")
    return msg
