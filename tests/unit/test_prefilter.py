"""The one-pass trigger scan must find exactly the strings that `in` finds, both on its
first texts (one `in` per string) and once its regex is compiled."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker.prefilter import TriggerScan, passes, required_strings

_CHARS = "無断転載禁止許可をのパスワードab"
_strings = st.lists(st.text(alphabet=_CHARS, min_size=1, max_size=4), min_size=1, max_size=12)


def _scans(clauses: list[list[str]]) -> list[TriggerScan]:
    """A scan on its first texts, and one that has used them up (its regex path)."""
    first, compiled = TriggerScan([tuple(c) for c in clauses]), TriggerScan([tuple(c) for c in clauses])
    compiled._plain_scans = 0
    return [first, compiled]


@settings(max_examples=500)
@given(
    clauses=st.lists(_strings, min_size=1, max_size=4), text=st.text(alphabet=_CHARS, max_size=40)
)
@example(clauses=[["無断転載"], ["転載"], ["載禁止"]], text="無断転載禁止")  # overlapping, nested
@example(clauses=[["パス", "パスワード"]], text="パスワード")  # one a prefix of the other
def test_present_is_every_string_that_occurs(clauses: list[list[str]], text: str) -> None:
    expected = {s for c in clauses for s in c if s in text}
    for scan in _scans(clauses):
        assert scan.present(text) == expected


_PATTERNS = [
    r"[WwＷｗ][IiＩｉ][FfＦｆ][IiＩｉ]",
    r"(?:無断|許可)で?転載",
    r"パスワード[は:：]\s*\S+",
    r"(?i)wi-?fi",
    r"[ab][cd]e|f[gh]",
    r"x(?=[ab]c)",
    r"(?<=無断)転載[禁止]?",
    r"a[^b]c",
    r"(ab)+c",
]
_TEXT = st.text(alphabet="WwＷIiｉFfＦ無断許可で転載禁止パスワードは:： abcdefghx-", max_size=30)


@settings(max_examples=1500)
@given(pattern=st.sampled_from(_PATTERNS), text=_TEXT)
@example(pattern=r"[WwＷｗ][IiＩｉ][FfＦｆ][IiＩｉ]", text="ｗIＦi")
@example(pattern=r"(?:無断|許可)で?転載", text="許可で転載")
def test_a_text_a_regex_matches_always_passes_its_clauses(pattern: str, text: str) -> None:
    regex = re.compile(pattern)
    if regex.search(text):
        assert passes(required_strings(regex), text)


@settings(max_examples=300)
@given(
    clauses=st.lists(_strings, min_size=1, max_size=4),
    unit=st.text(alphabet=_CHARS, min_size=1, max_size=12),
    times=st.integers(min_value=1, max_value=200),
    tail=st.text(alphabet=_CHARS, max_size=12),
)
def test_present_past_the_step_budget_is_still_every_string_that_occurs(
    clauses: list[list[str]], unit: str, times: int, tail: str
) -> None:
    """A text that repeats its strings far more often than the scan steps through (it then
    tests the strings not found yet with `in`) gives the same set."""
    text = unit * times + tail
    for scan in _scans(clauses):
        assert scan.present(text) == {s for c in clauses for s in c if s in text}
