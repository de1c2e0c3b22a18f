"""What the checker asks about each hit costs no more than a lookup, and answers the same.

A draft made of one long sentence full of matches (死ね死ね…, 外国人は出て行け…, links
between hits) once made every hit scan its whole sentence for context words, its whole
line for quote marks and every link of the draft: quadratic, minutes for 100 KB. Now the
answers are kept per (context set, sentence), quote marks and links are found by
bisection. Each shortcut is compared here with the plain computation it replaces.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_checker_corpus import load_corpus

from gateway.checker import CheckContext, Checker
from gateway.checker.checker import _run
from gateway.checker.contexts import ContextSet, _inside_quotes
from gateway.checker.draft import Draft
from gateway.checker.links import LinkSpans
from gateway.checker.listing import EVERYTHING

ROOT = Path(__file__).resolve().parents[2]


def _inside_quotes_by_scanning(text: str, start: int, end: int) -> bool:
    """The plain computation (the checker's before bisection): scan the line."""
    ls = text.rfind("\n", 0, start) + 1
    le = text.find("\n", end)
    if le < 0:
        le = len(text)
    for op, cl in (("「", "」"), ("『", "』"), ("“", "”"), ("〝", "〟"), ("（", "）")):
        o = text.rfind(op, ls, start)
        if o >= 0 and text.find(cl, o + 1, start) < 0 and text.find(cl, end, le) >= 0:
            return True
    q = '"'
    return text.count(q, ls, start) % 2 == 1 and text.find(q, end, le) >= 0


_QUOTE_TEXT = st.text(alphabet=list("「」『』“”〝〟（）\"\nあa "), max_size=40)


@settings(max_examples=400, deadline=None)
@given(text=_QUOTE_TEXT, data=st.data())
def test_quote_test_by_bisection_equals_scanning_the_line(text: str, data) -> None:
    draft = Draft(text, tokens=[])
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert _inside_quotes(draft, start, end) == _inside_quotes_by_scanning(text, start, end)


@settings(max_examples=1500, deadline=None)
@given(text=st.text(alphabet=list("「」『』“”〝〟（）\"\nあa"), max_size=24))
def test_quote_test_from_open_stretches_equals_scanning_the_line_for_every_span(text) -> None:
    """The open stretches are found once per draft: every span of one draft (starts and
    ends on quote marks, past closing marks and across lines among them) is answered as
    scanning its line answers it."""
    draft = Draft(text, tokens=[])
    for start in range(len(text) + 1):
        for end in range(start, len(text) + 1):
            assert _inside_quotes(draft, start, end) == _inside_quotes_by_scanning(
                text, start, end
            ), (start, end)


@pytest.mark.parametrize(
    "unit", ["「死ね」", "『死ね』", "“死ね”", "〝死ね〟", "（死ね）", '"死ね"', "「死ね」と\n", "「「死ね」"]
)
def test_a_flood_of_quoted_places_asks_each_as_scanning_does(unit: str) -> None:
    text = unit * 300
    draft = Draft(text, tokens=[])
    for i in range(0, len(text) - 1):
        assert _inside_quotes(draft, i, i + 2) == _inside_quotes_by_scanning(text, i, i + 2)


_SPANS = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 30)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=8,
)


@settings(max_examples=400, deadline=None)
@given(spans=_SPANS, start=st.integers(0, 90), length=st.integers(0, 20))
def test_link_containment_by_bisection_equals_asking_every_link(spans, start, length) -> None:
    end = start + length
    want = any(s <= start and end <= e for s, e in spans)
    assert LinkSpans(list(spans)).contain(start, end) == want


def _hostile_texts() -> list[str]:
    """Short drafts full of hits in and out of quotes, contexts and links (short: the
    plain computation they are compared with is quadratic)."""
    pieces = [
        "死ね", "「死ね」", "外国人は出て行け", "ばか ", "https://a.jp/ ", "。", "\n",
        "と言われた", "歴史", "注意", "『", "』", "しね", "し〇ね", "男は仕事、女は家庭",
    ]
    rng = random.Random(20261127)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(5, 40))) for _ in range(150)]


