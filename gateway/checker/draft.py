"""A draft prepared once for every rule: text, NFKC text, tokens, lines and sentences.

Rules match on the NFKC-normalized text (full-width digits and letters become ASCII) or
on Sudachi tokens, but every position they report is an offset in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from gateway.checker.tokenizer import Columns, Token, kind_of
from gateway.checker.tokenizer import tokenize_columns as tokenize  # one call per draft

# [。！？!?\n]+, starting with the class itself so that `re` skips in C to a sentence end
_SENTENCE_END = re.compile(r"[。！？!?\n][。！？!?\n]*")

# Characters NFKC leaves alone and that never combine with their neighbours: ASCII, kana,
# CJK ideographs and punctuation, minus the few in those blocks that do change (filtered
# below: ゛ ゜ ゟ ヿ, combining marks). None of them composes with a preceding character
# (only combining marks, Hangul jamo and a few Indic vowel signs do), so a draft can be
# normalized piece by piece, splitting before any of them, with the same result as a
# whole: only the runs of other characters (full-width ASCII, half-width kana, ①, ㈱ …)
# go through unicodedata, which is slow on long Japanese texts.
_INERT_BLOCKS = ((0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0x3001, 0x303F), (0x3041, 0x30FF))
# CJK Unified Ideographs have no decomposition and combine with nothing (Unicode's
# normalization stability policy keeps it so): the block is inert without asking each
# of its 20,992 characters, which took ~10 ms of every start
_UNIFIED_IDEOGRAPHS = (0x4E00, 0x9FFF)


def _inert_class() -> str:
    """A regex class body of the inert characters, as ranges."""
    ranges: list[list[int]] = []
    for lo, hi in _INERT_BLOCKS:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if unicodedata.normalize("NFKC", ch) != ch or unicodedata.combining(ch):
                continue
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    ranges.append(list(_UNIFIED_IDEOGRAPHS))
    return "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


_INERT = _inert_class()
_NOT_INERT_RUN = re.compile(f"[^{_INERT}][^{_INERT}]*")  # [^…]+, with a first class to skip to


def _nfkc(text: str) -> str:
    """unicodedata.normalize("NFKC", text), normalizing only the runs that can change.

    Each run is normalized together with the character before it, which may be the base
    a half-width sound mark composes with (ｶﾞ, カﾞ -> ガ).
    """
    if unicodedata.is_normalized("NFKC", text):
        return text
    wide = _WIDE.findall(text)
    if wide:
        # full-width ASCII and the ideographic space, the usual reason a Japanese draft
        # is not normalized, replaced in C; each has the same compatibility decomposition
        # as its replacement, so the text's NFKC does not change, and it is the text itself
        # once nothing else is left to normalize
        for ch in set(wide):
            text = text.replace(ch, _NARROW[ch])
        if unicodedata.is_normalized("NFKC", text):
            return text
    pieces: list[str] = []
    done = 0
    known = _NORMALIZED_PIECES
    for m in _NOT_INERT_RUN.finditer(text):
        start = max(m.start() - 1, done)
        pieces.append(text[done:start])
        piece = text[start : m.end()]
        normalized = known.get(piece)
        if normalized is None:
            normalized = unicodedata.normalize("NFKC", piece)
            if len(known) >= _PIECES_MAX:
                known.clear()
            known[piece] = normalized
        pieces.append(normalized)
        done = m.end()
    pieces.append(text[done:])
    return "".join(pieces)


_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_NARROW = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}

# Normalized pieces (日（, ）, ２０２５ …) recur in every draft, and unicodedata spends
# ~1,500 instructions a character: a piece is normalized once, then looked up.
_NORMALIZED_PIECES: dict[str, str] = {}
_PIECES_MAX = 20_000  # short strings: a few MB at most


def _nfkc_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC-normalize `text`; return a map from normalized to original offsets.

    The map is None when normalization kept every character in place (the usual case:
    full-width ASCII maps one to one), so most drafts pay nothing for it. Otherwise (…,
    ℃, ㈱ change the length) the text is normalized character by character, so that each
    normalized character knows its original: only the runs of characters that can change
    (_NOT_INERT_RUN) go one by one; the inert stretches between them are taken whole, as
    their characters are their own NFKC (a loop over every character cost ~4,000
    instructions a character, and a draft with one … paid it for all of them).
    """
    norm = _nfkc(text)
    if len(norm) == len(text):
        return norm, None
    parts: list[str] = []
    offsets: list[int] = []
    done = 0
    for m in _NOT_INERT_RUN.finditer(text):
        start, end = m.span()
        parts.append(text[done:start])
        offsets += range(done, start)
        for i in range(start, end):
            n = unicodedata.normalize("NFKC", text[i])
            parts.append(n)
            offsets += [i] * len(n)
        done = end
    parts.append(text[done:])
    offsets += range(done, len(text) + 1)  # and the end of the text
    return "".join(parts), offsets


T = TypeVar("T")


