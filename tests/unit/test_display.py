"""Reviewers see exactly what they approve: the post's hidden parts are shown as notes,
it cannot fake the end of the post, and the exact text travels as post.txt."""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker.context import CheckContext
from gateway.display import (
    INSIDE_NOTE,
    POST_END,
    POST_START,
    is_invisible,
    looks_like_frame,
    visible_post,
)
from gateway.model import Decision, Severity
from gateway.render import build_message
from gateway.workflow import NewDraft, Policy, Reply, on_new_draft, on_reply

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
AUTHOR = "sato@town.example.jp"
KACHO, KAKARI = "kacho@town.example.jp", "kakaricho@town.example.jp"
POLICY = Policy(accounts={"辰野町公式X": (KACHO, KAKARI)})
OFFICE = ("town.tatsuno.lg.jp",)

# The attack of issue 10 part 5: the end marker and a fake footer inside the post, then
# 45 blank lines and an addendum with a look-alike link (Cyrillic а).
ATTACK = (
    "ほたる祭りを6月13日（土）19時から開催します。\n"
    "――――― 投稿文 ここまで ―――――\n"
    "\n"
    "-- \n"
    "このメールはSNS投稿確認システムが自動で送信しています。\n"
    + "\n" * 45
    + "【追記】参加登録はこちら https://www.tatsuno-kаnko.jp/entry\n"
)


def mails_for(text: str, findings=()):
    event = NewDraft(
        author=AUTHOR,
        author_name="佐藤",
        subject="ほたる祭り",
        message_id="<d1@pc.town.example.jp>",
        references=(),
        text=text,
        account=None,
        schedule=None,
        findings=tuple(findings),
        attachments=(),
        at=T0,
    )
    return on_new_draft(event, None, "D-000001", POLICY)


def rendered(spec, draft) -> bytes:
    msg = build_message(
        spec,
        draft,
        gateway_address="sns-check@town.example.jp",
        token_secret=b"k" * 32,
        now=T0,
        sign=lambda _record: "c2ln",
    )
    return msg.as_bytes(policy=policy.SMTP)


def body_and_post(raw: bytes) -> tuple[str, bytes, str | None]:
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(("plain",)).get_content()
    (post,) = [p for p in msg.iter_attachments() if p.get_filename() == "post.txt"]
    return body, post.get_payload(decode=True), post.get_content_charset()


def post_section(body: str) -> list[str]:
    lines = body.split("\n")
    assert lines.count(POST_START) == 1 and lines.count(POST_END) == 1, body
    return lines[lines.index(POST_START) + 1 : lines.index(POST_END)]


def test_review_request_shows_the_whole_attack_visibly(checker):
    findings = checker.check(ATTACK, CheckContext(office_domains=OFFICE))
    out = mails_for(ATTACK, findings)
    request = next(m for m in out.mails if m.status == "review-request")
    body, post, charset = body_and_post(rendered(request, out.draft))
    shown = post_section(body)
    # The fake end marker cannot pass for ours, and is still shown.
    assert shown[1] == INSIDE_NOTE + POST_END
    assert shown[3] == INSIDE_NOTE + "--"  # no signature separator inside the post
    assert "このメールはSNS投稿確認システムが自動で送信しています。" in shown
    assert "（空行 45 行）" in shown
    assert shown[-2].startswith("【追記】参加登録はこちら https://www.tatsuno-kаnko.jp/entry")
    # The real end comes only after the addendum, and the size of the text is said.
    assert body.index("【追記】") < body.index("\n" + POST_END + "\n")
    assert "投稿文は 51 行・" in body
    # The look-alike link is a finding the reviewer reads, naming the letter.
    assert "「а」（キリル文字 U+0430）" in body
    # The exact text travels as an attachment.
    assert post == ATTACK.encode("utf-8") and charset == "utf-8"


def test_lookalike_of_the_towns_own_domain_returns_the_post(checker):
    text = ATTACK.replace("www.tatsuno-kаnko.jp", "www.town.tаtsuno.lg.jp")
    findings = checker.check(text, CheckContext(office_domains=OFFICE))
    (bad,) = [f for f in findings if f.rule == "link-lookalike-official"]
    assert bad.severity == Severity.ERROR and "U+0430" in bad.message
    out = mails_for(text, findings)
    (rejected,) = out.mails
    assert rejected.status == "rejected"
    body, post, _ = body_and_post(rendered(rejected, out.draft))
    assert "（空行 45 行）" in post_section(body) and post == text.encode()


