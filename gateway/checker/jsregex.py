"""JavaScript regular expressions (as prh compiles them: flags `gmu`, maybe `i`) in Python.

prh dictionaries are written for JavaScript, and the same pattern means something else
in Python: `\\b`, `\\w`, `\\d` are ASCII in JavaScript and Unicode in Python (so `\\bML\\b`
never fires next to Japanese text in JavaScript, and does in Python); `.`, `^` and `$`
know four line terminators, not one; `(?<name>…)` and `\\k<name>` are spelt differently;
and JavaScript allows lookbehinds of any width, which only the `regex` module can run.
`translate` rewrites a JavaScript source into a `regex` module source with the same
meaning, and refuses what a JavaScript engine in `u` mode refuses (`\\-` outside a class,
a lone `{`, `a**` …), so a dictionary that prh cannot load does not load here either.

Our own code, not a library: the one published JS-to-Python converter (js-regex) targets
`re`, knows no `u` mode and cannot express variable-width lookbehind.
"""

from __future__ import annotations

import re
from typing import Any

from gateway.checker.prefilter import Clauses, most_selective, ordered, spell_runs, uncased

# What JavaScript's shorthand classes mean, as Python class bodies.
_WORD = "A-Za-z0-9_"
_DIGIT = "0-9"
_SPACE = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"
_CLASSES = {"d": _DIGIT, "w": _WORD, "s": _SPACE}
_LINE_END = "\\n\\r\\u2028\\u2029"
_BOUNDARY, _NOT_BOUNDARY = "(?a:\\b)", "(?a:\\B)"  # ASCII word boundaries, as in JavaScript
# `.`, `^` and `$` know JavaScript's four line terminators, as one class. `re` compiles
# that class slowly (0.1-0.15 ms each time it occurs: more than two runs with a character
# past U+00FF make a 64K-character bitmap, built in Python), and its halves `[^\n\r]` and
# `[\u2028\u2029]` fast, but every form written with the halves (nested look-arounds, a
# branch) took twice as long to match on hostile text (200,000 characters without a
# match: `^#@` 2.3 -> 4.8 ms, `a.b` on "aaa…" 2.2 -> 4.6 ms), so the one class stays.
_DOT = f"[^{_LINE_END}]"
_LINE_START = f"(?<!{_DOT})"  # flag m: the start, or after a line terminator
_LINE_END_AHEAD = f"(?!{_DOT})"  # flag m: the end, or before a line terminator
# Marks a translation that only the regex module compiles (a lookbehind of variable
# width, which re refuses after parsing the whole pattern, on every load: re keeps no
# record of a refusal). `(?V0)` is the regex module's own flag, so the source compiles
# there as written; compile_python goes there at once.
REGEX_ONLY = "(?V0)"

_SYNTAX = set("^$\\.*+?()[]{}|/")
_MAX_CLASS = 64  # as the prefilter: a larger class is no useful clause
_SINGLE = {"t": "\t", "n": "\n", "v": "\x0b", "f": "\x0c", "r": "\r"}


_LITERAL_RUN = "[^" + re.escape("".join(sorted(_SYNTAX))) + "]*"


def _literal_run(text: str, pos: int) -> re.Match[str]:
    """The run of plain characters at `pos` (compiled on first use, not at import: a
    start whose dictionaries are all in the load cache reads no pattern)."""
    global _literal_run_match
    if _literal_run_match is None:
        _literal_run_match = re.compile(_LITERAL_RUN).match
    return _literal_run_match(text, pos)  # type: ignore[return-value]


_literal_run_match: Any = None
_ESCAPED_ASCII = frozenset(chr(c) for c in range(0x80) if not (chr(c).isalnum() or chr(c) == "_"))


def _as_written(run: str) -> bool:
    """Whether every character of `run` is its own Python regex literal (as _lit says)."""
    return run.isprintable() and _ESCAPED_ASCII.isdisjoint(run)


class JsRegexError(ValueError):
    """The source is not a valid JavaScript regular expression in `u` mode."""


def _lit(ch: str) -> str:
    """One character as a Python regex literal, outside or inside a class."""
    if (ch.isalnum() or ch == "_" or ord(ch) > 0x7F) and ch.isprintable():
        return ch
    if ch.isprintable() and ch != " ":
        return "\\" + ch
    code = ord(ch)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


