"""The admin's daily digest: what waits on whom, the decisions since the last digest,
and which guideline clauses sent drafts back.

Sent once per business day at `[admin] digest_time` (or at the first tick after it);
the day it was last sent is stored, so a restart does not send it twice, and its
Message-ID is fixed per day, so a digest queued twice is one mail. Deciding and
building the context are pure; only `queue_digest` touches the store.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from gateway.businessdays import WorkCalendar
from gateway.render import SUBJECT_LABELS, domain_of, templated_notice
from gateway.workflow import IN_REVIEW, AuditEvent, Draft

if TYPE_CHECKING:
    from gateway.pipeline import Gateway
    from gateway.store import Store

log = logging.getLogger(__name__)

STATUS = "digest"
META_KEY = "digest"
WEEKDAYS = "月火水木金土日"
_MAIL_LABELS = {**SUBJECT_LABELS, STATUS: "日報"}
#: A mail the SMTP server has deferred for this long is shown to the admin.
STUCK_AFTER = timedelta(hours=1)
DECISION_LABELS = {"approve": "承認", "send_back": "差戻し"}
OUTCOME_LABELS = {
    "draft_approved": "承認済",
    "draft_returned": "差戻し",
    "draft_rejected": "要修正（自動確認・受付できず）",
    "draft_expired": "期限切れ",
    "draft_withdrawn": "取り下げ",
    "reviewer_replaced": "確認者の変更（異動・管理者の操作）",
    "absence_confirmed": "不在の設定（メール）",
    "absence_set": "不在の設定（管理者）",
}
REASON_LABELS = {
    "check-error": "自動確認のエラー",
    "account-unknown": "アカウント名の誤り",
    "account-missing": "アカウントの指定なし",
    "no-reviewers": "確認者の不足",
}


def day_label(day: date) -> str:
    """11月24日（火）"""
    return f"{day.month}月{day.day}日（{WEEKDAYS[day.weekday()]}）"


def moment_label(moment: datetime) -> str:
    """11/24（火）09:05 — short enough for a phone screen."""
    return f"{moment.month}/{moment.day}（{WEEKDAYS[moment.weekday()]}）{moment:%H:%M}"


def digest_due(now: datetime, last_sent: datetime | None, at: time, calendar: WorkCalendar) -> bool:
    """On a business day, from `at` on, unless one went out today already."""
    local = calendar.local(now)
    if not calendar.is_business_day(local.date()) or local.time() < at:
        return False
    return last_sent is None or calendar.local(last_sent).date() != local.date()


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    return f"{h}時間{m:02d}分" if m else f"{h}時間"


def _undelivered(
    outbox: Iterable[Mapping[str, Any]],
    subjects: Mapping[str, str],
    since: datetime,
    now: datetime,
    calendar: WorkCalendar,
) -> list[dict[str, Any]]:
    """Mail the SMTP server refused since the last digest (a typo in an address …), and
    mail it keeps deferring (a full mailbox …): the admin is the one who can act on them."""
    out = []
    for m in outbox:
        status, attempts = m.get("status"), int(m.get("attempts") or 0)
        if status == "failed":
            at = _instant(m.get("failed_at"), calendar)
            if at is None or not since <= at < now:
                continue
            state = "送れませんでした（宛先が受け取りを断りました）"
        elif status == "pending" and attempts > 0:
            queued = _instant(m.get("created"), calendar)
            if queued is None or now - queued < STUCK_AFTER:
                continue  # a passing refusal: the outbox will get it through
            state = f"再送を続けています（{attempts}回断られました）"
        else:
            continue
        draft_id = m.get("draft_id") or ""
        out.append(
            {
                "draft_id": draft_id,
                "subject": subjects.get(draft_id, ""),
                "label": _MAIL_LABELS.get(str(m.get("mail_status")), str(m.get("mail_status"))),
                "to": "、".join(m.get("recipients") or ()),
                "state": state,
                "error": str(m.get("last_error") or ""),
            }
        )
    return out


def _bounced(
    events: Iterable[Mapping[str, Any]], since: datetime, now: datetime, calendar: WorkCalendar
) -> list[dict[str, Any]]:
    """Mail a server accepted and bounced later (a mistyped address on another server, a
    full mailbox): the bounce names who did not receive it (`automail.failed_recipients`)."""
    out = []
    for e in events:
        if e.get("action") != "bounce_received":
            continue
        recipients = (e.get("detail") or {}).get("recipients") or ()
        at = _instant(e.get("at"), calendar)
        if not recipients or at is None or not since <= at < now:
            continue
        out.append(
            {
                "draft_id": "",
                "subject": "",
                "label": "返送されたメール",
                "to": "、".join(recipients),
                "state": "届きませんでした（相手のサーバーから返送）",
                "error": str((e.get("detail") or {}).get("subject") or ""),
            }
        )
    return out


def _instant(value: object, calendar: WorkCalendar) -> datetime | None:
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return at if at.tzinfo is not None else at.replace(tzinfo=calendar.tz)


def build_digest_context(
    drafts: Sequence[Draft],
    events: Iterable[Mapping[str, Any]],
    since: datetime,
    now: datetime,
    calendar: WorkCalendar,
    outbox: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Everything the digest template shows; no draft text (subjects only)."""
    events = list(events)
    local_now = calendar.local(now)
    subjects = {d.id: d.current.subject for d in drafts}
    waiting = []
    for d in sorted(
        (d for d in drafts if d.state == IN_REVIEW), key=lambda d: d.current.received_at
    ):
        people = []
        for r in d.waiting_on():
            alt = d.alternate_for(r)
            people.append(f"{r}（代理: {alt}）" if alt else r)
        waiting.append(
            {
                "draft_id": d.id,
                "version": d.version,
                "subject": d.current.subject,
                "account": d.account,
                "author": d.author_name or d.author,
                "since": moment_label(calendar.local(d.current.received_at)),
                "working": _hours(calendar.working_time(d.current.received_at, now)),
                "waiting_on": people,
                "reminded": bool(d.reminded),
            }
        )

    decisions = []
    outcomes: Counter[str] = Counter()
    clauses: Counter[str] = Counter()
    deferred: Counter[str] = Counter()
    unproven: list[dict[str, str]] = []
    for e in events:
        at = _instant(e.get("at"), calendar)
        if at is None or not since <= at < now:
            continue
        action, detail = e.get("action"), e.get("detail") or {}
        draft_id = e.get("draft_id") or ""
        if action == "decision_counted":
            decisions.append(
                {
                    "at": moment_label(calendar.local(at)),
                    "draft_id": draft_id,
                    "subject": subjects.get(draft_id, ""),
                    "who": e.get("actor", ""),
                    "decision": DECISION_LABELS.get(detail.get("decision"), "?"),
                }
            )
        if action == "rate_deferred":
            deferred[e.get("actor", "")] += 1
        unproven_what = _unproven(action, detail)
        if unproven_what:
            unproven.append(
                {
                    "at": moment_label(calendar.local(at)),
                    "who": e.get("actor") or "-",
                    "subject": detail.get("subject") or subjects.get(draft_id, ""),
                    "what": unproven_what,
                }
            )
        if action in OUTCOME_LABELS:
            outcomes[OUTCOME_LABELS[action]] += 1
        if action == "draft_rejected":
            found = [c for c in detail.get("clauses", ()) if c and c != "-"]
            if found:
                clauses.update(f"指針{c}" for c in found)
            else:
                clauses[REASON_LABELS.get(detail.get("reason"), "その他")] += 1
    return {
        "date": day_label(local_now.date()),
        "since": moment_label(calendar.local(since)),
        "waiting": waiting,
        "decisions": decisions,
        "outcomes": [{"label": k, "count": v} for k, v in outcomes.most_common()],
        "rejections": [{"label": k, "count": v} for k, v in clauses.most_common()],
        "undelivered": _undelivered(outbox, subjects, since, now, calendar)
        + _bounced(events, since, now, calendar),
        "deferred": [{"sender": k, "count": v} for k, v in deferred.most_common()],
        "unproven": unproven,
    }


