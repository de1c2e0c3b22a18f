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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.checker.cache import LoadCache, default_cache
from gateway.checker.engine import RuleLoadError
from gateway.checker.jsregex import JsRegexError, compile_python, python_source
from gateway.checker.prh_match import Target
from gateway.checker.prh_yaml import read_yaml

if TYPE_CHECKING:
    pass
from gateway.checker.prh_entry import (
    PrhEntry,
    _error,
    _label,
    _truthy,
    build_entry,
    escape_special,
    parse_regexp_string,
)

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
    # its targets as compiled when the file was read (to refuse a broken one), kept for
    # the first check; a file from the cache has none (they are compiled on that check)
    compiled: list[Target] = field(default_factory=list)

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
    return DictFile(
        path, _version(raw.get("version")), entries, targets, _imports(raw.get("imports"), path),
        compiled=_checked_targets(targets, path),
    )  # fmt: skip


def _checked_targets(targets: list[list[Any]], path: Path) -> list[Target]:
    """Every pattern of `targets` compiled, to refuse a broken one when the file is read;
    the first check uses them as they are (a file from the cache compiles them there)."""
    try:
        return [_target(t) for t in targets]
    except JsRegexError as e:
        raise _error(
            path,
            "targets",
            f"targets のパターンを正規表現として読めません（{e}）。",
            f"invalid regular expression in targets: {e}",
        ) from None


def _target(target: list[Any]) -> Target:
    file_src, file_flags, includes, excludes = target
    return Target(
        _compile(file_src, "i" in file_flags),
        tuple(_compile(s, ic) for s, ic in includes),
        tuple(_compile(s, ic) for s, ic in excludes),
    )


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, read with the os calls themselves: `open`'s buffered file
    object cost a small dictionary's first load more than its YAML's first lines."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


class UnreadableDictionary(RuleLoadError):
    """A dictionary file that cannot be read; `missing`: there is none (or a folder)."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(
            path, None, f"prh 辞書を読めません（{error.strerror or error}）。",
            f"cannot read prh dictionary: {error}",
        )  # fmt: skip
        self.missing = isinstance(error, FileNotFoundError | IsADirectoryError)


def read_file(path: Path, cache: LoadCache) -> DictFile:
    """A dictionary file, from the cache when its bytes are unchanged (its `key` is the
    digest). A file read anew keeps its cache: its record is written by `store`."""
    try:
        data = _read_bytes(path)
    except OSError as e:
        raise UnreadableDictionary(path, e) from None
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
        """The targets compiled: those of files read anew as reading compiled them (the
        same list objects: merging keeps them), the others now."""
        read = {id(t): c for f in self.files for t, c in zip(f.targets, f.compiled, strict=False)}
        return [read.get(id(t)) or _target(t) for t in self.targets]

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
    return compile_python(python_source(js_source), ignorecase)


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