def test_context_answers_kept_per_sentence_change_no_finding(checker, monkeypatch) -> None:
    """Every finding of the corpus and of hostile drafts is the same when no answer is
    kept (a fresh memo at every question) as with the answers kept per sentence."""
    cases = [(d.text, d.ctx) for d in load_corpus()]
    cases += [(t, cases[0][1]) for t in _hostile_texts()]
    kept = [checker.check(text, ctx) for text, ctx in cases]
    monkeypatch.setattr(Draft, "context_memo", property(lambda _self: {}))
    fresh = [checker.check(text, ctx) for text, ctx in cases]
    assert kept == fresh
    assert sum(len(f) for f in kept) > 500  # the comparison saw many findings


def test_a_long_sentence_of_hits_reads_its_sentence_once_per_context(
    checker, monkeypatch
) -> None:
    """500 hits in one sentence, every one weighed (no listing cap): the sentence's
    tokens are read once per context set asked, not once per hit (a count of the work,
    not a timing)."""
    calls = 0
    present_in = ContextSet._present_in

    def counting(self, draft, start, end):
        nonlocal calls
        calls += 1
        return present_in(self, draft, start, end)

    monkeypatch.setattr(ContextSet, "_present_in", counting)
    findings = _run(checker._rules, Draft("死ね" * 500), CheckContext(), EVERYTHING)
    hits = len(findings)
    assert hits >= 500
    assert calls < 20, f"{calls} reads of the sentence for {hits} hits"


def _present_by_tokens(cs: ContextSet, draft: Draft, s: int, e: int) -> bool:
    """The plain computation the column slices replace: every token object of the span."""
    if cs.scope != "draft" and cs.words:
        for t in draft.tokens_in(s, e):
            if t.normalized in cs.words or t.dictionary_form in cs.words:
                return True
    elif cs.scope == "draft" and cs.words and draft.has_lemma(cs.words):
        return True
    return bool(cs.pattern and cs.pattern.search(draft.text, s, e))


def test_context_words_by_column_slices_equal_reading_every_token(checker) -> None:
    """Whether a context set's words stand in a span, asked of column slices in C, is the
    answer reading the span's tokens one by one gives, for every span of a sample."""
    sets = {id(c): c for r in checker.rules for c in (*r.unless, *r.soften)}
    assert sets
    rng = random.Random(7)
    texts = [d.text for d in load_corpus()][:80] + _hostile_texts()[:40]
    asked = differ = 0
    for text in texts:
        draft = Draft(text)
        n = len(text)
        for _ in range(6):
            s = rng.randint(0, n)
            e = rng.randint(s, n)
            for cs in sets.values():
                asked += 1
                differ += cs._present_in(draft, s, e) != _present_by_tokens(cs, draft, s, e)
    assert asked > 1000
    assert differ == 0


def _folded_by_every_character(norm: str) -> tuple[str, list[int] | None]:
    """The plain computation Folded replaced: a keep flag per character."""
    from gateway.checker.fold import _HIDDEN, _INVISIBLE, _spaced_ja, _spaced_japanese

    if _HIDDEN.search(norm) is None and not _spaced_japanese(norm):
        return norm, None
    keep = [ch not in _INVISIBLE for ch in norm]
    visible = "".join(ch for ch, k in zip(norm, keep, strict=True) if k)
    vis_idx = [i for i, k in enumerate(keep) if k]
    for m in _spaced_ja().finditer(visible):
        for k in range(m.start(1), m.end(1)):
            keep[vis_idx[k]] = False
    kept = [i for i, k in enumerate(keep) if k]
    return "".join(norm[i] for i in kept), [*kept, len(norm)]


_FOLD_TEXT = st.text(alphabet=list("ばかしね死 　a1\u200b\u200d\u2060\ufe0f\u202e。"), max_size=40)


