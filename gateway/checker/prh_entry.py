"""One prh rule as prh reads it: `expected` with `pattern` / `patterns` (a literal, case-
and width-sensitive, or `/regex/flags` in JavaScript syntax), `expected` spread over both
widths and cases of its letters and digits when there is no pattern, `options`, `specs`;
translated to a Python regex (jsregex) with prh's alternation and word boundaries. The
files and dictionaries that hold such rules are prh_load.py (split from it: it had grown
past one job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.checker.engine import RuleLoadError
from gateway.checker.jsregex import _SYNTAX, JsRegexError, _as_written, compile_python
from gateway.checker.prefilter import Clauses
from gateway.checker.prh_match import literal_spec_result, spec_result

if TYPE_CHECKING:
    from gateway.checker.jsshape import ShapeOrMemo


_HANKAKU = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ZENKAKU = "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ０１２３４５６７８９"
_SPECIAL = "¥*+.?{}()[]^$-|/"  # what prh escapes in a literal pattern (not the backslash)
_SPECIAL_SET = frozenset(_SPECIAL)
# compiled (and kept by `re`) when a dictionary is first read, not on a start that has
# its dictionaries in the load cache
_REGEXP_STRING = r"/([^\n\r\u2028\u2029]*)/([gimy]*)"
_MUST_EMPTY = r"\$([0-9]+)"


# --- one rule ---


# jsshape is imported when a pattern is first read (a start whose dictionaries are all
# in the load cache reads none): each of these replaces itself by jsshape's on first use
def _translate_with_shape(source: str, ignorecase: bool) -> tuple[str, ShapeOrMemo]:
    global _translate_with_shape
    from gateway.checker.jsshape import translate_with_shape

    _translate_with_shape = translate_with_shape
    return translate_with_shape(source, ignorecase)


def _clauses_of_shape(source: str, ignorecase: bool, shape: ShapeOrMemo) -> Clauses:
    global _clauses_of_shape
    from gateway.checker.jsshape import clauses_of_shape

    _clauses_of_shape = clauses_of_shape
    return clauses_of_shape(source, ignorecase, shape)


@dataclass(eq=False)
class PrhEntry:
    """One prh rule, as prh compiles it, in Python."""

    expected: str
    source: str  # `regex` module source with the meaning of prh's JavaScript regex
    ignorecase: bool
    js: str  # the regex as prh prints it (/…/gmu): what `ignoreRules: [{pattern}]` names
    must_empty: int | None
    note: str  # the rule's `prh` field
    specs: tuple[tuple[str, str], ...]
    where: str  # the dictionary file
    _clauses: Clauses | None = None  # None: not read yet from the shape (see `clauses`)
    _regex: re.Pattern[str] | None = field(default=None, repr=False)
    _js_source: str = field(default="", repr=False)  # the JavaScript source, for _clauses
    _shape: ShapeOrMemo = field(default=None, repr=False)  # as translate_with_shape read it

    @property
    def clauses(self) -> Clauses:
        """The prefilter's clauses, read from the pattern's shape on first use (the first
        check of a text): loading needs them no more than prh does."""
        if self._clauses is None:
            self._clauses = _clauses_of_shape(self._js_source, self.ignorecase, self._shape)
            self._shape = None
        return self._clauses

    @property
    def regex(self) -> re.Pattern[str]:
        """Compiled on first use: most of a big dictionary never runs on a given draft."""
        if self._regex is None:
            try:
                self._regex = compile_python(self.source, self.ignorecase)
            except JsRegexError as e:  # the JavaScript source was valid: never seen
                import logging

                logging.getLogger("gateway.checker").warning(
                    "event=prh_pattern_unusable file=%s expected=%r error=%r "
                    "ja='この表記ルールは使えないため飛ばします'",
                    self.where, self.expected, str(e),
                )  # fmt: skip
                self._regex = re.compile("(?!)")
        return self._regex

    def to_json(self) -> list[Any]:
        """The entry as JSON data (tuples are written as arrays)."""
        return [
            self.expected, self.source, self.ignorecase, self.js, self.must_empty, self.note,
            self.specs, self.clauses,
        ]  # fmt: skip

    @classmethod
    def from_json(cls, data: list[Any], where: str) -> PrhEntry:
        expected, source, ic, js, must, note, specs, clauses = data
        return cls(
            expected, source, ic, js, must, note,
            tuple(tuple(s) for s in specs), where, tuple(tuple(c) for c in clauses),
        )  # fmt: skip


def _label(raw: Any, index: int) -> str:
    expected = raw.get("expected") if isinstance(raw, dict) else raw
    return f"rules[{index}]" + (f" expected: {expected}" if expected is not None else "")


def _error(path: Path, label: str | None, ja: str, en: str) -> RuleLoadError:
    return RuleLoadError(path, label, ja, en)


def _truthy(value: Any) -> bool:
    """JavaScript's truthiness for YAML values (an empty list is true there)."""
    if isinstance(value, list | dict):
        return True
    return bool(value)


