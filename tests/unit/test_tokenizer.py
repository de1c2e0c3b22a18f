"""The tokenizer's caches (by word id, and by id and surface for unknown words) must give
exactly what Sudachi gives for every morpheme, the first time and every time after."""

from __future__ import annotations

import pytest

from gateway.checker import tokenizer
from gateway.checker.tokenizer import Token, plain_tokenizer, tokenize

TEXTS = [
    "【辰野ほたる祭り】6月14日（土）から22日（日）まで開催します。",
    "お問い合わせは産業振興課 0266-41-1111 まで。https://www.town.tatsuno.lg.jp/",
    "ｼｬﾄﾙﾊﾞｽを運行します。ＴＡＴＳＵＮＯ　ＦＥＳ　２０２５",
    "シャトルバスとシャトルバスとｼｬﾄﾙﾊﾞｽ",  # one unknown word, twice as written, once half-width
    "令和七年十二月三十一日、一二三四五。",
    "差し戻し、さしもどし、差戻し。食べなかった。食べる。",
    "",
    "😀👍🏻 #ほたる ＃辰野",
]


def _sudachi(text: str) -> list[Token]:
    return [
        Token(
            m.surface(),
            m.normalized_form(),
            m.dictionary_form(),
            tuple(m.part_of_speech()),
            m.begin(),
            m.end(),
        )
        for m in plain_tokenizer().tokenize(text)
    ]


@pytest.mark.parametrize("text", TEXTS)
def test_tokens_are_sudachis_with_cold_and_warm_caches(text: str) -> None:
    tokenizer._lexical.clear()
    tokenizer._unknown.clear()
    expected = _sudachi(text)
    assert tokenize(text) == expected  # cold: every form read from Sudachi
    assert tokenize(text) == expected  # warm: forms from the caches
    assert tokenize(text + text) == _sudachi(text + text)


def test_unknown_words_are_cached_by_surface_not_by_part_of_speech_alone() -> None:
    tokenizer._unknown.clear()
    first = tokenize("https")[0]
    second = tokenize("tatsuno")[0]
    assert (first.normalized, second.normalized) == ("https", "tatsuno")
