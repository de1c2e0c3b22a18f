"""A mail the gateway could not handle: who is told, and that no answer can start a loop."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from offline import GATEWAY, offline_settings

from gateway.demo import compose_draft
from gateway.failures import failure_mails

ADMIN = "somu@town.example.jp"
AUTHOR = "sato@town.example.jp"
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
ERROR = RuntimeError("a rule broke")


def _mails(tmp_path, raw: bytes, *, admin: str | None = ADMIN) -> dict[str, str]:
    tables = {"admin": {"address": admin}} if admin else {}
    settings = offline_settings(tmp_path, **tables)
    return {to: msg.get_content() for to, msg in failure_mails(raw, ERROR, settings, GATEWAY, NOW)}


def _draft(sender: str = AUTHOR, **headers: str) -> bytes:
    raw = compose_draft(sender, "防災訓練のお知らせ", "アカウント: 辰野町公式X\n\n訓練をします。\n")
    msg = message_from_bytes(raw, policy=policy.default)
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    return msg.as_bytes()


def test_the_author_gets_an_apology_and_the_admin_the_particulars(tmp_path) -> None:
    raw = _draft()
    settings = offline_settings(tmp_path, admin={"address": ADMIN})
    mails = dict(failure_mails(raw, ERROR, settings, GATEWAY, NOW))
    apology, alert = mails[AUTHOR], mails[ADMIN]
    original_id = message_from_bytes(raw, policy=policy.default)["Message-ID"]
    assert str(apology["Subject"]) == "[処理できませんでした] 防災訓練のお知らせ"
    assert apology["In-Reply-To"] == original_id
    assert apology["Auto-Submitted"] == "auto-generated" and apology["X-Loop"] == GATEWAY
    assert apology["X-Mailer"] == alert["X-Mailer"] and apology["X-Mailer"].startswith("town-")
    assert "不具合" in apology.get_content() and ADMIN in apology.get_content()
    text = alert.get_content()
    assert "RuntimeError: a rule broke" in text and original_id in text
    assert "差出人には不具合をお知らせしました" in text


@pytest.mark.parametrize(
    "raw",
    [
        _draft("someone@outside.example.com"),  # not staff: no backscatter to strangers
        _draft(Auto_Submitted="auto-replied"),  # an out-of-office reply
        _draft(X_Loop=GATEWAY),  # our own mail coming back
        _draft("MAILER-DAEMON@town.example.jp"),  # a bounce
        _draft(GATEWAY),  # from ourselves
        _draft(Precedence="bulk"),
    ],
    ids=["stranger", "auto-reply", "x-loop", "bounce", "ourselves", "bulk"],
)
def test_automatic_or_foreign_mail_is_never_answered_only_reported(tmp_path, raw: bytes) -> None:
    mails = _mails(tmp_path, raw)
    assert list(mails) == [ADMIN]
    assert "差出人には" not in mails[ADMIN]


def test_an_unreadable_mail_is_reported_to_the_admin(tmp_path) -> None:
    mails = _mails(tmp_path, b"\xff\xfe\x00 not a mail at all \x00" * 10)
    assert list(mails) == [ADMIN]


def test_without_an_admin_address_only_the_author_hears(tmp_path) -> None:
    mails = _mails(tmp_path, _draft(), admin=None)
    assert list(mails) == [AUTHOR]
    assert "システムの記録に残しました" in mails[AUTHOR]


@pytest.mark.parametrize(
    "from_header",
    [
        "sato@town.example.jp <mallory@evil.example.com>",
        "mallory%evil.example.com@town.example.jp",
        '"sato@town.example.jp" <mallory@evil.example.com>',
    ],
)
def test_a_two_faced_or_odd_from_gets_no_apology(tmp_path, from_header: str) -> None:
    raw = f"From: {from_header}\r\nTo: {GATEWAY}\r\nSubject: x\r\nMessage-ID: <f@x>\r\n\r\nbody".encode()
    assert list(_mails(tmp_path, raw)) == [ADMIN]


def test_the_apology_goes_to_the_canonical_address(tmp_path) -> None:
    raw = _draft("Sato+SNS@Town.Example.JP")
    assert set(_mails(tmp_path, raw)) == {AUTHOR, ADMIN}
