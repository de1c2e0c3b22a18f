"""The tokenizer's caches (by word id, by id and surface for unknown words, and the
forms of dates and full-width phone numbers read as one token) must give
exactly what Sudachi gives for every morpheme, the first time and every time after; a
link or a phone number is one token, and every morpheme around it is Sudachi's reading of
the whole text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.checker import tokenizer
from gateway.checker.opaque_runs import _DATE, _LINK, _PHONE, STAND_INS, opaque_runs
from gateway.checker.tokenizer import Token, reference_tokenizer, tokenize

# the runs read as one token, by their plain definition: one left-to-right scan for any
_RUNS = re.compile(f"(?P<link>{_LINK})|(?P<phone>{_PHONE})|(?P<date>{_DATE})")

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
    # phone numbers as contact lines write them, and next to what the placeholder could join
    "お問い合わせ：産業振興課（0266-41-1111）、FAX 0266-41-1112まで",
    "TEL:0266-41-1111／携帯090-1234-5678／℡0120-123-456",
    "電話０２６６－４１－１１１１（平日のみ）",
    "TEL0266-41-1111 と 10-1234-5678 と 0266-41-11112 と 0266-41-1111-2 と 〇0266-41-1111",
    "第0266-41-1111号、12,0266-41-1111、0266-41-1111.5、0266-41-1111円",
    # dates with their weekday, and next to what the placeholder could join
    "【辰野ほたる祭り】6月14日（土）から22日(日)まで。令和7年9月8日（月）、2025年10月1日（水）",
    "１２月２４日（水）～１月５日（月）は休み。第3日（月）、十9月8日（月）、1.9月8日（月）",
    "9月8日（月・祝）、9月8日（月曜）、9月8日（げつ）、9月8日（月）らしい、土人9月8日（月）",
]


def _sudachi(text: str) -> list[Token]:
    """Sudachi's reading of the whole text, the morphemes of each link or phone number
    made one token."""
    runs = [(m.start(), m.end(), m.lastgroup) for m in _RUNS.finditer(text)]
    out: list[Token] = []
    for m in reference_tokenizer().tokenize(text):
        begin, end = m.begin(), m.end()
        run = next(((s, e, k) for s, e, k in runs if s < end and begin < e), None)
        if run is None:
            forms = (m.surface(), m.normalized_form(), m.dictionary_form())
            out.append(Token(*forms, tuple(m.part_of_speech()), begin, end))
            continue
        s, e, kind = run
        assert s <= begin and end <= e, "Sudachi read across the end of a link or number"
        if begin == s:
            whole = unicodedata.normalize("NFKC", text[s:e])
            out.append(Token(text[s:e], whole, whole, STAND_INS[kind].pos, s, e))
    return out


def _whole(text: str) -> list[Token]:
    """Sudachi's own reading, every morpheme as it is."""
    return [
        Token(m.surface(), m.normalized_form(), m.dictionary_form(), tuple(m.part_of_speech()),
              m.begin(), m.end())
        for m in reference_tokenizer().tokenize(text)
    ]  # fmt: skip


@pytest.mark.parametrize("text", TEXTS)
def test_tokens_are_sudachis_with_cold_and_warm_caches(text: str) -> None:
    tokenizer._lexical.clear()
    tokenizer._unknown.clear()
    tokenizer._run_infos.clear()
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
    assert tokenize(text) == _whole(text)


def test_a_phone_number_is_one_number_token_and_its_neighbours_stay_sudachis() -> None:
    text = "お問い合わせは産業振興課（0266-41-1111）まで。"
    tokens = tokenize(text)
    number = next(t for t in tokens if t.surface[0] == "0")
    assert (number.surface, number.pos[:2], number.begin, number.end) == (
        "0266-41-1111", ("名詞", "数詞"), 13, 25,
    )  # fmt: skip
    whole = _whole(text)
    assert [t for t in tokens if t.end <= 13] == [t for t in whole if t.end <= 13]
    assert [t for t in tokens if t.begin >= 25] == [t for t in whole if t.begin >= 25]
    assert [t.surface for t in whole if 13 <= t.begin < 25] == ["0266", "-", "41", "-", "1111"]


_DRAFTS = Path(__file__).resolve().parents[1] / "data" / "drafts"


def test_every_corpus_draft_reads_as_sudachi_reads_it_whole() -> None:
    # the drafts as staff write them (contact lines, links in every position): around
    # every link and phone number, each morpheme is Sudachi's reading of the whole draft
    texts = [p.read_text(encoding="utf-8") for p in sorted(_DRAFTS.rglob("*.txt"))]
    assert len(texts) > 200
    with_runs = 0
    for text in texts:
        with_runs += bool(_RUNS.search(text))
        assert tokenize(text) == _sudachi(text), text[:60]
    assert with_runs > 50  # the corpus does exercise the placeholders


_PIECES = [
    "0266-41-1111", "０２６６－４１－１１１１", "090-1234-5678", "0", "０", "-", "－", "1", "12",
    "https://a.jp/0266-41-1111", "http://x.jp/", "HTTPS://forms.gle/A1", "h", "H", "ttp://",
    "://", "www.", ".", ",", "，", "．", "a", "Ｚ", "電話", "（", "）", " ", "\n", "。", "〇",
    "9月8日（月）", "10日(水)", "１２月", "日", "月", "日（", "（月", "(", ")", "十", "３",
]  # fmt: skip


@given(st.lists(st.sampled_from(_PIECES), max_size=16))
def test_opaque_runs_are_one_left_to_right_scan_for_links_and_numbers(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = [(m.start(), m.end(), m.lastgroup) for m in _RUNS.finditer(text)]
    assert opaque_runs(text) == expected
