"""The rule engine: rule files from `rules/` in, findings out.

A rule is data (id, clause, severity, Japanese message, examples) plus one way of
matching. Token rules (lexicon, sequence) are compiled into one index keyed by Sudachi
normalized/dictionary form, so a draft's tokens are walked once for all of them;
regex and phrase rules run on the NFKC text; detectors are Python for what needs code.
Every rule carries examples that must and must not match; they run when the rules load,
and a rule whose examples fail refuses to load (RuleLoadError).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import compress, count
from pathlib import Path
from typing import Any, NamedTuple

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.fold import (
    Folded,
    SpelledWords,
    has_mask,
    inside_word,
    joined_to_neighbours,
    tokens_inside_word,
)
from gateway.checker.prefilter import (
    Clauses,
    passes,
    required_strings,
    required_strings_of,
)
from gateway.checker.tokenizer import Columns
from gateway.model import Finding, Severity

CLAUSE_RE = re.compile(r"^[34]\(\d{1,2}\)[アイウエオカキクケコ]?$")
KINDS = ("lexicon", "sequence", "regex", "detector", "prh")
# which of a morpheme's forms a lexicon entry is compared with (Element.cols bits)
SURFACE, DICTIONARY, NORMALIZED = 1, 2, 4
FORMS = {"surface": SURFACE, "dictionary": SURFACE | DICTIONARY, "normalized": 7}
COMPOUNDS = ("none", "prefix", "suffix", "any")
# what a softened finding (an error rule's match in a mention, or a 伏字 spelling) adds
SOFT_NOTES = {
    "context": "引用・説明・注意喚起の中で使われているように見えます。その読み方で合っているか確認してください。",
    "mask": "伏字や崩した書き方の可能性があります。どの言葉を指しているか確認してください。",
    "year": "年が書かれていないため、投稿予定日に近い年の日付として確かめました。",
}


class RuleLoadError(Exception):
    """A rule file or rule is broken; the message names the file and rule, in Japanese and English."""

    def __init__(self, path: Path | str, rule_id: str | None, ja: str, en: str) -> None:
        where = f"{path}" + (f" / rule '{rule_id}'" if rule_id else "")
        super().__init__(
            f"ルールを読み込めません（{where}）: {ja}\nCannot load rule ({where}): {en}"
        )
        self.path = str(path)
        self.rule_id = rule_id


class Hit(NamedTuple):
    """Where a rule matched, in original-text offsets, with fields for its message.
    A named tuple: a flood of matches made a frozen dataclass's __init__ a cost per match."""

    start: int
    end: int
    fields: dict[str, Any] | None = None
    soft: str | None = None  # a key of SOFT_NOTES: report an error rule's match as a warning


_hit = partial(tuple.__new__, Hit)  # a Hit from a full row, without its Python __new__


class HitList(list[Hit]):
    """A rule's matches from a generator told to stop after some number of them
    (listing.Listing.weighed): matches at or after `cutoff` may be missing."""

    cutoff: int | None = None


def _limited(hits: HitList, limit: int | None) -> bool:
    """Whether `hits` has reached `limit`; then its cutoff is its last match's start."""
    if limit is not None and len(hits) >= limit:
        start = hits[-1].start
        hits.cutoff = start if hits.cutoff is None else min(hits.cutoff, start)
        return True
    return False


class _SafeFields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- context sets: words or patterns that, near a match, mean "this is not a violation" ---


@dataclass(frozen=True)
class ContextSet:
    name: str
    words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    scope: str = "sentence"  # "sentence", "window" (with its neighbours) or "draft"
    quoted: bool = False  # also present when the match is inside 「」『』“” on its line

    def present(self, draft: Draft, start: int, end: int | None = None) -> bool:
        if self.quoted:
            index = draft.__dict__.get("quote_index") or _quote_index(draft)
            if index.stretches and _quoted(index, start, start + 1 if end is None else end):
                return True
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
            clauses = required_strings_of(self.pattern.pattern, self.pattern.flags)
            text = draft.text
            answer = memo[key] = all(_any_of(clause).search(text) for clause in clauses)
        return answer