def parse_regexp_string(text: str) -> tuple[str, str] | None:
    """prh's parseRegExpString: `/source/flags` -> (source, flags), else None."""
    if not text.startswith("/"):
        return None  # most patterns: a literal
    global _regexp_string
    if _regexp_string is None:
        _regexp_string = re.compile(_REGEXP_STRING).fullmatch
    m = _regexp_string(text)
    return (m.group(1), m.group(2)) if m else None


_regexp_string: Any = None


def escape_special(text: str) -> str:
    """prh's escapeSpecialChars (the backslash itself stays as it is, as in prh)."""
    if _SPECIAL_SET.isdisjoint(text):
        return text  # most patterns
    return "".join("\\" + ch if ch in _SPECIAL else ch for ch in text)


def spread_alphanum(expected: str) -> str:
    """prh's spreadAlphaNum: each letter or digit as a class of both cases and widths.
    The rest stays as written, unescaped (prh builds a RegExp from it)."""
    return "".join(map(_spread_char, expected))


@lru_cache(maxsize=4096)
def _spread_char(ch: str) -> str:
    up, low = _HANKAKU.find(ch.upper()), _HANKAKU.find(ch.lower())
    if up == -1 and low == -1:
        return ch
    if up == low:
        return f"[{ch}{_ZENKAKU[up]}]"
    zen_up = _ZENKAKU[up] if up >= 0 else ""
    zen_low = _ZENKAKU[low] if low >= 0 else ""
    return f"[{ch.upper()}{ch.lower()}{zen_up}{zen_low}]"


# the only characters js_display writes otherwise (escapes and classes only decide which)
_DISPLAY_CHANGES = frozenset("/\n\r\u2028\u2029")


