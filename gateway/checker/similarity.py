"""Near-duplicate search: how alike a draft is to the posts approved recently (3(8) spam).

Similarity is the Jaccard index of the sets of words (Sudachi normalized forms, so that
差し戻し and 差戻し, ｶﾀｶﾅ and カタカナ are one word) of the two texts, punctuation
and links left out. The draft's words come from the tokens the checker has already, so
the comparison costs a set or two, not a pass over the text.

A month of approved posts is dozens of texts, and every draft is compared with all of
them, so the posts are indexed once (per set of recent posts) for a prefix filter
(Bayardo et al., "Scaling up all pairs similarity search", 2007): order all words from
rarest to commonest; if J(A, B) >= t then the |A| - floor(t|A|) + 1 rarest words of A
and the |B| - floor(t|B|) + 1 rarest of B share one. Only posts sharing a prefix word
with the draft are compared in full, so the result is exactly that of comparing with
every post.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import chain, compress
from typing import NamedTuple


def word_set(normalized: Sequence[str], kinds: Sequence[int]) -> frozenset[str]:
    """The words of a run of morphemes (its columns), without punctuation or spaces:
    the forms whose kind (tokenizer.kind_of) is not 0, picked out in C."""
    return frozenset(compress(normalized, kinds))


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest words must meet the other set's (see module doc).
    Rounded towards a longer prefix, which only ever lets more posts through."""
    return size - math.floor(threshold * size - 1e-9) + 1


class RecentPosts(NamedTuple):
    """Approved posts' word sets, indexed for one threshold."""

    sets: tuple[frozenset[str], ...]
    rank: dict[str, int]  # word -> position from rarest (fewest posts) to commonest
    by_prefix_rank: dict[int, tuple[int, ...]]  # rank -> posts whose prefix holds it
    threshold: float

    @classmethod
    def build(cls, sets: Sequence[frozenset[str]], threshold: float) -> RecentPosts:
        counts: dict[str, int] = {}
        for s in sets:
            for w in s:
                counts[w] = counts.get(w, 0) + 1
        order = sorted(counts, key=lambda w: (counts[w], w))
        rank = {w: r for r, w in enumerate(order)}
        by_prefix: dict[int, list[int]] = {}
        for post, s in enumerate(sets):
            if not s:
                continue
            for r in sorted(map(rank.__getitem__, s))[: _prefix_length(len(s), threshold)]:
                by_prefix.setdefault(r, []).append(post)
        by_rank = {r: tuple(p) for r, p in by_prefix.items()}
        return cls(tuple(sets), rank, by_rank, threshold)

    def best_similarity(self, mine: frozenset[str]) -> float:
        """The highest Jaccard index of `mine` with a post that reaches the threshold;
        0.0 when none does."""
        threshold = self.threshold
        if not mine:
            return 0.0
        if threshold <= 0:
            candidates: Sequence[int] | set[int] = range(len(self.sets))
        else:
            known = sorted(map(self.rank.__getitem__, mine & self.rank.keys()))
            unknown = len(mine) - len(known)  # rarest of all: in no post
            need = _prefix_length(len(mine), threshold) - unknown
            if need <= 0:
                return 0.0
            get = self.by_prefix_rank.get
            candidates = set(chain.from_iterable(filter(None, map(get, known[:need]))))
        best = 0.0
        size = len(mine)
        for post in candidates:
            theirs = self.sets[post]
            other = len(theirs)
            if not other:
                continue
            # the Jaccard index is at most small/large: no need to count below the threshold
            if (size / other if size < other else other / size) < threshold:
                continue
            common = len(mine & theirs)
            sim = common / (size + other - common)  # |mine | theirs|, not built
            if sim >= threshold and sim > best:
                best = sim
        return best
