"""The automatic-mail corpus (tests/data/automail, see its README): none of it is answered,
and a person's mail of the same shapes still is."""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from offline import offline_gateway

from gateway.automail import recognise
from gateway.demo import compose_draft
from gateway.digest import build_digest_context
from gateway.mime import read_message
from gateway.model import Kind

DATA = Path(__file__).parent.parent / "data" / "automail"
#: Our own samples (automatic/, person/) and real ones from bounce parsers' test data
#: (real/, attributed in the README): the same test holds for both.
AUTOMATIC = sorted((DATA / "automatic").glob("*.eml")) + sorted((DATA / "real" / "automatic").glob("*.eml"))
PERSON = sorted((DATA / "person").glob("*.eml")) + sorted((DATA / "real" / "person").glob("*.eml"))
GATEWAY = "sns-check@town.example.jp"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

#: The recipient each bounce in the corpus says did not receive our mail.
BOUNCED = {
    "dsn_postfix_3464.eml": ("kakaricyo@town.example.jp",),
    "ndr_microsoft365.eml": ("tanaka@example.co.jp",),
    "bounce_null_return_path_not_daemon.eml": ("suzuki@example-isp.ne.jp",),
    "carrier_error_notice.eml": ("yamada-t@carrier.example.ne.jp",),
    "carrier_mail_subject_only.eml": ("hanako.k@mobile.example.ne.jp",),
    "ses_bounce_via_sns_email_json.eml": ("takahashi@example.org",),
    "ses_bounce_sns_email.eml": ("takahashi@example.org",),
    "exim_bounce_x_failed_recipients.eml": ("ito@example-host.jp",),
    "bounce_bare_mailer_daemon_no_domain.eml": ("kikaku@example.co.jp",),
    "bounce_interscan_plain_sender.eml": ("kouhou@example-corp.co.jp",),
    "sisimai-jp-kddi-01.eml": ("kijitora@x0000000000000.dion.ne.jp",),
    "sisimai-email-ezweb-06.eml": ("foobarbaz@ezweb.ne.jp",),
}
#: A person's own command mail: answered by its own handler, not as a draft.
COMMANDS = {"person_absence_command_fuzai_subject.eml": "absence_request"}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def gateway_answering(tmp_path: Path, sender: str):
    """A gateway that would answer `sender` (on the staff list) if it took the mail for a
    person's draft."""
    clock = Clock()
    staff = {"allowed": ["*@town.example.jp", sender]}
    return offline_gateway(tmp_path, clock, staff=staff), clock


def test_the_corpus_covers_every_class():
    names = " ".join(p.name for p in AUTOMATIC)
    for cls in ("dsn", "ndr", "null_return_path", "carrier", "arf", "dmarc", "ses", "list_",
                "autoreply_headerless", "read_receipt"):  # fmt: skip
        assert cls in names
    assert len(PERSON) >= 8


@pytest.mark.parametrize("path", AUTOMATIC, ids=lambda p: p.stem)
def test_automatic_mail_is_recognised_and_never_answered(path, tmp_path):
    raw = path.read_bytes()
    inc = read_message(raw, [GATEWAY])
    assert inc.kind in (Kind.AUTO_REPLY, Kind.BOUNCE, Kind.OTHER), inc.problems
    if path.name in BOUNCED:
        assert inc.kind == Kind.BOUNCE
        assert inc.bounced == BOUNCED[path.name]
    if not inc.from_addr:
        return
    gw, _ = gateway_answering(tmp_path, inc.from_addr)
    outcome = gw.handle_raw(raw)
    assert outcome in ("auto_reply_ignored", "bounce_received", "other_ignored")
    assert gw.store.outbox.all() == []


@pytest.mark.parametrize("path", PERSON, ids=lambda p: p.stem)
def test_a_persons_mail_of_the_same_shapes_is_answered(path, tmp_path):
    raw = path.read_bytes()
    inc = read_message(raw, [GATEWAY])
    assert inc.kind == Kind.DRAFT, inc.problems
    gw, _ = gateway_answering(tmp_path, inc.from_addr)
    outcome = gw.handle_raw(raw)
    assert outcome == COMMANDS.get(path.name, "draft")
    answered = [e for e in gw.store.outbox.all() if inc.from_addr in str(e)]
    assert answered, "the sender hears nothing"


