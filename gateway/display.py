"""How a post text is shown inside our mails, so a reviewer sees everything that is approved.

A mail client shows the post text between two marker lines. A post could otherwise fake
that frame: a line that looks like the end marker and a fake footer, then a long run of
blank lines and the real ending far below; or characters that show nothing at all (zero
width space, tag characters) or turn the text around (bidi controls). `visible_post`
turns all of that into visible notes in Japanese, in one linear pass:

- a line that looks like one of our marker lines, or like a signature separator (`-- `),
  is prefixed with 「（投稿文の一部）」, so it cannot pass for the mail's own frame;
- a run of three or more blank lines becomes one line 「（空行 45 行）」;
- a run of eight or more spaces inside a line becomes 「（空白 30 文字）」;
- an invisible or direction-changing character becomes 「（見えない文字 U+200B）」 (or
  「（文字の向きを変える制御文字 U+202E）」), a run of the same one 「（見えない文字 U+200B ×12）」.
  A joiner inside an emoji sequence and the tag characters of a flag emoji are left alone.

The exact text always travels as the attachment `post.txt`; this form is only what the
body shows. `gateway verify` recomputes it from `post.txt` and compares it with the body,
so the shown form is part of the format: change it only together with the record format.
We keep our own code here because no maintained library offers "make a text's hidden
parts visible for a reviewer"; the character classes come from `unicodedata`.
"""

from __future__ import annotations

import re
import unicodedata

POST_START = "――――― 投稿文 ここから ―――――"
POST_END = "――――― 投稿文 ここまで ―――――"
INSIDE_NOTE = "（投稿文の一部）"

BLANK_RUN_MIN = 3  # this many blank lines or more become one note
SPACE_RUN_MIN = 8  # this many spaces in a row inside a line become one note
FRAME_CORE_MAX = 16  # letters in a line that can still pass for a marker line