def _unproven(action: object, detail: Mapping[str, Any]) -> str:
    """What was refused because its sender could not be proven (forged From, odd address):
    nobody else is told of these, so the admin must be (SECURITY.md)."""
    if action == "draft_not_authenticated":
        return "投稿案（送信元のサーバーを確認できず、転送していません）"
    if action == "reply_not_counted" and detail.get("reason") == "not-authenticated":
        return "返信（送信元のサーバーを確認できず、数えていません）"
    on_behalf = detail.get("on_behalf") if action == "other_ignored" else None
    if isinstance(on_behalf, Mapping):  # gateway.onbehalf
        told = detail.get("told") or ()
        told = f"、{'・'.join(map(str, told))} に知らせました" if told else ""
        return (
            f"{on_behalf.get('sender')} から {on_behalf.get('from')} の名義で送られたメール"
            f"（代理の送信のため処理していません{told}）"
        )
    if action == "other_ignored" and any(
        str(p).startswith("From refused") for p in detail.get("problems", ())
    ):
        return "差出人アドレスの形が不正なメール（処理していません）"
    return ""


def build_digest_message(
    context: Mapping[str, Any],
    *,
    to: str,
    gateway_address: str,
    now: datetime,
    day: date,
    template_dir: str | None = None,
) -> EmailMessage:
    """The digest mail. It concerns no one draft, so it has no X-Gateway-Draft."""
    n = len(context.get("waiting", ()))
    return templated_notice(
        to,
        f"[日報] {context['date']} 確認待ち {n}件",
        STATUS,
        dict(context),
        gateway_address,
        now,
        template_dir,
        message_id=f"<digest.{day.isoformat()}@{domain_of(gateway_address)}>",
    )


