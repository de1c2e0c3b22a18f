"""Read prh notation dictionaries (the YAML textlint's prh rule uses) as checker rules.

Offices already keep notation dictionaries in this format, so the gateway reads them
as they are: `version`, `imports` (a path, or `{path, ignoreRules}`), and `rules` with
`expected`, `pattern` / `patterns` (a literal, or `/regex/flags`), `regexpMustEmpty`,
`options.wordBoundary`, `specs` (`from` / `to`, checked at load) and `prh` (a note).
Without a pattern, `expected` itself is the pattern, width- and case-insensitive for
letters and digits, as prh does; a match already equal to `expected` is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, Rule, RuleLoadError
from gateway.checker.prefilter import Clauses, TriggerScan, passes, required_strings


@dataclass(frozen=True)
class PrhEntry:
    regex: re.Pattern[str]
    expected: str  # a Python replacement template (\g<1> …)
    expected_text: str  # as written in the dictionary
    must_empty: int | None
    note: str
    source: str
    # characters the regex cannot match without: most drafts skip most entries unscanned
    trigger: Clauses = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trigger", required_strings(self.regex))

    def replace_all(self, text: str) -> str:
        return self.regex.sub(lambda m: self.replacement(m) or m.group(), text)

    def replacement(self, m: re.Match[str]) -> str | None:
        """What prh would write instead of this match, or None when it is not a hit."""
        if self.must_empty is not None and m.group(self.must_empty):
            return None
        try:
            new = m.expand(self.expected)
        except (re.error, IndexError):
            new = self.expected_text
        return None if new == m.group() else new


def _spread(ch: str) -> str:
    """A character class for one letter/digit in all widths and cases, as prh does."""
    if ch.isascii() and ch.isalnum():
        variants = {ch.lower(), ch.upper()}
        variants |= {chr(ord(v) + 0xFEE0) for v in list(variants)}
        return "[" + "".join(sorted(variants)) + "]"
    return re.escape(ch)


def _js_regex(src: str) -> tuple[str, int]:
    m = re.fullmatch(r"/(.*)/([a-z]*)", src, re.S)
    assert m
    flags = re.IGNORECASE if "i" in m.group(2) else 0
    if "m" in m.group(2):
        flags |= re.MULTILINE
    return m.group(1), flags


def _template(expected: str) -> str:
    out = expected.replace("\\", "\\\\")
    out = re.sub(r"\$&", r"\\g<0>", out)
    return re.sub(r"\$(\d+)", r"\\g<\1>", out)


def _entry(raw: dict[str, Any], path: Path) -> list[PrhEntry]:
    expected = raw.get("expected")
    if expected is None:
        raise RuleLoadError(
            path, None, "prh の rules に expected がありません。", "prh rule without expected"
        )
    expected = str(expected)
    pats = raw.get("patterns", raw.get("pattern"))
    pats = [pats] if isinstance(pats, str) else list(pats or [expected])
    word_boundary = bool((raw.get("options") or {}).get("wordBoundary"))
    must = raw.get("regexpMustEmpty")
    must_empty = int(str(must).lstrip("$")) if must else None
    entries = []
    for p in pats:
        p = str(p)
        if re.fullmatch(r"/.*/[a-z]*", p, re.S) and len(p) > 1:
            src, flags = _js_regex(p)
        else:
            src, flags = "".join(_spread(c) for c in p), 0
        if word_boundary:
            src = rf"\b(?:{src})\b"
        try:
            rx = re.compile(src, flags)
        except re.error as e:
            raise RuleLoadError(
                path, None, f"prh のパターン {p} が不正です: {e}", f"bad prh pattern {p}: {e}"
            ) from e
        entries.append(
            PrhEntry(
                rx, _template(expected), expected, must_empty, str(raw.get("prh") or ""), str(path)
            )
        )
    for spec in raw.get("specs") or []:
        got = str(spec.get("from", ""))
        for e in entries:
            got = e.replace_all(got)
        if got != str(spec.get("to", "")):
            raise RuleLoadError(
                path,
                None,
                f"prh の specs が合いません（expected: {expected}）:「{spec.get('from')}」→「{got}」（期待:「{spec.get('to')}」）",
                f"prh spec failed for expected {expected!r}: {spec.get('from')!r} -> {got!r}, wanted {spec.get('to')!r}",
            )
    return entries


def _ignored(raw: dict[str, Any], ignore: list[dict[str, Any]]) -> bool:
    for ig in ignore:
        if "expected" in ig and str(ig["expected"]) == str(raw.get("expected")):
            return True
        if "pattern" in ig and str(ig["pattern"]) in {
            str(p) for p in [raw.get("pattern"), *(raw.get("patterns") or [])]
        }:
            return True
    return False


def load_prh(
    path: Path, _seen: frozenset[Path] = frozenset(), ignore: list | None = None
) -> list[PrhEntry]:
    """Load one prh dictionary and its imports; specs are checked here."""
    path = path.resolve()
    if path in _seen:
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as e:
        raise RuleLoadError(
            path, None, f"prh 辞書を読めません: {e}", f"cannot read prh dictionary: {e}"
        ) from e
    entries: list[PrhEntry] = []
    seen = _seen | {path}
    for imp in data.get("imports") or []:
        if isinstance(imp, str):
            entries += load_prh(path.parent / imp, seen, ignore)
        else:
            entries += load_prh(
                path.parent / str(imp["path"]),
                seen,
                (ignore or []) + list(imp.get("ignoreRules") or []),
            )
    for raw in data.get("rules") or []:
        if ignore and _ignored(raw, ignore):
            continue
        entries += _entry(raw, path)
    return entries


@dataclass
class PrhRule(Rule):
    """A whole prh dictionary as one rule; each hit says what to write instead."""

    entries: tuple[PrhEntry, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # The first (rarest) clause of every entry's prefilter, looked for in one pass of
        # the draft: a dictionary of hundreds of entries costs a check little more than a
        # short one, and only the entries whose strings occur are tested further.
        self._by_string: dict[str, list[int]] = {}
        self._unfiltered: list[int] = []  # entries the prefilter knows nothing about
        for i, e in enumerate(self.entries):
            if not e.trigger:
                self._unfiltered.append(i)
                continue
            for s in e.trigger[0]:
                self._by_string.setdefault(s, []).append(i)
        self._scan = TriggerScan([tuple(self._by_string)])

    def _candidates(self, text: str) -> list[PrhEntry]:
        """The entries whose required strings may be in `text`, in dictionary order."""
        present = self._scan.present(text)
        if not present:
            return [self.entries[i] for i in self._unfiltered]
        todo = set(self._unfiltered)
        for s in present:
            todo.update(self._by_string[s])
        return [self.entries[i] for i in sorted(todo)]

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterator[Hit]:
        text = draft.text
        for e in self._candidates(text):
            if not passes(e.trigger, text):
                continue
            for m in e.regex.finditer(text):
                new = e.replacement(m)
                if new is not None:
                    note = f"（{e.note}）" if e.note else ""
                    yield Hit(m.start(), m.end(), {"expected": new, "note": note})
