"""Section rules (issue 11) through the real daemon (Dovecot + aiosmtpd), with a clock the
test moves: a planned absence set by the reviewer's own mail, through 代決, to the 後閲 mail;
an emergency approved by the third and fourth reviewers of a pool at 02:00 on a Sunday;
the author's 状況 and 取り下げ and a reviewer's 再送; absences and commands in the shapes staff
write them."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.header import Header
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from clients import gmail_ja, iphone_ja, outlook_ja
from harness import (
    AUTHOR,
    DAIRI,
    GATEWAY,
    KACHO,
    KAKARI,
    PASSWORD,
    USERS,
    RunningGateway,
    body_text,
    header,
    write_config,
)

from gateway.admin_commands import queue_admin_command
from gateway.businessdays import JST, WorkCalendar
from gateway.cli import main as cli_main

pytestmark = pytest.mark.integration

ADMIN = "somu@town.example.jp"
HOSA = "hosa@town.example.jp"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64 + b"\xff\xd9"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def start(mail_system, tmp_path, clock, *, accounts: str | None = None) -> RunningGateway:
    for user in (*USERS, ADMIN, HOSA):
        mail_system.add_user(user, PASSWORD)
    extra = f'[admin]\naddress = "{ADMIN}"\n'
    config = write_config(mail_system, tmp_path, extra=extra, accounts=accounts)
    return RunningGateway(mail_system, config, clock=clock).start()


def outlook_new_mail(sender: str, name: str, subject: str, body: str) -> bytes:
    """A new message from Outlook (Japanese UI): ISO-2022-JP, CRLF, a signature block."""
    text = (
        body
        + "\n\n＿＿＿＿＿＿＿＿＿＿＿＿\n辰野町役場 総務課 係長\n"
        + name
        + "\n電話 0266-41-1111\n"
        + sender
        + "\n"
    )
    payload = text.replace("\n", "\r\n").encode("iso-2022-jp")
    head = [
        f"From: =?iso-2022-jp?B?{base64.b64encode(name.encode('iso-2022-jp')).decode()}?= <{sender}>",
        f"To: {GATEWAY}",
        f"Subject: {Header(subject, 'iso-2022-jp').encode()}",
        f"Date: {format_datetime(datetime(2026, 12, 18, 10, 0, tzinfo=JST))}",
        f"Message-ID: {make_msgid(domain='TYCPR01MB1234.jpnprd01.prod.outlook.com')}",
        "X-Mailer: Microsoft Outlook 16.0",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-2022-jp"',
        "Content-Transfer-Encoding: 7bit",
    ]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + payload


def draft_with_photo(subject: str, text: str, sender: str = AUTHOR) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = GATEWAY
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="town.example.jp")
    msg.set_content(text, charset="utf-8")
    msg.add_attachment(JPEG, maintype="image", subtype="jpeg", filename="photo.jpg")
    return msg.as_bytes(policy=policy.SMTP)


def matching(gw, address: str, status: str, part: str = "") -> list[bytes]:
    out = []
    for raw in gw.mail.messages(address):
        msg = message_from_bytes(raw, policy=policy.default)
        if msg.get("X-Gateway-Status") == status and part in str(msg.get("Subject", "")):
            out.append(raw)
    return out


def wait_count(gw, address: str, status: str, count: int, part: str = "") -> bytes:
    gw.wait_until(lambda: len(matching(gw, address, status, part)) >= count)
    return matching(gw, address, status, part)[count - 1]


def attachments(raw: bytes) -> list[str]:
    msg = message_from_bytes(raw, policy=policy.default)
    return [p.get_filename() for p in msg.iter_attachments()]


def record_of(raw: bytes) -> dict:
    msg = message_from_bytes(raw, policy=policy.default)
    return next(
        json.loads(p.get_content())
        for p in msg.iter_attachments()
        if p.get_filename() == "approval-record.json"
    )


def tick(gw: RunningGateway) -> int:
    return gw.daemon.gateway.tick()


DRAFT_A = "アカウント: 辰野町公式X\n\n12月26日（土）午前9時から、町内全域で防災訓練を行います。\n"
DRAFT_B = "アカウント: 辰野町公式X\n\n年末年始の窓口は12月29日から1月3日まで休みます。\n"


def test_planned_absence_from_the_reviewers_mail_to_the_kouetsu_mail(mail_system, tmp_path):
    clock = Clock(datetime(2026, 12, 18, 10, 0, tzinfo=JST))  # a Friday
    gw = start(mail_system, tmp_path, clock)
    try:
        # A draft in review before the absence.
        gw.send(draft_with_photo("防災訓練のお知らせ", DRAFT_A), AUTHOR)
        first = gw.wait(KAKARI, "review-request", "防災訓練")
        a_id = header(first, "X-Gateway-Draft")

        # KAKARI sets the absence from Outlook, with the usual signature.
        mail = outlook_new_mail(
            KAKARI, "山田 係長", "不在の連絡", "不在 12/21-12/23 代理 dairi@town.example.jp"
        )
        gw.send(mail, KAKARI)
        ask = gw.wait(KAKARI, "absence")
        assert "「はい」とだけ" in body_text(ask)
        assert "absence" not in gw.statuses(DAIRI)  # nothing for the deputy until confirmed
        gw.reply(ask, outlook_ja(ask, KAKARI, "山田 係長", "はい"), KAKARI)
        confirmed = gw.wait(DAIRI, "absence")
        assert "有効になりました" in body_text(confirmed)
        assert [e["detail"]["absence_id"] for e in gw.events("absence_confirmed")] == ["A-000001"]

        # Monday: the open request moves to the deputy, with the photo; KAKARI is told.
        clock.now = datetime(2026, 12, 21, 8, 0, tzinfo=JST)
        assert tick(gw) >= 1
        moved = gw.wait(DAIRI, "review-request", a_id)
        assert "photo.jpg" in attachments(moved)
        assert f"{KAKARI} さんが不在のため" in body_text(moved)
        assert "代理の dairi@town.example.jp さんにお願いしました" in body_text(
            gw.wait(KAKARI, "reassigned")
        )

        # A new draft during the absence goes to the deputy at once.
        gw.send(draft_with_photo("年末年始の窓口", DRAFT_B), AUTHOR)
        second = gw.wait(DAIRI, "review-request", "年末年始")
        b_id = header(second, "X-Gateway-Draft")
        assert len(matching(gw, KAKARI, "review-request")) == 1  # only the one before the absence

        # The deputy approves A in KAKARI's place, KACHO approves: signed, with why.
        gw.reply(moved, gmail_ja(moved, DAIRI, "代理", "承認します"), DAIRI)
        kacho_req = gw.wait(KACHO, "review-request", a_id)
        gw.reply(kacho_req, iphone_ja(kacho_req, KACHO, "課長", "承認"), KACHO)
        approved = gw.wait(AUTHOR, "approved", a_id)
        deputy = next(a for a in record_of(approved)["approvals"] if a["reviewer"] == DAIRI)
        assert deputy["in_place_of"] == KAKARI and deputy["why"] == "absence"
        path = tmp_path / "approved.eml"
        path.write_bytes(approved)
        assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 0

        # The deputy sends B back.
        gw.reply(
            second, outlook_ja(second, DAIRI, "代理", "差戻します。日付を確認してください。"), DAIRI
        )
        gw.wait(AUTHOR, "returned", b_id)

        # The absence ends: one 後閲 mail to KAKARI with both decisions.
        clock.now = datetime(2026, 12, 23, 20, 0, tzinfo=JST)
        tick(gw)
        assert "absence-report" not in gw.statuses(KAKARI)
        clock.now = datetime(2026, 12, 24, 8, 0, tzinfo=JST)
        tick(gw)
        report = body_text(gw.wait(KAKARI, "absence-report"))
        assert a_id in report and b_id in report
        assert "承認" in report.split(a_id)[1].split("\n\n")[0]
        assert "差戻し" in report.split(b_id)[1].split("\n\n")[0]
        tick(gw)
        assert gw.statuses(KAKARI).count("absence-report") == 1
    finally:
        gw.stop()


POOL = f"""
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}", "{DAIRI}", "{HOSA}"]
required = 2
emergency = true
emergency_reminder_minutes = 15
"""


def test_an_emergency_approved_by_the_third_and_fourth_reviewers_at_2am_on_a_sunday(
    mail_system, tmp_path
):
    night = datetime(2026, 11, 29, 2, 0, tzinfo=JST)  # Sunday, 02:00
    clock = Clock(night)
    gw = start(mail_system, tmp_path, clock, accounts=POOL)
    try:
        gw.send_draft(
            "【緊急】避難指示の発令",
            "アカウント: 辰野町公式X\n\n町内全域に避難指示を発令しました。\n",
        )
        requests = {
            r: gw.wait(r, "review-request", "避難指示") for r in (KACHO, KAKARI, DAIRI, HOSA)
        }
        draft_id = header(requests[KACHO], "X-Gateway-Draft")
        assert "緊急" in body_text(requests[HOSA])
        assert "避難指示" in body_text(gw.wait(ADMIN, "emergency"))  # the admin is told at once

        clock.now = night + timedelta(minutes=14)
        tick(gw)
        clock.now = night + timedelta(minutes=15)
        tick(gw)
        for r in (KACHO, KAKARI, DAIRI, HOSA):
            gw.wait(r, "reminder", draft_id)  # round the clock, on a Sunday night

        clock.now = night + timedelta(minutes=20)
        gw.reply(requests[DAIRI], iphone_ja(requests[DAIRI], DAIRI, "代理", "承認します"), DAIRI)
        gw.wait(DAIRI, "receipt", draft_id)
        assert gw.draft(draft_id).state == "in_review"  # still two people
        clock.now = night + timedelta(minutes=21)
        gw.reply(requests[HOSA], gmail_ja(requests[HOSA], HOSA, "補佐", "承認です"), HOSA)
        approved = gw.wait(AUTHOR, "approved", draft_id)
        record = record_of(approved)
        assert sorted(a["reviewer"] for a in record["approvals"]) == [DAIRI, HOSA]
        assert record["route"]["emergency"] is True
        path = tmp_path / "approved.eml"
        path.write_bytes(approved)
        assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 0
        # A late answer from the first reviewer is no decision.
        gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
        gw.wait(KACHO, "notice", draft_id)
    finally:
        gw.stop()


def test_status_resend_and_withdraw_by_mail(mail_system, tmp_path):
    clock = Clock(datetime(2026, 11, 24, 9, 0, tzinfo=JST))
    gw = start(mail_system, tmp_path, clock)
    try:
        gw.send(draft_with_photo("ほたる祭りのお知らせ", DRAFT_A), AUTHOR)
        received = gw.wait(AUTHOR, "received", "ほたる祭り")
        draft_id = header(received, "X-Gateway-Draft")
        requests = {r: gw.wait(r, "review-request", draft_id) for r in (KACHO, KAKARI)}
        clock.now += timedelta(hours=1)
        gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
        gw.wait(KACHO, "receipt", draft_id)

        # 状況, from Outlook, replying to the receipt of the draft.
        clock.now += timedelta(hours=1)
        gw.reply(received, outlook_ja(received, AUTHOR, "佐藤", "状況を教えてください。"), AUTHOR)
        report = body_text(gw.wait(AUTHOR, "status-report", draft_id))
        done, waiting = report.split("返信待ち")
        assert KACHO in done and KAKARI in waiting and "2026-11-24 09:00 から" in waiting

        # 再送: KAKARI lost the request and answers the reminder.
        clock.now = WorkCalendar().add_working_time(
            datetime(2026, 11, 24, 9, 0, tzinfo=JST), timedelta(hours=24)
        )
        tick(gw)
        reminder = gw.wait(KAKARI, "reminder", draft_id)
        gw.reply(reminder, gmail_ja(reminder, KAKARI, "係長", "再送してください"), KAKARI)
        again = wait_count(gw, KAKARI, "review-request", 2, draft_id)
        assert "photo.jpg" in attachments(again)
        assert gw.draft(draft_id).votes_for(1).keys() == {KACHO}

        # 取り下げ: the reviewers are told; a later approval gets a polite notice.
        gw.reply(received, iphone_ja(received, AUTHOR, "佐藤", "取り下げ"), AUTHOR)
        withdrawn = gw.wait(AUTHOR, "withdrawn", draft_id)
        assert header(withdrawn, "Cc") == f"{KACHO}, {KAKARI}"
        assert gw.draft(draft_id).state == "withdrawn"
        gw.reply(again, gmail_ja(again, KAKARI, "係長", "承認します"), KAKARI)
        assert "取り下げ" in body_text(gw.wait(KAKARI, "notice", draft_id))
        assert gw.draft(draft_id).state == "withdrawn"
        assert "approved" not in gw.statuses(AUTHOR)
    finally:
        gw.stop()


def test_absences_and_commands_as_staff_write_them(mail_system, tmp_path):
    """A reviewer answers a request with 「不在 …」 from Outlook and confirms with a signed
    「はい」; a 「不在」 mail in another shape is answered with the form; a deputy away in turn
    hands the seat on; a colleague's 「状況」 naming the draft is never forwarded as a draft."""
    clock = Clock(datetime(2026, 12, 18, 10, 0, tzinfo=JST))  # a Friday
    gw = start(mail_system, tmp_path, clock)
    try:
        gw.send(draft_with_photo("防災訓練のお知らせ", DRAFT_A), AUTHOR)
        request = gw.wait(KAKARI, "review-request", "防災訓練")
        draft_id = header(request, "X-Gateway-Draft")

        # The reply to the request is read as an absence and decides nothing.
        reply = outlook_ja(
            request, KAKARI, "山田 係長", "不在 １２月２１日〜２３日 代理 dairi@town.example.jp"
        )
        gw.reply(request, reply, KAKARI)
        ask = gw.wait(KAKARI, "absence")
        assert gw.draft(draft_id).votes == ()
        gw.reply(ask, iphone_ja(ask, KAKARI, "山田 係長", "はい\n山田"), KAKARI)
        gw.wait(DAIRI, "absence")
        # The deputy is away on the 22nd too, with HOSA as deputy (what `gateway absence add`
        # queues once its checks pass; the CLI checks dates by the wall clock, not this one).
        queue_admin_command(
            gw.settings,
            {
                "command": "absence-add",
                "reviewer": DAIRI,
                "deputy": HOSA,
                "start": "2026-12-22",
                "end": "2026-12-22",
            },
        )
        clock.now = datetime(2026, 12, 21, 8, 0, tzinfo=JST)
        tick(gw)
        gw.wait(DAIRI, "review-request", draft_id)
        clock.now = datetime(2026, 12, 22, 8, 0, tzinfo=JST)
        tick(gw)
        moved = gw.wait(HOSA, "review-request", draft_id)
        assert "photo.jpg" in attachments(moved)
        assert "kakaricho@town.example.jp さんの代理として" in body_text(gw.wait(DAIRI, "reassigned"))
        gw.reply(moved, gmail_ja(moved, HOSA, "補佐", "承認します"), HOSA)
        gw.wait(HOSA, "receipt", draft_id)

        # A 「不在」 mail in another shape: the form, never a draft.
        gw.send(
            outlook_new_mail(
                KACHO, "課長", "年末", "12/28〜1/4は不在です。代理は dairi@town.example.jp です。"
            ),
            KACHO,
        )
        assert "不在 12/24-12/27 代理" in body_text(gw.wait(KACHO, "absence"))
        # A colleague not on the draft asks 状況 in a mail naming it: refused, not a draft.
        colleague = "tanaka@town.example.jp"
        gw.send(
            outlook_new_mail(colleague, "田中", f"RE: [受付 {draft_id}] 防災訓練", "状況"),
            colleague,
        )
        gw.wait_until(lambda: gw.events("command_refused"))
        # The author's 「状況」 naming no draft is answered at once (no draft is made).
        gw.send(outlook_new_mail(AUTHOR, "佐藤", "確認", "状況を教えて下さい"), AUTHOR)
        assert "どの投稿案" in body_text(gw.wait(AUTHOR, "notice"))

        # KAKARI's 後閲 names HOSA's approval in their place.
        clock.now = datetime(2026, 12, 24, 8, 0, tzinfo=JST)
        tick(gw)
        report = body_text(gw.wait(KAKARI, "absence-report"))
        assert draft_id in report and HOSA in report and "承認" in report
        assert [d.id for d in gw.daemon.gateway.store.all_drafts()] == [draft_id]
    finally:
        gw.stop()
