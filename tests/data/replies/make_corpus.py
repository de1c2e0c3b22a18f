"""Writes the reply corpus: raw .eml files in the shapes real mail clients produce.

Run `python tests/data/replies/make_corpus.py` to regenerate; the .eml files and
labels.toml are committed, so tests never run this. Each client builder below writes the
headers, MIME structure, charset, transfer encoding, quote header and quoting style of one
real client (Outlook 2016/365 ja/en, Gmail web/Android, iPhone Mail, Thunderbird,
Becky!, Evolution, Wanderlust, feature phones) around the reviewer's own words.
"""

from __future__ import annotations

import base64
import quopri
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
GATEWAY = "sns-check@town.example.jp"
TOKEN = "D-000042.v1.kq4ptx7bm2a"
PLUS = f"sns-check+{TOKEN}@town.example.jp"
REQ_MID = f"<{TOKEN}.review@town.example.jp>"
DRAFT_MID = "<20261123093012.4F2A@pc-soumu12.town.example.jp>"
SUBJECT = "[承認依頼 D-000042] 防災訓練のお知らせ"
REQ_DATE = "Mon, 23 Nov 2026 10:00:12 +0900"

REQUEST_TEXT = (HERE / "sent" / "review_request.txt").read_text(encoding="utf-8")
REQ_LINES = REQUEST_TEXT.rstrip("\n").split("\n")
DRAFT_LINES = REQ_LINES[REQ_LINES.index("━━━━━━━━ 投稿される文章 ━━━━━━━━") + 1 :][:4]

REVIEWERS = {
    "kacho": ("総務課 課長 山田太郎", "kacho@town.example.jp"),
    "kakari": ("鈴木 一郎", "kakaricho@town.example.jp"),
    "dairi": ("高橋 美咲", "dairi@town.example.jp"),
}

# ---------------------------------------------------------------------------
# Encoders
# ---------------------------------------------------------------------------


def sjis_to_jis(s1: int, s2: int) -> tuple[int, int]:
    if s1 >= 0xE0:
        s1 -= 0x40
    j1 = (s1 - 0x81) * 2 + 0x21
    if s2 >= 0x9F:
        j1 += 1
        j2 = s2 - 0x9F + 0x21
    else:
        if s2 >= 0x80:
            s2 -= 1
        j2 = s2 - 0x40 + 0x21
    return j1, j2


def cp50220(text: str) -> bytes:
    """ISO-2022-JP the way Outlook writes it: CP932 repertoire (NEC/IBM chars) in ESC $ B."""
    out = bytearray()
    mode = "ascii"
    for ch in text:
        if ch in "\r\n" or ord(ch) < 0x80:
            if mode != "ascii":
                out += b"\x1b(B"
                mode = "ascii"
            out += ch.encode("ascii")
            continue
        b = ch.encode("cp932")
        if len(b) == 1:  # half-width katakana: Outlook (CP50221) uses ESC ( I
            if mode != "kana":
                out += b"\x1b(I"
                mode = "kana"
            out.append(b[0] - 0x80)
            continue
        if mode != "kanji":
            out += b"\x1b$B"
            mode = "kanji"
        out += bytes(sjis_to_jis(b[0], b[1]))
    if mode != "ascii":
        out += b"\x1b(B"
    return bytes(out)


def enc(text: str, charset: str) -> bytes:
    if charset.lower() == "iso-2022-jp":
        return cp50220(text)
    if charset.lower() == "shift_jis":
        return text.encode("cp932")
    return text.encode(charset)


def ew(text: str, charset: str = "UTF-8", chunk: int = 12) -> str:
    """RFC 2047 B encoded words, one per chunk of characters, folded like Outlook does."""
    if text.isascii():
        return text
    words = []
    for i in range(0, len(text), chunk):
        data = enc(text[i : i + chunk], charset)
        words.append(f"=?{charset}?B?{base64.b64encode(data).decode()}?=")
    return "\r\n ".join(words)


def b64(data: bytes) -> bytes:
    s = base64.b64encode(data)
    return b"\r\n".join(s[i : i + 76] for i in range(0, len(s), 76))


def qp(data: bytes) -> bytes:
    return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def quoted(lines: list[str], prefix: str = "> ") -> str:
    return "\n".join((prefix + line).rstrip() if line else prefix.rstrip() for line in lines)


