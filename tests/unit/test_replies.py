"""The reviewer's own words and the decision grammar, table-driven."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.model import Decision
from gateway.replies import decide, own_words, read_reply

A, S, U = Decision.APPROVE, Decision.SEND_BACK, Decision.UNCLEAR

INSTRUCTION = "承認する場合は「承認」、差し戻す場合は「差戻し」と理由を書いて返信してください。"
REQUEST = f"""山田 太郎 様

総務課から確認依頼が届きました。

━━━━━━━━ 投稿される文章 ━━━━━━━━
11月25日9時から防災訓練を行います。
━━━━━━━━━━━━━━━━━━━━━━━━

{INSTRUCTION}

--
SNS投稿確認ゲートウェイ
"""


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("承認", A),
        ("承認します", A),
        ("承認です", A),
        ("承認いたします", A),
        ("承認致します。", A),
        ("承認しました", A),
        ("承認！", A),
        ("承認!!", A),
        ("「承認」", A),
        ("承認とします", A),
        ("承認させていただきます", A),
        ("承認で問題ありません", A),
        ("承認して差し支えありません", A),
        ("承認でお願いします", A),
        # a request to approve, and an approval with a change asked for: ask again
        ("承認、よろしくお願いします", U),
        ("承認しますが、日付だけ直してください", U),
        ("お疲れ様です。承認します。", A),
        ("差し戻しの必要はありません。承認します。", A),
        ("差戻し", S),
        ("差し戻し", S),
        ("差戻", S),
        ("さしもどし", S),
        ("差し戻します", S),
        ("差戻しします。日付が違います", S),
        ("却下", S),
        ("却下します", S),
        ("承認できません", S),
        ("承認しません", S),
        ("承認不可", S),
        ("承認は できない", S),
        ("承認致しかねます", S),
        ("承認いたしかねます", S),
        ("まだ承認できない", S),
        ("承認ではありません", S),
        ("非承認です", S),
        ("不承認", S),
        ("承認ではなく差戻しです", S),
        ("承認しますか？", U),
        ("承認しますか", U),
        ("承認してよいですか", U),
        ("承認して良いでしょうか", U),
        ("OK", U),
        ("ＯＫです", U),
        ("了解", U),
        ("了解しました", U),
        ("確認しました", U),
        ("いいね", U),
        ("", U),
        ("承認・決裁担当", U),
        ("承認者は課長です", U),
        ("承認済みです", U),
        ("承認をお願いします", U),
        ("課長の承認をお願いします", U),
        ("承認されました", U),
        ("修正すれば承認します", U),
        ("日付を直したら承認します", U),
        ("問題なければ承認とします", U),
        ("承認は保留します", U),
        ("承認したいと思います", U),
        ("承認します。やはり差し戻します。", U),
        (INSTRUCTION, U),
        ("日付が違う場合は差し戻してください", U),
        ("差し戻しますか？", U),
        ("承認するかどうか検討中です", U),
        ("承認するか迷っています", U),
        ("承認かもしれません", U),
        ("承認すべきか相談させてください", U),
        ("承認 山田", U),
        ("承認いたしません", S),
        ("一旦差し戻します", S),
        ("差戻しでお願いします。写真差し替え", S),
        ("内容OKです、承認で。", A),
        ("承認とさせていただきます", A),
        ("承認しましたので公開してください", A),
    ],
)
def test_grammar(text: str, want: Decision) -> None:
    assert decide(text) == want


@pytest.mark.parametrize(
    ("text", "extra", "want"),
    [
        ("OKです", ["OK"], A),
        ("ok", ["OK"], A),
        ("ＯＫ", ["OK"], A),
        ("BOOK", ["OK"], U),
        ("OKではありません", ["OK"], S),
        ("了解です", ["了解"], A),
        ("OKですか？", ["OK"], U),
        ("OK。でも差し戻します", ["OK"], U),
    ],
)
def test_admin_synonyms(text: str, extra: list[str], want: Decision) -> None:
    assert decide(text, extra_approve=extra) == want


def test_extra_send_back() -> None:
    assert decide("要修正です", extra_send_back=["要修正"]) == S


@pytest.mark.parametrize(
    ("text", "own"),
    [
        # Outlook ja, rule line above the block
        (
            "承認します。\n\n________________________________\n差出人: SNS <a@b>\n"
            "送信日時: 2026年11月23日 10:00\n宛先: 山田\n件名: x\n\n" + REQUEST,
            "承認します。",
        ),
        # Outlook ja without rule, CC line
        (
            "承認します。\n\n差出人: SNS <a@b>\n送信日時: 2026年11月23日 10:00\n宛先: 山田\nCC: 鈴木\n"
            "件名: x\n\n" + REQUEST,
            "承認します。",
        ),
        # Outlook en
        ("差戻し\n\nFrom: SNS <a@b>\nSent: Monday\nTo: Yamada\nSubject: x\n\n" + REQUEST, "差戻し"),
        ("OK\n\n-----Original Message-----\n" + REQUEST, "OK"),
        ("OK\n\n-----元のメッセージ-----\n" + REQUEST, "OK"),
        # Gmail ja, one line and wrapped
        ("承認\n\n2026年11月23日(月) 10:00 SNS <a@b.jp>:\n\n> " + INSTRUCTION, "承認"),
        ("承認\n\n2026年11月23日(月) 10:00 SNS確認ゲートウェイ <\na@b.jp>:\n\n> x", "承認"),
        # Gmail en
        ("承認\n\nOn Mon, Nov 23, 2026 at 10:00 AM SNS <a@b> wrote:\n\n> x", "承認"),
        # iPhone
        ("承認です\n\niPhoneから送信\n\n2026/11/23 10:00、SNS <a@b>のメール:\n\n> x", "承認です"),
        # Thunderbird ja / en
        ("承認\n\nSNS確認ゲートウェイ さんは書きました:\n> x", "承認"),
        ("承認\n\nOn 2026/11/23 10:00, SNS wrote:\n> x", "承認"),
        # Becky!
        ('承認\n\nOn Mon, 23 Nov 2026 10:00:12 +0900\n"SNS" <a@b> wrote:\n\n> x', "承認"),
        # full-width quote marks
        ("承認\n＞ 承認する場合は\n＞＞ 承認", "承認"),
        # signatures
        ("承認します\n-- \n承認・決裁担当", "承認します"),
        ("承認します\n--\n承認・決裁担当", "承認します"),
        ("確認しました\n――――――――\n承認・決裁担当 山田", "確認しました"),
        ("確認しました\n＿＿＿＿＿＿＿＿\n承認担当", "確認しました"),
        ("確認しました\n＊＊＊＊＊＊＊＊\n総務課", "確認しました"),
        ("確認しました\n━━━━━━━━\n総務課", "確認しました"),
        ("確認しました\n========\n総務課", "確認しました"),
        ("確認しました\n\n総務課 課長 山田太郎\n承認・決裁担当\nTEL 0266-41-1111", "確認しました"),
        # a send-back is never taken for a signature
        ("さしもどし　電話番号が違う", "さしもどし　電話番号が違う"),
    ],
)
def test_own_words(text: str, own: str) -> None:
    assert own_words(text) == own


def test_inline_comments_are_kept() -> None:
    text = (
        "SNS さんは書きました:\n> 11月25日9時から防災訓練を行います。\n\n→ 26日では？\n\n"
        "> サイレンが鳴ります。\n\n差し戻します。\n"
    )
    assert own_words(text) == "→ 26日では？\n\n差し戻します。"
    assert read_reply(text).decision == S


def test_fingerprint_removes_unquoted_gateway_text() -> None:
    # a client that pasted the original without quote marks or header
    text = "よろしくお願いします\n\n" + REQUEST
    assert own_words(text, [REQUEST]) == "よろしくお願いします"
    assert read_reply(text, [REQUEST]).decision == U


def test_fingerprint_handles_rewrapped_lines() -> None:
    wrapped = "承認する場合は「承認」、差し戻す場合は\n「差戻し」と理由を書いて返信してください。"
    assert own_words("確認しました\n" + wrapped, [REQUEST]) == "確認しました"


def test_own_short_line_survives_fingerprint() -> None:
    sent = "承認\n\n本文"
    assert own_words("承認", [sent]) == "承認"


def test_comment_is_the_reason() -> None:
    r = read_reply("差戻しします。\n日付が違います。\n\n> 引用")
    assert r.decision == S
    assert r.comment == "日付が違います。"
    assert r.own_text == "差戻しします。\n日付が違います。"


def test_comment_keeps_negated_approval() -> None:
    r = read_reply("承認できません。中止です。")
    assert r.comment == "承認できません。中止です。"


# --- explain ------------------------------------------------------------------------

CORPUS = Path(__file__).parent.parent / "data" / "replies"


def _incoming(name: str):
    from gateway.mime import read_message

    return read_message((CORPUS / f"{name}.eml").read_bytes(), ["sns-check@town.example.jp"])


def test_explain_reply_json_shape() -> None:
    from gateway.explain import explain

    d = explain(_incoming("outlook2016_ja_nec_chars"), as_reply=False)
    assert set(d) == {"kind", "decision", "comment", "account", "text", "charset", "attachments"}
    assert d["kind"] == "reply"
    assert d["decision"] == "send_back"
    assert "①" in str(d["comment"])
    assert d["charset"] == "iso-2022-jp"
    assert d["account"] is None
    assert d["attachments"] == []


def test_explain_draft_and_as_reply() -> None:
    from gateway.explain import explain, format_explain_text
    from gateway.mime import read_message

    raw = (
        "From: sato@town.example.jp\r\nTo: sns-check@town.example.jp\r\nSubject: x\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nアカウント: 辰野町公式X\r\n\r\n承認\r\n-- \r\n佐藤\r\n"
    ).encode()
    inc = read_message(raw)
    d = explain(inc, as_reply=False)
    assert (d["kind"], d["decision"], d["account"], d["text"]) == (
        "draft",
        None,
        "辰野町公式X",
        "承認",
    )
    r = explain(inc, as_reply=True)
    assert r["kind"] == "reply" and r["decision"] == "approve" and r["account"] is None
    text = format_explain_text(d)
    assert "種類: 下書き" in text and "アカウント: 辰野町公式X" in text and "本文:" in text
    assert "判定: 承認 (approve)" in format_explain_text(r)


def test_explain_auto_reply_stays_auto_reply() -> None:
    from gateway.explain import explain

    d = explain(_incoming("outlook_oof_subject_only"), as_reply=True)
    assert d["kind"] == "auto_reply" and d["decision"] is None


# --------------------------------------------------------------------------- pasted back


def test_a_short_own_line_does_not_swallow_the_start_of_our_pasted_text():
    """Found by hypothesis (test_reply_properties): the reviewer's 「0」 equals a line we
    sent, and its short run took the next line with it, so our own 承認 line was left as
    the reviewer's words and approved."""
    sent = "承認\n承認\r0\n承認\n" + INSTRUCTION
    reading = read_reply("0\n\n" + sent, [sent])
    assert reading.decision is not A
    assert reading.own_text == "0"


def test_a_long_post_pasted_back_rewrapped_still_reads_the_approval():
    post = "\n".join(f"第{i}回 町の防災訓練は公民館の駐車場で午前9時から行います。" for i in range(300))
    flat = post.replace("\n", "")
    rewrapped = "\n".join(flat[i : i + 38] for i in range(0, len(flat), 38))
    assert read_reply("承認します\n\n" + rewrapped, [post]).decision is A


def test_a_reply_too_costly_to_search_for_our_text_asks_again(monkeypatch):
    """Past REWRAP_SEARCH_LIMIT our text may still be in the words: never a decision."""
    import gateway.replies as replies

    post = "\n".join(f"第{i}回 町の防災訓練は公民館の駐車場で午前9時から行います。" for i in range(300))
    flat = post.replace("\n", "")
    rewrapped = "\n".join(flat[i : i + 38] for i in range(0, len(flat), 38))
    monkeypatch.setattr(replies, "REWRAP_SEARCH_LIMIT", 10 * len(flat))
    assert read_reply("承認します\n\n" + rewrapped, [post]).decision is U
    assert read_reply("承認します", [post]).decision is A  # nothing to search: read as ever