@lru_cache(maxsize=256)
def _any_of(strings: tuple[str, ...]) -> re.Pattern[str]:
    """One regex of literals for a prefilter clause: one pass over a long draft, where
    `passes` scanned it once per string (a context's clause holds 15 to 30 of them: four
    times the pattern's own search on a 100 KB sentence). Longest first, though any
    match will do."""
    if not strings:
        return re.compile("(?!)")  # an empty clause passes no text (as in `passes`)
    return re.compile("|".join(map(re.escape, sorted(strings, key=len, reverse=True))))


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
# closing mark when there is one (consumed: for "…" the next " opens again)
_STRETCH_RES = {
    (op, cl): re.compile(f"{re.escape(op)}([^{re.escape(cl)}\n]*+){re.escape(cl)}?")
    for op, cl in _QUOTES
}


def _open_stretches(text: str, op: str, cl: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The stretches [first, last] of offsets at which a span starts inside an open `op`
    quote (ascending, disjoint): first is after an opening mark that no earlier stretch
    holds, last is the offset of the next closing mark (the stretch is closed: `cl` is
    there) or of the line's end. Each is a match's group 1, the two columns made in C."""
    spans = [m.span(1) for m in _STRETCH_RES[op, cl].finditer(text)]
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


# --- token patterns (lexicon and sequence rules share them) ---


@dataclass(frozen=True, slots=True)
class Element:
    forms: frozenset[str] | None = None  # normalized / dictionary / surface forms
    pos: tuple[tuple[str, ...], ...] = ()  # allowed POS prefixes
    conj: tuple[str, ...] = ()  # allowed conjugation-form prefixes (pos[5])
    not_forms: frozenset[str] = frozenset()
    gap: int = 0  # >0: skip up to `gap` arbitrary tokens (no other field used)
    behind: bool = False  # first element only: the token before the match, not reported
    ahead: bool = False  # last element only: the token after the match, not reported
    end_ok: bool = False  # an `ahead` element also accepts the end of the text
    cols: int = 7  # which forms `forms` is compared with: SURFACE | DICTIONARY | NORMALIZED
    compound: str = "any"  # first element: may the match sit inside a longer word (COMPOUNDS)
    # `pos` as a set of first fields when every prefix is one field long (動詞, 名詞 …),
    # else None: a set test instead of a generator over the prefixes, per morpheme
    pos_heads: frozenset[str] | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.pos and all(len(p) == 1 for p in self.pos):
            object.__setattr__(self, "pos_heads", frozenset(p[0] for p in self.pos))

    def accepts(self, cols: Columns, i: int) -> bool:
        """Whether morpheme i of a draft's columns fits this element."""
        forms = self.forms
        if forms is not None:
            c = self.cols
            if not (
                (c & SURFACE and cols.surfaces[i] in forms)
                or (c & DICTIONARY and cols.dictionary_forms[i] in forms)
                or (c & NORMALIZED and cols.normalized[i] in forms)
            ):
                return False
        nots = self.not_forms
        if nots and (
            cols.normalized[i] in nots
            or cols.dictionary_forms[i] in nots
            or cols.surfaces[i] in nots
        ):
            return False
        pos = cols.pos[i]
        if self.pos:
            heads = self.pos_heads
            if heads is not None:
                if pos[0] not in heads:
                    return False
            elif not any(pos[: len(p)] == p for p in self.pos):
                return False
        return not (self.conj and not any(pos[5].startswith(c) for c in self.conj))


def _match_at(elems: tuple[Element, ...], cols: Columns, i: int, k: int = 0) -> int:
    """Return the index after the match of elems[k:] starting at morpheme i, or -1."""
    n = len(cols.surfaces)
    while k < len(elems):
        el = elems[k]
        if el.gap:
            for skip in range(el.gap + 1):
                j = _match_at(elems, cols, i + skip, k + 1)
                if j >= 0:
                    return j
            return -1
        if el.ahead:
            if i >= n:
                return i if el.end_ok else -1
            return i if el.accepts(cols, i) else -1
        if i >= n or not el.accepts(cols, i):
            return -1
        i += 1
        k += 1
    return i


def _match_pattern(pat: tuple[Element, ...], cols: Columns, i: int) -> int:
    """Match a whole pattern whose first reported morpheme is i."""
    if pat[0].behind:
        if i == 0 or not pat[0].accepts(cols, i - 1):
            return -1
        return _match_at(pat, cols, i, 1)
    return _match_at(pat, cols, i)


# --- rules ---


@dataclass
class Rule:
    """One rule as loaded from a file. Subclasses say how it matches."""

    id: str
    clause: str | None
    severity: Severity
    message: str
    kind: str
    source: str
    unless: tuple[ContextSet, ...] = ()
    soften: tuple[ContextSet, ...] = ()  # contexts in which an error is reported as a warning
    soft_message: str | None = None
    not_followed: tuple[str, ...] = ()  # text that may not follow a match (ばか|でかい)
    examples_match: list[tuple[str, CheckContext]] = field(default_factory=list)
    examples_no_match: list[tuple[str, CheckContext]] = field(default_factory=list)
    # an error rule's matches that a context softens: each must give a warning, no error
    examples_soft: list[tuple[str, CheckContext]] = field(default_factory=list)

    # token rules expose patterns; others implement hits()
    patterns: tuple[tuple[Element, ...], ...] = ()

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        return ()

    def suppressed(self, draft: Draft, hit: Hit) -> bool:
        return any(c.present(draft, hit.start, hit.end) for c in self.unless)

    def softened(self, draft: Draft, hit: Hit) -> str | None:
        """Why an error rule's match is only a warning here (a SOFT_NOTES key), or None."""
        if self.severity is not Severity.ERROR:
            return None
        if hit.soft:
            return hit.soft
        for c in self.soften:
            if c.present(draft, hit.start, hit.end):
                return "context"
        return None

    def finding(self, draft: Draft, hit: Hit, soft: str | None = None) -> Finding:
        line, col = draft.line_col(min(hit.start, max(len(draft.text) - 1, 0)))
        fields = _SafeFields(hit.fields or {})
        excerpt = draft.text[hit.start : hit.end] or str(fields.get("excerpt", ""))
        fields.setdefault("excerpt", excerpt)
        severity, message = self.severity, self.message
        if soft:
            severity = Severity.WARNING
            message = SOFT_NOTES.get(soft, "") + (self.soft_message or message)
        return Finding(
            rule=self.id,
            clause=self.clause,
            severity=severity,
            line=line,
            column=col,
            excerpt=excerpt,
            message=message.format_map(fields),
        )


@dataclass
class TokenRule(Rule):
    """lexicon / sequence: matched on Sudachi tokens (plus optional literal phrases)."""

    phrase_re: re.Pattern[str] | None = None
    phrase_trigger: Clauses = ()  # characters a phrase cannot match without (prefilter)
    spelled: SpelledWords | None = None  # `spelled` words, on the folded text
    compound: str = "any"  # may a phrase or spelled word sit inside a longer word

    def __post_init__(self) -> None:
        if self.phrase_re is not None:
            self.phrase_trigger = required_strings(self.phrase_re)

    def hits(
        self,
        draft: Draft,
        ctx: CheckContext,
        limit: int | None = None,
        known: frozenset[tuple[int, int]] = frozenset(),
        since: int = 0,
        until: int | None = None,
    ) -> HitList:
        # token patterns are run by the shared index (TokenIndex); phrases and spelled
        # words here. A plain function, not a generator: most drafts stop at the prefilter.
        # Phrases and spelled words each stop after `limit` matches (the list's cutoff).
        # `known`: spans the rule's token patterns matched already; a spelled word there
        # (死ね is also a spelling of しね) is the same place, and the token match is kept.
        # `since`: matches that start before it are left out (they are still found, as
        # each match decides where the next may begin), before any test of where they sit.
        # `until`: the offset from which the rule's matches are incomplete already (the
        # token index stopped there: listing.py); none from it on is weighed or listed,
        # so none is looked at (a flood of spelled words went on to its own limit).
        out = HitList()
        norm, compound = draft.norm, self.compound
        if self.phrase_re is not None and passes(self.phrase_trigger, norm):
            for m in self.phrase_re.finditer(norm):
                s, e = draft.orig_span(m.start(), m.end())
                if until is not None and s >= until:
                    break
                if s >= since and not inside_word(draft, s, e, compound, raw=True):
                    out.append(Hit(s, e))
                    if _limited(out, limit):
                        break
        if self.spelled is not None and (starts := _spelled_starts(draft, self.spelled)):
            folded = folded_text(draft)
            phrases = len(out)
            # the spellings and their places in the draft, found once per draft and rule
            # (a rule not decided at its cutoff asks again: listing.py)
            found = draft.__dict__.setdefault("_spelled_places", {})
            spans, places = found.get(id(self.spelled)) or found.setdefault(
                id(self.spelled), _spelled_places(draft, folded, self.spelled, starts)
            )
            # the places a token match or `since` leaves out, passed over in one C-level
            # comprehension (a flood of 死ね is all token matches: each was mapped and
            # looked up in a Python step of its own, twice when the rule was undecided)
            lo = bisect_left(places, (since,)) if since else 0
            hi = len(places) if until is None else bisect_left(places, (until,))
            todo = [k for k in range(lo, hi) if places[k] not in known] if known else range(lo, hi)
            for k in todo:
                s, e = places[k]
                if not inside_word(draft, s, e, compound, raw=True):
                    fs, fe = spans[k]
                    soft = "mask" if has_mask(folded.text[fs:fe]) else None
                    out.append(Hit(s, e, soft=soft))
                    if limit is not None and len(out) - phrases >= limit:
                        out.cutoff = s if out.cutoff is None else min(out.cutoff, s)
                        break
        return out


def _spelled_places(
    draft: Draft, folded: Folded, spelled: SpelledWords, starts: list[int]
) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The spans of `spelled`'s spellings in the folded text (any superset of their
    starts finds the same), and their places in the original text."""
    spans = spelled.spans(folded.literal, starts)
    return spans, draft.orig_spans(folded.norm_spans(spans))


def folded_text(draft: Draft) -> Folded:
    """The draft's folded text (fold.py), built once per draft."""
    folded = draft.__dict__.get("_folded")
    if folded is None:
        folded = draft.__dict__["_folded"] = Folded(draft.norm)
    return folded


