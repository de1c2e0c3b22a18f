"""A rule's matches in a draft to its findings, with a long list cut short.

A pasted or hostile draft can match one rule thousands of times (a page of 死ね, a spaced
ばか per word). Weighing every place (its sentence's contexts, its quotes) and listing each
costs time per place, and gives the author a mail of thousands of lines. So a rule lists
its first `listed` findings of each severity; the last one listed says how many more
places there are (Finding.omitted), which the mail and the JSON show.

What is never lost is a rule's worst severity. A context only lowers an error to a
warning, so once a rule has listed `listed` findings at its own severity nothing later can
be worse: its remaining places are counted, not weighed. Until then every place is weighed:
an error rule whose first places are quoted may have an unquoted one later.

The generators (TokenIndex, TokenRule, RegexRule) stop after `weighed` matches of a rule
and say from which offset their list is incomplete (a cutoff). The matches before the
cutoff are exactly those of a run without a limit, so the findings listed are the same.
A rule not decided before its cutoff has its matches generated again without a limit.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import NamedTuple

from gateway.checker.contexts import _quote_index, _quoted, _QuoteIndex
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, Rule
from gateway.model import Finding, Severity


class Listing(NamedTuple):
    """How much of a rule's matches a check weighs and lists."""

    listed: int  # findings listed per rule and severity
    weighed: int | None  # matches a generator yields per rule before it stops (None: all)


# 20 places of one rule locate a habit in a long post; a page of them only floods the mail.
LISTING = Listing(listed=20, weighed=1_000)
EVERYTHING = Listing(listed=1 << 62, weighed=None)  # the uncapped computation, for tests


_start = attrgetter("start")
_end = attrgetter("end")


def _in_order(hits: list[Hit]) -> list[Hit]:
    """By start; at one start, the longest first; else as generated (two stable sorts
    with C keys: a flood of matches made a Python key function a cost per match)."""
    hits.sort(key=_end, reverse=True)
    hits.sort(key=_start)
    return hits


# Whether an error rule's quoted places, once its warnings are listed in full, are counted
# by _count_quoted (a module variable: a test compares with weighing each place)
COUNT_QUOTED = True


def _count_quoted(
    hits: list[Hit],
    i: int,
    n: int,
    cutoff: int | None,
    last_end: int,
    own_overlaps: bool,
    quotes: _QuoteIndex,
    in_link: Callable[[int, int], bool] | None,
    not_followed: tuple[str, ...],
    startswith: Callable[..., bool],
) -> tuple[int, int, int]:
    """rule_findings's loop for the places of an error rule softened inside quotes, once
    its list of warnings is full and the rule has no `unless`: a place inside the quote
    stretch of the draft's one kind of quote pair is a warning that is only counted. The
    loop's own tests, in its order (overlap, link, not_followed), with _quoted's test
    for a span inside a stretch inline (a quoted flood of 12,000 places went through
    the whole loop for each; a place's own soft reason makes it a warning all the
    same). It stops before a place it cannot decide so (not plainly quoted, at the
    cutoff): the loop weighs that one. Returns (i, last_end, places counted)."""
    ((cl, firsts, lasts),) = quotes.stretches
    text, length = quotes.text, quotes.length
    stop = length + 1 if cutoff is None else cutoff
    counted = 0
    while i < n:
        hit = hits[i]
        start, end = hit[0], hit[1]
        if start >= stop:
            break
        if end <= last_end and start < last_end and not own_overlaps:
            i += 1
            continue
        k = bisect_right(firsts, start) - 1
        if k < 0 or end > (last := lasts[k]) or last >= length or text[last] != cl:
            break  # not plainly inside a closed stretch: weighed by the loop
        i += 1
        if end > last_end:
            last_end = end
        if in_link is not None and in_link(start, end):
            continue
        if not_followed and startswith(not_followed, end):
            continue
        counted += 1
    return i, last_end, counted


