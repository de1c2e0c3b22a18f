"""The load cache: what passed is not run again until a file or the code changes; a cache
that cannot be written or read back costs time, never a wrong result."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.checker import Checker, RuleLoadError
from gateway.checker import checker as checker_module
from gateway.checker.cache import LoadCache, cache_directory
from gateway.checker.paths import rules_dir
from gateway.checker.prefilter import TriggerScan

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "prh" / "prose-sample.txt"


def _rules_with_dictionary(tmp_path: Path) -> Path:
    """The shipped rules plus a prh rule naming a dictionary of our own."""
    folder = tmp_path / "rules"
    folder.mkdir()
    for path in rules_dir().iterdir():
        target = folder / path.name
        if path.is_dir():
            target.mkdir()
            for inner in path.iterdir():
                (target / inner.name).write_bytes(inner.read_bytes())
        else:
            target.write_bytes(path.read_bytes())
    (folder / "own").mkdir()
    (folder / "own" / "style.yml").write_text(
        "version: 1\nrules:\n  - expected: ウェブサイト\n    patterns: [Webサイト, ホームページ]\n"
        "    specs:\n      - from: 町のWebサイト\n        to: 町のウェブサイト\n",
        encoding="utf-8",
    )
    (folder / "own-style.yaml").write_text(
        "rules:\n  - kind: prh\n    dictionary: own/style.yml\n", encoding="utf-8"
    )
    return folder


def _findings(checker: Checker) -> list:
    return checker.check(SAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    monkeypatch.delenv("GATEWAY_NO_CACHE", raising=False)
    return home / "gateway" / "checker"


def test_a_warm_load_finds_exactly_what_a_cold_one_does(tmp_path, cache_home) -> None:
    rules = _rules_with_dictionary(tmp_path)
    cold = _findings(Checker.load(rules))
    assert any(f.rule == "prh-own-style" for f in cold)
    assert list(cache_home.glob("*.json"))  # something was kept
    warm = _findings(Checker.load(rules))
    assert warm == cold


def test_examples_are_not_run_again_until_a_file_changes(
    tmp_path, cache_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = _rules_with_dictionary(tmp_path)
    Checker.load(rules)
    ran: list[str] = []
    real = checker_module._self_test
    monkeypatch.setattr(
        checker_module, "_self_test", lambda rule: ran.append(rule.id) or real(rule)
    )
    Checker.load(rules)
    assert ran == []
    path = rules / "rumor.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    Checker.load(rules)
    assert len(ran) > 10  # every rule's examples ran again


def test_a_changed_dictionary_is_checked_again(tmp_path, cache_home) -> None:
    rules = _rules_with_dictionary(tmp_path)
    Checker.load(rules)
    style = rules / "own" / "style.yml"
    style.write_text(
        style.read_text(encoding="utf-8").replace("to: 町のウェブサイト", "to: 町のホームページ"),
        encoding="utf-8",
    )
    with pytest.raises(RuleLoadError, match=r"style\.yml"):
        Checker.load(rules)


def test_damaged_records_are_read_as_missing(tmp_path, cache_home) -> None:
    rules = _rules_with_dictionary(tmp_path)
    cold = _findings(Checker.load(rules))
    for record in cache_home.glob("*.json"):
        record.write_bytes(
            b'{"version": 1, "entries": [["broken"]]'
            if record.stat().st_size % 2
            else b"\x00garbage"
        )
    assert _findings(Checker.load(rules)) == cold
    # …and were written again, whole
    assert _findings(Checker.load(rules)) == cold


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path, monkeypatch) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    rules = _rules_with_dictionary(tmp_path)
    first = _findings(Checker.load(rules))
    assert first == _findings(Checker.load(rules))
    assert blocker.is_file()


def test_where_the_cache_lives() -> None:
    assert cache_directory({"GATEWAY_NO_CACHE": "1", "HOME": "/h"}) is None
    assert cache_directory({"CACHE_DIRECTORY": "/var/cache/gateway", "HOME": "/h"}) == Path(
        "/var/cache/gateway/checker"
    )
    assert cache_directory({"XDG_CACHE_HOME": "/x", "HOME": "/h"}) == Path("/x/gateway/checker")
    assert cache_directory({"XDG_CACHE_HOME": "relative", "HOME": "/h"}) == Path(
        "/h/.cache/gateway/checker"
    )


def test_keys_depend_on_every_part() -> None:
    cache = LoadCache(None)
    assert cache.key("k", b"ab", b"c") != cache.key("k", b"a", b"bc")
    assert cache.key("k", b"x") != cache.key("j", b"x")
    assert cache.key("k", b"x") == cache.key("k", b"x")


def test_trigger_scan_finds_exactly_the_strings_present() -> None:
    # prefixes of each other, as prh dictionaries have by the hundred (サーバ, サーバー …)
    strings = ["サ", "サー", "サーバ", "サーバー", "バ", "バー", "abc", "ab", "b"]
    scan = TriggerScan([tuple(strings)])
    texts = ["サーバーとバ", "サーバ", "xabcx", "サ", "なし", "ab b"]
    for text in texts * 4:  # the first texts with `in` per string, then with the regex
        assert scan.present(text) == {s for s in strings if s in text}, text
    assert scan._regex is not None


def test_rule_regexes_known_to_compile_wait_for_their_first_use(tmp_path, cache_home) -> None:
    from gateway.checker.engine import RegexRule
    from gateway.checker.lazyre import LazyPattern

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "r.yaml").write_text(
        "rules:\n  - id: shout\n    severity: warning\n    kind: regex\n"
        "    message: 「{excerpt}」\n    pattern: '(?i)kyu+kou'\n"
        "    examples:\n      match: [本日KYUUKOUです]\n      no_match: [本日休講です]\n",
        encoding="utf-8",
    )
    cold = Checker.load(rules)
    assert isinstance(cold.rules[0], RegexRule)
    assert not isinstance(cold.rules[0].regex, LazyPattern)  # compiled: not yet known
    warm = Checker.load(rules)
    lazy = warm.rules[0].regex
    assert isinstance(lazy, LazyPattern) and lazy._compiled is None
    # the flags the prefilter reads are the compiled pattern's, inline (?i) included
    assert lazy.flags == cold.rules[0].regex.flags
    assert warm.rules[0].trigger == cold.rules[0].trigger
    text = "明日はKyuuKouです。明後日はkyukouです。"
    assert [f.excerpt for f in warm.check(text)] == ["KyuuKou", "kyukou"]
    assert lazy._compiled is not None


def test_a_broken_regex_is_refused_with_a_warm_cache_too(tmp_path, cache_home) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    body = (
        "rules:\n  - id: broken\n    severity: warning\n    kind: regex\n"
        "    message: x\n    pattern: '{}'\n    examples:\n      match: [abc]\n"
    )
    (rules / "r.yaml").write_text(body.format("abc"), encoding="utf-8")
    Checker.load(rules)
    (rules / "r.yaml").write_text(body.format("a(bc"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(RuleLoadError, match="invalid regex"):
            Checker.load(rules)


def test_a_deferred_regex_compiles_on_first_use_and_is_the_compiled_pattern() -> None:
    import re

    from gateway.checker.lazyre import deferred

    lazy = deferred(r"(?i)ab+c", re.MULTILINE)
    assert lazy._compiled is None
    compiled = re.compile(r"(?i)ab+c", re.MULTILINE)
    text = "xABBC\nabc"
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy._compiled is compiled  # re's own compiled pattern, kept
    assert lazy.flags == compiled.flags and lazy.pattern == compiled.pattern
    assert deferred("x", 0, 99).flags == 99  # flags the load cache knew, without compiling


def test_a_file_below_the_rules_folder_changes_the_examples_record(
    tmp_path, cache_home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every file below the folder counts (a dictionary in a subfolder), __pycache__ does
    not, and a broken link is no file (the load goes on)."""
    rules = _rules_with_dictionary(tmp_path)
    (rules / "__pycache__").mkdir()
    (rules / "dangling").symlink_to(tmp_path / "nowhere")
    Checker.load(rules)
    ran: list[str] = []
    real = checker_module._self_test
    monkeypatch.setattr(
        checker_module, "_self_test", lambda rule: ran.append(rule.id) or real(rule)
    )
    (rules / "__pycache__" / "x.pyc").write_bytes(b"\0")
    Checker.load(rules)
    assert ran == []
    notes = rules / "own" / "notes.txt"
    notes.write_text("a file beside the dictionary\n", encoding="utf-8")
    Checker.load(rules)
    assert ran  # the examples ran again
    listed = checker_module._files_below(str(rules))
    assert "own/notes.txt" in listed and "own/style.yml" in listed
    assert "dangling" not in listed and not any("__pycache__" in f for f in listed)
    assert listed == sorted(listed, key=lambda f: f.split("/"))


