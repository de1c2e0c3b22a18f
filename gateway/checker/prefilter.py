"""What text a regex cannot match without: an exact, cheap test to skip a rule.

Most drafts contain none of the words a regex or prh rule looks for, yet running the
regex still costs a scan of the whole text, and dozens of them add up. A pattern is
parsed once at load into clauses: each clause is a set of strings of which at least
one must be in the text for any match (`(?:無断|許可)で?転載` needs 無断 or 許可, and 転載).
A rule whose clause has no string in the draft is skipped without running its regex
(`s in text` is a fast C scan), and a rule that passes runs as before, so what matches
never changes. Patterns the analysis does not understand (backreferences,
negated or case-insensitive letters …) simply give fewer clauses, never wrong ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any, TypeVar

try:  # re's own parser (CPython 3.11+). It is private: without it, rules are not skipped.
    from re import _constants as C
    from re import _parser as sre_parse

    _REPEATS = (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT)
except (ImportError, AttributeError):  # pragma: no cover - a Python that moved them
    sre_parse = None

Clauses = tuple[tuple[str, ...], ...]  # each clause: strings, any one of which is needed
_Clause = frozenset[str]

T = TypeVar("T")
_MAX_CLASS = 64  # a character class larger than this is no useful clause


def required_strings(regex: re.Pattern[str]) -> Clauses:
    """Clauses for a compiled regex: every match needs a string of each clause.

    The strings may lie in a lookaround (they are in the text, if not in the match).
    A pattern that cannot be parsed again, or a Python whose private parser differs,
    gives no clauses (the rule is never skipped, only slower).
    """
    return required_strings_of(regex.pattern, regex.flags)


def required_strings_of(pattern: str, flags: int = 0, memo: bool = True) -> Clauses:
    """Clauses for a pattern source, as `required_strings`; the source need not compile
    with `re` (a `regex` module pattern with a variable-width lookbehind parses).
    `memo`: remembered between starts (loadmemo), for the rule files' own regexes."""
    if sre_parse is None:
        return ()
    if memo:
        from gateway.checker import loadmemo

        return loadmemo.clauses(pattern, flags, _required_strings_of)
    return _required_strings_of(pattern, flags)


def _required_strings_of(pattern: str, flags: int) -> Clauses:
    if sre_parse is None:
        return ()
    ignorecase = bool(flags & re.IGNORECASE)
    try:
        tree = sre_parse.parse(pattern, flags & (re.IGNORECASE | re.MULTILINE | re.DOTALL))
        clauses = dict.fromkeys(_sequence(list(tree), ignorecase))
    except Exception:  # a pattern or a parse tree we do not understand: no clauses
        return ()
    return ordered(clauses)


def ordered(clauses: Iterable[frozenset[str]]) -> Clauses:
    """Clauses as `passes` wants them: the likeliest to fail first, each with its
    commonest strings first (duplicates dropped). A clause that fails costs a scan per
    string in any order; one that holds stops at the first string found, which the
    commonest are likeliest to be (a rule runs its prefilter after the check found one of
    its first clause's strings in the draft: rarest first, discriminatory-gender-role's
    50 were all looked for before 女 and 男)."""
    unique = list(dict.fromkeys(clauses))
    if len(unique) == 1 and len(unique[0]) == 1:
        return (tuple(unique[0]),)  # one string: nothing to order (most patterns)
    # each string scored once (a prh word spread over cases and widths has 64 of them)
    score = {s: _string_commonness(s) for clause in unique for s in clause}
    unique.sort(key=lambda clause: sum(map(score.__getitem__, clause)))  # = _commonness
    return tuple(tuple(sorted(c, key=score.__getitem__, reverse=True)) for c in unique)


def uncased(ch: str) -> bool:
    """A character IGNORECASE matches only as itself (kana, kanji, digits, symbols)."""
    return _uncased(ch)


def char_commonness(ch: str) -> float:
    """A rough chance that a character is in a Japanese draft (hiragana commonest)."""
    return _char_commonness(ch)


def most_selective(clauses: list[frozenset[str]]) -> frozenset[str]:
    return _most_selective(clauses)


