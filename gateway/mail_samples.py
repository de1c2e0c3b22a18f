"""Sample mails for the template check: every kind of mail the workflow sends, in every
variant its templates branch on, made by the real workflow from sample data (not
hand-written contexts), and a sample daily digest.

Apart from the check itself so that the section rules' samples (gateway.rule_samples) and
the display tests share the sample photo and time without importing the admin's tools.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from gateway.businessdays import JST, WorkCalendar
from gateway.model import Decision, Finding, Severity
from gateway.workflow import (
    AttachmentRef,
    Draft,
    MailSpec,
    NewDraft,
    Outcome,
    Policy,
    Reply,
    on_new_draft,
    on_reply,
    on_tick,
    unmatched_reply,
)

SAMPLE_TIME = datetime(2026, 11, 24, 9, 0, tzinfo=JST)
SAMPLE_PHOTO = b"\xff\xd8\xff\xd9"  # a sample photo: its hash is the one the sample record signs
_AUTHOR = "sato@town.example.jp"
_R1, _R2, _R3 = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
_ACCOUNTS = {"辰野町公式X": (_R1, _R2, _R3), "辰野町観光FB": (_R1, _R2)}


def _finding(severity: Severity, clause: str | None, excerpt: str) -> Finding:
    return Finding("sample", clause, severity, 2, 5, excerpt, "（確認用の見本の指摘です）")


def _new(text: str, *, account: str | None, findings=(), at=SAMPLE_TIME, number=1) -> NewDraft:
    return NewDraft(
        author=_AUTHOR,
        author_name="佐藤 花子",
        subject="防災訓練のお知らせ",
        message_id=f"<sample-{number}@town.example.jp>",
        references=(),
        text=text,
        account=account,
        schedule=datetime(2026, 11, 25, 10, 0),
        findings=tuple(findings),
        attachments=(
            AttachmentRef(
                "photo.jpg",
                "image/jpeg",
                hashlib.sha256(SAMPLE_PHOTO).hexdigest(),
                len(SAMPLE_PHOTO),
            ),
        ),
        at=at,
    )


def _reply(draft: Draft, who: str, decision: Decision, comment: str = "", hours: int = 1) -> Reply:
    at = SAMPLE_TIME + timedelta(hours=hours)
    return Reply(who, draft.id, draft.version, decision, comment, f"<r-{who}-{hours}@x>", at)


def sample_mails() -> Iterator[tuple[str, MailSpec, Draft]]:
    """Every kind of mail the workflow sends, in every variant its templates branch on."""
    cal = WorkCalendar()
    policy = Policy(accounts=_ACCOUNTS, expire_after=7 * cal.day_length, calendar=cal)
    text = "【防災訓練のお知らせ】\n12月6日（日）午前9時から、町内全域で防災訓練を行います。"
    warn = _finding(Severity.WARNING, "3(7)エ", "行うらしい")

    def each(outcome: Outcome, before: Draft | None, label: str) -> Iterator:
        for spec in outcome.mails:
            yield f"{spec.status}（{label}）", spec, outcome.draft or before

    opened = on_new_draft(
        _new(text, account="辰野町公式X", findings=[warn]), None, "D-000042", policy
    )
    d = opened.draft
    yield from each(opened, None, "受付・確認依頼")
    revised = on_new_draft(
        _new(text + "\n雨天決行です。", account=None, number=2, at=SAMPLE_TIME + timedelta(hours=2)),
        d,
        d.id,
        policy,
    )
    yield from each(revised, d, "第2版")
    for reason, event in (
        (
            "エラーの指摘",
            _new(
                text,
                account="辰野町公式X",
                findings=[_finding(Severity.ERROR, "4(1)", "090-1234-5678")],
            ),
        ),
        ("未登録のアカウント", _new(text, account="辰野町公式Y")),
        ("アカウントの指定なし", _new(text, account=None)),
    ):
        yield from each(on_new_draft(event, None, "D-000043", policy), None, reason)
    two = replace(policy, accounts={"辰野町公式X": (_R1, _AUTHOR)})
    yield from each(
        on_new_draft(_new(text, account="辰野町公式X"), None, "D-000044", two), None, "確認者不足"
    )

    yield from each(on_reply(d, _reply(d, _R1, Decision.UNCLEAR, "OKです")), d, "読み取れない返信")
    yield from each(unmatched_reply(d, _R1, "<x@x>", "no-token", SAMPLE_TIME), d, "トークンなし")
    approved_once = on_reply(d, _reply(d, _R1, Decision.APPROVE))
    d1 = approved_once.draft
    yield from each(approved_once, d, "承認の受付")
    duplicate = on_reply(d1, _reply(d1, _R1, Decision.APPROVE, hours=2))
    yield from each(duplicate, d1, "重複")
    for spec in duplicate.mails:  # the shell's own reasons for a notice
        ctx = {**spec.context, "reason": "not-authenticated"}
        yield "notice（送信元を確かめられない）", replace(spec, context=ctx), d1
    yield from each(
        on_reply(d1, replace(_reply(d1, _R1, Decision.SEND_BACK), token_version=0)), d1, "古い版"
    )
    yield from each(
        on_reply(d1, _reply(d1, _R2, Decision.SEND_BACK, "日付を確認してください")), d1, "差戻し"
    )

    reminded = on_tick(d1, cal.add_working_time(SAMPLE_TIME, timedelta(hours=25)), policy)
    yield from each(reminded, d1, "催促・投稿予定時刻超過")
    d2 = reminded.draft
    alternate = on_tick(d2, cal.add_working_time(SAMPLE_TIME, timedelta(hours=50)), policy)
    yield from each(alternate, d2, "代理への依頼")
    d3 = alternate.draft
    done = on_reply(d3, _reply(d3, _R3, Decision.APPROVE, hours=60))
    yield from each(done, d3, "承認（代理を含む）")
    yield from each(
        on_reply(done.draft, _reply(done.draft, _R2, Decision.APPROVE, hours=61)),
        done.draft,
        "確認済みへの返信",
    )
    yield from each(
        on_tick(d2, cal.add_working_time(SAMPLE_TIME, 7 * cal.day_length), policy), d2, "期限切れ"
    )


def sample_digest_context() -> dict[str, Any]:
    from gateway.digest import build_digest_context

    cal = WorkCalendar()
    drafts = [m[2] for m in sample_mails() if m[1].status == "review-request"][:1]
    events = [
        {"action": "decision_counted", "draft_id": "D-000042", "actor": _R1,
         "at": (SAMPLE_TIME + timedelta(hours=1)).isoformat(), "detail": {"decision": "approve"}},
        {"action": "draft_rejected", "draft_id": "D-000043", "actor": _AUTHOR,
         "at": (SAMPLE_TIME + timedelta(hours=2)).isoformat(), "detail": {"clauses": ["4(1)"]}},
        {"action": "draft_returned", "draft_id": "D-000041", "actor": _R2,
         "at": (SAMPLE_TIME + timedelta(hours=3)).isoformat(), "detail": {}},
        {"action": "rate_deferred", "draft_id": None, "actor": _AUTHOR,
         "at": (SAMPLE_TIME + timedelta(hours=3)).isoformat(), "detail": {}},
    ]  # fmt: skip
    outbox = [
        {"draft_id": "D-000042", "mail_status": "review-request", "status": "failed",
         "recipients": [_R1], "failed_at": (SAMPLE_TIME + timedelta(hours=4)).isoformat(),
         "last_error": "550 5.1.1 User unknown"},
    ]  # fmt: skip
    return build_digest_context(drafts, events, SAMPLE_TIME, SAMPLE_TIME + timedelta(days=1), cal, outbox)
