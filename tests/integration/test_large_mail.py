"""A draft near the size limit, with photos, through the real loop (Dovecot, the daemon,
SMTP): it is fetched into a spool file in pieces, read with its photos left in the file,
forwarded with the photos encoded in pieces and sent from the file in pieces. The
reviewers must receive the photos byte for byte, and the author a signed confirmation
that `gateway verify` accepts, naming each photo's SHA-256."""

from __future__ import annotations

import hashlib
import json
import os
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
from clients import gmail_ja, outlook_ja
from harness import AUTHOR, GATEWAY, KACHO, KAKARI, PASSWORD, USERS, RunningGateway, header
from harness import write_config as base_config

from gateway.cli import main as cli_main

pytestmark = pytest.mark.integration

#: The limit configured for this test: large enough for pieces, runs and several
#: SMTP round trips, small enough for the suite's time (bench/bench_mime.py runs 30 MB).
LIMIT_MB = 8
POST = "運動会の写真です。\n子どもたちの笑顔をご覧ください。\n"


def photo(size: int, seed: int) -> bytes:
    """JPEG-shaped bytes (SOI, APP0, data, EOI) that compress not at all, as photos do."""
    body = hashlib.shake_256(b"photo%d" % seed).digest(size - 20)
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + body + b"\x00\x00\xff\xd9\xff\xd9"


def outlook_draft(photos: dict[str, bytes]) -> bytes:
    """Outlook (ja) as it sends photos: multipart/mixed, ISO-2022-JP text, base64 at 76
    columns, Japanese file names in RFC 2231, CRLF."""
    msg = EmailMessage()
    msg["From"] = f"佐藤 <{AUTHOR}>"
    msg["To"] = GATEWAY
    msg["Subject"] = "運動会の写真"
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain="town.example.jp")
    msg["X-Mailer"] = "Microsoft Outlook 16.0"
    msg.set_content("アカウント: 辰野町公式X\n\n" + POST, charset="iso-2022-jp")
    for name, data in photos.items():
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=name)
    return msg.as_bytes(policy=policy.SMTP)


def photos_of(raw: bytes) -> dict[str, bytes]:
    msg = message_from_bytes(raw, policy=policy.default)
    return {
        p.get_filename(): p.get_payload(decode=True)
        for p in msg.iter_attachments()
        if p.get_content_type() == "image/jpeg"
    }


@pytest.fixture
def gw(mail_system, tmp_path):
    for user in USERS:
        mail_system.add_user(user, PASSWORD)
    limits = f"[limits]\nmax_message_mb = {LIMIT_MB}\nmax_attachment_mb = {LIMIT_MB / 2}\n"
    running = RunningGateway(mail_system, base_config(mail_system, tmp_path, extra=limits))
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_photos_near_the_size_limit_arrive_byte_identical_and_are_signed(gw, tmp_path, capsys):
    each = int(LIMIT_MB * 1024 * 1024 * 0.72 / 3)  # base64 at 76 columns with CRLF: x1.37
    photos = {f"写真{i}.jpg": photo(each, i) for i in range(1, 4)}
    raw = outlook_draft(photos)
    limit = LIMIT_MB * 1024 * 1024
    assert 0.9 * limit < len(raw) <= limit  # near the limit, not over it

    gw.send(raw, AUTHOR)
    received = gw.wait(AUTHOR, "received", "運動会", timeout=120)
    draft_id = header(received, "X-Gateway-Draft")
    requests = {r: gw.wait(r, "review-request", draft_id, timeout=120) for r in (KACHO, KAKARI)}
    for request in requests.values():
        assert photos_of(request) == photos  # names and bytes, for every reviewer
    spool = gw.daemon.gateway.spool.root
    assert list((spool / "incoming").iterdir()) == []  # the fetched file is gone

    gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
    gw.reply(requests[KAKARI], gmail_ja(requests[KAKARI], KAKARI, "係長", "承認です"), KAKARI)
    approved = gw.wait(AUTHOR, "approved", draft_id, timeout=120)
    assert photos_of(approved) == photos

    msg = message_from_bytes(approved, policy=policy.default)
    (record,) = [p for p in msg.iter_attachments() if p.get_filename() == "approval-record.json"]
    signed = {a["filename"]: a["sha256"] for a in json.loads(record.get_payload(decode=True))["attachments"]}
    assert signed == {name: hashlib.sha256(data).hexdigest() for name, data in photos.items()}
    path = tmp_path / "approved.eml"
    path.write_bytes(approved)
    capsys.readouterr()
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 0
    assert "添付 3 点" in capsys.readouterr().out

    # one photo changed by a byte: the signature no longer covers the mail
    for part in msg.iter_attachments():
        if part.get_filename() == "写真2.jpg":
            data = bytearray(photos["写真2.jpg"])
            data[len(data) // 2] ^= 1
            part.set_content(bytes(data), maintype="image", subtype="jpeg", filename="写真2.jpg")
    path.write_bytes(msg.as_bytes(policy=policy.SMTP))
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 1
    assert os.path.getsize(path) > 0.9 * limit
