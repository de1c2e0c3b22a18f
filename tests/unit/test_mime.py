"""read_message: charsets, headers, structure, attachments and kinds."""

from __future__ import annotations

import base64
import logging

import pytest

from gateway.charsets import decode_bytes, decode_iso2022jp
from gateway.htmltext import html_to_text
from gateway.mailheaders import decode_header_value
from gateway.mime import read_message
from gateway.model import Kind

TOKEN = "D-000042.v2.kabcdefghij"
GW = ["sns-check@town.example.jp"]


def jis(text: str) -> bytes:
    """CP50220 as Outlook writes it: CP932 double bytes converted to JIS in ESC $ B."""
    out = bytearray()
    kanji = False
    for ch in text:
        b = ch.encode("cp932")
        if len(b) == 1:
            if kanji:
                out += b"\x1b(B"
                kanji = False
            out += b
            continue
        if not kanji:
            out += b"\x1b$B"
            kanji = True
        s1, s2 = b
        if s1 >= 0xE0:
            s1 -= 0x40
        j1 = (s1 - 0x81) * 2 + 0x21
        if s2 >= 0x9F:
            j1, j2 = j1 + 1, s2 - 0x9F + 0x21
        else:
            j2 = (s2 - 1 if s2 >= 0x80 else s2) - 0x40 + 0x21
        out += bytes((j1, j2))
    if kanji:
        out += b"\x1b(B"
    return bytes(out)


def msg(body: bytes = b"hello", headers: str = "", ct: str = "text/plain; charset=utf-8") -> bytes:
    head = (
        "From: =?UTF-8?B?5bGx55Sw?= <Yamada@Town.Example.JP>\r\n"
        "To: sns-check@town.example.jp\r\n"
        "Subject: test\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0900\r\n"
        "Message-ID: <abc@town.example.jp>\r\n"
        + headers
        + f"MIME-Version: 1.0\r\nContent-Type: {ct}\r\n\r\n"
    )
    return head.encode() + body


# --- charsets -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["①②③", "㈱㈲", "㎡㎏", "髙﨑", "承認します。", "ⅰⅱ"])
def test_iso2022jp_microsoft_flavour(text: str) -> None:
    data = jis(text)
    assert decode_iso2022jp(data) == (text, 0)
    assert decode_bytes(data, "ISO-2022-JP") == (text, "iso-2022-jp", [])


def test_iso2022jp_esc_i_kana() -> None:
    assert decode_bytes(b"\x1b(I123\x1b(B", "ISO-2022-JP")[0] == "ｱｲｳ"


def test_iso2022jp_so_si_kana() -> None:
    assert decode_iso2022jp(b"a\x0e123\x0fb")[0] == "aｱｲｳb"


def test_python_codec_really_rejects_nec_chars() -> None:
    with pytest.raises(UnicodeDecodeError):
        jis("①").decode("iso2022_jp")


@pytest.mark.parametrize(
    ("data", "label", "want"),
    [
        ("承認します".encode("cp932"), "ISO-2022-JP", "承認します"),  # lying label
        ("承認します".encode("cp932"), "Shift_JIS", "承認します"),
        ("①髙".encode("cp932"), "shift_jis", "①髙"),  # CP932 under a Shift_JIS label
        ("承認します、テストです".encode("euc_jp"), "EUC-JP", "承認します、テストです"),
        ("承認します、テストです".encode("euc_jp"), None, "承認します、テストです"),
        ("承認します".encode(), None, "承認します"),
        ("承認します".encode(), "us-ascii", "承認します"),
        ("承認します".encode(), "x-unknown-charset", "承認します"),
        ("承認します".encode("cp932"), None, "承認します"),
        ("\ufeff承認".encode(), "utf-8", "承認"),
    ],
)
def test_charset_detection(data: bytes, label: str | None, want: str) -> None:
    assert decode_bytes(data, label)[0] == want


def test_undecodable_byte_is_visible_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    body = "承認します".encode() + b"\xff\xfe" + "。".encode()
    with caplog.at_level(logging.INFO, logger="gateway.mime"):
        inc = read_message(msg(body))
    assert "\ufffd" in inc.text
    assert inc.text.startswith("承認します")
    assert any("U+FFFD" in p for p in inc.problems)
    assert any("U+FFFD" in r.getMessage() for r in caplog.records)


def test_body_iso2022jp_read_message() -> None:
    inc = read_message(msg(jis("差戻し\r\n①日付"), ct="text/plain; charset=iso-2022-jp"))
    assert inc.text == "差戻し\n①日付"
    assert inc.charset == "iso-2022-jp"


def test_no_content_type_sjis() -> None:
    raw = b"From: a@b.jp\r\nSubject: x\r\n\r\n" + "承認します".encode("cp932")
    inc = read_message(raw)
    assert inc.text == "承認します"