class _Parser:
    """One reading of a JavaScript source (a plain class: one is made per pattern)."""

    __slots__ = ("around", "class_chars", "frames", "groups", "max_reference", "names", "out",
                 "pos", "references", "regex_only", "runs", "src")  # fmt: skip

    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.groups = 0
        # the pattern's shape, for `required_strings`: frames of (kind, alternatives),
        # each alternative a list of items ("c", chars | None) | ("z",) |
        # ("g", kind, alts) | ("q", least, item); a run of plain characters is one
        # ("c", {run}) item
        self.frames: list = [("root", [[]])]
        self.class_chars: frozenset[str] | None = None
        self.max_reference = 0
        self.references: set[str] = set()
        self.names: list[str] = []
        # each run of plain characters read: (start, end, its piece's index in `out`,
        # its items in the shape), and the pieces of the translation (for _ShapeMemo)
        self.runs: list[tuple[int, int, int, tuple]] = []
        self.out: list[str] = []
        # the open lookarounds, innermost last: True for a lookbehind
        self.around: list[bool] = []
        # whether re would refuse the translation (see REGEX_ONLY): a repetition of
        # varying count right inside a lookbehind
        self.regex_only = False

    def _add(self, item: tuple) -> None:
        self.frames[-1][1][-1].append(item)

    def error(self, what: str) -> JsRegexError:
        return JsRegexError(f"{what} at {self.pos} in /{self.src}/")

    def peek(self, k: int = 0) -> str:
        i = self.pos + k
        return self.src[i] if i < len(self.src) else ""

    # --- outside classes ---

    def translate(self) -> str:
        out: list[str] = []
        depth = 0
        # each open group: its opening piece's index in `out`, the capture groups opened
        # before it, the indices of its own `|` pieces
        opened: list[tuple[int, int, list[int]]] = []
        quantifiable = False  # whether the last piece may take a quantifier
        while self.pos < len(self.src):
            ch = self.src[self.pos]
            if ch in "*+?{":
                if ch == "{" and not self._quantifier_ahead():
                    raise self.error("lone '{'")
                if not quantifiable:
                    raise self.error("nothing to repeat")
                q = self._quantifier()
                seq = self.frames[-1][1][-1]
                if self.around and self.around[-1] and seq[-1][0] == "c" and _varies(q):
                    self.regex_only = True
                out.append(q)
                least = (
                    0
                    if q[0] in "*?"
                    else 1
                    if q[0] == "+"
                    else int(q[1:].split(",")[0].rstrip("}?"))
                )
                seq[-1] = ("q", least, seq[-1])
                quantifiable = False
                continue
            self.pos += 1
            if ch == "\\":
                piece, quantifiable = self._escape()
                out.append(piece)
            elif ch == "(":
                piece, quantifiable_after = self._group_open()
                if piece in _LOOKAROUNDS:
                    self.around.append(piece in ("(?<=", "(?<!"))
                opened.append((len(out), self.groups, []))
                out.append(piece)
                depth += 1
                out.append("\0" if quantifiable_after else "\1")  # marker, resolved at ')'
                kind = (
                    "la" if piece in ("(?=", "(?<=") else "neg" if piece in ("(?!", "(?<!") else "g"
                )
                self.frames.append((kind, [[]]))
                quantifiable = False
            elif ch == ")":
                if depth == 0:
                    raise self.error("unmatched ')'")
                depth -= 1
                # this group's marker (inner groups' markers are gone once they closed)
                # says whether the group may be repeated
                k = len(out) - 1
                while out[k] not in ("\0", "\1"):
                    k -= 1
                quantifiable = out[k] == "\0"
                out[k] = ""
                out.append(")")
                if out[opened[-1][0]] in _LOOKAROUNDS:
                    self.around.pop()
                _split_lookbehind(out, *opened.pop(), self.groups)
                kind, alts = self.frames.pop()
                self._add(("g", kind, alts))
            elif ch == "|":
                if opened:
                    opened[-1][2].append(len(out))
                out.append("|")
                self.frames[-1][1].append([])
                quantifiable = False
            elif ch == "[":
                out.append(self._class())
                self._add(("c", self.class_chars))
                quantifiable = True
            elif ch in "]}":
                raise self.error(f"lone '{ch}'")
            elif ch == ".":
                out.append(_DOT)
                self._add(("c", None))
                quantifiable = True
            elif ch == "^":
                out.append(_LINE_START)
                self._add(("z",))
                quantifiable = False
            elif ch == "$":
                out.append(_LINE_END_AHEAD)
                self._add(("z",))
                quantifiable = False
            else:
                # a run of plain characters at once (most of a prh pattern), as one item
                # that spells the run (its strings join as single characters' do); a
                # quantifier after the run takes its last character only, so that one
                # is an item of its own
                start = self.pos - 1
                end = _literal_run(self.src, self.pos).end()
                run = self.src[start:end]
                self.pos = end
                piece = len(out)
                out.append(run if _as_written(run) else "".join(map(_lit, run)))
                seq = self.frames[-1][1][-1]
                if len(run) > 1 and end < len(self.src) and self.src[end] in "*+?{":
                    items: tuple = (("c", frozenset((run[:-1],))), ("c", frozenset(run[-1])))
                else:
                    items = (("c", frozenset((run,))),)
                seq.extend(items)
                self.runs.append((start, end, piece, items))
                quantifiable = True
        if depth:
            raise self.error("unterminated group")
        if self.max_reference > self.groups:
            raise self.error("invalid escape (a reference to a group that does not exist)")
        if self.names or self.references:
            if not self.references <= set(self.names):
                raise self.error("invalid named capture referenced")
            if len(set(self.names)) != len(self.names):
                raise self.error("duplicate capture group name")
        self.out = out
        return "".join(out)

    def _quantifier_ahead(self) -> bool:
        i = self.pos + 1
        j = i
        while j < len(self.src) and self.src[j].isdigit():
            j += 1
        if j == i:
            return False
        if j < len(self.src) and self.src[j] == ",":
            j += 1
            while j < len(self.src) and self.src[j].isdigit():
                j += 1
        return j < len(self.src) and self.src[j] == "}"

    def _quantifier(self) -> str:
        ch = self.src[self.pos]
        if ch == "{":
            end = self.src.index("}", self.pos)
            body = self.src[self.pos + 1 : end]
            lo, _, hi = body.partition(",")
            if hi and int(hi) < int(lo):
                raise self.error("numbers out of order in {} quantifier")
            q = "{" + body + "}"
            self.pos = end + 1
        else:
            q = ch
            self.pos += 1
        if self.peek() == "?":
            q += "?"
            self.pos += 1
        if (self.peek() and self.peek() in "*+?") or (
            self.peek() == "{" and self._quantifier_ahead()
        ):
            raise self.error("nothing to repeat")
        return q

    def _group_open(self) -> tuple[str, bool]:
        """The Python opening of a group, and whether the group may be quantified."""
        if self.peek() != "?":
            self.groups += 1
            return "(", True
        nxt = self.peek(1)
        if nxt == ":":
            self.pos += 2
            return "(?:", True
        if nxt in "=!":
            self.pos += 2
            return "(?" + nxt, False  # u mode: a lookaround takes no quantifier
        if nxt == "<" and self.peek(2) in "=!":
            self.pos += 3
            return "(?<" + self.src[self.pos - 1], False
        if nxt == "<":
            end = self.src.find(">", self.pos)
            name = self.src[self.pos + 2 : end] if end > 0 else ""
            if not name.isidentifier():
                raise self.error("invalid capture group name")
            self.pos = end + 1
            self.groups += 1
            self.names.append(name)
            return f"(?P<{name}>", True
        raise self.error("invalid group")

    def _escape(self) -> tuple[str, bool]:
        """An escape outside a class (the backslash is consumed): Python text, quantifiable."""
        ch = self.peek()
        if not ch:
            raise self.error("\\ at end of pattern")
        self.pos += 1
        if ch == "d":
            self._add(("c", frozenset("0123456789")))
            return f"[{_DIGIT}]", True
        if ch in _CLASSES or ch.lower() in _CLASSES:
            self._add(("c", None))
            negate = "^" if ch.isupper() else ""
            return f"[{negate}{_CLASSES[ch.lower()]}]", True
        if ch in "bB":
            self._add(("z",))
            return (_BOUNDARY if ch == "b" else _NOT_BOUNDARY), False
        if ch.isdigit() and ch != "0":
            j = self.pos
            while j < len(self.src) and self.src[j].isdigit():
                j += 1
            number = int(self.src[self.pos - 1 : j])
            self.max_reference = max(self.max_reference, number)
            self.pos = j
            self._add(("c", None))
            return f"(?:\\{number})", True
        if ch == "k":
            if self.peek() != "<" or ">" not in self.src[self.pos :]:
                raise self.error("invalid named reference")
            end = self.src.index(">", self.pos)
            name = self.src[self.pos + 1 : end]
            self.references.add(name)
            self.pos = end + 1
            self._add(("c", None))
            return f"(?P={name})", True
        if ch in "pP":
            if self.peek() != "{" or "}" not in self.src[self.pos :]:
                raise self.error("invalid property name")
            end = self.src.index("}", self.pos)
            prop = self.src[self.pos : end + 1]
            self.pos = end + 1
            self._add(("c", None))
            return f"\\{ch}{prop}", True
        char = self._char_escape(ch, in_class=False)
        self._add(("c", frozenset(char)))
        return _lit(char), True

    def _char_escape(self, ch: str, in_class: bool) -> str:
        """The character an escape stands for (\\u, \\x, \\c, \\0, \\t …, identity)."""
        if ch in _SINGLE:
            return _SINGLE[ch]
        if ch == "0" and not self.peek().isdigit():
            return "\0"
        if ch == "x":
            hexa = self.src[self.pos : self.pos + 2]
            if len(hexa) != 2 or not _is_hex(hexa):
                raise self.error("invalid escape")
            self.pos += 2
            return chr(int(hexa, 16))
        if ch == "u":
            return self._unicode_escape()
        if ch == "c":
            letter = self.peek()
            if not (letter.isascii() and letter.isalpha()):
                raise self.error("invalid unicode escape")
            self.pos += 1
            return chr(ord(letter) % 32)
        if ch in _SYNTAX or (in_class and ch == "-"):
            return ch
        raise self.error("invalid escape")

    def _unicode_escape(self) -> str:
        if self.peek() == "{":
            end = self.src.find("}", self.pos)
            hexa = self.src[self.pos + 1 : end] if end > 0 else ""
            if not hexa or not _is_hex(hexa) or int(hexa, 16) > 0x10FFFF:
                raise self.error("invalid unicode escape")
            self.pos = end + 1
            return chr(int(hexa, 16))
        hexa = self.src[self.pos : self.pos + 4]
        if len(hexa) != 4 or not _is_hex(hexa):
            raise self.error("invalid unicode escape")
        self.pos += 4
        code = int(hexa, 16)
        low = self.src[self.pos : self.pos + 6]
        if 0xD800 <= code <= 0xDBFF and low[:2] == "\\u" and _is_hex(low[2:]) and len(low) == 6:
            low_code = int(low[2:], 16)
            if 0xDC00 <= low_code <= 0xDFFF:  # a surrogate pair is one character in u mode
                self.pos += 6
                return chr(0x10000 + ((code - 0xD800) << 10) + (low_code - 0xDC00))
        return chr(code)

    # --- classes ---

    def _class(self) -> str:
        """A [...] class (the '[' is consumed) as Python text."""
        negated = self.peek() == "^"
        if negated:
            self.pos += 1
        plain: list[str] = []  # Python class body pieces
        complements: list[str] = []  # bodies of \D \W \S: the class holds what is NOT in them
        members: set[str] = set()  # the characters, while they are few and known
        unknown = False
        while True:
            ch = self.peek()
            if not ch:
                raise self.error("unterminated character class")
            self.pos += 1
            if ch == "]":
                break
            kind, value = self._class_atom(ch)
            if kind == "set":
                if self.peek() == "-" and self.peek(1) not in ("]", ""):
                    raise self.error("invalid character class")
                (complements if value.startswith("^") else plain).append(value.lstrip("^"))
                if value == _DIGIT:
                    members.update("0123456789")
                else:
                    unknown = True
                continue
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.pos += 1
                kind2, value2 = self._class_atom(self._take())
                if kind2 == "set":
                    raise self.error("invalid character class")
                if ord(value2) < ord(value):
                    raise self.error("range out of order in character class")
                plain.append(f"{_lit(value)}-{_lit(value2)}")
                if ord(value2) - ord(value) < _MAX_CLASS:
                    members.update(map(chr, range(ord(value), ord(value2) + 1)))
                else:
                    unknown = True
            else:
                plain.append(_lit(value))
                members.add(value)
        body = "".join(plain)
        self.class_chars = None if negated or complements or unknown else frozenset(members)
        if not complements:
            if not body:
                return "[^\\s\\S]" if not negated else "[\\s\\S]"
            return f"[{'^' if negated else ''}{body}]"
        # \D, \W, \S inside a class: Python's ASCII sets cannot be nested, so spell the union
        if not negated:
            alts = ([f"[{body}]"] if body else []) + [f"[^{c}]" for c in complements]
            return "(?:" + "|".join(alts) + ")"
        # [^…\W…]: not in the plain part and inside every complemented set
        look = f"(?![{body}])" if body else ""
        inside = "".join(f"(?=[{c}])" for c in complements[1:])
        return f"(?:{look}{inside}[{complements[0]}])"

    def _take(self) -> str:
        ch = self.peek()
        if not ch:
            raise self.error("unterminated character class")
        self.pos += 1
        return ch

    def _class_atom(self, ch: str) -> tuple[str, str]:
        """('char', c) or ('set', body / '^' + body) for one class member."""
        if ch != "\\":
            return "char", ch
        esc = self._take()
        if esc in _CLASSES:
            return "set", _CLASSES[esc]
        if esc.lower() in _CLASSES:
            return "set", "^" + _CLASSES[esc.lower()]
        if esc == "b":
            return "char", "\b"
        if esc in "pP":
            if self.peek() != "{" or "}" not in self.src[self.pos :]:
                raise self.error("invalid property name")
            end = self.src.index("}", self.pos)
            prop = self.src[self.pos : end + 1]
            self.pos = end + 1
            if esc == "P":
                return "set", "^\\p" + prop
            return "set", "\\p" + prop
        if esc.isdigit() and esc != "0":
            raise self.error("invalid class escape")
        return "char", self._char_escape(esc, in_class=True)


