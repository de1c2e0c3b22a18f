"""Timers through the real daemon (Dovecot + aiosmtpd) with a clock the test moves:
reminders in working time, the alternate deciding, expiry, the passed schedule, the
admin's digest (once a day, across a restart), clarify for several accounts, and the
systemd watchdog. No sleeping: the test sets the clock and calls tick() itself."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from clients import gmail_ja, outlook_ja
from harness import (
    AUTHOR,
    DAIRI,
    KACHO,
    KAKARI,
    PASSWORD,
    USERS,
    RunningGateway,
    body_text,
    header,
    write_config,
)

from gateway.businessdays import JST, WorkCalendar
from gateway.cli import main as cli_main

pytestmark = pytest.mark.integration

ADMIN = "somu@town.example.jp"
CAL = WorkCalendar()
FRI = datetime(2026, 9, 18, 16, 15, tzinfo=JST)  # before the 2026 silver week (21-23 closed)
DRAFT = """アカウント: 辰野町公式X

【防災訓練のお知らせ】
町内全域で防災訓練を行います。お近くの避難場所へ避難してください。
"""


class Clock:
    """The daemon's clock; the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(FRI)


def start(mail_system, tmp_path, clock, *, extra: str = "", accounts: str | None = None):
    for user in (*USERS, ADMIN):
        mail_system.add_user(user, PASSWORD)
    config = write_config(mail_system, tmp_path, extra=extra, accounts=accounts)
    return RunningGateway(mail_system, config, clock=clock).start()


@pytest.fixture
def gw(mail_system, tmp_path, clock) -> Iterator[RunningGateway]:
    running = start(mail_system, tmp_path, clock)
    try:
        yield running
    finally:
        running.stop()


def open_draft(gw: RunningGateway, subject: str, body: str = DRAFT):
    gw.send_draft(subject, body)
    received = gw.wait(AUTHOR, "received", subject)
    requests = {r: gw.wait(r, "review-request", subject) for r in (KACHO, KAKARI)}
    return header(received, "X-Gateway-Draft"), requests


def tick(gw: RunningGateway) -> int:
    return gw.daemon.gateway.tick()


def test_reminder_in_working_time_then_the_alternate_decides(gw, clock, tmp_path):
    draft_id, requests = open_draft(gw, "防災訓練のお知らせ")
    gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
    gw.wait(KACHO, "receipt", draft_id)

    # Five calendar days later, but one working hour: weekend + three holidays.
    clock.now = datetime(2026, 9, 23, 23, 0, tzinfo=JST)
    assert tick(gw) == 0
    clock.now = datetime(2026, 9, 28, 13, 59, tzinfo=JST)
    assert tick(gw) == 0
    clock.now = datetime(2026, 9, 28, 14, 0, tzinfo=JST)  # 24 working hours after arrival
    assert tick(gw) == 1
    reminder = gw.wait(KAKARI, "reminder", draft_id)
    assert "まだ確認待ち" in body_text(reminder)
    assert "reminder" not in gw.statuses(KACHO)  # KACHO has answered
    assert tick(gw) == 0  # once

    # Still silent 24 working hours after the reminder: the alternate is asked.
    clock.now = CAL.add_working_time(clock.now, timedelta(hours=24))
    assert tick(gw) == 1
    ask = gw.wait(DAIRI, "reminder", draft_id)
    text = body_text(ask)
    assert f"確認者の {KAKARI} さんから返信がありません" in text
    assert "防災訓練を行います" in text
    assert gw.mail.messages(AUTHOR)  # the author is never asked
    assert [e["detail"] for e in gw.events("alternate_asked")] == [
        {"reviewer": KAKARI, "alternate": DAIRI}
    ]

    # The alternate approves in KAKARI's place: two distinct people, neither the author.
    gw.reply(ask, gmail_ja(ask, DAIRI, "代理", "承認です"), DAIRI)
    approved = gw.wait(AUTHOR, "approved", draft_id)
    assert f"{DAIRI}" in body_text(approved) and f"{KAKARI} さんの代理" in body_text(approved)
    assert header(approved, "Cc") == f"{KACHO}, {KAKARI}, {DAIRI}"
    msg = message_from_bytes(approved, policy=policy.default)
    record = next(
        json.loads(p.get_content())
        for p in msg.iter_attachments()
        if p.get_filename() == "approval-record.json"
    )
    assert [(a["reviewer"], a.get("in_place_of")) for a in record["approvals"]] == [
        (KACHO, None),
        (DAIRI, KAKARI),
    ]
    path = tmp_path / "approved.eml"
    path.write_bytes(approved)
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 0


def test_expiry_after_seven_business_days(gw, clock):
    draft_id, _ = open_draft(gw, "ほたる祭りのお知らせ")
    end = CAL.add_working_time(FRI, 7 * CAL.day_length)
    assert end == datetime(2026, 10, 2, 16, 15, tzinfo=JST)
    clock.now = end - timedelta(minutes=1)
    tick(gw)  # reminders, perhaps; not expiry
    assert gw.draft(draft_id).state == "in_review"
    clock.now = end
    tick(gw)
    expired = gw.wait(AUTHOR, "expired", draft_id)
    assert "受付を終了しました" in body_text(expired)
    assert gw.draft(draft_id).state == "expired"


