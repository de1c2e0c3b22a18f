"""The decision grammar of issue 10: a refusal, hedge, question or retraction after 承認
is never an approval, however the reviewer's client wrapped or punctuated it."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway import reply_grammar
from gateway.model import Decision
from gateway.replies import decide, join_wrapped, read_grammar, read_reply

A, S, U = Decision.APPROVE, Decision.SEND_BACK, Decision.UNCLEAR
README = Path(__file__).resolve().parents[2] / "README.md"


# --- the examples the issue reproduced (each approved before) -------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("このままでは承認\nできません。", S),
        ("承認、できません。", S),
        ("承認，いたしかねます。", S),
        ("承認\nしません", S),
        ("承認\nしかねます", S),
        ("承認\nちょっと待ってください", U),
        ("承認\n？", U),
        ("承認（うそです）", U),
    ],
)
def test_issue_examples_never_approve(text: str, want: Decision) -> None:
    assert decide(text) == want


def test_plain_approval_with_a_comment_still_approves() -> None:
    assert decide("承認します。写真はこのままで大丈夫です。") == A
    assert decide("お疲れ様です。\n内容を確認しました。承認いたします。") == A
    assert decide("承認します。\n\n写真はこのままで大丈夫です。") == A


# --- the class, broadly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # polite and plain approvals
        ("承認させていただきます。", A),
        ("承認と致します", A),
        ("承認でございます", A),
        ("承認で差し支えございません。", A),
        ("承認で構いません", A),
        ("承認します、よろしくお願いいたします。", A),
        ("承認します👍", A),
        ("承認します🙇\u200d♂️", A),
        ("承認！！", A),
        ("【承認】", A),
        ("承認 します", A),
        ("承\n認します", A),  # a wrap inside the word
        ("承認しま\nす。", A),
        ("すみません、遅くなりました。承認します。", A),
        ("問題ないので承認します", A),
        ("承認しましたので公開してください", A),
        ("内容に問題はありません。承認します。", A),
        # refusals in every spelling
        ("承認出来ません", S),
        ("承認できかねます", S),
        ("承認致しかねます", S),
        ("承認は致しかねます", S),
        ("承認はできません", S),
        ("承認　できません", S),
        ("承認\u200bできません", S),
        ("承認は無理です", S),
        ("承認はムリです", S),
        ("承認はダメです", S),
        ("承認NGです", S),
        ("承認不可", S),
        ("不承認", S),
        ("非承認とします", S),
        ("承認しないでください", S),
        ("承認ではありません", S),
        ("承認、しません。", S),
        # hedges, holds, questions, conditions, retractions: ask again
        ("未承認です", U),
        ("仮承認とします", U),
        ("条件付き承認です", U),
        ("承認済みです", U),
        ("承認済みではない", S),
        ("承認は保留します", U),
        ("承認は検討中です", U),
        ("承認するかどうか検討中です", U),
        ("承認したいところですが", U),
        ("承認したいところですが、写真が気になります", U),
        ("承認はします", U),
        ("承認？", U),
        ("承認でしょうか", U),
        ("承認ですよね", U),
        ("承認かも", U),
        ("承認🙅", U),
        ("承認👎", U),
        ("承認（笑）", U),
        ("承認します（冗談です）", U),
        ("承認します。うそです。", U),
        ("承認します。やっぱりやめます。", U),
        ("承認します。撤回します。", U),
        ("承認します。ちょっと待ってください。", U),
        ("承認します。少々お待ちください。", U),
        ("承認します。ただし日付は直してください。", U),
        ("承認します。でも写真が少し暗いです。", U),
        ("承認します。写真を差し替えてください。", U),
        ("承認します。掲載はしないでください。", U),
        ("承認します。テスト投稿ではないですよね？", U),
        ("承認します。", A),
        ("承認。できません。", U),
        ("承認。ではありません。", U),
        ("日付を直したら承認します", U),
        ("修正すれば承認", U),
        ("写真が差し替えられるなら承認", U),
        ("明日承認します", U),
        ("とりあえず承認します", U),
        ("まだ承認しません", S),
        ("課長承認です", U),
        ("課長の承認です", U),
        ("承認の件、了解しました", U),
        ("承認します\n課長に相談します", U),
        ("承認\n山田", U),
        ("承認します。何か問題があれば連絡します。", U),
    ],
)
def test_grammar_class(text: str, want: Decision) -> None:
    assert decide(text) == want, read_grammar(text)


# --- audit of session 5: a refusal, joke, hedge or condition in a LATER sentence --------
# (each of these approved on 2026-11-27's main; a hostile colleague's variants of class 1)


@pytest.mark.parametrize(
    "text",
    [
        "承認します。反対です",
        "承認します。投稿は控えてください",
        "承認します。……わけがない",
        "承認します。はずがないです",
        "承認します。笑",
        "承認。笑\n山田",
        "承認します（笑）",
        "承認します。反対します",
        "承認します。投稿は差し控えてください",
        "承認します。別件でした",
        "承認します。w",
        "承認します www",
        "承認します。なんちゃって",
        "承認します。エイプリルフールです",
        "承認します。間違いでした",
        "承認します。送り間違いです",
        "承認します。間違えました",
        "承認します。別件でした",
        "承認します。宛先違いです",
        "承認します。(仮)",
        "承認します。仮です",
        "承認します。暫定です",
        "承認します。一応です",
        "一応承認します",
        "承認します。たぶん",
        "承認します。おそらく",
        "承認します。否認します",
        "承認します。いいえ",
        "承認します。いや、待って",
        "いいえ、承認します",
        "承認します。ノー",
        "承認します。NO",
        "承認します。no",
        "承認します。not really",
        "承認します。jk",
        "承認します。ナシで",
        "承認します。念のため課長にも確認します",
        "承認します。\n課長確認後に公開してください",
        "承認します\n\n他の方の判断に従います",
        "承認します\n\n課長にお任せします",
    ],
)
def test_a_later_refusal_joke_hedge_or_condition_stops_the_approval(text: str) -> None:
    assert decide(text) != A, read_grammar(text)
    assert read_reply(text).decision != A, text


@pytest.mark.parametrize(
    "text",
    [
        "承認…",
        "承認……",
        "承認...",
        "承認です…。",
        "承認、、、",
        "承認します。。。",
        "承認・・・",
        "承認‥",
        "承認します…\n山田",
    ],
)
def test_an_approval_that_trails_off_asks_again(text: str) -> None:
    """承認… / 承認、、、: the reviewer trails off; not a clear approval."""
    assert decide(text) != A, read_grammar(text)
    assert read_reply(text).decision != A, text


@pytest.mark.parametrize(
    "text",
    [
        # a condition on its own line below the approval looks like a signature line
        # (課長 …, ※…): it is the reviewer's words and must never be cut away
        "承認します\n課長確認後",
        "承認します\n※課長確認後",
        "承認します\n\n課長が承認すれば",
        "承認します\n\n課長OK後",
        "承認\n係長確認次第",
    ],
)
def test_signature_cut_never_drops_a_condition(text: str) -> None:
    assert read_reply(text).decision != A, read_reply(text)


@pytest.mark.parametrize(
    "text",
    [  # a P.S. or an afterthought below a signature delimiter is still the reviewer's words
        "承認します\n\n-- \n総務課 山田\n\n追伸: やっぱり写真は差し替えてください",
        "承認します\n――――――\nやっぱりできません",
        "承認します\n\n-----\nただし日付は直してください",
        "承認します\n\niPhoneから送信\n\nすみません、取り消します",
        "承認します\n\n＿＿＿＿＿＿＿＿\n冗談です",
        "承認\n--\nできません",
        "承認します\n\n-- \n山田\n差し戻します",
        "承認します\n\n-- \n山田\n課長確認後に公開",
    ],
)
def test_words_below_a_signature_delimiter_still_count(text: str) -> None:
    assert read_reply(text).decision != A, read_reply(text)


@pytest.mark.parametrize(
    "text",
    [  # what the later-sentence rules must not catch
        "遅くなり失礼しました。承認します。",
        "内容確認しました。承認します。",
        "承認します。写真も問題なしです。",
        "承認します。日付も確認済みです。",
        "承認します。\n\n総務課 後藤",
        "承認します。\n\n課長補佐 山田\n内線 123",
        "お疲れ様です。承認します。よろしくお願いします。",
        "承認します。Thank you.",
        "内容に間違いはありません。承認します。",
        "間違いないです。承認します。",
        "仮設トイレの場所も確認しました。承認します。",
        "承認します。掲載の時刻はお任せします。",
        "指針に従って確認しました。承認します。",
        "子どもたちの笑顔が良いですね。承認します。",
        "承認します。笑顔が素敵な写真です。",
        "別件ですが、来週の件もよろしくお願いします。承認します。",
        "駐車場は反対側ですが問題ありません。承認します。",
        "控え室の場所も確認済みです。承認します。",
        "修正後の文面で問題ありません。承認します。",
        "承認します。\n\n-- \n総務課 広報係 山田\nTEL 0266-41-1111（内線 123）",
        "承認します\n\niPhoneから送信",
    ],
)
def test_ordinary_approvals_still_approve(text: str) -> None:
    assert read_reply(text).decision == A, read_grammar(text)


def test_signature_cut_never_drops_a_hedge() -> None:
    # 課長に相談します looks like a title line (課長 …); it is the reviewer's words.
    reply = "承認\n課長に相談します\n\n-----Original Message-----\nFrom: x\n\n承認する場合は"
    assert read_reply(reply).decision == U


# --- hard wraps -------------------------------------------------------------------------


def display_width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def hard_wrap(text: str, column: int, kinsoku: bool = False) -> str:
    """Wrap as Outlook and other clients do for plain text: at a display column, anywhere
    inside Japanese; with `kinsoku`, never before 、。 (the mark stays on the line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, width = "", 0
        for ch in paragraph:
            w = display_width(ch)
            if width + w > column and line and not (kinsoku and ch in "、。，．？！」）"):
                lines.append(line)
                line, width = "", 0
            line += ch
            width += w
        lines.append(line)
    return "\n".join(lines)


def test_join_wrapped_keeps_paragraphs() -> None:
    assert join_wrapped("承認\nできません\n\nよろしく\nお願いします") == [
        "承認できません",
        "よろしくお願いします",
    ]
    assert join_wrapped("looks\ngood") == ["looks good"]


APPROVALS = ["承認", "承認します", "承認いたします", "承認致します", "承認です", "承認とします",
             "承認させていただきます", "承認で"]  # fmt: skip
SEPARATORS = ["\n", "\r\n", "、", "，", ",", " ", "　", "", "\n\n"[:1], " \n"]
REFUSALS = [
    "できません", "出来ません", "しかねます", "しません", "いたしません", "致しかねます",
    "いたしかねます", "できかねます", "は無理です", "はムリ", "はダメです", "待ってください",
    "ちょっと待って", "お待ちください", "？", "?", "うそです", "（うそです）", "(嘘)", "冗談です",
    "保留で", "保留します", "検討中です", "ですか？", "するかどうか", "したいところですが",
    "ただし日付は直してください", "なら", "したら", "すれば", "は無しで", "取り消します", "不可",
    "NG", "🙅", "ではありません", "しないでください", "撤回します",
    # session 5 audit: other hedge / refusal endings, widths and later sentences
    "は保留します", "?（確認中）", "？(確認中)", "できかねます", "はﾑﾘです", "はＮＧです",
    "は見送ります", "は差し控えます", "。反対です", "。投稿は控えてください",
    "。……わけがない", "。笑", "。なんちゃって", "。間違いでした", "\n\n課長確認後に公開",
    "\n課長確認後", "。一応です", "。(仮)", "。いいえ", "。NO",
]  # fmt: skip
LEADS = [
    "",
    "お疲れ様です。総務課の山田です。内容を拝見しましたが、このままでは",
    "確認しました。写真の人物の同意が取れていないため、",
    "防災訓練のお知らせの件、日付と集合場所を確認いたしました。",
]
TAILS = ["", "。", "。よろしくお願いします。", "\n山田", "。\n写真の件は別途ご連絡します。"]


def _outlook_reply(body: str) -> str:
    return (
        f"{body}\n\n-----Original Message-----\n差出人: SNS確認ゲートウェイ <sns-check@town.example.jp>\n"
        "送信日時: 2026年11月24日 9:00\n宛先: 山田 <kacho@town.example.jp>\n件名: [承認依頼 D-000042]\n\n"
        "承認する場合は「承認」、差し戻す場合は「差戻し」と理由を書いて返信してください。\n"
    )


@settings(max_examples=600, deadline=None)
@given(
    p=st.sampled_from(APPROVALS),
    s=st.sampled_from(SEPARATORS),
    r=st.sampled_from(REFUSALS),
    lead=st.sampled_from(LEADS),
    tail=st.sampled_from(TAILS),
    column=st.one_of(st.none(), st.integers(20, 80)),
    kinsoku=st.booleans(),
)
def test_approval_then_refusal_is_never_an_approval(p, s, r, lead, tail, column, kinsoku) -> None:
    words = lead + p + s + r + tail
    if column is not None:
        words = hard_wrap(words, column, kinsoku)
    assert decide(words) != A, words
    assert read_reply(_outlook_reply(words)).decision != A, words


COMMENTS = ["写真はこのままで大丈夫です。", "よろしくお願いします。", "内容に問題はありません。",
            "日付も確認済みです。", ""]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    p=st.sampled_from(APPROVALS[1:]),  # 承認 / 承認で + a comment on the same line is unclear
    comment=st.sampled_from(COMMENTS),
    column=st.integers(20, 80),
    kinsoku=st.booleans(),
)
def test_plain_approval_with_comment_wrapped_anywhere_approves(p, comment, column, kinsoku) -> None:
    words = hard_wrap(f"{p}。{comment}", column, kinsoku)
    assert decide(words) == A, words
    assert read_reply(_outlook_reply(words)).decision == A, words


