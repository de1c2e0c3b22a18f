"""`Checker`: load the rules once, check many drafts.

    from gateway.checker import Checker, CheckContext
    checker = Checker.load()                 # shipped rules; or Checker.load(Path("rules"))
    findings = checker.check(text, CheckContext(platform="x", account="辰野町公式X"))

`load` raises RuleLoadError (Japanese and English, naming file and rule) when a rule
file is broken or a rule's own examples do not hold. `check` tokenizes the draft once,
runs every rule and returns findings sorted by (line, column).
"""

from __future__ import annotations

import os
from functools import partial
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway.checker import loadmemo
from gateway.checker.cache import LoadCache, default_cache
from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import (
    SPELLED_SCAN,
    Detector,
    DetectorRule,
    Hit,
    HitList,
    RegexRule,
    Rule,
    RuleLoadError,
    SpelledScan,
    TokenRule,
)
from gateway.checker.listing import LISTING, Listing, rule_findings
from gateway.checker.paths import rules_dir as shipped_rules_dir
from gateway.checker.prefilter import TriggerScan
from gateway.checker.rule_loader import load_rules
from gateway.checker.token_index import TokenIndex
from gateway.model import Finding, Severity

if TYPE_CHECKING:
    from gateway.checker.links import LinkSpans


_start_end = itemgetter(0, 1)  # of a Hit


def _url_spans(draft: Draft) -> LinkSpans:
    from gateway.checker.links import link_spans

    return link_spans(draft)


class _RuleSet:
    """Rules as a check runs them: token patterns in one index; the other rules each with
    the first clause of its prefilter, all of which are looked for in one pass of the
    draft (TriggerScan), so a rule whose words are absent costs a set test."""

    def __init__(self, rules: list[Rule]) -> None:
        self.index = TokenIndex(rules)
        # (rule, first clause or None, detector function or None, its settings)
        self.plan = [(r, _first_clause(r), *_detector_call(r)) for r in rules if _has_own_hits(r)]
        self.scan = TriggerScan([tuple(c) for _, c, _, _ in self.plan if c is not None])
        # the starts of every rule's spelled words, looked for once per draft
        spelled = [r.spelled for r in rules if isinstance(r, TokenRule) and r.spelled]
        self.spelled = SpelledScan.of(spelled) if spelled else None
        self._single: dict[str, TokenIndex] = {}

    def index_of(self, rule: Rule) -> TokenIndex:
        """The token patterns of one rule alone."""
        index = self._single.get(rule.id)
        if index is None:
            index = self._single[rule.id] = TokenIndex([rule])
        return index


def _detector_call(rule: Rule) -> tuple[Detector | None, Any]:
    """A detector rule's function and settings, to call without DetectorRule.hits."""
    if isinstance(rule, DetectorRule) and rule.fn is not None:
        return rule.fn, rule.settings
    return None, None


def _first_clause(rule: Rule) -> frozenset[str] | None:
    """Strings one of which the rule cannot match without (None: no such test)."""
    clauses = ()
    if isinstance(rule, RegexRule):
        clauses = rule.trigger
    elif isinstance(rule, TokenRule) and rule.spelled is None:
        clauses = rule.phrase_trigger
    return frozenset(clauses[0]) if clauses else None


def _run(
    rules: _RuleSet, draft: Draft, ctx: CheckContext, listing: Listing = LISTING
) -> list[Finding]:
    hits: dict[str, list[Hit]] = {}
    by_id: dict[str, Rule] = {}
    limit = listing.weighed
    cutoffs: dict[str, int] = {}  # rule id -> offset from which its matches are incomplete
    for rule, hit in rules.index.run(draft, limit, cutoffs):
        hits.setdefault(rule.id, []).append(hit)
        by_id[rule.id] = rule
    token_ids = set(hits)
    present = rules.scan.present(draft.norm)
    if rules.spelled is not None:
        draft.__dict__[SPELLED_SCAN] = rules.spelled
    for rule, first_clause, detect, settings in rules.plan:
        if first_clause is not None and first_clause.isdisjoint(present):
            continue  # none of the words the rule needs is in the draft
        if detect is not None:
            found = detect(draft, ctx, settings)
        elif isinstance(rule, TokenRule):
            found = rule.hits(
                draft, ctx, limit, _spans(hits.get(rule.id)), until=cutoffs.get(rule.id)
            )
            _note_cutoff(found, rule.id, cutoffs)
        elif isinstance(rule, RegexRule):
            found = rule.hits(draft, ctx, limit)
            _note_cutoff(found, rule.id, cutoffs)
        else:
            found = rule.hits(draft, ctx)
        for hit in found:
            if rule.id not in by_id:
                by_id[rule.id] = rule
                if isinstance(rule, TokenRule):
                    token_ids.add(rule.id)
            hits.setdefault(rule.id, []).append(hit)
    urls = _url_spans(draft) if token_ids else None
    out: list[Finding] = []
    for rule_id, found in hits.items():
        rule = by_id[rule_id]
        in_link = urls.contain if urls is not None and rule_id in token_ids and urls.starts else None
        again = partial(_every_hit, rules, rule, draft, ctx)
        out += rule_findings(rule, found, cutoffs.get(rule_id), draft, in_link, again, listing)
    out.sort(key=lambda f: (f.line, f.column, f.rule))
    return out