def passes(clauses: Clauses, text: str) -> bool:
    """Whether `text` may match: every clause has one of its strings in it."""
    for clause in clauses:
        for s in clause:
            if s in text:
                break
        else:
            return False
    return True


def _uncased(ch: str) -> bool:
    """A character IGNORECASE matches only as itself (kana, kanji, digits, symbols)."""
    return ch.lower() == ch and ch.upper() == ch


def _sequence(items: list[tuple[object, Any]], ignorecase: bool) -> list[_Clause]:
    """Clauses of a sequence of parsed items: each item's clauses must all hold."""
    return spell_runs(
        items,
        lambda it: _one_char(it[0], it[1], ignorecase),
        lambda it: _item(it[0], it[1], ignorecase),
    )


def spell_runs(
    items: Iterable[T],
    one_char: Callable[[T], frozenset[str] | None],
    clauses_of: Callable[[T], list[_Clause]],
) -> list[_Clause]:
    """Clauses of a sequence of items (of `re`'s parse tree, or prh's JavaScript regexes).

    Adjacent items that each match one character (a literal, a small class) are adjacent
    in the text too: together they make one clause of strings, every combination of their
    characters (`[WwＷｗ][Ii]` -> Wi, wi, Ｗi …), while there are few enough."""
    out: list[_Clause] = []
    run: set[str] = set()  # strings the items so far in the run spell, one of which is here
    for item in items:
        chars = one_char(item)
        if chars is not None and run and len(run) * len(chars) <= _MAX_CLASS:
            run = {r + c for r in run for c in chars}
            continue
        if run:
            out.append(frozenset(run))
        run = set(chars) if chars is not None else set()
        if chars is None:
            out.extend(clauses_of(item))
    if run:
        out.append(frozenset(run))
    return out


def _one_char(op: object, av: Any, ignorecase: bool) -> frozenset[str] | None:
    """The characters an item matches as exactly one character of the text, as `in` would
    find them (None: not such an item, or a letter whose case IGNORECASE ignores)."""
    if op is C.LITERAL:
        ch = chr(av)
        return frozenset(ch) if not ignorecase or _uncased(ch) else None
    if op is C.IN:
        chars = _class_chars(av)
        if chars is None or (ignorecase and not all(map(_uncased, chars))):
            return None
        return chars
    return None


def _item(op: object, av: Any, ignorecase: bool) -> list[_Clause]:
    if op is C.LITERAL:  # a case-insensitive letter (uncased ones are in _sequence's runs)
        return []
    if op is C.IN:
        chars = _class_chars(av)
        if chars is None or (ignorecase and not all(map(_uncased, chars))):
            return []
        return [chars]
    if op is C.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        ic = (ignorecase or bool(add_flags & re.IGNORECASE)) and not del_flags & re.IGNORECASE
        return _sequence(list(sub), ic)
    if op in _REPEATS:
        low, _high, sub = av
        return _sequence(list(sub), ignorecase) if low >= 1 else []
    if op is C.ATOMIC_GROUP:
        return _sequence(list(av), ignorecase)
    if op is C.ASSERT:  # a positive lookahead or lookbehind: its text is in the draft
        _direction, sub = av
        return _sequence(list(sub), ignorecase)
    if op is C.BRANCH:
        return _branch(av[1], ignorecase)
    return []  # ANY, CATEGORY, NOT_LITERAL, AT, ASSERT_NOT, GROUPREF …: nothing required


def _branch(branches: list[Any], ignorecase: bool) -> list[_Clause]:
    """One clause for alternatives: the union of one clause from each (none if one has none)."""
    union: set[str] = set()
    for sub in branches:
        clauses = _sequence(list(sub), ignorecase)
        if not clauses:
            return []
        union |= _most_selective(clauses)
    return [frozenset(union)] if len(union) <= _MAX_CLASS else []


def _most_selective(clauses: list[_Clause]) -> _Clause:
    """The clause least likely to be met by chance in a Japanese draft."""
    return min(clauses, key=_commonness)


def _commonness(clause: _Clause) -> float:
    """A rough chance that a draft has one of these strings. Only speed depends on it."""
    return sum(map(_string_commonness, clause))


