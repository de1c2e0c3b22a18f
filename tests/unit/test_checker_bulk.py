"""Per-place and per-link work done in bulk answers as the plain computation does.

A draft of links to thousands of hosts, or a flood of one quoted word, costs the checker
a few Python steps per place; several of those steps are now maps over all places or
hosts in C, or a draft-level test that spares them. Each shortcut is compared here with
the plain computation it replaces, on drafts built from the pieces that decide it.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_checker_hitpath import _token_matches_plain

from gateway.checker import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.links import (
    _IPV4_RE,
    _domain_in,
    _may_name_keyword,
    _urls,
    find_link_hygiene,
    find_obscene_link,
)

# --- link detectors: hosts decided by maps over the distinct hosts ---

_PROTOCOLS = ["https://", "http://", "HTTP://", "www.", "https://www.", ""]
_HOST_LABELS = ["a", "town", "tatsuno", "lg", "jp", "com", "sex", "xxx", "adult", "porn",
                "ero", "av", "Hot-Girls", "bit", "ly", "203", "0", "113", "50", "xn--p1ai",
                "例え", "ſex", "hot-gırls", "ıt", "K", "evil", "example", "co"]  # fmt: skip
_AFTER = ["", "/", "/x", ":8080/a", "@b.jp/", ".", "?q=1"]
_BETWEEN = [" ", " 死ね ", "、", "\n", "「", "」"]


@st.composite
def _link_drafts(draw) -> str:
    out = []
    for _ in range(draw(st.integers(1, 8))):
        labels = draw(st.lists(st.sampled_from(_HOST_LABELS), min_size=1, max_size=4))
        out.append(draw(st.sampled_from(_PROTOCOLS)) + ".".join(labels))
        out.append(draw(st.sampled_from(_AFTER)) + draw(st.sampled_from(_BETWEEN)))
    return "".join(out)


_CONTEXTS = [
    CheckContext(),
    CheckContext(office_domains=("town.tatsuno.lg.jp", "sex.jp")),
    CheckContext(office_domains=("a.jp",), link_blocklist=("example.com", "例え.jp")),
    CheckContext(link_blocklist=("evil.xxx.",)),
]


def _plain_obscene(draft: Draft, ctx: CheckContext, opts) -> list[tuple[int, int]]:
    """find_obscene_link as it was: every link's host asked on its own."""
    block = opts.blocklist + ctx.link_blocklist
    out = []
    for s, e, _url, _scheme, host in _urls(draft):
        if _domain_in(host, ctx.office_domains):
            continue
        if (
            host.endswith(opts.tlds)
            or (_may_name_keyword(host, opts) and opts.host_keywords.search(host))
            or _domain_in(host, block)
        ):
            out.append((s, e))
    return out


def _plain_hygiene(draft: Draft, ctx: CheckContext, shorteners) -> list[tuple[int, int, str]]:
    """find_link_hygiene as it was: every link asked on its own."""
    out = []
    for s, e, _url, scheme, host in _urls(draft):
        why = None
        if _domain_in(host, ctx.office_domains) and scheme != "http":
            why = None
        elif _domain_in(host, shorteners):
            why = "short"
        elif _IPV4_RE.match(host):
            why = "ip"
        elif "xn--" in host:
            why = "puny"
        elif scheme == "http":
            why = "http"
        if why is not None:
            out.append((s, e, why))
    return out


_WHY = {"短縮": "short", "IP": "ip", "punycode": "puny", "http": "http"}


def _why(message: str) -> str:
    return next(v for k, v in _WHY.items() if k in message)


@settings(max_examples=700, deadline=None)
@given(text=_link_drafts(), ctx=st.sampled_from(_CONTEXTS))
@example(text="https://hot-girls.example.jp/ 死ね https://sex.jp/", ctx=_CONTEXTS[1])
@example(text="www.ſex.jp/ https://hot-gırls.jp/ http://203.0.113.50/", ctx=_CONTEXTS[0])
def test_hosts_decided_in_bulk_equal_asking_every_link(checker, text: str, ctx) -> None:
    """Both link-obscene rules and link-hygiene: the same links, with the same reason,
    as asking every link's host on its own (the draft's text decides whether ASCII
    hosts are asked for keywords at all); with the maps used from one link on, and as
    the checker runs them (from BULK_LINKS links on)."""
    from gateway.checker import links

    draft = Draft(text)
    shorteners = checker.rule("link-hygiene").settings
    for bulk in (1, links.BULK_LINKS):
        links.BULK_LINKS, kept = bulk, links.BULK_LINKS
        try:
            for rule_id in ("link-obscene", "link-obscene-suspect"):
                opts = checker.rule(rule_id).settings
                got = [(h.start, h.end) for h in find_obscene_link(draft, ctx, opts)]
                assert got == _plain_obscene(draft, ctx, opts), rule_id
            got_h = [
                (h.start, h.end, _why(h.fields["why"]))
                for h in find_link_hygiene(draft, ctx, shorteners)
            ]
            assert got_h == _plain_hygiene(draft, ctx, shorteners)
        finally:
            links.BULK_LINKS = kept