def js_display(source: str) -> str:
    """A RegExp's `source` as JavaScript shows it: `/` outside classes escaped."""
    if not source:
        return "(?:)"
    if _DISPLAY_CHANGES.isdisjoint(source):
        return source  # most patterns: nothing to show differently
    out = []
    in_class = escaped = False
    for ch in source:
        if escaped:
            out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
        elif ch == "[":
            in_class = True
        elif ch == "]":
            in_class = False
        elif ch == "/" and not in_class:
            out.append("\\/")
            continue
        out.append({"\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}.get(ch, ch))
    return "".join(out)


class _PatternError(ValueError):
    def __init__(self, ja: str, en: str) -> None:
        super().__init__(en)
        self.ja = ja


def _js_pattern(pattern: Any, expected: str, word_boundary: bool) -> tuple[str, bool]:
    """prh's `Rule._patternToRegExp`: (JavaScript source, ignore case)."""
    if pattern is None:
        source, flags = spread_alphanum(expected), ""
    elif isinstance(pattern, str):
        parsed = parse_regexp_string(pattern)
        source, flags = parsed if parsed else (escape_special(pattern), "")
        if len(set(flags)) != len(flags):
            raise _PatternError(
                f"正規表現のフラグ {flags} が不正です。", f"invalid flags '{flags}'"
            )
    elif isinstance(pattern, list):
        parts = [_js_pattern(p, expected, word_boundary) for p in pattern]
        if len({ic for _, ic in parts}) > 1:
            raise _PatternError(
                "patterns に i フラグのあるものとないものが混ざっています。",
                "combining different flags (some patterns have 'i', some do not)",
            )
        ignorecase = bool(parts) and parts[0][1]
        return "(?:" + "|".join(s for s, _ in parts) + ")", ignorecase
    else:
        raise _PatternError(
            f"pattern は文字列か文字列の並びにしてください（{pattern!r}）。",
            f"unexpected pattern: {pattern!r}",
        )
    if word_boundary:
        source = f"\\b{source}\\b"
    return source, "i" in flags


# A rule of only these keys whose pattern is plain text (or a list of plain texts) is
# built by _plain_entry: as build_entry builds it, without the steps that change nothing
_PLAIN_KEYS = frozenset(("expected", "pattern", "patterns", "prh"))
# characters that make a literal pattern other than itself somewhere on its way: escaped
# by prh, syntax to the parser, written otherwise by js_display, or not written as is
_NOT_PLAIN = _SPECIAL_SET | _SYNTAX | _DISPLAY_CHANGES | frozenset("\\")


def _plain_text(value: Any) -> bool:
    return (
        type(value) is str and value != "" and _NOT_PLAIN.isdisjoint(value) and _as_written(value)
    )


def _plain_entry(raw: Any, where: str) -> PrhEntry | None:
    """build_entry's rule for the commonest rules (most of a big dictionary): `expected`,
    a literal `pattern` or `patterns` (or a list of literals), or one `/regex/` with no
    flag but `i`, and a `prh` note; no options, no specs. None for any other rule, and
    for a regex that does not read (build_entry reads it in full, and says why)."""
    if type(raw) is not dict or not raw.keys() <= _PLAIN_KEYS:
        return None
    expected = raw.get("expected")
    pattern = raw.get("pattern")
    if pattern is None:
        pattern = raw.get("patterns")
    elif "patterns" in raw:
        return None
    if type(expected) is not str:
        return None
    ignorecase = False
    if _plain_text(pattern):
        js_source = python = pattern  # escaped, translated and shown as it is
        shape: ShapeOrMemo = None
        js = f"/{pattern}/gmu"
    elif type(pattern) is list and pattern and all(map(_plain_text, pattern)):
        js_source = python = "(?:" + "|".join(pattern) + ")"  # prh's combine, as parsed
        shape = [[("g", "g", [[("c", frozenset((p,)))] for p in pattern])]]
        js = f"/{python}/gmu"
    elif type(pattern) is str and pattern.startswith("/"):
        parsed = parse_regexp_string(pattern)
        if parsed is None or parsed[1] not in ("", "i"):
            return None
        js_source, ignorecase = parsed[0], parsed[1] == "i"
        try:
            python, shape = _translate_with_shape(js_source, ignorecase)
        except JsRegexError:
            return None
        js = f"/{js_display(js_source)}/{'gimu' if ignorecase else 'gmu'}"
    else:
        return None
    note = raw.get("prh")
    return PrhEntry(
        expected,
        python,
        ignorecase,
        js,
        None,
        "" if note is None else note.strip() if isinstance(note, str) else str(note).strip(),
        (),
        where,
        None,
        None,
        js_source,
        shape,
    )


_NOT_PLAIN_IN_ALTERNATIVE = frozenset(_SYNTAX) - {"|"}


def _plain_strings(js_source: str, ignorecase: bool) -> tuple[str, ...] | None:
    """The strings a pattern stands for when it is plain text or `(?:a|b|…)` of plain
    texts (prh's patterns list of literals), without `i`; else None."""
    if ignorecase or not js_source:
        return None
    if _SYNTAX.isdisjoint(js_source):
        return (js_source,)
    if js_source.startswith("(?:") and js_source.endswith(")"):
        inner = js_source[3:-1]
        if _NOT_PLAIN_IN_ALTERNATIVE.isdisjoint(inner):
            strings = tuple(inner.split("|"))
            if all(strings):
                return strings
    return None


def build_entry(raw: Any, path: Path, index: int, where: str | None = None) -> PrhEntry:
    """prh's `new Rule(raw)` and `rule.check()`: the rule compiled, its specs passed.
    (`where`: str(path), given by a caller that builds many.)"""
    plain = _plain_entry(raw, str(path) if where is None else where)
    if plain is not None:
        return plain
    given = raw  # named in errors only (their label is built when one is raised)
    if isinstance(raw, str):
        raw = {"expected": raw}
    if not isinstance(raw, dict):
        raise _error(
            path,
            _label(given, index),
            "rules の各項目は表にしてください。",
            "a rule must be a mapping",
        )
    get = raw.get
    pattern, patterns = get("pattern"), get("patterns")
    for key, value in (("pattern", pattern), ("patterns", patterns)):
        if value == "" or (isinstance(value, list) and "" in value):
            raise _error(path, _label(given, index), f"{key} が空です。", f"{key} can't be empty")
    expected = get("expected")
    if not isinstance(expected, str):
        raise _error(
            path,
            _label(given, index),
            "expected を文字列で書いてください。",
            "expected is required (a string)",
        )
    options = get("options")
    word_boundary = isinstance(options, dict) and _truthy(options.get("wordBoundary"))
    if not (isinstance(pattern, str) and pattern) and not _truthy(pattern):
        pattern = patterns
    try:
        js_source, ignorecase = _js_pattern(pattern, expected, word_boundary)
        # refuses what JavaScript refuses, as prh's `new RegExp` does; the shape read gives
        # the prefilter's clauses when they are first needed
        source, shape = _translate_with_shape(js_source, ignorecase)
        # compiled now only to check the specs (not when plain strings give their results);
        # the others on first use (most never are)
        raw_specs = get("specs")
        strings = _plain_strings(js_source, ignorecase) if raw_specs else None
        compiled = compile_python(source, ignorecase) if raw_specs and not strings else None
    except _PatternError as e:
        raise _error(path, _label(given, index), e.ja, str(e)) from None
    except JsRegexError as e:
        raise _error(
            path,
            _label(given, index),
            f"パターンを正規表現として読めません（{e}）。",
            f"invalid regular expression: {e}",
        ) from None
    must = get("regexpMustEmpty")
    must_empty = None
    if must is not None and _truthy(must):
        m = re.fullmatch(_MUST_EMPTY, str(must))
        if not m:
            raise _error(
                path,
                _label(given, index),
                "regexpMustEmpty は $1 のように書いてください。",
                "regexpMustEmpty: please use $1 format",
            )
        must_empty = int(m.group(1))
    specs = []
    for spec in raw_specs or ():
        src, dst = (spec.get("from"), spec.get("to")) if isinstance(spec, dict) else (None, None)
        if not src or not dst:
            raise _error(
                path,
                _label(given, index),
                "specs には from と to を書いてください。",
                "a spec needs from and to",
            )
        specs.append((str(src), str(dst)))
    note = get("prh")
    entry = PrhEntry(
        expected,
        source,
        ignorecase,
        f"/{js_display(js_source)}/{'gimu' if ignorecase else 'gmu'}",
        must_empty,
        "" if note is None else note.strip() if isinstance(note, str) else str(note).strip(),
        tuple(specs),
        str(path) if where is None else where,
        None,
        compiled,
        js_source,
        shape,
    )
    for src, dst in specs:
        if strings:
            got = literal_spec_result(strings, expected, must_empty, src)
        else:
            got = spec_result(entry, src)
        if got != dst:
            raise _error(
                path,
                _label(given, index),
                f"specs が合いません:「{src}」は「{dst}」になるはずが「{got}」になりました（{entry.js}）。",
                f"spec failed: {src!r} should become {dst!r} but became {got!r} ({entry.js})",
            )
    return entry
