"""The per-draft scans made cheaper find exactly what the plain scans find.

Each shortcut is compared with the computation it replaces, on the draft corpus, every
rule's examples, the adversarial units and generated text made to reach its edges:
- dates: the date regex tried only before 年月日/. (dates.date_matches) vs its finditer;
- links: the link regex with its letters' cases as classes vs the same with IGNORECASE;
- spelled words: where a spelling may start (one regex of first letters and the letters
  after them) vs every head and single letter of the text.
"""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, Checker
from gateway.checker import dates as dates_module
from gateway.checker.dates import _DATE_RE, date_matches
from gateway.checker.draft import Draft
from gateway.checker.links import _URL_RE


@pytest.fixture(scope="module")
def texts(sample_texts: list[str]) -> list[str]:
    """The corpus drafts, every rule's examples and the adversarial units, as NFKC text."""
    return [Draft(t).norm for t in sample_texts]


# --- dates ---


_NO_GROUPS = dict.fromkeys(_DATE_RE.groupindex)


def _plain_dates(text: str) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    return [(m.span(), m.groupdict()) for m in _DATE_RE.finditer(text)]


def _fast_dates(text: str) -> list[tuple[tuple[int, int], dict[str, str | None]]]:
    """date_matches, made to try the regex before every mark, however dense they are
    (a dense text is otherwise scanned plainly, which would compare finditer with itself)."""
    few = dates_module._FEW
    try:
        dates_module._FEW = 10**9
        return [(m.span(), _NO_GROUPS | m.groupdict()) for m in date_matches(text)]
    finally:
        dates_module._FEW = few


def test_a_text_dense_with_marks_is_scanned_plainly(monkeypatch: pytest.MonkeyPatch) -> None:
    tried: list[int] = []

    class Counted:
        def match(self, text: str, pos: int) -> re.Match[str] | None:
            tried.append(pos)
            return _DATE_RE.match(text, pos)

        def finditer(self, text: str):
            return _DATE_RE.finditer(text)

    monkeypatch.setattr(dates_module, "_date_regex", lambda *kinds: Counted())
    sparse = "9月8日（月）から10日（水）まで、松尾峡・ほたる童謡公園で開催します。" * 3
    assert len(date_matches(sparse)) == 6 and len(tried) == 6
    tried.clear()
    assert len(date_matches("1.1." * 100)) == 0 and not tried


def test_dates_found_before_their_marks_are_finditers_on_every_text(texts: list[str]) -> None:
    found = 0
    for text in texts:
        assert _fast_dates(text) == _plain_dates(text), text[:80]
        found += len(_plain_dates(text))
    assert found > 100


_DATE_PIECES = st.sampled_from(
    ["2025", "12", "1", "0", "٣", "١٢", "/", ".", " ", "\u3000", "\n", "\t", "年", "月", "日",
     "令和", "平成", "昭和", "令", "和", "元", "〜", "~", "-", "・", "、", ",", "から", "ら",
     "（土）", "(月)", "X", "a", "十", "一", "二十五", "〇", "R", "H", "S", "R8.", "百",
     "1234567890123", "            "]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(_DATE_PIECES, max_size=16).map("".join))
@example("令和 7 年 6月14日（土）〜 22日、2025/6/1(日) と 0266-41-1111、1/2")
@example("十一月二十五日（火）、R8.11.25（火）、H31.4.30、二〇二六年一月一日")
@example("令和" + " " * 30 + "7年6月14日 1234567890123年1月1日 2025.1.1.1 1/1/1")
def test_dates_found_before_their_marks_are_finditers(text: str) -> None:
    assert _fast_dates(text) == _plain_dates(text)


