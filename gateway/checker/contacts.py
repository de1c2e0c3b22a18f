"""Is a phone number given as an organisation's contact?

Event posts end with a contact: お問い合わせ：辰野町商工会 TEL 0266-41-2345, 主催 上伊那医師会
事務局（電話 0265-…）. The number of an association, a museum or an executive committee is
published by that body for the public; it is not a resident's personal data, and warning
on it on every event post teaches reviewers to skip the warning. A number counts as an
organisation's when, before it on its line or the four lines above (a facility listed
with its fields one a line: 【診療日】 / 【所在地】 / 【お問合せ】), there is a contact
word (問い合わせ, TEL, 電話, FAX …; or after it on its line: …へご連絡ください) and a
word naming an organisation by its kind (…会,
…館, …局, …センター, 実行委員会, …相談ダイヤル …: a pattern of endings, not a list of names),
and no person's name stands between that organisation and the number; or the body is
named in brackets right after the number (【お問合せ】03-5285-8898（東京都）). Without a
contact word, a number right beside or under the organisation's name counts too
(中川警察署 / 052-…).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from gateway.checker.draft import Draft
from gateway.checker.loadmemo import compile_regex
from gateway.checker.tokenizer import PERSON

_WINDOW = 120  # characters before the number (its line and up to four lines above)
_LINES = 5  # its line and four above: a facility's name, then 【診療日】【所在地】… one a line
# the body named in brackets right after the number: 03-5285-8898（東京都）
_AFTER_REACH = 48  # the number (at most ~20 characters) and its bracket
_BODY_AFTER = re.compile(r"[\d\-()]+\s*[(（]([^()（）\n]{1,24})[)）]")
_SEPARATORS = re.compile(r"[\s:：、,（(）)]*")


class ContactOptions(NamedTuple):
    contact: re.Pattern[str]
    organisation: re.Pattern[str]


def contact_options(contact_words: tuple[str, ...], org_endings: tuple[str, ...]) -> ContactOptions:
    """Patterns from a rule's word lists (endings may be regexes, e.g. `\\(株\\)`)."""
    # case as written (TEL, Tel, tel are listed): IGNORECASE would cost a slower scan
    contact = compile_regex("|".join(contact_words))  # on first use, once known to compile
    # the end of an organisation word: one of the endings, not continued by another kanji
    # (会 in 会場 is no organisation). Only the ending is matched, so `re` skips to the
    # endings' first letters in C.
    org = compile_regex("(?:" + "|".join(org_endings) + r")(?![\u4e00-\u9fff])")
    return ContactOptions(contact, org)


def organisation_contact(draft: Draft, start: int, opts: ContactOptions, depth: int = 0) -> bool:
    """Whether the number at `start` (an offset in draft.norm) is an organisation's contact.

    A number that follows, in the same block, another number that is the organisation's
    (TEL … / (内線 …) / FAX …, one item a line as a web page's footer lays it out) is the
    same organisation's too."""
    if _own_contact(draft, start, opts):
        return True
    if depth >= 2:
        return False
    text = draft.norm
    block = text.rfind("\n\n", max(0, start - _WINDOW), start)
    lo = max(block + 2 if block >= 0 else 0, start - _WINDOW)
    previous = list(_NUMBER_RE.finditer(text, lo, start))
    if not previous:
        return False
    last = previous[-1]
    # only a few characters of labels between (FAX:, (内線 …)), and nobody's name
    if start - last.end() > _CHAIN_GAP or not _nobody_between(draft, last.end(), start):
        return False
    return organisation_contact(draft, last.start(), opts, depth + 1)


_CHAIN_GAP = 24  # characters between two numbers of one contact block


# (?<![\d-])\d{2,5}[-(]\d{1,4}[-)]\d{3,4}(?![\d-]), its first digit taken before the
# look-behind (which then looks back past it): `re` skips in C to a digit
_NUMBER_RE = re.compile(r"\d(?<![\d-]\d)\d{1,4}[-(]\d{1,4}[-)]\d{3,4}(?![\d-])")


def _own_contact(draft: Draft, start: int, opts: ContactOptions) -> bool:
    text = draft.norm
    lo = start
    for _ in range(_LINES):  # its line and those above, within _WINDOW characters
        if lo <= 0:
            break
        lo = text.rfind("\n", 0, lo - 1) + 1
    lo = max(lo, start - _WINDOW)
    window = text[lo:start]
    line_end = text.find("\n", start)
    after = text[start : len(text) if line_end < 0 else line_end]
    last_org = -1
    for m in opts.organisation.finditer(window):
        last_org = m.end()
    if last_org < 0:
        return _body_after(draft, start, after, opts) and opts.contact.search(window) is not None
    if not (opts.contact.search(window) or opts.contact.search(after)):
        # 〇〇会 TEL …, or 〇〇署（…）へご連絡ください; without a contact word, only a number
        # right under or beside the body's name (■情報配信 / 中川警察署 / 052-354-0110)
        return _SEPARATORS.fullmatch(window[last_org:]) is not None
    return _nobody_between(draft, lo + last_org, start)


def _body_after(draft: Draft, start: int, after: str, opts: ContactOptions) -> bool:
    """The number is followed on its line by a body's name in brackets, nobody's name."""
    m = _BODY_AFTER.match(after, 0, _AFTER_REACH)  # bounded: a run of ( after it costs no more
    if m is None or opts.organisation.search(m[1]) is None:
        return False
    return _nobody_between(draft, start + m.start(1), start + m.end(1))


def _nobody_between(draft: Draft, start: int, end: int) -> bool:
    """No person's name between two offsets of draft.norm."""
    s, e = draft.orig_span(start, end) if end > start else (0, 0)
    if e <= s:
        return True
    cols = draft.columns
    return not any(cols.kinds[i] & PERSON for i in _token_range(draft, s, e))


def _token_range(draft: Draft, start: int, end: int) -> range:
    starts = draft.token_starts
    return range(max(bisect_right(starts, start) - 1, 0), bisect_left(starts, end))