def test_one_weak_sign_is_not_enough_two_are():
    headers = [("From", "sato@town.example.jp")]
    person = recognise(headers, "sato@town.example.jp", "休暇中", "窓口のお知らせです。", [], None)
    assert person.kind is None
    auto = recognise(
        headers, "sato@town.example.jp", "休暇中", "12月1日まで不在にしております。", [], None
    )
    assert auto.kind == Kind.AUTO_REPLY
    bounce = recognise(
        headers, "no-reply@carrier.example.ne.jp", "Mail", "宛先不明のため届きませんでした。", [], None
    )
    assert bounce.kind == Kind.BOUNCE


def test_a_bounce_puts_the_failed_recipient_in_the_digest(tmp_path):
    raw = (DATA / "automatic" / "carrier_error_notice.eml").read_bytes()
    gw, _ = gateway_answering(tmp_path, "no-reply@carrier.example.ne.jp")
    assert gw.handle_raw(raw) == "bounce_received"
    context = build_digest_context(
        gw.store.all_drafts(), gw.store.all_events(), T0 - timedelta(days=1),
        T0 + timedelta(hours=1), gw.policy.calendar,
    )  # fmt: skip
    assert [u["to"] for u in context["undelivered"]] == ["yamada-t@carrier.example.ne.jp"]


def test_a_headerless_auto_responder_does_not_loop(tmp_path):
    gw, clock = gateway_answering(tmp_path, "sato@town.example.jp")
    assert gw.handle_raw(compose_draft("sato@town.example.jp", "防災訓練", "アカウント: 辰野町公式X\n\n12月6日に防災訓練を行います。\n")) == "draft"
    before = len(gw.store.outbox.all())
    responder = (DATA / "automatic" / "autoreply_headerless_fuzai.eml").read_bytes()
    for round_ in range(5):  # the responder answers every mail it gets, each time anew
        clock.now += timedelta(minutes=1)
        again = responder.replace(b"<fuzai.", f"<fuzai{round_}.".encode())
        assert gw.handle_raw(again) == "auto_reply_ignored"
    assert len(gw.store.outbox.all()) == before


def test_bom_at_the_start_keeps_the_headers():
    raw = compose_draft("sato@town.example.jp", "防災訓練", "アカウント: 辰野町公式X\n\n本文です。\n")
    inc = read_message(b"\xef\xbb\xbf" + raw, [GATEWAY])
    assert inc.from_addr == "sato@town.example.jp"
    assert inc.subject == "防災訓練"
    assert inc.kind == Kind.DRAFT


def _with_from(value: str) -> bytes:
    return (
        f"From: {value}\r\nTo: {GATEWAY}\r\nSubject: test\r\nMessage-ID: <ew@town.example.jp>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n本文\r\n"
    ).encode()


def test_a_from_written_as_one_encoded_word_yields_its_address():
    import base64

    def word(text: str, charset: str = "ISO-2022-JP") -> str:
        codec = "iso2022_jp" if charset == "ISO-2022-JP" else "utf-8"
        return f"=?{charset}?B?{base64.b64encode(text.encode(codec)).decode()}?="

    inc = read_message(_with_from(word("佐藤 <sato@town.example.jp>")), [GATEWAY])
    assert inc.from_addr == "sato@town.example.jp"
    assert inc.from_name == "佐藤"
    # two addresses, or a display name naming another address: no address at all
    for hostile in ("佐藤 <sato@town.example.jp>, mallory@evil.example", "sato@town.example.jp <mallory@evil.example>"):
        inc = read_message(_with_from(word(hostile, "UTF-8")), [GATEWAY])
        assert inc.from_addr == "", hostile
        assert inc.kind == Kind.OTHER


def test_the_deferred_notice_and_digest_render(tmp_path):
    from gateway.template_check import check_templates

    problems, _ = check_templates()
    assert problems == []
    msg = message_from_bytes((DATA / "automatic" / "dsn_postfix_3464.eml").read_bytes(), policy=policy.default)
    assert msg.get_content_type() == "multipart/report"
