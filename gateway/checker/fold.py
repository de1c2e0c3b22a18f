"""Spelling-folded text, for abuse words written to slip past a word list.

People who write 死ね in a comment also write しね, シネ, ｼﾈ, 死 ね, 死​ね (a zero-width
space), バ〇カ or ク●ソ. The `spelled` words of a lexicon rule are matched on a folded copy
of the draft: NFKC (half-width kana, full-width letters), invisible characters and
direction controls removed, spaces between Japanese letters removed, any 伏字 mark
(○〇●＊× …) as one. Each word is looked for in hiragana and in katakana, with a mark
put between two of its letters, and with a mark in place of one letter (not the first)
when it has three or more. A rule's spellings form one trie of literals (SpelledWords),
walked from where their first letters stand; the text itself is copied only when it has
something to take out. Offsets map back to the text.

Own code rather than a library: the folding is a few str.translate tables and two
regexes; what is folded, and where a word may sit, are policy decisions of this checker.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from functools import cache
from itertools import chain
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.checker.draft import Draft
    from gateway.checker.tokenizer import Columns

MASK = "〇"  # every 伏字 mark is folded to this one
# 伏字 marks, and separators put inside a word to break it up (バ・カ, 死.ね)
_MASKS = "○〇●◯◎＊*×✕✖☓■□◆◇△▲・._"
# zero-width characters, bidi controls and marks, word joiner, BOM, soft hyphen
_INVISIBLE = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068"
    "\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufe0e\ufe0f\ufeff\uffa0"
)
# a word's hiragana and katakana spellings, both looked for (the draft is not translated)
_TO_HIRA = str.maketrans({chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)})  # ァ..ヶ
_JA = "\u3041-\u309f\u30a1-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006"
_HIDDEN = re.compile(f"[{_INVISIBLE}]")
_MASK_RE = re.compile(f"[{re.escape(_MASKS)}]")
_MASK_ONLY = str.maketrans(dict.fromkeys(_MASKS, MASK))


@cache
def _spaced_ja() -> re.Pattern[str]:
    """Runs of one or two spaces between Japanese letters, in group 1 (compiled when a
    draft first has one: its classes cost ~3 ms to compile, on every start). The same as
    (?<=[JA])( {1,2})(?=[JA]), written to start with the space (the look-behind then
    looks back past it): `re` skips in C from one space to the next, where the
    look-behind first was tried at every position of the draft (~5 µs of a 140-character
    post with a space between two Japanese words)."""
    return re.compile(f"( (?<=[{_JA}] ) ?)(?=[{_JA}])")


def has_mask(text: str) -> bool:
    return _MASK_RE.search(text) is not None


def _one_mark(text: str) -> str:
    """The text with every 伏字 mark as MASK (same length: offsets do not move). A regex
    substitution, in C: str.translate looks each character up in a dict (~7 µs for a
    140-character post whose link has a dot, 25x a substitution)."""
    return _MASK_RE.sub(MASK, text)


# one or two spaces between two non-ASCII letters: where a Japanese word may be spaced
# out. The same as (?<=[^\x00-\x7f]) {1,2}(?=[^\x00-\x7f]), written to start with the
# space (the look-behind then looks back past it): `re` then skips in C from one space to
# the next, where a look-behind first tried the pattern at every position of the draft
_SPACED_NON_ASCII = re.compile(r" (?<=[^\x00-\x7f] ) ?(?=[^\x00-\x7f])")


def _spaced_japanese(text: str) -> bool:
    """Whether a run of one or two spaces stands between two Japanese letters (バ カ).
    Japanese letters are not ASCII: the spaces between two non-ASCII letters are found in
    C, and only they are asked their letters' script (a draft of many spaced links and
    words, `https://a.jp/ 死ね `, asked two letters per space in Python)."""
    if " " not in text:
        return False
    for m in _SPACED_NON_ASCII.finditer(text):
        if script(text[m.start() - 1]) != OTHER and script(text[m.end()]) != OTHER:
            return True
    return False


def fold_word(word: str) -> str:
    """A rule's word as it is looked for in folded text."""
    import unicodedata

    return unicodedata.normalize("NFKC", word).translate(_MASK_ONLY)


