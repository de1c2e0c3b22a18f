"""jsregex.REGEX_ONLY: a translation that `re` refuses (a lookbehind of variable width)
is marked so that compile_python sends it to the regex module without first letting `re`
parse the whole pattern and refuse it, on every load (`re` keeps no record of a refusal).
The mark must never move a pattern that `re` takes, and the marked source must find
what the unmarked one found."""

from __future__ import annotations

import random
import re

import pytest

from gateway.checker import jsregex, jsshape

_PIECES = [
    *(".", "^", "$", "a", "b", "あ", "😀", "\\n", "\\u2028", "\\d", "[^a]", "[ab]"),
    *("(?<=", "(?<!", "(?=", "(?!", "(?:", "(", ")", ")", "|", "*", "+", "?", "{2}", "{1,2}"),
    *("(?<=a?.)", "(?<!.+)", "(?<=^b*)", "(?<!a.{1,2})", "(?<=(?!.)a)", "(?<!a(?=.*))"),
    *("(?<=a{2})", "(?<!(?:ab|c))", "(?<=(a)?)", "*?", "{0,1}", "{3,3}"),
]
_TEXT = [*"ab\n\r\u2028\u2029\x85 あ", "😀", "\U00020bb7"]


def _found(pattern, text: str) -> list[tuple]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text)]


@pytest.mark.parametrize("seed", range(3))
def test_the_mark_sends_only_what_re_refuses_and_finds_the_same(seed: int) -> None:
    rnd = random.Random(700 + seed)
    jsshape.forget_shapes()
    compared = marked = 0
    for _ in range(4000):
        source = "".join(rnd.choice(_PIECES) for _ in range(rnd.randrange(1, 7)))
        try:
            plain = jsregex.translate(source)
        except jsregex.JsRegexError:
            continue
        python = jsregex.python_source(source)
        # the memo of shapes marks as the parser does
        assert jsshape.translate_with_shape(source, False)[0] == python, source
        if python.startswith(jsregex.REGEX_ONLY):
            marked += 1
            assert python == jsregex.REGEX_ONLY + plain
            with pytest.raises(re.error):
                re.compile(plain)
        else:
            assert python == plain
        try:
            before = jsregex.compile_python(plain)
        except jsregex.JsRegexError:
            continue  # neither engine takes it
        after = jsregex.compile_python(python)
        assert isinstance(after, re.Pattern) == isinstance(before, re.Pattern), source
        for _ in range(8):
            text = "".join(rnd.choice(_TEXT) for _ in range(rnd.randrange(0, 12)))
            assert _found(after, text) == _found(before, text), (source, text)
        compared += 1
    assert compared > 1000, compared
    assert marked > 50, marked


def test_smarthrs_variable_lookbehinds_go_to_the_regex_module_at_once() -> None:
    """`SmartHR ?` and `[^？！]+` in a lookbehind (SmartHR's dictionary) are marked; a
    fixed count, or a repetition inside a look-ahead inside the lookbehind, or after
    it, is re's to compile, unmarked (and a group of alternatives of different widths
    is not marked: re is asked first, as before)."""
    for source in (r"(?<!SmartHR ?)マスタ", r"(?<!^[#Q][^？！]+)([？！])", r"(?<=a{1,2})b"):
        marked = jsregex.python_source(source)
        assert marked.startswith(jsregex.REGEX_ONLY)
        assert not isinstance(jsregex.compile_python(marked), re.Pattern)
    for source in (r"(?<=a{2})b", r"(?<=a(?=b+))b", r"(?<!x)y+", r"(?<=(?:ab|cd))e"):
        python = jsregex.python_source(source)
        assert not python.startswith(jsregex.REGEX_ONLY), source
        assert isinstance(jsregex.compile_python(python), re.Pattern), source
