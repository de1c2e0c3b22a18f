"""The one place that imports sudachipy.

A Sudachi tokenizer must not be shared between threads, so each thread gets its own;
the dictionary itself is memory-mapped and loaded once per process.
"""

from __future__ import annotations

import json
import os
import threading
import unicodedata
from bisect import bisect_left
from functools import lru_cache, partial
from itertools import accumulate, repeat
from typing import NamedTuple

import sudachipy
from sudachipy import Config, Dictionary, Morpheme, SplitMode

from gateway.checker.opaque_runs import STAND_INS, opaque_runs, read_with_stand_ins


class Token(NamedTuple):
    """One morpheme. A NamedTuple: building one per morpheme is the tokenizer's hot path."""

    surface: str
    normalized: str  # Sudachi normalized form: さしもどし / 差し戻し -> 差し戻す
    dictionary_form: str
    pos: tuple[str, ...]  # e.g. ("名詞", "普通名詞", "サ変可能", "*", "*", "*")
    begin: int  # character offset in the text
    end: int


_local = threading.local()

# Word ids whose dictionary number (top 4 bits) is 0xF are out-of-vocabulary words: their
# id only encodes the part of speech, so their forms must be read from the morpheme.
_OOV_WORD_ID = 0xF000_0000
_LEXICAL_MAX = 100_000  # ~20 MB at most; a town office's vocabulary stays far below
# word id -> (normalized form, dictionary form, part of speech): the same for every
# occurrence of a dictionary word, and three Rust calls per morpheme saved.
_lexical: dict[int, tuple[str, str, tuple[str, ...], int]] = {}
# (word id, surface) -> the same, for out-of-vocabulary words (numbers, Latin words,
# unknown katakana): their forms follow from the surface and the part of speech, which
# is what the id encodes. Day numbers, "https" and the town's own names recur in every draft.
_unknown: dict[tuple[int, str], tuple[str, str, tuple[str, ...], int]] = {}
# _lexical.get's answer for a word id not in it: an empty tuple, which a row of forms
# tells apart in a few instructions (None took a failed rich comparison per morpheme,
# in `in` and in index())
_MISSING: tuple = ()
_MISSING_ALWAYS = repeat(_MISSING)  # the default argument of map(_lexical.get, ids, …)

WORD = 1  # a morpheme's kind: a word, not punctuation or a space
PERSON = 2  # a personal name (Sudachi 人名); always a WORD too
_NOT_WORDS = frozenset({"補助記号", "空白"})  # POS of punctuation, brackets and spaces


def kind_of(pos: tuple[str, ...]) -> int:
    """WORD, WORD | PERSON or 0, from the part of speech (so once per word id)."""
    if pos[0] in _NOT_WORDS:
        return 0
    return WORD | PERSON if len(pos) > 2 and pos[2] == "人名" else WORD


# Sudachi's IgnoreYomiganaPlugin reads a short kana run in brackets after a kanji as its
# reading (ふりがな) and hides it inside the kanji's morpheme: 町長（ばか） became one
# morpheme 町長, so an insult written that way was never a word of the draft. Readings in
# brackets are rare in posts and harmless as words of their own.
_UNWANTED_PLUGINS = frozenset({"com.worksap.nlp.sudachi.IgnoreYomiganaPlugin"})


def _shipped_config() -> dict:
    """sudachipy's own default configuration (the one `Dictionary()` reads). Found beside
    the module: importlib.resources would import tempfile and more on every start."""
    path = os.path.join(os.path.dirname(sudachipy.__file__), "resources", "sudachi.json")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    """Sudachi's core dictionary with its shipped plugins but _UNWANTED_PLUGINS."""
    plugins = _shipped_config()["inputTextPlugin"]
    kept = [p for p in plugins if p["class"] not in _UNWANTED_PLUGINS]
    return Dictionary(dict="core", config=Config(inputTextPlugin=kept))


@lru_cache(maxsize=1)
def _shipped_dictionary() -> Dictionary:
    return Dictionary(dict="core")


