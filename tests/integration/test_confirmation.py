"""A confirmation end to end: a draft with a photo, as an iPhone sends it, through Dovecot
and SMTP; the approved mail carries the photo, the record signs it, and `gateway verify`
(with `--text`) holds on the mail as it arrived, and fails on a changed photo."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy
from email.utils import format_datetime, make_msgid

import pytest
from clients import gmail_ja, outlook_ja
from harness import (
    AUTHOR,
    GATEWAY,
    KACHO,
    KAKARI,
    header,
)

from gateway.cli import main as cli_main

pytestmark = pytest.mark.integration

POST = (
    "【ほたる祭り】\n"
    "今年も松尾峡でほたる祭りを開催します。\n"
    "\u3000会場の地図は写真をご覧ください。\n"
)
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8 + b"\xff\xd9"


def iphone_draft_with_photo() -> bytes:
    """Apple Mail on iOS: multipart/mixed, UTF-8 quoted-printable text, the photo named
    image0.jpeg in base64 at 76 columns, CRLF."""
    boundary = "Apple-Mail-7A1C2E3F-0B4D-4E5F-8A9B-112233445566"
    text = ("アカウント: 辰野町公式X\n\n" + POST).encode("utf-8")
    import quopri

    qp = quopri.encodestring(text).decode("ascii").replace("\n", "\r\n")
    b64 = base64.encodebytes(PHOTO).decode("ascii").replace("\n", "\r\n")
    lines = [
        "Content-Type: multipart/mixed; boundary=" + boundary,
        "Content-Transfer-Encoding: 7bit",
        "From: =?utf-8?B?5L2Q6Jek?= <" + AUTHOR + ">",
        "Mime-Version: 1.0 (1.0)",
        "Date: " + format_datetime(__import__("datetime").datetime.now().astimezone()),
        "Subject: =?utf-8?B?44G744Gf44KL56Wt44KK?=",
        "Message-Id: " + make_msgid(domain="town.example.jp"),
        "To: " + GATEWAY,
        "X-Mailer: iPhone Mail (21F90)",
        "",
        "",
        "--" + boundary,
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        qp.rstrip("\r\n"),
        "--" + boundary,
        'Content-Type: image/jpeg; name="image0.jpeg"',
        'Content-Disposition: attachment; filename="image0.jpeg"',
        "Content-Transfer-Encoding: base64",
        "",
        b64.rstrip("\r\n"),
        "--" + boundary + "--",
        "",
    ]
    return "\r\n".join(lines).encode("ascii")


def test_photo_is_signed_carried_and_verified(gw, tmp_path, capsys):
    gw.send(iphone_draft_with_photo(), AUTHOR)
    received = gw.wait(AUTHOR, "received", "ほたる祭り")
    draft_id = header(received, "X-Gateway-Draft")
    requests = {r: gw.wait(r, "review-request", draft_id) for r in (KACHO, KAKARI)}
    request = message_from_bytes(requests[KACHO], policy=policy.default)
    (post,) = [p for p in request.iter_attachments() if p.get_filename() == "post.txt"]
    assert post.get_content_charset() == "utf-8"
    assert post.get_payload(decode=True) == POST.rstrip("\n").encode("utf-8")

    gw.reply(requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), KACHO)
    gw.reply(requests[KAKARI], gmail_ja(requests[KAKARI], KAKARI, "係長", "承認です"), KAKARI)
    approved = gw.wait(AUTHOR, "approved", draft_id)
    msg = message_from_bytes(approved, policy=policy.default)
    photos = [p for p in msg.iter_attachments() if p.get_filename() == "image0.jpeg"]
    assert [p.get_payload(decode=True) for p in photos] == [PHOTO]

    path = tmp_path / "approved.eml"
    path.write_bytes(approved)
    given = tmp_path / "post.txt"
    given.write_bytes(POST.replace("\n", "\r\n").encode("utf-8"))
    capsys.readouterr()
    assert cli_main(["verify", "-c", str(gw.config_path), str(path), "--text", str(given)]) == 0
    out = capsys.readouterr().out
    assert "添付 1 点" in out and "承認された文面と同じです" in out

    given.write_text(POST.replace("松尾峡", "松尾狭"), encoding="utf-8")
    assert cli_main(["verify", "-c", str(gw.config_path), str(path), "--text", str(given)]) == 1
    assert "2 行目" in capsys.readouterr().out

    for part in msg.iter_attachments():
        if part.get_filename() == "image0.jpeg":
            part.set_content(
                PHOTO[:-3] + b"\x00\xff\xd9",
                maintype="image",
                subtype="jpeg",
                filename="image0.jpeg",
            )
    path.write_bytes(msg.as_bytes(policy=policy.SMTP))
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 1
    assert "「image0.jpeg」の内容が、承認されたものと違います" in capsys.readouterr().out
