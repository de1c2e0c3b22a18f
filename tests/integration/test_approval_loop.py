"""The core approval loop, end to end: real Dovecot (IMAP IDLE), real aiosmtpd SMTP,
the real daemon, and replies as real clients write them."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from clients import gmail_ja, iphone_ja, outlook_ja, thunderbird_ja
from harness import (
    AUTHOR,
    DAIRI,
    GATEWAY,
    KACHO,
    KAKARI,
    RunningGateway,
    body_text,
    header,
)

from gateway.cli import main as cli_main
from gateway.demo import compose_draft

pytestmark = pytest.mark.integration

DRAFT = """アカウント: 辰野町公式X

【防災訓練のお知らせ】
12月6日（日）午前9時から、町内全域で防災訓練を行います。
お近くの避難場所へ避難してください。
"""


def tamper_post_text(raw: bytes, new_text: str) -> bytes:
    """Replace the signed post text attached to an approval, as a forger would."""
    msg = message_from_bytes(raw, policy=policy.default)
    for part in msg.iter_attachments():
        if part.get_filename() == "post.txt":
            part.set_content(
                new_text.encode(), maintype="text", subtype="plain", filename="post.txt"
            )
    return msg.as_bytes(policy=policy.SMTP)


def open_draft(gw: RunningGateway, subject: str = "防災訓練のお知らせ", body: str = DRAFT):
    gw.send_draft(subject, body)
    received = gw.wait(AUTHOR, "received", subject)
    requests = {r: gw.wait(r, "review-request", subject) for r in (KACHO, KAKARI)}
    return header(received, "X-Gateway-Draft"), received, requests


def test_two_approvals_give_a_signed_confirmation(gw, tmp_path):
    draft_id, received, requests = open_draft(gw)
    assert draft_id.startswith("D-")
    assert gw.mail.messages(DAIRI) == []  # only two reviewers, never the author
    request = requests[KACHO]
    assert header(request, "Subject") == f"[承認依頼 {draft_id}] 防災訓練のお知らせ"
    assert header(request, "Auto-Submitted") == "auto-generated"
    assert "防災訓練を行います" in body_text(request)

    gw.reply(request, outlook_ja(request, KACHO, "課長", "承認します。"), KACHO)
    gw.wait(KACHO, "receipt", draft_id)
    gw.reply(requests[KAKARI], gmail_ja(requests[KAKARI], KAKARI, "係長", "承認です"), KAKARI)
    approved = gw.wait(AUTHOR, "approved", draft_id)
    assert header(approved, "Cc") == f"{KACHO}, {KAKARI}"
    # Threaded to the author's draft.
    assert header(received, "In-Reply-To") in header(approved, "References")

    path = tmp_path / "approved.eml"
    path.write_bytes(approved)
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 0
    assert cli_main(["verify", "--key", str(tmp_path / "signing.key.pub"), str(path)]) == 0
    path.write_bytes(tamper_post_text(approved, "防災訓練は中止します。"))
    assert cli_main(["verify", "-c", str(gw.config_path), str(path)]) == 1
    assert gw.draft(draft_id).state == "approved"


def test_send_back_returns_the_reason_and_a_reply_is_version_2(gw):
    draft_id, _, requests = open_draft(gw)
    reason = "避難場所の名前を書いてください。"
    gw.reply(
        requests[KAKARI],
        iphone_ja(requests[KAKARI], KAKARI, "係長", f"差戻しします。\n{reason}"),
        KAKARI,
    )
    returned = gw.wait(AUTHOR, "returned", draft_id)
    assert reason in body_text(returned)
    assert header(returned, "Cc") == KACHO
    assert gw.draft(draft_id).state == "returned"

    # The author answers the returned mail with the corrected text: version 2.
    fixed = DRAFT.replace("お近くの避難場所", "町民広場などお近くの避難場所")
    gw.reply(returned, thunderbird_ja(returned, AUTHOR, "佐藤", fixed.split("\n", 2)[2]), AUTHOR)
    v2 = {r: gw.wait(r, "review-request", draft_id, version=2) for r in (KACHO, KAKARI)}
    assert all("第2版" in body_text(m) for m in v2.values())
    assert "+ " in body_text(v2[KACHO]) and "町民広場" in body_text(v2[KACHO])
    assert gw.draft(draft_id).version == 2

    # An approval of version 1 does not count for version 2.
    gw.reply(requests[KACHO], gmail_ja(requests[KACHO], KACHO, "課長", "承認します"), KACHO)
    gw.wait(KACHO, "notice", draft_id)
    assert gw.draft(draft_id).votes_for(2) == {}

    for reviewer, request in v2.items():
        gw.reply(request, outlook_ja(request, reviewer, "確認者", "承認いたします。"), reviewer)
    approved = gw.wait(AUTHOR, "approved", draft_id)
    assert "町民広場" in body_text(approved)
    assert gw.draft(draft_id).state == "approved"


def test_error_finding_is_rejected_without_reviewers(gw):
    gw.send_draft(
        "連絡先", "アカウント: 辰野町公式X\n\n申請者の個人番号 1234 5678 9018 をご確認ください。\n"
    )
    rejected = gw.wait(AUTHOR, "rejected", "連絡先")
    assert "1234 5678 9018" in body_text(rejected)
    gw.wait_handled(1)
    assert gw.mail.messages(KACHO) == [] and gw.mail.messages(KAKARI) == []


def test_replies_that_must_not_count(gw):
    draft_id, received, requests = open_draft(gw)
    handled = len(gw.daemon.gateway.store.seen.all())

    # A non-reviewer answers with a reviewer's forwarded request (token made for KACHO).
    gw.reply(requests[KACHO], outlook_ja(requests[KACHO], DAIRI, "代理", "承認します。"), DAIRI)
    # The author answers their own `received` mail with 承認.
    gw.reply(received, gmail_ja(received, AUTHOR, "佐藤", "承認します。"), AUTHOR)
    # A forged From (KACHO) with no token: a new mail, not a reply to the request.
    forged = compose_draft(KACHO, f"RE: [承認依頼 {draft_id}] 防災訓練のお知らせ", "承認します。")
    gw.send(forged, KACHO)
    gw.wait_handled(handled + 3)

    assert gw.draft(draft_id).state == "in_review"
    assert gw.draft(draft_id).votes_for(1) == {}
    reasons = sorted(e["detail"]["reason"] for e in gw.events("reply_not_counted"))
    assert reasons == ["author-cannot-decide", "no-token", "token-not-for-sender"]
    # The real KACHO is told how to answer; the non-reviewer and the author get nothing.
    gw.wait(KACHO, "clarify", draft_id)
    assert "approved" not in gw.statuses(AUTHOR)
    assert gw.mail.messages(DAIRI) == []


def test_unclear_reply_and_quoted_approval_get_clarify(gw):
    draft_id, _, requests = open_draft(gw)
    # Only the quoted request contains 承認 (its instructions); the reviewer wrote none.
    gw.reply(
        requests[KACHO], outlook_ja(requests[KACHO], KACHO, "課長", "内容を確認しました。"), KACHO
    )
    clarify = gw.wait(KACHO, "clarify", draft_id)
    assert "読み取れませんでした" in body_text(clarify)
    assert gw.draft(draft_id).votes_for(1) == {}
    # Bottom-posted approval (Thunderbird) still counts.
    gw.reply(
        requests[KAKARI],
        thunderbird_ja(requests[KAKARI], KAKARI, "係長", "承認します。", bottom=True),
        KAKARI,
    )
    gw.wait(KAKARI, "receipt", draft_id)
    assert set(gw.draft(draft_id).votes_for(1)) == {KAKARI}


def test_auto_reply_gets_nothing(gw):
    draft_id, _, requests = open_draft(gw)
    before = len(gw.mail.messages(KACHO))
    auto = outlook_ja(requests[KACHO], KACHO, "課長", "不在にしております。11月30日に戻ります。")
    auto = auto.replace(
        b"Subject: ",
        b"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\nSubject: ",
        1,
    )
    gw.reply(requests[KACHO], auto, KACHO)
    gw.wait_until(lambda: bool(gw.events("auto_reply_ignored")))
    assert len(gw.mail.messages(KACHO)) == before
    assert gw.draft(draft_id).votes_for(1) == {}


def test_stranger_gets_no_reply_and_mail_is_kept(gw):
    gw.send(
        compose_draft("someone@outside.example.com", "宣伝", "当社の商品を紹介してください。"),
        "someone@outside.example.com",
    )
    gw.wait_until(lambda: bool(gw.events("stranger_ignored")))
    kept = gw.mail.messages(GATEWAY, gw.settings.mailbox.processed_folder)
    assert any(b"outside.example.com" in m for m in kept)
