"""prh dictionaries as prh reads them, shown without Node (test_prh_parity compares with
npm prh itself where Node is installed). Each test is one class of difference that made
the gateway disagree with prh: JavaScript regex meaning, literal patterns, paragraphs,
pragmas, imports, alternation order, targets, YAML 1.2, and loading errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import Checker, RuleLoadError
from gateway.checker.jsregex import JsRegexError, compile_python, translate
from gateway.checker.prh import DEFAULT_MESSAGE


def js(pattern: str, text: str, ignorecase: bool = False) -> list[str]:
    """What /pattern/gmu finds in text, through the translation."""
    return [m.group() for m in compile_python(translate(pattern), ignorecase).finditer(text)]


# --- JavaScript regexes in Python ---


def test_word_boundary_and_word_class_are_ascii_as_in_javascript() -> None:
    assert js(r"\bML\b", "MLなどで連絡") == ["ML"]  # Python's \b would see no boundary
    assert js(r"\bML\b", "HTMLで") == []
    assert js(r"\w+", "abc漢字_9") == ["abc", "_9"]
    assert js(r"\d+", "１２3") == ["3"]  # full-width digits are not \d in JavaScript
    assert js(r"[\w-]+", "e-mail送信") == ["e-mail"]
    assert js(r"[^\W]+", "ab漢") == ["ab"]
    assert js(r"\W", "a漢") == ["漢"]
    assert js(r"\s", "a\u3000b") == ["\u3000"]


def test_dot_and_anchors_know_every_javascript_line_terminator() -> None:
    assert js(r".+", "ab\rcd") == ["ab", "cd"]
    assert js(r"^x", "x\u2028x\nx") == ["x", "x", "x"]  # flag m, as prh always sets
    assert js(r"x$", "x\rx") == ["x", "x"]


def test_javascript_only_syntax_is_spelt_for_python() -> None:
    assert js(r"(?<y>\d{4})年\k<y>", "2024年2024") == ["2024年2024"]
    assert js(r"\u{1F600}|\uD83D\uDE01", "😀😁") == ["😀", "😁"]
    assert js(r"(?<=[ぁ-ん]{1,3})事", "その事") == ["事"]  # variable-width lookbehind
    assert js(r"[^]", "\n") == ["\n"]
    assert js(r"a[]", "a") == []


def test_a_lookbehind_of_alternatives_of_different_widths_is_compiled_by_re() -> None:
    """`re` refuses `(?<!受け|紐)`, alternatives of two widths (as SmartHR's dictionary
    writes them); written as one lookbehind per alternative it takes them, and they
    find what JavaScript finds."""
    text = "受け付け紐付け貼付け"
    for source, found in (
        (r"(?<!受け|紐)付け", ["付け"]),
        (r"(?<=受け|紐)付け", ["付け", "付け"]),
        (r"(?<!け|b(?:c|d)|e)付", ["付", "付"]),
    ):
        compiled = compile_python(translate(source))
        assert isinstance(compiled, re.Pattern), source
        assert [m.group() for m in compiled.finditer(text)] == found
    # a lookbehind that captures keeps its groups as written (the regex module runs it)
    assert js(r"(?<=(a)|bc)x", "axbcxcx") == ["x", "x"]


@settings(max_examples=400, deadline=None)
@given(
    alternatives=st.lists(st.text(alphabet="abc", min_size=1, max_size=3), min_size=2, max_size=4),
    negative=st.booleans(),
    text=st.text(alphabet="abcx", max_size=24),
)
def test_split_lookbehind_finds_what_the_one_lookbehind_finds(
    alternatives: list[str], negative: bool, text: str
) -> None:
    """One lookbehind per alternative finds, on any text, what the lookbehind of all of
    them finds (run by the regex module, which takes it as written)."""
    import regex

    from gateway.checker import jsregex

    source = f"(?<{'!' if negative else '='}{'|'.join(alternatives)})x"
    split = compile_python(translate(source))
    as_written = jsregex._Parser(source)
    saved = jsregex._split_lookbehind
    jsregex._split_lookbehind = lambda *_: None
    try:
        whole = regex.compile(as_written.translate(), regex.V0)
    finally:
        jsregex._split_lookbehind = saved
    assert [m.span() for m in split.finditer(text)] == [m.span() for m in whole.finditer(text)]


@pytest.mark.parametrize(
    "bad",
    [
        r"e\-mail",
        "a{",
        "a**",
        r"a{2}*",
        "(?i)a",
        "(a",
        "a)",
        "]",
        r"\k",
        "[b-a]",
        "(?=a)*",
        r"(a)\2",
        r"\k<x>(?<y>a)",
        "(?<a>x)(?<a>y)",
    ],
)
def test_what_javascript_refuses_in_u_mode_is_refused(bad: str) -> None:
    with pytest.raises(JsRegexError):
        compile_python(translate(bad))


# --- dictionaries through a rule file that only names them ---


def checker_for(tmp_path: Path, dictionary: str, **extra: str) -> Checker:
    (tmp_path / "dict").mkdir(exist_ok=True)
    (tmp_path / "dict" / "d.yml").write_text(dictionary, encoding="utf-8")
    lines = ["rules:", "  - kind: prh", "    dictionary: dict/d.yml"]
    lines += [f"    {k}: {v}" for k, v in extra.items()]
    (tmp_path / "rules.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Checker.load(tmp_path)


def found(checker: Checker, text: str) -> list[tuple[str, str]]:
    """(matched text, message) of each finding, in order."""
    return [(f.excerpt, f.message) for f in checker.check(text)]


def said(excerpt: str, expected: str, note: str = "") -> tuple[str, str]:
    return excerpt, DEFAULT_MESSAGE.format(excerpt=excerpt, expected=expected, note=note)


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)


def test_a_dictionary_without_specs_loads_from_a_rule_file_naming_it(tmp_path: Path) -> None:
    checker = checker_for(tmp_path, "rules:\n  - expected: ください\n    pattern: 下さい\n")
    (rule,) = checker.rules
    assert rule.id == "prh-dict-d" and rule.severity == "info" and rule.clause is None
    assert found(checker, "ご覧下さい。") == [said("下さい", "ください")]


def _id_by_pathlib(dictionary: str) -> str:
    """The default id as it was first written (pathlib's parts, without the suffix)."""
    parts = [p for p in Path(dictionary).with_suffix("").parts if p not in ("..", ".", "/")]
    slug = re.sub(r"[^a-z0-9]+", "-", "-".join(parts).lower()).strip("-")
    return f"prh-{slug}" if slug else "prh"


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet="aZ9/._-漢 K\u0130", min_size=1, max_size=16))
def test_the_default_id_is_the_dictionary_path_in_kebab_case(dictionary: str) -> None:
    """A rule that names a dictionary and no id gets `prh-` and the dictionary's path
    without its suffix, in lower-case letters, digits and hyphens (as pathlib read it)."""
    from gateway.checker.prh import with_defaults

    try:
        expected = _id_by_pathlib(dictionary)
    except ValueError:  # pathlib: an empty name has no suffix to take off
        expected = "prh-" + re.sub(r"[^a-z0-9]+", "-", dictionary.lower()).strip("-")
        expected = expected.rstrip("-")
    if not dictionary.strip():
        return  # refused: a prh rule needs a dictionary
    assert with_defaults({"dictionary": dictionary}, Path("r.yaml"))["id"] == expected
    assert with_defaults({"dictionary": "../prh/WEB+DB_PRESS.yml"}, Path("r"))["id"] == (
        "prh-prh-web-db-press"
    )