def esc_html(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def html_lines(text: str) -> str:
    return "".join(f"<div>{esc_html(line) or '<br>'}</div>\n" for line in text.split("\n"))


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------


def base_headers(
    who: str, mid: str, date: str, subject: str, charset: str = "UTF-8", extra: str = ""
) -> str:
    name, addr = REVIEWERS[who]
    return (
        f"Return-Path: <{addr}>\n"
        f"Delivered-To: {PLUS}\n"
        f"Received: from mx1.town.example.jp (mx1.town.example.jp [192.0.2.10])\n"
        f"\tby mail.town.example.jp (Postfix) with ESMTPS id 4Fb2kQ1zX9z9s for <{PLUS}>;\n"
        f"\t{date}\n"
        f"Authentication-Results: mail.town.example.jp; spf=pass smtp.mailfrom={addr};\n"
        f"\tdkim=pass header.d=town.example.jp\n"
        f"From: {ew(name, charset)} <{addr}>\n"
        f"To: {ew('SNS確認ゲートウェイ', charset)} <{PLUS}>\n"
        f"Subject: {ew(subject, charset)}\n"
        f"Date: {date}\n"
        f"Message-ID: {mid}\n"
        f"In-Reply-To: {REQ_MID}\n"
        f"References: {DRAFT_MID}\n {REQ_MID}\n"
        f"{extra}"
        "MIME-Version: 1.0\n"
    )


# ---------------------------------------------------------------------------
# What the reviewer replies to
# ---------------------------------------------------------------------------

REQ = REQ_LINES


def outlook_plain_original(lang: str = "ja") -> str:
    if lang == "ja":
        return (
            "-----Original Message-----\n"
            f"From: SNS確認ゲートウェイ <{PLUS}>\n"
            "Sent: Monday, November 23, 2026 10:00 AM\n"
            "To: 山田太郎 <kacho@town.example.jp>\n"
            f"Subject: {SUBJECT}\n\n" + "\n".join(REQ)
        )
    return (
        "-----Original Message-----\n"
        f"From: SNS確認ゲートウェイ <{PLUS}>\n"
        "Sent: Monday, November 23, 2026 10:00 AM\n"
        "To: Yamada Taro <kacho@town.example.jp>\n"
        f"Subject: {SUBJECT}\n\n" + "\n".join(REQ)
    )


def outlook365_plain_block(rule: bool = True) -> str:
    return (
        ("________________________________\n" if rule else "")
        + f"差出人: SNS確認ゲートウェイ <{PLUS}>\n"
        "送信日時: 2026年11月23日 10:00\n"
        "宛先: 山田 太郎 <kacho@town.example.jp>\n"
        f"件名: {SUBJECT}\n\n" + "\n".join(REQ)
    )


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    client: Callable[..., bytes]
    own: str
    kind: str = "reply"
    decision: str | None = None
    comment: list[str] = field(default_factory=list)  # substrings the comment must hold
    not_in_comment: list[str] = field(default_factory=list)
    who: str = "kacho"
    opts: dict = field(default_factory=dict)
    extra_approve: list[str] = field(default_factory=list)
    note: str = ""


def outlook2016_plain(c: Case, n: int) -> bytes:
    """Outlook 2016 ja, plain-text mode: ISO-2022-JP 7bit, -----Original Message-----."""
    cs = "iso-2022-jp"
    sig = c.opts.get("sig", "")
    body = (
        c.own
        + "\n\n"
        + (sig + "\n\n" if sig else "")
        + outlook_plain_original(c.opts.get("lang", "ja"))
    )
    h = base_headers(
        c.who,
        f"<00{n:02d}01d95f1a$4c8e2b30$e5aa8190$@town.example.jp>",
        "Mon, 23 Nov 2026 11:02:47 +0900",
        "RE: " + SUBJECT,
        "ISO-2022-JP",
        "X-Mailer: Microsoft Outlook 16.0\n"
        "Thread-Index: AQHZXxpMjis+5aqBkE2ZyQAAAAAAAAAAAAAAAAAA\n"
        "Content-Language: ja\n",
    )
    h += 'Content-Type: text/plain;\n\tcharset="iso-2022-jp"\nContent-Transfer-Encoding: 7bit\n\n'
    return crlf(h).encode("ascii") + enc(crlf(body), cs)


def outlook365_alt(c: Case, n: int) -> bytes:
    """Outlook 365 ja: multipart/alternative, plain with ____ + 差出人 block, HTML with
    divRplyFwdMsg; charset ISO-2022-JP (or UTF-8 base64 when opts say so)."""
    cs = c.opts.get("charset", "iso-2022-jp")
    rule = c.opts.get("rule", True)
    sig = c.opts.get("sig", "")
    own_plain = c.own + ("\n\n" + sig if sig else "")
    plain = own_plain + "\n\n" + outlook365_plain_block(rule)
    own_html = "".join(
        f'<div style="font-family: Aptos, sans-serif; font-size: 12pt;">{esc_html(line) or "<br>"}</div>\n'
        for line in own_plain.split("\n")
    )
    html = (
        '<html><head>\n<meta http-equiv="Content-Type" content="text/html; charset='
        + cs
        + '">\n<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n'
        '</head>\n<body dir="ltr">\n' + own_html + '<div id="appendonsend"></div>\n'
        '<hr style="display:inline-block;width:98%" tabindex="-1">\n'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
        f"<b>差出人:</b> SNS確認ゲートウェイ &lt;{PLUS}&gt;<br>\n"
        "<b>送信日時:</b> 2026年11月23日 10:00<br>\n"
        "<b>宛先:</b> 山田 太郎 &lt;kacho@town.example.jp&gt;<br>\n"
        f"<b>件名:</b> {esc_html(SUBJECT)}</font>\n<div>&nbsp;</div>\n</div>\n"
        '<div><div dir="ltr">\n' + html_lines("\n".join(REQ)) + "</div></div>\n</body>\n</html>\n"
    )
    b = "_000_TYCP286MB2145B8E1C6D0A0F7C3F5B1A2CD9A2TYCP286MB2145JPNP_"
    h = base_headers(
        c.who,
        f"<TYCP286MB21450{n:02d}B8E1C6D0A0F7C3F5B1A2CD9A2@TYCP286MB2145.JPNP286.PROD.OUTLOOK.COM>",
        "Mon, 23 Nov 2026 02:15:09 +0000",
        "RE: " + SUBJECT,
        "iso-2022-jp" if cs == "iso-2022-jp" else "utf-8",
        "Thread-Topic: " + ew(SUBJECT, "iso-2022-jp") + "\n"
        "Thread-Index: AQHbXcDqkV3m8+0lTUGnAbCdEfGhIrA5xYzB\n"
        "Accept-Language: ja-JP, en-US\nContent-Language: ja-JP\n"
        "X-MS-Has-Attach: \nX-MS-TNEF-Correlator: \n"
        "msip_labels: \n",
    )
    h += f'Content-Type: multipart/alternative;\n\tboundary="{b}"\n\n'
    out = crlf(h).encode("ascii")
    if cs == "iso-2022-jp":
        p1 = enc(crlf(plain), cs)
        p2 = enc(crlf(html), cs)
        te = "7bit"
    else:
        p1 = b64(crlf(plain).encode())
        p2 = b64(crlf(html).encode())
        te = "base64"
    out += (
        (
            f'--{b}\r\nContent-Type: text/plain; charset="{cs}"\r\n'
            f"Content-Transfer-Encoding: {te}\r\n\r\n"
        ).encode()
        + p1
        + b"\r\n\r\n"
    )
    out += (
        (
            f'--{b}\r\nContent-Type: text/html; charset="{cs}"\r\n'
            f"Content-Transfer-Encoding: {te}\r\n\r\n"
        ).encode()
        + p2
        + f"\r\n\r\n--{b}--\r\n".encode()
    )
    return out


def outlook_html_only(c: Case, n: int) -> bytes:
    """Outlook on the web, HTML only (no plain alternative), UTF-8 quoted-printable."""
    sig = c.opts.get("sig", "")
    own_plain = c.own + ("\n\n" + sig if sig else "")
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>\n'
        '<body><div class="elementToProof">\n' + html_lines(own_plain) + "</div>\n"
        '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" color="#000000" '
        'style="font-size:11pt"><b>差出人:</b>&nbsp;SNS確認ゲートウェイ &lt;'
        + PLUS
        + "&gt;<br><b>送信日時:</b>&nbsp;2026年11月23日 10:00<br><b>宛先:</b>&nbsp;山田 太郎<br>"
        + f"<b>件名:</b>&nbsp;{esc_html(SUBJECT)}</font><div>&nbsp;</div></div>\n"
        + "<div>"
        + "<br>\n".join(esc_html(x) for x in REQ)
        + "</div>\n</body></html>\n"
    )
    h = base_headers(
        c.who,
        f"<OS3P286MB0{n:02d}9A1C2E4F6B8D0A1C3E5F7@OS3P286MB0929.JPNP286.PROD.OUTLOOK.COM>",
        "Mon, 23 Nov 2026 03:40:00 +0000",
        "RE: " + SUBJECT,
        "utf-8",
        "Thread-Index: AQHbXcDqkV3m8+0lTUGnAbCdEfGhIrA5xYzC\nContent-Language: ja-JP\n",
    )
    h += 'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
    return crlf(h).encode("ascii") + qp(crlf(html).encode())


