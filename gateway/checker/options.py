"""What several detectors share: reading a rule's option words, and comparing a host
with a list of domains (its own module so that the link detectors and the others can
both use it without importing each other)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from gateway.checker.loadmemo import compile_regex


def _alternation(words: Iterable[str], flags: int = 0) -> re.Pattern[str]:
    """One regex for a list of option words (compiled on first use once the load cache
    knows it compiles: most posts never need most of them)."""
    return compile_regex("|".join(words), flags)


def _words(opts: dict[str, Any], key: str, default: Iterable[str] = ()) -> tuple[str, ...]:
    """A rule option's word list; a lone word counts as a list of one."""
    value = opts.get(key, default)
    return (value,) if isinstance(value, str) else tuple(str(w) for w in value)


def _domain_in(domain: str, domains: tuple[str, ...]) -> bool:
    """Whether `domain` is one of `domains` or a subdomain of one (case and a trailing
    dot aside): one C call, with the domains dotted once per list."""
    return ("." + domain.lower().rstrip(".")).endswith(_dotted_domains(domains))


@lru_cache(maxsize=64)
def _dotted_domains(domains: tuple[str, ...]) -> tuple[str, ...]:
    return tuple("." + d for d in _bare_domains(domains))

@lru_cache(maxsize=64)
def _bare_domains(domains: tuple[str, ...]) -> tuple[str, ...]:
    """Domains as _domain_in compares them (lower case, no *. or trailing dot), once."""
    bare = (d.lower().lstrip("*.").rstrip(".") for d in domains)
    return tuple(d for d in bare if d)