@pytest.mark.parametrize("year", ["", "2025年", "令和٧年"])
@pytest.mark.parametrize("weekday", ["（土）", "（火）"])
def test_a_date_in_digits_of_another_script_reads_as_in_ascii(
    checker: Checker, year: str, weekday: str
) -> None:
    # \d takes every decimal digit: a month written ٣ (Arabic-Indic 3) crashed the check
    ctx = CheckContext(schedule=datetime(2025, 2, 1, 9, 0))
    ascii_year = year.replace("٧", "7")
    want = checker.check(f"{ascii_year}3月1日{weekday}に開催します。", ctx)
    got = checker.check(f"{year}٣月1日{weekday}に開催します。", ctx)
    assert [(f.rule, f.severity, f.column) for f in got] == [
        (f.rule, f.severity, f.column) for f in want
    ]
    assert bool(want) == (weekday == "（火）")  # 2025-03-01 was a Saturday


# --- links ---

_IGNORECASE_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'「」『』()\[\]、。，,]+", re.IGNORECASE)


def test_link_regex_with_cased_letters_is_the_ignorecase_regex(texts: list[str]) -> None:
    found = 0
    for text in texts:
        want = [m.span() for m in _IGNORECASE_URL_RE.finditer(text)]
        assert [m.span() for m in _URL_RE.finditer(text)] == want
        found += len(want)
    assert found > 50


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["http", "HTTP", "HtTpS", "httpſ", "https", "://", ":/", "www", "WwW", ".", "a",
             "x.jp", "/", " ", "「", "。", "あ", "K", "\u212a", "ß", "İ"]
        ),
        max_size=12,
    ).map("".join)
)  # fmt: skip
def test_link_regex_with_cased_letters_matches_the_ignorecase_regex(text: str) -> None:
    assert [m.span() for m in _URL_RE.finditer(text)] == [
        m.span() for m in _IGNORECASE_URL_RE.finditer(text)
    ]


def test_no_other_character_is_a_letter_of_a_link_start_under_ignorecase() -> None:
    # the classes list every character IGNORECASE takes for h, t, p, s and w
    for letter, cls in (("h", "Hh"), ("t", "Tt"), ("p", "Pp"), ("s", "Ssſ"), ("w", "Ww")):
        fullmatch = re.compile(letter, re.IGNORECASE).fullmatch
        taken = {ch for ch in map(chr, range(0x110000)) if fullmatch(ch)}
        assert taken == set(cls), letter


def test_a_dates_kind_and_groups_are_read_by_its_last_group_from_every_kinds_regex() -> None:
    """dates._dates tells a match's kind by its lastgroup and reads only that kind's
    groups (_KIND_GROUPS): every other group of the match is None, for every regex of
    some kinds, so nothing is left unread."""
    from itertools import product

    from gateway.checker.dates import _DATE_GROUPS, _KIND_GROUPS, _date_regex

    text = "令和7年6月14日（土）〜22日、2025/6/1(日)、11/25、R8.11.25、2026.11.25 二〇二六年一月一日"
    seen = set()
    for kinds in product((False, True), repeat=4):
        regex = _date_regex(*kinds)
        if regex is None:
            continue
        for m in regex.finditer(text):
            read = _KIND_GROUPS[m.lastgroup]
            groups = {name: m.groupdict().get(name) for name in _DATE_GROUPS}
            assert all(groups[name] is None for name in _DATE_GROUPS if name not in read)
            assert m.group(*read) == (tuple(groups[n] for n in read) if len(read) > 1 else groups[read[0]])
            seen.add(m.lastgroup)
    assert seen == set(_KIND_GROUPS)


# --- spelled words: where a spelling may start ---


def _plain_starts(text: str, heads: frozenset[str], singles: frozenset[str]) -> list[int]:
    return [i for i in range(len(text)) if text[i : i + 2] in heads or text[i] in singles]


def test_spelled_starts_are_every_head_and_single_in_the_corpus(
    checker: Checker, texts: list[str]
) -> None:
    from gateway.checker.engine import spelled_starts

    scan = checker._rules.spelled
    assert scan is not None and scan.heads
    found = 0
    for text in texts:
        want = _plain_starts(text, scan.heads, scan.singles)
        assert spelled_starts(text, scan) == want, text[:80]
        found += len(want)
    assert found > 100


