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
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import compress
from operator import not_
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from gateway.checker.context import CheckContext
from gateway.checker.contexts import ContextSet
from gateway.checker.draft import Draft
from gateway.checker.fold import (
    Folded,
    SpelledWords,
    has_mask,
    inside_word,
)
from gateway.checker.lazyre import deferred
from gateway.checker.prefilter import (
    Clauses,
    char_commonness,
    lead_chars,
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
    "digits": "4桁の数字が3つ並んでいるだけかもしれません（年や暗証番号の例など）。",
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
    # whether hits come with their overlaps already resolved (prh); a class attribute
    # read for every rule with hits (getattr with a default raised and caught inside)
    resolves_overlaps: ClassVar[bool] = False

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
        if (
            self.spelled is not None
            and (starts := _spelled_starts(draft, self.spelled))
            and _own_start((folded := folded_text(draft)).text, starts, self.spelled)
        ):
            phrases = len(out)
            # the spellings and their places in the draft, found once per draft and rule
            # (a rule not decided at its cutoff asks again: listing.py); with `until`,
            # those before it (a decided flood's later places are never read), kept
            # with that bound and found again in full when a later ask needs more
            found = draft.__dict__.setdefault("_spelled_places", {})
            kept = found.get(id(self.spelled))
            if kept is None or (kept[2] is not None and (until is None or until > kept[2])):
                kept = found[id(self.spelled)] = _spelled_places(
                    draft, folded, self.spelled, starts, until
                )
            spans, places, _ = kept
            # the places a token match or `since` leaves out, passed over in C (a flood of
            # 死ね is all token matches: each was mapped and looked up in a Python step of
            # its own, twice when the rule was undecided)
            lo = bisect_left(places, (since,)) if since else 0
            hi = len(places) if until is None else bisect_left(places, (until,))
            todo: Iterable[int] = range(lo, hi)
            if known:  # the indices whose place is not known, picked out in C
                todo = compress(todo, map(not_, map(known.__contains__, places[lo:hi])))
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
    draft: Draft,
    folded: Folded,
    spelled: SpelledWords,
    starts: list[int],
    bound: int | None = None,
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], int | None]:
    """The spans of `spelled`'s spellings in the folded text (any superset of their
    starts finds the same), their places in the original text, and the original offset
    before which they are complete (None: all of them). With `bound`, a long text's
    spellings that start at or after it are not looked for (the regex's matches stop
    there: the same as the first of all its matches)."""
    literal = folded.literal
    if bound is None or len(literal) < spelled.LONG_TEXT:
        spans = spelled.spans(literal, starts)
        bound = None
    else:
        # the first folded offset whose place in the original text is at `bound` or
        # after (both mappings keep the order)
        def place(f: int) -> int:
            return draft.orig_span(*folded.norm_span(f, f + 1))[0]

        spans = spelled.spans_before(literal, bisect_left(range(len(literal)), bound, key=place))
    return spans, draft.orig_spans(folded.norm_spans(spans)), bound