def test_a_keyword_host_in_a_draft_without_the_keywords_elsewhere_is_still_found(checker) -> None:
    """The draft-level keyword test reads the lower-cased text: an upper-case or
    non-ASCII spelling of a keyword host is still asked (and found)."""
    opts = checker.rule("link-obscene-suspect").settings
    for text in ("こちら https://HOT-GIRLS.example.jp/", "https://例え.porn.jp/ へ"):
        assert [h.start for h in find_obscene_link(Draft(text), CheckContext(), opts)], text
    assert re.search("porn", "例え.porn.jp")


# --- a quoted flood's places counted without weighing each (listing._count_quoted) ---

_QUOTED_PIECES = ['"死ね"', "「死ね」", "『ばか』", "死ね", "ばか", "ばかでかい", "「ばか」でかい",
                  '"ばか', "「死ね", "」", '"', "\n", "。", "https://a.jp/死ね ", "www.a.jp/x ",
                  "「死ね」と言われた", "「外国人は出て行け」", "「注意」", "あ", "馬鹿馬鹿しい",
                  '"バ カ高い"', "「ば か力」", "「ば〇か」", "「死ね」」", "「外国人」は出て行け",
                  '"https://a.jp/死ね"', "「https://a.jp/死ね」", "「殺すぞ」", "『ばかやろう』", "「外国人は出て行け」"]  # fmt: skip


@st.composite
def _quoted_floods(draw) -> str:
    """A flood of one quoted piece with other pieces between (unquoted places, open or
    stray quote marks, line ends, links, words that must not follow), repeated past
    the listing's caps."""
    flood = draw(st.sampled_from(_QUOTED_PIECES[:3] + _QUOTED_PIECES[-10:]))
    parts = draw(
        st.lists(
            st.one_of(st.just(flood), st.sampled_from(_QUOTED_PIECES)), min_size=1, max_size=12
        )
    )
    return "".join(parts) * draw(st.integers(1, 6))


@settings(max_examples=300, deadline=None)
@given(text=_quoted_floods(), listed=st.integers(1, 3), weighed=st.sampled_from([2, 5, None]))
@example(text='"死ね"' * 30 + "死ね", listed=2, weighed=None)
@example(text="「死ね」" * 20 + "「死ね\n" + "「死ね」" * 5, listed=1, weighed=5)
@example(text='"死ね"https://a.jp/死ね "死ね"' * 5, listed=1, weighed=None)
@example(text="『ばか』でかい" * 9 + "『ばか』" * 9, listed=2, weighed=None)
@example(text="「死ね」" * 5 + "「死ね", listed=1, weighed=None)
@example(text="『ばかやろう』" * 5, listed=1, weighed=None)
def test_quoted_places_counted_in_bulk_equal_weighing_each(
    checker, text: str, listed: int, weighed: int | None
) -> None:
    """An error rule's places inside quotes, once its warnings are listed in full, are
    counted by one tight loop: the findings (listed ones, severities and the counts of
    those left out) are those of weighing each place through the whole loop."""
    from gateway.checker import listing
    from gateway.checker.checker import _run
    from gateway.checker.listing import Listing

    cap = Listing(listed=listed, weighed=weighed)
    ctx = CheckContext(platform="blog")
    fast = _run(checker._rules, Draft(text), ctx, cap)
    listing.COUNT_QUOTED = False
    try:
        plain = _run(checker._rules, Draft(text), ctx, cap)
    finally:
        listing.COUNT_QUOTED = True
    assert fast == plain


def test_a_quoted_flood_is_counted_in_bulk(checker, monkeypatch) -> None:
    """The bulk count is what the default listing uses on a quoted flood (the test
    above would pass with the shortcut never taken)."""
    from gateway.checker import listing

    calls = []
    real = listing._count_quoted
    monkeypatch.setattr(listing, "_count_quoted", lambda *a: calls.append(1) or real(*a))
    found = [f for f in checker.check('"死ね"' * 300) if f.rule == "public-order-violence"]
    assert calls and found[-1].omitted == 300 - listing.LISTING.listed