def test_author_is_warned_once_when_the_schedule_passes(gw, clock):
    body = DRAFT.replace(
        "アカウント: 辰野町公式X\n", "アカウント: 辰野町公式X\n投稿予定: 2026-09-24 10:00\n"
    )
    draft_id, _ = open_draft(gw, "防災無線のお知らせ", body)
    clock.now = datetime(2026, 9, 24, 9, 59, tzinfo=JST)
    assert tick(gw) == 0
    clock.now = datetime(2026, 9, 24, 10, 0, tzinfo=JST)
    assert tick(gw) == 1
    warning = gw.wait(AUTHOR, "schedule-passed", draft_id)
    assert "2026-09-24 10:00 を過ぎましたが、まだ承認されていません" in body_text(warning)
    clock.now = datetime(2026, 9, 24, 11, 0, tzinfo=JST)
    assert tick(gw) == 0
    gw.wait_until(lambda: not gw.daemon.gateway.store.has_pending_mail())
    assert gw.statuses(AUTHOR).count("schedule-passed") == 1


def test_digest_once_per_business_day_even_across_a_restart(mail_system, tmp_path, clock):
    clock.now = datetime(2026, 9, 18, 8, 0, tzinfo=JST)
    extra = f'[admin]\naddress = "{ADMIN}"\ndigest_time = "08:30"\n'
    gw = start(mail_system, tmp_path, clock, extra=extra)
    try:
        draft_id, requests = open_draft(gw, "防災訓練のお知らせ")
        gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
        gw.wait(KACHO, "receipt", draft_id)
        gw.send_draft("連絡先", "アカウント: 辰野町公式X\n\n申請者の個人番号 1234 5678 9018 です。\n")
        gw.wait(AUTHOR, "rejected", "連絡先")
        tick(gw)
        assert gw.mail.messages(ADMIN) == []  # before 08:30
        clock.now = datetime(2026, 9, 18, 8, 30, tzinfo=JST)
        assert tick(gw) == 1
        digest = gw.wait(ADMIN, "digest")
        text = body_text(digest)
        assert header(digest, "Subject") == "[日報] 9月18日（金） 確認待ち 1件"
        assert f"{draft_id} 第1版「防災訓練のお知らせ」" in text
        assert f"返信待ち: {KAKARI}" in text
        assert "承認（kacho@town.example.jp）" in text
        assert "指針3(4): 1件" in text  # the phone number (personal data), by clause
        assert "防災訓練を行います" not in text  # subjects only, no draft text
        assert tick(gw) == 0
    finally:
        gw.stop()

    restarted = RunningGateway(mail_system, gw.config_path, clock=clock).start()
    try:
        clock.now = datetime(2026, 9, 18, 12, 0, tzinfo=JST)
        assert tick(restarted) == 0
        for day in (19, 20, 21, 22, 23):  # weekend and the silver week
            clock.now = datetime(2026, 9, day, 9, 0, tzinfo=JST)
            tick(restarted)
        clock.now = datetime(2026, 9, 24, 8, 30, tzinfo=JST)
        tick(restarted)
        second = restarted.wait(ADMIN, "digest", "9月24日")
        assert "勤務時間で" in body_text(second)
        restarted.wait_until(lambda: not restarted.daemon.gateway.store.has_pending_mail())
        assert restarted.statuses(ADMIN) == ["digest", "digest"]
    finally:
        restarted.stop()


def test_several_accounts_and_no_account_line_get_a_clarify(mail_system, tmp_path, clock):
    accounts = f"""
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}", "{DAIRI}"]
[[accounts]]
name = "辰野町観光FB"
platform = "facebook"
reviewers = ["{KAKARI}", "{DAIRI}"]
"""
    gw = start(mail_system, tmp_path, clock, accounts=accounts)
    try:
        gw.send_draft("紅葉まつり", "紅葉まつりを開催します。ぜひお越しください。\n")
        clarify = gw.wait(AUTHOR, "clarify", "紅葉まつり")
        text = body_text(clarify)
        assert "どの公式アカウントへの投稿かが分かりません" in text
        assert "・辰野町公式X" in text and "・辰野町観光FB" in text
        gw.wait_handled(1)
        assert gw.mail.messages(KACHO) == [] and gw.mail.messages(KAKARI) == []
        # With the account line it goes to that account's reviewers.
        gw.send_draft("紅葉まつり", "アカウント: 辰野町観光FB\n\n紅葉まつりを開催します。\n")
        gw.wait(KAKARI, "review-request", "紅葉まつり")
        gw.wait(DAIRI, "review-request", "紅葉まつり")
        assert gw.mail.messages(KACHO) == []
    finally:
        gw.stop()


def test_watchdog_pings_faster_than_hourly_ticks(mail_system, tmp_path, clock, monkeypatch):
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(10)
    monkeypatch.setenv("NOTIFY_SOCKET", str(path))
    monkeypatch.setenv("WATCHDOG_USEC", "300000")  # WatchdogSec=0.3s: ping every 0.1 s
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    gw = start(mail_system, tmp_path, clock)  # tick_seconds=3600
    try:
        seen: list[str] = []
        while seen.count("WATCHDOG=1") < 5:
            seen.append(sock.recv(256).decode())
        assert "READY=1" in seen
        # The tick loop pings once per hour-long tick; the rest come from the watchdog task.
        assert seen.count("WATCHDOG=1") >= 5
    finally:
        gw.stop()
        sock.close()