# The word-info fields a Token keeps: Sudachi then skips reading the others (reading
# form, splits, synonym groups) for every morpheme, ~10 % of its own time.
_FIELDS = {"surface", "pos", "normalized_form", "dictionary_form"}


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _dictionary().tokenizer(mode=SplitMode.C, fields=_FIELDS)
        _local.tokenizer = tok
    return tok


def plain_tokenizer():
    """Sudachi as it comes, every field loaded: the baseline benchmarks compare against."""
    return _shipped_dictionary().tokenizer(mode=SplitMode.C)


def reference_tokenizer():
    """Sudachi as the gateway configures it, every field loaded: what tests compare the
    tokenizer's caches and runs against."""
    return _dictionary().tokenizer(mode=SplitMode.C)


def _read_info(m: Morpheme) -> tuple[str, str, tuple[str, ...], int]:
    pos = m.part_of_speech()
    return (m.normalized_form(), m.dictionary_form(), pos, kind_of(pos))


def _lexical_info(m: Morpheme, word_id: int, surface: str) -> tuple[str, str, tuple[str, ...], int]:
    """A morpheme's forms: from the cache of unknown words, or read from Sudachi and
    remembered under its word id (dictionary words) or its id and surface (unknown words)."""
    if word_id >= _OOV_WORD_ID:
        key = (word_id, surface)
        info = _unknown.get(key)
        if info is None:
            info = _read_info(m)
            if len(_unknown) >= _LEXICAL_MAX:
                _unknown.clear()
            _unknown[key] = info
        return info
    info = _read_info(m)
    if len(_lexical) >= _LEXICAL_MAX:
        _lexical.clear()
    _lexical[word_id] = info
    return info


class Columns(NamedTuple):
    """A tokenized text as parallel columns, one entry per morpheme.

    Most rules only ask whether some form is anywhere in the draft, or where the few
    tokens a pattern starts at are: both are answered from these columns with C-level
    set and map operations, so Token objects are built only when a rule needs them.
    """

    surfaces: list[str]
    normalized: tuple[str, ...]
    dictionary_forms: tuple[str, ...]
    pos: tuple[tuple[str, ...], ...]
    kinds: tuple[int, ...]  # kind_of(pos): WORD, WORD | PERSON or 0
    ends: list[int]  # character offset after each morpheme
    begins: list[int] | None = None  # None: each morpheme begins where the previous ends

    def tokens(self) -> list[Token]:
        """The columns as Token objects (built in C: map over zip, no Python loop)."""
        begins = self.begins
        if begins is None:
            begins = [0, *self.ends[:-1]] if self.ends else []
        rows = zip(
            self.surfaces,
            self.normalized,
            self.dictionary_forms,
            self.pos,
            begins,
            self.ends,
            strict=True,
        )
        return list(map(_token_from_row, rows))


_token_from_row = partial(tuple.__new__, Token)  # a row tuple becomes a Token as it is
_columns = partial(tuple.__new__, Columns)  # the same for Columns, built once per draft
_EMPTY = Columns([], (), (), (), (), [])
_surface = Morpheme.surface
_word_id = Morpheme.word_id


def _fill_unknown(
    infos: list, morphemes: list[Morpheme], word_ids: list[int], surfaces: list[str]
) -> None:
    """Fill in the forms of morphemes whose word id is not cached (OOV words, new words).
    Unknown words seen before (day numbers, "https" …) are found without a call."""
    get_unknown = _unknown.get
    i = infos.index(_MISSING)
    while True:
        word_id = word_ids[i]
        info = get_unknown((word_id, surfaces[i])) if word_id >= _OOV_WORD_ID else None
        infos[i] = info or _lexical_info(morphemes[i], word_id, surfaces[i])
        try:
            i = infos.index(_MISSING, i + 1)
        except ValueError:
            return


