"""Reading a mail from a file with its photos left there (`rawruns`) gives the same
Incoming as reading its bytes, and the attachments come out byte for byte."""

from __future__ import annotations

import base64
import io
import os
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest

from gateway.mime import read_message, read_message_file
from gateway.rawruns import Runs, decode_base64_runs, encode_base64_lines, reduce_message
from gateway.spool import Spool

DATA = Path(__file__).parent.parent / "data"
GW = ["sns-check@town.example.jp"]


def corpus() -> list[bytes]:
    return [p.read_bytes() for p in sorted(DATA.rglob("*.eml"))]


def photo_mail(*sizes: int, crlf: bool = True) -> bytes:
    msg = EmailMessage()
    msg["From"] = "sato@town.example.jp"
    msg["To"] = GW[0]
    msg["Subject"] = "運動会の写真"
    msg["Message-ID"] = "<photos@town.example.jp>"
    msg.set_content("アカウント: 辰野町公式X\n\n運動会の写真です。\n")
    for i, size in enumerate(sizes):
        msg.add_attachment(
            os.urandom(size), maintype="image", subtype="jpeg", filename=f"写真{i}.jpg"
        )
    raw = msg.as_bytes(policy=SMTP)
    return raw if crlf else raw.replace(b"\r\n", b"\n")


def same(a, b) -> None:
    assert a.kind == b.kind
    assert a.message_id == b.message_id
    assert (a.from_addr, a.from_name, a.to_addrs, a.cc_addrs) == (
        b.from_addr, b.from_name, b.to_addrs, b.cc_addrs,
    )  # fmt: skip
    assert (a.subject, a.text, a.alt_texts, a.charset) == (b.subject, b.text, b.alt_texts, b.charset)
    assert (a.tokens, a.headers, a.problems, a.raw_size) == (b.tokens, b.headers, b.problems, b.raw_size)
    assert (a.refused, a.bounced) == (b.refused, b.bounced)
    assert [(x.filename, x.content_type) for x in a.attachments] == [
        (y.filename, y.content_type) for y in b.attachments
    ]
    for x, y in zip(a.attachments, b.attachments, strict=True):
        got = Path(y.stored.path).read_bytes() if y.stored else y.data
        assert x.data == got
        assert y.size == len(x.data)


@pytest.mark.parametrize("run_min", [1, 40])
def test_every_corpus_mail_reads_the_same_from_a_file(tmp_path: Path, run_min: int) -> None:
    """Small thresholds cut runs everywhere they can be cut (text bodies, tiny parts), so
    the stand-ins meet every shape of real mail in the corpus."""
    spool = Spool(tmp_path)
    raws = corpus()
    assert len(raws) > 100
    cut = 0
    for raw in raws:
        if reduce_message(io.BytesIO(raw), run_min).runs.spans:
            cut += 1
        mem = read_message(raw, GW)
        same(mem, read_message_file(io.BytesIO(raw), GW, run_min=run_min))
        same(mem, read_message_file(io.BytesIO(raw), GW, run_min=run_min, blobs=spool.attachment_writer))
    assert cut > len(raws) // 4  # the stand-ins were really used


@pytest.mark.parametrize("crlf", [True, False])
def test_photos_stay_in_the_file_and_come_out_byte_identical(tmp_path: Path, crlf: bool) -> None:
    raw = photo_mail(300_000, 123_457, 10, crlf=crlf)
    reduced = reduce_message(io.BytesIO(raw))
    assert len(reduced.runs.spans) == 2  # the two photos; the 10-byte one stays inline
    assert len(reduced.data) < 20_000
    spool = Spool(tmp_path)
    inc = read_message_file(io.BytesIO(raw), GW, blobs=spool.attachment_writer)
    same(read_message(raw, GW), inc)
    assert all(a.stored is not None for a in inc.attachments)
    assert not [p for p in (tmp_path / "attachments").iterdir() if p.name.startswith(".")]


