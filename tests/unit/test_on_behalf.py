"""Issue 13, "never drop a person's mail without a word", for mail sent on someone's behalf
(a Sender other than the From: Outlook's 「佐藤 on behalf of 広報係」, Gmail's "send mail
as"): through the real Gateway (MIME, config, store, templates, outbox; no network) such
mail is still refused and never counts, but the staff concerned are told, once an hour."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.header import Header
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clients import gmail_ja, outlook_ja, outlook_on_behalf_ja
from offline import offline_gateway

from gateway.digest import build_digest_context
from gateway.template_check import check_templates

GATEWAY = "sns-check@town.example.jp"
KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
SATO, KOHO = "sato@town.example.jp", "koho@town.example.jp"
ADMIN = "somu@town.example.jp"
DRAFT = "アカウント: 辰野町公式X\n\n12月6日（日）午前9時から防災訓練を行います。\n"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

    def __call__(self) -> datetime:
        return self.now


def make_gateway(tmp_path: Path, **tables):
    clock = Clock()
    tables.setdefault("admin", {"address": ADMIN})
    return offline_gateway(tmp_path, clock, **tables), clock


def _jis(name: str, address: str) -> str:
    return f"=?iso-2022-jp?B?{base64.b64encode(name.encode('iso-2022-jp')).decode()}?= <{address}>"


_counter = iter(range(1, 10_000))


def outlook_on_behalf(
    mailbox: str = KOHO, mailbox_name: str = "広報係", sender: str = SATO,
    sender_name: str = "佐藤 花子", subject: str = "防災訓練のお知らせ", extra: str = "",
) -> bytes:  # fmt: skip
    """A draft as Outlook / Exchange sends it from a shared or delegated mailbox."""
    n = next(_counter)
    return outlook_on_behalf_ja(
        mailbox, mailbox_name, sender, sender_name, subject, DRAFT,
        message_id=f"<TYCPR01MB{n:04d}.jpnprd01.prod.outlook.com>",
        extra=(extra,) if extra else (),
    )  # fmt: skip


def own_draft(author: str, subject: str = "防災訓練のお知らせ") -> bytes:
    n = next(_counter)
    return (
        f"From: {author}\r\nTo: {GATEWAY}\r\nSubject: {Header(subject, 'utf-8').encode()}\r\n"
        f"Date: Tue, 24 Nov 2026 09:00:00 +0900\r\nMessage-ID: <own{n}@town.example.jp>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode() + base64.encodebytes(DRAFT.encode())


def with_sender(raw: bytes, sender_header: str) -> bytes:
    """The same mail with a Sender header added above the first header (as a delegate's
    client writes it)."""
    return f"Sender: {sender_header}\r\n".encode() + raw


def notices(gw) -> list[tuple[str, object]]:
    """(recipient, parsed mail) for every on-behalf notice in the outbox."""
    out = []
    for e in gw.store.outbox.all():
        if e["mail_status"] == "on-behalf":
            (to,) = e["recipients"]
            out.append((to, message_from_bytes(gw.spool.get_mail(e["path"]), policy=policy.default)))
    return out


def told(gw) -> list[str]:
    return sorted(to for to, _ in notices(gw))


def review_requests(gw) -> dict[str, bytes]:
    return {
        e["recipients"][0]: gw.spool.get_mail(e["path"])
        for e in gw.store.outbox.all()
        if e["mail_status"] == "review-request"
    }


# --------------------------------------------------------------------------- drafts


def test_an_outlook_draft_sent_on_behalf_is_refused_and_both_people_are_told(tmp_path):
    gw, _ = make_gateway(tmp_path)
    raw = outlook_on_behalf()
    assert gw.handle_raw(raw) == "on_behalf"
    assert gw.store.all_drafts() == []  # never a draft
    assert {m["mail_status"] for m in gw.store.outbox.all()} == {"on-behalf"}  # no reviewer asked
    assert told(gw) == [KOHO, SATO]
    by_to = dict(notices(gw))
    to_sato, to_koho = by_to[SATO], by_to[KOHO]
    for msg in (to_sato, to_koho):
        assert msg["X-Gateway-Status"] == "on-behalf"
        assert msg["Auto-Submitted"] == "auto-generated" and msg["X-Loop"] == GATEWAY
        assert msg["X-Mailer"].startswith("town-sns-gateway/")
        assert msg["In-Reply-To"] == message_from_bytes(raw)["Message-ID"]
        assert "防災訓練のお知らせ" in msg["Subject"] and "受け付けていません" in msg["Subject"]
        body = msg.get_body(("plain",)).get_content()
        assert "防災訓練のお知らせ" in body and KOHO in body and SATO in body
        assert "投稿案として扱いません" in body and "承認・差戻し" not in body
    # The person who pressed Send is asked to use their own mailbox; the mailbox's owner
    # is told what was sent under it, and whom to ask when they did not expect it.
    sato_body = to_sato.get_body(("plain",)).get_content()
    koho_body = to_koho.get_body(("plain",)).get_content()
    assert "ご自分のメールボックス" in sato_body and "お心当たり" not in sato_body
    assert "お心当たりがない場合" in koho_body and ADMIN in koho_body
    # The audit log and the admin's digest still show the refused mail.
    (event,) = [e for e in gw.store.all_events() if e["action"] == "other_ignored"]
    assert event["detail"]["on_behalf"] == {"from": KOHO, "sender": SATO}
    assert sorted(event["detail"]["told"]) == [KOHO, SATO]
    assert not any(e["action"] == "rate_deferred" for e in gw.store.all_events())


def test_the_digest_still_lists_the_refused_mail(tmp_path):
    gw, clock = make_gateway(tmp_path)
    gw.handle_raw(outlook_on_behalf())
    from gateway.businessdays import WorkCalendar

    ctx = build_digest_context(
        [], gw.store.all_events(), clock.now - timedelta(hours=1), clock.now + timedelta(hours=1),
        WorkCalendar(), [],
    )  # fmt: skip
    (entry,) = ctx["unproven"]
    assert SATO in entry["what"] and KOHO in entry["what"] and "知らせました" in entry["what"]


def test_gmail_send_mail_as_is_told_as_well(tmp_path):
    """Gmail's "send mail as" another address writes the account in Sender, quoted-printable
    UTF-8 names, multipart/alternative."""
    gw, _ = make_gateway(tmp_path)
    raw = (
        f"From: =?UTF-8?B?{base64.b64encode('広報係'.encode()).decode()}?= <{KOHO}>\r\n"
        f"Sender: {SATO}\r\nTo: {GATEWAY}\r\nSubject: =?UTF-8?B?"
        f"{base64.b64encode('お知らせ'.encode()).decode()}?=\r\n"
        "Date: Tue, 24 Nov 2026 09:00:00 +0900\r\nMessage-ID: <CAG1x=abc@mail.gmail.com>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="000000000000b"\r\n\r\n'
        "--000000000000b\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(DRAFT.encode()).decode()
        + "--000000000000b\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n"
        "<div dir=\"ltr\">12月6日に防災訓練を行います。</div>\r\n--000000000000b--\r\n"
    ).encode()
    assert gw.handle_raw(raw) == "on_behalf"
    assert gw.store.all_drafts() == [] and told(gw) == [KOHO, SATO]


# --------------------------------------------------------------------------- replies


@pytest.mark.parametrize("client", [outlook_ja, gmail_ja])
def test_an_approval_sent_on_behalf_never_counts_and_the_people_are_told(tmp_path, client):
    """A secretary (dairi) sends the reviewer's 承認 from the reviewer's mailbox: From is
    the reviewer and the token is his, but he did not send it. It never counts."""
    gw, _ = make_gateway(tmp_path)
    assert gw.handle_raw(own_draft(SATO)) == "draft"
    request = review_requests(gw)[KACHO]
    reply = client(request, KACHO, "課長 山田", "承認します。")
    on_behalf = with_sender(reply, _jis("代理 鈴木", DAIRI))
    assert gw.handle_raw(on_behalf) == "on_behalf"
    draft = gw.store.get_draft("D-000001")
    assert draft.votes_for(1) == {} and draft.state == "in_review"
    assert told(gw) == [DAIRI, KACHO]
    for to, msg in notices(gw):
        body = msg.get_body(("plain",)).get_content()
        assert "承認・差戻しとして数えません" in body
        assert "確認依頼を受け取ったご本人" in body  # the reviewer must answer himself
        assert ("お心当たり" in body) == (to == KACHO)  # the From's owner may not know of it
    # The very same reply without the Sender is the reviewer's own, and counts: the
    # Sender alone is what kept it from counting.
    assert gw.handle_raw(reply.replace(b"Message-ID: <", b"Message-ID: <again")) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KACHO}


def test_the_reviewers_own_approval_after_the_notice_still_counts(tmp_path):
    """The notice uses its own hourly window: it silences neither a clarify nor a decision."""
    gw, _ = make_gateway(tmp_path)
    gw.handle_raw(own_draft(SATO))
    request = review_requests(gw)[KAKARI]
    gw.handle_raw(with_sender(outlook_ja(request, KOHO, "広報係", "承認"), KAKARI))
    assert told(gw) == [KAKARI, KOHO]
    own = gmail_ja(request, KAKARI, "係長", "承認します")
    assert gw.handle_raw(own) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KAKARI}


# --------------------------------------------------------------------------- who is told


@pytest.mark.parametrize(
    ("mailbox", "sender", "expected"),
    [
        ("info@evil.example.com", "mallory@evil.example.com", []),  # strangers: nobody
        (KOHO, "mallory@evil.example.com", [KOHO]),  # only the staff mailbox's owner
        ("info@evil.example.com", SATO, [SATO]),  # only the member of staff who sent it
        (KACHO, "Kacho+sns@Town.Example.JP", "draft"),  # the same person: not on behalf
    ],
)
def test_only_staff_are_told(tmp_path, mailbox, sender, expected):
    gw, _ = make_gateway(tmp_path, staff={"allowed": ["*@town.example.jp"]})
    outcome = gw.handle_raw(outlook_on_behalf(mailbox, "係", sender, "名前"))
    if expected == "draft":
        assert outcome == "draft"
        return
    assert outcome == "on_behalf"
    assert gw.store.all_drafts() == [] and told(gw) == expected


@pytest.mark.parametrize(
    "extra",
    [
        "Auto-Submitted: auto-replied",
        "X-Autoreply: yes",
        "Precedence: bulk",
        f"X-Loop: {GATEWAY}",
        "X-Gateway-Status: received",
        "List-Id: <koho.town.example.jp>",
    ],
)
def test_automatic_or_looping_mail_on_behalf_is_not_answered(tmp_path, extra):
    gw, _ = make_gateway(tmp_path)
    assert gw.handle_raw(outlook_on_behalf(extra=extra)) != "on_behalf"
    assert told(gw) == [] and gw.store.all_drafts() == []


@pytest.mark.parametrize(("mailbox", "sender"), [(GATEWAY, SATO), (KOHO, GATEWAY),
                                                 ("mailer-daemon@town.example.jp", SATO)])  # fmt: skip
def test_our_own_or_a_mailer_daemons_address_on_either_side_is_not_answered(tmp_path, mailbox, sender):
    gw, _ = make_gateway(tmp_path)
    assert gw.handle_raw(outlook_on_behalf(mailbox, "係", sender, "名前")) != "on_behalf"
    assert told(gw) == []


def test_a_listed_alias_is_told_at_the_persons_address(tmp_path):
    gw, _ = make_gateway(
        tmp_path, people=[{"name": "佐藤", "addresses": [SATO, "hanako@mobile.example.jp"]}]
    )
    assert gw.handle_raw(outlook_on_behalf(KOHO, "広報係", "hanako@mobile.example.jp", "佐藤")) == "on_behalf"
    assert told(gw) == [KOHO, SATO]


def test_sender_and_from_of_one_listed_person_are_that_persons_own_draft(tmp_path):
    """Two addresses of one `[[people]]` person (a personal address sending from the
    person's section address, e.g. Gmail's "send mail as") are one person: their draft."""
    gw, _ = make_gateway(
        tmp_path, people=[{"name": "佐藤", "addresses": [SATO, "hanako@mobile.example.jp"]}]
    )
    raw = with_sender(own_draft(SATO), "佐藤 花子 <Hanako@Mobile.Example.JP>")
    assert gw.handle_raw(raw) == "draft"
    (draft,) = gw.store.all_drafts()
    assert gw.settings.people.same(draft.author, SATO)
    assert SATO not in review_requests(gw) and told(gw) == []


def test_a_reviewers_approval_with_sender_of_his_own_other_address_counts(tmp_path):
    gw, _ = make_gateway(
        tmp_path, people=[{"name": "係長", "addresses": [KAKARI, "kakari@mobile.example.jp"]}]
    )
    gw.handle_raw(own_draft(SATO))
    request = review_requests(gw)[KAKARI]
    reply = with_sender(gmail_ja(request, KAKARI, "係長", "承認します"), "kakari@mobile.example.jp")
    assert gw.handle_raw(reply) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KAKARI}


def test_sender_of_another_person_is_still_refused_with_people_listed(tmp_path):
    gw, _ = make_gateway(
        tmp_path, people=[{"name": "佐藤", "addresses": [SATO, "hanako@mobile.example.jp"]}]
    )
    gw.handle_raw(own_draft(SATO))
    request = review_requests(gw)[KAKARI]
    forged = with_sender(gmail_ja(request, KAKARI, "係長", "承認します"), "hanako@mobile.example.jp")
    assert gw.handle_raw(forged) == "on_behalf"
    assert not gw.store.get_draft("D-000001").votes_for(1)


# --------------------------------------------------------------------------- flood


def test_a_flood_of_twenty_gets_one_notice_per_address_per_hour_and_costs_no_budget(tmp_path):
    gw, clock = make_gateway(tmp_path, limits={"per_sender_per_hour": 5})
    outcomes = []
    for i in range(20):
        clock.now += timedelta(minutes=2)
        outcomes.append(gw.handle_raw(outlook_on_behalf(subject=f"お知らせ{i}")))
    assert outcomes == ["on_behalf"] * 20
    assert told(gw) == [KOHO, SATO]  # one each, not forty mails
    assert gw.store.all_drafts() == []
    events = [e for e in gw.store.all_events() if e["action"] == "other_ignored"]
    assert len(events) == 20  # every one is in the audit log (and the digest)
    # Never counted as drafts: the person's own drafts are not deferred by the flood.
    assert gw.handle_raw(own_draft(SATO, "本当の投稿案")) == "draft"
    # An hour after the first notice, the next mail on behalf is told again.
    clock.now += timedelta(minutes=25)
    assert gw.handle_raw(outlook_on_behalf(subject="また")) == "on_behalf"
    assert told(gw) == [KOHO, KOHO, SATO, SATO]


# --------------------------------------------------------------------------- template


def test_the_template_is_checked_at_start_up(tmp_path):
    own = tmp_path / "templates"
    own.mkdir()
    (own / "on-behalf.txt.j2").write_text("{{ mailbox }} {{ no_such_value }}\n", encoding="utf-8")
    problems, _ = check_templates(str(own))
    assert any("on-behalf" in p for p in problems)
    assert check_templates(None)[0] == []
