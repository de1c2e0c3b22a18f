"""Issue 10, point 2 through the real pipeline (MIME, config, store, templates; no network):
an alias of a reviewer never reviews his own draft, odd addresses never pass the staff list,
a From with an address in its display name is nobody."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clients import gmail_ja, outlook_ja
from offline import offline_gateway, offline_settings

from gateway.config_reader import ConfigError
from gateway.settings import staff_allowed
from gateway.workflow import pick_reviewers

GATEWAY = "sns-check@town.example.jp"
KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
DRAFT = "アカウント: 辰野町公式X\n\n12月6日（日）午前9時から防災訓練を行います。\n"
PEOPLE = [{"name": "課長 山田", "addresses": [KACHO, "yamada.t@town.example.jp", "yamada@mobile.example.jp"]}]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

    def __call__(self) -> datetime:
        return self.now


def make_gateway(tmp_path: Path, **tables):
    clock = Clock()
    return offline_gateway(tmp_path, clock, **tables), clock


_counter = iter(range(1, 10_000))


def raw_draft(from_header: str, body: str = DRAFT, subject: str = "防災訓練のお知らせ", extra: str = "") -> bytes:
    """A draft exactly as written, the From header byte for byte (no library rewriting it)."""
    n = next(_counter)
    head = (
        f"From: {from_header}\r\nTo: {GATEWAY}\r\nSubject: =?utf-8?b?"
        f"{base64.b64encode(subject.encode()).decode()}?=\r\n"
        f"Date: Tue, 24 Nov 2026 09:00:00 +0900\r\nMessage-ID: <d{n}@town.example.jp>\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    )
    return head.encode() + base64.encodebytes(body.encode())


def recipients(gw, status: str | None = None) -> set[str]:
    return {
        r
        for e in gw.store.outbox.all()
        if status is None or e["mail_status"] == status
        for r in e["recipients"]
    }


def requests_by_reviewer(gw) -> dict[str, bytes]:
    out = {}
    for e in gw.store.outbox.all():
        if e["mail_status"] == "review-request":
            out[e["recipients"][0]] = gw.spool.get_mail(e["path"])
    return out


@pytest.mark.parametrize(
    "from_header",
    [
        "kacho+sns@town.example.jp",
        '"kacho"@town.example.jp',
        "課長 <Kacho+SNS@Town.Example.JP>",
        '"kacho+sns"@town.example.jp',
    ],
)
def test_an_alias_author_is_never_his_own_reviewer(tmp_path, from_header):
    gw, _ = make_gateway(tmp_path)
    assert gw.handle_raw(raw_draft(from_header)) == "draft"
    draft = gw.store.get_draft("D-000001")
    assert draft.author == KACHO
    assert draft.reviewers == (KAKARI, DAIRI)
    assert KACHO not in recipients(gw, "review-request")
    assert recipients(gw, "received") == {KACHO}


def test_a_listed_alias_on_another_address_is_the_same_person(tmp_path):
    gw, _ = make_gateway(tmp_path, people=PEOPLE)
    assert gw.handle_raw(raw_draft("山田 <Yamada.T@town.example.jp>")) == "draft"
    draft = gw.store.get_draft("D-000001")
    assert draft.author == KACHO and KACHO not in draft.reviewers
    # ...and his own (forwarded or guessed) approval from any of his addresses never counts
    requests = requests_by_reviewer(gw)
    reply = outlook_ja(requests[KAKARI], "yamada@mobile.example.jp", "山田", "承認します。")
    assert gw.handle_raw(reply) == "reply_not_counted"
    assert gw.store.get_draft("D-000001").votes_for(1) == {}


def test_the_alternate_is_never_the_author_under_another_spelling(tmp_path):
    gw, clock = make_gateway(
        tmp_path,
        accounts=[
            {"name": "辰野町公式X", "platform": "x", "reviewers": [KAKARI, DAIRI, "Yamada.T@town.example.jp", "soumu@town.example.jp"]}
        ],
        people=PEOPLE,
    )
    assert gw.handle_raw(raw_draft("kacho+x@town.example.jp")) == "draft"
    for _ in range(12):  # days pass: reminders, then alternates for both silent reviewers
        clock.now += timedelta(days=1)
        gw.tick()
    draft = gw.store.get_draft("D-000001")
    asked = {a for _, a in draft.alternates if a}
    assert KACHO not in asked and KACHO not in draft.deciders
    assert asked == {"soumu@town.example.jp"}


def test_a_reviewer_answering_from_another_spelling_still_counts(tmp_path):
    gw, _ = make_gateway(tmp_path)
    gw.handle_raw(raw_draft("sato@town.example.jp"))
    requests = requests_by_reviewer(gw)
    assert gw.handle_raw(gmail_ja(requests[KACHO], "Kacho+phone@Town.Example.JP", "課長", "承認します")) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KACHO}


@pytest.mark.parametrize(
    "from_header",
    [
        '"mallory@evil.example.com>"@town.example.jp',
        "mallory%evil.example.com@town.example.jp",
        "<mallory%evil.example.com@town.example.jp>",
        "kacho@town.example.jp <mallory@evil.example.com>",
        '"kacho@town.example.jp" <mallory@evil.example.com>',
        "<@relay.example:kacho@town.example.jp>",
        "kacho@town.example.jp, mallory@evil.example.com",
    ],
)
def test_odd_or_two_faced_from_is_nobody(tmp_path, from_header):
    gw, _ = make_gateway(tmp_path)
    assert gw.handle_raw(raw_draft(from_header)) == "other_ignored"
    assert gw.store.all_drafts() == []
    assert recipients(gw) == set()
    problems = [p for e in gw.store.all_events() for p in e["detail"].get("problems", ())]
    assert any(p.startswith("From refused") for p in problems)


def test_two_from_headers_or_a_different_sender_are_nobody(tmp_path):
    gw, _ = make_gateway(tmp_path)
    two = raw_draft(KACHO, extra="From: sato@town.example.jp\r\n")
    assert gw.handle_raw(two) == "other_ignored"
    on_behalf = raw_draft(KACHO, extra="Sender: sato@town.example.jp\r\n")
    assert gw.handle_raw(on_behalf) == "on_behalf"  # refused; the people told (test_on_behalf)
    same = raw_draft(KACHO, extra="Sender: Kacho@town.example.jp\r\n")
    assert gw.handle_raw(same) == "draft"


def test_the_rate_limit_counts_a_person_not_a_spelling(tmp_path):
    gw, clock = make_gateway(tmp_path, limits={"per_sender_per_hour": 2})
    results = []
    for i, spelling in enumerate(["sato@town.example.jp", "Sato+a@town.example.jp", '"sato"@town.example.jp']):
        clock.now += timedelta(minutes=1)
        results.append(gw.handle_raw(raw_draft(spelling, subject=f"お知らせ{i}")))
    assert results == ["draft", "draft", "deferred"]


# --------------------------------------------------------------------------- config


def test_staff_list_takes_any_spelling_and_refuses_odd_addresses(tmp_path):
    s = offline_settings(tmp_path, staff={"allowed": ["Kacho@Town.Example.JP"]}, people=PEOPLE)
    assert staff_allowed(s, "kacho+sns@town.example.jp")
    assert staff_allowed(s, '"kacho"@town.example.jp')
    assert staff_allowed(s, "yamada@mobile.example.jp")  # a listed address of kacho
    assert not staff_allowed(s, '"kacho@town.example.jp>"@town.example.jp')
    assert not staff_allowed(s, "kacho%evil.example.com@town.example.jp")
    d = offline_settings(tmp_path)  # *@town.example.jp
    assert not staff_allowed(d, '"mallory@evil.example.com>"@town.example.jp')
    assert not staff_allowed(d, "mallory%evil.example.com@town.example.jp")
    assert staff_allowed(d, "MALLORY@TOWN.EXAMPLE.JP")


def test_config_reviewers_are_people_not_spellings(tmp_path):
    with pytest.raises(ConfigError, match="two distinct reviewers"):
        offline_settings(
            tmp_path,
            accounts=[{"name": "X", "platform": "x", "reviewers": [KACHO, "Kacho+sns@town.example.jp"]}],
        )
    with pytest.raises(ConfigError, match="two distinct reviewers"):
        offline_settings(
            tmp_path,
            accounts=[{"name": "X", "platform": "x", "reviewers": [KACHO, "yamada.t@town.example.jp"]}],
            people=PEOPLE,
        )
    s = offline_settings(
        tmp_path,
        accounts=[{"name": "X", "platform": "x", "reviewers": ["Yamada.T@town.example.jp", KAKARI]}],
        people=PEOPLE,
    )
    assert s.accounts[0].reviewers == (KACHO, KAKARI)


@pytest.mark.parametrize(
    ("tables", "key"),
    [
        ({"people": [{"name": "a", "addresses": [KACHO]}, {"name": "b", "addresses": ["kacho+x@town.example.jp"]}]}, "people"),
        ({"people": [{"name": "a", "addresses": ["mallory%x@town.example.jp"]}]}, "people[0].addresses"),
        ({"staff": {"allowed": ['"a@b>"@town.example.jp']}}, "staff.allowed"),
        ({"admin": {"address": "admin!x@town.example.jp"}}, "admin.address"),
    ],
)
def test_config_refuses_odd_or_shared_addresses(tmp_path, tables, key):
    with pytest.raises(ConfigError) as info:
        offline_settings(tmp_path, **tables)
    assert info.value.key == key


def test_pure_workflow_compares_people_under_any_spelling():
    assert pick_reviewers(["Kacho@town.example.jp", KAKARI, "kakaricho+x@town.example.jp", DAIRI], "kacho+sns@town.example.jp") == (KAKARI, DAIRI)


# --------------------------------------------------------------------------- point 7: drafts authenticated

AUTHED = {"review": {"require_authenticated": True, "authserv_ids": ["mail.town.example.jp"]}}
PASS = "Authentication-Results: mail.town.example.jp; dkim=pass header.d=town.example.jp; dmarc=pass header.from=town.example.jp\r\n"
FAIL = "Authentication-Results: mail.town.example.jp; spf=fail smtp.mailfrom=town.example.jp; dkim=none; dmarc=fail header.from=town.example.jp\r\n"
SMUGGLED = 'Authentication-Results: mail.town.example.jp; spf=none smtp.mailfrom="a;dmarc=pass"@evil.example; dmarc=fail header.from=town.example.jp\r\n'


@pytest.mark.parametrize(
    "extra",
    [
        "",  # no Authentication-Results at all
        FAIL,
        FAIL + PASS,  # a pass the forger wrote below the office server's fail
        SMUGGLED,
        PASS.replace("mail.town.example.jp", "mx.evil.example"),  # another server's word
    ],
)
def test_a_forged_staff_draft_is_not_forwarded(tmp_path, extra):
    gw, _ = make_gateway(tmp_path, **AUTHED)
    assert gw.handle_raw(raw_draft("係長 <kakaricho@town.example.jp>", extra=extra)) == "draft_not_authenticated"
    assert gw.store.all_drafts() == []
    assert recipients(gw) == set()  # nobody hears: not the reviewers, not the forged author
    events = [e for e in gw.store.all_events() if e["action"] == "draft_not_authenticated"]
    assert len(events) == 1 and events[0]["actor"] == KAKARI and events[0]["detail"]["reason"]


def test_an_authenticated_staff_draft_is_forwarded(tmp_path):
    gw, _ = make_gateway(tmp_path, **AUTHED)
    assert gw.handle_raw(raw_draft("sato@town.example.jp", extra=PASS)) == "draft"
    assert recipients(gw, "review-request") == {KACHO, KAKARI}


def test_a_forged_revision_with_the_authors_token_is_not_a_revision(tmp_path):
    gw, _ = make_gateway(tmp_path, **AUTHED)
    gw.handle_raw(raw_draft("sato@town.example.jp", extra=PASS))
    requests = requests_by_reviewer(gw)
    sendback = outlook_ja(requests[KACHO], KACHO, "課長", "差戻しします。日付を確認してください。")
    sendback = PASS.encode() + sendback
    assert gw.handle_raw(sendback) == "reply_send_back"
    returned = next(
        gw.spool.get_mail(e["path"]) for e in gw.store.outbox.all() if e["mail_status"] == "returned"
    )
    forged = outlook_ja(returned, "sato@town.example.jp", "佐藤", "アカウント: 辰野町公式X\n\n別の文章です。")
    assert gw.handle_raw(forged) == "reply_not_authenticated"
    assert gw.store.get_draft("D-000001").version == 1
    genuine = PASS.encode() + outlook_ja(returned, "sato@town.example.jp", "佐藤", "アカウント: 辰野町公式X\n\n直した文章です。")
    assert gw.handle_raw(genuine) == "revision"
    assert gw.store.get_draft("D-000001").version == 2


def test_the_admin_sees_forged_and_odd_mail_in_the_digest(tmp_path):
    gw, clock = make_gateway(tmp_path, admin={"address": "soumu@town.example.jp"}, **AUTHED)
    clock.now = datetime(2026, 11, 24, 7, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    gw.handle_raw(raw_draft("係長 <kakaricho@town.example.jp>", subject="偽の投稿案"))
    gw.handle_raw(raw_draft("mallory%evil.example.com@town.example.jp", subject="変な差出人"))
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    gw.tick()
    (entry,) = [e for e in gw.store.outbox.all() if e["mail_status"] == "digest"]
    msg = message_from_bytes(gw.spool.get_mail(entry["path"]), policy=policy.default)
    text = msg.get_body(("plain",)).get_content()
    assert "■ 送信者を確かめられなかったメール 2件" in text
    assert "kakaricho@town.example.jp「偽の投稿案」" in text and "転送していません" in text
    assert "「変な差出人」" in text and "差出人アドレスの形が不正" in text


# --------------------------------------------------------------------------- point 3: account switch

TWO_ACCOUNTS = {
    "accounts": [
        {"name": "辰野町公式X", "platform": "x", "reviewers": [KACHO, KAKARI]},
        {"name": "辰野町公式Instagram", "platform": "instagram", "reviewers": [DAIRI, "soumu@town.example.jp"]},
    ]
}
SOUMU = "soumu@town.example.jp"
AUTHOR = "sato@town.example.jp"


def _mail(gw, status: str, to: str) -> bytes:
    found = [
        gw.spool.get_mail(e["path"])
        for e in gw.store.outbox.all()
        if e["mail_status"] == status and to in e["recipients"]
    ]
    assert found, (status, to)
    return found[-1]


def _record(raw: bytes) -> dict:
    import json

    msg = message_from_bytes(raw, policy=policy.default)
    (part,) = [p for p in msg.iter_attachments() if p.get_filename() == "approval-record.json"]
    return json.loads(part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode())


def test_a_revision_that_switches_account_goes_to_that_accounts_reviewers(tmp_path):
    gw, _ = make_gateway(tmp_path, **TWO_ACCOUNTS)
    gw.handle_raw(raw_draft(AUTHOR))
    x_requests = {r: _mail(gw, "review-request", r) for r in (KACHO, KAKARI)}
    # KAKARI approves version 1 for X, KACHO sends it back.
    assert gw.handle_raw(gmail_ja(x_requests[KAKARI], KAKARI, "係長", "承認します")) == "reply_approve"
    assert gw.handle_raw(outlook_ja(x_requests[KACHO], KACHO, "課長", "差戻しします。Instagramで出してください。")) == "reply_send_back"
    returned = _mail(gw, "returned", AUTHOR)
    revision = outlook_ja(returned, AUTHOR, "佐藤", "アカウント: 辰野町公式Instagram\n\n12月6日（日）午前9時から防災訓練を行います。写真もご覧ください。\n")
    assert gw.handle_raw(revision) == "revision"
    draft = gw.store.get_draft("D-000001")
    assert (draft.account, draft.version, draft.reviewers) == ("辰野町公式Instagram", 2, (DAIRI, SOUMU))
    assert draft.votes_for(2) == {}
    assert {r for e in gw.store.outbox.all() if e["mail_status"] == "review-request" for r in e["recipients"]} == {KACHO, KAKARI, DAIRI, SOUMU}
    # The X reviewers are told they need not answer; their answers no longer count.
    notice = message_from_bytes(_mail(gw, "notice", KAKARI), policy=policy.default).get_body(("plain",)).get_content()
    assert "辰野町公式Instagram" in notice and "返信は不要" in notice
    gw.handle_raw(gmail_ja(x_requests[KAKARI], KAKARI, "係長", "承認します"))
    assert gw.store.get_draft("D-000001").votes_for(2) == {}
    # The Instagram reviewers approve: the signed record names Instagram and them.
    ig = {r: _mail(gw, "review-request", r) for r in (DAIRI, SOUMU)}
    assert gw.handle_raw(gmail_ja(ig[DAIRI], DAIRI, "代理", "承認します")) == "reply_approve"
    assert gw.handle_raw(gmail_ja(ig[SOUMU], SOUMU, "総務", "承認します")) == "reply_approve"
    record = _record(_mail(gw, "approved", AUTHOR))
    assert record["account"] == "辰野町公式Instagram"
    assert [a["reviewer"] for a in record["approvals"]] == [DAIRI, SOUMU]
    assert any(e["action"] == "draft_account_changed" for e in gw.store.all_events())


def test_a_new_draft_with_the_same_subject_and_another_account_is_reviewed_afresh(tmp_path):
    gw, _ = make_gateway(tmp_path, **TWO_ACCOUNTS)
    gw.handle_raw(raw_draft(AUTHOR))
    assert gw.handle_raw(raw_draft(AUTHOR, body=DRAFT.replace("辰野町公式X", "辰野町公式Instagram"))) == "draft"
    draft = gw.store.get_draft("D-000001")
    assert (draft.account, draft.version, draft.reviewers) == ("辰野町公式Instagram", 2, (DAIRI, SOUMU))


def test_stale_reviewers_never_survive_a_rejected_switch(tmp_path):
    gw, _ = make_gateway(tmp_path, **TWO_ACCOUNTS)
    gw.handle_raw(raw_draft(AUTHOR))
    gw.handle_raw(raw_draft(AUTHOR, body=DRAFT.replace("辰野町公式X", "辰野町公式Instagram").replace("防災訓練", "")))
    gw.handle_raw(raw_draft(AUTHOR, body=DRAFT.replace("辰野町公式X", "存在しないアカウント")))
    assert gw.store.get_draft("D-000001").state == "rejected"
    gw.handle_raw(raw_draft(AUTHOR, body=DRAFT.replace("辰野町公式X", "辰野町公式Instagram")))
    draft = gw.store.get_draft("D-000001")
    assert (draft.account, draft.reviewers) == ("辰野町公式Instagram", (DAIRI, SOUMU))


def test_a_deputy_named_by_the_authors_alias_never_decides_his_draft(tmp_path):
    from clients import iphone_ja

    gw, clock = make_gateway(tmp_path, people=PEOPLE)
    clock.now = datetime(2026, 12, 18, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    absence = raw_draft(KAKARI, body="不在 12/18-12/27 代理 Yamada.T@town.example.jp\n", subject="不在の連絡")
    assert gw.handle_raw(absence) == "absence_request"
    request = _mail(gw, "absence", KAKARI)
    clock.now += timedelta(minutes=5)
    assert gw.handle_raw(iphone_ja(request, KAKARI, "係長", "はい")) == "absence_confirmed"
    assert gw.store.absences()[0].deputy == KACHO  # the alias is its person
    clock.now += timedelta(minutes=5)
    assert gw.handle_raw(raw_draft("kacho+sns@town.example.jp")) == "draft"
    draft = gw.store.get_draft("D-000001")
    assert KACHO not in draft.deciders
    assert KACHO not in recipients(gw, "review-request")


def test_explain_shows_who_sent_it_and_the_servers_word(tmp_path, capsys):
    from gateway.cli import main as cli_main

    cfg = tmp_path / "gateway.toml"
    cfg.write_text(
        f"""[mailbox]
