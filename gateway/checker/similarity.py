"""Near-duplicate search: how alike a draft is to the posts approved recently (3(8) spam).

Similarity is the Jaccard index of character 3-grams ("shingles") of the NFKC, lower-cased
text without links, spaces and punctuation. A month of approved posts is dozens of texts,
and every draft is compared with all of them, so the posts are indexed once (per set of
recent posts) for a prefix filter (Bayardo et al., "Scaling up all pairs similarity
search", 2007): order all shingles from rarest to commonest; if J(A, B) >= t then the
|A| - floor(t|A|) + 1 rarest shingles of A and the |B| - floor(t|B|) + 1 rarest of B
share one. Only posts sharing a prefix shingle with the draft are compared in full, so
the result is exactly that of comparing with every post.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

_NOISE_RE = re.compile(r"https?://\S+|[\s\W_]+")


def shingles_of_normalized(norm: str) -> frozenset[str]:
    """The 3-grams of an already NFKC-normalized text."""
    t = _NOISE_RE.sub("", norm.lower())
    return frozenset([t[i : i + 3] for i in range(max(len(t) - 2, 1))])


def shingles(text: str) -> frozenset[str]:
    return shingles_of_normalized(unicodedata.normalize("NFKC", text))


def _prefix_length(size: int, threshold: float) -> int:
    """How many of a set's rarest shingles must meet the other set's (see module doc).
    Rounded towards a longer prefix, which only ever lets more posts through."""
    return size - math.floor(threshold * size - 1e-9) + 1


class RecentPosts(NamedTuple):
    """Approved posts indexed for one threshold."""

    sets: tuple[frozenset[str], ...]
    rank: dict[str, int]  # shingle -> position from rarest (fewest posts) to commonest
    by_prefix_rank: dict[int, tuple[int, ...]]  # rank -> posts whose prefix holds it


@lru_cache(maxsize=8)
def index_posts(texts: tuple[str, ...], threshold: float) -> RecentPosts:
    """Index `texts` (built once: the recent posts are the same for many drafts)."""
    sets = tuple(shingles(t) for t in texts)
    counts: dict[str, int] = {}
    for s in sets:
        for g in s:
            counts[g] = counts.get(g, 0) + 1
    order = sorted(counts, key=lambda g: (counts[g], g))
    rank = {g: r for r, g in enumerate(order)}
    by_prefix: dict[int, list[int]] = {}
    for post, s in enumerate(sets):
        if not s:
            continue
        for r in sorted(map(rank.__getitem__, s))[: _prefix_length(len(s), threshold)]:
            by_prefix.setdefault(r, []).append(post)
    return RecentPosts(sets, rank, {r: tuple(p) for r, p in by_prefix.items()})


def best_similarity(mine: frozenset[str], texts: tuple[str, ...], threshold: float) -> float:
    """The highest Jaccard index of `mine` with a post in `texts` that reaches `threshold`;
    0.0 when none does."""
    if not mine or not texts:
        return 0.0
    if threshold <= 0:
        candidates: list[int] | set[int] = list(range(len(texts)))
        posts = index_posts(texts, 1.0)
    else:
        posts = index_posts(texts, threshold)
        known = sorted(map(posts.rank.__getitem__, mine & posts.rank.keys()))
        unknown = len(mine) - len(known)  # rarest of all: in no post
        need = _prefix_length(len(mine), threshold) - unknown
        if need <= 0:
            return 0.0
        get = posts.by_prefix_rank.get
        candidates = set(chain.from_iterable(filter(None, map(get, known[:need]))))
    best = 0.0
    for post in candidates:
        theirs = posts.sets[post]
        if not theirs:
            continue
        small, large = sorted((len(mine), len(theirs)))
        if small / large < threshold:  # the Jaccard index is at most this: no need to count
            continue
        common = len(mine & theirs)
        sim = common / (len(mine) + len(theirs) - common)  # |mine | theirs|, not built
        if sim >= threshold:
            best = max(best, sim)
    return best