class Folded:
    """A draft's NFKC text without invisible characters and spaces inside Japanese words
    (`text`; `literal`: the same with every mark as MASK); `norm_span` maps back to the
    NFKC text."""

    __slots__ = ("_literal", "_offsets", "_removed", "_size", "text")

    def __init__(self, norm: str) -> None:
        self._literal: str | None = None
        self._offsets: list[int] | None = None
        if _HIDDEN.search(norm) is None and not _spaced_japanese(norm):
            self.text = norm  # usually: as it is
            self._removed: list[int] | None = None
            return
        # Work per removed character, not per character (a spaced flood, ば か ば か…,
        # made a Python loop over every character the cost of the whole check).
        invisible = [m.start() for m in _HIDDEN.finditer(norm)]
        visible = _HIDDEN.sub("", norm) if invisible else norm
        vis_idx = _kept(invisible, len(norm)) if invisible else None
        # spaced-out words: バ カ, し ね, ク ソ 野 郎 (spaces between Japanese letters go;
        # where a word may sit is still judged on the text with its spaces, inside_word)
        spaces = [
            k if vis_idx is None else vis_idx[k]
            for m in _spaced_ja().finditer(visible)
            for k in range(m.start(1), m.end(1))
        ]
        removed = sorted(invisible + spaces)
        self._removed, self._size = removed, len(norm)
        self.text = "".join(norm[a:b] for a, b in _runs(removed, len(norm)))

    @property
    def _map(self) -> list[int] | None:
        """Each folded offset's offset in the NFKC text (and the text's length after
        them); None when nothing was folded away. Built on first use: a draft with a space
        between two Japanese words is folded, and most such drafts have no spelling to
        map back (a list of every offset was ~4 µs of a 140-character post)."""
        if self._removed is None:
            return None
        if self._offsets is None:
            offsets = _kept(self._removed, self._size)
            offsets.append(self._size)
            self._offsets = offsets
        return self._offsets

    @property
    def literal(self) -> str:
        """`text` with every mark as MASK, made on first use: most drafts have no
        spelling's first two letters anywhere (SpelledWords.heads) and never need it."""
        if self._literal is None:
            self._literal = _one_mark(self.text)
        return self._literal

    def norm_span(self, start: int, end: int) -> tuple[int, int]:
        m = self._map
        if m is None:
            return start, end
        return m[start], m[end - 1] + 1 if end > start else m[start]

    def norm_spans(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """norm_span of each span; the list itself when nothing was folded away."""
        m = self._map
        if m is None:
            return spans
        return [(m[s], m[e - 1] + 1 if e > s else m[s]) for s, e in spans]  # as norm_span


def _runs(removed: list[int], n: int) -> list[tuple[int, int]]:
    """The [a, b) runs of range(n) between the (ascending) removed positions."""
    out, prev = [], 0
    for r in removed:
        if r > prev:
            out.append((prev, r))
        prev = r + 1
    if prev < n:
        out.append((prev, n))
    return out


def _kept(removed: list[int], n: int) -> list[int]:
    """The positions of range(n) not removed, ascending (built from ranges, in C)."""
    return list(chain.from_iterable(range(a, b) for a, b in _runs(removed, n)))


# --- where a word may sit: not inside a longer katakana or kanji word ---

HIRA, KATA, KANJI, OTHER = 1, 2, 3, 0


def script(ch: str) -> int:
    o = ord(ch)
    if 0x3041 <= o <= 0x309F:
        return HIRA
    if 0x30A1 <= o <= 0x30FF or 0xFF66 <= o <= 0xFF9F or o == 0x30FC:
        return KATA if o != 0x30FB else OTHER  # ・ separates words
    if (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or o in (0x3005, 0x3006)
    ):
        return KANJI
    return OTHER


# script() of the letters met at word edges, kept: a flood of matches asked it per place
_SCRIPTS: dict[str, int] = {}


def _script_kept(ch: str) -> int:
    if len(_SCRIPTS) >= 4096:  # a draft of every kanji: keep memory bounded
        _SCRIPTS.clear()
    found = _SCRIPTS[ch] = script(ch)
    return found


_WORD_SCRIPTS = (KATA, KANJI)
# after a hiragana ending, these may follow a word without making it a longer one
# (死ねよ, バカね, しねー); anything else (死ねば, 殺せる) continues the word
_TAIL_OK = frozenset("よやぞぜわなねさっーぇぁ～〜だじにはがをとのもみ")
# before a hiragana start, a particle ends the previous word (お前らしね, このばか)
_HEAD_OK = frozenset("はがをのらとよねなでても")


def inside_word(draft: Draft, start: int, end: int, compound: str, raw: bool = False) -> bool:
    """Whether draft.text[start:end] is part of a longer word, judged on Sudachi's tokens.

    Inside a word: a match that begins or ends inside a token (クソ in フォークソング, ばか
    in ばかり, バカ in 親バカ); before a suffix (シナ|海); a noun right next to a noun,
    which Japanese writes as one compound (南|シナ|海, バカ|日誌, 有力|選手, 米軍|基地|外),
    where the noun before ends in kanji or katakana (ほんと|バカ is two words). Not
    inside: next to a verb, a particle or an adverbial noun (町長|死ね, 最近|シナ人), a
    suffix of its own (全員|氏ね), punctuation or a space.
    The hiragana test is for `raw` matches (spelled words and phrases found in the text,
    not as tokens): Sudachi reads しね in ですしね as two particles, which the token
    boundaries alone do not reject.
    `compound`: "none", "prefix" (may be followed by more of a compound: めくら|判,
    クソ暑い), "suffix" (may follow one: 在日チョン) or "any".
    """
    if compound == "any" or end <= start:
        return False
    cols, text = draft.columns, draft.text
    starts, ends = draft.token_starts, cols.ends
    n = len(ends)
    if n == 0:
        return False
    if raw and _kana_joined(text, start, end):
        return True
    i = bisect_right(starts, start) - 1
    if compound != "suffix" and i >= 0 and starts[i] != start:
        return True  # begins inside a token
    j = bisect_left(ends, end)
    rest = text[end : ends[j]] if j < n else ""
    if compound != "prefix" and rest and not all(c in _TAIL_OK for c in rest):
        return True  # ends inside a token (帰れよ is one token, yet 帰れ ends there)
    return joined_to_neighbours(cols, text, i, j, start, end, compound)


def tokens_inside_word(draft: Draft, i: int, j: int, compound: str) -> bool:
    """inside_word for a match of whole tokens i … j (a token pattern's match: it begins
    and ends on token boundaries), without the bisections that find them: a flood of
    token matches asked it once per place."""
    if compound == "any":
        return False
    cols = draft.columns
    begins = draft.token_starts
    start, end = begins[i], cols.ends[j]
    if end <= start:
        return False
    return joined_to_neighbours(cols, draft.text, i, j, start, end, compound)


def joined_to_neighbours(
    cols: Columns, text: str, i: int, j: int, start: int, end: int, compound: str
) -> bool:
    """Whether the tokens before i or after j continue the word of text[start:end]."""
    if (
        compound != "suffix"
        and i > 0
        and _joined(cols.pos[i - 1], cols.surfaces[i - 1], cols.pos[i], text[start], False)
    ):
        return True
    return (
        compound != "prefix"
        and j + 1 < len(cols.ends)
        and _joined(cols.pos[j + 1], cols.surfaces[j + 1], cols.pos[j], text[end - 1], True)
    )


_NOMINAL = frozenset({"名詞", "形状詞", "接頭辞", "接尾辞"})


def _joined(
    pos: tuple[str, ...],
    neighbour: str,
    own_pos: tuple[str, ...],
    edge_ch: str,
    after: bool,
) -> bool:
    """Whether a neighbouring token (part of speech `pos`) continues the word whose edge
    letter is `edge_ch` and whose edge token has part of speech `own_pos`."""
    if not neighbour:
        return False
    near = neighbour[0] if after else neighbour[-1]
    edge = _SCRIPTS.get(edge_ch)
    if edge is None:
        edge = _script_kept(edge_ch)
    nb = _SCRIPTS.get(near)
    if nb is None:
        nb = _script_kept(near)
    if edge == OTHER or nb == OTHER:
        return False  # a space, a bracket, a digit or a Latin letter ends a word
    if after and pos[0] == "接尾辞" and nb in _WORD_SCRIPTS:
        return True  # シナ|海; not 野郎|ども
    if not after and nb not in _WORD_SCRIPTS:
        return False  # ほんと|バカ, 釣り|バカ: a word ending in kana ends there
    # two nouns side by side are one compound: 釣り|バカ, 有力|選手, 金庫|株
    return (
        pos[0] == "名詞"
        and (len(pos) < 3 or pos[2] != "副詞可能")
        and own_pos[0] in _NOMINAL
        and own_pos[0] != "接尾辞"
        and not (edge == HIRA and nb == HIRA)
    )


def _kana_joined(text: str, start: int, end: int) -> bool:
    """A raw match's hiragana edge next to hiragana that is no particle or ending."""
    if (
        start > 0
        and script(text[start]) == HIRA
        and script(text[start - 1]) == HIRA
        and text[start - 1] not in _HEAD_OK
    ):
        return True
    if end < len(text) and script(text[end - 1]) == HIRA and script(text[end]) == HIRA:
        return text[end] not in _TAIL_OK
    return False


# --- many words, found together ---


class SpelledWords:
    """A rule's spelled words with their hiragana, katakana and 伏字 spellings (see the
    module docstring), found in folded text: at each position the longest spelling that
    starts there, leftmost first, without overlaps.

    A dict trie walked from the positions of the spellings' first letters, rather than
    one regex: the spellings are literals once every mark is folded to MASK (a mark is
    never a first letter), and `re` spent ~130 ms compiling the rules' tries on every
    start. The scan is linear (each start is walked at most as deep as the longest
    spelling); a first letter's branch of the trie is built when a text first has it.
    A long text (LONG_TEXT characters or more) is scanned by one regex of the same trie
    instead, compiled on first need: the walk costs about a microsecond per candidate
    letter in Python, which a hostile 100 KB of しねしね… made 3-5x what `re` takes.
    """

    LONG_TEXT = 2000

    __slots__ = ("_branches", "_forms", "_regex", "heads", "letters", "singles")

    def __init__(self, words: Iterable[str]) -> None:
        # each word as written, in ひらがな and in カタカナ, by its first letter
        self._forms: dict[str, set[str]] = {}
        for w in words:
            if w:
                for v in (w, w.translate(_TO_HIRA), w.translate(_TO_KATA)):
                    self._forms.setdefault(v[0], set()).add(v)
        self._branches: dict[str, dict[str, dict]] = {}
        self._regex: re.Pattern[str] | None = None
        # What a spelling starts with, as it stands in Folded.text (MASK there as any
        # mark): one of `letters`; then one of `heads` (its first two letters: the word's,
        # or its first and a mark), unless it is one of `singles` (one letter). A rule set
        # looks for them once per draft (engine.SpelledScan) before walking any trie.
        heads: set[str] = set()
        singles: set[str] = set()
        for first, forms in self._forms.items():
            for v in forms:
                if len(v) == 1:
                    singles.update(_as_written(first))
                    continue
                seconds = _as_written(v[1]) + _MASKS
                heads.update(a + b for a in _as_written(first) for b in seconds)
        self.letters = frozenset(a for first in self._forms for a in _as_written(first))
        self.heads = frozenset(heads)
        self.singles = frozenset(singles)

    def __bool__(self) -> bool:
        return bool(self._forms)

    def _branch(self, first: str) -> dict[str, dict]:
        """The trie below a first letter: every spelling of the words that start with it.
        (Built whole before it is kept: a thread that races another builds the same.)"""
        branch = self._branches.get(first)
        if branch is None:
            branch = {}
            for v in _spellings(self._forms[first]):
                node = branch
                for ch in v[1:]:
                    node = node.setdefault(ch, {})
                node[_END] = {}
            self._branches[first] = branch
        return branch

    def regex(self) -> re.Pattern[str]:
        """The whole trie as one regex of literals (where a word ends and a longer one
        goes on, the longer is preferred, as the walk does)."""
        if self._regex is None:
            trie = {first: self._branch(first) for first in sorted(self._forms)}
            self._regex = re.compile(_node_regex(trie))
        return self._regex

    def spans_before(self, literal: str, end: int) -> list[tuple[int, int]]:
        """spans() of a long text that start before `end`: the regex's first matches,
        the rest never looked for."""
        out = []
        for m in self.regex().finditer(literal):
            if m.start() >= end:
                break
            out.append(m.span())
        return out

    def spans(self, literal: str, starts: list[int] | None = None) -> list[tuple[int, int]]:
        """(start, end) of each spelling in `literal`, folded text with every mark as
        MASK (Folded.literal).

        `starts`: ascending positions in `literal` that include every place a spelling of
        this rule starts (engine.SpelledScan finds them once for several rules); other
        positions are passed over. None: every position of a first letter, found here.
        """
        if len(literal) >= self.LONG_TEXT:
            return [m.span() for m in self.regex().finditer(literal)]
        forms = self._forms
        if starts is None:
            starts = []
            for ch in forms:
                i = literal.find(ch)
                while i >= 0:
                    starts.append(i)
                    i = literal.find(ch, i + 1)
            if not starts:
                return []
            starts.sort()
        branches = self._branches
        n = len(literal)
        out: list[tuple[int, int]] = []
        done = 0
        for i in starts:
            if i < done:
                continue  # inside the previous match
            ch = literal[i]
            node = branches.get(ch)  # type: ignore[assignment]
            if node is None:
                if ch not in forms:
                    continue  # another rule's first letter
                node = self._branch(ch)
            j = i + 1
            end = j if _END in node else 0
            while j < n:
                node = node.get(literal[j])  # type: ignore[assignment]
                if node is None:
                    break
                j += 1
                if _END in node:
                    end = j  # the longest spelling wins
            if end:
                out.append((i, end))
                done = end
        return out


def _as_written(letter: str) -> str:
    """The characters a letter of a spelling stands for in Folded.text."""
    return _MASKS if letter == MASK else letter


_END = ""  # a trie key no text character can be: a spelling ends at this node


def _node_regex(node: dict[str, dict]) -> str:
    """A trie node as a regex: its letters in one alternation (each starts with its own
    literal, so `re` skips in C to where a word can start), optional where a word ends."""
    alts = [re.escape(ch) + _node_regex(node[ch]) for ch in sorted(node) if ch != _END]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return "(?:" + body + ")?" if _END in node else body


_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})


def _spellings(forms: Iterable[str]) -> set[str]:
    """Each form (a folded word, or its ひらがな or カタカナ) as it is, with a mark put
    between two of its letters (死〇ね, バ●カ) and, from three letters on, a mark for one
    letter that is not the first (ば〇やろう)."""
    out: set[str] = set()
    for v in forms:
        out.add(v)
        for k in range(1, len(v)):
            out.add(v[:k] + MASK + v[k:])
            if len(v) >= 3 and v[k] != MASK:
                out.add(v[:k] + MASK + v[k + 1 :])
    return out
