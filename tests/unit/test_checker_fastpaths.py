"""The checker's fast paths find exactly what the plain ways find.

Each shortcut taken for speed is compared with the straightforward computation it
replaces, on the draft corpus and on generated text made to reach the shortcut's edges:
- token patterns with a gap (外国人 … 出て行け) tried only where the word after the gap
  stands (GapAnchor) vs trying every start;
- NFKC pieces looked up once normalized vs unicodedata on the whole text;
- the X length bound from UTF-8 bytes vs counting ASCII characters;
- has_lemma vs the set of the draft's forms.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import Checker
from gateway.checker import token_index as index_module
from gateway.checker.detectors import x_length_bound
from gateway.checker.draft import _NARROW, _WIDE, Draft, _nfkc, _nfkc_with_map
from gateway.checker.token_index import GapAnchor, TokenIndex

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def indexes(checker: Checker) -> tuple[TokenIndex, TokenIndex]:
    """The checker's token index, and the same patterns indexed without gap anchors."""
    plain_of = GapAnchor.of
    try:
        index_module.GapAnchor.of = classmethod(lambda cls, pat, k: None)  # type: ignore[method-assign]
        plain = TokenIndex(checker.rules)
    finally:
        index_module.GapAnchor.of = plain_of  # type: ignore[method-assign]
    fast = TokenIndex(checker.rules)
    anchored = [c for cands in fast.by_form.values() for c in cands if c[3] is not None]
    assert len(anchored) > 100  # the hate-speech patterns have gaps
    assert all(c[3] is None for cands in plain.by_form.values() for c in cands)
    return fast, plain


def _same_hits(indexes: tuple[TokenIndex, TokenIndex], text: str) -> int:
    fast, plain = indexes
    draft = Draft(text)
    got = [(r.id, h) for r, h in fast.run(draft)]
    want = [(r.id, h) for r, h in plain.run(draft)]
    assert got == want, text
    return len(got)


def test_gap_patterns_find_the_same_on_the_corpus(indexes) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/data/drafts").rglob("*.txt"))]
    assert len(texts) > 200
    assert sum(_same_hits(indexes, t) for t in texts) > 50


def test_gap_patterns_find_the_same_on_every_rule_example(checker: Checker, indexes) -> None:
    texts = [
        text
        for rule in checker.rules
        for text, _ in (*rule.examples_match, *rule.examples_no_match, *rule.examples_soft)
    ]
    assert sum(_same_hits(indexes, t) for t in texts) > 100


# a group, words between (as many as a gap allows, and more), the words after the gaps
_GROUPS = ["外国人", "在日", "朝鮮人", "クルド人", "移民", "障害者", "ベトナム人"]
_BETWEEN = ["は", "を", "日本", "から", "今すぐ", "国", "へ", "全員", "みんな", "、", "の", "なんか", "本当に"]
_AFTER = ["出て行け", "出ていけよ", "帰れ", "帰れない", "消えろ", "追い出せ", "殺せ", "死ね", "駆除", "しろ"]
_AFTER += ["ゴキブリ", "だ", "害虫", "。", "入れるな", "来るな", "住む", "な", "ゴミ", "出し"]


@pytest.mark.parametrize("seed", range(3))
def test_gap_patterns_find_the_same_in_generated_hate(indexes, seed: int) -> None:
    """Groups and exclusion words at every distance, around and beyond each gap's reach."""
    found = sum(_same_hits(indexes, text) for text in _hate_texts(seed, 400))
    assert found > 100  # the comparison saw matches, not only misses


def test_a_flood_of_group_words_finds_the_same(indexes) -> None:
    for text in ("外国人 " * 3000, "外国人" * 2000 + "出て行け", "在日は" * 1500 + "帰れ"):
        _same_hits(indexes, text)


def _hate_texts(seed: int, n: int) -> list[str]:
    """Groups, words between them and the words after the gaps, at random distances."""
    rnd = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randrange(1, 5)):
            parts.append(rnd.choice(_GROUPS))
            parts += rnd.choices(_BETWEEN, k=rnd.randrange(0, 16))
            parts += rnd.choices(_AFTER, k=rnd.randrange(0, 3))
        texts.append("".join(parts))
    return texts