class SpelledScan(NamedTuple):
    """What the spelled words of several rules start with, looked for once per draft for
    all of them (the checker puts its rule set's scan on the draft, SPELLED_SCAN)."""

    letters: frozenset[str]  # first letters as in Folded.text (SpelledWords.letters)
    heads: frozenset[str]  # first two letters (SpelledWords.heads)
    singles: frozenset[str]  # spellings of one letter
    covers: frozenset[int]  # id() of each SpelledWords it was made of

    @classmethod
    def of(cls, spelled: Iterable[SpelledWords]) -> SpelledScan:
        words = list(spelled)
        return cls(
            frozenset().union(*(w.letters for w in words)),
            frozenset().union(*(w.heads for w in words)),
            frozenset().union(*(w.singles for w in words)),
            frozenset(map(id, words)),
        )


SPELLED_SCAN = "_spelled_scan"  # Draft.__dict__ key: the rule set's SpelledScan


def _spelled_starts(draft: Draft, spelled: SpelledWords) -> list[int]:
    """Where spelled words may start in the draft's folded text: the first letters
    (found in one C pass) followed by a letter some spelling goes on with, or spelling a
    word alone. Most drafts have none, and the rules' tries are never walked. Found once
    per draft for the whole rule set when the checker gave it its SpelledScan, else for
    this rule alone."""
    scan = draft.__dict__.get(SPELLED_SCAN)
    if scan is None or id(spelled) not in scan.covers:
        scan = _own_scan(spelled)
    found = draft.__dict__.get("_spelled_starts")
    if found is None or found[0] is not scan:
        starts = spelled_starts(folded_text(draft).text, scan)
        found = draft.__dict__["_spelled_starts"] = (scan, starts)
    return found[1]


