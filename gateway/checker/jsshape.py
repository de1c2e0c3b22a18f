"""prh patterns of recurring shapes, translated without parsing each (a memo of shapes).

A prh dictionary repeats a few shapes hundreds of times with other words in them:
`/アクセサ(?!([ーァ-ヴ]))/`, `/アクタ(?!([ーァ-ヴ]))/` … (312 rules of one shape), `/\\bML\\b/`,
`/\\bAPI\\b/` …, and `patterns: [結びつ, むすびつ]` (read as `(?:結びつ|むすびつ)`). jsregex's
parser reads each in Python, several microseconds a pattern, as long as the rest of
prh's loading of the rule. Two shortcuts give exactly what the parser gives:

- an alternation of plain runs `(?:a|b|…)` is built as the parser builds it;
- a source whose first run of plain characters (at the start, or after `\\b`, `(`, `(?:`
  or `^`) is followed by the same text as one parsed before is that parse with the run
  put in: the parser reads a run in one step, and nothing after it looks at what the run
  holds (only a quantifier right after the run does, which is not memoised).

Only the first source of each such shape is parsed; one the parser refuses is never
kept (the next of its shape is parsed, and refused, again).
tests/unit/test_prh_cold_path.py compares both with the parser on every pattern of the
peer dictionaries and on generated ones. Our own code, not a library: it only arranges
jsregex's own reading.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.checker.jsregex import (
    _SYNTAX,
    REGEX_ONLY,
    _alternatives,
    _as_written,
    _lit,
    _Parser,
)
from gateway.checker.prefilter import Clauses, ordered, uncased

_PLAIN = "[^" + re.escape("".join(sorted(_SYNTAX))) + "]"  # what the parser reads as a run
_MAX_SHAPES = 4096  # a dictionary of endless shapes is parsed, not remembered without end
# the parser's shape of a source: its top-level alternatives (see jsregex._Parser); a
# template and the run to put in it; or None for plain text
ShapeOrMemo = list | tuple[Any, str] | None


class _Slot:
    """Where the first run's item goes in a template's shape."""


_SLOT = _Slot()


class _Template:
    """What the parser made of the first source of a shape, its first run left open.
    Made ready on its first use (most shapes of a dictionary occur once)."""

    __slots__ = ("_alternatives", "_item", "_out", "_piece", "after", "before", "mark")

    def __init__(self, parser: _Parser) -> None:
        self._out = parser.out
        self._piece = parser.runs[0][2]
        self._item = parser.runs[0][3][0]
        self._alternatives = parser.frames[0][1]
        self.before: str | None = None  # the translation before the run's piece, and after
        self.mark = REGEX_ONLY if parser.regex_only else ""  # the rest of the shape decides

    @classmethod
    def read(cls, parser: _Parser, start: int, end: int) -> _Template | None:
        """The template of a parse whose first run is src[start:end] (None when the
        parser read it otherwise, or split it for a quantifier)."""
        if not parser.runs or parser.runs[0][:2] != (start, end) or len(parser.runs[0][3]) != 1:
            return None
        return cls(parser)

    def translation(self, run: str) -> str:
        if self.before is None:
            self.after = "".join(self._out[self._piece + 1 :])
            self.before = self.mark + "".join(self._out[: self._piece])
        return self.before + (run if _as_written(run) else "".join(map(_lit, run))) + self.after

    @property
    def alternatives(self) -> list:
        """The shape, with _SLOT for the run's item (the parse's own is left as it is)."""
        if self._item is not None:
            self._alternatives = _marked(self._alternatives, self._item)
            self._item = None
        return self._alternatives


def _marked(alternatives: list, item: tuple) -> list:
    return [[_marked_item(it, item) for it in seq] for seq in alternatives]


def _marked_item(it: tuple, item: tuple) -> Any:
    if it is item:
        return _SLOT
    if it[0] == "g":
        return ("g", it[1], _marked(it[2], item))
    if it[0] == "q":
        return ("q", it[1], _marked_item(it[2], item))
    return it


def _filled(alternatives: list, run: tuple) -> list:
    return [[_filled_item(it, run) for it in seq] for seq in alternatives]


def _filled_item(it: Any, run: tuple) -> tuple:
    if it is _SLOT:
        return run
    if it[0] == "g":
        return ("g", it[1], _filled(it[2], run))
    if it[0] == "q":
        return ("q", it[1], _filled_item(it[2], run))
    return it


_first_run: Any = None  # compiled on first use (a warm start reads no pattern)
_runs_alternation: Any = None
_SHAPES: dict[tuple[str, str], _Template] = {}


def forget_shapes() -> None:
    """Empty the memo (a benchmark's first load, as in a new process)."""
    _SHAPES.clear()


def _compile() -> None:
    global _first_run, _runs_alternation
    # the whole first run (possessive: never a shorter one), not before a quantifier
    _first_run = re.compile(rf"(\\b|\((?:\?:)?|\^)?({_PLAIN}++)(?![*+?{{])").match
    _runs_alternation = re.compile(rf"\(\?:({_PLAIN}+(?:\|{_PLAIN}+)*)\)").fullmatch


def translate_with_shape(source: str, ignorecase: bool) -> tuple[str, ShapeOrMemo]:
    """jsregex.python_source(source), and what `clauses_of_shape` reads the prefilter's
    clauses from when they are needed (the first check, not the load)."""
    if source and _SYNTAX.isdisjoint(source) and (not ignorecase or all(map(uncased, source))):
        # plain text, as most prh patterns are: what the parser gives, without parsing
        return (source if _as_written(source) else "".join(map(_lit, source))), None
    if _first_run is None:
        _compile()
    alternation = _runs_alternation(source)
    if alternation is not None:  # (?:a|b|…), as the parser reads it
        runs = alternation.group(1).split("|")
        python = "|".join(r if _as_written(r) else "".join(map(_lit, r)) for r in runs)
        return f"(?:{python})", [[("g", "g", [[("c", frozenset((r,)))] for r in runs])]]
    first = _first_run(source)
    if first is None:
        key = None
    else:
        key = (first.group(1) or "", source[first.end() :])
        template = _SHAPES.get(key)
        if template is not None:
            return template.translation(first.group(2)), (template, first.group(2))
    parser = _Parser(source)
    python = parser.translate()
    if parser.regex_only:
        python = REGEX_ONLY + python  # see jsregex.REGEX_ONLY
    if key is not None and len(_SHAPES) < _MAX_SHAPES:
        template = _Template.read(parser, first.start(2), first.end(2))
        if template is not None:
            _SHAPES[key] = template
    return python, parser.frames[0][1]


def clauses_of_shape(source: str, ignorecase: bool, shape: ShapeOrMemo) -> Clauses:
    """jsregex.required_strings(source, ignorecase), from what translate_with_shape gave."""
    if shape is None:
        return ((source,),)
    if isinstance(shape, tuple):
        template, run = shape
        shape = _filled(template.alternatives, ("c", frozenset((run,))))
    return ordered(_alternatives(shape, ignorecase))
