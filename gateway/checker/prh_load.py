"""Read prh dictionaries (npm `prh` 5.4.4's YAML) the way prh reads them.

Every point follows prh's code: the YAML is read as js-yaml reads it (YAML 1.2: `on`,
`yes`, `no` stay words); a rule is `expected` plus `pattern` / `patterns` (a literal,
case- and width-sensitive, or `/regex/flags` in JavaScript syntax), and without a
pattern `expected` itself, spread over both widths and cases of its letters and digits;
a rule's patterns form one alternation (the first alternative that matches wins);
`options.wordBoundary`, `regexpMustEmpty`, `specs` (checked here); `targets`; and
`imports` (a path or `{path, disableImports, ignoreRules}`), where an imported rule whose
`expected` is already loaded is dropped, as prh's `Engine.merge` does.

What a file yields (its rules translated to Python, their prefilter strings, its specs
passed) is kept in the load cache under the hash of its bytes, so a dictionary that has
not changed is not parsed, translated or spec-checked again.

Loading does what prh's loading does (read the YAML, read and check every pattern, run
the specs) and no more: the prefilter's strings of each pattern, which prh has no need
of, are read from the pattern's parsed shape when the dictionary first checks a text,
and the file's record is written then, whole (`PrhDictionary.complete`).
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.checker.cache import LoadCache, default_cache
from gateway.checker.engine import RuleLoadError
from gateway.checker.jsregex import _SYNTAX, JsRegexError, _as_written, compile_python, translate
from gateway.checker.prefilter import Clauses
from gateway.checker.prh_match import Target, spec_result
from gateway.checker.prh_yaml import read_yaml

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
        # compiled now only to check the specs; the others on first use (most never are)
        raw_specs = get("specs")
        compiled = compile_python(source, ignorecase) if raw_specs else None
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
        got = spec_result(entry, src)
        if got != dst:
            raise _error(
                path,
                _label(given, index),
                f"specs が合いません:「{src}」は「{dst}」になるはずが「{got}」になりました（{entry.js}）。",
                f"spec failed: {src!r} should become {dst!r} but became {got!r} ({entry.js})",
            )
    return entry


# --- one file ---


@dataclass
class _Import:
    path: str
    disable_imports: bool
    ignore: list[dict[str, str]]  # {"pattern": …} or {"expected": …}


@dataclass
class DictFile:
    """What one dictionary file says, before its imports are read."""

    path: Path
    version: float
    entries: list[PrhEntry]
    targets: list[list[Any]]  # [file source, file flags, [[src, ic] includes], [[…] excludes]]
    imports: list[_Import]
    key: str = ""  # its record's key in the load cache
    cache: LoadCache | None = None  # where its record is to be written (None: it is there)

    def store(self) -> None:
        """Write the file's record (every entry's clauses read), once."""
        cache, self.cache = self.cache, None
        if cache is None:
            return
        cache.put(
            self.key,
            {
                "version": self.version,
                "entries": [e.to_json() for e in self.entries],
                "targets": self.targets,
                "imports": [vars(i) for i in self.imports],
            },
        )


def _version(value: Any) -> float:
    """prh: `+src.version || 1`."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 1.0
    return number if number == number and number != 0 else 1.0


def _target_pattern(spec: Any, path: Path) -> list[Any]:
    text = spec.get("pattern") if isinstance(spec, dict) else spec
    if not isinstance(text, str) or not text:
        raise _error(
            path,
            "targets",
            "includes / excludes に pattern を書いてください。",
            "pattern is required",
        )
    parsed = parse_regexp_string(text)
    source, flags = parsed if parsed else (escape_special(text), "")
    return [source, "i" in flags]


def _targets(raw: Any, path: Path) -> list[list[Any]]:
    out = []
    for t in raw or []:
        if not isinstance(t, dict) or not isinstance(t.get("file"), str):
            raise _error(
                path, "targets", "targets には file を書いてください。", "target needs file"
            )
        parsed = parse_regexp_string(t["file"])
        file_src, file_flags = parsed if parsed else (escape_special(t["file"]), "")
        out.append(
            [
                file_src,
                file_flags,
                [_target_pattern(p, path) for p in t.get("includes") or []],
                [_target_pattern(p, path) for p in t.get("excludes") or []],
            ]
        )
    return out