# Sudachi refuses input longer than 49,149 UTF-8 bytes. It is also slower than linear on
# runs of numbers (12-12-12…, a table of figures: 25 s for 48 KB, 0.2 s for 4 KB), so a
# long text goes in pieces of about 2 KB (some 700 Japanese characters: many sentences).
SUDACHI_MAX_BYTES = 49_149
_PIECE_BYTES = 2_048
# Where a long text may be cut, best first: paragraphs, lines, sentences, then spaces and
# commas. Sudachi makes each of them a token of its own, so a cut there changes no word.
_BOUNDARIES = (
    "\n\n",
    "\n",
    "。",
    "！",
    "？",
    "!",
    "?",
    "．",
    ". ",
    "\u3000",
    " ",
    "、",
    "，",
    ",",
    "\t",
)


def text_pieces(text: str, max_bytes: int = _PIECE_BYTES) -> list[tuple[int, int]]:
    """[start, end) spans that cover `text`, each at most `max_bytes` in UTF-8.

    Each cut is at the last paragraph, line, sentence or space boundary in the second
    half of a full-size window (then anywhere in it); a window with no boundary at all
    (one long run of letters) is cut between two characters that do not combine. Every
    window is scanned a bounded number of times, so the split is linear in the text.
    """
    n = len(text)
    if n * 4 <= max_bytes or len(text.encode("utf-8")) <= max_bytes:
        return [(0, n)] if n else []
    spans = []
    start = 0
    while start < n:
        window = text[start : start + max_bytes]
        encoded = window.encode("utf-8")
        if len(encoded) > max_bytes:
            window = encoded[:max_bytes].decode("utf-8", "ignore")
        end = start + len(window)
        if end < n:
            end = _cut(text, start, end)
        spans.append((start, end))
        start = end
    return spans