def spelled_starts(text: str, scan: SpelledScan) -> list[int]:
    """Where in Folded.text a spelling of the scan's words may start (ascending): a first
    letter followed by a letter some spelling goes on with (text[i:i + 2] in heads), or
    a letter that spells a word alone (in singles)."""
    heads, singles = scan.heads, scan.singles
    return [
        i
        for i in map(_match_start, _heads_regex(heads, singles).finditer(text))
        if text[i] in singles or text[i : i + 2] in heads
    ]


@lru_cache(maxsize=64)
def _heads_regex(heads: frozenset[str], singles: frozenset[str]) -> re.Pattern[str]:
    """A first letter followed by any letter a spelling goes on with, or a letter that
    spells a word alone: `re` skips in C to the few places that may start a spelling,
    and spelled_starts keeps those whose two letters are a head. (One alternative per
    first letter, each with its own look-ahead, was exact but took 9 ms to compile on
    every `gateway check`; this takes 0.6 ms and finds about six more places in a
    140-character post, costing the same per draft.) Each match is one letter long,
    so none hides the next. Compiled on the first check rather than at load."""
    firsts = "".join(sorted({head[0] for head in heads}))
    seconds = "".join(sorted({head[1] for head in heads}))
    alternatives = []
    if firsts:
        alternatives.append(f"[{re.escape(firsts)}](?=[{re.escape(seconds)}])")
    if singles:
        alternatives.append(f"[{re.escape(''.join(sorted(singles)))}]")
    return re.compile("|".join(alternatives) if alternatives else "(?!)")