def test_word_candidates_kept_across_drafts_equal_a_fresh_index_per_draft(
    checker: Checker, sample_texts: list[str]
) -> None:
    """A word's candidates are kept across drafts (TokenIndex._word_candidates): an
    index that has seen every text before, in another order, finds in each draft what
    an index with nothing kept finds, with and without a limit per rule (a rule that
    reaches it is dropped from the draft's candidates) and with gap anchors present in
    one draft and absent in the next (their presence is decided per draft)."""
    texts = [*sample_texts, *_hate_texts(7, 300)]
    texts += ["と思う", "行くと", "アホと", "馬鹿と", "あほとばか"] * 2  # と, a particle two ways
    shared, fresh = TokenIndex(checker.rules), TokenIndex(checker.rules)
    for text in texts[::-1]:
        list(shared.run(Draft(text), 2, {}))
    compared = 0
    for limit in (None, 2):
        for text in texts:
            draft = Draft(text)
            fresh._words.clear()
            cut_shared: dict[str, int] = {}
            cut_fresh: dict[str, int] = {}
            got = [(r.id, h) for r, h in shared.run(draft, limit, cut_shared)]
            want = [(r.id, h) for r, h in fresh.run(draft, limit, cut_fresh)]
            assert (got, cut_shared) == (want, cut_fresh), text[:80]
            compared += len(got)
    assert compared > 2000
    assert len(shared._words) > 150  # words were kept, and used in the second order


_NFKC_ALPHABET = "あア亜ｱｶﾞﾟﾞ（）０１Ａａ　 ①㈱…‥℃ｶか\u3099\u309a\u0301éｅ\ufe0f😀。、\n-"
_NFKC_ALPHABET += "！＂＃＄％＆＇＊＋，－．／：；＜＝＞？＠［＼］＾＿｀｛｜｝～Ｚｚ９\u0308\u20dd"


@settings(max_examples=800, deadline=None)
@given(st.text(alphabet=_NFKC_ALPHABET, max_size=40))
def test_nfkc_by_known_pieces_is_unicodedata(text: str) -> None:
    expected = unicodedata.normalize("NFKC", text)
    assert _nfkc(text) == expected  # pieces normalized (and remembered)
    assert _nfkc(text) == expected  # pieces looked up


def test_full_width_ascii_is_replaced_by_what_nfkc_makes_of_it() -> None:
    """The replacements _nfkc makes before asking unicodedata: each one's NFKC, and with
    the same compatibility decomposition (so a text's NFKC never changes by them)."""
    assert len(_NARROW) == 95
    for wide, narrow in _NARROW.items():
        assert unicodedata.normalize("NFKC", wide) == narrow
        assert unicodedata.normalize("NFKD", wide) == unicodedata.normalize("NFKD", narrow)
        assert _WIDE.fullmatch(wide)


def _readable_x_bound(text: str) -> int:
    """The bound as first written: ASCII weighs 1, anything else at most 2, a link 23 at
    most, and a link per run of [A-Za-z0-9.-] that has a dot."""
    import re

    ascii_count = sum(ch.isascii() for ch in text)
    bound = ascii_count + 2 * (len(text) - ascii_count)
    runs = re.findall(r"[A-Za-z0-9.-]+", text)
    return bound + 23 * sum("." in run for run in runs)


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet="a.-Z9 /:あ。é😀\n", max_size=40))
def test_x_length_bound_is_the_readable_bound(text: str) -> None:
    assert x_length_bound(text) == _readable_x_bound(text)


def test_has_lemma_is_membership_in_the_drafts_forms(checker: Checker) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/data/drafts").rglob("*.txt"))]
    words = [frozenset({"町長", "思う"}), frozenset({"入院"}), frozenset({"する", "ない"}), frozenset()]
    seen = 0
    for text in texts[:120]:
        draft = Draft(text)
        forms = set(draft.columns.normalized) | set(draft.columns.dictionary_forms)
        for w in words:
            assert draft.has_lemma(w) == (not w.isdisjoint(forms))
            seen += draft.has_lemma(w)
    assert seen > 10


def _readable_nfkc_with_map(text: str) -> tuple[str, list[int] | None]:
    """The map as first written: every character normalized on its own, in order."""
    norm = _nfkc(text)
    if len(norm) == len(text):
        return norm, None
    parts: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        n = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F else ch
        parts.append(n)
        offsets.extend([i] * len(n))
    offsets.append(len(text))
    return "".join(parts), offsets


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=_NFKC_ALPHABET + "ab\t", max_size=40))
def test_nfkc_map_by_runs_is_the_map_char_by_char(text: str) -> None:
    """Inert stretches taken whole map as each of their characters did one by one."""
    assert _nfkc_with_map(text) == _readable_nfkc_with_map(text)


def test_nfkc_map_of_a_post_with_an_ellipsis() -> None:
    text = "お知らせ…\n９月８日（月）１０℃、㈱辰野"
    norm, offsets = _nfkc_with_map(text)
    assert norm == "お知らせ...\n9月8日(月)10°C、(株)辰野"
    assert offsets is not None and len(offsets) == len(norm) + 1
    assert [text[offsets[i]] for i in range(4, 7)] == ["…"] * 3
    assert text[offsets[norm.index("(株)") + 1]] == "㈱"
    assert offsets[-1] == len(text)
