"""The one-pass trigger scan must find exactly the strings that `in` finds."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker.prefilter import TriggerScan

_CHARS = "無断転載禁止許可をのパスワードab"
_strings = st.lists(st.text(alphabet=_CHARS, min_size=1, max_size=4), min_size=1, max_size=12)


@settings(max_examples=500)
@given(
    clauses=st.lists(_strings, min_size=1, max_size=4), text=st.text(alphabet=_CHARS, max_size=40)
)
@example(clauses=[["無断転載"], ["転載"], ["載禁止"]], text="無断転載禁止")  # overlapping, nested
@example(clauses=[["パス", "パスワード"]], text="パスワード")  # one a prefix of the other
def test_present_is_every_string_that_occurs(clauses: list[list[str]], text: str) -> None:
    scan = TriggerScan([tuple(c) for c in clauses])
    expected = {s for c in clauses for s in c if s in text}
    assert scan.present(text) == expected