def test_a_dictionary_record_is_written_whole_at_its_first_check(tmp_path, cache_home) -> None:
    """Loading reads and checks a dictionary as prh does; the prefilter's clauses are read
    on the first check, and the file's record is written then, with them (a start that
    only loads leaves none); a warm load finds the same, without parsing anything."""
    from gateway.checker import jsshape
    from gateway.checker.prh_entry import PrhEntry
    from gateway.checker.prh_load import load_dictionary

    dictionary = tmp_path / "style.yml"
    dictionary.write_text(
        "version: 1\nrules:\n  - expected: サーバー\n    pattern: /サーバ(?!ー)/\n"
        "  - expected: ウェブサイト\n    patterns: [Webサイト, ホームページ]\n",
        encoding="utf-8",
    )
    cache = LoadCache(cache_home)
    cold = load_dictionary(dictionary, cache)
    assert not cache_home.exists() or not list(cache_home.glob("*.json"))
    cold.complete()
    (record,) = cache_home.glob("*.json")
    jsshape.forget_shapes()
    warm = load_dictionary(dictionary, cache)
    assert not jsshape._SHAPES  # nothing parsed: all from the record
    assert [e.to_json() for e in warm.entries] == [e.to_json() for e in cold.entries]
    assert [[set(c) for c in e.clauses] for e in warm.entries] == [
        [{"サーバ"}],
        [{"Webサイト", "ホームページ"}],
    ]
    assert all(isinstance(e, PrhEntry) and e._clauses is not None for e in warm.entries)
    warm.complete()  # nothing left to write
    assert list(cache_home.glob("*.json")) == [record]
