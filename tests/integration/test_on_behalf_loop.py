"""Issue 13 end to end (real Dovecot, real aiosmtpd, the real daemon): a draft sent from a
shared mailbox on someone's behalf (Outlook's 「佐藤 花子 on behalf of 広報係」) is refused
as before, but the person who sent it finds a notice in their own mailbox, and so does the
shared mailbox; no reviewer is asked, and the person's own draft afterwards goes through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from clients import outlook_on_behalf_ja
from harness import (
    AUTHOR,
    KACHO,
    KAKARI,
    PASSWORD,
    USERS,
    RunningGateway,
    body_text,
    header,
    write_config,
)

pytestmark = pytest.mark.integration

KOHO = "koho@town.example.jp"
DRAFT = "アカウント: 辰野町公式X\n\n12月6日（日）午前9時から、町内全域で防災訓練を行います。\n"


@pytest.fixture
def gw(mail_system, tmp_path) -> Iterator[RunningGateway]:
    for user in (*USERS, KOHO):
        mail_system.add_user(user, PASSWORD)
    g = RunningGateway(mail_system, write_config(mail_system, tmp_path)).start()
    try:
        yield g
    finally:
        g.stop()


def test_a_draft_sent_on_behalf_is_refused_and_the_sender_is_told(gw):
    raw = outlook_on_behalf_ja(
        KOHO, "広報係", AUTHOR, "佐藤 花子", "広報係からのお知らせ", DRAFT,
        message_id="<TYCPR01MB7777.jpnprd01.prod.outlook.com>",
    )  # fmt: skip
    gw.send(raw, KOHO)  # Exchange's envelope sender is the shared mailbox
    notice = gw.wait(AUTHOR, "on-behalf", "広報係からのお知らせ")
    body = body_text(notice)
    assert KOHO in body and "ご自分のメールボックス" in body
    assert header(notice, "In-Reply-To") == "<TYCPR01MB7777.jpnprd01.prod.outlook.com>"
    assert header(notice, "Auto-Submitted") == "auto-generated"
    to_mailbox = gw.wait(KOHO, "on-behalf", "広報係からのお知らせ")
    assert AUTHOR in body_text(to_mailbox) and "お心当たり" in body_text(to_mailbox)
    assert gw.daemon.gateway.store.all_drafts() == []

    # The person's own draft, from their own mailbox, goes through at once; the refused
    # one never reached a reviewer.
    gw.send_draft("本人からのお知らせ", DRAFT)
    gw.wait(AUTHOR, "received", "本人から")
    request = gw.wait(KACHO, "review-request", "本人から")
    assert "広報係から" not in header(request, "Subject")
    for reviewer in (KACHO, KAKARI):
        assert not any("広報係から" in header(m, "Subject") for m in gw.mail.messages(reviewer))
    assert [d.author for d in gw.daemon.gateway.store.all_drafts()] == [AUTHOR]
