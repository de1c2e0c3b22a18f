"""Context sets: words, a pattern or quotation marks that, near a match, mean "this is
not a violation" (a rule's `unless`) or "a reviewer should weigh this" (its `soften`).
Quoting is decided from the open stretches of each kind of quote mark, found once per
draft (its own module: engine.py had grown past its one job)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from operator import methodcaller

from gateway.checker.draft import Draft
from gateway.checker.lazyre import deferred
from gateway.checker.prefilter import _trie_regex, required_strings_of

# --- context sets: words or patterns that, near a match, mean "this is not a violation" ---


@dataclass(frozen=True)
class ContextSet:
    name: str
    words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    # "sentence", "window" (with its neighbours), "draft", or "after": the pattern
    # matches right where the match ends (馬鹿|にならない: an idiom, not the word alone)
    scope: str = "sentence"
    quoted: bool = False  # also present when the match is inside 「」『』“” on its line

    def present(self, draft: Draft, start: int, end: int | None = None) -> bool:
        if self.quoted:
            index = draft.__dict__.get("quote_index") or _quote_index(draft)
            if index.stretches and _quoted(index, start, start + 1 if end is None else end):
                return True
        if self.scope == "after":
            # anchored at the match's end: as cheap as the pattern, whatever the draft
            return bool(self.pattern and end is not None and self.pattern.match(draft.text, end))
        if not self.words and self.pattern is None:
            return False
        if self.scope == "draft":
            s, e = 0, len(draft.text)
        else:
            s, e = draft.sentence_span(start)
            if self.scope == "window":
                s = draft.sentence_span(max(s - 1, 0))[0] if s > 0 else s
                e = draft.sentence_span(e)[1] if e < len(draft.text) else e
        # Every hit in one sentence asks the same question: answered once per span, so a
        # long sentence full of hits costs its length once, not once per hit.
        key = (id(self), s, e)
        memo = draft.context_memo
        answer = memo.get(key)
        if answer is None:
            answer = memo[key] = self._present_in(draft, s, e)
        return answer

    def _present_in(self, draft: Draft, s: int, e: int) -> bool:
        if self.scope == "draft":
            if self.words and draft.has_lemma(self.words):
                return True
        elif self.words:
            # the tokens overlapping [s, e), as column slices tested in C (a sentence of
            # 10,000 tokens built 10,000 Token objects here)
            starts, cols = draft.token_starts, draft.columns
            i = max(bisect_right(starts, s) - 1, 0)
            if i < len(starts) and cols.ends[i] <= s:
                i += 1
            j = bisect_left(starts, e)
            words = self.words
            if i < j and not (
                words.isdisjoint(cols.normalized[i:j])
                and words.isdisjoint(cols.dictionary_forms[i:j])
            ):
                return True
        return bool(
            self.pattern and self._pattern_may_match(draft) and self.pattern.search(draft.text, s, e)
        )

    def _pattern_may_match(self, draft: Draft) -> bool:
        """Whether the draft has the strings the pattern cannot match without (prefilter),
        asked once per draft: a 100 KB sentence ran a pattern whose words were absent."""
        assert self.pattern is not None
        key = (id(self), -1, -1)  # no span is (-1, -1)
        memo = draft.context_memo
        answer = memo.get(key)
        if answer is None:
            clauses = _clauses_of(self.pattern.pattern, self.pattern.flags)
            text = draft.text
            answer = memo[key] = all(_any_of(clause).search(text) for clause in clauses)
        return answer


@lru_cache(maxsize=256)
def _clauses_of(pattern: str, flags: int) -> tuple[tuple[str, ...], ...]:
    """A context pattern's prefilter clauses, kept for the process: asked once per draft,
    they parsed the pattern again on every check (a few ms a check for three patterns)."""
    return required_strings_of(pattern, flags)


@lru_cache(maxsize=256)
def _any_of(strings: tuple[str, ...]) -> re.Pattern[str]:
    """One regex of literals for a prefilter clause: one pass over a long draft, where
    `passes` scanned it once per string (a context's clause holds 15 to 30 of them: four
    times the pattern's own search on a 100 KB sentence). The trie of the trigger scan
    (prefilter._trie_regex): any match will do."""
    if not strings:
        return re.compile("(?!)")  # an empty clause passes no text (as in `passes`)
    return re.compile(_trie_regex(strings))


_QUOTES = (("「", "」"), ("『", "』"), ("“", "”"), ("〝", "〟"), ("（", "）"), ('"', '"'))


class _QuoteIndex:
    """Where the draft's quotes are open, found once per draft, so that asking whether a
    span is quoted costs one bisection per kind of quote mark in the draft (a long line
    full of quoted hits made a scan per hit quadratic; five bisections per hit were still
    most of the cost of 8,000 quoted places).

    A span [start, end) is quoted by a pair of marks when the last mark of the pair
    before `start` on its line opens (for "…", an odd number of them) and a closing mark
    follows at or after `end` on the line. For each pair the draft's *open stretches*
    are found by one regex pass: from an opening mark to the next closing mark or line
    end. `start` lies in a stretch exactly when the first half holds; when the span also
    ends by the stretch's closing mark the second holds; a span that reaches past it (a
    match over a closing mark) is answered from the marks' positions as before."""

    __slots__ = ("_lines", "_marks", "length", "stretches", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.length = len(text)
        # the pairs whose two marks both occur (only they can enclose anything; straight
        # quotes need two), each with its open stretches
        self.stretches = [
            (cl, *_open_stretches(text, op, cl))
            for op, cl in _QUOTES
            if op in text and cl in text and (op != cl or text.count(op) >= 2)
        ]
        self._marks: dict[str, list[int]] = {}  # a mark's offsets, found on first use
        self._lines: list[int] | None = None

    def line_end(self, end: int) -> int:
        """The offset of the end of the line that holds offset `end`."""
        nl = self._lines
        if nl is None:
            nl = self._lines = _offsets_of(self.text, "\n")
        j = bisect_left(nl, end)
        return nl[j] if j < len(nl) else len(self.text)

    def any_in(self, mark: str, lo: int, hi: int) -> bool:
        pos = self._marks.get(mark)
        if pos is None:
            pos = self._marks[mark] = _offsets_of(self.text, mark)
        k = bisect_left(pos, lo)
        return k < len(pos) and pos[k] < hi


def _offsets_of(text: str, ch: str) -> list[int]:
    out = []
    i = text.find(ch)
    while i >= 0:
        out.append(i)
        i = text.find(ch, i + 1)
    return out


# an opening mark, what follows it up to a closing mark or a line end (group 1), and that
# closing mark when there is one (consumed: for "…" the next " opens again); compiled
# when a draft's first quoted context is weighed, not on every start of `gateway check`
_STRETCH_RES = {
    (op, cl): deferred(f"{re.escape(op)}([^{re.escape(cl)}\n]*+){re.escape(cl)}?")
    for op, cl in _QUOTES
}


_group_span = methodcaller("span", 1)  # a stretch's group 1, from a map in C


def _open_stretches(text: str, op: str, cl: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The stretches [first, last] of offsets at which a span starts inside an open `op`
    quote (ascending, disjoint): first is after an opening mark that no earlier stretch
    holds, last is the offset of the next closing mark (the stretch is closed: `cl` is
    there) or of the line's end. Each is a match's group 1, the two columns made in C."""
    spans = list(map(_group_span, _STRETCH_RES[op, cl].finditer(text)))
    if not spans:
        return (), ()
    firsts, lasts = zip(*spans, strict=True)
    return firsts, lasts


def _quote_index(draft: Draft) -> _QuoteIndex:
    index = draft.__dict__.get("quote_index")
    if index is None:
        index = draft.__dict__["quote_index"] = _QuoteIndex(draft.text)
    return index


def _inside_quotes(draft: Draft, start: int, end: int) -> bool:
    """Whether text[start:end] lies between an opening and a closing quote on its line."""
    return _quoted(_quote_index(draft), start, end)


def _quoted(index: _QuoteIndex, start: int, end: int) -> bool:
    for cl, firsts, lasts in index.stretches:
        k = bisect_right(firsts, start) - 1
        if k < 0 or start > (last := lasts[k]):
            continue  # not after an open mark of this pair
        if end <= last:
            if last < index.length and index.text[last] == cl:
                return True  # the stretch's closing mark follows the span
            continue  # the line ends first: no closing mark after the span
        if index.any_in(cl, end, index.line_end(end)):
            return True  # a span past the stretch's end, closed later on the line
    return False
