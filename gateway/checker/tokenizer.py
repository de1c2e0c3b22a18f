"""The one place that imports sudachipy.

A Sudachi tokenizer must not be shared between threads, so each thread gets its own;
the dictionary itself is memory-mapped and loaded once per process.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import NamedTuple

from sudachipy import Dictionary, SplitMode


class Token(NamedTuple):
    """One morpheme. A NamedTuple: building one per morpheme is the tokenizer's hot path."""

    surface: str
    normalized: str  # Sudachi normalized form: さしもどし / 差し戻し -> 差し戻す
    dictionary_form: str
    pos: tuple[str, ...]  # e.g. ("名詞", "普通名詞", "サ変可能", "*", "*", "*")
    begin: int  # character offset in the text
    end: int


_local = threading.local()


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    return Dictionary(dict="core")


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        tok = _dictionary().tokenizer(mode=SplitMode.C)
        _local.tokenizer = tok
    return tok


def tokenize(text: str) -> list[Token]:
    """Tokenize `text` in split mode C (longest units), keeping character offsets."""
    if not text:
        return []
    return [
        Token(
            m.surface(),
            m.normalized_form(),
            m.dictionary_form(),
            m.part_of_speech(),
            m.begin(),
            m.end(),
        )
        for m in _tokenizer().tokenize(text)
    ]