host = "127.0.0.1"
security = "none"
username = "{GATEWAY}"
password = "x"
address = "{GATEWAY}"
[smtp]
host = "127.0.0.1"
security = "none"
[state]
path = "{tmp_path}/state.json"
[signing]
key_file = "{tmp_path}/signing.key"
[staff]
allowed = ["*@town.example.jp"]
[review]
require_authenticated = true
authserv_ids = ["mail.town.example.jp"]
[[people]]
name = "課長"
addresses = ["{KACHO}", "yamada.t@town.example.jp"]
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}"]
""",
        encoding="utf-8",
    )
    vouched = tmp_path / "vouched.eml"
    vouched.write_bytes(raw_draft("Yamada.T@town.example.jp", extra=PASS))
    assert cli_main(["explain", "-c", str(cfg), str(vouched)]) == 0
    out = capsys.readouterr().out
    assert f"差出人: yamada.t@town.example.jp（{KACHO} と同じ人）" in out
    assert "送信元サーバーの確認: 確認できました（dkim=pass aligned (town.example.jp)）" in out
    forged = tmp_path / "forged.eml"
    forged.write_bytes(raw_draft("kacho@town.example.jp <mallory@evil.example.com>", extra=SMUGGLED))
    assert cli_main(["explain", "-c", str(cfg), str(forged)]) == 0
    out = capsys.readouterr().out
    assert "差出人: 読めません（From refused" in out and "確認できません" in out
    assert cli_main(["explain", "-c", str(cfg), "--format", "json", str(vouched)]) == 0
    assert "差出人" not in capsys.readouterr().out  # the contract's JSON shape is unchanged