def _cut(text: str, start: int, end: int) -> int:
    """Where to end the piece text[start:end] (end is past the byte limit's last char)."""
    for lo in (start + (end - start) // 2, start):
        for sep in _BOUNDARIES:
            at = text.rfind(sep, lo, end)
            if at >= 0 and at + len(sep) <= end:
                return at + len(sep)
    # never between a character and a mark, joiner or selector that belongs to it; but a
    # character carries at most _MAX_MARKS of them, so a longer run of marks (zero-width
    # spaces, direction controls) is cut where the window ends: walking back further made
    # pieces of one character, thousands of Sudachi calls (2 s for 100 KB of U+200B)
    floor = max(start + 1, end - _MAX_MARKS)
    cut = end
    while cut > floor and _belongs_to_previous(text[cut]):
        cut -= 1
    return end if cut == floor and _belongs_to_previous(text[cut]) else cut


# Unicode's Stream-Safe Text Format (UAX #15) allows 30 non-starters after a character;
# a few more for variation selectors and skin tones
_MAX_MARKS = 32


def _belongs_to_previous(ch: str) -> bool:
    """A combining mark, format character, variation selector or skin tone: part of the
    character before it."""
    return bool(
        unicodedata.combining(ch)
        or unicodedata.category(ch) in ("Mn", "Me", "Cf")
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
    )


def tokenize_columns(text: str) -> Columns:
    """Tokenize `text` into columns; a text over Sudachi's byte limit in pieces.

    The pieces end at paragraph, line or sentence boundaries (see text_pieces) and their
    columns are joined with offsets in the whole text, so rules never see the seams.
    """
    spans = text_pieces(text)
    if len(spans) <= 1:
        return _tokenize_piece(text)
    parts = [(s, _tokenize_piece(text[s:e])) for s, e in spans]
    return _join(parts)


def _join(parts: list[tuple[int, Columns]]) -> Columns:
    """One Columns of pieces tokenized apart, offsets moved to the whole text."""
    surfaces: list[str] = []
    normalized: list[str] = []
    dictionary_forms: list[str] = []
    pos: list[tuple[str, ...]] = []
    kinds: list[int] = []
    ends: list[int] = []
    begins: list[int] | None = [] if any(c.begins is not None for _, c in parts) else None
    for offset, cols in parts:
        surfaces += cols.surfaces
        normalized += cols.normalized
        dictionary_forms += cols.dictionary_forms
        pos += cols.pos
        kinds += cols.kinds
        if begins is not None:
            own = cols.begins if cols.begins is not None else [0, *cols.ends[:-1]]
            begins += [b + offset for b in own[: len(cols.ends)]]
        ends += [e + offset for e in cols.ends]
    return Columns(
        surfaces, tuple(normalized), tuple(dictionary_forms), tuple(pos), tuple(kinds), ends,
        begins,
    )  # fmt: skip


def _tokenize_piece(text: str, runs_whole: bool = True) -> Columns:
    """Tokenize `text` in split mode C (longest units) into columns.

    Each column is read with map() over the morphemes, in C: two calls into Sudachi per
    morpheme (surface, word id); forms and POS come from the word-id cache. Morphemes
    cover the text without gaps, so offsets are summed surface lengths (checked against
    the text's length, with Sudachi's own offsets as the fallback). Links, phone
    numbers and dates are one token each (opaque_runs).
    """
    if not text:
        return _EMPTY
    runs = opaque_runs(text) if runs_whole else None
    read = read_with_stand_ins(text, runs) if runs else text
    morphemes = list(_tokenizer().tokenize(read))
    if not morphemes:
        return _EMPTY
    surfaces = list(map(_surface, morphemes))
    word_ids = list(map(_word_id, morphemes))
    infos = list(map(_lexical.get, word_ids, _MISSING_ALWAYS))
    if _MISSING in infos:
        _fill_unknown(infos, morphemes, word_ids, surfaces)
    if runs and not _put_runs(text, runs, surfaces, infos):
        return _tokenize_piece(text, runs_whole=False)  # a placeholder joined a neighbour
    normalized, dictionary_forms, pos, kinds = zip(*infos, strict=True)
    ends = list(accumulate(map(len, surfaces)))
    if ends[-1] != len(text):  # never seen; Sudachi's own offsets then
        return _columns_with_sudachi_offsets(morphemes, surfaces, infos)
    return _columns((surfaces, normalized, dictionary_forms, pos, kinds, ends, None))


def _put_runs(text: str, runs: list[tuple[int, int, str]], surfaces: list[str], infos: list) -> bool:
    """Make the placeholder morpheme of each run (in the text Sudachi read) one token of
    the whole run; False if some placeholder is not a morpheme of its own."""
    ends = list(accumulate(map(len, surfaces)))
    shift = 0  # how much shorter the text Sudachi read is, before this run
    for s, e, kind in runs:
        placeholder, pos = STAND_INS[kind]
        p = s - shift
        i = bisect_left(ends, p + 1)
        if i >= len(ends) or ends[i] != p + 1 or surfaces[i] != placeholder:
            return False
        run = surfaces[i] = text[s:e]
        infos[i] = (run, run, pos, WORD) if run.isascii() else _run_info(run, kind)
        shift += e - s - 1
    return True


def _run_info(run: str, kind: str) -> tuple[str, str, tuple[str, ...], int]:
    """The forms of a run that is not ASCII (a date, 9月8日（月; a phone number written
    full-width): its NFKC, kept per run and kind, as the same dates and
    numbers recur in post after post and unicodedata spends ~1,500 instructions a
    character."""
    info = _run_infos.get((run, kind))
    if info is None:
        normalized = unicodedata.normalize("NFKC", run)
        info = (normalized, normalized, STAND_INS[kind].pos, WORD)
        if len(_run_infos) >= _LEXICAL_MAX:
            _run_infos.clear()
        _run_infos[(run, kind)] = info
    return info


_run_infos: dict[tuple[str, str], tuple[str, str, tuple[str, ...], int]] = {}


def _columns_with_sudachi_offsets(
    morphemes: list[Morpheme], surfaces: list[str], infos: list
) -> Columns:
    """Columns whose offsets are Sudachi's begin()/end(), for a text they do not add up in."""
    normalized, dictionary_forms, pos, kinds = zip(*infos, strict=True)
    ends = [m.end() for m in morphemes]
    begins = [m.begin() for m in morphemes]
    return Columns(surfaces, normalized, dictionary_forms, pos, kinds, ends, begins)


def tokenize(text: str) -> list[Token]:
    """Tokenize `text` in split mode C (longest units) into Tokens with character offsets."""
    return tokenize_columns(text).tokens()
