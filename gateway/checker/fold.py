"""Spelling-folded text, for abuse words written to slip past a word list.

People who write 死ね in a comment also write しね, シネ, ｼﾈ, 死 ね, 死​ね (a zero-width
space), バ〇カ or ク●ソ. The `spelled` words of a lexicon rule are matched on a folded copy
of the draft: NFKC (half-width kana, full-width letters), invisible characters and
direction controls removed, spaces between Japanese letters removed, any 伏字 mark
(○〇●＊× …) as 〇. Each word is looked for in hiragana and in katakana, with a mark put
between two of its letters, and with a mark in place of one letter (not the first) when
it has three or more. The words form one trie
of literals, so `re` finds candidate positions by their first letter in C; the text
itself is copied only when it has something to take out. Offsets map back to the text.

Own code rather than a library: the folding is a few str.translate tables and two
regexes; what is folded, and where a word may sit, are policy decisions of this checker.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "〇"  # every 伏字 mark is folded to this one
_MASKS = "○〇●◯◎＊*×✕✖☓■□◆◇△▲"
# zero-width characters, bidi controls and marks, word joiner, BOM, soft hyphen
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
    "\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufe0e\ufe0f\ufeff\uffa0"
)
# words are written folded (katakana as hiragana, any mask as MASK); the regexes match
# either kana and any mask, so the draft's text itself needs no translation
_FOLD = str.maketrans(
    {
        **{chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)},  # ァ..ヶ -> ぁ..ゖ
        **{m: MASK for m in _MASKS},
        **{z: None for z in _INVISIBLE},
    }
)
_JA = "\u3041-\u309f\u30a1-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
_HIDDEN = re.compile(f"[{_INVISIBLE}]")
_MASK_ONLY = str.maketrans(dict.fromkeys(_MASKS, MASK))
_SPACED_JA = re.compile(f"(?<=[{_JA}])( {{1,2}})(?=[{_JA}])")


def has_mask(text: str) -> bool:
    return any(m in text for m in _MASKS)


def fold_word(word: str) -> str:
    """A rule's word as it is looked for in folded text."""
    import unicodedata

    return unicodedata.normalize("NFKC", word).translate(_FOLD)


class Folded:
    """A draft's NFKC text without invisible characters and spaces inside Japanese words;
    `norm_span` maps back to the NFKC text."""

    __slots__ = ("_map", "text")

    def __init__(self, norm: str) -> None:
        masked = has_mask(norm)
        if _HIDDEN.search(norm) is None and (" " not in norm or not _SPACED_JA.search(norm)):
            self.text = norm.translate(_MASK_ONLY) if masked else norm  # usually: as it is
            self._map: list[int] | None = None
            return
        keep = [True] * len(norm)
        for i, ch in enumerate(norm):
            if ch in _INVISIBLE:
                keep[i] = False
        # spaced-out words: バ カ, し ね, ク ソ 野 郎 (spaces between Japanese letters go;
        # where a word may sit is still judged on the text with its spaces, inside_word)
        visible = "".join(ch if k else "" for ch, k in zip(norm, keep, strict=True))
        vis_idx = [i for i, k in enumerate(keep) if k]
        for m in _SPACED_JA.finditer(visible):
            for k in range(m.start(1), m.end(1)):
                keep[vis_idx[k]] = False
        self._map = [i for i, k in enumerate(keep) if k]
        self._map.append(len(norm))
        self.text = "".join(norm[i] for i in self._map[:-1])
        if masked:
            self.text = self.text.translate(_MASK_ONLY)

    def norm_offset(self, i: int) -> int:
        return i if self._map is None else self._map[i]

    def norm_span(self, start: int, end: int) -> tuple[int, int]:
        if self._map is None:
            return start, end
        return self._map[start], self._map[end - 1] + 1 if end > start else self._map[start]


# --- where a word may sit: not inside a longer katakana or kanji word ---

HIRA, KATA, KANJI, OTHER = 1, 2, 3, 0


def script(ch: str) -> int:
    o = ord(ch)
    if 0x3041 <= o <= 0x309F:
        return HIRA
    if 0x30A1 <= o <= 0x30FF or 0xFF66 <= o <= 0xFF9F or o == 0x30FC:
        return KATA if o != 0x30FB else OTHER  # ・ separates words
    if 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF or o in (0x3005, 0x3006):
        return KANJI
    return OTHER


_WORD_SCRIPTS = (KATA, KANJI)
# after a hiragana ending, these may follow a word without making it a longer one
# (死ねよ, バカね, しねー); anything else (死ねば, ばかり, 殺せる) continues the word
_TAIL_OK = frozenset("よやぞぜわなねさっーぇぁ～〜")
# before a hiragana start, a particle ends the previous word (お前らしね, このばか)
_HEAD_OK = frozenset("はがをのらとよねなでて")


def inside_word(text: str, start: int, end: int, compound: str, strict_kana: bool) -> bool:
    """Whether text[start:end] is part of a longer word.

    Katakana and kanji run together into compounds (フォークソング, 南シナ海, 親バカ): a
    neighbour of either script makes a katakana or kanji edge part of a compound.
    `strict_kana` also treats a hiragana neighbour of a hiragana edge as one word
    (ばかり, ですしね), for matches on raw text that Sudachi did not segment.
    `compound`: "none", "prefix" (may start a compound: クソ野郎), "suffix" (may end
    one: 在日チョン) or "any".
    """
    if compound == "any" or end <= start:
        return False
    if compound != "suffix" and start > 0:
        edge, nb = script(text[start]), script(text[start - 1])
        if edge in _WORD_SCRIPTS and nb in _WORD_SCRIPTS:
            return True
        if strict_kana and edge == HIRA and nb == HIRA and text[start - 1] not in _HEAD_OK:
            return True
    if compound != "prefix" and end < len(text):
        edge, nb = script(text[end - 1]), script(text[end])
        if edge in _WORD_SCRIPTS and nb in _WORD_SCRIPTS:
            return True
        if strict_kana and edge == HIRA and nb in (HIRA, KATA) and text[end] not in _TAIL_OK:
            return True
    return False


# --- many words as one regex ---


def trie_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for folded words, as a trie (shared prefixes tested once), with their
    katakana and 伏字 spellings (see the module docstring)."""
    variants: set[str] = set()
    for w in words:
        if not w:
            continue
        for v in (w, w.translate(_TO_KATA)):
            variants.add(v)
            for k in range(1, len(v)):
                variants.add(v[:k] + MASK + v[k:])  # a mark put in: 死〇ね, バ●カ
                if len(v) >= 3 and v[k] != MASK:
                    variants.add(v[:k] + MASK + v[k + 1 :])  # a mark for a letter: ば〇やろう
    if not variants:
        return None
    trie: dict = {}
    for v in variants:
        node = trie
        for ch in v:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_node_regex(trie))


_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})


def _node_regex(node: dict) -> str:
    alts = []
    end = "" in node
    for ch in sorted(k for k in node if k):
        alts.append(re.escape(ch) + _node_regex(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if end:  # a word ends here and a longer one may go on: prefer the longer
        return "(?:" + body + ")?"
    return body