def _string_commonness(s: str) -> float:
    """Hiragana are in every sentence, kanji are many and each is rare; every further
    character makes a string rarer."""
    least = 0.3 if s.isascii() else min(map(_char_commonness, s))  # (ASCII: all 0.3)
    return least * 0.2 ** (len(s) - 1)


@cache
def _char_commonness(ch: str) -> float:
    if "\u3040" <= ch <= "\u309f":
        return 1.0
    if ch.isascii():
        return 0.3
    if "\u30a0" <= ch <= "\u30ff":
        return 0.1
    return 0.02


def _class_chars(items: list[tuple[object, Any]]) -> frozenset[str] | None:
    """The characters of a [...] class, or None for a negated, categorised or big one."""
    chars: set[str] = set()
    for op, av in items:
        if op is C.LITERAL:
            chars.add(chr(av))
        elif op is C.RANGE and av[1] - av[0] < _MAX_CLASS:
            chars.update(map(chr, range(av[0], av[1] + 1)))
        else:  # NEGATE, CATEGORY (\d \w …), a big RANGE
            return None
    return frozenset(chars) if len(chars) <= _MAX_CLASS else None


class TriggerScan:
    """Every rule's first clause, looked for in one pass of the text instead of one `in`
    scan per string per rule.

    One regex of all the strings as a trie: at each place where some string starts, `re`
    returns the longest that matches there, and the shorter ones matching there are its
    prefixes. Searching again from the next character finds every place, so `present`
    is exactly the set of strings that occur in the text (case-sensitively, as `in`
    tests them). The trie's first letters are tried commonest first (hiragana before
    kanji): at a place where a string may start, `re` goes through the alternatives one
    by one, and a flat list of the strings cost ~1,500 instructions there, a post's
    hiragana being first letters of many.
    """

    def __init__(self, clauses: list[tuple[str, ...]]) -> None:
        strings = sorted({s for clause in clauses for s in clause if s}, key=len, reverse=True)
        self._strings = strings
        # The regex is built and compiled on the _PLAIN_SCANS + 1st text (a 1,724-string
        # prh dictionary: 8 ms to build, 25 ms for `re` to compile, on every process start):
        # a `gateway check` of one post looks for each string with `in` instead, in C.
        self._regex: re.Pattern[str] | None = None
        self._plain_scans = _PLAIN_SCANS
        # each string's prefixes that are strings too: its own prefixes looked up in the
        # set, so building costs the strings' total length (not strings x strings)
        known = set(strings)
        self._with_prefixes = {
            s: frozenset(s[:k] for k in range(1, len(s) + 1) if s[:k] in known) for s in strings
        }

    def present(self, text: str) -> set[str]:
        """Exactly the strings that occur in `text` (case-sensitively, as `in` tests them)."""
        found: set[str] = set()
        if not self._strings:
            return found
        if self._regex is None:
            if self._plain_scans > 0:
                self._plain_scans -= 1  # a race between threads only compiles sooner
                return set(filter(text.__contains__, self._strings))
            self._regex = re.compile(_trie_regex(self._strings))
        search = self._regex.search
        m = search(text)
        budget = _SCAN_MATCHES
        while m is not None:
            found |= self._with_prefixes[m.group()]
            budget -= 1
            if not budget:
                # a text full of them (10.10.10… for "0."): each string not found yet
                # is looked for once with `in`, in C, instead of a step per occurrence
                rest = [s for s in self._with_prefixes if s not in found]
                if not text.isascii():
                    # a wide text: only the strings whose first letter it has (a scan
                    # of 100 KB of it took 58 µs per string, 8 ms for the rules' 139)
                    letters = set(text)
                    rest = [s for s in rest if s[0] in letters]
                return found | set(filter(text.__contains__, rest))
            m = search(text, m.start() + 1)
        return found


_SCAN_MATCHES = 64  # occurrences stepped through before the rest is tested with `in`
_PLAIN_SCANS = 8  # texts looked through with `in` per string before the regex is compiled


def _trie_regex(strings: Iterable[str]) -> str:
    """A regex matching, at a place, the longest of `strings` that starts there: the
    strings as a trie of literals, the first letters commonest first (see TriggerScan)."""
    trie: dict[str, dict] = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}  # a string ends here
    return _node_regex(trie, sorted(set(trie) - {""}, key=lambda ch: -_char_commonness(ch)))


