"""SpelledWords (a dict trie walked in Python) finds exactly what the one-regex trie it
replaced found: same spans, same order, on the draft corpus, on every rule's examples and
on fuzzed text written the ways people dodge a word list (spaces, zero-width characters,
伏字 marks, half-width kana, words run together or cut short).

The regex builder below is the previous implementation, kept here as the oracle.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest

from gateway.checker import CheckContext, Checker
from gateway.checker.draft import Draft
from gateway.checker.engine import SpelledScan, TokenRule, folded_text, spelled_starts
from gateway.checker.fold import _MASKS, _TO_HIRA, MASK, Folded, SpelledWords, fold_word

ROOT = Path(__file__).resolve().parents[2]
_TO_KATA = str.maketrans({chr(c): chr(c + 0x60) for c in range(0x3041, 0x3097)})


def oracle_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """The previous fold.trie_regex: variants as a trie, 伏字 as a character class."""
    variants: set[str] = set()
    for w in words:
        if not w:
            continue
        for v in {w, w.translate(_TO_HIRA), w.translate(_TO_KATA)}:
            variants.add(v)
            for k in range(1, len(v)):
                variants.add(v[:k] + MASK + v[k:])
                if len(v) >= 3 and v[k] != MASK:
                    variants.add(v[:k] + MASK + v[k + 1 :])
    if not variants:
        return None
    trie: dict = {}
    for v in variants:
        node = trie
        for ch in v:
            node = node.setdefault(ch, {})
        node[""] = {}
    return re.compile(_node_regex(trie))


def _node_regex(node: dict) -> str:
    alts = []
    end = "" in node
    for ch in sorted(k for k in node if k):
        letter = f"[{re.escape(_MASKS)}]" if ch == MASK else re.escape(ch)
        alts.append(letter + _node_regex(node[ch]))
    if not alts:
        return ""
    body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
    if end:
        return "(?:" + body + ")?"
    return body


@pytest.fixture(scope="module")
def word_lists(checker: Checker) -> list[list[str]]:
    """The folded `spelled` lists of the shipped rules, read from the rule files."""
    import yaml

    lists = []
    for path in sorted((ROOT / "rules").glob("*.yaml")):
        for raw in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            if isinstance(raw, dict) and raw.get("spelled"):
                lists.append([fold_word(str(w)) for w in raw["spelled"]])
    assert len(lists) >= 3  # insults, slurs, threats
    return lists


@pytest.fixture(scope="module")
def pairs(word_lists: list[list[str]]) -> list[tuple[re.Pattern[str], SpelledWords]]:
    out = []
    for words in word_lists:
        regex = oracle_regex(words)
        assert regex is not None
        out.append((regex, SpelledWords(words)))
    return out


def assert_same(pairs: list[tuple[re.Pattern[str], SpelledWords]], norm: str) -> int:
    """Both find the same spans in the folded text; returns how many were found. The
    checker's path is compared too: the starts looked for once for all the rules
    (SpelledScan: first letters, then the first two letters), each rule walking only
    from there."""
    folded = Folded(norm)
    starts = spelled_starts(folded.text, SpelledScan.of(spelled for _, spelled in pairs))
    found = 0
    saved = SpelledWords.LONG_TEXT
    for regex, spelled in pairs:
        old = [m.span() for m in regex.finditer(folded.text)]
        try:  # the walk (short texts) and the long-text regex, whatever the length
            for SpelledWords.LONG_TEXT in (10**12, 0):
                assert spelled.spans(folded.literal) == old, (norm, old)
                assert spelled.spans(folded.literal, starts) == old, (norm, old, starts)
        finally:
            SpelledWords.LONG_TEXT = saved
        found += len(old)
    return found


def _texts_of(paths: Iterable[Path]) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in paths if p.suffix in (".txt", ".eml")]


def test_same_spans_on_the_draft_corpus(pairs) -> None:
    texts = _texts_of(sorted((ROOT / "tests/data/drafts").rglob("*")))
    assert len(texts) > 50
    found = sum(assert_same(pairs, Draft(t).norm) for t in texts)
    assert found > 0  # the corpus has abuse in it: the comparison saw matches


def test_same_spans_on_every_rule_example(checker: Checker, pairs) -> None:
    texts = [
        text
        for rule in checker.rules
        for text, _ in (*rule.examples_match, *rule.examples_no_match, *rule.examples_soft)
    ]
    assert len(texts) > 200
    found = sum(assert_same(pairs, Draft(t).norm) for t in texts)
    assert found > 5


# how people write a word so that a list does not see it
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u202e"]
_HALF = {unicodedata.normalize("NFKC", chr(c)): chr(c) for c in range(0xFF66, 0xFF9E)}
_FILLER = [
    *"のはがをにでとも、。！？ー〜 \u3000",
    "ですね",
    "ばかり",
    "しない",
    "東シナ海",
    "abc",
    "123",
]


def _half_width(word: str) -> str:
    kata = word.translate(_TO_KATA)
    out = []
    for ch in kata:
        base = unicodedata.normalize("NFD", ch)
        if base[0] in _HALF:
            out.append(
                _HALF[base[0]] + ("ﾞ" if "\u3099" in base else "ﾟ" if "\u309a" in base else "")
            )
        else:
            out.append(ch)
    return "".join(out)


def _dodge(word: str, rnd: random.Random) -> str:
    """One way of writing `word` past a list (or as it is)."""
    way = rnd.randrange(8)
    letters = list(word)
    if way == 0 and len(letters) > 1:  # spaced out
        return rnd.choice([" ", "  ", "　"]).join(letters)
    if way == 1 and len(letters) > 1:  # zero-width or direction characters inside
        k = rnd.randrange(1, len(letters))
        return "".join(letters[:k]) + rnd.choice(_INVISIBLE) + "".join(letters[k:])
    if way == 2 and len(letters) > 1:  # a mark put in
        k = rnd.randrange(1, len(letters))
        return "".join(letters[:k]) + rnd.choice(_MASKS) + "".join(letters[k:])
    if way == 3 and len(letters) > 1:  # a mark for a letter (any, even the first)
        k = rnd.randrange(len(letters))
        letters[k] = rnd.choice(_MASKS)
        return "".join(letters)
    if way == 4:  # half-width katakana
        return _half_width(word)
    if way == 5:  # katakana / hiragana
        return word.translate(_TO_KATA if rnd.random() < 0.5 else _TO_HIRA)
    if way == 6 and len(letters) > 2:  # cut short or two marks
        if rnd.random() < 0.5:
            return "".join(letters[: rnd.randrange(1, len(letters))])
        k = rnd.randrange(1, len(letters) - 1)
        return "".join(letters[:k]) + rnd.choice(_MASKS) * 2 + "".join(letters[k + 1 :])
    return word


@pytest.mark.parametrize("seed", range(4))
def test_same_spans_on_fuzzed_evasions(word_lists, pairs, seed: int) -> None:
    rnd = random.Random(seed)
    words = [w for ws in word_lists for w in ws]
    found = 0
    for _ in range(600):
        parts = []
        for _ in range(rnd.randrange(1, 8)):
            parts.append(
                _dodge(rnd.choice(words), rnd) if rnd.random() < 0.6 else rnd.choice(_FILLER)
            )
        found += assert_same(pairs, unicodedata.normalize("NFKC", "".join(parts)))
    assert found > 300


@pytest.mark.parametrize("seed", range(3))
def test_same_spans_on_text_made_of_the_words_letters(word_lists, pairs, seed: int) -> None:
    """Random strings over the words' own letters and the marks: prefixes that break off,
    words that overlap or run into each other, marks in every place."""
    rnd = random.Random(100 + seed)
    alphabet = sorted({ch for ws in word_lists for w in ws for ch in w} | set(_MASKS) | {" "})
    common = [ch for w in ("ばか", "しね", "くそ", "ころす", "死ね", "チョン") for ch in w]
    found = 0
    for _ in range(1500):
        n = rnd.randrange(1, 30)
        text = "".join(rnd.choice(common if rnd.random() < 0.5 else alphabet) for _ in range(n))
        found += assert_same(pairs, text)
    assert found > 100


def test_a_long_hostile_run_matches_too(pairs) -> None:
    for unit in ("しねし", "ば〇か", "ばかばか", "くそやろ", "死ねばいいの", "ｼﾈ "):
        assert_same(pairs, unicodedata.normalize("NFKC", unit * 3000))


def test_one_scan_for_all_rules_finds_what_each_rule_finds(checker: Checker) -> None:
    """The checker puts its rule set's SpelledScan on the draft: every spelled rule's hits
    are what the rule finds on its own (without the scan) in evasive drafts."""
    from gateway.checker.checker import _RuleSet, _run

    rnd = random.Random(7)
    rules = [r for r in checker.rules if isinstance(r, TokenRule) and r.spelled is not None]
    words = ["死ね", "バカ", "くそ", "ころす", "チョン", "きもい"]
    together = _RuleSet(rules)
    hits = 0
    for _ in range(300):
        text = "".join(
            _dodge(rnd.choice(words), rnd) if rnd.random() < 0.5 else rnd.choice(_FILLER)
            for _ in range(rnd.randrange(1, 6))
        )
        shared = _run(together, Draft(text), CheckContext())
        alone = sorted(
            (f for r in rules for f in _run(_RuleSet([r]), Draft(text), CheckContext())),
            key=lambda f: (f.line, f.column, f.rule),
        )
        assert shared == alone, text
        hits += len(shared)
    assert hits > 100


def test_checker_hits_use_the_new_matcher(checker: Checker) -> None:
    """The rules carry SpelledWords, and a folded draft keeps its marks' offsets."""
    rules = [r for r in checker.rules if isinstance(r, TokenRule) and r.spelled is not None]
    assert {r.id for r in rules} >= {"insult-words", "discriminatory-words"}
    draft = Draft("お前らバ●カ、し\u200bね")
    folded = folded_text(draft)
    assert len(folded.literal) == len(folded.text)
    assert folded.literal == folded.text.replace("●", MASK)
