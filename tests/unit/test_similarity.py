"""The near-duplicate search: its prefix filter must never drop a post that is alike, and
its words are the draft's words, not its punctuation or links."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, Checker
from gateway.checker.detectors import _words_outside_links
from gateway.checker.draft import Draft
from gateway.checker.similarity import RecentPosts


def _brute_force(mine: frozenset[str], posts: list[frozenset[str]], threshold: float) -> float:
    best = 0.0
    for theirs in posts:
        union = mine | theirs
        sim = len(mine & theirs) / len(union) if union else 0.0
        if sim >= threshold and theirs:
            best = max(best, sim)
    return best if mine else 0.0


# few words, so that drafts and posts share many
_sets = st.frozensets(
    st.sampled_from(
        ["祭り", "開催", "する", "6", "月", "14", "日", "ぜひ", "越す", "駐車場", "案内", "臨時"]
    )
)


@settings(max_examples=500)
@given(
    mine=_sets,
    posts=st.lists(_sets, min_size=1, max_size=8),
    threshold=st.sampled_from([0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]),
)
def test_prefix_filter_finds_what_comparing_with_every_post_finds(
    mine: frozenset[str], posts: list[frozenset[str]], threshold: float
) -> None:
    index = RecentPosts.build(posts, threshold)
    assert index.best_similarity(mine) == _brute_force(mine, posts, threshold)


def test_words_leave_out_punctuation_and_links() -> None:
    words = _words_outside_links(
        Draft("【ほたる祭り】開催します！　詳しくは https://www.town.tatsuno.lg.jp/hotaru を。")
    )
    assert {"蛍祭り", "開催", "為る", "詳しい"} <= words  # normalized: ほたる祭り -> 蛍祭り
    assert not words & {"【", "】", "!", " ", "。", "https", "WWW", "タウン", "tatsuno", "hotaru"}


def test_a_near_copy_is_found_among_a_month_of_other_posts() -> None:
    checker = Checker.load()
    post = "ほたる祭りを6月14日から開催します。ぜひお越しください。"
    others = tuple(
        f"{k}月の健康相談は保健センターで行います。予約は{k}日までです。" for k in range(1, 60)
    )
    draft = "【再掲】ほたる祭りを6月14日から開催します！ぜひお越しください！"

    def near(recent: tuple[str, ...]) -> list[str]:
        found = checker.check(draft, CheckContext(recent_approved_texts=recent))
        return [f.message for f in found if f.rule == "spam-near-duplicate"]

    assert near((*others, post)) and "類似度" in near((*others, post))[0]
    assert near(others) == []


def _plain_words_outside_links(draft: Draft) -> frozenset[str]:
    """_words_outside_links as it was: each link's morphemes found by two bisections."""
    from bisect import bisect_left

    from gateway.checker.links import _urls

    cols = draft.columns
    starts = draft.token_starts
    kinds = list(cols.kinds)
    for s, e, *_ in _urls(draft):
        first, after = bisect_left(starts, s), bisect_left(starts, e)
        kinds[first:after] = bytes(max(after - first, 0))
    return frozenset(w for w, k in zip(cols.normalized, kinds, strict=True) if k)


_LINKY = [
    "https://a.jp/x", "www.town.tatsuno.lg.jp/", "http://例え.jp/あ", "ＨＴＴＰＳ：／／ａ．ｊｐ",
    " ", "\n", "、", "祭り", "開催します", "ばか", "。", "(", ")", "a.b", "https://", "www.",
    "ｶﾀｶﾅ", "バ　カ", "？",
    # links the tokenizer reads as one token, and the same link where it does not (after a
    # letter, running on into non-ASCII letters or a full-width bracket)
    "https://a.jp/", "a", "é", "）", "https://www.town.tatsuno.lg.jp/", "0266-41-1111",
    "https://?",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_LINKY), max_size=16), times=st.integers(1, 30))
def test_words_outside_links_marked_in_a_mask_equal_the_bisected_links(pieces, times) -> None:
    """Links marked out in a mask of the text, morphemes weighed by the mask at their
    start: the same words as finding each link's morphemes by bisection, on drafts of
    many links (full-width ones, which NFKC moves, among them)."""
    draft = Draft("".join(pieces) * times)
    assert _words_outside_links(draft) == _plain_words_outside_links(draft)