@settings(max_examples=500, deadline=None)
@given(norm=_FOLD_TEXT)
def test_folding_by_removed_runs_equals_a_flag_per_character(norm: str) -> None:
    """Folded (invisible characters and spaces inside Japanese words removed, built from
    the removed positions) gives the text and offsets the per-character loop gave."""
    from gateway.checker.fold import Folded

    folded = Folded(norm)
    assert (folded.text, folded._map) == _folded_by_every_character(norm)


def test_a_regex_rule_runs_when_one_of_its_alternatives_has_its_words(checker) -> None:
    """The per-alternative test never skips a draft its regex matches: every regex rule
    over the corpus, hostile drafts and every rule's own examples (a match found means
    some alternative passed its clauses)."""
    from gateway.checker.engine import RegexRule
    from gateway.checker.prefilter import passes

    rules = [r for r in checker.rules if isinstance(r, RegexRule) and r.branches]
    assert any(r.id == "hate-generalisation" for r in rules)
    texts = [d.text for d in load_corpus()] + _hostile_texts()
    texts += [t for r in checker.rules for t, _ in (*r.examples_match, *r.examples_no_match)]
    matched = 0
    for text in texts:
        norm = Draft(text, tokens=[]).norm
        for r in rules:
            if r.regex.search(norm):
                matched += 1
                assert any(passes(b, norm) for b in r.branches), (r.id, text[:60])
    assert matched > 50
    flood = Draft("外国人 " * 2000, tokens=[])
    hate = next(r for r in rules if r.id == "hate-generalisation")
    assert not any(passes(b, flood.norm) for b in hate.branches)  # skipped: no tail word


def test_alternatives_split_only_at_the_top_level() -> None:
    import re

    from gateway.checker.engine import branch_clauses

    got = branch_clauses(re.compile(r"外国(人|籍)は[|]出て|在日\|X|(?:難民)[^|]{0,3}帰れ"))
    words = [{w for clause in b for w in clause} for b in got]
    assert len(got) == 3  # no split at a | inside (), [] or escaped
    assert {"外国", "は|出て"} <= words[0] and "在日|X" in words[1]
    assert {"難民", "帰れ"} <= words[2]
    assert branch_clauses(re.compile(r"(?i)abc|def")) == ()  # global flags: not split
    assert branch_clauses(re.compile(r"abc|.*")) == ()  # an alternative matching anything


def _may_hold_tld_label_by_label(text: str, start: int, end: int) -> bool:
    """The plain computation: each label after a dot, looked up one by one."""
    import re

    from gateway.checker.xtext_parts import _tlds

    tlds, longest = _tlds()
    for m in re.finditer(r"\.(?:([0-9A-Za-z]++)(?![@+\-])|([^\x00-\x7f][^.]*))", text[:end]):
        if m.start() < start:
            continue
        head, foreign = m.group(1, 2)
        if head is not None and head.lower() in tlds:
            return True
        if foreign is not None and any(  # as _tld_end tries it: every start of the label
            foreign[:i].lower() in tlds for i in range(1, longest + 1)
        ):
            return True
    return re.compile(r"\.xn--", re.I).search(text, start, end) is not None


_HOST_TEXT = st.lists(
    st.sampled_from(["a", "10", ".", "-", "@", "+", "jp", "COM", "あ", "xn--", "_", "1",
                     "〇", "コ", "コム", "ム", "中国", "РФ", "рф", "\u212a", "r", "İ", "Σ", "ΕΛ"]),
    max_size=16,
).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text=_HOST_TEXT, data=st.data())
def test_tld_test_as_one_set_operation_equals_label_by_label(text: str, data) -> None:
    from gateway.checker.xtext_parts import _may_hold_tld

    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert _may_hold_tld(text, start, end) == _may_hold_tld_label_by_label(text, start, end)
    if not _may_hold_tld(text, 0, len(text)):  # no label of the run is a TLD's start
        from gateway.checker.xtext_parts import _Run

        table = _Run(text, 0, len(text))
        assert table.tld[1:] == [-1] * (len(table.starts) - 1), text


