"""How prh (npm `prh` 5.4.4) finds what to change in a text, step by step as prh does it.

prh's results are more than each rule's matches: the text is cut into paragraphs at
blank lines and every rule runs on each paragraph alone; `prh:disable` pragmas drop
findings in their paragraph; overlapping findings are thinned by prh's own two filters
(a longer match at the same place wins, then an earlier one); and a dictionary's
`targets` keep only findings inside `includes` or outside `excludes` for matching file
names. Each step here is a small pure function that follows prh's code, including the
ways its filters behave on unusual overlaps, so that findings agree with prh's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

from gateway.checker.jsregex import JsRegexError, translate
from gateway.checker.prefilter import Clauses, passes

_PARAGRAPH_BREAK = re.compile(r"\n{2,}")
_DOLLAR_GROUP = re.compile(r"\$([0-9]{1,2})")


class Entry(Protocol):
    """What matching needs of one prh rule (see prh_load.PrhEntry)."""

    expected: str
    must_empty: int | None

    @property
    def regex(self) -> re.Pattern[str]: ...

    @property
    def clauses(self) -> Clauses: ...


@dataclass(frozen=True, slots=True)
class Diff:
    """One place prh would change: [start, end) of the text, what to write, which rule."""

    start: int
    end: int
    new_text: str
    entry: Any


def expand(expected: str, m: re.Match[str]) -> str:
    """prh's `Diff.newText`: `$1`…`$99` become groups (an unset group: ""), others stay."""
    groups = m.re.groups

    def group(g: re.Match[str]) -> str:
        i = int(g.group(1))
        if i == 0 or i > groups:
            return g.group()
        return m.group(i) or ""

    return _DOLLAR_GROUP.sub(group, expected)


def rule_diffs(entry: Entry, content: str, offset: int = 0) -> list[Diff]:
    """prh's `Rule.applyRule`: every match, less those `regexpMustEmpty` or an exact
    `expected` rules out. An empty match (on which prh would loop forever) is skipped."""
    out = []
    must = entry.must_empty
    for m in entry.regex.finditer(content):
        text = m.group()
        if not text:
            continue
        if must is not None and must <= m.re.groups and m.group(must):
            continue
        if text == entry.expected:
            continue
        out.append(Diff(m.start() + offset, m.end() + offset, expand(entry.expected, m), entry))
    return out


def prepare(diffs: Iterable[Diff]) -> list[Diff]:
    """prh's `ChangeSet._prepare`: sort; at the same start the longer wins; then a diff
    starting inside the one before it in the list goes (prh compares neighbours only)."""
    ordered = sorted(diffs, key=lambda d: (d.start, d.end))
    kept = [
        d
        for i, d in enumerate(ordered)
        if not (
            i + 1 < len(ordered) and d.start == ordered[i + 1].start and d.end < ordered[i + 1].end
        )
    ]
    return [d for i, d in enumerate(kept) if not (i > 0 and d.start < kept[i - 1].end)]


def apply(text: str, diffs: Sequence[Diff]) -> str:
    """prh's `ChangeSet.applyChangeSets` (which prepares once more, as prh does)."""
    out: list[str] = []
    done = 0
    for d in prepare(diffs):
        out.append(text[done : d.start])
        out.append(d.new_text)
        done = d.end
    out.append(text[done:])
    return "".join(out)


def spec_result(entry: Entry, text: str) -> str:
    """What prh's spec check (`Rule.check`) makes of `text` with one rule:
    apply(text, prepare(rule_diffs(entry, text))), with (start, end, new text) tuples
    for Diffs (a dictionary's specs run by the hundred when it first loads)."""
    found = []
    must = entry.must_empty
    expected = entry.expected
    dollar = "$" in expected
    for m in entry.regex.finditer(text):
        matched = m.group()
        if not matched:
            continue
        if must is not None and must <= m.re.groups and m.group(must):
            continue
        if matched == expected:
            continue
        found.append((m.start(), m.end(), expand(expected, m) if dollar else expected))
    if not found:
        return text
    out: list[str] = []
    done = 0
    # apply(prepare(…)) keeps them all as they are: one regex's matches (finditer's,
    # never empty here) start one after another and never overlap, so prepare, which
    # orders the diffs and drops those that overlap, has nothing to do
    for start, end, new_text in found:
        out.append(text[done:start])
        out.append(new_text)
        done = end
    out.append(text[done:])
    return "".join(out)