# --- a token match's neighbours decided by their surface (token_index._Edges) ---

_NEIGHBOURS = ["アニメ", "ゲーム", "釣り", "親", "米軍", "ほんと", "ども", "野郎", "海", "日誌",
               "、", "」", "「", " ", "\u3000", "1", "a", "ー", "々", "ｶﾞ", "は", "を", "だ",
               "選手", "😀", "\n", "カ", "〇"]  # fmt: skip
_TOKEN_WORDS = ["バカ", "ばか", "死ね", "シナ", "クソ", "殺す", "基地外", "チョン", "アホ",
                "外国人は出て行け", "ばかやろう", "死ねよ"]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    parts=st.lists(
        st.tuples(st.sampled_from(_NEIGHBOURS), st.sampled_from(_TOKEN_WORDS)),
        min_size=1,
        max_size=8,
    ),
    last=st.sampled_from(_NEIGHBOURS),
)
@example(parts=[("アニメ", "バカ"), ("、", "シナ")], last="海")
@example(parts=[("釣り", "バカ"), ("ほんと", "バカ")], last="日誌")
def test_neighbours_decided_by_surface_equal_judging_each_place(checker, parts, last) -> None:
    """The token index's matches, where a place between neighbours that cannot continue
    a word (by their edge letters) is taken without the compound test, are the plain
    ones (every keyed pattern tried, each place judged by inside_word), with every kind
    of neighbour on both sides of every kind of word."""
    draft = Draft("".join(a + b for a, b in parts) + last)
    index = checker._rules.index
    fast = sorted(
        (r.id, h.start, h.end)
        for r, h in index._run_keyed(draft, draft.columns, index.starts(draft.columns), None, {})
    )
    assert fast == _token_matches_plain(checker, draft)


def test_index_starts_picked_from_one_list_equal_testing_every_morpheme(checker) -> None:
    """The morphemes a token pattern may start at, picked per column in C from one list
    of indices, are those with a form that keys the index, in order, each once: for
    the whole rule set and for single rules, on the corpus and on floods whose key is
    in one, two or three columns."""
    from test_checker_corpus import load_corpus

    texts = [d.text for d in load_corpus()]
    texts += ['"死ね"' * 40, "『ばか』" * 30, "www.a.jp/x ばか " * 20, "馬鹿ばかバカ" * 9, "あ"]
    indexes = [checker._rules.index] + [
        checker._rules.index_of(checker.rule(r)) for r in ("insult-words", "hate-speech")
    ]
    picked = 0
    for text in texts:
        cols = Draft(text).columns
        for index in indexes:
            plain = [
                i
                for i in range(len(cols.ends))
                if {cols.normalized[i], cols.dictionary_forms[i], cols.surfaces[i]} & index.forms
            ]
            assert index.starts(cols) == plain, text[:40]
            picked += len(plain)
    assert picked > 1000


@settings(max_examples=200, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(
            ["ばか", "バカ", "アホ", "デカい", "高い", "丁寧", "マジ", "まじ", "。", " ", "力"]
        ),
        min_size=1,
        max_size=10,
    ),
    end_ok=st.booleans(),
)
def test_a_look_ahead_answer_kept_per_next_word_equals_matching_it(checker, words, end_ok) -> None:
    """A pattern of a word and one look-ahead element (ばか, not でかい) has the
    look-ahead's answer kept per element and next word: its matches are the plain ones,
    at the end of the text too, for a look-ahead that accepts the end and one that
    does not (the shipped rules' all do)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from gateway.checker.token_index import TokenIndex

    rule = checker.rule("insult-words")
    patterns = tuple(
        (p[0], replace(p[1], end_ok=end_ok)) if len(p) == 2 and p[1].ahead else p
        for p in rule.patterns
    )
    assert sum(len(p) == 2 and p[1].ahead for p in patterns) > 10
    index = TokenIndex([replace(rule, patterns=patterns)])
    draft = Draft("".join(words))
    fast = sorted(
        (r.id, h.start, h.end)
        for r, h in index._run_keyed(draft, draft.columns, index.starts(draft.columns), None, {})
    )
    plain = _token_matches_plain(SimpleNamespace(_rules=SimpleNamespace(index=index)), draft)
    assert fast == plain