_HOSTS = st.lists(
    st.sampled_from(["a", ".", "-", "ero", "av", "sex", "y", "hot", "girl", "s", "xx", "X",
                     "porn", "adu", "lt", "ſ", "k", "é", "1", "nude", "deai"]),
    max_size=12,
).map("".join)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(host=_HOSTS)
def test_host_keyword_clauses_never_skip_a_host_the_keywords_match(checker, host) -> None:
    """The keyword test that skips most hosts passes every host the case-blind keyword
    regex matches (link-obscene-suspect's own keywords; hosts as _urls makes them)."""
    from gateway.checker.links import _may_name_keyword

    opts = checker.rule("link-obscene-suspect").settings
    assert opts.keyword_clauses  # the test is not empty
    host = host.lower()
    if opts.host_keywords.search(host):
        assert _may_name_keyword(host, opts), host


_RUN_TEXT = st.text(
    alphabet=st.sampled_from(
        list("!'#%&()*+,\\-./:;<=>?@[]^_{|}~$ \t\n\u3000\u00a0\u202e\u200f\ufeffaZ9あ-_.")
    ),
    max_size=30,
)


@settings(max_examples=1500, deadline=None)
@given(text=_RUN_TEXT)
def test_host_runs_as_one_class_equal_the_two_class_alternation(text: str) -> None:
    import re

    from gateway.checker.xtext_parts import _NOT_DOMAIN, _RUN_RE

    two_classes = re.compile(f"(?:[^{_NOT_DOMAIN}]|[_.-])+")
    assert [m.span() for m in _RUN_RE.finditer(text)] == [
        m.span() for m in two_classes.finditer(text)
    ]


def _spaced_japanese_space_by_space(text: str) -> bool:
    """The plain computation: every space, its letters asked one by one."""
    from gateway.checker.fold import OTHER, script

    i = text.find(" ")
    n = len(text)
    while i >= 0:
        j = i + 1 if i + 1 < n and text[i + 1] != " " else i + 2
        if i > 0 and j < n and script(text[i - 1]) != OTHER and script(text[j]) != OTHER:
            return True
        i = text.find(" ", j)
    return False


@settings(max_examples=1500, deadline=None)
@given(text=st.text(alphabet=list("  ばカ死aé。ｶ・\u3000/"), max_size=14))
def test_spaced_words_found_in_c_equal_asking_every_space(text: str) -> None:
    from gateway.checker.fold import _spaced_japanese

    assert _spaced_japanese(text) == _spaced_japanese_space_by_space(text)


# --- the token index's per-place shortcuts ---


def _accepts_plain(el, cols, i: int) -> bool:
    """Element.accepts before its set of first POS fields: every prefix compared."""
    from gateway.checker.engine import DICTIONARY, NORMALIZED, SURFACE

    if el.forms is not None and not (
        (el.cols & SURFACE and cols.surfaces[i] in el.forms)
        or (el.cols & DICTIONARY and cols.dictionary_forms[i] in el.forms)
        or (el.cols & NORMALIZED and cols.normalized[i] in el.forms)
    ):
        return False
    forms = (cols.normalized[i], cols.dictionary_forms[i], cols.surfaces[i])
    if el.not_forms and any(f in el.not_forms for f in forms):
        return False
    pos = cols.pos[i]
    if el.pos and not any(pos[: len(p)] == p for p in el.pos):
        return False
    return not (el.conj and not any(pos[5].startswith(c) for c in el.conj))


def _token_matches_plain(checker: Checker, draft: Draft) -> list[tuple[str, int, int]]:
    """Every token pattern tried at every morpheme whose forms key it, each pattern once
    per morpheme, through _match_pattern, and its place judged by inside_word on offsets
    (bisections): no memo of a word's candidates, no one-element shortcut."""
    from gateway.checker.engine import _match_pattern
    from gateway.checker.fold import inside_word

    index = checker._rules.index
    cols, begins = draft.columns, draft.token_starts
    out = []
    for i in range(len(cols.ends)):
        seen = set()
        for form in {cols.normalized[i], cols.dictionary_forms[i], cols.surfaces[i]}:
            for rule, pat, *_ in index.by_form.get(form, ()):
                if id(pat) in seen:
                    continue
                seen.add(id(pat))
                j = _match_pattern(pat, cols, i)
                if j <= i:
                    continue
                first = pat[1] if pat[0].behind else pat[0]
                start, end = begins[i], cols.ends[j - 1]
                if first.compound == "any" or not inside_word(draft, start, end, first.compound):
                    out.append((rule.id, start, end))
    return sorted(out)