def literal_spec_result(
    strings: tuple[str, ...], expected: str, must_empty: int | None, text: str
) -> str:
    """spec_result for a rule whose pattern is plain text, or an alternation of plain
    texts, without `i`: what its regex finds is each string where it occurs, leftmost
    first, the first alternative that occurs there, never overlapping; such a regex
    has no group, so `$1` stays as written and only `regexpMustEmpty: $0` rules out
    (every match). Asked without compiling the regex: V8 runs such a pattern as a
    string search too, and compiling ~15 µs a pattern was most of a dictionary's specs.
    tests/unit/test_prh_literal_specs.py compares it with spec_result."""
    if must_empty == 0:
        return text
    if len(strings) == 1:
        (string,) = strings
        return text.replace(string, expected)  # where it is `expected`: the same text
    out: list[str] = []
    done = i = 0
    starts = text.startswith
    while True:
        # the next place any of the strings occurs, and the first alternative there
        found = [at for at in (text.find(s, i) for s in strings) if at >= 0]
        if not found:
            break
        i = min(found)
        string = next(s for s in strings if starts(s, i))
        if string != expected:
            out.append(text[done:i])
            out.append(expected)
            done = i + len(string)
        i += len(string)
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def paragraphs(text: str) -> list[tuple[int, str]]:
    """prh's paragraphs: the text cut at every run of two or more line feeds."""
    out = []
    done = 0
    for m in _PARAGRAPH_BREAK.finditer(text):
        out.append((done, text[done : m.start()]))
        done = m.end()
    out.append((done, text[done:]))
    return out


@cache
def _pragma() -> re.Pattern[str]:
    """prh's `prh:disable` comment, compiled when a paragraph first has one."""
    return re.compile(translate(r"^(?:.*?)prh:disable(?::([^\n\s]*))?"))


_PRAGMA_SECONDS = 0.05  # a pragma's pattern comes from the draft: it may not stall a check


def _ignore_pattern(source: str) -> Callable[[str], bool]:
    """A `prh:disable:PATTERN` test. The pattern is written in the draft, so it runs in
    the `regex` module with a time limit: a pattern built to backtrack ignores nothing."""
    import regex

    try:
        pattern = regex.compile(f"({translate(source)})", regex.V0)
    except (JsRegexError, regex.error, ValueError, OverflowError):
        pattern = regex.compile(regex.escape(source))  # prh would stop; the text, literally

    def ignores(matched: str) -> bool:
        try:
            return pattern.search(matched, timeout=_PRAGMA_SECONDS) is not None
        except TimeoutError:
            return False

    return ignores


def _collides(start: int, end: int, other_start: int, other_end: int) -> bool:
    """prh's `Diff.isCollide`: one starts strictly inside the other."""
    return other_start < start < other_end or start < other_start < end


def paragraph_diffs(
    entries: Sequence[Entry], content: str, offset: int, candidates: Callable[[str], Iterable[int]]
) -> list[Diff]:
    """prh's `Paragraph.makeDiffs`: every rule on one paragraph, then its pragmas.

    `candidates(content)` gives the indices of the entries that may match (prefilter);
    the others could only add nothing.
    """
    diffs: list[Diff] = []
    for i in candidates(content):
        diffs += rule_diffs(entries[i], content)
    if not diffs or "prh:disable" not in content:
        return [Diff(d.start + offset, d.end + offset, d.new_text, d.entry) for d in diffs]
    ranges = []
    ignores = []
    for m in _pragma().finditer(content):
        if not m.group(1):
            return []  # `prh:disable` alone: nothing in this paragraph
        ranges.append((m.start(), m.end()))
        ignores.append(_ignore_pattern(m.group(1)))
    kept = []
    for d in diffs:
        if any(_collides(d.start, d.end, s, e) for s, e in ranges):
            continue
        matched = content[d.start : d.end]
        if any(ignores_it(matched) for ignores_it in ignores):
            continue
        kept.append(Diff(d.start + offset, d.end + offset, d.new_text, d.entry))
    return kept


