"""For each line of a reply: the longest run of lines from there that we sent, in order.

The reply reader drops the gateway's own text when a client pastes it back unquoted
(gateway.replies): a run of the reply's lines that is a run of lines we sent. Trying
every place a line occurs in what we sent, and extending each, is quadratic: a post of
16,000 identical short lines, pasted back by a reviewer's client, took 34 s to read.
This answers "how long is the longest run starting at reply line k that occurs anywhere
in the sent lines" for every k at once, in time linear in both, with a suffix automaton
over the sent lines read backwards (the matching statistics of the reversed reply).

No library in the dependency set offers a suffix automaton over arbitrary symbols (here,
whole lines); the construction is the textbook one (Blumer et al. 1985), kept short.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence


class _Automaton:
    """Suffix automaton of a symbol sequence: every substring is a path from state 0."""

    __slots__ = ("length", "link", "next")

    def __init__(self, symbols: Sequence[Hashable]) -> None:
        self.next: list[dict[Hashable, int]] = [{}]
        self.link: list[int] = [-1]
        self.length: list[int] = [0]
        last = 0
        for symbol in symbols:
            last = self._extend(last, symbol)

    def _extend(self, last: int, symbol: Hashable) -> int:
        nxt, link, length = self.next, self.link, self.length
        cur = len(nxt)
        nxt.append({})
        link.append(0)
        length.append(length[last] + 1)
        p = last
        while p != -1 and symbol not in nxt[p]:
            nxt[p][symbol] = cur
            p = link[p]
        if p == -1:
            return cur
        q = nxt[p][symbol]
        if length[p] + 1 == length[q]:
            link[cur] = q
            return cur
        clone = len(nxt)
        nxt.append(dict(nxt[q]))
        link.append(link[q])
        length.append(length[p] + 1)
        while p != -1 and nxt[p].get(symbol) == q:
            nxt[p][symbol] = clone
            p = link[p]
        link[q] = link[cur] = clone
        return cur


class Separator:
    """A symbol equal only to itself: sent texts are separated by one each, so that no run
    crosses from one text into the next (no line of a reply can equal it)."""

    __slots__ = ()


def longest_runs(reply: Sequence[Hashable], sent: Sequence[Hashable]) -> list[int]:
    """runs[k]: the largest L such that reply[k:k+L] occurs in `sent` as consecutive items."""
    automaton = _Automaton(list(reversed(sent)))
    nxt, link, length = automaton.next, automaton.link, automaton.length
    runs = [0] * len(reply)
    state, matched = 0, 0
    for k in range(len(reply) - 1, -1, -1):  # the reversed reply, read forwards
        symbol = reply[k]
        while state and symbol not in nxt[state]:
            state = link[state]
            matched = length[state]
        if symbol in nxt[state]:
            state = nxt[state][symbol]
            matched += 1
        else:
            state, matched = 0, 0
        runs[k] = matched
    return runs
