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
        (  # Postfix bounce(8): the address ten lines after "could not be delivered to"
            "This is the mail system at host m.example.jp.\n\nI'm sorry to have to inform you "
            "that your message could not\nbe delivered to one or more recipients. It's attached "
            "below.\n\nFor further assistance, please send mail to postmaster.\n\nIf you do so, "
            "please include this problem report. You can\ndelete your own text from the attached "
            "returned message.\n\n                   The mail system\n\n<kouhou@example.jp>: "
            "host mx.example.jp said: 550 5.1.1 User unknown\n",
            ("kouhou@example.jp",),
        ),
        (  # Novell GroupWise
            "The message that you sent was undeliverable to the following:\n\n"
            "\trecipient@example.net (user not found)\n",
            ("recipient@example.net",),
        ),
        (  # ezweb: the address five lines after the intro
            "次のあて先へのメッセージはエラーのため送信できませんでした。\n\n送信先メールアドレスが"
            "見つかりませんでした。\nメールアドレスをご確認の上、再送信してください。\n\nThe user(s) "
            "account is disabled.\n\n<nobody-here@ezweb.example.ne.jp>\n",
            ("nobody-here@ezweb.example.ne.jp",),
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


def test_a_flood_of_intros_is_read_no_further_than_the_cap():
    body = "could not be delivered to x\n" * 40_000 + "could not be delivered to a@example.jp\n"
    msg = message_from_string(f"From: x@example.jp\n\n{body[:100]}")
    assert failed_recipients(msg, body, len(body), OURS) == ()