def _imports(raw: Any, path: Path) -> list[_Import]:
    specs = [raw] if isinstance(raw, str) else list(raw or [])
    out = []
    for spec in specs:
        if isinstance(spec, str):
            spec = {"path": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise _error(
                path, "imports", "imports には path を書いてください。", "import needs path"
            )
        ignore = []
        for rule in spec.get("ignoreRules") or []:
            rule = {"pattern": rule} if isinstance(rule, str) else rule
            if isinstance(rule, dict):
                ignore.append({k: v for k, v in rule.items() if k in ("pattern", "expected")})
        out.append(_Import(spec["path"], _truthy(spec.get("disableImports")), ignore))
    return out


def parse_file(path: Path, data: bytes) -> DictFile:
    """One dictionary file's own content: rules compiled and spec-checked, targets, imports.

    The cyclic garbage collector waits while a file is read: reading makes tens of
    thousands of short-lived objects (YAML events, parsed patterns) and none that refer
    to themselves, and its passes over them cost a tenth of the whole reading."""
    if not gc.isenabled():
        return _parse_file(path, data)
    gc.disable()
    try:
        return _parse_file(path, data)
    finally:
        gc.enable()


def _parse_file(path: Path, data: bytes) -> DictFile:
    import yaml

    try:
        raw = read_yaml(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise _error(
            path, None, f"prh 辞書を YAML として読めません: {e}", f"not a YAML file: {e}"
        ) from None
    if not isinstance(raw, dict):
        raise _error(
            path, None, "prh 辞書の最上位は表にしてください。", "top level must be a mapping"
        )
    rules = raw.get("rules") or []
    if not isinstance(rules, list):
        raise _error(path, None, "rules は並びにしてください。", "rules must be a list")
    entries = []
    where = str(path)
    for i, r in enumerate(rules):
        try:
            entries.append(build_entry(r, path, i, where))
        except RuleLoadError:
            raise
        except Exception as e:  # anything unforeseen: still the file and the rule, no traceback
            raise _error(
                path,
                _label(r, i),
                f"このルールを読み込めません（{type(e).__name__}: {e}）。",
                f"cannot load this rule ({type(e).__name__}: {e})",
            ) from e
    targets = _targets(raw.get("targets"), path)
    _check_targets(targets, path)
    return DictFile(
        path, _version(raw.get("version")), entries, targets, _imports(raw.get("imports"), path)
    )  # fmt: skip


def _check_targets(targets: list[list[Any]], path: Path) -> None:
    """Compile every pattern of `targets` once, to refuse a broken one when the file is
    read (a rule compiles them again on its first check: a cached file skips this)."""
    for file_src, file_flags, includes, excludes in targets:
        for source, ignorecase in [(file_src, "i" in file_flags), *includes, *excludes]:
            try:
                _compile(source, ignorecase)
            except JsRegexError as e:
                raise _error(
                    path,
                    "targets",
                    f"targets のパターンを正規表現として読めません（{e}）。",
                    f"invalid regular expression in targets: {e}",
                ) from None


def read_file(path: Path, cache: LoadCache) -> DictFile:
    """A dictionary file, from the cache when its bytes are unchanged (its `key` is the
    digest). A file read anew keeps its cache: its record is written by `store`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _error(
            path,
            None,
            f"prh 辞書を読めません（{e.strerror or e}）。",
            f"cannot read prh dictionary: {e}",
        ) from None
    key = cache.key("prh-dictionary", data)
    stored = cache.get(key)
    if isinstance(stored, dict):
        try:
            return DictFile(
                path,
                float(stored["version"]),
                [PrhEntry.from_json(e, str(path)) for e in stored["entries"]],
                stored["targets"],
                [_Import(**i) for i in stored["imports"]],
                key,
            )
        except (KeyError, TypeError, ValueError):
            pass  # an old or damaged record: read the file again
    parsed = parse_file(path, data)
    parsed.key = key
    parsed.cache = cache if cache.directory is not None else None
    return parsed


# --- a dictionary with its imports ---


@dataclass
class PrhDictionary:
    """A dictionary as prh's Engine holds it after its imports were merged."""

    entries: list[PrhEntry]
    targets: list[list[Any]]
    version: float
    files: list[DictFile] = field(default_factory=list)  # every file read

    @property
    def digests(self) -> list[str]:
        return [f.key for f in self.files]

    def complete(self) -> None:
        """Read every entry's prefilter clauses and write the records of the files read
        anew (on the first check: a start that found them in the cache does nothing)."""
        for f in self.files:
            if f.cache is not None:
                f.store()

    def compiled_targets(self) -> list[Target]:
        out = []
        for file_src, file_flags, includes, excludes in self.targets:
            out.append(
                Target(
                    _compile(file_src, "i" in file_flags),
                    tuple(_compile(s, ic) for s, ic in includes),
                    tuple(_compile(s, ic) for s, ic in excludes),
                )
            )
        return out

    def merge(self, other: PrhDictionary, path: Path) -> None:
        """prh's `Engine.merge`: a rule whose `expected` is already here is dropped."""
        if other.version != self.version:
            raise _error(
                path,
                "imports",
                "取り込む辞書と version が違います。",
                "version mismatch between a dictionary and its import",
            )
        files = {t[0] + "/" + t[1] for t in self.targets}
        self.targets += [t for t in other.targets if t[0] + "/" + t[1] not in files]
        known = {e.expected for e in self.entries}
        self.entries += [e for e in other.entries if e.expected not in known]
        self.files += other.files


def _compile(js_source: str, ignorecase: bool) -> re.Pattern[str]:
    return compile_python(translate(js_source), ignorecase)


def _ignored(entry: PrhEntry, ignore: list[dict[str, str]]) -> bool:
    """prh's `Rule._shouldIgnore`: by the regex as prh prints it, or by `expected`."""
    return any(
        ig.get("pattern") == entry.js or ig.get("expected") == entry.expected for ig in ignore
    )


def load_dictionary(
    path: Path, cache: LoadCache | None = None, *, _disable_imports: bool = False,
    _stack: tuple[str, ...] = (),
) -> PrhDictionary:  # fmt: skip
    """Read a prh dictionary and, as prh does, its imports (merged after its own rules)."""
    cache = cache if cache is not None else default_cache()
    file = read_file(path, cache)
    out = PrhDictionary(list(file.entries), list(file.targets), file.version, [file])
    if _disable_imports or not file.imports:
        return out
    stack = (*_stack, os.path.realpath(path))  # asked only of files that import
    for imp in file.imports:
        # node's path.join: an import path is always below the importing file's folder
        target = Path(os.path.normpath(os.path.dirname(path) + os.sep + imp.path))
        if os.path.realpath(target) in stack:
            raise _error(target, "imports", "imports が循環しています。", "imports form a cycle")
        sub = load_dictionary(target, cache, _disable_imports=imp.disable_imports, _stack=stack)
        if imp.ignore:
            sub.entries = [e for e in sub.entries if not _ignored(e, imp.ignore)]
        out.merge(sub, path)
    return out
