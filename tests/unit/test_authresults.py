"""Authentication-Results as Microsoft 365, Google Workspace and Postfix + OpenDKIM write them."""

from __future__ import annotations

import pytest

from gateway.authresults import NO_AUTHSERV_ID, aligned, authserv_id, verdict

FROM = "kacho@town.example.jp"

M365_PASS = (
    "spf=pass (sender IP is 40.107.74.51) smtp.mailfrom=town.example.jp; dkim=pass (signature was "
    "verified) header.d=town.example.jp;dmarc=pass action=none header.from=town.example.jp;"
    "compauth=pass reason=100"
)
M365_FAIL = (
    "spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=town.example.jp; dkim=none (message not "
    "signed) header.d=none;dmarc=fail action=quarantine header.from=town.example.jp;compauth=fail "
    "reason=000"
)
GOOGLE_PASS = (
    "mx.google.com;\r\n       dkim=pass header.i=@town.example.jp header.s=google header.b=Qm9vQ2Fm;\r\n"
    "       spf=pass (google.com: domain of kacho@town.example.jp designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=kacho@town.example.jp;\r\n       dmarc=pass (p=NONE sp=NONE "
    "dis=NONE) header.from=town.example.jp"
)
GOOGLE_SPF_OTHER_DOMAIN = (
    "mx.google.com; spf=pass (google.com: domain of bounce@mailer.example.net designates 198.51.100.7 "
    "as permitted sender) smtp.mailfrom=bounce@mailer.example.net"
)
OPENDKIM_PASS = (
    "mail.town.example.jp; dkim=pass (2048-bit key; unprotected) header.d=town.example.jp "
    "header.i=@town.example.jp header.a=rsa-sha256 header.s=default header.b=XyZ12345"
)
OPENDKIM_FAIL = (
    'mail.town.example.jp; dkim=fail reason="signature verification failed" (2048-bit key) '
    "header.d=town.example.jp header.i=@town.example.jp header.b=XyZ12345"
)
FORGED_BY_SENDER = "mail.town.example.jp; dkim=pass header.d=town.example.jp"


def test_authserv_ids():
    assert authserv_id(GOOGLE_PASS) == "mx.google.com"
    assert authserv_id(OPENDKIM_PASS) == "mail.town.example.jp"
    assert authserv_id(M365_PASS) == NO_AUTHSERV_ID


@pytest.mark.parametrize(
    ("headers", "trusted", "passed"),
    [
        ([M365_PASS], ["-"], True),
        ([M365_FAIL], ["-"], False),
        ([GOOGLE_PASS], ["mx.google.com"], True),
        ([GOOGLE_SPF_OTHER_DOMAIN], ["mx.google.com"], False),
        ([OPENDKIM_PASS], ["mail.town.example.jp"], True),
        ([OPENDKIM_FAIL], ["mail.town.example.jp"], False),
        # A pass from a server the office does not run is not trusted.
        ([GOOGLE_PASS], ["mail.town.example.jp"], False),
        # Only the topmost trusted header counts: a forged pass below the real fail loses.
        ([OPENDKIM_FAIL, FORGED_BY_SENDER], ["mail.town.example.jp"], False),
        ([], ["mail.town.example.jp"], False),
    ],
)
def test_verdicts(headers, trusted, passed):
    assert verdict(headers, FROM, trusted).passed is passed


def test_a_pass_for_another_domain_does_not_vouch_for_from():
    header = "mx.google.com; dkim=pass header.d=evil.example; dmarc=pass header.from=evil.example"
    result = verdict([header], FROM, ["mx.google.com"])
    assert not result.passed and "dkim=pass" in result.reason


def test_comments_cannot_smuggle_a_result():
    header = "mail.town.example.jp; dkim=fail (dkim=pass header.d=town.example.jp) header.d=town.example.jp"
    assert not verdict([header], FROM, ["mail.town.example.jp"]).passed


def test_alignment():
    assert aligned("town.example.jp", "town.example.jp")
    assert aligned("Town.Example.jp.", "town.example.jp")
    assert not aligned("mail.town.example.jp", "town.example.jp")
    assert not aligned("example.jp", "evil-example.jp")
    assert not aligned("", "town.example.jp")
