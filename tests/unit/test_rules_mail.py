"""Issue 11 through the real pipeline (real MIME, store, templates), no network: absences set
by mail and their confirmation (forged ones never take effect), the strict command
recogniser, 状況 / 取り下げ / 再送 by mail, the admin's queued commands, config."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from clients import gmail_ja, iphone_ja, outlook_ja
from offline import offline_gateway, offline_settings

from gateway.admin_commands import queue_admin_command
from gateway.commands import Command, read_absence, read_command
from gateway.config_reader import ConfigError
from gateway.demo import compose_draft, compose_reply

JST_NOW = datetime(2026, 12, 18, 9, 0).astimezone()
AUTHOR, KACHO, KAKARI, DAIRI = (
    "sato@town.example.jp",
    "kacho@town.example.jp",
    "kakaricho@town.example.jp",
    "dairi@town.example.jp",
)
DRAFT = "アカウント: 辰野町公式X\n\n12月26日（土）午前9時から防災訓練を行います。\n"


class Clock:
    def __init__(self) -> None:
        from gateway.businessdays import JST

        self.now = datetime(2026, 12, 18, 9, 0, tzinfo=JST)

    def __call__(self) -> datetime:
        return self.now


def make(tmp_path, **tables):
    clock = Clock()
    return offline_gateway(tmp_path, clock, **tables), clock


def sent(gw, status=None, to=None) -> list[bytes]:
    out = []
    for entry in gw.store.outbox.all():
        if status and entry["mail_status"] != status:
            continue
        if to and to not in entry["recipients"]:
            continue
        out.append(gw.spool.get_mail(entry["path"]))
    return out


def body(raw: bytes) -> str:
    return message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content()


def actions(gw) -> list[str]:
    return [e["action"] for e in gw.store.all_events()]


# --------------------------------------------------------------------------- the recogniser


@pytest.mark.parametrize(
    "words,command",
    [
        ("状況", Command.STATUS),
        ("状況を教えてください。", Command.STATUS),
        ("お疲れ様です。\n状況を教えてください。\nよろしくお願いします。", Command.STATUS),
        ("取り下げ", Command.WITHDRAW),
        ("取り下げをお願いします", Command.WITHDRAW),
        ("取り下げます。", Command.WITHDRAW),
        ("再送", Command.RESEND),
        ("再送してください", Command.RESEND),
        ("はい", Command.CONFIRM),
        ("ＨＡＩ", None),
        ("状況は分かりました。承認します。", None),  # more than the command: never one
        ("取り下げないでください", None),
        ("取り下げるかどうか検討中です", None),
        ("再送は不要です", None),
        ("", None),
        ("状況" * 300, None),
        # As staff write them: 下さい in kanji, an apology first, a humble form, a question.
        ("取り下げて下さい", Command.WITHDRAW),
        ("申し訳ありません。取り下げます。", Command.WITHDRAW),
        ("すみません、取り下げさせてください。", Command.WITHDRAW),
        ("取り下げさせていただきます", Command.WITHDRAW),
        ("状況を教えて下さい", Command.STATUS),
        ("今の状況を教えていただけますか", Command.STATUS),
        ("再送して下さい", Command.RESEND),
        ("恐れ入りますが、再送をお願いできますでしょうか。", Command.RESEND),
        ("再送いただけますか", Command.RESEND),
        ("取り下げさせないでください", None),
        # Other words staff use for the same three things.
        ("確認状況を教えてください", Command.STATUS),
        ("承認状況はどうなっていますか", Command.STATUS),
        ("今どうなっていますか？", Command.STATUS),
        ("取り消します", Command.WITHDRAW),
        ("取消しをお願いします", Command.WITHDRAW),
        ("キャンセルしてください", Command.WITHDRAW),
        ("投稿を取りやめます", Command.WITHDRAW),
        ("依頼のメールが届いていません", Command.RESEND),
        ("もう一度お送りください", Command.RESEND),
        ("再送付をお願いします", Command.RESEND),
        ("取り消しません", None),
        ("キャンセルはしません", None),
    ],
)
def test_commands_are_only_the_whole_own_words(words, command):
    assert read_command(words) == command


@pytest.mark.parametrize(
    "words,name,command",
    [
        ("取り下げます\n\n佐藤", "佐藤 花子", Command.WITHDRAW),
        ("取り下げます\n佐藤花子", "佐藤 花子", Command.WITHDRAW),
        ("状況を教えてください。\n佐藤です", "佐藤花子", Command.STATUS),
        ("はい\n山田", "山田 係長", Command.CONFIRM),
        ("取り下げ\nしないで", "佐藤 花子", None),  # not the sender's name: more words
        ("取り下げます\n佐藤", "", None),  # no display name to compare with
        ("佐藤", "佐藤 花子", None),  # the name alone is no command
        # Opening with who you are, as business mail does.
        ("お疲れ様です。総務課の佐藤です。\n取り下げます。", "佐藤 花子", Command.WITHDRAW),
        ("佐藤です。状況を教えてください。", "佐藤 花子", Command.STATUS),
        ("係長の山田です。\nはい", "山田 係長", Command.CONFIRM),
        ("総務課の鈴木です。取り下げます。", "佐藤 花子", None),  # not the sender
    ],
)
def test_a_command_signed_with_the_senders_own_name_is_still_the_command(words, name, command):
    assert read_command(words, name) == command


@pytest.mark.parametrize(
    "words,start,end,deputy",
    [
        ("不在 12/24-12/27 代理 dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI),
        (
            "不在：１２月２４日〜１２月２７日　代理：dairi@town.example.jp",
            (2026, 12, 24),
            (2026, 12, 27),
            DAIRI,
        ),
        ("不在 12/28-1/4 代理 Dairi@Town.example.jp", (2026, 12, 28), (2027, 1, 4), DAIRI),
        (
            "不在 1/5 代理 dairi@town.example.jp<mailto:dairi@town.example.jp>",
            (2027, 1, 5),
            (2027, 1, 5),
            DAIRI,
        ),
        (
            "お疲れ様です。\n不在 12/24(木)から12/25(金)まで 代理 dairi@town.example.jp\nよろしくお願いします。",
            (2026, 12, 24),
            (2026, 12, 25),
            DAIRI,
        ),
        # Range marks as keyboards and IMEs produce them: en/em dash, minus, ー, ‐, ―.
        *(
            (f"不在 12/24{mark}12/27 代理 dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI)
            for mark in ("–", "—", "−", "ー", "‐", "―", "～", "〜", "~", "－", " から ")
        ),
        # The end as a day only, in the start's month.
        ("不在 12月24日から27日まで 代理 dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 １２／２４（木）～２７（日） 代理：dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 12/24-27 代理 dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI),
        # The era year, as town offices write dates.
        ("不在 令和8年12月24日〜令和8年12月27日 代理 dairi@town.example.jp", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 令和９年１月５日 代理 dairi@town.example.jp", (2027, 1, 5), (2027, 1, 5), DAIRI),
        # The deputy with a name, in brackets, with さん / です.
        ("不在 12/24-12/27 代理 大理 太郎 <dairi@town.example.jp>", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 12/24-12/27 代理：大理さん（dairi@town.example.jp）", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 12/24-12/27 代理は dairi@town.example.jp さんです", (2026, 12, 24), (2026, 12, 27), DAIRI),
        ("不在 12/24-12/27 代理 dairi@town.example.jp（大理）", (2026, 12, 24), (2026, 12, 27), DAIRI),
    ],
)
def test_absence_requests(words, start, end, deputy):
    got = read_absence(words, date(2026, 12, 18))
    assert got is not None
    assert (got.start, got.end, got.deputy) == (date(*start), date(*end), deputy)


@pytest.mark.parametrize(
    "words",
    [
        "不在 12/24-12/27",  # no deputy
        "不在 2/30 代理 dairi@town.example.jp",  # no such day
        "不在 2026/12/1-2026/12/3 代理 dairi@town.example.jp",  # over
        "12/24から不在です。代理は dairi@town.example.jp です。承認します",
        "不在 12/24-12/27 代理 dairi@town.example.jp と kacho@town.example.jp",
        "不在 12/24-12/27 代理 大理 <dairi@town.example.jp> <kacho@town.example.jp>",
        "不在 12/27-24 代理 dairi@town.example.jp",  # a day-only end before the start
        "不在 平成8年12/24 代理 dairi@town.example.jp",  # an era long over
    ],
)
def test_not_absence_requests(words):
    assert read_absence(words, date(2026, 12, 18)) is None


# --------------------------------------------------------------------------- absences by mail


def absence_mail(sender: str, text: str = "不在 12/24-12/27 代理 dairi@town.example.jp") -> bytes:
    return compose_draft(sender, "不在の連絡", text + "\n")


def test_an_absence_by_mail_counts_only_after_the_reviewer_answers_yes(tmp_path):
    gw, clock = make(tmp_path)
    assert gw.handle_raw(absence_mail(KAKARI)) == "absence_request"
    request = sent(gw, "absence", KAKARI)[-1]
    assert "「はい」とだけ" in body(request)
    assert gw.store.absences()[0].state == "pending"
    assert sent(gw, "review-request") == []  # it was never read as a draft
    clock.now += timedelta(minutes=5)
    assert gw.handle_raw(iphone_ja(request, KAKARI, "係長", "はい")) == "absence_confirmed"
    assert gw.store.absences()[0].state == "confirmed"
    confirmed = sent(gw, "absence", DAIRI)[-1]
    assert "有効になりました" in body(confirmed)


def test_a_yes_signed_with_the_reviewers_name_confirms(tmp_path):
    gw, _ = make(tmp_path)
    gw.handle_raw(absence_mail(KAKARI))
    request = sent(gw, "absence", KAKARI)[-1]
    assert gw.handle_raw(iphone_ja(request, KAKARI, "山田 係長", "はい\n山田")) == (
        "absence_confirmed"
    )


def test_a_yes_signed_with_the_name_in_people_confirms_without_a_display_name(tmp_path):
    people = [{"name": "山田 太郎", "addresses": [KAKARI]}]
    gw, _ = make(tmp_path, people=people)
    gw.handle_raw(absence_mail(KAKARI))
    request = sent(gw, "absence", KAKARI)[-1]
    reply = compose_reply(request, KAKARI, "はい。\n山田")  # a bare From, no display name
    assert gw.handle_raw(reply) == "absence_confirmed"


def test_a_yes_to_a_replaced_absence_is_answered_with_why(tmp_path):
    gw, _ = make(tmp_path)
    gw.handle_raw(absence_mail(KAKARI, "不在 12/24-12/27 代理 hosa@town.example.jp"))
    first = sent(gw, "absence", KAKARI)[-1]
    gw.handle_raw(absence_mail(KAKARI))  # corrected: replaces A-000001
    assert gw.handle_raw(iphone_ja(first, KAKARI, "係長", "はい")) == "absence_not_confirmed"
    answer = body(sent(gw, "absence", KAKARI)[-1])
    assert "A-000001" in answer and "有効にしていません" in answer
    assert [a.state for a in gw.store.absences()] == ["removed", "pending"]


def test_a_forged_absence_never_takes_effect(tmp_path):
    gw, clock = make(tmp_path)
    # Someone forges KAKARI's From naming themselves as deputy.
    assert (
        gw.handle_raw(absence_mail(KAKARI, "不在 12/21-12/27 代理 dairi@town.example.jp"))
        == "absence_request"
    )
    request = sent(gw, "absence", KAKARI)[-1]  # went to the real KAKARI, who ignores it
    # The forger answers the confirmation without having it: no token, or the token from
    # a mail of their own, or KAKARI's token from their own address.
    forged = compose_draft(KAKARI, "RE: [不在の設定 A-000001]", "はい\n")
    assert gw.handle_raw(forged) != "absence_confirmed"
    assert gw.handle_raw(outlook_ja(request, DAIRI, "代理", "はい")) == "absence_not_confirmed"
    # The real KAKARI answers, but not "はい": nothing changes.
    assert (
        gw.handle_raw(gmail_ja(request, KAKARI, "係長", "これは私ではありません"))
        == "absence_not_confirmed"
    )
    assert gw.store.absences()[0].state == "pending"
    clock.now = datetime(2026, 12, 21, 10, 0, tzinfo=clock.now.tzinfo)
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)) == "draft"
    draft_id = gw.store.drafts_by_author(AUTHOR)[-1].id
    asked = {
        m
        for e in gw.store.outbox.all()
        if e["mail_status"] == "review-request" and e["draft_id"] == draft_id
        for m in e["recipients"]
    }
    assert asked == {KACHO, KAKARI}  # the deputy is never asked
    clock.now += timedelta(days=8)
    gw.tick()
    assert gw.store.absences()[0].state == "lapsed"


def test_only_a_listed_reviewer_can_set_an_absence(tmp_path):
    gw, _ = make(tmp_path)
    assert gw.handle_raw(absence_mail(AUTHOR)) == "absence_refused"
    assert gw.store.absences() == [] and sent(gw) == []


def test_an_absence_naming_an_outsider_as_deputy_is_refused_with_the_reason(tmp_path):
    gw, _ = make(tmp_path)
    raw = absence_mail(KAKARI, "不在 12/24-12/27 代理 someone@outside.example.com")
    assert gw.handle_raw(raw) == "absence_refused"
    assert "職員のアドレスではありません" in body(sent(gw, "absence", KAKARI)[-1])
    assert gw.store.absences() == []


def html_only_mail(sender: str, subject: str, html: str) -> bytes:
    """A new mail as Outlook on the web sends it with plain text turned off: HTML only."""
    from email.mime.text import MIMEText
    from email.utils import format_datetime, make_msgid

    msg = MIMEText(html, "html", "utf-8")
    msg["From"] = sender
    msg["To"] = "sns-check@town.example.jp"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(JST_NOW)
    msg["Message-ID"] = make_msgid(domain="town.example.jp")
    return msg.as_bytes()


@pytest.mark.parametrize(
    "text",
    [
        "不在 12/24-12/27",  # no deputy
        "不在 2/30 代理 dairi@town.example.jp",  # no such day
        "不在 12/24-12/27 代理 dairi@town.example.jp と kacho@town.example.jp",  # two deputies
        "不在 12/24–12/27 代理 dairi@town.example.jp 午後のみ",  # more than the command
    ],
)
def test_an_absence_mail_that_cannot_be_read_is_never_a_draft(tmp_path, text):
    gw, _ = make(tmp_path)
    assert gw.handle_raw(absence_mail(KAKARI, text)) == "absence_refused"
    assert gw.store.all_drafts() == [] and gw.store.absences() == []
    answer = body(sent(gw, "absence", KAKARI)[-1])
    assert "不在 12/24-12/27 代理 dairi@town.example.jp" in answer  # how to write it


@pytest.mark.parametrize(
    "text",
    [
        "12/24-12/27 不在 代理 dairi@town.example.jp",  # the words in another order
        "12/24〜12/27は不在です。代理は dairi@town.example.jp です。",  # a sentence
        "不在 12/24-12/25 代理 dairi@town.example.jp\n不在 12/28-12/29 代理 kacho@town.example.jp",
    ],
)
def test_absence_words_in_another_shape_are_answered_with_the_form_not_forwarded(tmp_path, text):
    gw, _ = make(tmp_path)
    assert gw.handle_raw(absence_mail(KAKARI, text)) == "absence_refused"
    assert gw.store.all_drafts() == [] and gw.store.absences() == []
    assert "不在 12/24-12/27 代理 dairi@town.example.jp" in body(sent(gw, "absence", KAKARI)[-1])


def test_a_non_reviewers_mail_mentioning_absence_stays_a_draft(tmp_path):
    gw, _ = make(tmp_path)
    text = "12/24〜12/27は窓口担当が不在です。代理は dairi@town.example.jp です。"
    assert gw.handle_raw(absence_mail(AUTHOR, text)) == "draft"


def test_an_absence_line_with_a_few_words_around_it_is_read(tmp_path):
    gw, _ = make(tmp_path)
    text = (
        "お疲れ様です。\n年末年始の休暇のため、次のとおり不在にします。\n\n"
        "不在 12/28-1/4 代理 dairi@town.example.jp\n\nよろしくお願いします。"
    )
    assert gw.handle_raw(absence_mail(KAKARI, text)) == "absence_request"
    (pending,) = gw.store.absences()
    assert (pending.start, pending.end) == (date(2026, 12, 28), date(2027, 1, 4))


def test_a_post_about_absentee_voting_is_still_a_draft(tmp_path):
    gw, _ = make(tmp_path)
    text = "不在者投票は12/24から12/27まで役場で受け付けます。"
    assert gw.handle_raw(absence_mail(KAKARI, text)) == "draft"


@pytest.mark.parametrize(
    "raw",
    [
        # Outlook, signed with the bare name, forwarding an old thread below it.
        lambda: compose_draft(
            KAKARI,
            "FW: 年末の件",
            "不在 12/24～12/27 代理 dairi@town.example.jp\n\n山田\n\n"
            "________________________________\n差出人: 課長 <kacho@town.example.jp>\n"
            "送信日時: 2026年12月17日 9:00\n宛先: 係長 <kakaricho@town.example.jp>\n"
            "件名: 年末の件\n\n年末は休んでください。\n",
            name="山田 係長",
        ),
        # Outlook on the web, HTML only, the address as a mailto link, a signature.
        lambda: html_only_mail(
            KAKARI,
            "不在",
            '<div class="WordSection1"><p class="MsoNormal">お疲れ様です。<o:p></o:p></p>'
            '<p class="MsoNormal">不在 １２月２４日から２７日まで 代理 <a href="mailto:dairi@town.example.jp">'
            "dairi@town.example.jp</a><o:p></o:p></p><p class=\"MsoNormal\">よろしくお願いします。</p>"
            '<p class="MsoNormal">―――――<br>総務課 係長 山田<br>kakaricho@town.example.jp</p></div>',
        ),
    ],
)
def test_absence_mails_as_clients_write_them(tmp_path, raw):
    gw, _ = make(tmp_path)
    assert gw.handle_raw(raw()) == "absence_request"
    (pending,) = gw.store.absences()
    assert (pending.start, pending.end, pending.deputy) == (date(2026, 12, 24), date(2026, 12, 27), DAIRI)


@pytest.mark.parametrize("text", ["", "\n山田\n総務課 係長\n電話 0266-41-1111\n"])
def test_an_absence_written_in_the_subject_is_read(tmp_path, text):
    gw, _ = make(tmp_path)
    subject = "不在 12/24-12/27 代理 dairi@town.example.jp"
    assert gw.handle_raw(compose_draft(KAKARI, subject, text, name="山田 係長")) == (
        "absence_request"
    )
    assert gw.store.all_drafts() == []
    (pending,) = gw.store.absences()
    assert (pending.start, pending.deputy) == (date(2026, 12, 24), DAIRI)


def test_a_new_absence_in_reply_to_an_earlier_absence_mail_is_read(tmp_path):
    gw, _ = make(tmp_path)
    gw.handle_raw(absence_mail(KAKARI, "不在 12/21-12/22 代理 dairi@town.example.jp"))
    gw.handle_raw(outlook_ja(sent(gw, "absence", KAKARI)[-1], KAKARI, "山田 係長", "はい"))
    confirmed = sent(gw, "absence", KAKARI)[-1]
    again = outlook_ja(confirmed, KAKARI, "山田 係長", "不在 1/5-1/8 代理 dairi@town.example.jp")
    assert gw.handle_raw(again) == "absence_request"
    assert [(a.start, a.state) for a in gw.store.absences()] == [
        (date(2026, 12, 21), "confirmed"),
        (date(2027, 1, 5), "pending"),
    ]


def test_an_absence_in_reply_to_a_review_request_is_read_and_decides_nothing(tmp_path):
    gw, _ = make(tmp_path)
    _, requests = open_draft(gw)
    reply = outlook_ja(
        requests[KAKARI], KAKARI, "山田 係長", "不在 12/21-12/25 代理 dairi@town.example.jp"
    )
    assert gw.handle_raw(reply) == "absence_request"
    assert gw.store.absences()[0].state == "pending"
    assert gw.store.get_draft("D-000001").votes == ()
    assert "「はい」とだけ" in body(sent(gw, "absence", KAKARI)[-1])


def test_an_absence_in_reply_from_a_deputy_not_a_reviewer_is_read_as_their_answer(tmp_path):
    gw, _ = make(tmp_path)
    tanaka = "tanaka@town.example.jp"  # staff, no listed reviewer: a deputy only
    queue_admin_command(
        gw.settings,
        {
            "command": "absence-add",
            "reviewer": KAKARI,
            "deputy": tanaka,
            "start": "2026-12-18",
            "end": "2026-12-20",
        },
    )
    gw.tick()
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)) == "draft"
    request = sent(gw, "review-request", tanaka)[-1]
    reply = outlook_ja(request, tanaka, "田中", "不在 12/21 代理 dairi@town.example.jp")
    assert gw.handle_raw(reply) == "reply_unclear"  # asked again, not swallowed
    assert [a.reviewer for a in gw.store.absences()] == [KAKARI]


def test_a_corrected_absence_replaces_the_unconfirmed_one(tmp_path):
    gw, _ = make(tmp_path)
    gw.handle_raw(absence_mail(KAKARI, "不在 12/24-12/27 代理 hosa@town.example.jp"))
    assert gw.handle_raw(absence_mail(KAKARI)) == "absence_request"  # same days, other deputy
    assert [(a.deputy, a.state) for a in gw.store.absences()] == [
        ("hosa@town.example.jp", "removed"),
        (DAIRI, "pending"),
    ]
    # A confirmed one is not replaced by mail: the reviewer is told why, and whom to ask.
    gw.handle_raw(iphone_ja(sent(gw, "absence", KAKARI)[-1], KAKARI, "係長", "はい"))
    assert gw.handle_raw(absence_mail(KAKARI, "不在 12/26-12/28 代理 hosa@town.example.jp")) == (
        "absence_refused"
    )
    assert "A-000002" in body(sent(gw, "absence", KAKARI)[-1])


# --------------------------------------------------------------------------- draft commands by mail


def open_draft(gw):
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)) == "draft"
    return sent(gw, "received", AUTHOR)[-1], {
        r: sent(gw, "review-request", r)[-1] for r in (KACHO, KAKARI)
    }


def test_status_withdraw_and_resend_by_mail(tmp_path):
    gw, clock = make(tmp_path)
    received, requests = open_draft(gw)
    clock.now += timedelta(minutes=10)
    gw.handle_raw(gmail_ja(requests[KACHO], KACHO, "課長", "承認します"))
    clock.now += timedelta(minutes=10)
    assert gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤", "状況")) == "status_report"
    report = body(sent(gw, "status-report", AUTHOR)[-1])
    assert KACHO in report.split("返信待ち")[0] and KAKARI in report.split("返信待ち")[1]
    # A reviewer who already answered replies 再送 to the receipt: nothing to resend, told so.
    receipt = sent(gw, "receipt", KACHO)[-1]
    assert gw.handle_raw(gmail_ja(receipt, KACHO, "課長", "再送してください")) == "command_refused"
    assert "いまあなたに確認をお願いしているものはありません" in body(sent(gw, "notice", KACHO)[-1])
    before = len(sent(gw, "review-request", KAKARI))
    assert gw.handle_raw(gmail_ja(requests[KAKARI], KAKARI, "係長", "再送")) == "resend"
    assert len(sent(gw, "review-request", KAKARI)) == before + 1
    assert gw.store.get_draft("D-000001").votes_for(1).keys() == {KACHO}  # 再送 is no decision
    # 取り下げ from the author's own mail client, replying to the receipt.
    assert (
        gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤", "取り下げをお願いします。"))
        == "withdrawn"
    )
    assert gw.store.get_draft("D-000001").state == "withdrawn"
    told = message_from_bytes(sent(gw, "withdrawn")[-1], policy=policy.default)
    assert KACHO in str(told["Cc"]) and KAKARI in str(told["Cc"])
    late = gmail_ja(requests[KAKARI], KAKARI, "係長", "承認します")
    gw.handle_raw(late)
    assert gw.store.get_draft("D-000001").state == "withdrawn"
    assert "取り下げました" in body(sent(gw, "notice", KAKARI)[-1])


@pytest.mark.parametrize(
    "sender,words",
    [
        ("tanaka@town.example.jp", "状況"),  # staff, not on the draft
        ("tanaka@town.example.jp", "再送してください"),
        ("hosa@town.example.jp", "取り下げ"),  # a reviewer of the account, not the author
        ("hosa@town.example.jp", "再送"),
        (AUTHOR, "再送"),  # the author has no request to get again
    ],
)
def test_a_command_from_someone_not_entitled_is_refused_never_a_draft(tmp_path, sender, words):
    people = [KACHO, KAKARI, DAIRI, "hosa@town.example.jp"]
    gw, _ = make(
        tmp_path, accounts=[{"name": "辰野町公式X", "platform": "x", "reviewers": people}]
    )
    open_draft(gw)
    before = len(sent(gw))
    mail = compose_draft(sender, "RE: [受付 D-000001] 防災訓練のお知らせ", words + "\n")
    assert gw.handle_raw(mail) == "command_refused"
    draft = gw.store.get_draft("D-000001")
    assert len(gw.store.all_drafts()) == 1 and draft.version == 1 and draft.state == "in_review"
    told = {r for e in gw.store.outbox.all()[before:] for r in e["recipients"]}
    assert told <= {AUTHOR}  # nobody but the author's own address hears of it
    assert "command_refused" in actions(gw)


def test_a_command_naming_the_draft_in_its_words_applies_to_that_draft(tmp_path):
    gw, _ = make(tmp_path)
    open_draft(gw)
    before = len(sent(gw, "review-request", KAKARI))
    mail = compose_draft(KAKARI, "再送のお願い", "D-000001の再送をお願いします。\n")
    assert gw.handle_raw(mail) == "resend"
    assert len(sent(gw, "review-request", KAKARI)) == before + 1
    assert len(gw.store.all_drafts()) == 1


@pytest.mark.parametrize("words", ["状況", "再送してください", "取り下げます", "ｷｬﾝｾﾙ"])
def test_a_command_naming_no_draft_is_answered_never_a_draft(tmp_path, words):
    gw, _ = make(tmp_path)
    open_draft(gw)
    assert gw.handle_raw(compose_draft(AUTHOR, "お願い", words + "\n")) == "command_refused"
    assert len(gw.store.all_drafts()) == 1
    answer = body(sent(gw, "notice", AUTHOR)[-1])
    assert "どの投稿案" in answer and "返信" in answer


def test_a_withdraw_signed_with_the_authors_name_is_a_withdrawal(tmp_path):
    gw, _ = make(tmp_path)
    received, _ = open_draft(gw)
    assert gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤 花子", "取り下げます。\n\n佐藤")) == (
        "withdrawn"
    )
    assert gw.store.get_draft("D-000001").state == "withdrawn"


def test_the_authors_new_text_on_a_withdrawn_draft_is_answered_not_lost(tmp_path):
    gw, _ = make(tmp_path)
    received, _ = open_draft(gw)
    assert gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤", "取り下げます")) == "withdrawn"
    revised = "アカウント: 辰野町公式X\n\n12月27日（日）午前9時から防災訓練を行います。"
    assert gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤", revised)) == "author_reply"
    answer = body(sent(gw, "notice", AUTHOR)[-1])
    assert "取り下げ" in answer and "新しいメール" in answer
    assert gw.store.get_draft("D-000001").state == "withdrawn"


def test_a_withdraw_without_the_authors_token_is_refused_politely(tmp_path):
    gw, _ = make(tmp_path)
    open_draft(gw)
    forged = compose_draft(AUTHOR, "RE: [受付 D-000001] 防災訓練のお知らせ", "取り下げ\n")
    assert gw.handle_raw(forged) == "command_refused"
    assert gw.store.get_draft("D-000001").state == "in_review"
    assert "返信して「取り下げ」" in body(sent(gw, "notice", AUTHOR)[-1])


def test_a_decision_that_mentions_a_command_is_still_a_decision(tmp_path):
    gw, _ = make(tmp_path)
    _, requests = open_draft(gw)
    assert (
        gw.handle_raw(gmail_ja(requests[KACHO], KACHO, "課長", "状況は確認しました。承認します。"))
        == "reply_approve"
    )


# --------------------------------------------------------------------------- admin commands


def test_admin_absence_and_reassign_are_applied_on_the_next_tick(tmp_path):
    people = [KACHO, KAKARI, DAIRI, "hosa@town.example.jp"]
    gw, clock = make(
        tmp_path, accounts=[{"name": "辰野町公式X", "platform": "x", "reviewers": people}]
    )
    open_draft(gw)
    queue_admin_command(
        gw.settings,
        {
            "command": "absence-add",
            "reviewer": KAKARI,
            "deputy": DAIRI,
            "start": "2026-12-18",
            "end": "2026-12-20",
        },
    )
    gw.tick()
    assert [a.state for a in gw.store.absences()] == ["confirmed"]
    assert "absence_set" in actions(gw)
    assert sent(gw, "review-request", DAIRI)  # the open request moved at once
    queue_admin_command(
        gw.settings,
        {
            "command": "reassign",
            "draft_id": "D-000001",
            "from": KACHO,
            "to": "hosa@town.example.jp",
        },
    )
    gw.tick()
    assert [
        e["detail"]["reason"]
        for e in gw.store.all_events()
        if e["action"] == "admin_command_failed"
    ] == []
    assert "hosa@town.example.jp" in gw.store.get_draft("D-000001").reviewers
    queue_admin_command(
        gw.settings,
        {
            "command": "reassign",
            "draft_id": "D-000001",
            "from": "hosa@town.example.jp",
            "to": "x@town.example.jp",
        },
    )
    gw.tick()
    failed = [
        e["detail"]["reason"]
        for e in gw.store.all_events()
        if e["action"] == "admin_command_failed"
    ]
    assert len(failed) == 1 and "登録されていません" in failed[0]
    assert "reviewer_replaced" in actions(gw)
    # After the absence: one 後閲 mail to KAKARI.
    clock.now = datetime(2026, 12, 21, 8, 0, tzinfo=clock.now.tzinfo)
    gw.tick()
    gw.tick()
    (report,) = sent(gw, "absence-report", KAKARI)
    headers = message_from_bytes(report)
    assert headers["X-Mailer"].startswith("town-sns-gateway/")  # as every mail of ours
    assert headers["X-Gateway-Absence"] and headers["X-Loop"] == gw.settings.mailbox.address


def test_an_absence_ended_early_by_the_admin_still_gets_its_kouetsu(tmp_path):
    people = [KACHO, KAKARI, DAIRI, "hosa@town.example.jp"]
    gw, clock = make(
        tmp_path, accounts=[{"name": "辰野町公式X", "platform": "x", "reviewers": people}]
    )
    queue_admin_command(
        gw.settings,
        {
            "command": "absence-add",
            "reviewer": KAKARI,
            "deputy": DAIRI,
            "start": "2026-12-18",
            "end": "2026-12-25",
        },
    )
    gw.tick()
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)) == "draft"
    request = sent(gw, "review-request", DAIRI)[-1]
    clock.now += timedelta(hours=1)
    assert gw.handle_raw(gmail_ja(request, DAIRI, "代理", "承認します")) == "reply_approve"
    clock.now = datetime(2026, 12, 21, 9, 0, tzinfo=clock.now.tzinfo)  # back early
    queue_admin_command(gw.settings, {"command": "absence-remove", "absence_id": "A-000001"})
    gw.tick()
    gw.tick()
    (report,) = sent(gw, "absence-report", KAKARI)
    assert "D-000001" in body(report) and "承認" in body(report)
    assert gw.store.absences()[0].state == "removed"
    # A removed absence that never started has nothing to report.
    queue_admin_command(
        gw.settings,
        {
            "command": "absence-add",
            "reviewer": KACHO,
            "deputy": DAIRI,
            "start": "2026-12-28",
            "end": "2026-12-29",
        },
    )
    gw.tick()
    queue_admin_command(gw.settings, {"command": "absence-remove", "absence_id": "A-000002"})
    gw.tick()
    assert sent(gw, "absence-report", KACHO) == []


# --------------------------------------------------------------------------- config


def account(**extra):
    return {"name": "辰野町公式X", "platform": "x", "reviewers": [KACHO, KAKARI, DAIRI], **extra}


def test_config_reads_each_kind_of_section_rule(tmp_path):
    s = offline_settings(tmp_path, accounts=[account(required=2, emergency=True)])
    rules = s.accounts[0].rules
    assert rules.stages[0].required == 2 and rules.stages[0].members == (KACHO, KAKARI, DAIRI)
    assert rules.emergency and rules.emergency_reminder == timedelta(minutes=15)
    staged = account(
        stages=[{"name": "係長", "reviewers": [KAKARI]}, {"name": "課長", "reviewers": [KACHO]}]
    )
    del staged["reviewers"]
    s = offline_settings(tmp_path, accounts=[staged])
    assert [st.name for st in s.accounts[0].rules.stages] == ["係長", "課長"]
    assert s.accounts[0].reviewers == (KAKARI, KACHO)
    s = offline_settings(tmp_path, review={"closed_days": ["2026-08-13..2026-08-16", "2026-11-30"]})
    assert len(s.closed_days) == 5
    fixed = [{"name": "避難所開設", "text": "{日時}に{場所}を開設しました。", "approved_by": [KACHO, DAIRI]}]
    s = offline_settings(tmp_path, accounts=[account(emergency=True, fixed_texts=fixed)])
    assert s.accounts[0].rules.fixed_texts[0].approved_by == (KACHO, DAIRI)


@pytest.mark.parametrize(
    "bad,key",
    [
        (account(required=1), "required"),
        (account(required=9), "required"),
        (account(stages=[{"reviewers": [KACHO]}]), "stages"),
        (account(required=2, stages=[{"reviewers": [KACHO], "required": 1}]), "required"),
        (
            account(fixed_texts=[{"name": "x", "text": "{日時}", "approved_by": [KACHO, KAKARI]}]),
            "fixed_texts",
        ),
        (account(emergency="yes"), "emergency"),
        (  # a 定型文 approved in advance by someone who does not review this account
            account(
                emergency=True,
                fixed_texts=[
                    {"name": "x", "text": "{日時}", "approved_by": [KACHO, "soumu@town.example.jp"]}
                ],
            ),
            "fixed_texts[0].approved_by",
        ),
    ],
)
def test_config_errors_name_the_key(tmp_path, bad, key):
    with pytest.raises(ConfigError) as err:
        offline_settings(tmp_path, accounts=[bad])
    assert key in err.value.key


def test_closed_days_count_as_holidays(tmp_path):
    s = offline_settings(tmp_path, review={"closed_days": ["2026-08-13..2026-08-14"]})
    from gateway.pipeline import policy_for

    cal = policy_for(s).calendar
    assert cal.closure(date(2026, 8, 13)) == "休業日" and cal.closure(date(2026, 8, 12)) is None
    with pytest.raises(ConfigError):
        offline_settings(tmp_path, review={"closed_days": ["8月13日"]})


def test_a_thank_you_to_an_absence_mail_is_never_a_draft(tmp_path):
    gw, _ = make(tmp_path)
    gw.handle_raw(absence_mail(KAKARI))
    request = sent(gw, "absence", KAKARI)[-1]
    gw.handle_raw(iphone_ja(request, KAKARI, "係長", "はい"))
    confirmed = sent(gw, "absence", KAKARI)[-1]
    assert "有効になりました" in body(confirmed)
    thanks = gmail_ja(confirmed, KAKARI, "係長", "ありがとうございます。よろしくお願いします。")
    assert gw.handle_raw(thanks) == "reply_not_counted"
    assert gw.store.all_drafts() == [] and sent(gw, "review-request") == []


def test_the_admins_answer_to_an_emergency_mail_is_logged_not_a_draft(tmp_path):
    people = [KACHO, KAKARI, DAIRI]
    gw, _ = make(
        tmp_path,
        admin={"address": "somu@town.example.jp"},
        accounts=[{"name": "辰野町公式X", "platform": "x", "reviewers": people, "emergency": True}],
    )
    raw = compose_draft(AUTHOR, "【緊急】断水のお知らせ", "町内全域で断水しています。\n")
    assert gw.handle_raw(raw) == "draft"
    assert len(sent(gw, "review-request")) == 3
    alert = sent(gw, "emergency", "somu@town.example.jp")[-1]
    gw.handle_raw(outlook_ja(alert, "somu@town.example.jp", "総務", "承認します。"))
    refused = [e for e in gw.store.all_events() if e["action"] == "reply_not_counted"]
    assert refused[-1]["detail"]["reason"] == "not-a-reviewer"
    assert len(gw.store.all_drafts()) == 1
    assert gw.store.all_drafts()[0].votes == ()


def test_the_digest_counts_withdrawals_replacements_and_absences(tmp_path):
    from gateway.businessdays import WorkCalendar
    from gateway.digest import build_digest_context

    gw, clock = make(tmp_path)
    received, _ = open_draft(gw)
    queue_admin_command(
        gw.settings,
        {
            "command": "absence-add",
            "reviewer": KAKARI,
            "deputy": DAIRI,
            "start": "2026-12-28",
            "end": "2026-12-30",
        },
    )
    gw.tick()
    gw.handle_raw(outlook_ja(received, AUTHOR, "佐藤", "取り下げ"))
    ctx = build_digest_context(
        gw.store.all_drafts(),
        gw.store.all_events(),
        clock.now - timedelta(days=1),
        clock.now + timedelta(hours=1),
        WorkCalendar(),
        [],
    )
    labels = {o["label"]: o["count"] for o in ctx["outcomes"]}
    assert labels["取り下げ"] == 1 and labels["不在の設定（管理者）"] == 1