def _every_hit(
    rules: _RuleSet, rule: Rule, draft: Draft, ctx: CheckContext, since: int = 0
) -> list[Hit]:
    """Every match of one rule that starts at or after `since`, without a limit (listing:
    a rule not yet decided at the offset where its first, limited matches stop); some
    that start before it may be there too. The places before it were weighed already,
    and a flood of places was generated twice."""
    found = [hit for _, hit in rules.index_of(rule).run(draft, since=since)]
    if isinstance(rule, TokenRule):
        found += rule.hits(draft, ctx, None, _spans(found), since)
    elif _has_own_hits(rule):
        found += rule.hits(draft, ctx)
    return found


def _note_cutoff(found: HitList, rule_id: str, cutoffs: dict[str, int]) -> None:
    """Where a generator stopped early (listing.Listing.weighed), noted per rule."""
    if found.cutoff is not None:
        cutoffs[rule_id] = min(cutoffs.get(rule_id, found.cutoff), found.cutoff)


def _spans(hits: list[Hit] | None) -> frozenset[tuple[int, int]]:
    return frozenset(map(_start_end, hits)) if hits else frozenset()  # in C: a flood


def _has_own_hits(rule: Rule) -> bool:
    """Whether rule.hits() can yield: token rules without phrases are all in the index."""
    if isinstance(rule, TokenRule):
        return rule.phrase_re is not None or rule.spelled is not None
    return type(rule).hits is not Rule.hits


class Checker:
    """A loaded, self-tested rule set. Thread-safe: `check` keeps no state between calls."""

    def __init__(self, rules: list[Rule], source: Path) -> None:
        self.rules = rules
        self.source = source
        self._rules = _RuleSet(rules)

    @classmethod
    def load(cls, rules_dir: Path | None = None) -> Checker:
        """Load rule files from `rules_dir` (None: the shipped rules) and run their examples."""
        src = Path(rules_dir) if rules_dir is not None else shipped_rules_dir()
        if not src.is_dir():
            raise RuleLoadError(
                src, None, "ルールのフォルダがありません。", "rules directory not found"
            )
        rules = load_rules(src)
        loadmemo.save()
        cache = default_cache()
        key = _examples_key(cache, src, rules)
        if not cache.has(key):  # examples that passed with these files and this code pass
            for rule in rules:
                _self_test(rule)
            cache.put(key, {"rules": len(rules)})
        return cls(rules, src)

    def check(self, text: str, ctx: CheckContext = CheckContext()) -> list[Finding]:  # noqa: B008
        """Check one draft; findings sorted by (line, column)."""
        return _run(self._rules, Draft(text), ctx)

    def rule(self, rule_id: str) -> Rule:
        return next(r for r in self.rules if r.id == rule_id)


def _examples_key(cache: LoadCache, rules_dir: Path, rules: list[Rule]) -> str:
    """The cache key of a rule set's examples: the name and bytes of every file in the
    rules folder (rule files and the data beside them), and the digest of every prh
    dictionary file the rules read, wherever it is (their specs are checked apart)."""
    parts: list[bytes | str] = []
    for relative in _files_below(str(rules_dir)):
        with open(os.path.join(rules_dir, relative), "rb") as f:
            parts += [relative, f.read()]
    for rule in rules:
        dictionary = getattr(rule, "dictionary", None)
        if dictionary is not None:
            parts += [rule.id, *dictionary.digests]
    return cache.key("examples", *parts)


def _files_below(folder: str) -> list[str]:
    """Every file below `folder` (but __pycache__), relative, in path order: os.walk,
    as Path.rglob took longer than reading a small rule folder's files."""
    found: list[str] = []
    for here, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        base = os.path.relpath(here, folder)
        for name in files:
            if os.path.isfile(os.path.join(here, name)):  # not a broken link
                found.append(name if base == "." else os.path.join(base, name))
    return sorted(found, key=lambda relative: relative.split(os.sep))


def _self_test(rule: Rule) -> None:
    """Run a rule's own examples; refuse the rule when one does not hold."""
    single = _RuleSet([rule])
    for text, ctx in rule.examples_match:
        if not any(f.rule == rule.id for f in _run(single, Draft(text), ctx)):
            raise RuleLoadError(
                rule.source,
                rule.id,
                f"例「{text}」に当てはまるはずですが、当てはまりませんでした。",
                f"example expected to match did not: {text!r}",
            )
    for text, ctx in rule.examples_soft:
        mine = [f for f in _run(single, Draft(text), ctx) if f.rule == rule.id]
        if not mine or any(f.severity is not Severity.WARNING for f in mine):
            raise RuleLoadError(
                rule.source,
                rule.id,
                f"例「{text}」は警告（warning）になるはずですが、そうなりませんでした。",
                f"example expected to be softened to a warning was not: {text!r}",
            )
    for text, ctx in rule.examples_no_match:
        hits = [f for f in _run(single, Draft(text), ctx) if f.rule == rule.id]
        if hits:
            raise RuleLoadError(
                rule.source,
                rule.id,
                f"例「{text}」には当てはまらないはずですが、「{hits[0].excerpt}」に当てはまりました。",
                f"example expected not to match did, at {hits[0].excerpt!r}: {text!r}",
            )