@settings(max_examples=1000, deadline=None)
@given(
    heads=st.sets(st.text(alphabet="しねシネ死〇・ばかバカ.*", min_size=2, max_size=2), max_size=12),
    singles=st.sets(st.sampled_from("糞しバ*"), max_size=2),
    text=st.text(alphabet="しねシネ死〇・ばかバカ.*糞 あ", max_size=30),
)
def test_spelled_starts_are_every_head_and_single(
    heads: set[str], singles: set[str], text: str
) -> None:
    from gateway.checker.engine import SpelledScan, spelled_starts

    letters = frozenset(h[0] for h in heads) | frozenset(singles)
    scan = SpelledScan(letters, frozenset(heads), frozenset(singles), frozenset())
    want = _plain_starts(text, scan.heads, scan.singles)
    assert spelled_starts(text, scan) == want
    assert spelled_starts(text, scan, first_only=True) == want[:1]


# --- spaced words: spaces between two non-ASCII letters ---

_SPACED_AS_WRITTEN = re.compile(r"(?<=[^\x00-\x7f]) {1,2}(?=[^\x00-\x7f])")


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=" ばか a.\u3000\n", max_size=24))
@example("ば か  ば   か a b  ば")
def test_spaces_between_non_ascii_letters_found_from_the_space_are_as_written(text: str) -> None:
    from gateway.checker.fold import _SPACED_NON_ASCII

    assert [m.span() for m in _SPACED_NON_ASCII.finditer(text)] == [
        m.span() for m in _SPACED_AS_WRITTEN.finditer(text)
    ]


def test_spaces_between_non_ascii_letters_on_every_text(texts: list[str]) -> None:
    from gateway.checker.fold import _SPACED_NON_ASCII

    found = 0
    for text in texts:
        want = [m.span() for m in _SPACED_AS_WRITTEN.finditer(text)]
        assert [m.span() for m in _SPACED_NON_ASCII.finditer(text)] == want
        found += len(want)
    assert found > 20


# --- regexes reshaped to start with a class (re skips in C to where they can match) ---


def _as_written() -> list[tuple[re.Pattern[str], re.Pattern[str]]]:
    """(the regex as the checker has it, the same as it was written for people)."""
    from gateway.checker import contacts, draft

    return [
        (_URL_RE, _IGNORECASE_URL_RE),
        (draft._SENTENCE_END, re.compile(r"[。！？!?\n]+")),
        (draft._NOT_INERT_RUN, re.compile(f"[^{draft._INERT}]+")),
        (contacts._NUMBER_RE, re.compile(r"(?<![\d-])\d{2,5}[-(]\d{1,4}[-)]\d{3,4}(?![\d-])")),
    ]


def test_reshaped_regexes_match_as_written_on_every_text(texts: list[str]) -> None:
    for fast, plain in _as_written():
        found = 0
        for text in texts:
            want = [m.span() for m in plain.finditer(text)]
            assert [m.span() for m in fast.finditer(text)] == want, (plain.pattern, text[:80])
            found += len(want)
        assert found > 10, plain.pattern


@settings(max_examples=3000, deadline=None)
@given(
    text=st.text(
        alphabet="0123456789٣-()（）。！？!? \nａｱｶﾞ㈱①か\u3099Hhttps:/wW.x", max_size=30
    ),
    start=st.integers(0, 30),
)
@example(text="0266-41-1111、(0266)41-1111 12-3-4567", start=0)
def test_reshaped_regexes_match_as_written(text: str, start: int) -> None:
    for fast, plain in _as_written():
        assert [m.span() for m in fast.finditer(text, start)] == [
            m.span() for m in plain.finditer(text, start)
        ], plain.pattern
