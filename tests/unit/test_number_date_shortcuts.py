"""Shortcuts of the number and date detectors find exactly what the plain work finds.

Each is compared with the computation it replaces, on the texts of sample_texts (the
draft corpus, every rule's examples, the adversarial units) and on generated text made
to reach its edges:
- My Number and card numbers looked for only in a draft with twelve ASCII digits
  (_TWELVE_DIGITS_RE), vs their regexes on every draft: stdnum refuses other scripts'
  digits, which \\d takes, so those must find nothing either way.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, detectors
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
            if not detectors._in_link(draft, s, e):
                out.append(Hit(s, e))
    return out


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