@pytest.mark.parametrize("sep", ["\r\n   ", " ", "\r\n\t"])
def test_content_type_without_semicolon_before_charset(sep: str) -> None:
    """Legacy mailers write `text/plain⏎ charset=...` (no `;`): the part is still text.
    The first text part here is the one that says who did not receive the mail."""
    raw = (
        b"From: a@town.example.jp\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain" + sep.encode() + b'charset="shift_jis"\r\n\r\n'
        + "本文です。承認します".encode("cp932")
        + b"\r\n--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nsecond\r\n--b--\r\n"
    )
    inc = read_message(raw)
    assert inc.text.startswith("本文です。承認します")


# --- headers --------------------------------------------------------------------


def test_encoded_words_split_inside_a_character() -> None:
    data = "承認".encode()
    w1 = base64.b64encode(data[:2]).decode()
    w2 = base64.b64encode(data[2:]).decode()
    assert decode_header_value(f"=?UTF-8?B?{w1}?=\r\n =?UTF-8?B?{w2}?=") == "承認"


def test_encoded_word_iso2022jp_nec() -> None:
    word = base64.b64encode(jis("①のお知らせ")).decode()
    assert decode_header_value(f"=?ISO-2022-JP?B?{word}?=") == "①のお知らせ"


def test_broken_encoded_word_does_not_raise() -> None:
    problems: list[str] = []
    out = decode_header_value("=?UTF-8?B?5om/6Kq?= x =?bogus?Q?=ZZ?=", problems)
    assert isinstance(out, str)


def test_raw_8bit_subject() -> None:
    raw = b"From: a@b.jp\r\nSubject: " + "承認".encode("cp932") + b"\r\n\r\nbody"
    assert read_message(raw).subject == "承認"


def test_addresses_lowercased_and_names_decoded() -> None:
    inc = read_message(msg(headers="Cc: Foo <FOO@Example.JP>, bar@example.jp\r\n"))
    assert inc.from_addr == "yamada@town.example.jp"
    assert inc.from_name == "山田"
    assert inc.to_addrs == ("sns-check@town.example.jp",)
    assert inc.cc_addrs == ("foo@example.jp", "bar@example.jp")


def test_missing_message_id_is_synthesized_deterministically() -> None:
    raw = b"From: a@b.jp\r\nSubject: x\r\n\r\nbody"
    a, b = read_message(raw), read_message(raw)
    assert a.message_id == b.message_id
    assert a.message_id.startswith("<") and a.message_id.endswith("@gateway.invalid>")
    assert read_message(raw + b"!").message_id != a.message_id


def test_threading_headers_and_date() -> None:
    inc = read_message(msg(headers="In-Reply-To: <r1@x>\r\nReferences: <r0@x>\r\n <r1@x>\r\n"))
    assert inc.in_reply_to == "<r1@x>"
    assert inc.references == ("<r0@x>", "<r1@x>")
    assert inc.date is not None and inc.date.year == 2026


@pytest.mark.parametrize(
    "header",
    [
        f"To: sns-check+{TOKEN}@town.example.jp\r\n",
        f"Delivered-To: sns-check+{TOKEN}@town.example.jp\r\n",
        f"X-Original-To: sns-check+{TOKEN}@town.example.jp\r\n",
        f"In-Reply-To: <{TOKEN}.review@town.example.jp>\r\n",
        f"References: <a@b> <{TOKEN}.review@town.example.jp>\r\n",
    ],
)
def test_tokens_make_a_reply(header: str) -> None:
    inc = read_message(msg(headers=header))
    assert inc.tokens == (TOKEN,)
    assert inc.kind == Kind.REPLY


def test_auth_results_and_headers() -> None:
    inc = read_message(msg(headers="Authentication-Results: mx; spf=pass\r\n"))
    assert inc.auth_results == ("mx; spf=pass",)
    assert ("Subject", "test") in inc.headers
    assert inc.raw_size > 0


# --- structure -------------------------------------------------------------------


