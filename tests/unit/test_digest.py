"""The admin's daily digest: when it is due, what it says, and that it goes out once a day."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from offline import offline_gateway

from gateway.businessdays import JST, WorkCalendar
from gateway.digest import build_digest_context, build_digest_message, digest_due, last_sent
from gateway.model import Decision
from gateway.workflow import NewDraft, Reply, on_new_draft, on_reply

CAL = WorkCalendar()
AT = time(8, 30)
AUTHOR = "sato@town.example.jp"
KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
ADMIN = "somu@town.example.jp"


def jst(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=JST)


@pytest.mark.parametrize(
    ("now", "last", "due"),
    [
        (jst(2026, 11, 24, 8, 29), None, False),  # before digest_time
        (jst(2026, 11, 24, 8, 30), None, True),
        (jst(2026, 11, 24, 15, 0), None, True),  # late start: still today
        (jst(2026, 11, 24, 9, 0), jst(2026, 11, 24, 8, 30), False),  # sent today already
        (jst(2026, 11, 25, 8, 30), jst(2026, 11, 24, 8, 30), True),
        (jst(2026, 11, 23, 9, 0), jst(2026, 11, 20, 8, 30), False),  # 勤労感謝の日
        (jst(2026, 11, 28, 9, 0), jst(2026, 11, 27, 8, 30), False),  # Saturday
        (jst(2026, 12, 29, 9, 0), jst(2026, 12, 28, 8, 30), False),  # year-end closing
        (jst(2027, 1, 4, 8, 30), jst(2026, 12, 28, 8, 30), True),
    ],
)
def test_digest_due_once_per_business_day(now, last, due):
    assert digest_due(now, last, AT, CAL) is due


def policy():
    from gateway.workflow import Policy

    return Policy(accounts={"辰野町公式X": (KACHO, KAKARI, DAIRI)}, calendar=CAL)


def make_draft(number, subject, at, *, findings=()):
    event = NewDraft(
        author=AUTHOR,
        author_name="佐藤",
        subject=subject,
        message_id=f"<d{number}@x>",
        references=(),
        text="本文は日報に載りません。ひみつの下書き。",
        account="辰野町公式X",
        schedule=None,
        findings=findings,
        attachments=(),
        at=at,
    )
    return on_new_draft(event, None, f"D-{number:06d}", policy())


def test_context_waiting_decisions_and_rejections_by_clause():
    a = make_draft(1, "防災訓練のお知らせ", jst(2026, 11, 20, 16, 15))
    b = make_draft(2, "ほたる祭り", jst(2026, 11, 24, 9, 0))
    b2 = on_reply(
        b.draft,
        Reply(KACHO, b.draft.id, 1, Decision.APPROVE, "", "<r1@x>", jst(2026, 11, 24, 10, 5)),
    )
    events = [
        {
            "action": "decision_counted",
            "draft_id": "D-000002",
            "actor": KACHO,
            "at": jst(2026, 11, 24, 10, 5).isoformat(),
            "detail": {"decision": "approve"},
        },
        {
            "action": "draft_rejected",
            "draft_id": "D-000003",
            "actor": AUTHOR,
            "at": jst(2026, 11, 24, 11).isoformat(),
            "detail": {"reason": "check-error", "clauses": ["3(7)エ", "4(1)"]},
        },
        {
            "action": "draft_rejected",
            "draft_id": "D-000004",
            "actor": AUTHOR,
            "at": jst(2026, 11, 24, 12).isoformat(),
            "detail": {"reason": "check-error", "clauses": ["3(7)エ"]},
        },
        {
            "action": "draft_rejected",
            "draft_id": "D-000005",
            "actor": AUTHOR,
            "at": jst(2026, 11, 24, 13).isoformat(),
            "detail": {"reason": "account-unknown", "clauses": ["-"]},
        },
        {  # before the period: not counted
            "action": "draft_rejected",
            "draft_id": "D-000006",
            "actor": AUTHOR,
            "at": jst(2026, 11, 19, 9).isoformat(),
            "detail": {"reason": "check-error", "clauses": ["3(8)"]},
        },
    ]
    ctx = build_digest_context(
        [a.draft, b2.draft], events, jst(2026, 11, 24, 8, 30), jst(2026, 11, 25, 8, 30), CAL
    )
    assert ctx["date"] == "11月25日（水）"
    assert [w["draft_id"] for w in ctx["waiting"]] == ["D-000001", "D-000002"]
    assert ctx["waiting"][0]["waiting_on"] == [KACHO, KAKARI]
    assert ctx["waiting"][1]["waiting_on"] == [KAKARI]
    # Friday 16:15 -> Wednesday 08:30: Fri 1h + Tue 8h45 (Mon 23rd is a holiday)
    assert ctx["waiting"][0]["working"] == "9時間45分"
    assert ctx["decisions"] == [
        {
            "at": "11/24（火）10:05",
            "draft_id": "D-000002",
            "subject": "ほたる祭り",
            "who": KACHO,
            "decision": "承認",
        }
    ]
    assert ctx["rejections"] == [
        {"label": "指針3(7)エ", "count": 2},
        {"label": "指針4(1)", "count": 1},
        {"label": "アカウント名の誤り", "count": 1},
    ]

    msg = build_digest_message(
        ctx,
        to=ADMIN,
        gateway_address="sns-check@town.example.jp",
        now=jst(2026, 11, 25, 8, 30),
        day=jst(2026, 11, 25).date(),
    )
    assert msg["X-Gateway-Status"] == "digest"
    assert msg["X-Mailer"].startswith("town-sns-gateway/") and msg["Auto-Submitted"]
    assert msg["Message-ID"] == "<digest.2026-11-25@town.example.jp>"
    assert msg["Subject"] == "[日報] 11月25日（水） 確認待ち 2件"
    body = msg.get_content()
    assert "防災訓練のお知らせ" in body and "返信待ち: kakaricho@town.example.jp" in body
    assert "指針3(7)エ: 2件" in body
    assert "ひみつの下書き" not in body  # subjects only, never the draft text
    assert max(len(line) for line in body.splitlines()) < 80  # readable on a phone


def test_mail_the_server_refused_or_keeps_deferring_is_shown_to_the_admin() -> None:
    since, now = jst(2026, 11, 24, 8, 30), jst(2026, 11, 25, 8, 30)

    def mail(status: str, **fields) -> dict:
        return {"draft_id": "D-000007", "mail_status": "review-request", "status": status,
                "recipients": [KACHO], "attempts": 0, **fields}  # fmt: skip

    outbox = [
        mail("failed", failed_at=jst(2026, 11, 24, 10).isoformat(),
             last_error="550 5.1.1 no such user"),
        mail("failed", failed_at=jst(2026, 11, 20, 10).isoformat(),
             last_error="550 in an earlier digest"),
        mail("pending", attempts=9, created=jst(2026, 11, 24, 16).isoformat(),
             last_error="452 4.2.2 mailbox full"),
        mail("pending", attempts=1, created=jst(2026, 11, 25, 8, 20).isoformat(),
             last_error="421 try again in a minute"),
        mail("sent", attempts=2, created=jst(2026, 11, 24, 9).isoformat()),
    ]  # fmt: skip
    ctx = build_digest_context([], [], since, now, CAL, outbox)
    assert [(u["state"][:4], u["error"]) for u in ctx["undelivered"]] == [
        ("送れませ", "550 5.1.1 no such user"),
        ("再送を続", "452 4.2.2 mailbox full"),
    ]
    body = build_digest_message(
        ctx, to=ADMIN, gateway_address="sns-check@town.example.jp", now=now, day=now.date()
    ).get_content()
    assert "■ 届いていないメール 2件" in body
    assert "D-000007「」の承認依頼 → kacho@town.example.jp" in body
    assert "再送を続けています（9回断られました）: 452 4.2.2 mailbox full" in body
    quiet = build_digest_context([], [], since, now, CAL, outbox[-2:])
    assert (
        "届いていないメール"
        not in build_digest_message(
            quiet, to=ADMIN, gateway_address="sns-check@town.example.jp", now=now, day=now.date()
        ).get_content()
    )


def gateway_at(tmp_path: Path, clock):
    return offline_gateway(tmp_path, clock, admin={"address": ADMIN, "digest_time": "08:30"})


def digests(gw):
    return [e for e in gw.store.outbox.all() if e.get("mail_status") == "digest"]


def test_queued_once_a_business_day_and_not_again_after_a_restart(tmp_path):
    now = [jst(2026, 11, 20, 8, 0)]  # Friday, before digest time
    gw = gateway_at(tmp_path, lambda: now[0])
    gw.tick()
    assert digests(gw) == []
    now[0] = jst(2026, 11, 20, 8, 31)
    gw.tick()
    gw.tick()
    assert len(digests(gw)) == 1
    assert last_sent(gw.store) == jst(2026, 11, 20, 8, 31)
    (entry,) = digests(gw)
    assert entry["recipients"] == [ADMIN]
    raw = gw.spool.get_mail(entry["path"])
    msg = message_from_bytes(raw, policy=email_policy.default)
    assert msg["X-Gateway-Status"] == "digest" and "確認待ち" in msg.get_body().get_content()
    gw.store.close()

    restarted = gateway_at(tmp_path, lambda: now[0] + timedelta(hours=1))
    restarted.tick()
    assert len(digests(restarted)) == 1
    # Saturday, Sunday and the Monday holiday: nothing; Tuesday: the next one.
    for day in (21, 22, 23):
        now[0] = jst(2026, 11, day, 9)
        restarted.clock = lambda: now[0]
        restarted.tick()
    assert len(digests(restarted)) == 1
    now[0] = jst(2026, 11, 24, 8, 30)
    restarted.tick()
    assert [e["message_id"] for e in digests(restarted)] == [
        "<digest.2026-11-20@town.example.jp>",
        "<digest.2026-11-24@town.example.jp>",
    ]


def test_no_admin_address_no_digest(tmp_path):
    gw = gateway_at(tmp_path, lambda: jst(2026, 11, 24, 9))
    gw.settings = type(gw.settings)(**{**gw.settings.__dict__, "admin_address": None})
    gw.tick()
    assert digests(gw) == []


def test_the_queued_digest_lists_a_mail_the_server_refused(tmp_path):
    now = jst(2026, 11, 24, 9)
    gw = gateway_at(tmp_path, lambda: now)
    with gw.store.transaction() as store:
        store.queue_mail(
            {"message_id": "<r1@town.example.jp>", "draft_id": "D-000001",
             "mail_status": "review-request", "path": "x", "recipients": ["kacho@town.exmaple.jp"],
             "created": jst(2026, 11, 24, 8, 40).isoformat()}
        )  # fmt: skip
        (entry,) = [e for e in store.outbox.all() if e["message_id"] == "<r1@town.example.jp>"]
        store.mark_failed(entry.doc_id, "550 5.1.1 no such user", jst(2026, 11, 24, 8, 41))
    gw.tick()
    (digest,) = digests(gw)
    body = message_from_bytes(gw.spool.get_mail(digest["path"]), policy=email_policy.default)
    text = body.get_body().get_content()
    assert "■ 届いていないメール 1件" in text
    assert "kacho@town.exmaple.jp" in text and "550 5.1.1 no such user" in text