def _node_regex(node: dict[str, dict], order: list[str] | None = None) -> str:
    letters = order if order is not None else sorted(set(node) - {""})
    alts = [re.escape(ch) + _node_regex(node[ch]) for ch in letters]
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    return "(?:" + body + ")?" if "" in node else body


# --- where a match can start, for a regex `re` cannot skip to ---


def lead_chars(pattern: str, flags: int = 0, memo: bool = False) -> frozenset[str] | None:
    """The characters every match of a pattern starts with, when the pattern begins
    with a look-around (`(?<![一-龥々])(?:女|男)…`): `re` finds no first character in it to
    skip to in C, and tries the whole pattern at every position of the text. None when
    the pattern starts with a letter or class of its own (`re` skips to it already),
    when a match may start with any character or be empty, under IGNORECASE, or when
    the parse is not understood. `memo`: remembered between starts (loadmemo), for the
    rule files' own regexes (parsing six of them took 2.5 ms of every start)."""
    if memo:
        from gateway.checker import loadmemo

        kept = loadmemo.clauses(_LEAD_KEY + pattern, flags, _lead_clause)
        return frozenset(kept[0]) if kept else None
    return _lead_chars(pattern, flags)


_LEAD_KEY = "lead-chars:"  # memo keys of lead_chars, apart from the clauses'


def _lead_clause(key: str, flags: int) -> Clauses:
    """lead_chars as a clause for the memo: (the letters,), or () for None."""
    chars = _lead_chars(key[len(_LEAD_KEY) :], flags)
    return (tuple(sorted(chars)),) if chars else ()


def _lead_chars(pattern: str, flags: int) -> frozenset[str] | None:
    if sre_parse is None or flags & re.IGNORECASE:
        return None
    try:
        tree = sre_parse.parse(pattern, flags & (re.MULTILINE | re.DOTALL))
    except Exception:  # not a pattern `re` parses: no shortcut
        return None
    if tree.state.flags & re.IGNORECASE:  # an inline (?i)
        return None
    items = list(tree)
    if not items or _re_skips(items):
        return None  # `re` has a first letter or class to skip to
    try:
        chars = _first_chars(items)
    except _Unknown:
        return None
    return chars if chars and len(chars) <= _MAX_CLASS else None


def _re_skips(items: list[tuple[object, Any]]) -> bool:
    """Whether `re` finds a first letter or class in a parsed pattern to skip to in C: its
    first item (inside groups) a letter or a class, or alternatives that each start with
    a letter (as re._compiler looks for them)."""
    op, av = items[0]
    while op is C.SUBPATTERN:
        sub = list(av[3])
        if not sub:
            return False
        op, av = sub[0]
    if op is C.LITERAL or op is C.IN:
        return True
    return op is C.BRANCH and all(alt and alt[0][0] is C.LITERAL for alt in av[1])


class _Unknown(Exception):
    """A part of a pattern whose first character is not known (or that may be empty)."""


def _first_chars(items: list[tuple[object, Any]]) -> frozenset[str]:
    """The first characters of a sequence of parsed items: zero-width items (look-arounds,
    anchors) are passed over, and the first item that consumes must consume one of a
    known set of characters (so a match is never empty)."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is C.LITERAL:
            return frozenset(chr(av))
        if op is C.IN:
            chars = _class_chars(av)
            if chars is None:
                raise _Unknown
            return chars
        if op is C.SUBPATTERN:
            _group, add_flags, _del_flags, sub = av
            if add_flags & re.IGNORECASE:
                raise _Unknown
            return _first_chars(list(sub))
        if op is C.ATOMIC_GROUP:
            return _first_chars(list(av))
        if op in _REPEATS and av[0] >= 1:
            return _first_chars(list(av[2]))
        if op is C.BRANCH:
            return frozenset().union(*(_first_chars(list(sub)) for sub in av[1]))
        raise _Unknown  # ANY, NOT_LITERAL, CATEGORY, a repeat that may be empty …
    raise _Unknown  # nothing consumed: a match may be empty


_ZERO_WIDTH = (C.ASSERT, C.ASSERT_NOT, C.AT) if sre_parse is not None else ()
