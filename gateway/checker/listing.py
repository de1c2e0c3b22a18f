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

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import replace
from operator import attrgetter
from typing import NamedTuple

from gateway.checker.contexts import _quote_index, _quoted
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
    own_overlaps = getattr(rule, "resolves_overlaps", False)
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
    while i < n:
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
