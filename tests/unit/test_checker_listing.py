"""A rule that matches in many places lists its first ones and counts the rest, and
never loses its worst severity (gateway.checker.listing).

Each capped check is compared with the same check weighing and listing everything
(listing.EVERYTHING), over the corpus and over hostile drafts built the way floods
really come: a pasted page of one insult, quoted and unquoted mixed, links between
hits, spelled and spaced variants. A small listing (2 listed, 3 weighed) makes short
drafts cross every limit, including the regeneration of a rule not yet decided.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import replace

import pytest
from test_checker_corpus import load_corpus

from gateway.checker import CheckContext, Checker
from gateway.checker.checker import _run
from gateway.checker.draft import Draft
from gateway.checker.listing import EVERYTHING, LISTING, Listing
from gateway.checker.report import format_json, format_text
from gateway.mail_samples import _new
from gateway.model import Finding, Severity
from gateway.render import render_body
from gateway.workflow import Policy, on_new_draft

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
SMALL = Listing(listed=2, weighed=3)


def _worst(findings: list[Finding]) -> dict[str, Severity]:
    worst: dict[str, Severity] = {}
    for f in findings:
        if f.rule not in worst or RANK[f.severity] > RANK[worst[f.rule]]:
            worst[f.rule] = f.severity
    return worst


def _by_key(findings: list[Finding]) -> dict[tuple[str, Severity], list[Finding]]:
    out: dict[tuple[str, Severity], list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.rule, f.severity].append(f)
    return out


def _plain(findings: list[Finding]) -> list[Finding]:
    return [replace(f, omitted=0, omitted_at_least=False) for f in findings]


def _check_listing(checker: Checker, text: str, ctx: CheckContext, listing: Listing) -> int:
    """Assert what a listing promises for one draft; return how many places it left out."""
    full = _run(checker._rules, Draft(text), ctx, EVERYTHING)
    cut = _run(checker._rules, Draft(text), ctx, listing)
    assert _worst(cut) == _worst(full), text[:80]
    full_by, cut_by = _by_key(full), _by_key(cut)
    left_out = 0
    for (rule_id, severity), mine in cut_by.items():
        everything = full_by[rule_id, severity]
        assert len(mine) <= listing.listed
        assert _plain(mine) == everything[: len(mine)], (rule_id, text[:80])  # the first ones
        assert all(f.omitted == 0 and not f.omitted_at_least for f in mine[:-1])
        omitted, at_least = mine[-1].omitted, mine[-1].omitted_at_least
        left_out += omitted
        top = checker.rule(rule_id).severity
        decided = len(cut_by.get((rule_id, top), ())) >= listing.listed
        if severity is top:
            assert len(mine) == min(listing.listed, len(everything))
            if not at_least:  # every further place counted (weighed or not)
                assert len(mine) + omitted >= len(everything), (rule_id, text[:80])
            if len(everything) > len(mine):
                assert omitted > 0 or at_least
        elif not decided:  # weighed one by one to the end: an exact count
            assert len(mine) + omitted == len(everything), (rule_id, text[:80])
            assert not at_least
        else:
            assert len(mine) + omitted <= len(everything)
    for key in full_by:  # a severity is listed whenever the rule has
        if key not in cut_by:  # it, unless the rule was decided at a worse one first
            rule_id, severity = key
            top = checker.rule(rule_id).severity
            assert severity is not top and len(cut_by.get((rule_id, top), ())) == listing.listed
    return left_out


def test_corpus_drafts_are_listed_whole_by_default(checker) -> None:
    """Real posts never reach the listing's limits: every finding is the same as when
    everything is weighed and listed, and nothing says it was left out."""
    cases = load_corpus()
    assert len(cases) >= 200
    for case in cases:
        cut = _run(checker._rules, Draft(case.text), case.ctx, LISTING)
        assert cut == _run(checker._rules, Draft(case.text), case.ctx, EVERYTHING), case.text[:60]
        assert not any(f.omitted or f.omitted_at_least for f in cut)


@pytest.mark.parametrize("listing", [Listing(listed=1, weighed=1), SMALL])
def test_corpus_with_a_small_listing_keeps_worst_severity_and_first_findings(
    checker, listing
) -> None:
    left_out = sum(_check_listing(checker, c.text, c.ctx, listing) for c in load_corpus())
    if listing.listed == 1:
        assert left_out > 0  # the listing did cut some lists


def _hostile_drafts(seed: int, count: int) -> list[str]:
    """Floods of matches as they come: one insult pasted over and over, quoted and
    unquoted mixed (an error rule whose first places are softened), hits between links,
    spaced and spelled variants, history and prevention words that soften a sentence."""
    pieces = [
        "死ね",
        "「死ね」",
        "『死ね』",
        "外国人は出て行け",
        "ばか ",
        "バカ、",
        "https://a.jp/ ",
        "。",
        "\n",
        "と言われた",
        "歴史",
        "注意",
        "しね",
        "し〇ね",
        "氏ね",
        "らしい",
        "090-1234-5678 ",
        "パスワード: abc123 ",
        "男は仕事、女は家庭",
        "あ",
    ]
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        flood = rng.choice(pieces)
        parts = [
            rng.choice(pieces) if rng.random() < 0.3 else flood for _ in range(rng.randint(3, 30))
        ]
        out.append("".join(parts))
    return out


def test_hostile_drafts_keep_worst_severity_and_first_findings(checker) -> None:
    ctx = CheckContext(platform="blog")
    left_out = 0
    for text in _hostile_drafts(20261127, 250):
        left_out += _check_listing(checker, text, ctx, SMALL)
    assert left_out > 200


def test_hostile_drafts_with_the_default_listing(checker) -> None:
    ctx = CheckContext(platform="blog")
    for text in _hostile_drafts(12, 40):
        _check_listing(checker, text * 40, ctx, LISTING)


def test_an_error_after_a_thousand_softened_places_is_kept(checker) -> None:
    """An error rule whose first 1,200 places are quoted (warnings) and whose last is
    not: the last is an error, found past every generator's limit."""
    text = "「死ね」" * 1200 + "\n死ね"
    found = [f for f in checker.check(text) if f.rule == "public-order-violence"]
    errors = [f for f in found if f.severity is Severity.ERROR]
    warnings = [f for f in found if f.severity is Severity.WARNING]
    assert len(errors) == 1 and errors[0].line == 2
    assert len(warnings) == LISTING.listed
    assert warnings[-1].omitted == 1200 - LISTING.listed and not warnings[-1].omitted_at_least


