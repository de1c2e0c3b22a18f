"""A prh rule whose pattern is plain text, or a list of plain texts, runs its specs as a
string search (prh_match.literal_spec_result) instead of compiling its regex at load:
the same results as the regex gives (spec_result), on random rules and texts and on
every such spec of the peer dictionaries; its regex is compiled on first use only."""

from __future__ import annotations

import random
from pathlib import Path
from types import SimpleNamespace

import pytest

from gateway.checker import RuleLoadError, jsregex, prh_entry, prh_yaml
from gateway.checker.prh_match import literal_spec_result, spec_result

ROOT = Path(__file__).resolve().parents[2]
PEER = next(
    (p / "shared" / "peer" / "prh" for p in ROOT.parents if (p / "shared/peer/prh").is_dir()), None
)


def _by_regex(strings: tuple[str, ...], expected: str, must: int | None, text: str) -> str:
    source = strings[0] if len(strings) == 1 else "(?:" + "|".join(strings) + ")"
    regex = jsregex.compile_python(jsregex.translate(source))
    return spec_result(SimpleNamespace(regex=regex, expected=expected, must_empty=must), text)


@pytest.mark.parametrize("seed", range(4))
def test_a_string_search_gives_what_the_regex_gives(seed: int) -> None:
    """Alternatives that are prefixes of each other, overlap, repeat, or are
    `expected` itself; `$1` and `$0` in `expected`; regexpMustEmpty $0, $1, $2; astral
    characters and line terminators in the text."""
    rnd = random.Random(900 + seed)
    letters = ["a", "b", "あ", "😀", "\u2028", "\n", " "]
    for _ in range(1500):
        strings = tuple(
            "".join(rnd.choice(letters[:4]) for _ in range(rnd.randrange(1, 4)))
            for _ in range(rnd.randrange(1, 4))
        )
        expected = rnd.choice([*strings, "x", "$1", "a$0b", "$", "ab"])
        must = rnd.choice([None, None, 0, 1, 2])
        for _ in range(6):
            text = "".join(rnd.choice(letters) for _ in range(rnd.randrange(0, 16)))
            got = literal_spec_result(strings, expected, must, text)
            assert got == _by_regex(strings, expected, must, text), (strings, expected, text)


def test_only_plain_texts_without_i_are_strings() -> None:
    plain = prh_entry._plain_strings
    assert plain("予め", False) == ("予め",)
    assert plain("(?:予め|前もって)", False) == ("予め", "前もって")
    for source, ignorecase in (
        ("(?:a|)", False), ("(?:a.b|c)", False), ("a", True), ("\\bML\\b", False),
        ("(?:a)b(?:c)", False), ("", False), ("(?:a|b)*", False), ("[Aaａ]", False),
    ):  # fmt: skip
        assert plain(source, ignorecase) is None, source


def test_a_literal_rule_checks_its_specs_without_compiling(tmp_path: Path) -> None:
    path = tmp_path / "d.yml"
    raw = {
        "expected": "あらかじめ",
        "pattern": ["予め", "前以て"],
        "specs": [{"from": "予め前以て", "to": "あらかじめあらかじめ"}],
    }
    entry = prh_entry.build_entry(raw, path, 0)
    assert entry._regex is None  # compiled on first use
    assert [m.group() for m in entry.regex.finditer("予め、前以て")] == ["予め", "前以て"]
    raw["specs"] = [{"from": "予め", "to": "予め"}]
    with pytest.raises(RuleLoadError, match="specs"):
        prh_entry.build_entry(raw, path, 0)


def _peer_rules() -> list[dict]:
    rules: list = []
    for p in sorted(PEER.rglob("*.yml")) if PEER is not None else []:
        data = prh_yaml.read_yaml(p.read_text(encoding="utf-8-sig")) or {}
        rules += [r for r in data.get("rules") or [] if isinstance(r, dict) and r.get("specs")]
    return rules


@pytest.mark.skipif(PEER is None, reason="the peer dictionaries (../shared/peer/prh) are absent")
def test_every_peer_spec_of_a_literal_rule_is_what_the_regex_gives() -> None:
    compared = 0
    for i, raw in enumerate(_peer_rules()):
        try:
            entry = prh_entry.build_entry(raw, Path("peer.yml"), i)
        except RuleLoadError:
            continue
        strings = prh_entry._plain_strings(entry._js_source, entry.ignorecase)
        if not strings:
            continue
        for src, _dst in entry.specs:
            got = literal_spec_result(strings, entry.expected, entry.must_empty, src)
            assert got == spec_result(entry, src), (raw, src)
            compared += 1
    assert compared >= 100, compared  # 100 when written