def test_specs_are_the_examples_and_a_failing_one_names_file_and_rule(tmp_path: Path) -> None:
    broken = "rules:\n  - expected: ください\n    pattern: 下さい\n    specs:\n      - from: お待ち下さい\n        to: お待ち下さい\n"
    with pytest.raises(RuleLoadError) as err:
        checker_for(tmp_path, broken)
    message = str(err.value)
    assert "d.yml" in message and "expected: ください" in message
    assert "specs が合いません" in message and "spec failed" in message  # Japanese and English


def test_literal_patterns_are_case_and_width_sensitive_expected_alone_is_not(
    tmp_path: Path,
) -> None:
    checker = checker_for(
        tmp_path,
        "rules:\n  - expected: GitHub\n    pattern: Github\n  - expected: JavaScript\n",
    )
    assert found(checker, "https://github.com/town を見て") == []
    assert found(checker, "Github と ＧＩＴＨＵＢ") == [said("Github", "GitHub")]
    # without a pattern, prh spreads expected over cases and widths
    assert found(checker, "javascript と ＪＡＶＡＳＣＲＩＰＴ") == [
        said("javascript", "JavaScript"),
        said("ＪＡＶＡＳＣＲＩＰＴ", "JavaScript"),
    ]


def test_a_rules_patterns_are_one_alternation_first_alternative_wins(tmp_path: Path) -> None:
    checker = checker_for(
        tmp_path, "rules:\n  - expected: ウェブ\n    patterns: [ウェ, ウェブサイト]\n"
    )
    assert found(checker, "ウェブサイト") == [said("ウェ", "ウェブ")]


