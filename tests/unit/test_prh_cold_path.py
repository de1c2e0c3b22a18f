"""The fast paths of a prh dictionary's first load give what the general ones give:
read_yaml's direct building is yaml.load's data, a plain-text pattern's translation
and prefilter clauses are the JavaScript-regex reader's own, so are those the memo of
pattern shapes (jsshape) gives, and a plain rule is the entry the full reading builds."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import jsregex, jsshape, prh_entry, prh_yaml

ROOT = Path(__file__).resolve().parents[2]
PEER = next(
    (p / "shared" / "peer" / "prh" for p in ROOT.parents if (p / "shared/peer/prh").is_dir()), None
)


def _slow(source: str, ignorecase: bool) -> tuple[str, tuple]:
    """translate_with_clauses without its plain-text path: always the parser."""
    parser = jsregex._Parser(source)
    python = parser.translate()
    return python, jsregex.ordered(jsregex._alternatives(parser.frames[0][1], ignorecase))


def _yaml_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8-sig") for p in sorted((ROOT / "rules").rglob("*.y*ml"))]
    if PEER is not None:
        texts += [p.read_text(encoding="utf-8-sig") for p in sorted(PEER.rglob("*.yml"))]
    return texts


TRICKY_YAML = [
    "",
    "# only a comment\n",
    "rules:\n  - expected: yes\n    pattern: on\n  - expected: True\n  - expected: 1.5\n",
    "base: &b {expected: ウェブ, patterns: [Web, web]}\nrules:\n  - <<: *b\n    prh: merged\n  - *b\n",
    "rules:\n  - &r [a, b]\n  - *r\n  - !!str 123\n  - !!int '7'\n  - 2026-11-27\n  - ~\n",
    "a: &x\n  b: *x\n",  # contains itself
    "? [a, b]\n: unhashable key\n",
    "rules: |\n  block\n  text\n",
    "'quoted: key': \"double\\tquoted\"\nplain: 0o17\nhex: 0x1F\nnull_: null\n",
    # what the event builder leaves to the node tree, and what it builds itself
    "a: 1\n---\nb: 2\n",  # two documents
    "a: &x 1\nb: &x 2\n",  # a repeated anchor
    "a: *nowhere\n",  # an undefined alias
    "=: value key\nb: =\n",
    "a: !!str 12\nb: !custom x\n",
    "a: &s text\nb: *s\nc: &n 12\nd: *n\n",
    "? {a: b}\n: unhashable mapping key\n",
    "empty:\nlist: []\nmap: {}\nnested: [[], [a, [b]], {k: [v]}]\n",
    "1: one\n2.5: two\n~: null key\ntrue: yes\nno: false\n",
    "a: 1:30\nb: 1_000\nc: .inf\nd: -.NaN\ne: 0b101\nf: +12\n",
    "a: 'multi\n  line'\nb: >\n  folded\n  text\nc: \"\"\nd: ''\n",
    "- a\n- b: c\n  d: e\n- - f\n",
    "a: b\na: c\n",  # a repeated key: the last value, at the first place
    "---\n",
    "--- !!map\na: b\n",
    "a: &m {x: 1}\nb: [*m, *m]\n",
    "rules: [\n",  # broken
    "a: b: c\n",
    "\ta: b\n",
]


@pytest.mark.parametrize("text", TRICKY_YAML)
def test_read_yaml_is_yaml_load_on_tricky_yaml(text: str) -> None:
    loader = prh_yaml._yaml12_loader()
    try:
        expected = yaml.load(text, Loader=loader)
    except yaml.YAMLError as e:
        with pytest.raises(type(e)):
            prh_yaml.read_yaml(text)
        return
    got = prh_yaml.read_yaml(text)
    assert repr(got) == repr(expected)  # repr: a structure that contains itself compares


def test_lists_and_mappings_nested_as_deep_as_libyaml_reads_them() -> None:
    """The event builder reads nested lists and mappings by recursion; nested deeper
    than Python's recursion lets it (libyaml reads 999 levels), PyYAML reads them."""
    for opening, closing, step in (("[", "]", 0), ("{a: ", "}", "a")):
        text = "a: " + opening * 999 + "x" + closing * 999 + "\n"
        node = prh_yaml.read_yaml(text)["a"]
        for _ in range(998):
            assert isinstance(node, list | dict) and len(node) == 1
            node = node[step]
        assert node == ["x"] or node == {"a": "x"}
    with pytest.raises(yaml.YAMLError):  # 1,000 levels: libyaml refuses, as yaml.load does
        prh_yaml.read_yaml("a: " + "[" * 1000 + "x" + "]" * 1000 + "\n")