def outlook_desktop_html(c: Case, n: int) -> bytes:
    """Outlook 2016 desktop HTML (Word engine): MsoNormal, border-top div, no id;
    multipart/alternative with the plain part carrying a 差出人 block without rule."""
    cs = "iso-2022-jp"
    plain = c.own + "\n\n" + outlook365_plain_block(rule=False)
    own_html = "".join(
        f"<p class=MsoNormal>{esc_html(line) or '<o:p>&nbsp;</o:p>'}<o:p></o:p></p>\n"
        for line in c.own.split("\n")
    )
    html = (
        '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">'
        '<head><meta http-equiv=Content-Type content="text/html; charset=iso-2022-jp">'
        "<style><!-- p.MsoNormal {margin:0mm;font-size:10.5pt;} --></style></head>"
        "<body lang=JA link=\"#0563C1\" style='text-justify-trim:punctuation'>"
        "<div class=WordSection1>\n" + own_html + "<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm'>"
        f"<p class=MsoNormal><b>差出人<span lang=EN-US>:</span></b><span lang=EN-US> SNS確認ゲートウェイ &lt;{PLUS}&gt; <br>"
        "</span><b>送信日時<span lang=EN-US>:</span></b><span lang=EN-US> </span>2026年11月23日 10:00<br>"
        "<b>宛先<span lang=EN-US>:</span></b> 山田 太郎<br><b>件名<span lang=EN-US>:</span></b> "
        + esc_html(SUBJECT)
        + "<o:p></o:p></p></div>\n"
        + "".join(f"<p class=MsoNormal>{esc_html(x) or '&nbsp;'}<o:p></o:p></p>\n" for x in REQ)
        + "</div></body></html>\n"
    )
    b = "----=_NextPart_000_0017_01DB5F1A.5D3C2B40"
    h = base_headers(
        c.who,
        f"<001{n:02d}01db5ece$3a1b2c40$ae518460$@town.example.jp>",
        "Mon, 23 Nov 2026 11:20:31 +0900",
        "RE: " + SUBJECT,
        "ISO-2022-JP",
        "X-Mailer: Microsoft Outlook 16.0\nThread-Index: AQHZXxpMjis+5aqBkE2ZyQBBBBBB\nContent-Language: ja\n",
    )
    h += f'Content-Type: multipart/alternative;\n\tboundary="{b}"\n\nThis is a multipart message in MIME format.\n\n'
    out = crlf(h).encode("ascii")
    out += f'--{b}\r\nContent-Type: text/plain;\r\n\tcharset="iso-2022-jp"\r\nContent-Transfer-Encoding: 7bit\r\n\r\n'.encode()
    out += enc(crlf(plain), cs) + b"\r\n\r\n"
    out += f'--{b}\r\nContent-Type: text/html;\r\n\tcharset="iso-2022-jp"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'.encode()
    out += qp(enc(crlf(html), cs)) + f"\r\n\r\n--{b}--\r\n\r\n".encode()
    return out


def gmail(c: Case, n: int) -> bytes:
    """Gmail web ja/en: multipart/alternative UTF-8 base64, gmail_quote + blockquote."""
    lang = c.opts.get("lang", "ja")
    wrap = c.opts.get("wrap", False)
    if lang == "ja":
        attr = f"2026年11月23日(月) 10:00 SNS確認ゲートウェイ <{PLUS}>:"
        if wrap:
            attr = f"2026年11月23日(月) 10:00 SNS確認ゲートウェイ <\n{PLUS}>:"
        attr_html = f'2026年11月23日(月) 10:00 SNS確認ゲートウェイ &lt;<a href="mailto:{PLUS}">{PLUS}</a>&gt;:<br>'
    else:
        attr = f"On Mon, Nov 23, 2026 at 10:00 AM SNS確認ゲートウェイ <{PLUS}> wrote:"
        if wrap:
            attr = f"On Mon, Nov 23, 2026 at 10:00 AM SNS確認ゲートウェイ <\n{PLUS}> wrote:"
        attr_html = (
            f"On Mon, Nov 23, 2026 at 10:00 AM SNS確認ゲートウェイ &lt;{PLUS}&gt; wrote:<br>"
        )
    bottom = c.opts.get("bottom", False)
    own = c.own
    quote_plain = (
        attr
        + "\n\n"
        + quoted(REQ if not c.opts.get("quote_extra") else c.opts["quote_extra"] + REQ)
    )
    plain = (quote_plain + "\n\n" + own) if bottom else (own + "\n\n" + quote_plain)
    qlines = REQ if not c.opts.get("quote_extra") else c.opts["quote_extra"] + REQ
    quote_html = (
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">'
        + attr_html
        + '</div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">'
        + "<br>".join(esc_html(x) for x in qlines)
        + "</blockquote></div>"
    )
    own_html = "".join(f"<div>{esc_html(x) or '<br>'}</div>" for x in own.split("\n"))
    html = (
        '<div dir="ltr">'
        + (("<br>" + quote_html + own_html) if bottom else (own_html + "<br>" + quote_html))
        + "</div>\n"
    )
    b = f"0000000000001f3a9c0626{n:02d}c8e1"
    h = base_headers(
        c.who,
        f"<CAJ+{n:02d}x7Q2v8Nn=4pWfK1Xz5o2Q_T8sGmB0dHn-wYq9u+3RkLw@mail.gmail.com>",
        "Mon, 23 Nov 2026 11:05:33 +0900",
        "Re: " + SUBJECT,
        extra="X-Gm-Message-State: AOJu0YwAbCdEfGhIjKlMnOpQrStUvWxYz\n",
    )
    h += f'Content-Type: multipart/alternative; boundary="{b}"\n\n'
    out = crlf(h).encode("ascii")
    out += f'--{b}\r\nContent-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode()
    out += b64(crlf(plain).encode()) + b"\r\n"
    out += f'--{b}\r\nContent-Type: text/html; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode()
    out += b64(crlf(html).encode()) + f"\r\n--{b}--\r\n".encode()
    return out


def gmail_html_only(c: Case, n: int) -> bytes:
    """Only the HTML part survives (e.g. relayed through a list that strips alternatives)."""
    raw = gmail(c, n)
    head, _, rest = raw.partition(b"Content-Type: multipart/alternative")
    part = rest.split(b'Content-Type: text/html; charset="UTF-8"\r\n', 1)[1]
    body = part.rsplit(b"\r\n--", 1)[0]
    return head + b'Content-Type: text/html; charset="UTF-8"\r\n' + body + b"\r\n"


def android_gmail(c: Case, n: int) -> bytes:
    c.opts.setdefault("lang", "ja")
    raw = gmail(c, n)
    return raw.replace(b"Mon, 23 Nov 2026 11:05:33 +0900", b"Mon, 23 Nov 2026 12:41:02 +0900")


