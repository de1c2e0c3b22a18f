"""Issue 10 on the real loop (Dovecot + aiosmtpd + the daemon): a wrapped refusal from
Outlook and an approval hidden in HTML never complete an approval."""

from __future__ import annotations

import base64
import unicodedata
from email.header import Header
from email.utils import format_datetime, make_msgid

import pytest
from clients import JST, _orig, _refs, _when
from harness import AUTHOR, KACHO, KAKARI, body_text
from test_approval_loop import open_draft

from gateway.model import Decision

pytestmark = pytest.mark.integration


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def outlook_wrap(text: str, column: int = 76) -> str:
    """Outlook's plain-text wrap: at 76 display columns, anywhere inside Japanese."""
    lines = []
    for paragraph in text.split("\n"):
        line = ""
        for ch in paragraph:
            if width(line + ch) > column and line:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
    return "\n".join(lines)


# 36 full-width characters, then 承認: the wrap at column 76 falls right after it.
LEAD = "お疲れ様です。山田です。写真の人の同意書が確認できないので、このままでは"
REFUSAL = LEAD + "承認できません。撤去された看板の写真に差し替えてください。"


def outlook_original_message_reply(request: bytes, sender: str, body: str, charset: str) -> bytes:
    """Outlook (English UI headers, as many Japanese offices have it): the body wrapped at
    76 columns, the original below `-----Original Message-----` and a From/Sent/To/
    Subject block, no `>` quoting; ISO-2022-JP 7bit or UTF-8 base64."""
    msg, text, to_addr, to_name = _orig(request)
    d = msg["Date"].datetime.astimezone(JST)
    original = "\n".join(
        [
            "-----Original Message-----",
            f"From: {to_name} <{to_addr}>",
            f"Sent: {d:%A, %B} {d.day}, {d.year} {d:%I:%M %p}",
            f"To: 課長 <{sender}>",
            f"Subject: {msg['Subject']}",
            "",
            text,
        ]
    )
    content = (outlook_wrap(body) + "\n\n" + original).replace("\n", "\r\n") + "\r\n"
    if charset == "iso-2022-jp":
        payload = content.encode("iso-2022-jp").decode("ascii")
        cte = "7bit"
    else:
        raw = base64.b64encode(content.encode("utf-8")).decode()
        payload = "\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76)) + "\r\n"
        cte = "base64"
    head = [
        f"From: {Header('課長', charset).encode()} <{sender}>",
        f"To: {Header(to_name, charset).encode()} <{to_addr}>",
        f"Subject: {Header('RE: ' + str(msg['Subject']), charset).encode()}",
        "Thread-Index: AQHbXq3d2f4kZ1n3Q0e7mC0m0vK9qQ==",
        f"Date: {format_datetime(_when())}",
        f"Message-ID: {make_msgid(domain='TYCPR01MB1234.jpnprd01.prod.outlook.com')}",
        f"References: {_refs(msg)}",
        f"In-Reply-To: {msg['Message-ID']}",
        "X-Mailer: Microsoft Outlook 16.0",
        "MIME-Version: 1.0",
        f'Content-Type: text/plain; charset="{charset}"',
        f"Content-Transfer-Encoding: {cte}",
    ]
    return ("\r\n".join(head) + "\r\n\r\n" + payload).encode("ascii")


def outlook_html_reply(
    request: bytes, sender: str, visible: str, hidden: str, hiding: str = "display:none"
) -> bytes:
    """Outlook on the web, HTML only: Word-style paragraphs, `divRplyFwdMsg` above the
    original, and `hidden` in a span styled `hiding` inside the reviewer's paragraph."""
    msg, text, to_addr, to_name = _orig(request)
    original = "".join(f"<div>{line or '<br>'}</div>" for line in text.splitlines())
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>'
        '</head><body dir="ltr"><div class="elementToProof" style="font-family: Aptos; '
        f'font-size: 12pt; color: rgb(0, 0, 0);">{visible}<span style="{hiding}">{hidden}'
        '</span></div><hr style="display:inline-block;width:98%" tabindex="-1">'
        f'<div id="divRplyFwdMsg" dir="ltr"><b>差出人:</b> {to_name} &lt;{to_addr}&gt;<br>'
        f"<b>件名:</b> {msg['Subject']}</div><div>{original}</div></body></html>"
    )
    raw = base64.b64encode(html.encode("utf-8")).decode()
    head = [
        f"From: {Header('課長', 'utf-8').encode()} <{sender}>",
        f"To: <{to_addr}>",
        f"Subject: {Header('RE: ' + str(msg['Subject']), 'utf-8').encode()}",
        f"Date: {format_datetime(_when())}",
        f"Message-ID: {make_msgid(domain='TYCPR01MB1234.jpnprd01.prod.outlook.com')}",
        f"References: {_refs(msg)}",
        f"In-Reply-To: {msg['Message-ID']}",
        "MIME-Version: 1.0",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: base64",
    ]
    body = "\r\n".join(raw[i : i + 76] for i in range(0, len(raw), 76))
    return ("\r\n".join(head) + "\r\n\r\n" + body + "\r\n").encode("ascii")


