"""A draft prepared once for every rule: text, NFKC text, tokens, lines and sentences.

Rules match on the NFKC-normalized text (full-width digits and letters become ASCII) or
on Sudachi tokens, but every position they report is an offset in the original text.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import cached_property

from gateway.checker.tokenizer import Token, tokenize

_SENTENCE_END = re.compile(r"[。！？!?\n]+")


def _nfkc_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFKC-normalize `text`; return a map from normalized to original offsets.

    The map is None when normalization kept every character in place (the usual case:
    full-width ASCII maps one to one), so most drafts pay nothing for it.
    """
    norm = unicodedata.normalize("NFKC", text)
    if len(norm) == len(text):
        return norm, None
    parts: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        parts.append(n)
        offsets.extend([i] * len(n))
    offsets.append(len(text))
    return "".join(parts), offsets


class Draft:
    """One draft text with everything rules share; built once per check."""

    __slots__ = ("__dict__", "_offsets", "norm", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token] | None = None) -> None:
        self.text = text
        self.norm, self._offsets = _nfkc_with_map(text)
        self.tokens = tokenize(text) if tokens is None else tokens

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

    @cached_property
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

    @cached_property
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

    @cached_property
    def token_starts(self) -> list[int]:
        return [t.begin for t in self.tokens]

    def tokens_in(self, start: int, end: int) -> list[Token]:
        """Tokens overlapping [start, end) of the original text."""
        starts = self.token_starts
        i = max(bisect_right(starts, start) - 1, 0)
        out = []
        toks = self.tokens
        while i < len(toks) and toks[i].begin < end:
            if toks[i].end > start:
                out.append(toks[i])
            i += 1
        return out

    @cached_property
    def lemma_set(self) -> frozenset[str]:
        """Every normalized and dictionary form in the draft, for quick 'is X anywhere' tests."""
        s: set[str] = set()
        for t in self.tokens:
            s.add(t.normalized)
            s.add(t.dictionary_form)
        return frozenset(s)