def iphone(c: Case, n: int) -> bytes:
    """iPhone Mail ja: text/plain UTF-8 quoted-printable, `iPhoneから送信`, …のメール:."""
    attr = f"2026/11/23 10:00、SNS確認ゲートウェイ <{PLUS}>のメール:"
    sent_from = c.opts.get("sent_from", "iPhoneから送信")
    quote_attr = c.opts.get("quote_attr", False)
    own = c.own
    body = (
        own
        + "\n\n"
        + sent_from
        + "\n\n"
        + ((quoted([attr, ""]) + "\n") if quote_attr else (attr + "\n\n"))
        + quoted(REQ)
    )
    h = base_headers(
        c.who,
        f"<{n:02d}A7C3E1F-2B4D-4E6F-8A0B-1C2D3E4F5A6B@town.example.jp>",
        "Mon, 23 Nov 2026 12:13:55 +0900",
        "Re: " + SUBJECT,
        extra="X-Mailer: iPhone Mail (22B91)\n",
    )
    h += "Content-Type: text/plain;\n\tcharset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
    return crlf(h).encode("ascii") + qp(crlf(body).encode())


def thunderbird(c: Case, n: int) -> bytes:
    """Thunderbird ja/en: format=flowed, 8bit UTF-8 (or ISO-2022-JP on old ja builds)."""
    lang = c.opts.get("lang", "ja")
    cs = c.opts.get("charset", "UTF-8")
    attr = {
        "ja": "SNS確認ゲートウェイ さんは書きました:",
        "ja2": "On 2026/11/23 10:00, SNS確認ゲートウェイ wrote:",
        "en": "On 11/23/26 10:00 AM, SNS確認ゲートウェイ wrote:",
    }[lang]
    bottom = c.opts.get("bottom", False)
    inline = c.opts.get("inline")
    sig = c.opts.get("sig", "")
    if inline:  # list of (quoted lines, comment)
        parts = [attr, ""]
        for qs, comment in inline:
            parts.append(quoted(qs))
            if comment:
                parts += ["", comment, ""]
        body = "\n".join(parts)
    elif bottom:
        body = attr + "\n" + quoted(REQ) + "\n\n" + c.own
    else:
        body = c.own + "\n\n" + attr + "\n" + quoted(REQ)
    if sig:
        body += "\n\n-- \n" + sig
    # format=flowed; delsp=yes (Japanese has no spaces to break at): long own lines get
    # soft breaks, a trailing space that the reader deletes
    flowed = []
    for line in body.split("\n"):
        if not line.startswith(">") and len(line) > 36 and line != "-- " and line != attr:
            flowed.extend(line[i : i + 36] + " " for i in range(0, len(line) - 36, 36))
            flowed.append(line[(len(line) - 1) // 36 * 36 :])
        else:
            flowed.append(line)
    body = "\n".join(flowed)
    h = base_headers(
        c.who,
        f"<{n:02d}b3c4d5e-6f70-4819-a2b3-c4d5e6f70819@town.example.jp>",
        "Mon, 23 Nov 2026 13:30:00 +0900",
        "Re: " + SUBJECT,
        cs,
        "User-Agent: Mozilla Thunderbird\nContent-Language: ja\n",
    )
    te = "7bit" if cs.lower() == "iso-2022-jp" else "8bit"
    h += f"Content-Type: text/plain; charset={cs}; format=flowed; delsp=yes\nContent-Transfer-Encoding: {te}\n\n"
    return crlf(h).encode("ascii") + enc(crlf(body), cs)


def becky(c: Case, n: int) -> bytes:
    """Becky! 2: ISO-2022-JP 7bit; `On <date>\\n<name> wrote:` or Original Message + `> From:`."""
    style = c.opts.get("style", "wrote")
    if style == "wrote":
        q = (
            f'On Mon, 23 Nov 2026 10:00:12 +0900\n"SNS確認ゲートウェイ" <{PLUS}> wrote:\n\n'
            + quoted(REQ)
        )
    else:
        q = "-----Original Message-----\n" + quoted(
            [
                f"From: SNS確認ゲートウェイ <{PLUS}>",
                "Date: Mon, 23 Nov 2026 10:00:12 +0900",
                f"Subject: {SUBJECT}",
                "",
                *REQ,
            ]
        )
    bottom = c.opts.get("bottom", False)
    body = (q + "\n\n" + c.own) if bottom else (c.own + "\n\n" + q)
    h = base_headers(
        c.who,
        f"<20261123140{n:02d}.8C2A.B8C1F0A1@town.example.jp>",
        "Mon, 23 Nov 2026 14:00:05 +0900",
        "Re: " + SUBJECT,
        "ISO-2022-JP",
        "X-Mailer: Becky! ver. 2.81.04 [ja]\n",
    )
    h += 'Content-Type: text/plain; charset="ISO-2022-JP"\nContent-Transfer-Encoding: 7bit\n\n'
    return crlf(h).encode("ascii") + enc(crlf(body), "iso-2022-jp")


def evolution(c: Case, n: int) -> bytes:
    """Evolution: UTF-8 8bit, `On …, Name wrote:` / `… に … さんは書きました:`."""
    lang = c.opts.get("lang", "en")
    attr = (
        "On Mon, 2026-11-23 at 10:00 +0900, SNS確認ゲートウェイ wrote:"
        if lang == "en"
        else "2026-11-23 (月) の 10:00 +0900 に SNS確認ゲートウェイ さんは書きました:"
    )
    body = c.own + "\n\n" + attr + "\n" + quoted(REQ)
    h = base_headers(
        c.who,
        f"<a1b2c3d4e5f6{n:02d}.camel@town.example.jp>",
        "Mon, 23 Nov 2026 15:00:00 +0900",
        "Re: " + SUBJECT,
        extra="X-Mailer: Evolution 3.46.4-2 \n",
    )
    h += 'Content-Type: text/plain; charset="UTF-8"\nContent-Transfer-Encoding: 8bit\n\n'
    return crlf(h).encode("ascii") + crlf(body).encode()


def wanderlust_euc(c: Case, n: int) -> bytes:
    """Wanderlust on Emacs with EUC-JP (an old Unix desk), 8bit."""
    body = (
        c.own
        + "\n\nAt Mon, 23 Nov 2026 10:00:12 +0900,\nSNS確認ゲートウェイ wrote:\n"
        + quoted(REQ)
    )
    h = base_headers(
        c.who,
        f"<87a{n:02d}bcdef.wl%kacho@town.example.jp>",
        "Mon, 23 Nov 2026 16:00:00 +0900",
        "Re: " + SUBJECT,
        "EUC-JP",
        "User-Agent: Wanderlust/2.15.9 (Almost Unreal) Emacs/28.2 Mule/6.0\n",
    )
    h += "Content-Type: text/plain; charset=EUC-JP\nContent-Transfer-Encoding: 8bit\n\n"
    body_text = crlf(body)
    # EUC-JP cannot carry ━ etc.? it can (JIS X 0208 row 8); NEC chars it cannot
    return crlf(h).encode("ascii") + body_text.encode("euc_jp", errors="replace")


def feature_phone(c: Case, n: int) -> bytes:
    """A docomo feature phone: Shift_JIS 8bit, short text, quote with `>` (or none)."""
    quote = c.opts.get("quote", True)
    body = c.own + ("\n\n" + quoted(REQ[:6], ">") if quote else "")
    h = base_headers(
        c.who,
        f"<{n:02d}1123170000.K8q2@docomo.ne.jp>",
        "Mon, 23 Nov 2026 17:00:00 +0900",
        "Re:" + SUBJECT,
        "Shift_JIS",
    ).replace(REVIEWERS[c.who][1], "taro.y-1979@docomo.ne.jp")
    h += "Content-Type: text/plain; charset=Shift_JIS\nContent-Transfer-Encoding: 8bit\n\n"
    return crlf(h).encode("ascii") + crlf(body).encode("cp932")


def lying_label(c: Case, n: int) -> bytes:
    """Shift_JIS bytes labelled ISO-2022-JP (a broken groupware relay), 8bit."""
    body = c.own + "\n\n" + "-----Original Message-----\n" + quoted(REQ)
    h = base_headers(
        c.who,
        f"<lie{n:02d}.20261123@groupware.town.example.jp>",
        "Mon, 23 Nov 2026 17:30:00 +0900",
        "Re: " + SUBJECT,
        "ISO-2022-JP",
        "X-Mailer: desknet's NEO\n",
    )
    h += "Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 8bit\n\n"
    return crlf(h).encode("ascii") + crlf(body).encode("cp932")


def no_charset(c: Case, n: int) -> bytes:
    """No charset at all: UTF-8 (or Shift_JIS) 8bit bytes under a bare text/plain or none."""
    data_cs = c.opts.get("data", "utf-8")
    body = c.own + "\n\n" + "SNS確認ゲートウェイ wrote:\n" + quoted(REQ)
    h = base_headers(
        c.who,
        f"<nocs{n:02d}.20261123@scanner.town.example.jp>",
        "Mon, 23 Nov 2026 18:00:00 +0900",
        "Re: " + SUBJECT,
    )
    if c.opts.get("no_ct"):
        h = h.replace("MIME-Version: 1.0\n", "") + "\n"
    else:
        h += "Content-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n"
    return crlf(h).encode("ascii") + crlf(body).encode("cp932" if data_cs == "sjis" else "utf-8")


def outlook_autoreply(c: Case, n: int) -> bytes:
    """Exchange out-of-office: 自動応答 subject, Auto-Submitted (or none: subject only)."""
    extra = "X-Auto-Response-Suppress: All\n"
    if not c.opts.get("subject_only"):
        extra += "Auto-Submitted: auto-generated\nX-MS-Exchange-Inbox-Rules-Loop: kakaricho@town.example.jp\n"
    prefix = c.opts.get("prefix", "自動応答: ")
    h = base_headers(
        c.who,
        f"<oof{n:02d}.TYCP286MB2145@TYCP286MB2145.JPNP286.PROD.OUTLOOK.COM>",
        "Mon, 23 Nov 2026 01:00:13 +0000",
        prefix + SUBJECT,
        "iso-2022-jp",
        extra,
    )
    h += 'Content-Type: text/plain; charset="iso-2022-jp"\nContent-Transfer-Encoding: 7bit\n\n'
    return crlf(h).encode("ascii") + enc(crlf(c.own), "iso-2022-jp")


def gmail_vacation(c: Case, n: int) -> bytes:
    h = base_headers(
        c.who,
        f"<CAvac{n:02d}+Qz=Abc@mail.gmail.com>",
        "Mon, 23 Nov 2026 10:00:40 +0900",
        c.opts.get("subject", "休暇のお知らせ"),
        extra=c.opts.get("extra", "Auto-Submitted: auto-replied\n"),
    )
    b = f"000000000000vac{n:02d}"
    h += f'Content-Type: multipart/alternative; boundary="{b}"\n\n'
    out = crlf(h).encode("ascii")
    out += f'--{b}\r\nContent-Type: text/plain; charset="UTF-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'.encode()
    out += b64(crlf(c.own).encode()) + f"\r\n--{b}--\r\n".encode()
    return out


def postfix_dsn(c: Case, n: int) -> bytes:
    b = f"4Fb2kQ1zX9z9s.{n:02d}/mail.town.example.jp"
    text = (
        "This is the mail system at host mail.town.example.jp.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "                   The mail system\n\n"
        "<kakaricho@town.example.jp>: host mx.town.example.jp[192.0.2.20] said: 550 5.1.1\n"
        "    <kakaricho@town.example.jp>: Recipient address rejected: User unknown\n"
    )
    orig = (
        f"From: SNS確認ゲートウェイ <{GATEWAY}>\nTo: kakaricho@town.example.jp\n"
        f"Subject: {ew(SUBJECT)}\nMessage-ID: {REQ_MID}\nX-Gateway-Status: review-request\n"
        "Auto-Submitted: auto-generated\n\n" + "\n".join(REQ)
    )
    raw = (
        f"Return-Path: <>\nDelivered-To: {PLUS}\n"
        "From: MAILER-DAEMON@mail.town.example.jp (Mail Delivery System)\n"
        f"To: {PLUS}\nSubject: Undelivered Mail Returned to Sender\n"
        "Date: Mon, 23 Nov 2026 10:00:15 +0900 (JST)\n"
        f"Message-Id: <20261123010015.{n:02d}AB@mail.town.example.jp>\n"
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="{b}"\n'
        "Content-Transfer-Encoding: 8bit\n\nThis is a MIME-encapsulated message.\n\n"
        f"--{b}\nContent-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n{text}\n"
        f"--{b}\nContent-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.town.example.jp\nArrival-Date: Mon, 23 Nov 2026 10:00:13 +0900 (JST)\n\n"
        "Final-Recipient: rfc822; kakaricho@town.example.jp\nAction: failed\nStatus: 5.1.1\n\n"
        f"--{b}\nContent-Description: Undelivered Message\nContent-Type: message/rfc822\n"
        f"Content-Transfer-Encoding: 8bit\n\n{orig}\n\n--{b}--\n"
    )
    return crlf(raw).encode("utf-8")


def exchange_ndr(c: Case, n: int) -> bytes:
    b = f"_000_ndr{n:02d}_"
    html = (
        '<html><body><p><b><font color="#000066" size="3">配信に関する問題が発生したため、'
        "メッセージを以下の受信者または配布リストに配信できませんでした:</font></b></p>"
        "<p>dairi@town.example.jp<br>受信者のメールボックスがいっぱいです。</p></body></html>"
    )
    raw = (
        f"From: postmaster@town.example.jp\nTo: {PLUS}\n"
        f"Subject: {ew('配信不能: ' + SUBJECT)}\nDate: Mon, 23 Nov 2026 01:00:20 +0000\n"
        f"Message-ID: <ndr{n:02d}@TYCP286MB2145.JPNP286.PROD.OUTLOOK.COM>\n"
        f"In-Reply-To: {REQ_MID}\nReferences: {REQ_MID}\n"
        "Content-Language: ja-JP\nX-MS-Exchange-Message-Is-Ndr: \nAuto-Submitted: auto-replied\n"
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\n\tboundary="{b}"\n\n'
        f'--{b}\nContent-Type: multipart/alternative; boundary="{b}alt"\n\n'
        f'--{b}alt\nContent-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n'
        + b64(crlf(html).encode()).decode()
        + f"\n\n--{b}alt--\n\n--{b}\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns;TYCP286MB2145.JPNP286.PROD.OUTLOOK.COM\n\n"
        "Final-recipient: RFC822; dairi@town.example.jp\nAction: failed\nStatus: 5.2.2\n\n"
        f"--{b}\nContent-Type: text/rfc822-headers\n\nFrom: {GATEWAY}\nSubject: x\n\n--{b}--\n"
    )
    return crlf(raw).encode("utf-8")


def qmail_failure(c: Case, n: int) -> bytes:
    raw = (
        f"From: MAILER-DAEMON@mx.example.ne.jp\nTo: {PLUS}\nSubject: failure notice\n"
        f"Date: 23 Nov 2026 01:00:22 -0000\nMessage-ID: <qm{n:02d}.invalid@mx.example.ne.jp>\n\n"
        "Hi. This is the qmail-send program at mx.example.ne.jp.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
        "<taro.y-1979@example.ne.jp>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n"
        "--- Below this line is a copy of the message.\n\n" + "\n".join(REQ)
    )
    return crlf(raw).encode("utf-8")


def own_loop(c: Case, n: int) -> bytes:
    """The gateway's own review request coming back (mis-set forward rule)."""
    status = c.opts.get("status", True)
    raw = (
        f"From: {ew('SNS確認ゲートウェイ')} <{GATEWAY}>\nTo: {PLUS}\nSubject: {ew(SUBJECT)}\n"
        f"Date: {REQ_DATE}\nMessage-ID: <loop{n:02d}.{TOKEN}@town.example.jp>\n"
        + ("X-Gateway-Status: review-request\nX-Gateway-Draft: D-000042\n" if status else "")
        + "MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
        + "\n".join(REQ)
    )
    return crlf(raw).encode("utf-8")


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

SIG_KACHO = "総務課 課長 山田太郎\n承認・決裁担当\nTEL 0266-41-1111（内線 201）"
SIG_RULE = "――――――――――――――――――\n辰野町役場 総務課\n承認・決裁担当 山田太郎\nkacho@town.example.jp\n――――――――――――――――――"
SIG_STARS = "＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊\n辰野町 総務課 広報係\n鈴木 一郎\n内線 215\n＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊＊"

A, S, U = "approve", "send_back", "unclear"

CASES: list[Case] = [
    # --- Outlook 2016 plain (ISO-2022-JP, Original Message) ---
    Case("outlook2016_ja_approve", outlook2016_plain, "承認します。", decision=A),
    Case(
        "outlook2016_ja_approve_polite",
        outlook2016_plain,
        "お疲れ様です。\n内容を確認しました。承認いたします。",
        decision=A,
        comment=["お疲れ様です"],
    ),
    Case(
        "outlook2016_ja_sendback_reason",
        outlook2016_plain,
        "差戻しします。\n11月25日は水曜日ではなく火曜日です。曜日を直してください。",
        decision=S,
        comment=["火曜日"],
        not_in_comment=["差戻し"],
    ),
    Case(
        "outlook2016_ja_nec_chars",
        outlook2016_plain,
        "差戻し\n①日付の曜日が違います\n②問合せ先は㈱ではなく町です\n③会場の広さは約200㎡です",
        decision=S,
        comment=["①", "㈱", "㎡"],
    ),
    Case(
        "outlook2016_ja_sig_approve_only_in_sig",
        outlook2016_plain,
        "内容は見ました。",
        decision=U,
        opts={"sig": SIG_KACHO},
        not_in_comment=["承認"],
    ),
    Case(
        "outlook2016_ja_sig_and_approve",
        outlook2016_plain,
        "承認です。",
        decision=A,
        opts={"sig": SIG_KACHO},
        not_in_comment=["決裁"],
    ),
    Case(
        "outlook2016_en_approve",
        outlook2016_plain,
        "承認しました。",
        decision=A,
        opts={"lang": "en"},
    ),
    Case(
        "outlook2016_ja_negated",
        outlook2016_plain,
        "承認できません。イベントは雨天のため中止になりました。",
        decision=S,
        comment=["中止"],
    ),
    Case("outlook2016_ja_ok", outlook2016_plain, "OKです。", decision=U),
    Case(
        "outlook2016_ja_ok_synonym",
        outlook2016_plain,
        "OKです。",
        decision=A,
        extra_approve=["OK"],
        note="admin synonym",
    ),
    Case(
        "outlook2016_ja_ibm_ext",
        outlook2016_plain,
        "差し戻します。髙橋さんの「髙」と﨑の字が化けないか確認してください。",
        decision=S,
        comment=["髙", "﨑"],
    ),
    Case(
        "outlook2016_ja_halfwidth_kana",
        outlook2016_plain,
        "承認します。ﾃｽﾄ投稿ではないですよね？",
        decision=U,
        comment=["ﾃｽﾄ"],
        note="a question after 承認 asks again: it may bear on the approval (issue 10)",
    ),
    # --- Outlook 365 alternative ---
    Case("outlook365_ja_approve", outlook365_alt, "承認", decision=A),
    Case("outlook365_ja_approve_exclaim", outlook365_alt, "承認！", decision=A),
    Case(
        "outlook365_ja_norule_approve",
        outlook365_alt,
        "承認いたします。",
        decision=A,
        opts={"rule": False},
    ),
    Case(
        "outlook365_ja_utf8_sendback",
        outlook365_alt,
        "差し戻します。\n写真に写っている子どもの顔が特定できます。ぼかしを入れてください。",
        decision=S,
        comment=["ぼかし"],
        opts={"charset": "utf-8"},
    ),
    Case(
        "outlook365_ja_question",
        outlook365_alt,
        "承認しますか？それとも課長判断でしょうか。",
        decision=U,
    ),
    Case("outlook365_ja_kakunin", outlook365_alt, "確認しました。", decision=U),
    Case(
        "outlook365_ja_rule_sig",
        outlook365_alt,
        "拝見しました。",
        decision=U,
        opts={"sig": SIG_RULE},
        not_in_comment=["承認"],
    ),
    Case(
        "outlook365_ja_rule_sig_approve",
        outlook365_alt,
        "承認させていただきます。",
        decision=A,
        opts={"sig": SIG_RULE},
    ),
    Case(
        "outlook365_ja_kyakka",
        outlook365_alt,
        "却下します。この内容は町の公式アカウントで発信すべきものではありません。",
        decision=S,
        comment=["公式アカウント"],
    ),
    Case(
        "outlook365_ja_conditional",
        outlook365_alt,
        "日付を直していただければ承認します。",
        decision=U,
    ),
    Case(
        "outlook365_utf8_both",
        outlook365_alt,
        "承認します。\nすみません、やはり差し戻します。",
        decision=U,
        opts={"charset": "utf-8"},
    ),
    # --- Outlook HTML only ---
    Case("outlook_html_only_approve", outlook_html_only, "承認します。", decision=A),
    Case(
        "outlook_html_only_sendback",
        outlook_html_only,
        "差戻し：電話番号が旧番号（41-0000）のままです。",
        decision=S,
        comment=["旧番号"],
    ),
    Case(
        "outlook_html_only_empty",
        outlook_html_only,
        "",
        decision=U,
        note="nothing but the quoted request",
    ),
    Case(
        "outlook_html_only_sig", outlook_html_only, "見ました", decision=U, opts={"sig": SIG_STARS}
    ),
    Case("outlook_desktop_html_approve", outlook_desktop_html, "承認します。", decision=A),
    Case(
        "outlook_desktop_html_negated",
        outlook_desktop_html,
        "この内容では承認しません。\n担当に電話します。",
        decision=S,
    ),
    Case("outlook_desktop_html_unclear", outlook_desktop_html, "了解しました。", decision=U),
    # --- Gmail ---
    Case("gmail_ja_approve", gmail, "承認します", decision=A),
    Case("gmail_ja_approve_desu", gmail, "承認です。よろしくお願いします。", decision=A),
    Case("gmail_ja_wrapped_attr", gmail, "承認いたします。", decision=A, opts={"wrap": True}),
    Case("gmail_ja_wrapped_unclear", gmail, "いいね！", decision=U, opts={"wrap": True}),
    Case(
        "gmail_ja_sendback",
        gmail,
        "差し戻し\n「サイレンが鳴りますが」は「サイレンが鳴ります。」に。",
        decision=S,
        comment=["サイレン"],
    ),
    Case("gmail_en_approve", gmail, "承認しました", decision=A, opts={"lang": "en"}),
    Case(
        "gmail_en_wrapped",
        gmail,
        "Looks good to me.",
        decision=U,
        opts={"lang": "en", "wrap": True},
    ),
    Case("gmail_ja_bottom_post", gmail, "承認します。", decision=A, opts={"bottom": True}),
    Case(
        "gmail_ja_bottom_unclear",
        gmail,
        "こちらで問題ないと思います。",
        decision=U,
        opts={"bottom": True},
    ),
    Case(
        "gmail_ja_approve_only_in_quote",
        gmail,
        "私も同じ意見です。",
        decision=U,
        opts={"quote_extra": ["承認します。", "", "鈴木"]},
    ),
    Case("gmail_html_only_approve", gmail_html_only, "承認します。", decision=A),
    Case("gmail_html_only_quote_only", gmail_html_only, "", decision=U),
    Case(
        "gmail_ja_negated_kaneru",
        gmail,
        "申し訳ありませんが、承認致しかねます。\n予算が確定していません。",
        decision=S,
        comment=["予算"],
    ),
    Case("gmail_ja_still_not", gmail, "まだ承認できない。議会の日程が未確定のため。", decision=S),
    Case("gmail_ja_request", gmail, "課長の承認をお願いします。", decision=U),
    Case("gmail_ja_question_yoi", gmail, "承認してよいですか？", decision=U),
    Case("android_gmail_approve", android_gmail, "承認", decision=A),
    Case("android_gmail_sendback", android_gmail, "さしもどし。写真の向きが逆です", decision=S),
    Case("android_gmail_ryokai", android_gmail, "了解", decision=U),
    # --- iPhone ---
    Case("iphone_ja_approve", iphone, "承認します", decision=A),
    Case(
        "iphone_ja_approve_quoted_attr", iphone, "承認です", decision=A, opts={"quote_attr": True}
    ),
    Case("iphone_ja_sendback", iphone, "差戻します。\n明日朝、直接説明します。", decision=S),
    Case("iphone_ja_unclear", iphone, "後で見ます", decision=U),
    Case("iphone_ja_ipad", iphone, "承認しました", decision=A, opts={"sent_from": "iPadから送信"}),
    Case(
        "iphone_en_sentfrom",
        iphone,
        "承認不可。写真の権利を確認してください",
        decision=S,
        opts={"sent_from": "Sent from my iPhone"},
    ),
    # --- Thunderbird ---
    Case("thunderbird_ja_approve", thunderbird, "承認します。", decision=A),
    Case(
        "thunderbird_ja_flowed_long",
        thunderbird,
        "差し戻します。本文三行目の「落ち着いて行動してください」は命令調なので「落ち着いて行動をお願いします」に変更してください。",
        decision=S,
        comment=["命令調"],
    ),
    Case("thunderbird_ja2_approve", thunderbird, "承認です", decision=A, opts={"lang": "ja2"}),
    Case("thunderbird_en_sendback", thunderbird, "差戻", decision=S, opts={"lang": "en"}),
    Case(
        "thunderbird_ja_bottom", thunderbird, "承認いたします。", decision=A, opts={"bottom": True}
    ),
    Case(
        "thunderbird_ja_bottom_sig",
        thunderbird,
        "確認しました。",
        decision=U,
        opts={"bottom": True, "sig": SIG_KACHO},
    ),
    Case(
        "thunderbird_ja_iso2022",
        thunderbird,
        "承認します。",
        decision=A,
        opts={"charset": "ISO-2022-JP"},
    ),
    Case(
        "thunderbird_ja_inline_sendback",
        thunderbird,
        "",
        decision=S,
        comment=["26日", "電話番号"],
        opts={
            "inline": [
                (REQ[:2], "差し戻します。以下2点です。"),
                (DRAFT_LINES[:2], "→ 訓練は11月26日(木)に変更になりました。"),
                (DRAFT_LINES[2:], "→ 問い合わせ先の電話番号も入れてください。"),
                (REQ[-6:], ""),
            ]
        },
    ),
    Case(
        "thunderbird_ja_inline_approve",
        thunderbird,
        "",
        decision=A,
        opts={
            "inline": [
                (REQ[:8], "承認します。"),
                (REQ[8:], ""),
            ]
        },
    ),
    Case(
        "thunderbird_ja_inline_quote_only_approve",
        thunderbird,
        "",
        decision=U,
        opts={
            "inline": [
                (REQ, "気になる点は特にありません"),
            ]
        },
        note="approval words only in the quoted instructions",
    ),
    Case(
        "thunderbird_en_inline_question",
        thunderbird,
        "",
        decision=U,
        opts={
            "lang": "en",
            "inline": [
                (DRAFT_LINES[:1], "これは承認する必要がありますか？"),
                (DRAFT_LINES[1:], ""),
            ],
        },
    ),
    # --- Becky! ---
    Case("becky_approve", becky, "承認します。", decision=A),
    Case(
        "becky_original_sendback",
        becky,
        "差戻しです。\n写真の使用許可が取れていません。",
        decision=S,
        comment=["使用許可"],
        opts={"style": "orig"},
    ),
    Case("becky_bottom_approve", becky, "承認とします。", decision=A, opts={"bottom": True}),
    Case(
        "becky_original_unclear",
        becky,
        "承認は課長の判断を待ちます。",
        decision=U,
        opts={"style": "orig"},
    ),
    # --- Evolution ---
    Case("evolution_en_approve", evolution, "承認します。", decision=A),
    Case(
        "evolution_ja_sendback",
        evolution,
        "差し戻します。リンク先が404です。",
        decision=S,
        opts={"lang": "ja"},
    ),
    Case(
        "evolution_ja_unclear", evolution, "よろしいかと存じます。", decision=U, opts={"lang": "ja"}
    ),
    # --- EUC-JP / feature phones / broken labels ---
    Case("wanderlust_eucjp_approve", wanderlust_euc, "承認します。", decision=A),
    Case("wanderlust_eucjp_sendback", wanderlust_euc, "差戻し。日付誤り。", decision=S),
    Case("feature_phone_sjis_approve", feature_phone, "承認します", decision=A, who="kakari"),
    Case(
        "feature_phone_sjis_sendback",
        feature_phone,
        "さしもどし　電話番号が違う",
        decision=S,
        who="kakari",
        opts={"quote": False},
    ),
    Case(
        "feature_phone_sjis_ok",
        feature_phone,
        "ＯＫ",
        decision=U,
        who="kakari",
        opts={"quote": False},
    ),
    Case("lying_label_sjis_as_jis_approve", lying_label, "承認します。", decision=A),
    Case(
        "lying_label_sjis_as_jis_sendback",
        lying_label,
        "差し戻し。①日付　②写真",
        decision=S,
        comment=["①"],
    ),
    Case("no_charset_utf8_approve", no_charset, "承認します。", decision=A),
    Case(
        "no_content_type_sjis_sendback",
        no_charset,
        "差戻しします。会場名が違います。",
        decision=S,
        opts={"data": "sjis", "no_ct": True},
    ),
    Case("no_charset_sjis_unclear", no_charset, "確認中です。", decision=U, opts={"data": "sjis"}),
    # --- more grammar ---
    Case(
        "outlook365_ja_approve_problem_free", outlook365_alt, "承認で問題ありません。", decision=A
    ),
    Case(
        "outlook365_ja_fuka",
        outlook365_alt,
        "承認不可です。個人名が入っています。",
        decision=S,
        comment=["個人名"],
    ),
    Case("outlook2016_ja_shimasen", outlook2016_plain, "承認しません。", decision=S),
    Case("gmail_ja_wa_dekinai", gmail, "この内容では承認は できない です。", decision=S),
    Case(
        "iphone_ja_approve_shita_kaigi",
        iphone,
        "承認しました。写真はこのままで大丈夫です。",
        decision=A,
        comment=["写真"],
    ),
    Case(
        "gmail_ja_not_needed_sendback",
        gmail,
        "差し戻しの必要はありません。承認します。",
        decision=A,
    ),
    Case("thunderbird_ja_passive", thunderbird, "課長が承認されました。", decision=U),
    # --- auto replies ---
    Case(
        "outlook_oof_ja",
        outlook_autoreply,
        "不在にしております。11月30日に戻ります。\n不在中の承認は代理の高橋が行います。",
        kind="auto_reply",
        who="kakari",
    ),
    Case(
        "outlook_oof_subject_only",
        outlook_autoreply,
        "出張のため不在です。承認します。",
        kind="auto_reply",
        who="kakari",
        opts={"subject_only": True, "prefix": "不在: "},
    ),
    Case(
        "outlook_oof_en",
        outlook_autoreply,
        "I am out of the office until Nov 30.",
        kind="auto_reply",
        opts={"subject_only": True, "prefix": "Automatic reply: "},
    ),
    Case(
        "gmail_vacation",
        gmail_vacation,
        "休暇中です。12月1日以降に対応します。",
        kind="auto_reply",
        who="dairi",
    ),
    Case(
        "sieve_x_autoreply",
        gmail_vacation,
        "只今不在です。",
        kind="auto_reply",
        who="dairi",
        opts={"subject": "Re: " + SUBJECT, "extra": "X-Autoreply: yes\n"},
    ),
    Case(
        "precedence_bulk",
        gmail_vacation,
        "承認します（自動送信）",
        kind="auto_reply",
        who="dairi",
        opts={"subject": "Re: " + SUBJECT, "extra": "Precedence: bulk\n"},
    ),
    Case(
        "x_autorespond",
        gmail_vacation,
        "自動返信です。",
        kind="auto_reply",
        who="dairi",
        opts={"subject": "Re: " + SUBJECT, "extra": "X-Autorespond: 1\n"},
    ),
    Case(
        "suppress_is_not_auto",
        outlook2016_plain,
        "承認します。",
        decision=A,
        note="X-Auto-Response-Suppress alone is not a marker",
        opts={},
    ),
    # --- bounces / loops ---
    Case("postfix_dsn", postfix_dsn, "", kind="bounce"),
    Case("exchange_ndr_ja", exchange_ndr, "", kind="bounce"),
    Case("qmail_failure_notice", qmail_failure, "", kind="bounce"),
    Case("own_request_loop", own_loop, "", kind="other"),
    Case("own_address_loop_no_status", own_loop, "", kind="other", opts={"status": False}),
]


def main() -> None:
    lines = [
        "# Expected reading of every .eml here; see README.md. Generated by make_corpus.py.",
        "",
    ]
    for n, case in enumerate(CASES, 1):
        raw = case.client(case, n)
        if case.name == "suppress_is_not_auto":
            raw = raw.replace(
                b"MIME-Version: 1.0\r\n",
                b"X-Auto-Response-Suppress: All\r\nMIME-Version: 1.0\r\n",
                1,
            )
        (HERE / f"{case.name}.eml").write_bytes(raw)
        lines.append(f"[{case.name}]")
        lines.append(f'kind = "{case.kind}"')
        if case.decision:
            lines.append(f'decision = "{case.decision}"')
        if case.comment:
            lines.append("comment_contains = [" + ", ".join(f'"{x}"' for x in case.comment) + "]")
        if case.not_in_comment:
            lines.append(
                "comment_excludes = [" + ", ".join(f'"{x}"' for x in case.not_in_comment) + "]"
            )
        if case.extra_approve:
            lines.append(
                "extra_approve = [" + ", ".join(f'"{x}"' for x in case.extra_approve) + "]"
            )
        if case.note:
            lines.append(f'note = "{case.note}"')
        lines.append("")
    (HERE / "labels.toml").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {len(CASES)} messages")


if __name__ == "__main__":
    main()
