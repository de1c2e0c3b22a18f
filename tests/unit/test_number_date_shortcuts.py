"""Shortcuts of the number and date detectors find exactly what the plain work finds.

Each is compared with the computation it replaces, on the texts of sample_texts (the
draft corpus, every rule's examples, the adversarial units) and on generated text made
to reach its edges:
- My Number and card numbers looked for only in a draft with twelve ASCII digits
  (_TWELVE_DIGITS_RE), vs their regexes on every draft: stdnum refuses other scripts'
  digits, which \\d takes, so those must find nothing either way;
- phone numbers looked for only in a draft with a 0 or a +, vs the phone regex on
  every draft;
- the dates of a draft (dates._dates: the regex tried only before its marks, a match's
  kind told by its last group and only that kind's groups read), vs the whole date
  regex's finditer with every group read by name.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, dates, detectors
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit


@pytest.fixture(scope="module")
def texts(sample_texts: list[str]) -> list[str]:
    return sample_texts


# --- My Number and card numbers ---


def _mynumbers_plainly(draft: Draft) -> list[Hit]:
    """find_mynumber as it was: its regex on every draft."""
    from stdnum.jp import in_ as mynumber

    out = []
    for m in detectors._MYNUMBER_RE.finditer(draft.norm):
        if mynumber.is_valid(detectors._digits(m.group())):
            s, e = draft.orig_span(m.start(), m.end())
            if not _in_link_by_asking_every_link(draft, s, e):
                out.append(Hit(s, e, None, detectors._three_numbers(draft.norm, m)))
    return out


def _in_link_by_asking_every_link(draft: Draft, start: int, end: int) -> bool:
    if "://" not in draft.norm and "www." not in draft.norm:
        return False
    return any(s <= start and end <= e for s, e, *_ in detectors._urls(draft))


def _cards_plainly(draft: Draft) -> list[Hit]:
    """find_card as it was: its regex on every draft."""
    from stdnum import ean, luhn

    out = []
    for m in detectors._CARD_RE.finditer(draft.norm):
        d = detectors._digits(m.group())
        if 13 <= len(d) <= 19 and luhn.is_valid(d) and not (len(d) == 13 and ean.is_valid(d)):
            out.append(Hit(*draft.orig_span(m.start(), m.end())))
    return out


def _same_numbers(text: str) -> int:
    ctx = CheckContext()
    found = 0
    for plain, shortcut in (
        (_mynumbers_plainly, detectors.find_mynumber),
        (_cards_plainly, detectors.find_card),
    ):
        want = plain(Draft(text))
        assert list(shortcut(Draft(text), ctx, {})) == want, (shortcut.__name__, text)
        found += len(want)
    return found


def test_long_numbers_behind_the_twelve_digit_gate_are_found_as_plainly_on_every_text(
    texts: list[str],
) -> None:
    assert sum(_same_numbers(t) for t in texts) >= 3  # the rules' own match examples


class _CountingList(list):
    """A list that counts how often it is read from the start."""

    reads = 0

    def __iter__(self):
        self.reads += 1
        return super().__iter__()


def test_my_numbers_among_many_links_read_the_links_once() -> None:
    # 12 digits after a link, many times: each number was asked about every link (and
    # the whole text searched for :// first), quadratic in a long draft
    text = "https://a.jp/123456789018 番号は123456789018です。\n" * 200
    draft = Draft(text)
    links = _CountingList(detectors._urls(draft))
    draft.__dict__["_urls"] = links
    hits = list(detectors.find_mynumber(draft, CheckContext(), {}))
    assert [text[h.start : h.end] for h in hits] == ["123456789018"] * 200  # not those in links
    assert all(text[h.start - 3 : h.start] == "番号は" for h in hits)
    assert links.reads <= 1


_NUMBER_PIECES = st.sampled_from(
    ["4111", "1111", "4", "1", "0", "9", "8", "3", "5", "6", " ", "-", "－", "　",
     "١", "٢", "٣", "٤", "５", "a", "番", "/", "https://x.jp/"]
)  # fmt: skip


@settings(max_examples=4000, deadline=None)
@given(st.lists(_NUMBER_PIECES, max_size=30).map("".join))
@example("個人番号：1234 5678 9018")
@example("１２３４５６７８９０１８")  # full-width: NFKC makes it ASCII, a hit
@example("١٢٣٤٥٦٧٨٩٠١٨")  # Arabic-Indic: \d takes it, stdnum does not
@example("4111 1111 1111 1111")
@example("4111-1111-1111-1111")
@example("4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1")
@example("٤111 1111 1111 1111")
def test_long_numbers_behind_the_twelve_digit_gate_are_found_as_plainly(text: str) -> None:
    _same_numbers(text)


# --- phone numbers ---


def _phones_plainly(draft: Draft) -> list[tuple[int, int, str]]:
    """_phone_numbers as it was: the phone regex on every draft."""
    out = []
    for m in detectors._PHONE_RE.finditer(draft.norm):
        d = detectors._digits(m.group())
        if m.group().startswith("+"):
            d = d[2:] if d[2:3] == "0" else "0" + d[2:]
        out.append((m.start(), m.end(), d))
    return out


def _same_phones(text: str) -> int:
    want = _phones_plainly(Draft(text))
    assert detectors._phone_numbers(Draft(text)) == want, text[:80]
    return len(want)


def test_phone_numbers_behind_the_zero_or_plus_gate_are_found_as_plainly_on_every_text(
    texts: list[str],
) -> None:
    assert sum(_same_phones(t) for t in texts) > 20


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(["0", "9", "1", "3", "81", "+", "(", ")", "-", " ", "ー", "٠", "a"]), max_size=30).map("".join))
@example("+81 3 1234 5678")
@example("+81-90-1234-5678")
@example("(0266)41-1112、0266(41)1112、090-1234-5678")
def test_phone_numbers_behind_the_zero_or_plus_gate_are_found_as_plainly(text: str) -> None:
    _same_phones(text)


# --- dates ---


def _dates_plainly(draft: Draft, ctx: CheckContext) -> list[dates.DateMention]:
    """dates._dates as it was before its shortcuts: _DATE_RE.finditer, groupdict."""
    out = []
    norm = draft.norm
    ref = ctx.reference_date()
    last = None
    for m in dates._DATE_RE.finditer(norm):
        g = {name: m.groupdict().get(name) for name in dates._DATE_GROUPS}
        wd = dates._WD_RE.match(norm, m.end())
        year = era = None
        if g["d3"] is not None:
            if last is None or wd is None:
                continue
            year, month, day = last[0], last[1], int(g["d3"])
            given = last[2]
        elif g["m2"] is not None:
            month, day = int(g["m2"]), int(g["d2"])
            if g["y2"]:
                year = int(g["y2"])
            elif wd is None:
                continue
        elif g["m4"] is not None:
            month, day = int(g["m4"]), int(g["d4"])
            if wd is None and (month > 12 or day > 31):
                continue
            if g["ea"]:
                year, era = dates._era_year(g["ea"], g["eay"])
            else:
                year = int(g["y4"])
        else:
            month, day = dates._number(g["m"]), dates._number(g["d"])
            if g["era"]:
                year, era = dates._era_year(g["era"], g["ey"])
            elif g["y"]:
                year = dates._number(g["y"])
        if g["d3"] is None:
            given = year is not None
        if year is None:
            year = dates._infer_year(month, day, ref) if 1 <= month <= 12 else None
        s, e = draft.orig_span(m.start(), wd.end() if wd else m.end())
        if norm[m.start()].isspace():
            s += len(draft.text[s:e]) - len(draft.text[s:e].lstrip())
        dt = dates._date_or_none(year, month, day) if year is not None else None
        if dt is not None and era is not None and not dates._in_era(era, dt):
            dt = None
        written, holiday = wd.groups() if wd is not None and dt is not None else (None, None)
        out.append(dates.DateMention(s, e, month, day, dt, written, holiday == "祝", given))
        if dt is not None:
            last = (dt.year, month, given)
    return out


_CTX = CheckContext(schedule=datetime(2025, 12, 20, 9, 0))


def _same_dates(text: str) -> int:
    want = _dates_plainly(Draft(text), _CTX)
    assert dates._dates(Draft(text), _CTX) == want, text[:80]
    return len(want)


def test_a_drafts_dates_are_read_as_plainly_on_every_text(texts: list[str]) -> None:
    assert sum(_same_dates(t) for t in texts) > 100


_DATE_PIECES = st.sampled_from(
    ["2025", "12", "1", "0", "٣", "١٢", "/", ".", " ", "\u3000", "\n", "年", "月", "日",
     "令和", "平成", "昭和", "元", "〜", "-", "、", "から", "（土）", "(月)", "（火・祝）",
     "十", "一", "二十五", "〇", "R", "H", "S", "R8.", "a"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(_DATE_PIECES, max_size=16).map("".join))
@example("令和7年6月14日（土）〜 22日（日）、2025/6/1(日)、1/2、11/25（火）")
@example("十一月二十五日（火）、R8.11.25（火）、H31.4.30、2024.13.1、二〇二六年一月一日")
@example("平成31年5月1日（水）から3日（金）、2月30日、2月29日（木）")
def test_a_drafts_dates_are_read_as_plainly(text: str) -> None:
    _same_dates(text)