def test_read_yaml_is_yaml_load_on_every_dictionary_and_rule_file() -> None:
    loader = prh_yaml._yaml12_loader()
    texts = _yaml_texts()
    assert len(texts) >= 10
    for text in texts:
        assert prh_yaml.read_yaml(text) == yaml.load(text, Loader=loader)


def test_a_shared_alias_stays_one_object() -> None:
    data = prh_yaml.read_yaml("a: &l [x]\nb: *l\n")
    assert data["a"] is data["b"]


def _dictionary_sources() -> list[tuple[str, bool]]:
    out = []
    for text in _yaml_texts():
        for raw in (prh_yaml.read_yaml(text) or {}).get("rules") or []:
            raw = {"expected": raw} if isinstance(raw, str) else raw
            if not isinstance(raw, dict) or not isinstance(raw.get("expected"), str):
                continue
            pattern = raw.get("pattern") if raw.get("pattern") else raw.get("patterns")
            try:
                out.append(prh_entry._js_pattern(pattern, raw["expected"], False))
            except Exception:
                continue
    return out


def test_plain_patterns_translate_as_the_parser_does() -> None:
    sources = _dictionary_sources()
    plain = [s for s in sources if jsregex._SYNTAX.isdisjoint(s[0])]
    assert len(plain) > 100
    for source, ignorecase in sources:
        assert jsregex.translate_with_clauses(source, ignorecase) == _slow(source, ignorecase)


@pytest.mark.parametrize("seed", range(3))
def test_plain_text_of_every_kind_translates_as_the_parser_does(seed: int) -> None:
    rnd = random.Random(seed)
    alphabet = (
        [chr(c) for c in range(0x20, 0x7F) if chr(c) not in jsregex._SYNTAX]
        + list("\t\n\r\u3000\u00a0\u2028\u200b\ufeffあア亜ａＡｱﾞー〜・、。①ⅰß\u0301")
        + ["😀", "\U00020bb7", "\u00e9", "İ", "ſ", "K"]
    )
    for _ in range(2000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 12)))
        for ignorecase in (False, True):
            assert jsregex.translate_with_clauses(text, ignorecase) == _slow(text, ignorecase)


def _display_loop(source: str) -> str:
    """prh_entry.js_display without its shortcut."""
    saved = prh_entry._DISPLAY_CHANGES
    prh_entry._DISPLAY_CHANGES = frozenset(source[:1]) if source else saved
    try:
        return prh_entry.js_display(source)
    finally:
        prh_entry._DISPLAY_CHANGES = saved


@pytest.mark.parametrize("seed", range(2))
def test_patterns_are_shown_as_the_full_reading_shows_them(seed: int) -> None:
    rnd = random.Random(10 + seed)
    sources = [s for s, _ in _dictionary_sources()]
    alphabet = list("ab/[]\\\n\r\u2028\u2029あ亜()|.* \t")
    sources += [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 10))) for _ in range(3000)
    ]
    shortcut = 0
    for source in sources:
        shortcut += prh_entry._DISPLAY_CHANGES.isdisjoint(source)
        assert prh_entry.js_display(source) == _display_loop(source)
    assert shortcut > 100


def _per_character(source: str, ignorecase: bool) -> tuple[str, list[frozenset[str]]]:
    """translate_with_clauses with every run of plain characters the parser reads at once
    taken apart into one item per character, as the parser once read them."""

    def apart(items: list[tuple]) -> list[tuple]:
        out: list[tuple] = []
        for item in items:
            if item[0] == "q":
                (inner,) = apart([item[2]])  # a quantifier takes one character
                out.append(("q", item[1], inner))
            elif item[0] == "g":
                out.append(("g", item[1], [apart(a) for a in item[2]]))
            elif item[0] == "c" and item[1] is not None and len(item[1]) == 1:
                (run,) = item[1]
                out.extend(("c", frozenset(ch)) for ch in run)
            else:
                out.append(item)
        return out

    parser = jsregex._Parser(source)
    python = parser.translate()
    alternatives = [apart(a) for a in parser.frames[0][1]]
    clauses = jsregex.ordered(jsregex._alternatives(alternatives, ignorecase))
    return python, [frozenset(c) for c in clauses]


def _runs_read_at_once(source: str, ignorecase: bool) -> tuple[str, list[frozenset[str]]]:
    python, clauses = jsregex.translate_with_clauses(source, ignorecase)
    return python, [frozenset(c) for c in clauses]


