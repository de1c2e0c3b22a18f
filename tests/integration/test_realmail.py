"""Real mail against the real daemon (Dovecot + aiosmtpd): a person's flood is deferred and
never dropped, a forged flood cannot cost a reviewer's real decision, and an auto-responder
that writes no header at all does not start a loop. The clock is the test's."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.utils import make_msgid

import pytest
from clients import outlook_ja
from harness import AUTHOR, KACHO, KAKARI, PASSWORD, USERS, RunningGateway, header, write_config

from gateway.businessdays import JST
from gateway.demo import compose_draft

pytestmark = pytest.mark.integration

DRAFT = "アカウント: 辰野町公式X\n\n{n}月の広報です。防災訓練を行います。\n"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 24, 9, 0, tzinfo=JST))


@pytest.fixture
def gw(mail_system, tmp_path, clock) -> Iterator[RunningGateway]:
    for user in USERS:
        mail_system.add_user(user, PASSWORD)
    running = RunningGateway(mail_system, write_config(mail_system, tmp_path), clock=clock).start()
    try:
        yield running
    finally:
        running.stop()


def subjects(gw: RunningGateway, address: str, status: str) -> list[str]:
    out = []
    for raw in gw.mail.messages(address):
        msg = message_from_bytes(raw, policy=policy.default)
        if msg.get("X-Gateway-Status") == status:
            out.append(str(msg["Subject"]))
    return out


def test_seventy_drafts_in_an_hour_all_reach_the_reviewers(gw, clock):
    for n in range(70):
        gw.send_draft(f"広報{n:02d}", DRAFT.format(n=n))
    gw.wait_handled(70, timeout=240)
    assert len(gw.daemon.gateway.store.all_drafts()) == 60
    assert len(gw.daemon.gateway.hold.entries()) == 10  # kept, in order, not dropped
    gw.wait(AUTHOR, "deferred", timeout=30)
    assert len(subjects(gw, AUTHOR, "deferred")) == 1  # told once in the window
    clock.now += timedelta(hours=1, minutes=1)
    gw.daemon.gateway.tick()
    gw.wait_until(lambda: len(subjects(gw, KACHO, "review-request")) == 70, timeout=120)
    got = sorted(s.split("] ", 1)[1] for s in subjects(gw, KAKARI, "review-request"))
    assert got == [f"広報{n:02d}" for n in range(70)]
    assert len(subjects(gw, AUTHOR, "received")) == 70
    assert len(subjects(gw, AUTHOR, "deferred")) == 1


def test_a_forged_flood_under_a_reviewers_address_does_not_cost_the_real_decision(gw, clock):
    gw.send_draft("防災訓練のお知らせ", DRAFT.format(n=11))
    request = gw.wait(KACHO, "review-request", "防災訓練")
    draft_id = header(request, "X-Gateway-Draft")
    for n in range(65):  # no token, KACHO's From: anyone can write this
        forged = compose_draft(KACHO, f"RE: [承認依頼 {draft_id}] 防災訓練のお知らせ", f"承認 {n}")
        gw.send(forged, KACHO)
    gw.reply(request, outlook_ja(request, KACHO, "課長", "承認します。"), KACHO)
    gw.wait(KACHO, "receipt", draft_id, timeout=240)  # counted now, not an hour later
    assert KACHO in gw.draft(draft_id).votes_for(1)
    assert len(subjects(gw, KACHO, "clarify")) <= 1
    assert len(gw.events("rate_deferred")) == 5  # the forged ones over the budget wait


def _auto_reply(to: str) -> bytes:
    """A naive auto-responder: no Auto-Submitted, no Precedence, no In-Reply-To."""
    subject = base64.b64encode("不在のため返信できません".encode()).decode()
    body = "【自動返信】\r\n12月1日まで不在にしております。戻り次第ご返信いたします。\r\n"
    return (
        f"From: {AUTHOR}\r\nTo: {to}\r\nSubject: =?UTF-8?B?{subject}?=\r\n"
        f"Message-ID: {make_msgid(domain='town.example.jp')}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        + body
    ).encode()


def test_a_headerless_auto_responder_does_not_loop(gw):
    gw.send_draft("防災訓練のお知らせ", DRAFT.format(n=12))
    gw.wait(AUTHOR, "received", "防災訓練")
    answered = 0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:  # the responder answers every mail it gets
        inbox = gw.mail.messages(AUTHOR)
        for raw in inbox[answered:]:
            sender = str(message_from_bytes(raw, policy=policy.default)["From"].addresses[0])
            gw.send(_auto_reply(sender), AUTHOR)
        answered = len(inbox)
        time.sleep(0.3)
    gw.wait_until(lambda: len(gw.events("auto_reply_ignored")) >= 1)
    assert len(gw.mail.messages(AUTHOR)) == 1  # the receipt, and nothing after it
    assert answered == 1


def test_a_large_draft_is_fetched_in_pieces_and_forwarded_intact(gw):
    import hashlib
    import os
    from email.message import EmailMessage

    photo = os.urandom(5 * 1024 * 1024)  # over the 2 MB fetch piece: several partial fetches
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = AUTHOR, "sns-check@town.example.jp", "運動会の写真"
    msg.set_content(DRAFT.format(n=10), charset="utf-8")
    msg.add_attachment(photo, maintype="image", subtype="jpeg", filename="undoukai.jpg")
    gw.send(msg.as_bytes(policy=policy.SMTP), AUTHOR)
    request = gw.wait(KACHO, "review-request", "運動会", timeout=120)
    parts = [
        p for p in message_from_bytes(request, policy=policy.default).iter_attachments()
        if p.get_filename() == "undoukai.jpg"
    ]
    assert len(parts) == 1
    assert hashlib.sha256(parts[0].get_content()).digest() == hashlib.sha256(photo).digest()
