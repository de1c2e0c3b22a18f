"""Regexes compiled on first use.

`re` compiles in Python, and a start of `gateway check` that compiled every regex the
checker has would spend more on it than on checking the post: most posts reach few of
the rules' and detectors' regexes (the prefilter skips the rest). A LazyPattern is a
re.Pattern to its users (its methods and attributes are the compiled pattern's).
"""

from __future__ import annotations

import re
from typing import Any

# the compiled pattern's methods, kept on the LazyPattern once it is compiled: a slot
# that is set is found at once, where each use through __getattr__ first failed the
# normal lookup (an AttributeError raised and caught: about 1 µs a call, the cost of a
# whole search of a post)
_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split")


class LazyPattern:
    """re.compile(pattern, flags), done on first use."""

    __slots__ = ("_compiled", "_flags", "_given", "pattern", *_METHODS)

    def __init__(self, pattern: str, given: int = 0, flags: int | None = None) -> None:
        self.pattern = pattern
        self._given = given
        self._flags = flags  # the compiled pattern's (inline flags such as (?i)), if known
        self._compiled: re.Pattern[str] | None = None

    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = re.compile(self.pattern, self._given)
            for name in _METHODS:  # the same bound methods whichever thread sets them
                setattr(self, name, getattr(compiled, name))
            self._compiled = compiled
        return compiled

    @property
    def flags(self) -> int:
        return self._flags if self._flags is not None else self.compiled().flags

    def __getattr__(self, name: str) -> Any:  # before compiling: search, finditer ...;
        return getattr(self.compiled(), name)  # always: groupindex, groups ...

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self._given})"


def deferred(pattern: str, flags: int = 0, compiled_flags: int | None = None) -> re.Pattern[str]:
    """A regex compiled when first used (for patterns known to compile: a module's own,
    or a rule file's the load cache has seen compile)."""
    return LazyPattern(pattern, flags, compiled_flags)  # type: ignore[return-value]  (duck-typed)
