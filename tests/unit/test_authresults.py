"""Authentication-Results as Microsoft 365, Google Workspace and Postfix + OpenDKIM write them."""

from __future__ import annotations

import pytest

from gateway.authresults import NO_AUTHSERV_ID, aligned, authserv_id, results, verdict

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
    assert not result.passed and "evil.example" in result.reason


def test_comments_cannot_smuggle_a_result():
    header = "mail.town.example.jp; dkim=fail (dkim=pass header.d=town.example.jp) header.d=town.example.jp"
    assert not verdict([header], FROM, ["mail.town.example.jp"]).passed


def test_alignment():
    assert aligned("town.example.jp", "town.example.jp")
    assert aligned("Town.Example.jp.", "town.example.jp")
    assert not aligned("mail.town.example.jp", "town.example.jp")
    assert not aligned("example.jp", "evil-example.jp")
    assert not aligned("", "town.example.jp")


# --------------------------------------------------------------------------- issue 10, point 7

GOOGLE_ARC = (
    "mx.google.com;\r\n       dkim=pass header.i=@town.example.jp header.s=20230601 header.b=AbC+dEf/;\r\n"
    "       arc=pass (i=1 spf=pass spfdomain=town.example.jp dkim=pass dkdomain=town.example.jp "
    "dmarc=pass fromdomain=town.example.jp);\r\n       spf=pass (google.com: domain of "
    "kacho@town.example.jp designates 2a01:111:f403:2011::700 as permitted sender) "
    "smtp.mailfrom=kacho@town.example.jp;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) "
    "header.from=town.example.jp"
)
M365_BESTGUESS_DKIM = (
    "spf=softfail (sender IP is 198.51.100.1) smtp.mailfrom=town.example.jp; dkim=pass (signature "
    "was verified) header.d=town.example.jp;dmarc=bestguesspass action=none "
    "header.from=town.example.jp;compauth=pass reason=109"
)
OPENDMARC_PASS = "mail.town.example.jp; dmarc=pass (p=none dis=none) header.from=town.example.jp"
POLICYD_SPF_PASS = (
    "mail.town.example.jp; spf=pass (sender SPF authorized) smtp.mailfrom=town.example.jp "
    "(client-ip=192.0.2.1; helo=mail.town.example.jp; envelope-from=kacho@town.example.jp; "
    "receiver=<UNKNOWN>)"
)
SMUGGLED = (
    'mail.town.example.jp; spf=none smtp.mailfrom="a;dmarc=pass"@evil.example; '
    "dmarc=fail header.from=town.example.jp"
)


@pytest.mark.parametrize(
    ("header", "trusted", "passed"),
    [
        # the example: a quoted ; must not start a new result
        (SMUGGLED, "mail.town.example.jp", False),
        ('mail.town.example.jp; spf=none smtp.mailfrom="x;dmarc=pass header.from=town.example.jp"@evil.example', "mail.town.example.jp", False),
        # dmarc=pass with no header.from says nothing about this From
        ("mail.town.example.jp; dmarc=pass", "mail.town.example.jp", False),
        ("mail.town.example.jp; dmarc=pass header.from=evil.example", "mail.town.example.jp", False),
        # the server's DMARC failure wins over a lone DKIM pass; so does another From domain
        ("mail.town.example.jp; dkim=pass header.d=town.example.jp; dmarc=fail header.from=town.example.jp", "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=town.example.jp; dmarc=pass header.from=evil.example", "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=town.example.jp; dmarc=temperror header.from=town.example.jp", "mail.town.example.jp", False),
        # SPF for another domain, a DKIM signature of a sub- or look-alike domain
        ("mail.town.example.jp; spf=pass smtp.mailfrom=kacho@evil.example", "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=mail.town.example.jp", "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=tоwn.example.jp", "mail.town.example.jp", False),
        # comments and quoted strings hold no results
        ('mail.town.example.jp; dkim=fail reason="dkim=pass header.d=town.example.jp" header.d=town.example.jp', "mail.town.example.jp", False),
        ("mail.town.example.jp; none", "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=" + "x" * 4000, "mail.town.example.jp", False),
        ("mail.town.example.jp; dkim=pass header.d=town.example.jp (" , "mail.town.example.jp", False),
        # real shapes that do vouch for the From
        (GOOGLE_ARC, "mx.google.com", True),
        (M365_BESTGUESS_DKIM, "-", True),
        (OPENDMARC_PASS, "mail.town.example.jp", True),
        (POLICYD_SPF_PASS, "mail.town.example.jp", True),
        ("mail.town.example.jp 1; dkim=pass header.d=Town.Example.JP", "mail.town.example.jp", True),
        ("mail.town.example.jp; dkim=pass header.i=kacho@town.example.jp", "mail.town.example.jp", True),
    ],
)
def test_results_cannot_be_smuggled(header, trusted, passed):
    assert verdict([header], FROM, [trusted]).passed is passed


def test_every_shape_is_read_by_authres_as_the_server_wrote_it():
    """authres reads each shape into the results the server meant (not just a verdict)."""
    assert results(M365_PASS) == [
        ("spf", "pass", {"smtp.mailfrom": "town.example.jp"}),
        ("dkim", "pass", {"header.d": "town.example.jp"}),
        ("dmarc", "pass", {"header.from": "town.example.jp"}),
        ("compauth", "pass", {}),
    ]
    assert [(m, r) for m, r, _ in results(GOOGLE_ARC)] == [
        ("dkim", "pass"), ("arc", "pass"), ("spf", "pass"), ("dmarc", "pass")
    ]
    assert results(OPENDKIM_FAIL)[0][2]["header.d"] == "town.example.jp"
    assert results(SMUGGLED) == [
        ("spf", "none", {"smtp.mailfrom": '"a;dmarc=pass"@evil.example'}),
        ("dmarc", "fail", {"header.from": "town.example.jp"}),
    ]
    assert results("garbage") == []


def test_a_from_of_another_domain_is_not_vouched_for_by_the_towns_pass():
    assert not verdict([OPENDKIM_PASS], "mallory@evil.example", ["mail.town.example.jp"]).passed
    assert not verdict([OPENDKIM_PASS], "", ["mail.town.example.jp"]).passed