class _once(Generic[T]):  # a decorator, like cached_property
    """functools.cached_property without its lock: Python 3.11's takes an RLock on every
    first access (~0.3 µs), and a check reads half a dozen of these once each. A Draft
    belongs to the one thread that checks it."""

    __slots__ = ("fn", "name")

    def __init__(self, fn: Any) -> None:
        self.fn = fn
        self.name: str = fn.__name__

    def __get__(self, obj: Any, owner: Any = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


class Draft:
    """One draft text with everything rules share; built once per check."""

    __slots__ = ("__dict__", "_offsets", "columns", "norm", "text")

    def __init__(self, text: str, tokens: list[Token] | None = None) -> None:
        self.text = text
        self.norm, self._offsets = _nfkc_with_map(text)
        if tokens is None:
            self.columns = tokenize(text)
        else:
            self.columns = _columns_of(tokens)
            self.__dict__["tokens"] = tokens

    @_once
    def tokens(self) -> list[Token]:
        """Every morpheme as a Token, built on first use: many drafts need only columns."""
        return self.columns.tokens()

    def orig(self, norm_offset: int) -> int:
        """Map an offset in `norm` back to the original text."""
        if self._offsets is None:
            return norm_offset
        return self._offsets[min(norm_offset, len(self._offsets) - 1)]

    def orig_span(self, start: int, end: int) -> tuple[int, int]:
        if self._offsets is None:
            return start, end
        s = self.orig(start)
        e = self.orig(end - 1) + 1 if end > start else s
        return s, e

    def orig_spans(self, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """orig_span of each span; the list itself when NFKC moved nothing (most drafts)."""
        if self._offsets is None:
            return spans
        return [self.orig_span(s, e) for s, e in spans]

    @_once
    def line_starts(self) -> list[int]:
        starts = [0]
        find = self.text.find
        i = find("\n")
        while i >= 0:
            starts.append(i + 1)
            i = find("\n", i + 1)
        return starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column, in characters, of an offset in the original text."""
        starts = self.line_starts
        idx = bisect_right(starts, offset) - 1
        return idx + 1, offset - starts[idx] + 1

    @_once
    def sentence_bounds(self) -> list[int]:
        """Start offsets of sentences (split at 。！？ and line ends), in the original text."""
        bounds = [0]
        for m in _SENTENCE_END.finditer(self.text):
            bounds.append(m.end())
        return bounds

    def sentence_span(self, offset: int) -> tuple[int, int]:
        bounds = self.sentence_bounds
        idx = bisect_right(bounds, offset) - 1
        end = bounds[idx + 1] if idx + 1 < len(bounds) else len(self.text)
        return bounds[idx], end

    @_once
    def context_memo(self) -> dict[tuple[int, int, int], bool]:
        """Whether a context set is present in a span, per (id of the set, span start,
        span end): filled by contexts.ContextSet.present during one check."""
        return {}

    @_once
    def token_view(self) -> Sequence[Token]:
        """The tokens by index, each built on first access (pattern matching touches few);
        the full list when it exists already."""
        return self.__dict__.get("tokens") or _TokenView(self.columns, self.token_starts)

    @_once
    def token_starts(self) -> list[int]:
        cols = self.columns
        if cols.begins is not None:
            return cols.begins
        return [0, *cols.ends[:-1]] if cols.ends else []

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """Tokens overlapping [start, end) of the original text."""
        first, stop = self.token_range(start, end)
        toks = self.token_view
        return [toks[i] for i in range(first, stop)]

    def token_range(self, start: int, end: int) -> tuple[int, int]:
        """The indexes of the tokens overlapping [start, end), found by bisection on the
        columns (a walk that built each token took ~2 µs a token: a detector asking about
        a window around each of thousands of places)."""
        starts = self.token_starts
        first = max(bisect_right(starts, start) - 1, 0)
        stop = bisect_left(starts, end)
        # only the first can end before `start` (tokens are ordered and do not overlap)
        if first < stop and self.columns.ends[first] <= start:
            first += 1
        return first, max(first, stop)

    def has_lemma(self, words: frozenset[str]) -> bool:
        """Whether one of `words` is a normalized or dictionary form in the draft: two C
        scans of the columns, with no set of the draft's own built (most drafts: none)."""
        cols = self.columns
        return not (words.isdisjoint(cols.normalized) and words.isdisjoint(cols.dictionary_forms))


class _TokenView(Sequence[Token]):
    """Token objects built one at a time from the columns, by integer index only."""

    __slots__ = ("_begins", "_built", "_columns")

    def __init__(self, columns: Columns, begins: list[int]) -> None:
        self._columns = columns
        self._begins = begins
        self._built: dict[int, Token] = {}

    def __len__(self) -> int:
        return len(self._begins)

    def __getitem__(self, i: int) -> Token:  # type: ignore[override]
        token = self._built.get(i)
        if token is None:
            c = self._columns
            token = Token(
                c.surfaces[i], c.normalized[i], c.dictionary_forms[i], c.pos[i],
                self._begins[i], c.ends[i],
            )  # fmt: skip
            self._built[i] = token
        return token


def _columns_of(tokens: list[Token]) -> Columns:
    """Columns of tokens given by the caller (tests, tools that tokenized already)."""
    if not tokens:
        return Columns([], (), (), (), (), [], [])
    surfaces, normalized, dictionary_forms, pos, begins, ends = map(list, zip(*tokens, strict=True))
    kinds = tuple(map(kind_of, pos))
    return Columns(
        surfaces, tuple(normalized), tuple(dictionary_forms), tuple(pos), kinds, ends, begins
    )
