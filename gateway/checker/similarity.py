"""Near-duplicate search: how alike a draft is to the posts approved recently (3(8) spam).

Similarity is the Jaccard index of the sets of words (Sudachi normalized forms, so that
差し戻し and 差戻し, ｶﾀｶﾅ and カタカナ are one word) of the two texts, punctuation
and links left out. The draft's words come from the tokens the checker has already, so
the comparison costs a set or two, not a pass over the text.

A month of approved posts is dozens of texts, and every draft is compared with all of
them, so the posts are indexed once (per set of recent posts) for a prefix filter
(after Bayardo et al., "Scaling up all pairs similarity search", 2007): if
J(A, B) >= t, then at least t|B| of B's words are in A, so of any |B| - floor(t|B|) + 1
of B's words one is in A. The index keeps, for each post, that many of its rarest
words; only posts one of whose kept words is in the draft are compared in full, so the
result is exactly that of comparing with every post.

The same count bounds the rest: if c of B's p kept words are in A, then
|A & B| <= c + |B| - p, and J(A, B) >= t needs |A & B| >= t(|A| + |B|) / (1 + t). A post
that shares one or two rare words with the draft (most candidates) fails the bound, which
looks up its p kept words, and is never intersected in full (about 1 µs each).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from itertools import chain, compress
from typing import NamedTuple


def word_set(normalized: Sequence[str], kinds: Sequence[int]) -> frozenset[str]:
    """The words of a run of morphemes (its columns), without punctuation or spaces:
    the forms whose kind (tokenizer.kind_of) is not 0, picked out in C."""
    return frozenset(compress(normalized, kinds))


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a post's rarest words the index keeps (see module doc). Rounded
    towards more, which only ever lets more posts through to the full comparison."""
    return size - math.floor(threshold * size - 1e-9) + 1


class RecentPosts(NamedTuple):
    """Approved posts' word sets, indexed for one threshold."""

    sets: tuple[frozenset[str], ...]
    by_word: dict[str, tuple[int, ...]]  # word -> posts that keep it (their rarest words)
    threshold: float
    kept: tuple[frozenset[str], ...] = ()  # the words each post keeps in by_word

    @classmethod
    def build(cls, sets: Sequence[frozenset[str]], threshold: float) -> RecentPosts:
        counts = Counter(chain.from_iterable(sets))  # in how many posts each word is
        by_word: dict[str, list[int]] = {}
        kept: list[frozenset[str]] = []
        for post, s in enumerate(sets):
            rarest = sorted(s, key=lambda w: (counts[w], w))
            prefix = rarest[: _prefix_length(len(s), threshold)]
            kept.append(frozenset(prefix))
            for w in prefix:
                by_word.setdefault(w, []).append(post)
        posts_of = {w: tuple(p) for w, p in by_word.items()}
        return cls(tuple(sets), posts_of, threshold, tuple(kept))

    def best_similarity(self, mine: frozenset[str]) -> float:
        """The highest Jaccard index of `mine` with a post that reaches the threshold;
        0.0 when none does."""
        threshold = self.threshold
        if not mine:
            return 0.0
        if threshold <= 0:
            candidates: Sequence[int] | set[int] = range(len(self.sets))
        else:
            candidates = set(chain.from_iterable(filter(None, map(self.by_word.get, mine))))
        best = 0.0
        size = len(mine)
        bound = threshold / (1 + threshold)
        for post in candidates:
            theirs = self.sets[post]
            other = len(theirs)
            if not other:
                continue
            # the Jaccard index is at most small/large: no need to count below the threshold
            if (size / other if size < other else other / size) < threshold:
                continue
            # nor when the words it does not keep cannot make up the rest (module doc): a
            # fifth of its words looked up, not all; the margin only lets more through
            kept = self.kept[post]
            if len(kept & mine) + other - len(kept) < bound * (size + other) - 1e-9:
                continue
            common = len(mine & theirs)
            sim = common / (size + other - common)  # |mine | theirs|, not built
            if sim >= threshold and sim > best:
                best = sim
        return best