def alternative(plain: str | None, html: str | None) -> bytes:
    parts = []
    if plain is not None:
        parts.append(f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{plain}\r\n")
    if html is not None:
        parts.append(f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n")
    return msg("".join(parts).encode() + b"--b--\r\n", ct='multipart/alternative; boundary="b"')


def test_plain_preferred_over_html() -> None:
    assert read_message(alternative("plain text", "<p>html</p>")).text.strip() == "plain text"


def test_html_only_blockquote_becomes_quote_lines() -> None:
    html = "<div>承認します</div><div class=gmail_quote><blockquote>承認する場合は<br>二行目</blockquote></div>"
    text = read_message(alternative(None, html)).text
    assert text.split("\n")[0] == "承認します"
    assert "> 承認する場合は" in text and "> 二行目" in text


def test_outlook_divrplyfwdmsg_quotes_the_rest() -> None:
    html = (
        "<div>差戻し</div><hr><div id=divRplyFwdMsg><b>差出人:</b> x<br><b>件名:</b> y</div>"
        "<div>承認する場合は</div>"
    )
    text = html_to_text(html)
    assert text.startswith("差戻し")
    assert "> 承認する場合は" in text


def test_html_entities_scripts_and_nbsp() -> None:
    assert html_to_text("<style>p{}</style><p>a&nbsp;&amp;&lt;b</p><script>x</script>") == "a &<b"


def test_attachments_rfc2231_and_rfc2047_names() -> None:
    jpg = base64.b64encode(b"\xff\xd8\xff").decode()
    body = (
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n本文\r\n"
        "--b\r\nContent-Type: image/jpeg\r\nContent-Transfer-Encoding: base64\r\n"
        "Content-Disposition: attachment;\r\n filename*=UTF-8''%E5%86%99%E7%9C%9F.jpg\r\n\r\n"
        f"{jpg}\r\n"
        '--b\r\nContent-Type: application/pdf; name="=?ISO-2022-JP?B?'
        + base64.b64encode(jis("資料①")).decode()
        + '?=.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n'
    )
    inc = read_message(msg(body.encode(), ct='multipart/mixed; boundary="b"'))
    assert inc.text.strip() == "本文"
    assert [a.filename for a in inc.attachments] == ["写真.jpg", "資料①.pdf"]
    assert inc.attachments[0].data == b"\xff\xd8\xff"
    assert inc.kind == Kind.DRAFT


def test_format_flowed_delsp() -> None:
    raw = msg(
        "長い行を \r\n折り返し\r\n> 引用 \r\n> 続き".encode(),
        ct="text/plain; charset=utf-8; format=flowed; delsp=yes",
    )
    assert read_message(raw).text == "長い行を折り返し\n> 引用続き"


def test_bad_base64_body() -> None:
    raw = msg(b"5om/6KqN4!!4G X44G+44GZ=", headers="Content-Transfer-Encoding: base64\r\n")
    inc = read_message(raw)
    assert isinstance(inc.text, str)
    assert any("base64" in p for p in inc.problems)


# --- kinds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied\r\n",
        "Auto-Submitted: auto-generated\r\n",
        "X-Autoreply: yes\r\n",
        "X-Autorespond: Vacation\r\n",
        "Precedence: bulk\r\n",
        "Precedence: junk\r\n",
        "Precedence: auto_reply\r\n",
        "Precedence: list\r\n",
    ],
)
def test_auto_reply_headers(header: str) -> None:
    assert read_message(msg(headers=header)).kind == Kind.AUTO_REPLY


@pytest.mark.parametrize(
    "subject",
    [
        "自動応答: 件名",
        "不在: 件名",
        "【不在】山田",
        "自動返信：x",
        "Out of Office: x",
        "Automatic reply: x",
        "自動転送: x",
        "RE: 自動応答: x",
    ],
)
def test_auto_reply_subjects(subject: str) -> None:
    raw = msg().replace(b"Subject: test", f"Subject: {subject}".encode())
    assert read_message(raw).kind == Kind.AUTO_REPLY


@pytest.mark.parametrize("subject", ["不在者投票のお知らせ", "不在時の対応について"])
def test_absentee_voting_is_not_an_auto_reply(subject: str) -> None:
    raw = msg().replace(b"Subject: test", f"Subject: {subject}".encode())
    assert read_message(raw).kind == Kind.DRAFT


def test_auto_submitted_no_and_suppress_are_not_markers() -> None:
    raw = msg(headers="Auto-Submitted: no\r\nX-Auto-Response-Suppress: All\r\n")
    assert read_message(raw).kind == Kind.DRAFT


@pytest.mark.parametrize(
    ("sender", "subject"),
    [
        ("MAILER-DAEMON@mx.example.jp", "x"),
        ("postmaster@example.jp", "x"),
        ("", "Undelivered Mail Returned to Sender"),
        ("", "Delivery Status Notification (Failure)"),
        ("", "配信不能: x"),
    ],
)
def test_bounces(sender: str, subject: str) -> None:
    raw = f"From: {sender}\r\nSubject: {subject}\r\n\r\nbody".encode()
    assert read_message(raw).kind == Kind.BOUNCE


def test_multipart_report_is_a_bounce() -> None:
    body = b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n--b--\r\n"
    raw = msg(body, ct='multipart/report; report-type=delivery-status; boundary="b"')
    inc = read_message(raw)
    assert inc.kind == Kind.BOUNCE
    assert inc.text.strip() == "failed"


def test_own_mail_is_other() -> None:
    raw = msg(headers=f"In-Reply-To: <{TOKEN}.r@x>\r\n").replace(
        b"<Yamada@Town.Example.JP>", b"<SNS-Check@town.example.jp>"
    )
    assert read_message(raw, GW).kind == Kind.OTHER
    assert read_message(msg(headers="X-Gateway-Status: approved\r\n")).kind == Kind.OTHER


@pytest.mark.parametrize(
    "raw",
    [b"", b"   \r\n", b"Subject: no sender\r\n\r\nbody", b"From: a@b.jp\r\nSubject: x\r\n\r\n"],
)
def test_other(raw: bytes) -> None:
    inc = read_message(raw)
    assert inc.kind == Kind.OTHER
    assert inc.problems


def test_never_raises_on_non_bytes_like_input() -> None:
    assert read_message(bytearray(b"From: a@b.jp\r\n\r\nx")).kind == Kind.DRAFT
