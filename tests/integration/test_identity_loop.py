"""Issue 10, points 2, 3 and 7 end to end: real Dovecot (IMAP IDLE), real aiosmtpd, the real
daemon (`gateway run`'s Daemon), mail as clients write it.

- an alias author (kacho+sns@) never reviews his own draft, and his approval never counts;
- a revision that names another account goes to that account's reviewers, from scratch;
- with require_authenticated, a forged staff draft is not forwarded and nobody is answered.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email import message_from_bytes, policy

import pytest
from clients import gmail_ja, outlook_ja, thunderbird_ja
from harness import (
    AUTHOR,
    DAIRI,
    KACHO,
    KAKARI,
    PASSWORD,
    USERS,
    RunningGateway,
    body_text,
    header,
    write_config,
)

from gateway.demo import compose_draft

pytestmark = pytest.mark.integration

SOUMU = "soumu@town.example.jp"
DRAFT = "アカウント: 辰野町公式X\n\n12月6日（日）午前9時から、町内全域で防災訓練を行います。\n"
TWO_ACCOUNTS = f"""
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}", "{DAIRI}"]

[[accounts]]
name = "辰野町公式Instagram"
platform = "instagram"
reviewers = ["{DAIRI}", "{SOUMU}"]
"""
AUTHENTICATED = '[review]\nrequire_authenticated = true\nauthserv_ids = ["mail.town.example.jp"]\n'
OFFICE_PASS = (
    "Authentication-Results: mail.town.example.jp; dkim=pass header.d=town.example.jp "
    "header.s=default; dmarc=pass (p=reject dis=none) header.from=town.example.jp\r\n"
)


def running(mail_system, tmp_path, **config) -> RunningGateway:
    for user in (*USERS, SOUMU):
        mail_system.add_user(user, PASSWORD)
    return RunningGateway(mail_system, write_config(mail_system, tmp_path, **config)).start()


@pytest.fixture
def gw(mail_system, tmp_path) -> Iterator[RunningGateway]:
    g = running(mail_system, tmp_path, accounts=TWO_ACCOUNTS)
    try:
        yield g
    finally:
        g.stop()


@pytest.fixture
def authed_gw(mail_system, tmp_path) -> Iterator[RunningGateway]:
    g = running(mail_system, tmp_path, extra=AUTHENTICATED)
    try:
        yield g
    finally:
        g.stop()


def statuses(gw: RunningGateway, address: str) -> list[str]:
    return gw.statuses(address)


def record_of(approved: bytes) -> dict:
    msg = message_from_bytes(approved, policy=policy.default)
    (part,) = [p for p in msg.iter_attachments() if p.get_filename() == "approval-record.json"]
    data = part.get_content()
    return json.loads(data if isinstance(data, str) else data.decode())


def test_an_alias_author_never_reviews_his_own_draft(gw):
    alias = "kacho+sns@town.example.jp"
    gw.send(compose_draft(alias, "防災訓練のお知らせ", DRAFT, name="総務課長"), alias)
    received = gw.wait(KACHO, "received", "防災訓練")  # the plus-address lands in his mailbox
    draft_id = header(received, "X-Gateway-Draft")
    requests = {r: gw.wait(r, "review-request", draft_id) for r in (KAKARI, DAIRI)}
    assert "review-request" not in statuses(gw, KACHO)
    assert gw.draft(draft_id).author == KACHO
    assert gw.draft(draft_id).reviewers == (KAKARI, DAIRI)

    # kacho answers a reviewer's (forwarded) request from yet another spelling: never counts.
    forwarded = requests[KAKARI]
    gw.reply(forwarded, outlook_ja(forwarded, "Kacho@Town.Example.JP", "総務課長", "承認します。"), KACHO)
    gw.wait_until(lambda: any(e["detail"].get("message_id") for e in gw.events("reply_not_counted")))
    assert gw.draft(draft_id).votes_for(1) == {}

    for reviewer in (KAKARI, DAIRI):
        request = requests[reviewer]
        gw.reply(request, gmail_ja(request, reviewer, "確認者", "承認します"), reviewer)
    approved = gw.wait(KACHO, "approved", draft_id)
    record = record_of(approved)
    assert record["author"] == KACHO
    assert [a["reviewer"] for a in record["approvals"]] == [KAKARI, DAIRI]


def test_a_revision_naming_another_account_goes_to_its_reviewers(gw):
    gw.send_draft("防災訓練のお知らせ", DRAFT)
    received = gw.wait(AUTHOR, "received", "防災訓練")
    draft_id = header(received, "X-Gateway-Draft")
    x = {r: gw.wait(r, "review-request", draft_id) for r in (KACHO, KAKARI)}
    gw.reply(x[KAKARI], gmail_ja(x[KAKARI], KAKARI, "係長", "承認します"), KAKARI)
    gw.wait(KAKARI, "receipt", draft_id)
    gw.reply(x[KACHO], outlook_ja(x[KACHO], KACHO, "課長", "差戻しします。Instagramでお願いします。"), KACHO)
    returned = gw.wait(AUTHOR, "returned", draft_id)

    revised = "アカウント: 辰野町公式Instagram\n\n12月6日（日）午前9時から防災訓練を行います。\n"
    gw.reply(returned, thunderbird_ja(returned, AUTHOR, "佐藤", revised), AUTHOR)
    ig = {r: gw.wait(r, "review-request", draft_id, version=2) for r in (DAIRI, SOUMU)}
    assert "辰野町公式X" in body_text(ig[DAIRI])  # the reviewers see the account changed
    notice = gw.wait(KAKARI, "notice", draft_id)
    assert "辰野町公式Instagram" in body_text(notice)
    draft = gw.draft(draft_id)
    assert (draft.account, draft.reviewers, draft.votes_for(2)) == ("辰野町公式Instagram", (DAIRI, SOUMU), {})
    assert "review-request" not in [
        header(m, "X-Gateway-Status") for m in gw.mail.messages(KACHO) if header(m, "X-Gateway-Version") == "2"
    ]

    for reviewer, request in ig.items():
        gw.reply(request, outlook_ja(request, reviewer, "確認者", "承認いたします。"), reviewer)
    approved = gw.wait(AUTHOR, "approved", draft_id)
    record = record_of(approved)
    assert record["account"] == "辰野町公式Instagram"
    assert [a["reviewer"] for a in record["approvals"]] == [DAIRI, SOUMU]


def test_a_forged_staff_draft_is_not_forwarded(authed_gw):
    gw = authed_gw
    # Someone outside writes as a member of staff; the office's server vouches for nothing.
    forged = compose_draft(KAKARI, "偽のお知らせ", DRAFT, name="係長")
    gw.send(forged, "mallory@evil.example.com")
    gw.wait_until(lambda: bool(gw.events("draft_not_authenticated")))
    (event,) = gw.events("draft_not_authenticated")
    assert event["actor"] == KAKARI and "trusted" in event["detail"]["reason"]
    assert gw.daemon.gateway.store.all_drafts() == []

    # The same staff member's genuine draft, vouched for by the office's server, goes through.
    genuine = OFFICE_PASS.encode() + compose_draft(AUTHOR, "本物のお知らせ", DRAFT, name="佐藤")
    gw.send(genuine, AUTHOR)
    gw.wait(AUTHOR, "received", "本物")
    gw.wait(KACHO, "review-request", "本物")
    # Nobody heard of the forged one: not the reviewers, not the staff member it named.
    for person in (KACHO, KAKARI, DAIRI, AUTHOR):
        assert not any("偽の" in header(m, "Subject") for m in gw.mail.messages(person))