def test_token_index_matches_equal_trying_every_keyed_pattern_plainly(
    checker, monkeypatch
) -> None:
    """The index's matches (candidates remembered per word, a one-element pattern as one
    accepts, POS heads as a set, a place judged on token indices) are the plain ones, on
    the corpus and on hostile drafts full of hits."""
    from gateway.checker.engine import Element

    texts = [d.text for d in load_corpus()] + _hostile_texts()
    drafts = [Draft(t) for t in texts]
    fast = [
        sorted((r.id, h.start, h.end) for r, h in checker._rules.index._run_keyed(
            d, d.columns, checker._rules.index.starts(d.columns), None, {}
        ))
        for d in drafts
    ]  # fmt: skip
    monkeypatch.setattr(Element, "accepts", _accepts_plain)
    plain = [_token_matches_plain(checker, d) for d in drafts]
    assert fast == plain
    assert sum(map(len, fast)) > 1000  # the comparison saw many matches


def test_a_place_judged_on_token_indices_equals_inside_word_on_offsets() -> None:
    """tokens_inside_word(i, j) is inside_word on the offsets of tokens i … j, for every
    run of one to three tokens of the corpus and hostile drafts, each compound kind."""
    from gateway.checker.fold import inside_word, tokens_inside_word

    asked = 0
    for text in [d.text for d in load_corpus()][:120] + _hostile_texts()[:60]:
        draft = Draft(text)
        begins, ends = draft.token_starts, draft.columns.ends
        for i in range(len(ends)):
            for j in range(i, min(i + 3, len(ends))):
                for compound in ("none", "prefix", "suffix", "any"):
                    asked += 1
                    assert tokens_inside_word(draft, i, j, compound) == inside_word(
                        draft, begins[i], ends[j], compound
                    ), (text, i, j, compound)
    assert asked > 10_000


def test_every_hit_from_an_offset_equals_every_hit_cut_there(checker) -> None:
    """A rule not decided at its cutoff has its matches generated again from the cutoff
    only: from that offset on they are those of a generation from the beginning."""
    from gateway.checker.checker import _every_hit

    ctx = CheckContext()
    rules = [checker.rule("public-order-violence"), checker.rule("insult-words")]
    rng = random.Random(11)
    compared = 0
    for text in _hostile_texts()[:60]:
        draft = Draft(text)
        for rule in rules:
            every = sorted(_every_hit(checker._rules, rule, draft, ctx))
            for since in {0, len(text) // 3, rng.randint(0, len(text)), len(text)}:
                part = sorted(_every_hit(checker._rules, rule, Draft(text), ctx, since))
                assert [h for h in part if h.start >= since] == [
                    h for h in every if h.start >= since
                ]
                compared += 1
    assert compared > 200


def test_context_prefilter_as_one_regex_per_clause_equals_passes(checker) -> None:
    """Whether a draft has the strings a context pattern needs, asked with one regex of
    each clause's strings, is what `passes` (a scan per string) answers."""
    from gateway.checker.contexts import _any_of
    from gateway.checker.prefilter import passes, required_strings_of

    sets = {id(c): c for r in checker.rules for c in (*r.unless, *r.soften) if c.pattern}
    assert sets
    texts = [d.text for d in load_corpus()] + _hostile_texts()
    yes = 0
    for cs in sets.values():
        clauses = required_strings_of(cs.pattern.pattern, cs.pattern.flags)
        for text in texts:
            got = all(_any_of(clause).search(text) for clause in clauses)
            assert got == passes(clauses, text), (cs.name, text[:40])
            yes += got
    assert 0 < yes < len(sets) * len(texts)  # both answers were seen
    assert _any_of(()).search("abc") is None and not passes(((),), "abc")
