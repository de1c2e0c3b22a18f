"""The one place that imports sudachipy.

A Sudachi tokenizer must not be shared between threads, so each thread gets its own;
the dictionary itself is memory-mapped and loaded once per process.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import NamedTuple

from sudachipy import Dictionary, Morpheme, SplitMode


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
_lexical: dict[int, tuple[str, str, tuple[str, ...]]] = {}
_new_token = tuple.__new__  # skips the NamedTuple's Python-level __new__


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
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
    return _dictionary().tokenizer(mode=SplitMode.C)


def _lexical_info(m: Morpheme, word_id: int) -> tuple[str, str, tuple[str, ...]]:
    """Read a morpheme's forms from Sudachi; remember them when they belong to its word id."""
    info = (m.normalized_form(), m.dictionary_form(), m.part_of_speech())
    if word_id < _OOV_WORD_ID:
        if len(_lexical) >= _LEXICAL_MAX:
            _lexical.clear()
        _lexical[word_id] = info
    return info


def tokenize(text: str) -> list[Token]:
    """Tokenize `text` in split mode C (longest units), keeping character offsets.

    Morphemes cover the text without gaps, so offsets are summed surface lengths rather
    than two more calls into Sudachi per morpheme (checked at the end, with a fallback).
    """
    if not text:
        return []
    morphemes = _tokenizer().tokenize(text)
    out: list[Token] = []
    append = out.append
    lookup = _lexical.get
    begin = 0
    for m in morphemes:
        surface = m.surface()
        end = begin + len(surface)
        word_id = m.word_id()
        normalized, dictionary_form, pos = lookup(word_id) or _lexical_info(m, word_id)
        append(_new_token(Token, (surface, normalized, dictionary_form, pos, begin, end)))
        begin = end
    if begin != len(text):  # never seen; Sudachi's own offsets then
        return [
            t._replace(begin=m.begin(), end=m.end()) for t, m in zip(out, morphemes, strict=True)
        ]
    return out
