"""Bounded reading: a MIME bomb or an oversized mail is refused with a clear reason (never
parsed in full), and the spool deletes what nothing refers to any more."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from offline import offline_gateway

from gateway.mime import REFUSED_TOO_COMPLEX, REFUSED_TOO_LARGE, read_message
from gateway.model import Kind

GATEWAY = "sns-check@town.example.jp"
AUTHOR = "sato@town.example.jp"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def nested(levels: int, kind: str = "multipart") -> bytes:
    head = (
        f"From: {AUTHOR}\r\nTo: {GATEWAY}\r\nSubject: =?UTF-8?B?6Ziy54G96KiT57e0?=\r\n"
        "Message-ID: <bomb@town.example.jp>\r\nMIME-Version: 1.0\r\n"
    ).encode()
    body = b""
    for i in range(levels):
        if kind == "multipart":
            body += b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i)
        else:
            body += b"Content-Type: message/rfc822\r\n\r\n"
    body += b"Content-Type: text/plain; charset=UTF-8\r\n\r\nhello\r\n"
    if kind == "multipart":
        for i in reversed(range(levels)):
            body += b"--b%d--\r\n" % i
    return head + body


def rejected_body(gw) -> str:
    entries = [e for e in gw.store.outbox.all() if e["mail_status"] == "rejected"]
    assert len(entries) == 1
    msg = message_from_bytes(gw.spool.get_mail(entries[0]["path"]), policy=policy.default)
    return msg.get_body(("plain",)).get_content()


def test_a_thousand_levels_of_mime_are_refused_with_a_reason_to_the_author(tmp_path):
    for kind in ("multipart", "message"):
        raw = nested(1000, kind)
        inc = read_message(raw, [GATEWAY])
        assert inc.refused == REFUSED_TOO_COMPLEX
        assert inc.kind == Kind.DRAFT and inc.subject == "防災訓練"
        assert not any("RecursionError" in p for p in inc.problems)
    gw = offline_gateway(tmp_path, Clock())
    assert gw.handle_raw(nested(1000)) == "draft"
    assert "構造が複雑すぎる" in rejected_body(gw)


def test_nesting_past_the_walk_limit_is_refused_not_silently_emptied(tmp_path):
    inc = read_message(nested(60), [GATEWAY])
    assert inc.refused == REFUSED_TOO_COMPLEX and inc.kind == Kind.DRAFT
    ordinary = read_message(nested(5), [GATEWAY])
    assert ordinary.refused == "" and ordinary.text.strip() == "hello"


def big_draft(mb: float) -> bytes:
    msg = EmailMessage()
    msg["From"] = AUTHOR
    msg["To"] = GATEWAY
    msg["Subject"] = "写真"
    msg["Message-ID"] = "<big@town.example.jp>"
    msg.set_content("アカウント: 辰野町公式X\n\n写真を送ります。\n", charset="utf-8")
    msg.add_attachment(os.urandom(int(mb * 1024 * 1024)), maintype="image", subtype="jpeg",
                       filename="photo.jpg")  # fmt: skip
    return msg.as_bytes(policy=policy.SMTP)


def test_an_oversized_mail_is_read_as_headers_only_and_returned_with_the_limit(tmp_path):
    gw = offline_gateway(tmp_path, Clock(), limits={"max_message_mb": 1})
    raw = big_draft(2)
    inc = read_message(raw, [GATEWAY], refuse=REFUSED_TOO_LARGE)
    assert inc.text == "" and inc.attachments == () and inc.raw_size == len(raw)
    assert gw.handle_raw(raw) == "draft"
    assert "大きすぎます" in rejected_body(gw)
    assert list((gw.spool.root / "attachments").iterdir()) == []  # the photo never spooled


def test_the_intake_can_hand_over_the_header_block_alone(tmp_path):
    gw = offline_gateway(tmp_path, Clock(), limits={"max_message_mb": 1})
    raw = big_draft(2)
    head = raw[: raw.index(b"\r\n\r\n") + 4]
    assert gw.handle_oversize(head, len(raw)) == "draft"
    assert "上限 1MB" in rejected_body(gw)
    assert gw.handle_oversize(head, len(raw)) == "duplicate"


def test_the_spool_deletes_what_no_draft_refers_to(tmp_path):
    clock = Clock()
    gw = offline_gateway(tmp_path, clock)
    raw = big_draft(0.01)
    assert gw.handle_raw(raw) == "draft"
    attachments = gw.spool.root / "attachments"
    (kept,) = list(attachments.iterdir())
    orphan = attachments / ("0" * 64)
    orphan.write_bytes(b"left over from a draft that was archived")
    fresh = attachments / ("1" * 64)
    fresh.write_bytes(b"written by a transaction still in progress")
    # Temporary files a crash left mid-write, and one being written now.
    crashed = [attachments / ".part-crashed", gw.spool.root / "outbox" / ".spool-crashed"]
    crashed[1].parent.mkdir(exist_ok=True)
    for path in crashed:
        path.write_bytes(b"half a photo")
    writing = attachments / ".part-writing"
    writing.write_bytes(b"the first piece")
    foreign = attachments / ".keep"  # not a name of ours: never judged
    foreign.write_bytes(b"")
    old = time.time() - 3 * 3600
    for path in (orphan, kept, *crashed, foreign):
        os.utime(path, (old, old))
    clock.now += timedelta(hours=2)
    gw.tick()
    assert kept.exists()  # the draft still refers to it
    assert fresh.exists()  # too young to judge
    assert not orphan.exists()
    assert not any(path.exists() for path in crashed)
    assert writing.exists()  # touched with every piece: still in progress
    assert foreign.exists()


def test_piecewise_parsing_builds_the_same_message_as_the_stdlib():
    import email
    from pathlib import Path

    from gateway.mime import parse_bytes

    data = Path(__file__).parent.parent / "data"
    raws = [p.read_bytes() for p in sorted(data.rglob("*.eml"))]
    # and messages whose CRLFs and boundaries straddle the 64 KB pieces
    for pad in (65533, 65534, 65535, 65536):
        raws.append(nested(3)[:-40] + b"x" * pad + b"\r\n--b0--\r\n")
        raws.append(big_draft(0.2).replace(b"\r\n", b"\r\n" + b"y" * (pad % 7), 3))
    assert len(raws) > 100
    for raw in raws:
        assert parse_bytes(raw).as_bytes() == email.message_from_bytes(raw).as_bytes()


def test_a_fetched_file_is_read_held_and_released_without_being_read_whole(tmp_path):
    """`handle_file` (the intake's way for mail over one piece): the photo lands in the
    spool by its SHA-256; a mail over the hourly budget is held as a copy of the file
    and released from it; a file over the size limit is read for its headers only."""
    import hashlib

    clock = Clock()
    gw = offline_gateway(tmp_path, clock, limits={"per_sender_per_hour": 1, "max_message_mb": 3})
    first, second = tmp_path / "first.eml", tmp_path / "second.eml"
    first.write_bytes(big_draft(1.5))
    second.write_bytes(big_draft(1.2).replace(b"<big@", b"<big2@"))
    assert gw.handle_file(first) == "draft"
    photo = read_message(first.read_bytes(), [GATEWAY]).attachments[0].data
    attachments = gw.spool.root / "attachments"
    assert (attachments / hashlib.sha256(photo).hexdigest()).read_bytes() == photo
    assert gw.handle_file(second) == "deferred"
    (held,) = list((gw.spool.root / "held").iterdir())
    assert held.read_bytes() == second.read_bytes()
    clock.now += timedelta(hours=2)
    gw.tick()
    assert any(e["action"] == "held_released" for e in gw.store.all_events())
    photo2 = read_message(second.read_bytes(), [GATEWAY]).attachments[0].data
    assert (attachments / hashlib.sha256(photo2).hexdigest()).read_bytes() == photo2
    assert not [p for p in attachments.iterdir() if p.name.startswith(".")]
    over = tmp_path / "over.eml"
    over.write_bytes(big_draft(4).replace(b"<big@", b"<big3@"))
    clock.now += timedelta(hours=2)
    assert gw.handle_file(over) == "draft"
    assert len(list(attachments.iterdir())) == 2  # the photo over the limit never spooled