def test_a_flood_is_listed_at_its_first_places_and_counted(checker) -> None:
    """A sentence of 3,000 insults: the first 20 listed, the rest counted up to where
    the generators stopped, said as "at least"."""
    found = [f for f in checker.check("死ね" * 3000) if f.rule == "public-order-violence"]
    assert [f.column for f in found] == [1 + 2 * k for k in range(LISTING.listed)]
    assert all(f.severity is Severity.ERROR for f in found)
    last = found[-1]
    assert last.omitted_at_least
    assert LISTING.listed < last.omitted + LISTING.listed <= 3000
    assert last.omitted >= LISTING.weighed - LISTING.listed - 1


def test_json_and_text_show_how_many_places_were_left_out(checker) -> None:
    findings = checker.check("ばか " * 100)
    mine = [f for f in findings if f.rule == "insult-words"]
    assert len(mine) == LISTING.listed
    cut = mine[-1]
    assert cut.omitted == 100 - LISTING.listed and not cut.omitted_at_least
    shown = json.loads(format_json(findings))["findings"]
    with_count = [f for f in shown if "omitted" in f]
    assert [f["omitted"] for f in with_count] == [f.omitted for f in findings if f.omitted]
    assert all(set(f) <= {*shown[0], "omitted", "omitted_at_least"} for f in shown)
    plain = [f for f in shown if "omitted" not in f]
    assert all("omitted_at_least" not in f for f in plain)
    assert "同じ規則に当たるところがほかに 80 か所あります" in format_text(findings, "draft.txt")


def test_json_says_at_least_when_counting_stopped(checker) -> None:
    shown = json.loads(format_json(checker.check("死ね" * 3000)))["findings"]
    cut = [f for f in shown if f.get("omitted_at_least")]
    assert cut and all(f["omitted"] > 0 for f in cut)


def test_the_returned_mail_says_how_many_more_places(checker) -> None:
    """The author's returned mail lists 20 places and says how many more there are,
    instead of thousands of lines."""
    findings = checker.check("死ね。" * 1500)
    policy = Policy(
        accounts={"辰野町公式X": ("kacho@town.example.jp", "kakaricho@town.example.jp")}
    )
    outcome = on_new_draft(
        _new("死ね。" * 1500, account="辰野町公式X", findings=findings), None, "D-000050", policy
    )
    (spec,) = [m for m in outcome.mails if m.status == "rejected"]
    body = render_body(spec.status, spec.context)
    assert body.count("【要修正】") <= LISTING.listed + 2
    cut = next(f for f in findings if f.omitted and f.severity is Severity.ERROR)
    assert f"同じ規則に当たるところがほかに {cut.omitted:,} か所" in body


@pytest.mark.parametrize(
    "text",
    [
        "死ね " * 1500 + "し〇ね 氏ね " * 30,  # spellings only after the token cutoff
        "し〇ね " * 30 + "死ね " * 1500 + "し〇ね",  # before it and after it
        "「死ね」" * 1200 + "し〇ね",  # undecided: every spelling weighed
        "「し〇ね」" * 1200 + "死ね " * 1100 + "氏ね",  # spellings, then a token flood
        "ばか、" * 1100 + "ﾊﾞｶ " * 10 + "バ カ " * 10,  # folded and spaced spellings
    ],
)
def test_spelled_places_looked_for_only_before_the_cutoff_list_the_same(checker, text) -> None:
    """A long draft's spellings are looked for only before the offset where the token
    index stopped (a decided flood never reads the later ones) and in full when a rule
    is weighed again: the listing promises hold against the uncapped check."""
    _check_listing(checker, text, CheckContext(platform="blog"), LISTING)
    _check_listing(checker, text, CheckContext(platform="x"), SMALL)
