"""Sample mails of the section rules (issue 11), for `gateway templates check` and start-up.

Every mail the routing, the absence desk and the draft commands can send, in each
variant its template branches on, made by the real pure code from sample data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from gateway import absence as ab
from gateway.businessdays import JST, WorkCalendar
from gateway.draft_commands import notice, reassign, resend, status_report, withdraw
from gateway.mail_samples import SAMPLE_PHOTO
from gateway.model import Decision
from gateway.records import (
    Absence,
    AccountRules,
    AttachmentRef,
    Draft,
    FixedText,
    MailSpec,
    NewDraft,
    Outcome,
    Policy,
    Reply,
    Stage,
)
from gateway.workflow import on_new_draft, on_reply, on_tick

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=JST)
AUTHOR = "sato@town.example.jp"
R1, R2, R3, R4 = (
    "kacho@town.example.jp",
    "kakaricho@town.example.jp",
    "dairi@town.example.jp",
    "hosa@town.example.jp",
)
FIXED = FixedText(
    "避難所開設", "【避難所開設】{日時}から{場所}を避難所として開設しました。", (R1, R2)
)
TEXT = "【防災訓練のお知らせ】\n12月6日（日）午前9時から、町内全域で防災訓練を行います。"


def _new(text: str, subject: str = "防災訓練のお知らせ", *, emergency: bool = False) -> NewDraft:
    return NewDraft(
        author=AUTHOR,
        author_name="佐藤 花子",
        subject=subject,
        message_id="<rule-sample@town.example.jp>",
        references=(),
        text=text,
        account="辰野町公式X",
        schedule=None,
        findings=(),
        attachments=(
            AttachmentRef(
                "photo.jpg",
                "image/jpeg",
                hashlib.sha256(SAMPLE_PHOTO).hexdigest(),  # what check_templates attaches
                len(SAMPLE_PHOTO),
            ),
        ),
        at=T0,
        emergency=emergency,
    )


def _reply(d: Draft, who: str, hours: int, decision: Decision = Decision.APPROVE) -> Reply:
    return Reply(
        who, d.id, d.version, decision, "", f"<s-{who}-{hours}@x>", T0 + timedelta(hours=hours)
    )


def _policy(rules: AccountRules, absences: tuple[Absence, ...] = ()) -> Policy:
    cal = WorkCalendar()
    return Policy(
        accounts={"辰野町公式X": (R1, R2, R3, R4)},
        expire_after=7 * cal.day_length,
        calendar=cal,
        rules={"辰野町公式X": rules},
        admin="somu@town.example.jp",
        absences=absences,
    )


def sample_rule_mails() -> Iterator[tuple[str, MailSpec, Draft]]:
    def each(outcome: Outcome, before: Draft | None, label: str) -> Iterator:
        for spec in outcome.mails:
            yield f"{spec.status}（{label}）", spec, outcome.draft or before

    staged = _policy(AccountRules(stages=(Stage((R2,), 1, "係長"), Stage((R1, R4), 1, "課長"))))
    opened = on_new_draft(_new(TEXT), None, "D-000050", staged)
    d = opened.draft
    yield from each(opened, None, "段階")
    second = on_reply(d, _reply(d, R2, 1), staged)
    yield from each(second, d, "第2段階")
    d2 = second.draft
    yield from each(on_reply(d2, _reply(d2, R1, 2), staged), d2, "段階の承認")
    pool = _policy(AccountRules(stages=(Stage((R1, R2, R3, R4), 2),)))
    yield from each(on_new_draft(_new(TEXT), None, "D-000051", pool), None, "複数から二人")

    urgent = _policy(AccountRules(emergency=True, fixed_texts=(FIXED,)))
    e = on_new_draft(_new(TEXT, "【緊急】断水", emergency=True), None, "D-000052", urgent)
    yield from each(e, None, "緊急")
    yield from each(on_tick(e.draft, T0 + timedelta(minutes=20), urgent), e.draft, "緊急の催促")
    e1 = on_reply(e.draft, _reply(e.draft, R3, 1), urgent).draft
    yield from each(on_reply(e1, _reply(e1, R4, 2), urgent), e1, "緊急の承認")
    filled = "【避難所開設】12月6日9時から町民会館を避難所として開設しました。"
    yield from each(
        on_new_draft(_new(filled, "【緊急】避難所", emergency=True), None, "D-000053", urgent),
        None,
        "定型文",
    )
    yield from each(
        on_new_draft(_new(TEXT, "【緊急】断水", emergency=True), None, "D-000054", pool),
        None,
        "緊急の扱いなし",
    )

    away = Absence(
        "A-000001", R2, R3, date(2026, 11, 24), date(2026, 11, 27), "confirmed", "admin", T0
    )
    plain = _policy(AccountRules())
    p = on_new_draft(_new(TEXT), None, "D-000055", plain)
    yield from each(
        on_tick(p.draft, T0 + timedelta(minutes=5), _policy(AccountRules(), (away,))),
        p.draft,
        "不在",
    )
    deputy_away = Absence(
        "A-000002", R3, R4, date(2026, 11, 25), date(2026, 11, 25), "confirmed", "admin", T0
    )
    handed = on_tick(p.draft, T0 + timedelta(minutes=5), _policy(AccountRules(), (away,)))
    yield from each(
        on_tick(handed.draft, T0 + timedelta(days=1), _policy(AccountRules(), (away, deputy_away))),
        handed.draft,
        "代理も不在",
    )
    moved = reassign(p.draft, R2, R4, T0 + timedelta(hours=1))
    assert not isinstance(moved, str)
    yield from each(moved, p.draft, "担当替え")
    left = replace(plain, accounts={"辰野町公式X": (R1, R4)})
    yield from each(on_tick(p.draft, T0 + timedelta(minutes=5), left), p.draft, "異動")

    yield from each(status_report(p.draft, AUTHOR, T0, "<q@x>"), p.draft, "状況")
    yield from each(status_report(second.draft, AUTHOR, T0, "<q@x>"), second.draft, "状況・段階")
    w = withdraw(p.draft, AUTHOR, T0, "<w@x>")
    yield from each(w, p.draft, "取り下げ")
    yield from each(on_reply(w.draft, _reply(w.draft, R1, 2)), w.draft, "取り下げ後の判断")
    after = replace(_reply(w.draft, R1, 2), sender=AUTHOR)
    yield from each(on_reply(w.draft, after), w.draft, "取り下げ後の作成者の返信")
    yield from each(resend(p.draft, R1, T0, "<r@x>"), p.draft, "再送")
    for reason in ("not-asked", "cannot-withdraw", "withdraw-needs-reply"):
        yield from each(notice(p.draft, AUTHOR, reason, T0, "<n@x>", "x"), p.draft, reason)


def sample_absence_messages(template_dir: str | None) -> Iterator[tuple[str, EmailMessage]]:
    """The staff desk's mails about no one draft: every absence mail, and the notice for a
    command that names no draft."""
    away = Absence("A-000001", R2, R3, date(2026, 12, 24), date(2026, 12, 27), "pending", R2, T0)
    entry = {
        "draft_id": "D-000042",
        "version": 1,
        "subject": "防災訓練のお知らせ",
        "decision": "approve",
        "comment": "",
        "at": "2026-12-24T10:00",
        "state": "approved",
        "by": R3,
    }
    cases = [
        (ab.STATUS, "request", {}),
        (ab.STATUS, "confirmed", {}),
        (ab.STATUS, "refused", {"reason": "過ぎた期間は設定できません。"}),
        (ab.STATUS, "not-confirmed", {}),
        (
            ab.REPORT_STATUS,
            "report",
            {"entries": [entry, {**entry, "decision": "send_back", "comment": "日付", "by": R4}]},
        ),
        (ab.STATUS, "unreadable", {}),
        (ab.STATUS, "stale", {}),
        (ab.REPORT_STATUS, "report", {"entries": []}),
    ]
    for status, kind, extra in cases:
        msg = ab.build_absence_message(
            status,
            kind,
            away,
            ab.context(away, **extra),
            to=[R2],
            gateway_address="sns-check@town.example.jp",
            token_secret=b"k" * 32,
            now=T0,
            template_dir=template_dir,
        )
        yield f"{status}（{kind}）", msg
    from gateway.staffdesk import needs_draft_mail

    for label in ("状況", "取り下げ", "再送"):  # a command naming no draft
        msg = needs_draft_mail(R2, label, "sns-check@town.example.jp", T0, template_dir=template_dir)
        yield f"notice（command-needs-draft {label}）", msg