@pytest.mark.parametrize("seed", range(3))
def test_a_run_of_plain_characters_reads_as_its_characters(seed: int) -> None:
    """The parser takes a run of plain characters as one item: the translation and the
    prefilter's clauses are what one item per character gives, with a quantifier after
    the run (ab+, ab{2}), case-insensitive runs whose spaces and hyphens still count
    (/Adobe AIR/i), groups, alternatives and classes around them."""
    rnd = random.Random(20 + seed)
    alphabet = [
        *"abAB漢字かなカナ_- ,09ßΣ\t/",
        *("*", "+", "?", "{2}", "{1,3}", "(", ")", "(?:", "(?=", "(?!", "|", "[ab]", "[^x]"),
        *(".", "^", "$", "\\b", "\\d", "\\u3042", "\\x41", "\\-"),
    ]
    sources = [s for s, _ in _dictionary_sources()]
    sources += [
        "".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 14))) for _ in range(4000)
    ]
    compared = 0
    for source in sources:
        for ignorecase in (False, True):
            try:
                expected = _per_character(source, ignorecase)
            except jsregex.JsRegexError:
                with pytest.raises(jsregex.JsRegexError):
                    jsregex.translate_with_clauses(source, ignorecase)
                continue
            assert _runs_read_at_once(source, ignorecase) == expected, source
            compared += 1
    assert compared > 3000
    assert _runs_read_at_once("Adobe AIR", True)[1] == [frozenset({" "})]
    # the quantifier repeats b alone: a, b and c are each needed, "ab" is not
    assert set(_runs_read_at_once("ab+c", False)[1]) == {frozenset(x) for x in "abc"}


_SCALARS = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8),
    st.sampled_from(["on", "yes", "No", "~", "null", "1_000", "0x1F", "1:30", ".inf", "<<", "="]),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_SCALARS, inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(data=_DATA, flow=st.sampled_from([None, True, False]), alias=st.booleans())
def test_read_yaml_is_yaml_load_on_any_data(data, flow, alias) -> None:
    """Whatever PyYAML writes (nested lists and mappings of strings, numbers, booleans and
    nulls, in block or flow style, with a shared part written once and aliased) reads
    back through the events as yaml.load reads it."""
    doc = {"a": data, "b": data} if alias else data  # the dumper anchors a shared object
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    loader = prh_yaml._yaml12_loader()
    assert repr(prh_yaml.read_yaml(text)) == repr(yaml.load(text, Loader=loader))


def _parsed(source: str, ignorecase: bool) -> tuple[str, list[frozenset[str]]]:
    """The parser's translation, marked as python_source marks it, and its clauses."""
    python, clauses = _slow(source, ignorecase)
    marked = jsregex.python_source(source)
    assert marked in (python, jsregex.REGEX_ONLY + python)
    return marked, [frozenset(c) for c in clauses]


def _memoised(source: str, ignorecase: bool) -> tuple[str, list[frozenset[str]]]:
    python, shape = jsshape.translate_with_shape(source, ignorecase)
    return python, [frozenset(c) for c in jsshape.clauses_of_shape(source, ignorecase, shape)]


_SHAPE_PIECES = [
    *("アクセサ", "ML", "a", "ab", "Ab", "漢字", "つく", "1", " ", "ß", "-", ",", "\t"),
    *("(", ")", "(?:", "(?=", "(?!", "(?<=", "(?<!", "(?<n>", "\\k<n>", "|", "[ーァ-ヴ]"),
    *("[^め目]", "[\\d]", "[a-z]", "*", "+", "?", "??", "{2}", "{1,3}", "{", "}", "]", "/"),
    *(".", "^", "$", "\\b", "\\B", "\\d", "\\W", "\\.", "\\(", "\\u3042", "\\1", "\\-"),
]


@pytest.mark.parametrize("seed", range(3))
def test_the_memo_of_shapes_gives_what_the_parser_gives(seed: int) -> None:
    """Every pattern of the peer dictionaries and generated ones, in a shuffled order (a
    shape is kept from whichever source of it comes first), memo empty at the start:
    the same translation and clauses as the parser's, or the same refusal."""
    rnd = random.Random(40 + seed)
    sources = _dictionary_sources()
    for _ in range(6000):
        parts = [rnd.choice(_SHAPE_PIECES) for _ in range(rnd.randrange(1, 7))]
        sources.append(("".join(parts), rnd.random() < 0.3))
    rnd.shuffle(sources)
    jsshape.forget_shapes()
    remembered = 0
    for source, ignorecase in sources:
        remembered += bool(jsshape._SHAPES)
        try:
            expected = _parsed(source, ignorecase)
        except jsregex.JsRegexError:
            with pytest.raises(jsregex.JsRegexError):
                jsshape.translate_with_shape(source, ignorecase)
            continue
        assert _memoised(source, ignorecase) == expected, source
    assert remembered > 1000
    # one shape, its first run put in: the parse of the first, the run of the second
    jsshape.forget_shapes()
    jsshape.translate_with_shape("アクタ(?!([ーァ-ヴ]))", False)
    python, shape = jsshape.translate_with_shape("アクセサ(?!([ーァ-ヴ]))", False)
    assert isinstance(shape, tuple)  # from the memo
    assert (python, shape[1]) == (jsregex.translate("アクセサ(?!([ーァ-ヴ]))"), "アクセサ")