def test_a_forged_stand_in_is_only_text() -> None:
    """The markers carry a random nonce: text that looks like one is read as text."""
    raw = photo_mail(200_000)
    reduced = reduce_message(io.BytesIO(raw))
    fake = reduced.runs.nonce[:5] + b"0" * 24 + b".0."
    forged = raw.replace("運動会の写真です。".encode(), fake, 1)
    assert b"GWRUN" in forged or fake in forged
    same(read_message(forged, GW), read_message_file(io.BytesIO(forged), GW))


def test_bom_message_id_and_size_agree() -> None:
    raw = b"\xef\xbb\xbf" + photo_mail(100_000).replace(b"Message-ID: <photos@town.example.jp>\r\n", b"")
    mem, streamed = read_message(raw, GW), read_message_file(io.BytesIO(raw), GW)
    same(mem, streamed)
    assert "byte-order mark" in " ".join(streamed.problems)
    assert streamed.message_id.endswith("@gateway.invalid>")


@pytest.mark.parametrize(
    "body",
    [
        b"QUJD\r\nREVG\r\n",
        b"QUJDREVGRw\r\n",  # no padding
        b"QUJDREVGR\r\n",  # one character too many: truncated
        b"QUJD!!REVG\r\n",  # junk inside
        b"QUJD=REVG\r\n",  # decoding stops at the first =
        b"QUJDREVGRw==\r\n\r\n",
        b"",
    ],
)
def test_streamed_base64_matches_the_in_memory_reading(body: bytes) -> None:
    from email import message_from_bytes

    from gateway.mimeparts import payload_bytes

    head = b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    part = message_from_bytes(head + body)
    want_problems: list[str] = []
    want = payload_bytes(part, want_problems)
    # the same payload, cut into a run at every possible place
    for split in range(len(body) + 1):
        source = io.BytesIO(body[split:])
        runs = Runs(source, [(0, len(body) - split)])
        payload = body[:split] + runs.marker(0)
        out, problems = io.BytesIO(), []
        decode_base64_runs(runs, payload, out, problems)
        assert out.getvalue() == want, split
        assert problems == want_problems, split


def test_base64_lines_are_what_the_email_package_writes() -> None:
    for size in (0, 1, 56, 57, 58, 57 * 1000 + 3, 2_500_000):
        data = os.urandom(size)
        out = io.BytesIO()
        encode_base64_lines(io.BytesIO(data), out)
        msg = EmailMessage()
        msg.set_content(data, maintype="image", subtype="jpeg")
        body = msg.as_bytes(policy=SMTP).split(b"\r\n\r\n", 1)[1]
        assert out.getvalue() == body
        assert base64.b64decode(out.getvalue()) == data


def test_a_photo_given_as_a_file_is_written_as_the_email_package_writes_it(tmp_path: Path) -> None:
    from gateway.render import _stand_in_for_file, file_parts

    photos = [os.urandom(n) for n in (0, 57, 1_234_567)]
    paths = []
    for i, data in enumerate(photos):
        paths.append(tmp_path / f"p{i}")
        paths[-1].write_bytes(data)

    def message(as_files: bool) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = "写真"
        msg["Message-ID"] = "<same@town.example.jp>"
        msg.set_content("本文\n.\n")
        for data, path in zip(photos, paths, strict=True):
            msg.add_attachment(b"" if as_files else data, maintype="image", subtype="jpeg", filename="a.jpg")
            if as_files:
                _stand_in_for_file(msg, path)
        msg.set_boundary("BOUNDARY")
        return msg

    spool = Spool(tmp_path / "spool")
    streamed = message(True)
    assert len(file_parts(streamed)) == 3
    name = spool.put_message("<a@x>", streamed, file_parts(streamed))
    assert spool.get_mail(name) == message(False).as_bytes(policy=SMTP)


