"""The tokenizer's caches (by word id, and by id and surface for unknown words) must give
exactly what Sudachi gives for every morpheme, the first time and every time after; a
link is one token, and every morpheme around it is Sudachi's reading of the whole text."""

from __future__ import annotations

import pytest

from gateway.checker import tokenizer
from gateway.checker.tokenizer import _LINK, _LINK_POS, Token, plain_tokenizer, tokenize

TEXTS = [
    "【辰野ほたる祭り】6月14日（土）から22日（日）まで開催します。",
    "お問い合わせは産業振興課 0266-41-1111 まで。https://www.town.tatsuno.lg.jp/",
    "ｼｬﾄﾙﾊﾞｽを運行します。ＴＡＴＳＵＮＯ　ＦＥＳ　２０２５",
    "シャトルバスとシャトルバスとｼｬﾄﾙﾊﾞｽ",  # one unknown word, twice as written, once half-width
    "令和七年十二月三十一日、一二三四五。",
    "差し戻し、さしもどし、差戻し。食べなかった。食べる。",
    "",
    "😀👍🏻 #ほたる ＃辰野",
    # links as posts write them: after kana, before Japanese, in brackets, at a sentence's
    # end, two of them, an upper-case scheme, a query; after a letter (not one token)
    "詳しくはhttps://www.town.tatsuno.lg.jp/soshiki/1234.html?x=1&y=2#top をご覧ください。",
    "申込みはHTTPS://forms.gle/AbC123をご覧ください（https://example.jp/a）。",
    "会場はこちら：http://www.example.jp/map.html。詳細はhttps://x.jp/e/を。",
    "seehttps://example.jp/ の前は文字です",
]


def _sudachi(text: str) -> list[Token]:
    """Sudachi's reading of the whole text, the morphemes of each link made one token."""
    links = [m.span() for m in _LINK.finditer(text)]
    out: list[Token] = []
    for m in plain_tokenizer().tokenize(text):
        begin, end = m.begin(), m.end()
        link = next(((s, e) for s, e in links if s < end and begin < e), None)
        if link is None:
            forms = (m.surface(), m.normalized_form(), m.dictionary_form())
            out.append(Token(*forms, tuple(m.part_of_speech()), begin, end))
            continue
        s, e = link
        assert s <= begin and end <= e, "Sudachi read across the end of a link"
        if begin == s:
            url = text[s:e]
            out.append(Token(url, url, url, _LINK_POS, s, e))
    return out


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


def test_a_link_is_one_token_and_its_neighbours_stay_sudachis() -> None:
    text = "申込みはhttps://forms.gle/AbC123をご覧ください。"
    tokens = tokenize(text)
    link = next(t for t in tokens if t.surface.startswith("https"))
    assert (link.surface, link.begin, link.end) == ("https://forms.gle/AbC123", 4, 28)
    assert [t.surface for t in tokens if t.end <= 4] == ["申込み", "は"]
    assert [t.surface for t in tokens if t.begin >= 28][:3] == ["を", "ご覧", "ください"]


def test_a_link_whose_placeholder_would_join_a_neighbour_is_read_whole() -> None:
    # full-width letters after the link: Sudachi reads the placeholder letter and them as
    # one word, so the text is tokenized as it is, every morpheme Sudachi's own
    text = "詳細はhttps://a.jp/ｘｙｚです"
    assert tokenize(text) == [
        Token(m.surface(), m.normalized_form(), m.dictionary_form(), tuple(m.part_of_speech()),
              m.begin(), m.end())
        for m in plain_tokenizer().tokenize(text)
    ]  # fmt: skip