@lru_cache(maxsize=256)
def _own_scan(spelled: SpelledWords) -> SpelledScan:
    return SpelledScan.of([spelled])


_match_start = re.Match.start


@dataclass
class RegexRule(Rule):
    regex: re.Pattern[str] | None = None
    group: int | str = 0
    trigger: Clauses = ()  # characters the regex cannot match without (prefilter)
    # the clauses of each alternative of a rule's patterns (joined with |): the regex
    # runs only when one alternative has all its words (外国人 repeated without any of the
    # words that must follow it cost a lazy gap scan per occurrence)
    branches: tuple[Clauses, ...] = ()

    def __post_init__(self) -> None:
        if self.regex is not None:
            self.trigger = required_strings(self.regex)
            self.branches = branch_clauses(self.regex)

    def hits(self, draft: Draft, ctx: CheckContext, limit: int | None = None) -> HitList:
        assert self.regex is not None
        out = HitList()
        norm = draft.norm
        if not passes(self.trigger, norm):  # most drafts stop here
            return out
        if self.branches and not any(passes(b, norm) for b in self.branches):
            return out  # no alternative has all the words it needs
        group = self.group
        for m in self.regex.finditer(draft.norm):
            out.append(Hit(*draft.orig_span(m.start(group), m.end(group)), m.groupdict()))
            if _limited(out, limit):
                break
        return out


_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