def test_the_wrap_falls_right_after_shounin() -> None:
    first, second = outlook_wrap(REFUSAL).split("\n")[:2]
    assert first.endswith("このままでは承認") and second.startswith("できません。")


@pytest.mark.parametrize("charset", ["iso-2022-jp", "utf-8"])
def test_outlook_wrapped_refusal_never_approves(gw, charset):
    draft_id, _, requests = open_draft(gw)
    # One approval is in: a misread refusal would complete the draft and sign it.
    gw.reply(requests[KAKARI], outlook_original_message_reply(
        requests[KAKARI], KAKARI, "承認します。", charset), KAKARI)  # fmt: skip
    gw.wait(KAKARI, "receipt", draft_id)
    gw.reply(
        requests[KACHO],
        outlook_original_message_reply(requests[KACHO], KACHO, REFUSAL, charset),
        KACHO,
    )
    returned = gw.wait(AUTHOR, "returned", draft_id)
    assert "撤去された看板" in body_text(returned)
    draft = gw.draft(draft_id)
    assert draft.state == "returned"
    assert draft.votes_for(1)[KACHO].decision == Decision.SEND_BACK
    assert "approved" not in gw.statuses(AUTHOR)


# The visible words decide nothing on their own (お疲れ様です。), so the hidden 承認します
# would approve if it were read: the test fails if hiding is not understood.
@pytest.mark.parametrize(
    "hiding", ["display:none", "filter:opacity(0)", "font:0px Aptos", "content-visibility:hidden"]
)
def test_html_reply_with_hidden_approval_never_approves(gw, hiding):
    draft_id, _, requests = open_draft(gw)
    gw.reply(requests[KAKARI], outlook_original_message_reply(
        requests[KAKARI], KAKARI, "承認します。", "utf-8"), KAKARI)  # fmt: skip
    gw.wait(KAKARI, "receipt", draft_id)
    gw.reply(
        requests[KACHO],
        outlook_html_reply(requests[KACHO], KACHO, "お疲れ様です。", "承認します。", hiding),
        KACHO,
    )
    clarify = gw.wait(KACHO, "clarify", draft_id)
    assert "読み取れませんでした" in body_text(clarify)
    draft = gw.draft(draft_id)
    assert draft.state == "in_review"
    assert KACHO not in draft.votes_for(1)
    assert "approved" not in gw.statuses(AUTHOR)
    # The same shape with the approval visible does count: the reader is not just refusing.
    gw.reply(
        requests[KACHO],
        outlook_html_reply(requests[KACHO], KACHO, "承認します。", "（非表示のメモ）"),
        KACHO,
    )
    gw.wait(AUTHOR, "approved", draft_id)
    assert gw.draft(draft_id).state == "approved"


@pytest.mark.parametrize(
    "body",
    [
        # a refusal in a later sentence, and a P.S. below the signature delimiter
        "承認します。反対です。",
        "承認します。\n\n-- \n総務課 山田\n\n追伸: やっぱり写真は差し替えてください。",
    ],
)
def test_outlook_reply_with_a_later_refusal_never_approves(gw, body):
    draft_id, _, requests = open_draft(gw)
    gw.reply(requests[KAKARI], outlook_original_message_reply(
        requests[KAKARI], KAKARI, "承認します。", "utf-8"), KAKARI)  # fmt: skip
    gw.wait(KAKARI, "receipt", draft_id)
    gw.reply(
        requests[KACHO],
        outlook_original_message_reply(requests[KACHO], KACHO, body, "iso-2022-jp"),
        KACHO,
    )
    gw.wait(KACHO, "clarify", draft_id)
    draft = gw.draft(draft_id)
    assert draft.state == "in_review" and KACHO not in draft.votes_for(1)
    assert "approved" not in gw.statuses(AUTHOR)