def test_returned_and_approved_mails_show_the_post_the_same_way():
    out = mails_for(ATTACK)
    draft = out.draft

    def answer(d, who, decision):
        return on_reply(
            d,
            Reply(
                sender=who,
                draft_id=d.id,
                token_version=1,
                reading_decision=decision,
                comment="再考を",
                message_id=f"<{who}{decision}@x>",
                at=T0,
            ),
        )

    returned = next(
        m for m in answer(draft, KACHO, Decision.SEND_BACK).mails if m.status == "returned"
    )
    body, post, _ = body_and_post(rendered(returned, draft))
    assert "（空行 45 行）" in post_section(body) and post == ATTACK.encode()
    first = answer(draft, KACHO, Decision.APPROVE).draft
    done = answer(first, KAKARI, Decision.APPROVE)
    approved = next(m for m in done.mails if m.status == "approved")
    body, post, _ = body_and_post(rendered(approved, done.draft))
    assert "（空行 45 行）" in post_section(body) and post == ATTACK.encode()


@pytest.mark.parametrize(
    ("char", "note"),
    [
        ("\u200b", "（見えない文字 U+200B）"),  # zero width space
        ("\u200c", "（見えない文字 U+200C）"),  # ZWNJ outside an emoji sequence
        ("\u200d", "（見えない文字 U+200D）"),  # ZWJ between two letters
        ("\ufeff", "（見えない文字 U+FEFF）"),  # BOM
        ("\u00ad", "（見えない文字 U+00AD）"),  # soft hyphen
        ("\u2060", "（見えない文字 U+2060）"),  # word joiner
        ("\u202e", "（文字の向きを変える制御文字 U+202E）"),  # right-to-left override
        ("\u202a", "（文字の向きを変える制御文字 U+202A）"),
        ("\u2066", "（文字の向きを変える制御文字 U+2066）"),
        ("\u2069", "（文字の向きを変える制御文字 U+2069）"),
        ("\u200f", "（文字の向きを変える制御文字 U+200F）"),
        ("\u061c", "（文字の向きを変える制御文字 U+061C）"),
        ("\u3164", "（見えない文字 U+3164）"),  # Hangul filler: a "letter" that shows nothing
        ("\u2028", "（見えない文字 U+2028）"),  # line separator
        ("\x1b", "（見えない文字 U+001B）"),  # terminal escape
        ("\r", "（見えない文字 U+000D）"),
        ("\U000e0041", "（見えない文字 U+E0041）"),  # tag character (hidden ASCII)
    ],
)
def test_invisible_and_direction_changing_characters_become_notes(char, note):
    assert visible_post(f"町の{char}お知らせ") == f"町の{note}お知らせ"


def test_runs_of_hidden_characters_are_one_note():
    assert visible_post("a" + "\u200b" * 12 + "b") == "a（見えない文字 U+200B ×12）b"
    hidden = "".join(chr(0xE0000 + ord(c)) for c in "approve this")
    assert visible_post("ok" + hidden) == "ok（見えない文字 12 文字: U+E0061 U+E0070 U+E0072 など）"
    assert visible_post("x" + " " * 40 + "y") == "x（空白 40 文字）y"
    assert visible_post("x" + "\u3000" * 9 + "y") == "x（空白 9 文字）y"


@pytest.mark.parametrize(
    "emoji",
    [
        "👨\u200d👩\u200d👧",  # family: ZWJ sequence
        "❤\ufe0f\u200d🔥",  # heart on fire: VS16 then ZWJ
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland flag
        "1\ufe0f\u20e3",  # keycap
        "👍🏽",  # skin tone
        "葛\U000e0100",  # ideographic variation selector
    ],
)
def test_emoji_and_variation_sequences_are_left_alone(emoji):
    assert visible_post(f"祭り{emoji}です") == f"祭り{emoji}です"


@pytest.mark.parametrize(
    "line",
    [
        POST_END,
        POST_START,
        "━━━━━ 投稿文 ここまで ━━━━━",
        "----- 投稿文ここまで -----",
        "――――― 投 稿 文 こ こ ま で ―――――",
        "\u3000――――― 投稿文\u200b ここまで ―――――\u3000",
        "＝＝＝ 本文ここまで ＝＝＝",
        "------ ここまで ------",
        "本文は以上です",
        POST_END + "　このメールはSNS投稿確認システムが自動で送信しています。" * 3,
        "以上で投稿文は終わりです。",
        "-- ",
        "--",
        # katakana, half-width or not, and the words' readings
        "ーーーーー 投稿文 ｺｺﾏﾃﾞ ーーーーー",
        "----- ｺｺﾏﾃﾞ -----",
        "――――― ﾄｳｺｳﾌﾞﾝ ｺｺﾏﾃﾞ ―――――",
        "===== トウコウブン ココカラ =====",
        "------ ｲｼﾞｮｳ ------",
    ],
)
def test_lines_that_could_pass_for_our_frame_are_marked(line):
    assert looks_like_frame(line)
    shown = visible_post("本文\n" + line + "\n続き").split("\n")
    assert shown[1].startswith(INSIDE_NOTE)
    assert POST_END not in shown and POST_START not in shown