def _split_lookbehind(out: list[str], start: int, groups_before: int, bars: list[int],
                      groups_now: int) -> None:  # fmt: skip
    """A lookbehind of several alternatives, written as one lookbehind per alternative
    (`(?<!a|bc)` as `(?<!a)(?<!bc)`, `(?<=a|bc)` as `(?:(?<=a)|(?<=bc))`): the same
    assertion, which `re` compiles when each alternative has a fixed width of its own,
    where it refuses one whose alternatives differ in width (the `regex` module, which
    took those, compiles a pattern several times slower, and `re` first had to refuse
    it). Not when the lookbehind captures: its groups keep their numbers and values."""
    if not bars or groups_now != groups_before or out[start] not in ("(?<!", "(?<="):
        return
    if out[start] == "(?<!":
        for i in bars:
            out[i] = ")(?<!"
    else:
        out[start] = "(?:(?<="
        for i in bars:
            out[i] = ")|(?<="
        out[-1] = "))"


_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")


def _varies(quantifier: str) -> bool:
    """Whether a quantifier (`*`, `+?`, `{2}`, `{1,3}` …) allows more than one count."""
    if quantifier[0] != "{":
        return True
    low, comma, high = quantifier[1 : quantifier.index("}")].partition(",")
    return bool(comma) and high != low


