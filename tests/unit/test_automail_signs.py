"""The signs `automail.recognise` weighs, class by class, as real systems write them and as
staff write the same words (tests/data/automail holds whole messages of each)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.automail import recognise
from gateway.model import Kind

STAFF = "sato@town.example.jp"


def verdict(subject: str, body: str = "", sender: str = STAFF, headers=None):
    headers = [("From", sender), *(headers or [])]
    return recognise(headers, sender, subject, body, [], None)


# Outlook and Exchange in their UI languages, Lotus Notes, Sieve vacation (RFC 5230 4.3),
# AOL, webmail auto-responders: the label they put on the subject they answer.
AUTO_REPLY_SUBJECTS = [
    "自動応答: [確認依頼] 防災訓練のお知らせ",
    "自動返信：Re: 防災訓練",
    "Automatic reply: [Review] Disaster drill",
    "Out of Office AutoReply: Disaster drill",
    "Out of Office: I like turtles",
    "AUTO: Taro Yamada is out of the office (returning 2026/12/01)",
    "Auto: No subject of discussion",
    "Re:   Rose Bouquet Special (Automatic Response)",
    "[Automatyczna odpowiedź] test",
    "Automatische Antwort: Partnerstadt",
    "Abwesenheitsnotiz: Partnerstadt",
    "Réponse automatique : visite",
    "Respuesta automática: visita",
    "Risposta automatica: visita",
    "Resposta automática: visita",
    "Automatisch antwoord: bezoek",
    "Autosvar: besök",
    "Автоответ: визит",
    "自动回复: 访问",
    "自動回覆: 訪問",
    "자동 회신: 방문",
    "【自動返信】防災訓練のお知らせ",
    "Re: 防災訓練のお知らせ【自動返信】",
    "Auto reply",
    "Autoreply",
]


@pytest.mark.parametrize("subject", AUTO_REPLY_SUBJECTS)
def test_an_auto_responders_label_alone_decides(subject):
    assert verdict(subject, "Thank you for your message.").kind == Kind.AUTO_REPLY


# What staff really title drafts and commands: each carries one weak sign at most.
PERSON_SUBJECTS = [
    ("不在", "年末年始は窓口の担当者が不在となります。"),
    ("休暇中", "窓口のお知らせです。"),
    ("自動返信", "お問い合わせフォームに自動返信メールを付けました。"),
    ("自動応答電話サービスを始めます", "24時間、ごみの日をお知らせします。"),
    ("不在者投票のご案内", "期日前に投票できます。"),
    ("メールエラー通知が届いたときは", "迷惑メールの設定をご確認ください。"),
    ("Out of office hours service", "夜間の窓口のお知らせです。"),
    ("RE: 休暇中の窓口について", "直した案です。"),
    ("配信停止のお知らせ", "メールマガジンの配信を停止します。"),
]


@pytest.mark.parametrize(("subject", "body"), PERSON_SUBJECTS)
def test_staff_subjects_with_the_same_words_stay_a_persons(subject, body):
    assert verdict(subject, body).kind is None


def test_an_absence_subject_needs_a_second_sign():
    assert verdict("不在", "12月1日まで不在にしております。").kind == Kind.AUTO_REPLY
    assert verdict("不在のお知らせ", "戻り次第ご連絡いたします。").kind == Kind.AUTO_REPLY


def test_an_absence_command_is_a_persons_whatever_its_subject():
    body = "お疲れ様です。\n不在 12/24-12/27 代理 dairi@town.example.jp\n"
    assert verdict("不在", body).kind is None
    assert verdict("不在のお知らせ", body + "不在にしております").kind is None


def test_a_draft_opening_with_its_account_line_is_a_persons():
    body = "アカウント: 辰野町公式X\n\n12月1日まで不在にしております。戻り次第ご連絡いたします。"
    assert verdict("休暇中", body).kind is None
    # the same words without the draft's opening: an auto-reply
    assert verdict("休暇中", body.split("\n\n", 1)[1]).kind == Kind.AUTO_REPLY


@pytest.mark.parametrize("prefix", ["FW: ", "Fwd: ", "転送: ", "WG: ", "TR: "])
def test_a_persons_forward_of_a_bounce_is_a_persons(prefix):
    body = (
        "下のメールが届かなかったようです。\n\n-----Original Message-----\n"
        "From: Mail Delivery System\nDelivery to the following recipient failed permanently:\n"
        "    kakaricho@town.example.jp\n550 5.1.1 User unknown\n"
    )
    assert verdict(prefix + "Undeliverable: 防災訓練のお知らせ", body).kind is None
    # the bounce itself
    assert verdict("Undeliverable: 防災訓練のお知らせ", body).kind == Kind.BOUNCE


def test_header_signs_decide_even_for_a_forward():
    """A forward never carries the null reverse-path; a mail that does is a machine's."""
    v = verdict("FW: test", "本文", headers=[("Return-Path", "<>")])
    assert v.kind == Kind.AUTO_REPLY


