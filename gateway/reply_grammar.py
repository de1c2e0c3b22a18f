"""The reviewer decision grammar as data: what approves, what sends back, what asks again.

The README's grammar table is rendered from `ROWS` (`python -m gateway.reply_grammar`
prints it, and a test checks the README shows exactly that), so the documentation and
the code cannot drift apart. `gateway.replies` reads these rows; it adds no forms of its
own. Texts are compared after NFKC, with invisible characters removed and, inside
Japanese, without white space (hard-wrapped lines are joined before reading).

Safety rests on one property: an approval is a *closed list*. 承認 approves only when
the whole rest of its sentence is one of the approving endings below; anything else
after it (a negation, a question, a hedge, a retraction, an unknown word) is never an
approval, and a blocker anywhere in the reviewer's words stops every approval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPROVE, SEND_BACK, UNCLEAR = "approve", "send_back", "unclear"


@dataclass(frozen=True)
class Row:
    """One line of the grammar table."""

    result: str  # APPROVE | SEND_BACK | UNCLEAR (what the row leads to)
    where: str  # where in the reviewer's words the form counts (Japanese, for the README)
    what: str  # what the row is (Japanese, for the README)
    forms: tuple[str, ...] = ()  # literal forms (NFKC, no spaces), matched as written
    rule: str = ""  # a rule the code applies by name (token-based), when forms cannot say it
    examples: tuple[str, ...] = ()


# --- the anchors ----------------------------------------------------------------------

APPROVAL_WORDS = ("承認",)
SEND_BACK_WORDS = ("差し戻", "差戻", "さしもど", "サシモド", "却下", "不承認", "非承認")

# Endings that, as the WHOLE rest of the sentence after 承認, make it an approval.
VERB_ENDINGS = (
    "します", "いたします", "致します", "しました", "いたしました", "致しました", "する", "した",
    "です", "でございます", "申し上げます", "にします",
    "とします", "といたします", "と致します", "としました", "といたしました", "と致しました",
    "とさせていただきます", "とさせて頂きます", "とさせていただきました", "とさせて頂きました",
    "させていただきます", "させて頂きます", "させていただきました", "させて頂きました",
    "でお願いします", "でお願いいたします", "でお願い致します",
    "で問題ありません", "で問題ございません", "で問題ないです", "で問題なし",
    "で差し支えありません", "で差し支えございません",
    "して差し支えありません", "して差し支えございません",
    "して問題ありません", "して問題ございません",
    "で結構です", "で大丈夫です", "でOKです", "で構いません", "でかまいません",
)  # fmt: skip
BARE_ENDINGS = ("", "で")  # 承認 / 承認で (no closing greeting may follow these)
CLOSINGS = (
    "よろしくお願いします", "よろしくお願いいたします", "よろしくお願い致します",
    "よろしくお願い申し上げます", "宜しくお願いします", "宜しくお願いいたします",
    "宜しくお願い致します", "以上です", "以上", "ありがとうございます", "ありがとうございました",
    "お疲れ様です", "お疲れさまです",
)  # fmt: skip
# After a finished ending, "so please go ahead": 承認しましたので公開してください.
GO_AHEAD = (
    "ので公開してください", "ので公開をお願いします", "ので投稿してください", "ので投稿をお願いします",
    "ので進めてください", "ので掲載してください", "ので掲載をお願いします",
)  # fmt: skip
# What may close a sentence without changing it: punctuation, long marks and a few
# emoji that only agree (👍 🙆 ⭕ ✅ ✔ 👌 🙏 🙇 😊 ☺ ✨). Skin tones, ZWJ and variation
# selectors are part of an emoji.
END_MARKS = "。.!~〜ー♪"
AGREEING_EMOJI = "👍🙆⭕✅✔👌🙏🙇😊☺✨"
EMOJI_MODIFIERS = "\u200d\ufe0f\ufe0e\u2640\u2642\U0001f3fb\U0001f3fc\U0001f3fd\U0001f3fe\U0001f3ff"
OPEN_BRACKETS = "「『【[(<〈《〔"
CLOSE_BRACKETS = "」』】])>〉》〕"

# After 承認, a reviewer trailing off (NFKC makes … into ...): not a clear approval.
TRAILING_OFF = ("…", "‥", "..", "。。", "、、", ",,", "・・")

# Right before 承認 (joined to it as one word).
NEGATING_PREFIXES = ("不", "非")  # 不承認 / 非承認: a send-back
HEDGING_PREFIXES = ("未", "仮", "再", "条件付き", "条件付", "一部", "部分", "事前", "暫定")

# Words a sentence may start with that continue the sentence before (……わけがない).
CONTINUATION_STARTS = ("わけ", "訳", "はず", "筈")
# English words that refuse, hold or joke, matched as whole words (case-insensitive).
ASCII_WORDS = ("no", "nope", "not", "ng", "never", "don't", "dont", "wait", "hold", "reject",
               "cancel", "stop", "jk", "lol", "kidding", "joke", "w", "ww", "www")  # fmt: skip
# A check or fix by someone else that the approval waits for (課長確認後, 修正後).
# (Not 修正後 / 変更後: 修正後の文面で問題ありません speaks of the version being approved.)
AFTER_NOUNS = ("確認", "了承", "決裁", "判断", "許可", "返事", "返答", "回答", "連絡", "相談",
               "OK", "了解")  # fmt: skip
AFTER_WORDS = ("後", "あと", "以降")

ROWS: tuple[Row, ...] = (
    Row(APPROVE, "承認 の後、文の終わりまで全部", "承認のあとに続けてよい語尾（これ以外が続けば承認になりません）",
        forms=BARE_ENDINGS[1:] + VERB_ENDINGS,
        examples=("承認", "承認します", "承認いたします。", "承認です！", "承認で問題ありません")),
    Row(APPROVE, "上の語尾（「承認」「承認で」を除く）の後", "続けてよいあいさつ（、や空白で区切っても可）",
        forms=CLOSINGS + GO_AHEAD,
        examples=("承認します、よろしくお願いします", "承認しましたので公開してください")),
    Row(APPROVE, "文の終わり", "句読点・のばし棒・同意の絵文字・かっこ閉じ",
        forms=tuple(END_MARKS) + tuple(AGREEING_EMOJI) + tuple(CLOSE_BRACKETS),
        examples=("承認！！", "「承認」", "承認します👍")),
    Row(UNCLEAR, "承認 の後", "言いよどみ（…、‥、。。、、、、・・）", forms=TRAILING_OFF,
        rule="trailing_off", examples=("承認…", "承認、、、", "承認です。。。")),
    Row(SEND_BACK, "どこでも", "差戻しの語（打ち消されていないもの）", forms=SEND_BACK_WORDS,
        examples=("差戻し", "差し戻します。日付が違います", "却下")),
    Row(SEND_BACK, "承認 の直前", "打ち消しの接頭辞", forms=NEGATING_PREFIXES,
        examples=("不承認", "非承認です")),
    Row(SEND_BACK, "承認 の後（同じ文、次の接続助詞まで）", "打ち消し・拒否",
        forms=("ない", "ません", "ず", "かねます", "かねる", "無理", "ムリ", "駄目", "だめ", "ダメ",
               "不可", "NG", "難しい", "厳しい", "見送"),
        rule="tail_negation",
        examples=("承認できません", "承認、できません", "このままでは承認⏎できません。",
                  "承認，いたしかねます。", "承認⏎しません", "承認は無理です", "承認不可")),
    Row(UNCLEAR, "承認 の直前", "保留・条件つきの接頭辞", forms=HEDGING_PREFIXES,
        examples=("未承認", "仮承認です", "条件付き承認")),
    Row(UNCLEAR, "承認 より前（同じ文）", "条件・先送り（〜ば、〜たら、〜なら、〜場合、次第、前提、まだ、明日、とりあえず …）",
        rule="before_condition",
        examples=("修正すれば承認します", "問題なければ承認とします", "明日承認します")),
    Row(UNCLEAR, "承認 の直前", "「の」（だれかの承認の話）", forms=("の",),
        examples=("課長の承認をお願いします",)),
    Row(UNCLEAR, "承認 の後", "上の語尾以外のすべて（名詞・質問・依頼・かっこ書き・知らない語）",
        rule="tail_not_listed",
        examples=("承認しますか？", "承認⏎？", "承認（うそです）", "承認済みです", "承認は保留します",
                  "承認するかどうか検討中です", "承認したいところですが", "承認、よろしくお願いします",
                  "承認しますが、日付だけ直してください")),
    Row(UNCLEAR, "どこでも（承認を止める）", "質問", forms=("?",), rule="question_ending",
        examples=("承認します。テスト投稿ではないですよね？",)),
    Row(UNCLEAR, "どこでも（承認を止める）", "保留・先送り",
        forms=("待って", "待ち", "まって", "保留", "ペンディング", "検討", "相談", "確認中", "様子見",
               "見合わせ", "見送", "一旦", "いったん", "後ほど", "のちほど", "後で", "あとで",
               "改めて", "あらためて", "追って", "再確認", "もう少し", "しばらく", "少々",
               "仮です", "仮で", "仮に", "仮とし", "(仮)", "暫定", "一応", "たぶん", "多分", "おそらく",
               "恐らく", "確認します", "確認いたします", "確認致します", "にお任せ", "に任せ",
               "判断をお任せ", "判断はお任せ", "判断に従", "意見に従"),
        examples=("承認⏎ちょっと待ってください", "承認します。少々お待ちください",
                  "承認します。一応です", "承認します。念のため課長にも確認します")),
    Row(UNCLEAR, "どこでも（承認を止める）", "取り消し・冗談",
        forms=("うそ", "嘘", "ウソ", "冗談", "じょうだん", "撤回", "取り消", "取消", "とりけし",
               "キャンセル", "取り下げ", "やっぱり", "やっぱ", "やはり", "間違え", "間違いでした", "間違いです", "送り間違い", "間違って",
               "誤りでした", "誤りです", "誤送信", "訂正", "無効", "はなしで", "は無しで", "なしにして", "無しにして",
               "ナシで", "忘れて", "わすれて", "やめ", "止めて", "止めます", "(笑)", "なんちゃって",
               "エイプリルフール", "別件でした", "宛先違い", "人違い", "いいえ"),
        rule="joke_ending",
        examples=("承認します（うそです）", "承認します。やっぱりやめます", "承認します。笑",
                  "承認します。間違いでした")),
    Row(UNCLEAR, "どこでも（承認を止める）", "ただし書き・逆接の文頭",
        forms=("ただし", "但し", "条件", "前提", "次第"), rule="adversative_start",
        examples=("承認します。ただし日付は直してください", "承認します。でも写真が心配です")),
    Row(UNCLEAR, "どこでも（承認を止める）", "打ち消し・拒否（問題ありません・差し支えありません・構いません等は除く）",
        forms=("無理", "ムリ", "むり", "駄目", "だめ", "ダメ", "NG", "不可", "難しい", "むずかしい",
               "厳しい", "きびしい", "不適", "不十分", "不備", "問題があ", "問題あり。", "いけません",
               "反対です", "反対します", "反対いたします", "反対致します", "反対で", "に反対",
               "拒否", "お断り", "辞退", "控えて", "控えます", "控えさせ", "控えたい", "差し控",
               "否認", "否決", "わけがな", "訳がな",
               "はずがな", "筈がな"),
        rule="verb_negation",
        examples=("承認。できません。", "承認します。掲載はしないでください", "承認⏎いたしかねます",
                  "承認します。反対です", "承認します。投稿は控えてください")),
    Row(UNCLEAR, "どこでも（承認を止める）", "修正の依頼（修正・直す・変更・差し替え … ＋ ください・お願い …）",
        rule="change_request", examples=("承認します。写真を差し替えてください",)),
    Row(UNCLEAR, "どこでも（承認を止める）", "前の文の続き（助詞・助動詞・わけ・はずで始まる文）",
        forms=CONTINUATION_STARTS, rule="continuation_start",
        examples=("承認。ではありません", "承認します。……わけがない")),
    Row(UNCLEAR, "どこでも（承認を止める）", "いいえ・いや・ノーで始まる文", rule="refusal_start",
        examples=("承認します。いや、待って", "承認します。ノー")),
    Row(UNCLEAR, "どこでも（承認を止める）", "ほかの人の確認や修正の後（〜確認後、〜修正後、〜OK後 …）",
        rule="condition_after", examples=("承認します。⏎課長確認後に公開してください",)),
    Row(UNCLEAR, "どこでも（承認を止める）", "英語の打ち消し・保留・冗談（単語として）",
        forms=ASCII_WORDS, rule="ascii_words", examples=("承認します。NO", "承認します w")),
    Row(UNCLEAR, "どこでも（承認を止める）", "否定・疑問の絵文字",
        forms=("❌", "✖", "×", "🙅", "👎", "🚫", "⛔", "🤔", "💦", "😓", "😥"),
        examples=("承認🙅",)),
    Row(UNCLEAR, "全体", "承認も差戻しもない、承認と差戻しの両方がある、HTML とテキストで判定が違う",
        examples=("OK", "了解しました", "承認します。やはり差し戻します。")),
)  # fmt: skip

# Verbs for the change-request rule, and the request forms that make them a request.
CHANGE_WORDS = (
    "修正", "直し", "直す", "直して", "なおして", "訂正", "変更", "差し替え", "差替", "差しかえ",
    "書き換え", "書きかえ", "削除", "追加", "入れ替え", "消して",
)  # fmt: skip
REQUEST_WORDS = (
    "ください", "下さい", "お願い", "ほしい", "欲しい", "願います", "いただけ", "頂け", "もらえ",
    "くれ", "たい",
)  # fmt: skip
# Sentence-initial conjunctions that qualify what came before.
ADVERSATIVE_STARTS = (
    "でも",
    "しかし",
    "けれど",
    "けど",
    "だけど",
    "だが",
    "ですが",
    "とはいえ",
    "ただ",
)
# Conditions / deferrals in the words before 承認 (Sudachi normalized forms or surfaces).
BEFORE_CONDITION_SURFACES = ("ば", "れば", "たら", "だら", "なら", "ならば", "ても", "でも")
BEFORE_CONDITION_WORDS = (
    "場合", "次第", "前提", "条件", "限り", "後", "明日", "明後日", "来週", "来月", "後日", "今度",
    "まだ", "未だ", "一旦", "仮", "取り敢えず", "後程", "後で", "今後",
)  # fmt: skip
# Negated verbs that say "no problem": 問題ありません, 差し支えございません, 構いません.
HARMLESS_NEGATED_VERBS = ("有る", "御座る", "構う", "差し支える")


def _alternation(forms: tuple[str, ...]) -> str:
    return "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))


def rows_with(result: str, where_prefix: str) -> tuple[Row, ...]:
    return tuple(r for r in ROWS if r.result == result and r.where.startswith(where_prefix))


def blocker_forms() -> tuple[str, ...]:
    """Every literal form that stops an approval wherever it stands."""
    forms: list[str] = []
    for row in ROWS:
        # whole-word and sentence-start forms are read by their own rules, not as substrings
        if row.rule in ("ascii_words", "continuation_start"):
            continue
        if row.result == UNCLEAR and row.where.startswith("どこでも"):
            forms.extend(row.forms)
    return tuple(forms)


_tail_body = f"(?:{_alternation(VERB_ENDINGS)})(?:[、,]?(?:{_alternation(CLOSINGS + GO_AHEAD)}))*"
_marks = (
    "[" + re.escape(END_MARKS + AGREEING_EMOJI + EMOJI_MODIFIERS + CLOSE_BRACKETS + "、,") + "]*"
)
# The whole rest of a sentence after 承認 that makes it an approval.
APPROVING_TAIL_RE = re.compile(
    rf"[{re.escape(CLOSE_BRACKETS)}]*(?:{_tail_body}|{_alternation(BARE_ENDINGS[1:])}|){_marks}"
)
BLOCKER_RE = re.compile(_alternation(blocker_forms()))
TRAILING_OFF_RE = re.compile(_alternation(TRAILING_OFF))
ASCII_WORD_RE = re.compile(rf"(?<![a-z0-9'])(?:{_alternation(ASCII_WORDS)})(?![a-z0-9'])")
# 承認します。笑 / 承認。笑⏎山田 (a signature joins the line): 笑 ending a sentence or
# starting one, not the words it begins (笑顔, 笑い, 笑う, 笑み …)
JOKE_ENDING_RE = re.compile(r"笑+[。.!]*$|^笑+(?![顔みういえわっ話覧声])")
REFUSAL_START_RE = re.compile(r"^(?:いいえ|いや(?!ー)|ノー(?![ァ-ヺー]))")
CONDITION_AFTER_RE = re.compile(
    rf"(?:{_alternation(AFTER_NOUNS)})の?(?:{_alternation(AFTER_WORDS)})", re.IGNORECASE
)


def readme_table() -> str:
    """The grammar table as the README shows it (Markdown)."""
    out = [
        "| 判定 | どこで | 何が | 形 | 例 |",
        "|---|---|---|---|---|",
    ]
    label = {APPROVE: "承認", SEND_BACK: "差戻し", UNCLEAR: "確認し直し（unclear）"}
    for row in ROWS:
        forms = "、".join(f or "（なし）" for f in row.forms) if row.forms else ""
        if row.rule:
            forms = (forms + " " if forms else "") + f"（規則 `{row.rule}`）"
        examples = "、".join(f"「{e}」" for e in row.examples)
        cells = [label[row.result], row.where, row.what, forms, examples]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    print(readme_table())