def _is_hex(s: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in s)


def translate(source: str) -> str:
    """A `regex` module source that matches what JavaScript's /source/mu matches.

    Raises JsRegexError for a source a JavaScript engine refuses in `u` mode.
    """
    return _Parser(source).translate()


def python_source(source: str) -> str:
    """`translate`, marked with REGEX_ONLY where re would refuse it (for compile_python)."""
    parser = _Parser(source)
    python = parser.translate()
    return REGEX_ONLY + python if parser.regex_only else python


def compile_python(source: str, ignorecase: bool = False) -> Any:
    """Compile a translated source: with `re` when it can (it compiles several times
    faster), else with the `regex` module (variable-width lookbehind, \\p{…}); a source
    marked REGEX_ONLY goes to the regex module at once."""
    if not source.startswith(REGEX_ONLY):
        try:
            return re.compile(source, re.IGNORECASE if ignorecase else 0)
        except re.error:
            pass
    import regex  # imported only when a dictionary needs it

    try:
        return regex.compile(source, regex.V0 | (regex.IGNORECASE if ignorecase else 0))
    except (regex.error, ValueError, OverflowError) as e:
        raise JsRegexError(str(e)) from None


# --- what a match cannot do without (the prefilter's clauses, from the JavaScript source) ---


def required_strings(source: str, ignorecase: bool) -> Clauses:
    """Clauses as prefilter.required_strings gives them, read from a JavaScript source
    directly: each clause is a set of strings one of which is in any text the pattern
    matches in. Parsing each prh pattern once more with re's parser cost more than
    everything else prh's loading does."""
    return translate_with_clauses(source, ignorecase)[1]


