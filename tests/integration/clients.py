"""Replies written the way real mail clients write them, answering a real gateway mail.

Each function takes the raw request the reviewer received and returns the raw reply
bytes their client would send: headers, charset, transfer encoding, quote style and
attribution line as Outlook (Japanese), Gmail (Japanese), iPhone Mail and Thunderbird
produce them.
"""

from __future__ import annotations

import base64
import quopri
from datetime import datetime
from email import message_from_bytes, policy
from email.header import Header
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"


def _orig(request: bytes):
    msg = message_from_bytes(request, policy=policy.default)
    body = msg.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    reply_to = msg.get("Reply-To") or msg.get("From")
    to = reply_to.addresses[0]
    return msg, text.replace("\r\n", "\n"), to.addr_spec, to.display_name


def _refs(msg) -> str:
    return f"{msg.get('References', '')} {msg['Message-ID']}".strip()


def _crlf(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("ascii")


def _when() -> datetime:
    return datetime(2026, 11, 24, 10, 5, tzinfo=JST)


def outlook_ja(request: bytes, sender: str, sender_name: str, body: str) -> bytes:
    """Outlook 2016/365 for Windows, Japanese UI, plain text: ISO-2022-JP, no `>` quoting,
    a rule line and a 差出人/送信日時/宛先/件名 block above the original text."""
    msg, text, to_addr, to_name = _orig(request)
    d = msg["Date"].datetime.astimezone(JST)
    original = "\n".join(
        [
            "________________________________",
            f"差出人: {to_name} <{to_addr}>",
            f"送信日時: {d.year}年{d.month}月{d.day}日 {d.hour}:{d.minute:02d}",
            f"宛先: {sender_name} <{sender}>",
            f"件名: {msg['Subject']}",
            "",
            text,
        ]
    )
    content = f"{body}\n\n{original}".replace("\n", "\r\n")
    payload = content.encode("iso-2022-jp")
    subject = Header("RE: " + str(msg["Subject"]), "iso-2022-jp").encode()
    head = [
        f"From: =?iso-2022-jp?B?{base64.b64encode(sender_name.encode('iso-2022-jp')).decode()}?= <{sender}>",
        f"To: =?iso-2022-jp?B?{base64.b64encode(to_name.encode('iso-2022-jp')).decode()}?= <{to_addr}>",
        f"Subject: {subject}",
        "Thread-Topic: " + Header(str(msg["Subject"]), "iso-2022-jp").encode(),
        "Thread-Index: AQHbXq3d2f4kZ1n3Q0e7mC0m0vK9qQ==",
        f"Date: {format_datetime(_when())}",
        f"Message-ID: {make_msgid(domain='TYCPR01MB1234.jpnprd01.prod.outlook.com')}",
        f"References: {_refs(msg)}",
        f"In-Reply-To: {msg['Message-ID']}",
        "Accept-Language: ja-JP, en-US",
        "Content-Language: ja-JP",
        "X-MS-Has-Attach: ",
        "X-Mailer: Microsoft Outlook 16.0",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-2022-jp"',
        "Content-Transfer-Encoding: 7bit",
    ]
    return _crlf(head) + b"\r\n" + payload + b"\r\n"


def outlook_on_behalf_ja(
    mailbox: str, mailbox_name: str, sender: str, sender_name: str, subject: str, body: str,
    *, message_id: str, extra: tuple[str, ...] = (),
) -> bytes:  # fmt: skip
    """A new mail as Outlook / Exchange sends it from a shared or delegated mailbox
    (「佐藤 花子 on behalf of 広報係」): the mailbox in From, the person who pressed Send in
    Sender, both as ISO-2022-JP encoded words; plain text, ISO-2022-JP, 7bit."""

    def jis(name: str, address: str) -> str:
        return f"=?iso-2022-jp?B?{base64.b64encode(name.encode('iso-2022-jp')).decode()}?= <{address}>"

    head = [
        f"From: {jis(mailbox_name, mailbox)}",
        f"Sender: {jis(sender_name, sender)}",
        "To: sns-check@town.example.jp",
        f"Subject: {Header(subject, 'iso-2022-jp').encode()}",
        "Thread-Topic: " + Header(subject, "iso-2022-jp").encode(),
        "Thread-Index: AQHbXq3d2f4kZ1n3Q0e7mC0m0vK9qQ==",
        f"Date: {format_datetime(_when())}",
        f"Message-ID: {message_id}",
        "Accept-Language: ja-JP, en-US",
        "Content-Language: ja-JP",
        "X-MS-Has-Attach: ",
        "X-MS-Exchange-Organization-AuthAs: Internal",
        "X-Mailer: Microsoft Outlook 16.0",
        *extra,
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="iso-2022-jp"',
        "Content-Transfer-Encoding: 7bit",
    ]
    return _crlf(head) + b"\r\n" + body.replace("\n", "\r\n").encode("iso-2022-jp")


def gmail_ja(request: bytes, sender: str, sender_name: str, body: str) -> bytes:
    """Gmail on the web, Japanese: multipart/alternative, UTF-8 base64, an attribution line
    `2026年11月24日(火) 9:00 名前 <addr>:` and `> ` quoting (blockquote in the HTML part)."""
    msg, text, to_addr, to_name = _orig(request)
    d = msg["Date"].datetime.astimezone(JST)
    attribution = f"{d.year}年{d.month}月{d.day}日({WEEKDAYS[d.weekday()]}) {d.hour}:{d.minute:02d} {to_name} <{to_addr}>:"
    quoted = "\n".join(("> " + line) if line else ">" for line in text.splitlines())
    plain = f"{body}\n\n{attribution}\n\n{quoted}\n".replace("\n", "\r\n")
    html_body = "<br>".join(body.splitlines())
    html_quote = "<br>".join(text.splitlines())
    html = (
        f'<div dir="ltr">{html_body}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
        f"{attribution.replace('<', '&lt;').replace('>', '&gt;')}<br></div>"
        f'<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
        f'padding-left:1ex">{html_quote}</blockquote></div>\r\n'
    )
    boundary = "000000000000a1b2c3d4e5f60718"

    def b64(s: str) -> str:
        raw = base64.b64encode(s.encode("utf-8")).decode()
        return "\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))

    head = [
        "MIME-Version: 1.0",
        f"References: {_refs(msg)}",
        f"In-Reply-To: {msg['Message-ID']}",
        f"From: {Header(sender_name, 'utf-8').encode()} <{sender}>",
        f"Date: {format_datetime(_when())}",
        f"Message-ID: {make_msgid(domain='mail.gmail.com')}",
        f"Subject: {Header('Re: ' + str(msg['Subject']), 'utf-8').encode()}",
        f"To: {Header(to_name, 'utf-8').encode()} <{to_addr}>",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = [
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(plain),
        f"--{boundary}",
        'Content-Type: text/html; charset="UTF-8"',
        "Content-Transfer-Encoding: base64",
        "",
        b64(html),
        f"--{boundary}--",
    ]
    return _crlf(head) + _crlf(parts)


def iphone_ja(request: bytes, sender: str, sender_name: str, body: str) -> bytes:
    """iPhone Mail, Japanese: UTF-8 quoted-printable, `iPhoneから送信`, and an attribution
    `2026/11/24 9:00、名前 <addr>のメール:` above `> ` quoting."""
    msg, text, to_addr, to_name = _orig(request)
    d = msg["Date"].datetime.astimezone(JST)
    attribution = f"> {d.year}/{d.month:02d}/{d.day:02d} {d.hour}:{d.minute:02d}、{to_name} <{to_addr}>のメール:"
    quoted = "\n".join(("> " + line) if line else ">" for line in text.splitlines())
    plain = f"{body}\n\niPhoneから送信\n\n{attribution}\n> \n{quoted}\n".replace("\n", "\r\n")
    qp = quopri.encodestring(plain.encode("utf-8")).decode("ascii")
    head = [
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        f"From: {Header(sender_name, 'utf-8').encode()} <{sender}>",
        "Mime-Version: 1.0 (1.0)",
        f"Subject: {Header('Re: ' + str(msg['Subject']), 'utf-8').encode()}",
        f"Date: {format_datetime(_when())}",
        f"Message-Id: {make_msgid(domain='town.example.jp')}",
        f"References: {_refs(msg)}",
        f"In-Reply-To: {msg['Message-ID']}",
        f"To: {Header(to_name, 'utf-8').encode()} <{to_addr}>",
        "X-Mailer: iPhone Mail (22B83)",
    ]
    return (
        _crlf(head) + b"\r\n" + qp.replace("\n", "\r\n").replace("\r\r\n", "\r\n").encode("ascii")
    )


def thunderbird_ja(
    request: bytes, sender: str, sender_name: str, body: str, *, bottom: bool = False
) -> bytes:
    """Thunderbird, Japanese UI: UTF-8 8bit format=flowed, `… さんは書きました:`; bottom-posted
    when `bottom` is set (the reviewer's words after the quote)."""
    msg, text, to_addr, to_name = _orig(request)
    d = msg["Date"].datetime.astimezone(JST)
    attribution = (
        f"{to_name} さんは書きました:"
        if bottom
        else f"{d.year}/{d.month:02d}/{d.day:02d} {d.hour}:{d.minute:02d} に {to_name} さんは書きました:"
    )
    quoted = "\n".join(("> " + line) if line else ">" for line in text.splitlines())
    plain = (
        f"{attribution}\n{quoted}\n\n{body}\n" if bottom else f"{body}\n\n{attribution}\n{quoted}\n"
    )
    head = [
        f"Message-ID: {make_msgid(domain='town.example.jp')}",
        f"Date: {format_datetime(_when())}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        f"Subject: {Header('Re: ' + str(msg['Subject']), 'utf-8').encode()}",
        "Content-Language: ja",
        f"To: {Header(to_name, 'utf-8').encode()} <{to_addr}>",
        f"References: {_refs(msg)}",
        f"From: {Header(sender_name, 'utf-8').encode()} <{sender}>",
        f"In-Reply-To: {msg['Message-ID']}",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ]
    return _crlf(head) + b"\r\n" + plain.replace("\n", "\r\n").encode("utf-8")


CLIENTS = {
    "outlook_ja": outlook_ja,
    "gmail_ja": gmail_ja,
    "iphone_ja": iphone_ja,
    "thunderbird_ja": thunderbird_ja,
}