def branch_clauses(regex: re.Pattern[str]) -> tuple[Clauses, ...]:
    """The prefilter clauses of each top-level alternative of a regex, or () when it has
    one alternative, global inline flags, or an alternative whose words are unknown
    (then the whole regex's clauses are the only test). Each alternative is split off
    the source at a `|` outside parentheses and classes, and must compile alone."""
    src = regex.pattern
    if _GLOBAL_FLAGS.match(src):
        return ()
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            if src.startswith("]", i + 1) or src.startswith("^]", i + 1):
                i += 2 if src[i + 1] == "]" else 3  # a ] first in a class is a letter
                continue
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(src[start:i])
            start = i + 1
        i += 1
    parts.append(src[start:])
    if len(parts) < 2:
        return ()
    out = []
    from gateway.checker.loadmemo import compile_regex

    for part in parts:
        try:  # compiled only when the load cache does not know yet that it compiles
            compile_regex(part, regex.flags)
        except re.error:
            return ()
        clauses = required_strings_of(part, regex.flags)
        if not clauses:
            return ()  # an alternative that may match anything: no test
        out.append(clauses)
    return tuple(out)


Detector = Callable[[Draft, CheckContext, Any], Iterable[Hit]]
OptionReader = Callable[[dict[str, Any]], Any]
# name -> (detector, reader turning the rule file's options into what the detector uses)
DETECTORS: dict[str, tuple[Detector, OptionReader]] = {}


def detector(name: str, options: OptionReader = dict) -> Callable[[Detector], Detector]:
    """Register a Python detector under the name rule files use (`detector: NAME`).

    `options` reads the rule's options once, when the rule loads (word lists become sets,
    regexes are compiled), so a check does not redo that for every draft.
    """

    def deco(fn: Detector) -> Detector:
        DETECTORS[name] = (fn, options)
        return fn

    return deco


@dataclass
class DetectorRule(Rule):
    fn: Detector | None = None
    options: dict[str, Any] = field(default_factory=dict)
    settings: Any = None  # the options as the detector's reader made them

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        assert self.fn is not None
        return self.fn(draft, ctx, self.settings)


