"""Texts over Sudachi's byte limit are checked in pieces cut at paragraph, line or
sentence boundaries: no word is cut, every piece fits, positions are those of the whole
text, and rules that look at the whole text still see all of it."""

from __future__ import annotations

import json
import unicodedata
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, Checker
from gateway.checker.tokenizer import (
    SUDACHI_MAX_BYTES,
    _tokenize_piece,
    text_pieces,
    tokenize_columns,
)
from gateway.cli import main

# Paragraphs a town's blog really has: an event, a notice, an English line, a list.
PARAGRAPHS = [
    "辰野町では11月25日（火）に、ほたる祭りの反省会を開きます。皆さんのご参加をお待ちしております。",
    "問い合わせは産業振興課（0266-41-1111）まで。詳しくは https://www.town.tatsuno.lg.jp/ をご覧ください。",
    "The Firefly Festival is held every June in Tatsuno. Shuttle buses run from the station!",
    "・持ち物：筆記用具、上履き\n・会場：辰野町民会館　大ホール\n・定員：先着１２０名",
    "ＴＡＴＳＵＮＯ　ＦＥＳ　２０２５のご案内です。ｼｬﾄﾙﾊﾞｽを運行します😀👍🏻",
]


def _blog_post(n_chars: int) -> str:
    out, i = [], 0
    while sum(map(len, out)) < n_chars:
        out.append(PARAGRAPHS[i % len(PARAGRAPHS)])
        i += 1
    return "\n\n".join(out)


def _pieces_fit(text: str) -> None:
    spans = text_pieces(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    for (_, e), (s, _) in pairwise(spans):
        assert e == s  # contiguous, nothing lost or doubled
    for s, e in spans:
        assert e > s
        assert len(text[s:e].encode("utf-8")) <= SUDACHI_MAX_BYTES


def test_a_long_post_is_tokenized_as_its_paragraphs_are() -> None:
    text = _blog_post(25_000)
    assert len(text.encode("utf-8")) > SUDACHI_MAX_BYTES
    _pieces_fit(text)
    cols = tokenize_columns(text)
    assert "".join(cols.surfaces) == text
    # every cut is at a paragraph boundary: tokens are those of each paragraph alone
    expected: list[str] = []
    for k, para in enumerate(text.split("\n\n")):
        if k:
            expected += _tokenize_piece("\n\n").surfaces
        expected += _tokenize_piece(para).surfaces
    assert len(text_pieces(text)) > 1
    for s, _ in text_pieces(text)[1:]:
        assert text[s - 2 : s] == "\n\n"
    assert cols.surfaces == expected


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from([*PARAGRAPHS, "。", "\n", " ", "あ" * 300, "漢" * 500]), min_size=1),
    st.integers(min_value=300, max_value=4000),
)
def test_pieces_cover_the_text_and_each_fits(parts: list[str], max_bytes: int) -> None:
    text = "".join(parts) * 3
    spans = text_pieces(text, max_bytes)
    assert spans[-1][1] == len(text)
    for s, e in spans:
        assert e > s and len(text[s:e].encode("utf-8")) <= max_bytes
        # a piece that does not end the text ends at a boundary when its window has one
        window_has_boundary = any(c in text[s:e] for c in "。\n ")
        if e < len(text) and window_has_boundary:
            assert text[e - 1] in "。\n !？、 \u3000" or text[e - 2 : e] == ". "


@pytest.mark.parametrize(
    "run",
    [
        "あ" * 40_000,  # no boundary at all
        "か\u3099" * 30_000,  # decomposed kana: a sound mark never starts a piece
        "👍🏻" * 20_000,  # skin-tone modifiers stay with their emoji
        "a" * 100_000,
    ],
)
def test_a_run_without_boundaries_is_cut_between_whole_characters(run: str) -> None:
    _pieces_fit(run)
    for s, _ in text_pieces(run)[1:]:
        ch = run[s]
        assert not unicodedata.combining(ch) and not "\U0001f3fb" <= ch <= "\U0001f3ff"
    assert "".join(tokenize_columns(run).surfaces) == run


@pytest.mark.parametrize(
    "run",
    [
        "\u200b" * 30_000,  # zero-width spaces pasted or planted
        "\u202e\u202c" * 15_000,  # direction controls
        "バ" + "\u0301" * 40_000,  # one letter under a pile of accents
        "あ" * 700 + "\ufe0f" * 20_000,
    ],
)
def test_a_long_run_of_marks_is_cut_into_full_pieces(run: str) -> None:
    """A character carries at most a few dozen marks: past that, a run of marks is cut
    where the window ends, not walked back to pieces of one character each (thousands
    of Sudachi calls for one hostile mail)."""
    _pieces_fit(run)
    spans = text_pieces(run)
    full = len(run.encode("utf-8")) / 2_048
    assert len(spans) <= 2 * full + 2, len(spans)
    assert "".join(tokenize_columns(run).surfaces) == run


def test_findings_in_a_long_post_carry_their_own_line_and_column(checker: Checker) -> None:
    body = _blog_post(30_000)
    text = body + "\n\n連絡先は 090-1234-5678（担当 山田）です。\n"
    findings = checker.check(text, CheckContext(platform="blog"))
    phone = [f for f in findings if f.excerpt == "090-1234-5678"]
    assert phone, [f.rule for f in findings]
    line = text.count("\n", 0, text.index("090-1234")) + 1
    assert (phone[0].line, phone[0].column) == (line, 6)


def test_rules_on_the_whole_text_see_every_piece(checker: Checker) -> None:
    """Repeated lines and the near-duplicate test work on the text, not on a piece."""
    line = "限定セール開催中！今すぐアクセス！"
    text = line + "\n" + _blog_post(20_000) + "\n" + line + "\n" + _blog_post(20_000) + "\n" + line
    rules = {f.rule for f in checker.check(text, CheckContext(platform="blog"))}
    assert "spam-repeated-lines" in rules or any("repeat" in r for r in rules), rules
    recent = _blog_post(40_000)
    dup = {f.rule for f in checker.check(recent, CheckContext(recent_approved_texts=(recent,)))}
    assert any("duplicate" in r for r in dup), dup


def test_gateway_check_of_a_long_blog_post_reports_instead_of_crashing(tmp_path, capsys) -> None:
    post = tmp_path / "blog.txt"
    text = "\n\n".join(PARAGRAPHS[:2] * 180) + "\n\nマイナンバーは 1234 5678 9018 です。"
    post.write_text(text, encoding="utf-8")
    code = main(["check", "--format", "json", str(post)])
    out = capsys.readouterr().out
    report = json.loads(out)
    assert code in (0, 1, 2)
    findings = report["findings"] if isinstance(report, dict) else report
    lines = {f["line"] for f in findings}
    assert text.count("\n") + 1 in lines
