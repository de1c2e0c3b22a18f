"""Answers that loading the rules asks again on every start, kept between starts.

Building the rules tokenizes every lexicon word and context word with Sudachi and
parses every regex once more for its prefilter strings: the same questions with the
same answers each time `gateway check` starts. The answers are kept in the load cache
(keyed by the code's identity, which includes the Sudachi dictionary), as small records
rewritten only when a rule file changed what is asked. Without a cache, everything is
computed.

The rule files' regexes are compiled when a draft first needs them (most drafts never
reach most of them: the prefilter skips them), once the cache knows they compile; a
regex not yet known is compiled while loading, so a broken one is still refused there.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.checker.cache import LoadCache, default_cache
from gateway.checker.lazyre import deferred
from gateway.checker.tokenizer import Token
from gateway.checker.tokenizer import tokenize as _tokenize


class _Memo:
    def __init__(self, name: str) -> None:
        self.name = name
        self._cache: LoadCache | None = None
        self._key = ""
        self._stored: dict[str, Any] | None = None
        self._used: dict[str, Any] = {}

    def _load(self) -> dict[str, Any]:
        if self._stored is None:
            self._cache = default_cache()
            self._key = self._cache.key("memo", self.name)
            stored = self._cache.get(self._key)
            self._stored = stored if isinstance(stored, dict) else {}
        return self._stored

    def get(self, key: str) -> Any:
        value = self._load().get(key)
        if value is not None:
            self._used[key] = value
        return value

    def set(self, key: str, value: Any) -> None:
        self._load()
        self._used[key] = value

    def save(self) -> None:
        """Store what this load used (so the record never grows with old rules)."""
        if self._cache is not None and self._used and self._used != self._stored:
            self._cache.put(self._key, self._used)
        self._used = {}
        self._stored = None  # the next load reads the cache where it then is


_WORDS = _Memo("word-tokens")
_CLAUSES = _Memo("prefilter-clauses")
_COMPILES = _Memo("regexes-that-compile")


_LOADED: dict[str, list[Token]] = {}  # this load's tokens by word (many words recur)


def word_tokens(word: str) -> list[Token]:
    """tokenize(word), for the words of rule files (the list is shared: do not change it)."""
    tokens = _LOADED.get(word)
    if tokens is not None:
        return tokens
    stored = _WORDS.get(word)
    if isinstance(stored, list):
        try:
            tokens = [Token(s, n, d, tuple(p), b, e) for s, n, d, p, b, e in stored]
        except (TypeError, ValueError):
            tokens = None
    if tokens is None:
        tokens = _tokenize(word)
        _WORDS.set(word, [[t[0], t[1], t[2], list(t[3]), t[4], t[5]] for t in tokens])  # JSON
    _LOADED[word] = tokens
    return tokens


def clauses(pattern: str, flags: int, compute: Any) -> Any:
    """compute(pattern, flags), remembered: the prefilter clauses of a rule's regex."""
    key = f"{flags}:{pattern}"
    stored = _CLAUSES.get(key)
    if isinstance(stored, list):
        return tuple(tuple(c) for c in stored)
    found = compute(pattern, flags)
    _CLAUSES.set(key, [list(c) for c in found])
    return found


def compile_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """re.compile(pattern, flags) for a rule file's regex, deferred to its first use when
    the cache knows that it compiles (raises re.error as re.compile does)."""
    key = f"{flags}:{pattern}"
    known = _COMPILES.get(key)
    if isinstance(known, int) and not isinstance(known, bool):
        return deferred(pattern, flags, known)
    compiled = re.compile(pattern, flags)
    _COMPILES.set(key, compiled.flags)
    return compiled


def save() -> None:
    _LOADED.clear()  # the next load marks what it uses (_Memo.save keeps only that)
    _WORDS.save()
    _CLAUSES.save()
    _COMPILES.save()