def _own_start(text: str, starts: list[int], spelled: SpelledWords) -> bool:
    """Whether one of the rule set's starts (spelled_starts, over several rules' words)
    starts a head or single of this rule's own: where none does, its trie is never
    walked, nor the mark-folded text made for it. A long text's starts are only its
    first (see _spelled_starts): it is walked."""
    if len(text) >= SpelledWords.LONG_TEXT:
        return True
    heads, singles = spelled.heads, spelled.singles
    return any(text[i : i + 2] in heads or text[i] in singles for i in starts)


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
    word alone (in a long text, the first such place: see below). Most drafts have none, and the rules' tries are never walked. Found once
    per draft for the whole rule set when the checker gave it its SpelledScan, else for
    this rule alone."""
    scan = draft.__dict__.get(SPELLED_SCAN)
    if scan is None or id(spelled) not in scan.covers:
        scan = _own_scan(spelled)
    found = draft.__dict__.get("_spelled_starts")
    if found is None or found[0] is not scan:
        text = folded_text(draft).text
        if len(text) >= SpelledWords.LONG_TEXT:
            # a long text's spellings are found by one regex (SpelledWords.spans), which
            # reads no starts: whether there is one is all that is asked (a flood's
            # starts were a Python step each)
            starts = spelled_starts(text, scan, first_only=True)
        else:
            starts = spelled_starts(text, scan)
        found = draft.__dict__["_spelled_starts"] = (scan, starts)
    return found[1]


def spelled_starts(text: str, scan: SpelledScan, first_only: bool = False) -> list[int]:
    """Where in Folded.text a spelling of the scan's words may start (ascending): a first
    letter followed by a letter some spelling goes on with (text[i:i + 2] in heads), or
    a letter that spells a word alone (in singles). `first_only`: the first of them
    alone (or none)."""
    heads, singles = scan.heads, scan.singles
    found = (
        i
        for i in map(_match_start, _heads_regex(heads, singles).finditer(text))
        if text[i] in singles or text[i : i + 2] in heads
    )
    if first_only:
        return [first] if (first := next(found, None)) is not None else []
    return list(found)


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
    # a class of the letters every match starts with, for a regex that begins with a
    # look-around (see led_matches), compiled on first use; False: none (`re` skips by
    # itself, or it is not known)
    lead: re.Pattern[str] | bool = field(default=False, repr=False, compare=False)
    # whether the lead's letters are all rare (kanji): then a post is not prefiltered
    # first (see hits)
    lead_alone: bool = field(default=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.regex is not None:
            self.trigger = required_strings(self.regex)
            self.branches = branch_clauses(self.regex)
            chars = lead_chars(self.regex.pattern, self.regex.flags, memo=True)
            self.lead = _class_of(chars) if chars else False
            self.lead_alone = bool(chars) and all(char_commonness(ch) <= 0.02 for ch in chars)

    def hits(self, draft: Draft, ctx: CheckContext, limit: int | None = None) -> HitList:
        assert self.regex is not None
        out = HitList()
        norm = draft.norm
        # A post and a regex led by rare letters (kanji) skip the prefilter: the scan for
        # the letters is one C pass and finds few places, where the prefilter's `in` tests
        # cost ~0.5 µs each on Japanese text (discriminatory-gender-role's first clause
        # has 50 strings, 女 and 男 last: ~15 µs of every draft that has one of the 50).
        # Common letters (1, p, こ) would give many places, a Python step each; a long
        # text is prefiltered as before.
        if not self.lead_alone or len(norm) >= _LED_ALONE:
            if not passes(self.trigger, norm):  # most drafts stop here
                return out
            if self.branches and not any(passes(b, norm) for b in self.branches):
                return out  # no alternative has all the words it needs
        group = self.group
        lead = self.lead
        matches = (
            self.regex.finditer(norm) if lead is False else led_matches(self.regex, lead, norm)
        )
        for m in matches:
            out.append(Hit(*draft.orig_span(m.start(group), m.end(group)), m.groupdict()))
            if _limited(out, limit):
                break
        return out


def _class_of(chars: frozenset[str]) -> re.Pattern[str]:
    """A class of the letters, compiled on first use."""
    return deferred("[" + "".join(re.escape(ch) for ch in sorted(chars)) + "]")


_LED_TRIES = 24  # places tried one by one before the rest of the text goes to finditer
_LED_ALONE = 2000  # from this length a text is prefiltered before a led regex


def led_matches(
    regex: re.Pattern[str], lead: re.Pattern[str], text: str
) -> Iterator[re.Match[str]]:
    """regex.finditer(text), for a regex every match of which starts with a letter of
    `lead` (prefilter.lead_chars) and is not empty: the regex is tried only where `lead`
    finds such a letter, from the end of the last match. A regex that begins with a
    look-around gives `re` no first letter to skip to, and finditer tried it at every
    position of the text (~37 µs for a 140-character post with 女 in it, against the
    13 alternatives of discriminatory-gender-role). Look-behinds still see the text before
    each place. After _LED_TRIES places, the rest is left to finditer (a text full of the
    letters would cost a Python step each)."""
    search, match = lead.search, regex.match
    pos = 0
    for _ in range(_LED_TRIES):
        found = search(text, pos)
        if found is None:
            return
        place = found.start()
        m = match(text, place)
        if m is None:
            pos = place + 1
        else:
            yield m
            pos = m.end()
    yield from regex.finditer(text, pos)


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