def test_matching_stays_inside_a_paragraph(tmp_path: Path) -> None:
    checker = checker_for(tmp_path, "rules:\n  - expected: X\n    pattern: /開始[^]*終了/\n")
    assert found(checker, "開始\n本文\n終了") == [said("開始\n本文\n終了", "X")]
    assert found(checker, "開始\n\n本文\n\n終了") == []


def test_prh_disable_pragmas_are_honoured_per_paragraph(tmp_path: Path) -> None:
    checker = checker_for(tmp_path, "rules:\n  - expected: ください\n    pattern: 下さい\n")
    text = "ご覧下さい。\nprh:disable\n\nお待ち下さい。<!-- prh:disable:下さ -->\n\nお越し下さい。"
    assert found(checker, text) == [said("下さい", "ください")]
    assert checker.check(text)[0].line == 6


def test_regexp_must_empty_and_dollar_groups(tmp_path: Path) -> None:
    checker = checker_for(
        tmp_path,
        "rules:\n  - expected: こと\n    pattern: /(大|記)?事/\n    regexpMustEmpty: $1\n"
        "  - expected: ($1)\n    pattern: /（(.+?)）/\n",
    )
    assert found(checker, "大事な事（例）") == [said("事", "こと"), said("（例）", "(例)")]


def test_imports_drop_known_expected_honour_ignore_rules_and_disable_imports(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "dict"
    folder.mkdir()
    (folder / "a.yml").write_text(
        "version: 1\nimports:\n  - b.yml\nrules:\n  - expected: ください\n    pattern: 下さい\n",
        encoding="utf-8",
    )
    (folder / "b.yml").write_text(
        "version: 1\nimports: [c.yml]\nrules:\n"
        "  - expected: ください\n    pattern: 下さいませ\n"  # expected already loaded: dropped
        "  - expected: こと\n    pattern: 事\n"
        "  - expected: もの\n    pattern: 物\n",
        encoding="utf-8",
    )
    (folder / "c.yml").write_text(
        "version: 1\nrules:\n  - expected: とき\n    pattern: 時\n", encoding="utf-8"
    )
    checker = checker_for(
        tmp_path,
        "version: 1\nimports:\n  - path: a.yml\n    ignoreRules:\n      - expected: もの\n"
        "      - /事/gmu\n",
    )
    text = "お待ち下さいませ。物の事、その時。"
    assert found(checker, text) == [said("下さい", "ください"), said("時", "とき")]
    no_nested = checker_for(
        tmp_path, "version: 1\nimports:\n  - path: a.yml\n    disableImports: true\n"
    )
    assert found(no_nested, text) == [said("下さい", "ください")]


def test_targets_apply_to_the_file_name_the_rule_gives(tmp_path: Path) -> None:
    dictionary = (
        "targets:\n  - file: /\\.md$/\n    excludes:\n      - pattern: /`.*?`/\n"
        "rules:\n  - expected: JavaScript\n    pattern: Javascript\n"
    )
    text = "Javascript と `Javascript`"
    assert len(found(checker_for(tmp_path, dictionary), text)) == 2  # post.txt: no target
    assert found(checker_for(tmp_path, dictionary, file="post.md"), text) == [
        said("Javascript", "JavaScript")
    ]


def test_targets_are_compiled_once_when_the_file_is_read(tmp_path: Path) -> None:
    """Reading a file compiles its targets (to refuse a broken one); the first check uses
    those, and a file whose record is in the load cache compiles them on that check."""
    from gateway.checker.cache import LoadCache
    from gateway.checker.prh_load import load_dictionary

    (tmp_path / "a.yml").write_text(
        "targets:\n  - file: /\\.md$/\n    includes:\n      - pattern: /a+/\n"
        "imports:\n  - b.yml\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text(
        "targets:\n  - file: /\\.re$/\n    excludes:\n      - pattern: /^#.*$/\n",
        encoding="utf-8",
    )
    cache = LoadCache(tmp_path / "cache")
    read = load_dictionary(tmp_path / "a.yml", cache)
    compiled = read.compiled_targets()
    at_read = [t for f in read.files for t in f.compiled]
    assert len(at_read) == len(compiled) == 2
    assert all(a is b for a, b in zip(at_read, compiled, strict=True))  # the same objects
    assert [t.file.pattern for t in compiled] == ["\\.md(?![^\\n\\r\\u2028\\u2029])",
                                                   "\\.re(?![^\\n\\r\\u2028\\u2029])"]
    read.complete()  # the records written
    cached = load_dictionary(tmp_path / "a.yml", cache)
    assert all(not f.compiled for f in cached.files)  # from the cache: compiled on the check
    again = cached.compiled_targets()
    assert [(t.file.pattern, [i.pattern for i in t.includes], [e.pattern for e in t.excludes])
            for t in again] == [(t.file.pattern, [i.pattern for i in t.includes],
                                 [e.pattern for e in t.excludes]) for t in compiled]  # fmt: skip


def test_yaml_is_read_as_javascript_reads_it(tmp_path: Path) -> None:
    checker = checker_for(tmp_path, "rules:\n  - expected: ON\n    pattern: on\n  - off\n")
    assert found(checker, "switch on, OFF") == [said("on", "ON"), said("OFF", "off")]


@pytest.mark.parametrize(
    ("dictionary", "says"),
    [
        ("rules:\n  - expected: x\n    pattern: /a{/\n", "パターンを正規表現として読めません"),
        ("rules:\n  - expected: x\n    pattern: e-mail\n", "パターンを正規表現として読めません"),
        ("rules:\n  - pattern: x\n", "expected を文字列で書いてください"),
        ("rules:\n  - expected: x\n    patterns: [/a/i, b]\n", "i フラグ"),
        ("rules:\n  - expected: x\n    regexpMustEmpty: 1\n", "regexpMustEmpty"),
        ("version: 2\nimports: [other.yml]\n", "version"),
        ("rules: [\n", "YAML"),
        ("imports: [d.yml]\n", "循環"),
        ("targets:\n  - file: /\\.md$/\n    excludes:\n      - pattern: /a{/\n", "targets"),
        ("targets:\n  - file: /(/\n", "targets"),
    ],
)
def test_what_cannot_load_is_said_in_japanese_and_english_naming_the_file(
    tmp_path: Path, dictionary: str, says: str
) -> None:
    (tmp_path / "dict").mkdir()
    (tmp_path / "dict" / "other.yml").write_text("version: 1\n", encoding="utf-8")
    with pytest.raises(RuleLoadError) as err:
        checker_for(tmp_path, dictionary)
    message = str(err.value)
    assert says in message
    assert "ルールを読み込めません" in message and "Cannot load rule" in message
    assert re.search(r"dict/(d|other)\.yml", message)


@pytest.mark.parametrize("named", ["missing.yml", "sub"])
def test_a_rule_naming_no_dictionary_file_says_so(tmp_path: Path, named: str) -> None:
    """A rule's own dictionary that is missing, or a folder, is "not found", with the
    rule file, the rule and the path named; an unreadable one says why (no traceback)."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "rules.yaml").write_text(
        f"rules:\n  - kind: prh\n    id: office\n    dictionary: {named}\n", encoding="utf-8"
    )
    with pytest.raises(RuleLoadError) as err:
        Checker.load(tmp_path)
    message = str(err.value)
    assert "見つかりません" in message and "prh dictionary not found" in message
    assert "rules.yaml / rule 'office'" in message and f"{tmp_path / named}" in message


@pytest.mark.parametrize(("imported", "named"), [("missing.yml", "missing.yml"), ("sub", "sub")])
def test_an_import_that_cannot_be_read_is_named(tmp_path: Path, imported: str, named: str) -> None:
    """An import that is missing, or a folder, is named in both languages (no traceback)."""
    (tmp_path / "dict" / "sub").mkdir(parents=True)
    with pytest.raises(RuleLoadError) as err:
        checker_for(tmp_path, f"imports: [{imported}]\n")
    message = str(err.value)
    assert "prh 辞書を読めません" in message and "cannot read prh dictionary" in message
    assert f"dict/{named}" in message


def test_gateway_check_says_what_cannot_load_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gateway import cli
    from gateway.checker import checker as checker_module

    (tmp_path / "rules" / "dict").mkdir(parents=True)
    (tmp_path / "rules" / "dict" / "d.yml").write_text(
        "rules:\n  - expected: x\n    pattern: /(?<=a/\n", encoding="utf-8"
    )
    (tmp_path / "rules" / "prh.yaml").write_text(
        "rules:\n  - kind: prh\n    dictionary: dict/d.yml\n", encoding="utf-8"
    )
    monkeypatch.setattr(checker_module, "shipped_rules_dir", lambda: tmp_path / "rules")
    post = tmp_path / "post.txt"
    post.write_text("本文", encoding="utf-8")
    assert cli.main(["check", str(post)]) == 2
    err = capsys.readouterr().err
    assert "d.yml" in err and "rules[0] expected: x" in err
    assert "ルールを読み込めません" in err and "Cannot load rule" in err
    assert "Traceback" not in err


def test_the_prefilter_read_from_javascript_never_skips_a_rule_that_matches() -> None:
    """Every rule of every peer dictionary, on its dictionary's spec texts and the prose
    sample: wherever the rule matches, its clauses let the text through."""
    from gateway.checker.cache import LoadCache
    from gateway.checker.prefilter import passes
    from gateway.checker.prh_load import load_dictionary

    root = Path(__file__).resolve().parents[2]
    peer = next(
        (p / "shared/peer/prh" for p in root.parents if (p / "shared/peer/prh").is_dir()), None
    )
    if peer is None:
        pytest.skip("../shared/peer/prh not found")
    prose = (root / "tests/data/prh/prose-sample.txt").read_text(encoding="utf-8")
    checked = 0
    for path in sorted(peer.rglob("*.yml")):
        entries = load_dictionary(path, LoadCache(None)).entries
        texts = [prose] + [src for e in entries for src, _ in e.specs]
        for entry in entries:
            for text in texts:
                if entry.regex.search(text):
                    assert passes(entry.clauses, text), (entry.js, entry.clauses, text)
                    checked += 1
    assert checked > 300


def test_a_pragma_pattern_built_to_backtrack_does_not_stall_the_check(tmp_path: Path) -> None:
    """`prh:disable:PATTERN` comes from the draft: its pattern runs with a time limit and,
    when it runs out, ignores nothing (without the limit this check takes minutes)."""
    checker = checker_for(tmp_path, "rules:\n  - expected: X\n    pattern: /x{20,}/\n")
    text = "x" * 40 + "\nprh:disable:(x|xx)+y"
    assert found(checker, text) == [said("x" * 40, "X")]