@pytest.mark.parametrize("body_chars", [100, 60_000])
def test_our_own_sent_mail_is_read_back_without_its_photos(tmp_path: Path, body_chars: int) -> None:
    """The reply reader compares a reply with what we sent: the plain body of a review
    request, whose base64 may itself be longer than a run (a long post)."""
    from email import message_from_bytes, policy

    from gateway.reply_intake import _plain_body

    msg = EmailMessage()
    msg["Subject"] = "確認依頼"
    msg.set_content(("投稿案です。" * body_chars)[:body_chars] + "\n")
    msg.add_attachment(os.urandom(300_000), maintype="image", subtype="jpeg", filename="a.jpg")
    path = tmp_path / "sent.eml"
    path.write_bytes(msg.as_bytes(policy=SMTP))
    want = message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",))
    assert _plain_body(path) == want.get_content()
    assert len(reduce_message(io.BytesIO(path.read_bytes())).runs.spans) == (2 if body_chars > 50_000 else 1)


def test_a_forwarded_mail_with_photos_comes_out_whole(tmp_path: Path) -> None:
    from email import message_from_bytes
    from email import policy as email_policy

    inner = message_from_bytes(photo_mail(250_000, 90_000), policy=email_policy.default)
    outer = EmailMessage()
    outer["From"] = "sato@town.example.jp"
    outer["To"] = GW[0]
    outer["Subject"] = "Fwd: 運動会の写真"
    outer.set_content("転送します。\n")
    outer.add_attachment(inner)
    raw = outer.as_bytes(policy=SMTP)
    assert len(reduce_message(io.BytesIO(raw)).runs.spans) == 2
    spool = Spool(tmp_path)
    streamed = read_message_file(io.BytesIO(raw), GW, blobs=spool.attachment_writer)
    same(read_message(raw, GW), streamed)
    assert [a.size for a in streamed.attachments] == [250_000, 90_000]  # the inner photos
    assert all(a.stored is not None for a in streamed.attachments)


def test_a_full_disk_is_not_the_mails_fault(tmp_path: Path) -> None:
    """Writing a photo to the spool fails: the reader raises (the daemon keeps the mail on
    the server and alarms), it never files the draft as an unreadable mail."""
    import errno

    class Full:
        def write(self, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):  # pragma: no cover - never reached
            raise AssertionError

        def discard(self) -> None:
            pass

    with pytest.raises(OSError):
        read_message_file(io.BytesIO(photo_mail(100_000)), GW, blobs=Full)
    # and in the pipeline: the message is not marked seen, so it is fetched again
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from offline import offline_gateway

    gw = offline_gateway(tmp_path, lambda: datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo")))
    gw.spool.attachment_writer = lambda: Full()  # type: ignore[method-assign]
    with pytest.raises(OSError):
        gw.handle_raw(photo_mail(100_000))
    assert gw.store.seen.all() == []


def test_every_copy_of_a_photo_shares_one_encoding(tmp_path: Path) -> None:
    """Review requests and the confirmation copy the photo's base64 from one file in the
    spool, encoded once; a damaged (short) encoding is made again, never sent."""
    from gateway.render import _stand_in_for_file, file_parts

    spool = Spool(tmp_path / "spool")
    data = os.urandom(1_000_003)
    writer = spool.attachment_writer()
    writer.write(data)
    stored = writer.close()
    path = Path(stored.path)

    def request(i: int) -> bytes:
        msg = EmailMessage()
        msg["Message-ID"] = f"<r{i}@town.example.jp>"
        msg.set_content("確認をお願いします。\n")
        msg.add_attachment(b"", maintype="image", subtype="jpeg", filename="a.jpg")
        _stand_in_for_file(msg, path)
        msg.set_boundary("B")
        return spool.get_mail(spool.put_message(msg["Message-ID"], msg, file_parts(msg)))

    first = request(1)
    encoded = tmp_path / "spool" / "encoded" / f"{stored.sha256}.b64"
    made = encoded.stat().st_mtime_ns
    assert request(2).replace(b"<r2@", b"<r1@") == first
    assert encoded.stat().st_mtime_ns == made  # the second copy reused it
    encoded.write_bytes(encoded.read_bytes()[:-100])  # a torn cache file
    assert request(3).replace(b"<r3@", b"<r1@") == first
    from email import message_from_bytes
    from email import policy as email_policy

    (photo,) = message_from_bytes(first, policy=email_policy.default).iter_attachments()
    assert photo.get_payload(decode=True) == data
