"""The token index: every token pattern of every lexicon and sequence rule, keyed by the
forms its first element accepts, so a draft's morphemes are looked up once for all of
them and patterns are matched only where one may start (its own module: engine.py had
grown past its one job)."""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, compress, count
from typing import Any, NamedTuple

from gateway.checker.draft import Draft
from gateway.checker.engine import (
    DICTIONARY,
    NORMALIZED,
    SURFACE,
    Element,
    Hit,
    Rule,
    _hit,
    _match_at,
    _match_pattern,
)
from gateway.checker.fold import (
    KANJI,
    KATA,
    OTHER,
    joined_to_neighbours,
    script,
    tokens_inside_word,
)
from gateway.checker.tokenizer import Columns


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
        # a word's candidates, the same in every draft (_word_candidates); shared by
        # the threads that check with this index: a dict's get, set and clear are atomic
        self._words: dict[_Word, tuple[tuple[_Candidate, ...], bool]] = {}

    def _word_candidates(
        self, cols: Columns, i: int, word: _Word
    ) -> tuple[tuple[_Candidate, ...], bool]:
        """The candidates of morpheme i, which is `word` (its forms and part of speech:
        all that a morpheme's own test reads), and whether one of them has a GapAnchor.

        The patterns keyed by one of its forms, each once (a pattern keyed by two of
        them has two equal entries), their plain first element decided (kept with what
        is left of the pattern, _head_kind): the same for the word in every draft, so
        kept across drafts (と, 役場 are in most posts); what depends on the draft (an
        anchor's presence, a rule's limit) is left to run()."""
        found = self._words.get(word)
        if found is not None:
            return found
        by_form = self.by_form
        norm, dict_form, surface = word[0], word[1], word[2]
        cands = by_form.get(norm, [])
        if dict_form != norm:
            cands = cands + by_form.get(dict_form, [])
        if surface != norm and surface != dict_form:
            cands = cands + by_form.get(surface, [])
        out: list[_Candidate] = []
        kept: set[int] = set()
        for c in cands:
            if id(c[1]) in kept or not (c[4] is None or c[4].accepts(cols, i)):
                continue
            kept.add(id(c[1]))
            out.append(c if c[4] is None else (*c[:4], _head_kind(c[1]), c[5]))
        found = (tuple(out), any(c[3] is not None for c in out))
        if len(self._words) >= _WORDS_MAX:
            self._words.clear()
        self._words[word] = found
        return found

    def starts(self, cols: Columns) -> list[int]:
        """Indices of the morphemes a pattern may start at: one of their forms is a key.

        Set operations over each column, in C (isdisjoint, compress/map); the lookups and
        pattern matches in run() are left for the few morphemes that are keys. The
        indices are picked from one list of them (count() made an int object for every
        morpheme of every column asked: a third of the work on a 100 KB draft), and
        a single column's picks are already in order. The dictionary forms are not
        asked when they are the normalized forms one by one (a draft without inflected
        or variant words: one comparison in C, which stops at the first difference).
        """
        forms = self.forms
        is_key = forms.__contains__
        found: list[list[int]] = []
        indices: list[int] | None = None
        columns: tuple[Sequence[str], ...] = (cols.normalized, cols.surfaces)
        if cols.dictionary_forms != cols.normalized:
            columns = (cols.normalized, cols.dictionary_forms, cols.surfaces)
        for column in columns:
            if not forms.isdisjoint(column):
                if indices is None:
                    indices = list(range(len(column)))
                found.append(list(compress(indices, map(is_key, column))))
        if len(found) == 1:
            return found[0]
        return sorted(set().union(*found))

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
        matched on its own, so those are the same as in a run from the beginning).
        The keyed matches' generator itself, when no pattern is scanned (a flood's
        matches passed through a second generator's frame each)."""
        cols = draft.columns
        starts = self.starts(cols)
        if since:
            starts = starts[bisect_left(starts, bisect_left(draft.token_starts, since)) :]
        keyed = (
            self._run_keyed(draft, cols, starts, limit, {} if cutoffs is None else cutoffs)
            if starts
            else iter(())
        )
        return chain(keyed, self._run_scan(draft, cols)) if self.scan else keyed

    def _run_scan(self, draft: Draft, cols: Columns) -> Iterator[tuple[Rule, Hit]]:
        """The matches of the patterns whose first element has no forms (tried at every
        morpheme)."""
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
        counts: dict[str, int] = {}  # matches per rule, while a limit is set
        full: set[str] = set()  # the rules that have reached it
        word_candidates = self._word_candidates

        def candidates(i: int, word: _Word) -> Sequence[_Candidate]:
            """A word's candidates without the patterns that cannot match anywhere in
            this draft (the word after their gap is absent) and without the rules that
            have reached their limit."""
            cands, anchored = word_candidates(cols, i, word)
            if anchored or full:
                cands = [
                    c
                    for c in cands
                    if (c[3] is None or anchors.present(c[3])) and c[0].id not in full
                ]
            return cands

        # the candidates of each word seen (its forms and part of speech: all that a
        # morpheme's own test reads), plain first elements decided: a flood of one word
        # looks it up once (emptied when a rule reaches its limit)
        pos = cols.pos
        by_word: dict[_Word, Sequence[_Candidate]] = {}
        token_starts, ends, text = draft.token_starts, cols.ends, draft.text
        n = len(surfaces)
        edges = _Edges()
        ahead: dict[tuple[int, str, str, str, tuple[str, ...]], bool] = {}
        for i in starts:
            word = (normalized[i], dictionary_forms[i], surfaces[i], pos[i])
            cands = by_word.get(word)
            if cands is None:
                cands = by_word[word] = candidates(i, word)
            if not cands:
                continue
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
                if single is _MATCHED:
                    j = nxt
                elif single is _AHEAD:
                    # _match_at of the one look-ahead element left, its answer kept per
                    # element and next word (all that Element.accepts reads)
                    el = pat[1]
                    if nxt >= n:
                        j = nxt if el.end_ok else -1
                    else:
                        key = (
                            id(el),
                            normalized[nxt],
                            dictionary_forms[nxt],
                            surfaces[nxt],
                            pos[nxt],
                        )
                        ok = ahead.get(key)
                        if ok is None:
                            ok = ahead[key] = el.accepts(cols, nxt)
                        j = nxt if ok else -1
                elif single is _HEAD:
                    j = _match_at(pat, cols, nxt, 1)  # the rest, after its first element
                else:
                    j = _match_pattern(pat, cols, i)
                if j <= i:
                    continue
                start, end = token_starts[i], ends[j - 1]
                # tokens_inside_word, its checks inlined (a flood asks it per place);
                # neighbours that cannot continue a word, by their surface, decide it
                if (
                    compound == "any"
                    or end <= start
                    or (
                        (compound == "suffix" or i == 0 or not edges[surfaces[i - 1]] & 1)
                        and (compound == "prefix" or j >= n or not edges[surfaces[j]] & 2)
                    )
                    or not joined_to_neighbours(cols, text, i, j - 1, start, end, compound)
                ):
                    yield rule, _hit((start, end, None, None))
                    if limit is not None:
                        k = counts[rule.id] = counts.get(rule.id, 0) + 1
                        if k >= limit:
                            full.add(rule.id)
                            cutoffs[rule.id] = start
                            by_word.clear()