# Bidi controls: embeddings, overrides, isolates, marks.
_BIDI = frozenset([0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Characters that are letters or symbols by category but show as nothing.
_BLANK_GLYPHS = frozenset([0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E, 0x034F])
_ZWJ = 0x200D
_TAG_FIRST, _TAG_LAST, _CANCEL_TAG = 0xE0020, 0xE007E, 0xE007F
_BLACK_FLAG = 0x1F3F4
_VARIATION = frozenset([*range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])
_SKIN_TONES = range(0x1F3FB, 0x1F400)
# Emoji that may stand on either side of a joiner (an approximation of
# Extended_Pictographic that covers every emoji ZWJ sequence in Unicode 15).
_PICTOGRAPHIC = re.compile(
    "[\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194-\u21aa\u231a-\u23ff\u24c2\u25aa-\u27bf"
    "\u2934\u2935\u2b05-\u2b55\u3030\u303d\u3297\u3299\U0001f000-\U0001faff]"
)
# A line that names the post and its start or end, or that has a rule of dashes and one of
# these words, could pass for our marker lines.
# Katakana is read as hiragana (ｺｺﾏﾃﾞ, ココマデ are ここまで) and each word also as its
# reading (ﾄｳｺｳﾌﾞﾝ ｲｼﾞｮｳ), so a half-width line of dashes and kana passes for none of ours.
_POST_WORDS = ("投稿文", "投稿案", "本文", "とうこうぶん", "とうこうあん", "ほんぶん")
_EDGE_WORDS = (
    "ここまで", "ここから", "終わり", "おわり", "以上", "終了", "いじょう", "しゅうりょう",
)  # fmt: skip
_NAMED_EDGE_RE = re.compile(
    f"(?:{'|'.join(_POST_WORDS)}).{{0,4}}(?:{'|'.join(_EDGE_WORDS)})"
    f"|(?:ここまで|ここから).?(?:{'|'.join(_POST_WORDS)})"
)
_KATAKANA_TO_HIRAGANA = {cp: cp - 0x60 for cp in range(0x30A1, 0x30F7)}
_RULE_RE = re.compile("[\\-\u2010-\u2015\u2212\u30fc\uff0d\u2500-\u257f=＝_＿~〜～]{3}")


def is_invisible(ch: str) -> bool:
    """A character a reader cannot see (or that changes the order of what they see)."""
    cp = ord(ch)
    if ch in "\n\t":
        return False
    cat = unicodedata.category(ch)
    return (
        cat in ("Cf", "Cc", "Zl", "Zp", "Co", "Cs", "Cn") or cp in _BLANK_GLYPHS or cp in _VARIATION
    )


def _note_for(run: str) -> str:
    """One note for a run of invisible characters: which ones, and how many."""
    distinct = list(dict.fromkeys(run))
    bidi = any(ord(ch) in _BIDI for ch in distinct)
    what = "文字の向きを変える制御文字" if bidi else "見えない文字"
    codes = " ".join(f"U+{ord(ch):04X}" for ch in distinct[:3])
    if len(distinct) > 3:
        codes += " など"
    if len(run) == 1:
        return f"（{what} {codes}）"
    if len(distinct) == 1:
        return f"（{what} {codes} ×{len(run)}）"
    return f"（{what} {len(run)} 文字: {codes}）"


def _emoji_before(text: str, i: int) -> bool:
    """Whether the character before position i (skipping VS16 and skin tones) is an emoji."""
    j = i - 1
    while j >= 0 and i - j <= 3 and (ord(text[j]) in _VARIATION or ord(text[j]) in _SKIN_TONES):
        j -= 1
    return j >= 0 and _PICTOGRAPHIC.match(text[j]) is not None


def _legitimate_length(text: str, i: int) -> int:
    """How many invisible characters from i belong to what they follow (0 if none): a
    joiner between two emoji, one variation selector after a visible character, the tag
    characters of a subdivision flag (🏴 + tags + cancel tag)."""
    cp = ord(text[i])
    if cp == _ZWJ:
        between_emoji = (
            _emoji_before(text, i)
            and i + 1 < len(text)
            and _PICTOGRAPHIC.match(text[i + 1]) is not None
        )
        return 1 if between_emoji else 0
    if cp in _VARIATION:
        return 1 if i > 0 and not is_invisible(text[i - 1]) else 0
    if _TAG_FIRST <= cp <= _TAG_LAST and i > 0 and ord(text[i - 1]) == _BLACK_FLAG:
        j = i
        while j < len(text) and _TAG_FIRST <= ord(text[j]) <= _TAG_LAST and j - i < 8:
            j += 1
        if j < len(text) and ord(text[j]) == _CANCEL_TAG:
            return j + 1 - i
    return 0


def _visible_chars(line: str) -> str:
    """The line with invisible characters and long space runs turned into notes."""
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if is_invisible(ch):
            keep = _legitimate_length(line, i)
            if keep:
                out.append(line[i : i + keep])
                i += keep
                continue
            j = i + 1
            while j < n and is_invisible(line[j]) and not _legitimate_length(line, j):
                j += 1
            out.append(_note_for(line[i:j]))
            i = j
        elif ch.isspace():
            j = i + 1
            while j < n and line[j].isspace() and not is_invisible(line[j]):
                j += 1
            out.append(f"（空白 {j - i} 文字）" if j - i >= SPACE_RUN_MIN else line[i:j])
            i = j
        else:
            j = i + 1
            while j < n and not line[j].isspace() and not is_invisible(line[j]):
                j += 1
            out.append(line[i:j])
            i = j
    return "".join(out)


def looks_like_frame(line: str) -> bool:
    """A line a reader could take for our own marker lines or for a signature separator."""
    core = "".join(
        ch
        for ch in unicodedata.normalize("NFKC", line)
        if unicodedata.category(ch)[0] in "LN"  # letters and digits only
    ).translate(_KATAKANA_TO_HIRAGANA)
    if _NAMED_EDGE_RE.search(core):  # 「投稿文ここまで」 however long the line around it
        return True
    if len(core) > FRAME_CORE_MAX:  # a sentence of the post, not a marker line
        return False
    names_post = any(word in core for word in _POST_WORDS)
    names_edge = any(word in core for word in _EDGE_WORDS)
    if names_post and names_edge:
        return True
    if (names_post or names_edge) and _RULE_RE.search(unicodedata.normalize("NFKC", line)):
        return True
    stripped = "".join(ch for ch in line if not is_invisible(ch)).strip()
    return unicodedata.normalize("NFKC", stripped) in ("--", "-- ", "—", "--- ")


def _is_blank(line: str) -> bool:
    return all(ch.isspace() and not is_invisible(ch) for ch in line)


def visible_post(text: str) -> str:
    """The post text as our mails show it (see the module docstring). Linear in the text."""
    lines = text.split("\n")
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        if _is_blank(lines[i]):
            j = i + 1
            while j < n and _is_blank(lines[j]):
                j += 1
            if j - i >= BLANK_RUN_MIN:
                out.append(f"（空行 {j - i} 行）")
            else:
                out.extend("" for _ in range(j - i))
            i = j
            continue
        line = lines[i]
        shown = _visible_chars(line)
        if looks_like_frame(line):
            shown = INSIDE_NOTE + shown
        out.append(shown)
        i += 1
    return "\n".join(out)


def visible_line(text: str, one_line: bool = True) -> str:
    """Text from the post shown elsewhere in a mail (a diff line, a finding's excerpt or
    message): hidden characters as notes; line breaks as ⏎ so it stays one line, or kept."""
    lines = text.replace("\r\n", "\n").split("\n")
    return ("⏎" if one_line else "\n").join(_visible_chars(line) for line in lines)


def shown_lines(text: str) -> list[str]:
    """Lines as a mail body carries them: trailing spaces dropped (our renderer and many
    mail systems drop them), line ends normalised."""
    return [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]


def post_summary(text: str) -> str:
    """「12 行・340 文字」: the size of the exact text, so a reviewer can tell whether the
    shown text is all of it."""
    body = text[:-1] if text.endswith("\n") else text
    lines = body.count("\n") + 1 if body else 0
    return f"{lines} 行・{len(body)} 文字"