class TokenIndex:
    """All token patterns of many rules, keyed by the forms their first element accepts."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        # form -> (rule, pattern, forms the next morpheme must have or None, the word
        # after the pattern's first gap or None, its first element when that is a plain
        # word (no gap, look-behind or look-ahead) or None, the first element's
        # `compound`): most candidates fail on the next morpheme (し of します is not
        # し+ね), tested first; a pattern with a gap (外国人 … 出て行け) is tried only where
        # the word after its gap stands within reach, so a flood of its first word costs
        # a lookup each (GapAnchor); a plain first element is tested once per word seen
        # (most lexicon words are that one element)
        self.by_form: dict[str, list[_Candidate]] = defaultdict(list)
        self.scan: list[tuple[Rule, tuple[Element, ...]]] = []
        for rule in rules:
            for pat in rule.patterns:
                k = 1 if pat[0].behind else 0
                first = pat[k]
                if first.forms:
                    follow = _follow_forms(pat, k + 1)
                    anchor = GapAnchor.of(pat, k)
                    head = first if k == 0 and _plain(first) else None
                    for f in first.forms:
                        self.by_form[f].append((rule, pat, follow, anchor, head, first.compound))
                else:
                    self.scan.append((rule, pat))
        self.by_form = dict(self.by_form)
        self.forms = frozenset(self.by_form)

    def starts(self, cols: Columns) -> list[int]:
        """Indices of the morphemes a pattern may start at: one of their forms is a key.

        Set operations over each column, in C (isdisjoint, compress/map); the lookups and
        pattern matches in run() are left for the few morphemes that are keys.
        """
        forms = self.forms
        is_key = forms.__contains__
        hits: set[int] = set()
        for column in (cols.normalized, cols.dictionary_forms, cols.surfaces):
            if not forms.isdisjoint(column):
                hits.update(compress(count(), map(is_key, column)))
        return sorted(hits)

    def run(
        self,
        draft: Draft,
        limit: int | None = None,
        cutoffs: dict[str, int] | None = None,
        since: int = 0,
    ) -> Iterator[tuple[Rule, Hit]]:
        """Every match of every pattern. With `limit`, a rule's keyed matches stop after
        that many, and `cutoffs` gets the offset from which they are incomplete. `since`:
        only the keyed matches that start at or after that offset (each start is
        matched on its own, so those are the same as in a run from the beginning)."""
        cols = draft.columns
        starts = self.starts(cols)
        if since:
            starts = starts[bisect_left(starts, bisect_left(draft.token_starts, since)) :]
        if starts:
            yield from self._run_keyed(
                draft, cols, starts, limit, {} if cutoffs is None else cutoffs
            )
        if self.scan:
            begins, ends = draft.token_starts, cols.ends
            for i in range(len(ends)):
                for rule, pat in self.scan:
                    j = _match_pattern(pat, cols, i)
                    if j > i and _whole_word(draft, pat, i, j - 1):
                        yield rule, Hit(begins[i], ends[j - 1])

    def _run_keyed(
        self,
        draft: Draft,
        cols: Columns,
        starts: list[int],
        limit: int | None,
        cutoffs: dict[str, int],
    ) -> Iterator[tuple[Rule, Hit]]:
        normalized, dictionary_forms, surfaces = (
            cols.normalized,
            cols.dictionary_forms,
            cols.surfaces,
        )
        anchors = _AnchorPositions(cols)
        by_form = self.by_form
        live: dict[str, list[_Candidate]] = {}  # by_form without the patterns that
        # cannot match anywhere in this draft (the word after their gap is absent) and
        # without the rules that have reached their limit
        counts: dict[str, int] = {}  # matches per rule, while a limit is set
        full: set[str] = set()  # the rules that have reached it

        def get(form: str) -> list[_Candidate] | None:
            found = live.get(form)
            if found is None:
                found = live[form] = [
                    c
                    for c in by_form.get(form, ())
                    if (c[3] is None or anchors.present(c[3])) and c[0].id not in full
                ]
            return found

        def candidates(i: int) -> list[_Candidate]:
            norm, dict_form, surface = normalized[i], dictionary_forms[i], surfaces[i]
            cands = get(norm) or []
            if dict_form != norm:
                cands = cands + (get(dict_form) or [])
            if surface != norm and surface != dict_form:
                cands = cands + (get(surface) or [])
            # a pattern's plain first element is decided here for every morpheme of this word
            return [
                c if c[4] is None else (*c[:4], _MATCHED if len(c[1]) == 1 else _HEAD, c[5])
                for c in cands
                if c[4] is None or c[4].accepts(cols, i)
            ]

        # the candidates of each word seen (its forms and part of speech: all that a
        # morpheme's own test reads), plain first elements decided: a flood of one word
        # looks it up once (emptied when a rule reaches its limit)
        pos = cols.pos
        by_word: dict[tuple[str, str, str, tuple[str, ...]], list[_Candidate]] = {}
        token_starts, ends, text = draft.token_starts, cols.ends, draft.text
        n = len(surfaces)
        for i in starts:
            word = (normalized[i], dictionary_forms[i], surfaces[i], pos[i])
            cands = by_word.get(word)
            if cands is None:
                cands = by_word[word] = candidates(i)
            if not cands:
                continue
            seen: set[int] | None = None if len(cands) == 1 else set()
            nxt = i + 1
            for rule, pat, follow, anchor, single, compound in cands:
                if full and rule.id in full:
                    continue  # this rule has reached its limit
                if follow is not None and (
                    nxt >= n
                    or not (
                        normalized[nxt] in follow
                        or dictionary_forms[nxt] in follow
                        or surfaces[nxt] in follow
                    )
                ):
                    continue
                if anchor is not None and not anchors.within(anchor, i):
                    continue
                if seen is not None:
                    key = id(pat)
                    if key in seen:
                        continue
                    seen.add(key)
                if single is _MATCHED:
                    j = nxt
                elif single is _HEAD:
                    j = _match_at(pat, cols, nxt, 1)  # the rest, after its first element
                else:
                    j = _match_pattern(pat, cols, i)
                if j <= i:
                    continue
                start, end = token_starts[i], ends[j - 1]
                # tokens_inside_word, its checks inlined (a flood asks it per place)
                if compound == "any" or not (
                    end > start
                    and joined_to_neighbours(cols, text, i, j - 1, start, end, compound)
                ):
                    yield rule, _hit((start, end, None, None))
                    if limit is not None:
                        k = counts[rule.id] = counts.get(rule.id, 0) + 1
                        if k >= limit:
                            full.add(rule.id)
                            cutoffs[rule.id] = start
                            for form, found in live.items():
                                live[form] = [c for c in found if c[0].id not in full]
                            by_word.clear()


class GapAnchor(NamedTuple):
    """The word after a pattern's first gap, and where it may stand: a match that starts
    at morpheme i has it at one of i + offset … i + offset + gap."""

    element: Element
    offset: int  # morphemes from the match's start to the gap
    gap: int

    @classmethod
    def of(cls, pat: tuple[Element, ...], k: int) -> GapAnchor | None:
        """The anchor of a pattern whose reported morphemes begin at element k, or None
        (no gap, or no plain word after it)."""
        for g in range(k, len(pat) - 1):
            el = pat[g]
            if el.gap:
                after = pat[g + 1]
                if after.forms is None or after.gap or after.ahead or after.behind:
                    return None
                return cls(after, g - k, el.gap)
            if el.ahead or el.behind:
                return None
        return None


_Candidate = tuple[
    Rule, tuple[Element, ...], frozenset[str] | None, GapAnchor | None, Element | None, str
]
# a candidate's first element, accepted by the word at hand: the whole pattern (it has
# one element), or the pattern goes on from its second element at the next morpheme
_MATCHED: Any = object()
_HEAD: Any = object()


def _plain(el: Element) -> bool:
    """Whether an element is a plain word: no gap, look-behind or look-ahead."""
    return not (el.gap or el.behind or el.ahead)


class _AnchorPositions:
    """Per draft: the morphemes whose forms an anchor word has (a superset of where
    Element.accepts holds, which also tests the part of speech), found in C per column."""

    __slots__ = ("_cols", "_found")

    def __init__(self, cols: Columns) -> None:
        self._cols = cols
        self._found: dict[int, list[int]] = {}

    def _positions(self, anchor: GapAnchor) -> list[int]:
        el = anchor.element
        found = self._found.get(id(el))
        if found is None:
            forms, c, cols = el.forms, el.cols, self._cols
            assert forms is not None
            hits: set[int] = set()
            for bit, column in (
                (SURFACE, cols.surfaces),
                (DICTIONARY, cols.dictionary_forms),
                (NORMALIZED, cols.normalized),
            ):
                if c & bit and not forms.isdisjoint(column):
                    hits.update(compress(count(), map(forms.__contains__, column)))
            found = self._found[id(el)] = sorted(hits)
        return found

    def present(self, anchor: GapAnchor) -> bool:
        return bool(self._positions(anchor))

    def within(self, anchor: GapAnchor, start: int) -> bool:
        """Whether the anchor word stands where a match starting at `start` needs it."""
        positions = self._positions(anchor)
        lo = start + anchor.offset
        k = bisect_left(positions, lo)
        return k < len(positions) and positions[k] <= lo + anchor.gap


def _whole_word(draft: Draft, pat: tuple[Element, ...], i: int, j: int) -> bool:
    """Whether a token match (tokens i … j) is not part of a longer katakana or kanji
    word (南シナ海), as its first element's `compound` allows."""
    first = pat[1] if pat[0].behind else pat[0]
    return first.compound == "any" or not tokens_inside_word(draft, i, j, first.compound)


def _follow_forms(pat: tuple[Element, ...], k: int) -> frozenset[str] | None:
    """The forms element k of a pattern requires, when it is a plain word (no gap, no
    look-ahead): a morpheme without one of them ends every match there. None: no test."""
    if k >= len(pat):
        return None
    el = pat[k]
    if el.forms is None or el.gap or el.ahead or el.behind:
        return None
    return el.forms
