"""Is a phone number given as an organisation's contact?

Event posts end with a contact: お問い合わせ：辰野町商工会 TEL 0266-41-2345, 主催 上伊那医師会
事務局（電話 0265-…）. The number of an association, a museum or an executive committee is
published by that body for the public; it is not a resident's personal data, and warning
on it on every event post teaches reviewers to skip the warning. A number counts as an
organisation's when, before it on its line or the two lines above, there is a contact
word (問い合わせ, TEL, 電話, FAX …; or after it on its line: …へご連絡ください) and a
word naming an organisation by its kind (…会,
…館, …局, …センター, 実行委員会 …: a pattern of endings, not a list of names), and no
person's name stands between that organisation and the number.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from gateway.checker.draft import Draft
from gateway.checker.tokenizer import PERSON

_WINDOW = 120  # characters before the number (its line and up to two lines above)


class ContactOptions(NamedTuple):
    contact: re.Pattern[str]
    organisation: re.Pattern[str]


def contact_options(contact_words: tuple[str, ...], org_endings: tuple[str, ...]) -> ContactOptions:
    """Patterns from a rule's word lists (endings may be regexes, e.g. `\\(株\\)`)."""
    # case as written (TEL, Tel, tel are listed): IGNORECASE would cost a slower scan
    contact = re.compile("|".join(contact_words))
    # the end of an organisation word: one of the endings, not continued by another kanji
    # (会 in 会場 is no organisation). Only the ending is matched, so `re` skips to the
    # endings' first letters in C.
    org = re.compile("(?:" + "|".join(org_endings) + r")(?![\u4e00-\u9fff])")
    return ContactOptions(contact, org)


def organisation_contact(draft: Draft, start: int, opts: ContactOptions) -> bool:
    """Whether the number at `start` (an offset in draft.norm) is an organisation's contact."""
    text = draft.norm
    lo = start
    for _ in range(3):  # its line and two above
        if lo <= 0:
            break
        lo = text.rfind("\n", 0, lo - 1) + 1
    lo = max(lo, start - _WINDOW)
    window = text[lo:start]
    line_end = text.find("\n", start)
    after = text[start : len(text) if line_end < 0 else line_end]
    if not (opts.contact.search(window) or opts.contact.search(after)):
        return False  # 〇〇会 TEL …, or 〇〇署（…）へご連絡ください
    last_org = -1
    for m in opts.organisation.finditer(window):
        last_org = m.end()
    if last_org < 0:
        return False
    s, e = draft.orig_span(lo + last_org, start) if start > lo + last_org else (0, 0)
    if e <= s:
        return True
    cols = draft.columns
    return not any(cols.kinds[i] & PERSON for i in _token_range(draft, s, e))


def _token_range(draft: Draft, start: int, end: int) -> range:
    starts = draft.token_starts
    return range(max(bisect_right(starts, start) - 1, 0), bisect_left(starts, end))