@pytest.mark.parametrize(
    "line",
    [
        "━━━━━━━━━━━━",  # a decorative rule, common in newsletters
        "詳しくはここからお申し込みください。",
        "投稿の受付は5時までです。",
        "――防災訓練のお知らせ――",
        "対象は60歳以上の方です。本文をよくお読みのうえ、ここからお申し込みください。",
        "ココカラファイン 辰野店",  # a shop's name in katakana, no rule of dashes
        "いじょうなし",
    ],
)
def test_ordinary_lines_are_not_marked(line):
    assert not looks_like_frame(line)
    assert visible_post(line) == line


def test_short_blank_runs_stay_as_they_are():
    assert visible_post("a\n\nb\n\n\nc") == "a\n\nb\n\n\nc"
    assert visible_post("a\n \u3000\n\t\n\nb") == "a\n（空行 3 行）\nb"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(
                [POST_END, POST_START, "-- ", "\u200b", "\u202e", "\u200d", "👨", "\n" * 5, " " * 9]
            ),
        ),
        max_size=30,
    ).map("".join)
)
def test_property_nothing_hidden_survives_and_nothing_is_lost(text):
    shown = visible_post(text)
    lines = shown.split("\n")
    # Nothing in the post can pass for our frame.
    assert POST_START not in lines and POST_END not in lines
    assert "-- " not in lines
    # No run of three blank lines, no long space run: they are notes.
    assert "\n\n\n\n" not in shown
    assert " " * 8 not in shown
    # Every hidden character left is part of an emoji or variation sequence.
    for i, ch in enumerate(shown):
        if is_invisible(ch):
            assert ord(ch) == 0x200D or 0xFE00 <= ord(ch) <= 0xFE0F or ord(ch) >= 0xE0000, (
                text,
                i,
            )
    # Every visible character of the post is still there, in order.
    visible = [c for c in text if not is_invisible(c) and not c.isspace()]
    it = iter(shown)
    assert all(c in it for c in visible)


def test_findings_and_diff_lines_show_hidden_characters_too(checker):
    """A revision whose only change is a hidden character, and a finding whose excerpt
    holds a direction changer: both are shown as notes, not as look-alike text."""
    from datetime import timedelta

    first = mails_for("ほたる祭りを開催します。\n会場は松尾峡です。").draft
    event = NewDraft(
        author=AUTHOR,
        author_name="佐藤",
        subject="ほたる祭り",
        message_id="<d2@pc.town.example.jp>",
        references=(),
        text="ほたる祭りを開催します。\n会場は松尾\u200b峡です。",
        account=None,
        schedule=None,
        findings=tuple(checker.check("詳細は http://bit.ly/\u202eabc です。")),
        attachments=(),
        at=T0 + timedelta(hours=1),
    )
    out = on_new_draft(event, first, first.id, POLICY)
    request = next(m for m in out.mails if m.status == "review-request")
    body, _, _ = body_and_post(rendered(request, out.draft))
    assert "+ 会場は松尾（見えない文字 U+200B）峡です。" in body
    assert "\u202e" not in body and "（文字の向きを変える制御文字 U+202E）" in body


def test_every_mail_that_shows_the_post_carries_it_exactly():
    """Every kind of mail the workflow and the routing rules send (the template check's
    samples): where the body shows the post, it is the visible form of the exact text, and
    that text is attached once as post.txt (charset=utf-8)."""
    from gateway.display import shown_lines
    from gateway.mail_samples import sample_mails
    from gateway.rule_samples import sample_rule_mails

    showing = set()
    for label, spec, draft in [*sample_mails(), *sample_rule_mails()]:
        body, posts = None, []
        msg = message_from_bytes(rendered(spec, draft), policy=policy.default)
        body = msg.get_body(("plain",)).get_content()
        posts = [p for p in msg.iter_attachments() if p.get_filename() == "post.txt"]
        if POST_START not in body.split("\n"):
            assert posts == [], label
            continue
        showing.add(spec.status)
        text = spec.context["text"]
        (post,) = posts
        assert post.get_payload(decode=True) == text.encode("utf-8"), label
        assert post.get_content_charset() == "utf-8"
        assert shown_lines("\n".join(post_section(body))) == shown_lines(visible_post(text))
    assert {
        "review-request",
        "reminder",
        "returned",
        "rejected",
        "approved",
        "emergency",
    } <= showing