def translate_with_clauses(source: str, ignorecase: bool) -> tuple[str, Clauses]:
    """`translate` and `required_strings` from one reading of the source (see also
    jsshape.translate_with_shape, which reads recurring shapes once)."""
    if source and _SYNTAX.isdisjoint(source) and (not ignorecase or all(map(uncased, source))):
        # plain text, as most prh patterns are: what the parser gives, without parsing
        return "".join(map(_lit, source)), ((source,),)
    parser = _Parser(source)
    python = parser.translate()
    _root, alternatives = parser.frames[0]
    return python, ordered(_alternatives(alternatives, ignorecase))


def _alternatives(alternatives: list[list[tuple]], ignorecase: bool) -> list[frozenset[str]]:
    if len(alternatives) == 1:
        return _sequence(alternatives[0], ignorecase)
    union: set[str] = set()
    for alternative in alternatives:
        clauses = _sequence(alternative, ignorecase)
        if not clauses:
            return []
        union |= most_selective(clauses)
    return [frozenset(union)] if len(union) <= _MAX_CLASS else []


def _one_char(item: tuple, ignorecase: bool) -> frozenset[str] | None:
    if item[0] != "c" or item[1] is None or len(item[1]) > _MAX_CLASS:
        return None
    if ignorecase and not all(map(uncased, item[1])):
        return None
    return item[1]