def rule_findings(
    rule: Rule,
    hits: list[Hit],
    cutoff: int | None,
    draft: Draft,
    in_link: Callable[[int, int], bool] | None,
    again: Callable[[int], list[Hit]],
    listing: Listing = LISTING,
) -> list[Finding]:
    """The findings of one rule from its matches (`hits`, complete before `cutoff`).

    One finding per place: a match inside a longer match of the same rule is dropped (a
    prh rule has thinned its matches already, by prh's own filters). `in_link`: whether a
    span lies inside a link (words there are the link rules' business). `again(offset)`:
    every match of the rule that starts at or after `offset`, without a limit (those
    before it may be there too; they are passed over).
    """
    own_overlaps = rule.resolves_overlaps
    _in_order(hits)
    top, cap = rule.severity, listing.listed
    listed: dict[Severity, list[Finding]] = {}
    omitted: dict[Severity, int] = {}
    last_end = -1
    i, n = 0, len(hits)
    decided = False
    # the rule's tests as locals: a flood of undecided places runs this loop per place
    unless, not_followed, softened = rule.unless, rule.not_followed, rule.softened
    startswith = draft.text.startswith
    warning = Severity.WARNING
    # an error rule softened inside quotes: the quotes asked first, directly (a flood of
    # quoted places went through softened, the context loop and present for each)
    quotes = (
        _quote_index(draft)
        if top is Severity.ERROR and any(c.quoted for c in rule.soften)
        else None
    )
    counting = False  # quoted places are only counted now (see _count_quoted)
    while i < n:
        if counting:
            i, last_end, more = _count_quoted(
                hits,
                i,
                n,
                cutoff,
                last_end,
                own_overlaps,
                quotes,
                in_link,
                not_followed,
                startswith,
            )
            if more:
                omitted[warning] = omitted.get(warning, 0) + more
            if i >= n:
                break
        hit = hits[i]
        start, end = hit[0], hit[1]  # Hit.start, Hit.end (by index: read per place)
        if cutoff is not None and start >= cutoff:
            # the generators stopped here; the rule is not decided: every match, again
            hits = _in_order(again(cutoff))
            i, n = bisect_left(hits, cutoff, key=_start), len(hits)
            cutoff = None
            continue
        i += 1
        if end <= last_end and start < last_end and not own_overlaps:
            continue
        if end > last_end:
            last_end = end
        if in_link is not None and in_link(start, end):
            continue
        if unless and rule.suppressed(draft, hit):
            continue
        if not_followed and startswith(not_followed, end):
            continue
        if quotes is not None and not hit[3] and quotes.stretches and _quoted(quotes, start, end):
            soft = "context"  # as softened finds it: the quoted context is present
        else:
            soft = softened(draft, hit)
        severity = warning if soft else top  # as Rule.finding decides it
        mine = listed.get(severity)
        if mine is None:
            mine = listed[severity] = []
        if len(mine) < cap:
            mine.append(rule.finding(draft, hit, soft))
        else:
            omitted[severity] = omitted.get(severity, 0) + 1
            counting = (
                severity is warning
                and quotes is not None
                and len(quotes.stretches) == 1
                and not unless
                and COUNT_QUOTED
            )
        if severity is top and len(mine) >= cap:
            decided = True
            break
    at_least = False
    if decided:  # nothing worse can follow: the rest is counted, one per place
        more = 0
        for hit in hits[i:n]:
            if cutoff is not None and hit.start >= cutoff:
                at_least = True  # the generators stopped: there are more
                break
            if hit.end <= last_end and hit.start < last_end and not own_overlaps:
                continue
            last_end = max(last_end, hit.end)
            more += 1
        omitted[top] = omitted.get(top, 0) + more
    out: list[Finding] = []
    for severity, mine in listed.items():
        count = omitted.get(severity, 0)
        if count or (at_least and severity is top):
            mine[-1] = replace(
                mine[-1], omitted=count, omitted_at_least=at_least and severity is top
            )
        out += mine
    return out