# --- targets: includes / excludes ---


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


def pattern_spans(pattern: re.Pattern[str], text: str) -> list[Span]:
    """prh's `makeChangeSet(…, pattern)`: every match of an include/exclude, prepared."""
    spans = [Span(m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start()]
    return _prepare_spans(spans)


def _prepare_spans(spans: Iterable[Span]) -> list[Span]:
    as_diffs = [Diff(s.start, s.end, "", None) for s in spans]
    return [Span(d.start, d.end) for d in prepare(as_diffs)]


def intersect(diffs: list[Diff], audit: list[Span]) -> list[Diff]:
    """prh's `ChangeSet.intersect`: the diffs that overlap an include (prh's walk)."""
    base = prepare(diffs)
    audit = _prepare_spans(audit)
    out: list[Diff] = []
    a = b = 0
    while a < len(base) and b < len(audit):
        d, s = base[a], audit[b]
        if _collides(d.start, d.end, s.start, s.end) and all(o is not d for o in out):
            out.append(d)
        if d.start < s.start:
            a += 1
        else:
            b += 1
    return out


def subtract(diffs: list[Diff], subtrahend: list[Span]) -> list[Diff]:
    """prh's `ChangeSet.subtract`: drop the diffs that overlap an exclude (prh's walk)."""
    result = prepare(prepare(diffs))
    sub = _prepare_spans(subtrahend)
    m = s = 0
    while m < len(result) and s < len(sub):
        d, x = result[m], sub[s]
        encloses = d.start < x.start and x.end < d.end
        if not encloses and _collides(d.start, d.end, x.start, x.end):
            del result[m]
            continue
        if d.start < x.start:
            m += 1
        else:
            s += 1
    return result


@dataclass(frozen=True)
class Target:
    """A `targets` item: for file names `file` matches, look only inside `includes`
    and outside `excludes`."""

    file: re.Pattern[str]
    includes: tuple[re.Pattern[str], ...] = ()
    excludes: tuple[re.Pattern[str], ...] = ()


def apply_targets(diffs: list[Diff], targets: Sequence[Target], file: str, text: str) -> list[Diff]:
    """The end of prh's `Engine.makeChangeSet`."""
    includes: list[Span] | None = None
    excludes: list[Span] | None = None
    for target in targets:
        if not target.file.search(file):
            continue
        for p in target.includes:
            spans = pattern_spans(p, text)
            includes = spans if includes is None else _prepare_spans(includes + spans)
        for p in target.excludes:
            spans = pattern_spans(p, text)
            excludes = spans if excludes is None else _prepare_spans(excludes + spans)
    if includes is not None:
        diffs = intersect(diffs, includes)
    if excludes is not None:
        diffs = subtract(diffs, excludes)
    return diffs


def find(
    entries: Sequence[Entry],
    targets: Sequence[Target],
    text: str,
    file: str,
    candidates: Callable[[str], Iterable[int]] | None = None,
) -> list[Diff]:
    """prh's findings in `text` (as a file called `file`), in order, overlaps resolved.

    Diffs whose new text equals the matched text are kept here (they still take their
    place in prh's overlap filters); callers that report findings leave them out.
    """
    if candidates is None:

        def candidates(paragraph: str) -> Iterable[int]:
            return (i for i, e in enumerate(entries) if passes(e.clauses, paragraph))

    diffs: list[Diff] = []
    for offset, content in paragraphs(text):
        diffs += paragraph_diffs(entries, content, offset, candidates)
    diffs = prepare(diffs)
    if targets:
        diffs = apply_targets(diffs, targets, file, text)
    return diffs