def test_auto_submitted_no_is_a_persons():
    v = verdict("RE: 休暇中の窓口について", "直しました。", headers=[("Auto-Submitted", "no")])
    assert v.kind is None


@pytest.mark.parametrize(
    "from_value",
    ['"Mail Deliver System" <MAILER-DAEMON>', "MAILER-DAEMON", "<postmaster>"],
)
def test_a_mailer_daemon_without_a_domain(from_value):
    v = recognise([("From", from_value)], "", "Returned Mail: User unknown", "", [], None)
    assert v.kind == Kind.BOUNCE


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example.jp", "postmaster@ezweb.ne.jp", "MDaemon@mail.example.jp"]
)
def test_daemon_senders(sender):
    assert verdict("Mail", "", sender=sender).kind == Kind.BOUNCE


def test_a_mail_system_display_name_is_weak():
    sender = "info@example-isp.ne.jp"
    named = [("From", f'"Mail Delivery System" <{sender}>')]
    assert recognise(named, sender, "ご案内", "ご確認ください。", [], None).kind is None
    v = recognise(named, sender, "Returned mail", "ご確認ください。", [], None)
    assert v.kind == Kind.BOUNCE


@pytest.mark.parametrize(
    "body",
    [
        "This account is protected by Bluebottle. Please click on the following link to have "
        "your address added to the recipient's allowed list.",
        "To control spam, I now allow incoming messages only from senders I have approved "
        "beforehand. If you would like to be added to my list of approved senders, ...",
        "Please verify that you are a human by clicking the link below.",
    ],
)
def test_challenge_response_systems(body):
    assert verdict("Re: 防災訓練", body, sender="suzuki@example-isp.ne.jp").kind == Kind.AUTO_REPLY


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Mail could not be delivered", "Unable to deliver message to <a@example.be>. 550 5.1.1 unknown user."),
        ("Undeliverable: 防災訓練", "Delivery has failed to these recipients or groups: a@example.jp"),
        ("Unzustellbar: Besuch", "Die Nachricht konnte nicht zugestellt werden. 5.1.1"),
        ("Non remis : visite", "550 5.1.1 user unknown"),
        ("配信不能: 防災訓練", "宛先のメールアドレスが見つかりませんでした。5.1.10"),
        ("Warning: a@example.jp - User unknown!", "a@example.jp - no such user here."),
    ],
)
def test_bounce_subjects_with_failure_wording(subject, body):
    assert verdict(subject, body, sender="imss@gw.example.be").kind == Kind.BOUNCE


def test_label_like_floods_are_no_sign():
    """A megabyte of label-like words without a label's shape is no sign (bench/
    bench_automail.py times such input)."""
    body = ("不在 " * 200_000) + "\n" + ("following addresses had " * 10_000)
    assert verdict("自動応答" * 250_000, body).kind is None
    assert verdict("Re: " * 100_000, "x" * 1_000_000).kind is None


