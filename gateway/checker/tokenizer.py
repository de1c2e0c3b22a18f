"""The one place that imports sudachipy.

A Sudachi tokenizer must not be shared between threads, so each thread gets its own;
the dictionary itself is memory-mapped and loaded once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

from sudachipy import Dictionary, SplitMode


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    normalized: str  # Sudachi normalized form: さしもどし / 差し戻し -> 差し戻す
    dictionary_form: str
    reading: str
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
            surface=m.surface(),
            normalized=m.normalized_form(),
            dictionary_form=m.dictionary_form(),
            reading=m.reading_form(),
            pos=tuple(m.part_of_speech()),
            begin=m.begin(),
            end=m.end(),
        )
        for m in _tokenizer().tokenize(text)
    ]