class _Edges(dict[str, int]):
    """A neighbouring token's surface -> whether it may continue a word: bit 1 when it
    stands before the word, bit 2 after it. Without the bit, fold.joined_to_neighbours
    finds that side not joined whatever the parts of speech (_joined: an empty
    neighbour, or an edge letter that is not katakana or kanji before the word, or that
    is a space, bracket, digit or Latin letter after it), so a place between two such
    neighbours needs no call (a flood of quoted or spaced words asked it per place)."""

    def __missing__(self, surface: str) -> int:
        bits = 0
        if surface:
            if script(surface[-1]) in (KATA, KANJI):
                bits |= 1
            if script(surface[0]) != OTHER:
                bits |= 2
        self[surface] = bits
        return bits


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
_Word = tuple[str, str, str, tuple[str, ...]]  # normalized, dictionary form, surface, POS
_WORDS_MAX = 20_000  # words with a keyed form: a town's posts use a few hundred
# a candidate's first element, accepted by the word at hand: the whole pattern (it has
# one element), or the pattern goes on from its second element at the next morpheme
_MATCHED: Any = object()
_HEAD: Any = object()
_AHEAD: Any = object()  # _HEAD, and what is left is one look-ahead element (ばか, not でかい)


def _head_kind(pat: tuple[Element, ...]) -> Any:
    """What is left of a pattern once its plain first element is accepted."""
    if len(pat) == 1:
        return _MATCHED
    if len(pat) == 2 and pat[1].ahead:  # a look-ahead element has no gap
        return _AHEAD
    return _HEAD


def _plain(el: Element) -> bool:
    """Whether an element is a plain word: no gap, look-behind or look-ahead."""
    return not (el.gap or el.behind or el.ahead)


class _AnchorPositions:
    """Per draft: the morphemes whose forms an anchor word has (a superset of where
    Element.accepts holds, which also tests the part of speech), found in C per column;
    whether there are any is asked first, and answered by isdisjoint alone."""

    __slots__ = ("_cols", "_found", "_present")

    def __init__(self, cols: Columns) -> None:
        self._cols = cols
        self._found: dict[int, list[int]] = {}
        self._present: dict[int, bool] = {}

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
        el = anchor.element
        known = self._present.get(id(el))
        if known is None:
            forms, c, cols = el.forms, el.cols, self._cols
            assert forms is not None
            known = self._present[id(el)] = not (
                (not c & SURFACE or forms.isdisjoint(cols.surfaces))
                and (not c & DICTIONARY or forms.isdisjoint(cols.dictionary_forms))
                and (not c & NORMALIZED or forms.isdisjoint(cols.normalized))
            )
        return known

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
