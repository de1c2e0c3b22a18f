"""Who did not receive our mail, read from the plain-text bounces flufl.bounce has no
detector for (shapes from sisimai's and flufl.bounce's real samples)."""

from __future__ import annotations

from email import message_from_string

import pytest

from gateway.bounce_recipients import failed_recipients

OURS = ("sns-check@town.example.jp",)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (  # OpenMail / Mail2000 ("X1")
            "The original message was received at Tue, 24 Nov 2026 10:12:01 +0900\n"
            "from sns-check@town.example.jp\n\n---The following addresses had delivery errors---\n\n"
            "kikaku@example.co.jp [User unknown]\n",
            ("kikaku@example.co.jp",),
        ),
        (  # Trend Micro InterScan
            "Unable to deliver message to <kouhou@example-corp.co.jp> (and other recipients).\n",
            ("kouhou@example-corp.co.jp",),
        ),
        (  # Exchange 2003
            "Your message\n\n  To:      a@example.net\n\ndid not reach the following recipient(s):\n\n"
            "kijitora@example.jp on Thu, 29 Apr 2010 00:00:00 -0000\n",
            ("kijitora@example.jp",),
        ),
        (  # Lotus Domino
            "Your message\n\n  Subject: Test\n\nwas not delivered to:\n\n  kijitora@example.jp\n",
            ("kijitora@example.jp",),
        ),
        (  # m-FILTER (Japanese)
            "以下のメールアドレスへの送信に失敗しました。\nkijitora@example.co.jp\n",
            ("kijitora@example.co.jp",),
        ),
        (  # au one net
            "Your mail sent on: Thu, 29 Apr 2013 23:45:22 +0900\n"
            "     Could not be delivered to: <kijitora@dion.example.ne.jp>\n",
            ("kijitora@dion.example.ne.jp",),
        ),
    ],
)
def test_plain_text_bounces_name_the_failed_recipient(body, expected):
    msg = message_from_string(f"From: x@example.jp\nSubject: failure\n\n{body}")
    assert failed_recipients(msg, body, len(body), OURS) == expected


def test_our_own_address_is_never_a_failed_recipient():
    body = "Delivery to the following recipient failed permanently:\n\n    sns-check@town.example.jp\n"
    msg = message_from_string(f"From: x@example.jp\n\n{body}")
    assert failed_recipients(msg, body, len(body), OURS) == ()
