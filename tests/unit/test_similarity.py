"""The near-duplicate search: its prefix filter must never drop a post that is alike."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.checker.similarity import best_similarity, shingles


def _brute_force(mine: frozenset[str], texts: tuple[str, ...], threshold: float) -> float:
    best = 0.0
    for text in texts:
        theirs = shingles(text)
        sim = len(mine & theirs) / len(mine | theirs)
        if sim >= threshold:
            best = max(best, sim)
    return best


# few characters, so that drafts and posts share many 3-grams
_texts = st.text(alphabet="祭りをほたる開催します。6月", min_size=0, max_size=40)


@settings(max_examples=400)
@given(
    draft=_texts,
    posts=st.lists(_texts, min_size=1, max_size=8),
    threshold=st.sampled_from([0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]),
)
def test_prefix_filter_finds_what_comparing_with_every_post_finds(
    draft: str, posts: list[str], threshold: float
) -> None:
    mine = shingles(draft)
    texts = tuple(posts)
    assert best_similarity(mine, texts, threshold) == _brute_force(mine, texts, threshold)


def test_a_near_copy_is_found_among_a_month_of_other_posts() -> None:
    post = "ほたる祭りを6月14日から開催します。ぜひお越しください。"
    others = tuple(
        f"{k}月の健康相談は保健センターで行います。予約は{k}日までです。" for k in range(1, 60)
    )
    draft = shingles("ほたる祭りを6月14日から開催します。ぜひお越しください！")
    assert best_similarity(draft, (*others, post), 0.8) == 1.0
    assert best_similarity(draft, others, 0.8) == 0.0