# --- the table in the README is the code's table -----------------------------------------


def test_readme_shows_the_grammar_table_the_code_reads() -> None:
    readme = README.read_text(encoding="utf-8")
    assert reply_grammar.readme_table() in readme, (
        "README grammar table differs: paste `python -m gateway.reply_grammar`"
    )


def test_every_table_example_reads_as_its_row_says() -> None:
    for row in reply_grammar.ROWS:
        for example in row.examples:
            got = decide(example.replace("⏎", "\n"))
            if row.result == reply_grammar.APPROVE:
                assert got == A, (row.what, example)
            else:
                assert got != A, (row.what, example)


@pytest.mark.parametrize(
    "words",
    [
        "お疲れ様です。総務課の山田です。内容を拝見しましたが、このままでは承認です,。N\nO",
        "承認します。N\nO",
        "承認します。\nno\nt yet",
        "承認します。ho\nld please",
        "承認します。wa\nit",
    ],
)
def test_an_english_refusal_split_by_a_hard_wrap_still_stops_the_approval(words):
    """join_wrapped puts a space between Latin letters across a wrap (N⏎O reads N O); the
    lines are read joined without one as well (found by audit11's hypothesis run)."""
    assert decide(words) != A
    assert read_reply(_outlook_reply(words)).decision != A


@pytest.mark.parametrize("words", ["承認します。Thank\nyou", "承認します。I\nknow the schedule."])
def test_english_words_across_a_wrap_that_refuse_nothing_still_approve(words):
    assert decide(words) == A