@pytest.mark.parametrize(
    "body",
    [
        "いつもお世話になっております。\nこちらは自動返信メールです。\n8月17日以降にご返信します。",
        "お問い合わせありがとうございます。\n※本メールは自動送信です。",
        "Thank you for your message.\nThis is an automatic reply.",
        "Thank you for your email.\nI will be out of the office from 24 to 30 November.",
        "Hello,\nI am currently on annual leave until 1 December.",
    ],
)
def test_a_marker_after_a_greeting_line(body):
    assert verdict("Re: ほたる祭り", body, sender="info@kanko.example.jp").kind is not None


def test_a_marker_deep_in_a_persons_text_is_not_a_marker():
    body = "不審なメールにご注意ください。\n件名は普通です。\n本文は長いです。\n【自動送信】と書かれています。"
    assert verdict("不審なメール", body).kind is None


@pytest.mark.parametrize(
    "subject",
    [
        "DMARC Aggregate Report for town.example.jp",
        "Report domain: town.example.jp Submitter: google.com Report-ID: <123>",
        "Yandex DMARC report for town.example.jp",
    ],
)
def test_dmarc_report_subjects(subject):
    v = verdict(subject, "", sender="noreply-dmarc@example.com")
    assert v.kind == Kind.OTHER


def test_a_plain_text_abuse_complaint_needs_its_sender_too():
    assert verdict("[SpamCop (http://x/) id:1]防災", "", sender="spamcop@example.net").kind
    assert verdict("Spam complaint の書き方", "迷惑メールの申告方法です。").kind is None


def test_delivery_failure_in_prose_alone_is_a_towns_post():
    """「メール不達のお知らせ」 over 「…届きませんでした。宛先不明…」 is a post about the town's
    own mail service; the same words from a no-reply sender are a carrier's notice."""
    subject, body = "メール不達のお知らせ", "防災メールが一部の方に届きませんでした。宛先不明のアドレスです。"
    assert verdict(subject, body).kind is None
    assert verdict(subject, body, sender="no-reply@carrier.example.ne.jp").kind == Kind.BOUNCE
    assert verdict("Mail", body, sender="no-reply@carrier.example.ne.jp").kind == Kind.BOUNCE


def test_send_only_words_alone_are_a_towns_post():
    body = "配信されるメールは送信専用です。このメールは送信専用のアドレスから届きます。"
    assert verdict("メール配信サービス", body).kind is None
    assert verdict("ご登録ありがとうございます", body, sender="noreply@example.jp").kind


DRAFTS = Path(__file__).parent.parent / "data" / "drafts"


def test_no_draft_of_the_draft_corpus_is_taken_for_automatic():
    """Every draft staff wrote for the checker's corpus (tests/data/drafts), with and
    without its `アカウント:` lines, under its first line or its file name as subject."""
    drafts = sorted(DRAFTS.rglob("*.txt"))
    assert len(drafts) > 100
    for path in drafts:
        text = path.read_text("utf-8")
        bare = "\n".join(
            line for line in text.splitlines() if not line.startswith(("アカウント", "投稿予定"))
        )
        first = next((line for line in text.splitlines() if line.strip()), "")[:40]
        for subject in (first, path.stem):
            for body in (text, bare):
                assert verdict(subject, body).kind is None, (path.name, subject)


def test_a_dmarc_report_without_report_type_is_no_bounce():
    """Exim sends DMARC failure reports as multipart/report without report-type (parsedmarc's
    sample): a report, not a bounce naming a failed recipient."""
    v = recognise([], "no-reply@mailgate.example.net", "DMARC Forensic Report for example.com from IP 203.0.113.68", "", [], "")
    assert v.kind == Kind.OTHER
    assert recognise([], "", "Returned mail", "", [], "").kind == Kind.BOUNCE


def test_a_reviewer_saying_in_japanese_that_they_are_away_is_a_person():
    """A reviewer's own reply 「出張のため不在にしております…」 is a person's mail (the
    gateway asks again); only an auto-responder's label or marker makes it automatic."""
    body = "出張のため不在にしております。戻り次第確認します。"
    assert verdict("Re: [確認依頼] 防災訓練のお知らせ", body).kind is None