# --------------------------------------------------------------------------- the shell


def _meta_docs(store: Store) -> list[Any]:
    return store.meta.search(lambda d: d.get("key") == META_KEY)


def last_sent(store: Store) -> datetime | None:
    """When the last digest was queued (kept in the state, so a restart knows)."""
    docs = _meta_docs(store)
    value = docs[0].get("last_sent") if docs else None
    return datetime.fromisoformat(value) if value else None


def _remember_sent(store: Store, now: datetime) -> None:
    docs = _meta_docs(store)
    if docs:
        store.meta.update({"last_sent": now.isoformat()}, doc_ids=[docs[0].doc_id])
    else:
        store.meta.insert({"key": META_KEY, "last_sent": now.isoformat()})


def queue_digest(gateway: Gateway, now: datetime) -> bool:
    """Inside the caller's store transaction: queue today's digest when it is due."""
    settings = gateway.settings
    calendar = gateway.policy.calendar or WorkCalendar()
    store = gateway.store
    if not settings.admin_address:
        return False
    previous = last_sent(store)
    if not digest_due(now, previous, settings.digest_time, calendar):
        return False
    since = previous or now - timedelta(days=1)
    context = build_digest_context(
        store.all_drafts(), store.all_events(), since, now, calendar, store.outbox_entries()
    )
    day = calendar.local(now).date()
    msg = build_digest_message(
        context,
        to=settings.admin_address,
        gateway_address=gateway.address,
        now=now,
        day=day,
        template_dir=settings.templates_dir,
    )
    gateway.queue_standalone(msg, STATUS, [settings.admin_address], now)
    _remember_sent(store, now)
    store.add_event(
        AuditEvent(
            "digest_queued",
            None,
            "gateway",
            now,
            {"to": settings.admin_address, "waiting": len(context["waiting"])},
        )
    )
    log.info(
        "event=digest_queued to=%s waiting=%d", settings.admin_address, len(context["waiting"])
    )
    return True