def test_a_plain_rule_is_the_entry_the_full_reading_builds() -> None:
    """_plain_entry (expected, a literal pattern or a list of them, a note) gives every
    field build_entry gives without it, and the same prefilter clauses; any other rule
    is left to build_entry."""
    rules: list = []
    for text in _yaml_texts():
        rules += (prh_yaml.read_yaml(text) or {}).get("rules") or []
    rules += [
        {"expected": "x", "pattern": "a-b"}, {"expected": "x", "pattern": "a b"},
        {"expected": "x", "pattern": "a/b"}, {"expected": "x", "pattern": "a\\b"},
        {"expected": "x", "pattern": "a\tb"}, {"expected": "x", "patterns": ["a", "b.c"]},
        {"expected": "x", "patterns": []}, {"expected": "x", "pattern": "a", "patterns": "b"},
        {"expected": "x", "pattern": None, "patterns": ["あ", "い"], "prh": 12},
        {"expected": 1, "pattern": "a"}, {"expected": "x", "pattern": "¥"},
        {"expected": "x", "pattern": "/a(b)/i"}, {"expected": "x", "pattern": "/a/g"},
        {"expected": "x", "pattern": "/a/ii"}, {"expected": "x", "pattern": "//"},
        {"expected": "x", "pattern": "/a/b/", "prh": " note "}, {"expected": "x", "pattern": "/"},
        {"expected": "x", "pattern": "/\\bML\\b/"}, {"expected": "x", "pattern": "/x\n/"},
    ]  # fmt: skip
    # a regex that does not read is left to build_entry, which names the error
    assert prh_entry._plain_entry({"expected": "x", "pattern": "/a(/"}, "d.yml") is None
    path = Path("dictionary.yml")
    plain = 0
    for i, raw in enumerate(rules):
        shortcut = prh_entry._plain_entry(raw, str(path))
        if shortcut is None:
            continue
        plain += 1
        saved = prh_entry._plain_entry
        prh_entry._plain_entry = lambda raw, where: None
        try:
            full = prh_entry.build_entry(raw, path, i)
        finally:
            prh_entry._plain_entry = saved
        assert shortcut.to_json() == full.to_json(), raw
        assert (shortcut.where, shortcut.regex.pattern) == (full.where, full.regex.pattern)
    assert plain > 1000


def test_spec_results_are_what_applying_the_diffs_gives() -> None:
    """prh_match.spec_result (tuples for Diffs, as a load runs hundreds of specs) is
    apply(text, prepare(rule_diffs(…))) on every spec of the peer dictionaries, on texts
    made of pieces of their spec texts, and on rules with groups, `$n` that name no
    group, regexpMustEmpty, empty matches and matches equal to `expected`."""
    from gateway.checker.prh_match import apply, prepare, rule_diffs, spec_result

    path = Path("dictionary.yml")
    cases: list[tuple[prh_entry.PrhEntry, str]] = []
    for text in _yaml_texts():
        for i, raw in enumerate((prh_yaml.read_yaml(text) or {}).get("rules") or []):
            try:
                entry = prh_entry.build_entry(raw, path, i)
            except Exception:
                continue
            cases += [(entry, src) for src, _ in entry.specs]
    rnd = random.Random(7)
    texts = [t for _, t in cases]
    for entry, _ in list(cases):
        cases.append((entry, "".join(rnd.choice(texts) for _ in range(3))))
    for expected, pattern, must in [
        ("$1", "/(abc|b|bcd|cdef)/", None), ("x$1y$3", "/(a+|aa|[ab]{2,3})/", None),
        ("", "/b*/", None), ("$2", "/(a)|(b)/", None), ("ab", "/a(b)?/", "$1"),
        ("$0$10", "/(c)d/", None),
    ]:  # fmt: skip
        raw = {"expected": expected, "pattern": pattern, "regexpMustEmpty": must}
        entry = prh_entry.build_entry(raw, path, 0)
        cases += [(entry, "".join(rnd.choice("abcdef") for _ in range(12))) for _ in range(300)]
    assert len(cases) > 1000
    for entry, text in cases:
        assert spec_result(entry, text) == apply(text, prepare(rule_diffs(entry, text)))