def _sequence(items: list[tuple], ignorecase: bool) -> list[frozenset[str]]:
    """Adjacent single characters make one clause of strings (as the prefilter does)."""
    if ignorecase:  # a run's uncased characters still count where its letters do not
        items = [one for item in items for one in _characters(item)]
    return spell_runs(items, lambda it: _one_char(it, ignorecase), lambda it: _item(it, ignorecase))


def _characters(item: tuple) -> list[tuple]:
    """A run of plain characters (the parser's one item) for a case-insensitive pattern:
    its letters need no string (IGNORECASE matches either case), its other characters
    do. As one item per character would give: each stretch of uncased characters spells
    one string, each stretch of letters breaks the spelling as a letter does."""
    if item[0] != "c" or item[1] is None or len(item[1]) != 1:
        return [item]
    (run,) = item[1]
    if len(run) < 2:
        return [item]
    out: list[tuple] = []
    start = 0
    letters = not uncased(run[0])
    for i in range(1, len(run) + 1):
        if i < len(run) and (not uncased(run[i])) == letters:
            continue
        out.append(("z",) if letters else ("c", frozenset((run[start:i],))))
        start = i
        letters = not letters
    return out


def _item(item: tuple, ignorecase: bool) -> list[frozenset[str]]:
    if item[0] == "q":  # repeated: needed only when at least once
        return _sequence([item[2]], ignorecase) if item[1] >= 1 else []
    if item[0] == "g" and item[1] != "neg":  # a group or a positive lookaround
        return _alternatives(item[2], ignorecase)
    return []  # anchors, negative lookarounds, unknown or case-folded characters
