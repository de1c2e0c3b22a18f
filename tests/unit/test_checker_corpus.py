"""The labelled corpus (tests/data/drafts): recall per clause and false alarms on clean posts.

Fails below 90 % recall for any clause, or on any `error` finding on a clean post.
Run with `-s` to see the table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from gateway.checker import CheckContext, Checker
from gateway.model import Finding, Severity

CORPUS = Path(__file__).resolve().parents[1] / "data" / "drafts"
MIN_RECALL = 0.9


@dataclass(frozen=True)
class Draft:
    path: Path
    label: str  # "clean", a clause such as "3(7)エ", or "platform"
    text: str
    ctx: CheckContext


def _split(raw: str) -> tuple[dict, str]:
    if not raw.startswith("---\n"):
        return {}, raw
    head, _, body = raw[4:].partition("\n---\n")
    return yaml.safe_load(head) or {}, body


def load_corpus() -> list[Draft]:
    base = yaml.safe_load((CORPUS / "context.yaml").read_text(encoding="utf-8"))
    drafts = []
    for path in sorted(CORPUS.glob("*/*.txt")):
        meta, text = _split(path.read_text(encoding="utf-8"))
        platform = meta.get("platform")
        schedule = meta.get("schedule")
        if isinstance(schedule, str):
            schedule = datetime.fromisoformat(schedule)
        recent = tuple(
            _split((CORPUS / p).read_text(encoding="utf-8"))[1]
            for p in meta.get("recent_approved", [])
        )
        ctx = CheckContext(
            platform=platform,
            account=meta.get("account") or base["default_accounts"].get(platform),
            official_accounts=tuple(base["official_accounts"]),
            schedule=schedule,
            office_phone_allowlist=tuple(str(p) for p in base["office_phone_allowlist"]),
            office_domains=tuple(base["office_domains"]),
            internal_hosts=tuple(base["internal_hosts"]),
            link_blocklist=tuple(base["link_blocklist"]),
            recent_approved_texts=recent,
        )
        drafts.append(Draft(path, str(meta["label"]), text, ctx))
    return drafts


def caught(label: str, findings: list[Finding]) -> bool:
    """A violating draft counts as caught by a warning or error finding of its clause."""
    if label == "platform":
        return any(f.rule.startswith("platform-") and f.severity != Severity.INFO for f in findings)
    return any(f.clause == label and f.severity != Severity.INFO for f in findings)


@pytest.fixture(scope="module")
def results(checker: Checker) -> list[tuple[Draft, list[Finding]]]:
    return [(d, checker.check(d.text, d.ctx)) for d in load_corpus()]


def test_corpus_shape() -> None:
    drafts = load_corpus()
    clean = [d for d in drafts if d.label == "clean"]
    assert len(drafts) >= 120
    assert len(clean) * 2 >= len(drafts)


def test_recall_per_clause(results: list[tuple[Draft, list[Finding]]]) -> None:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    missed = []
    for d, fs in results:
        if d.label == "clean":
            continue
        per[d.label][1] += 1
        if caught(d.label, fs):
            per[d.label][0] += 1
        else:
            missed.append(d.path.name)
    print("\nclause      caught/total  recall")
    for clause in sorted(per):
        hit, total = per[clause]
        print(f"{clause:10}  {hit:3}/{total:<3}       {hit / total:6.1%}")
    low = {c: f"{h}/{t}" for c, (h, t) in per.items() if h / t < MIN_RECALL}
    assert not low, f"recall below {MIN_RECALL:.0%}: {low}; missed: {missed}"


def test_no_error_on_clean_posts(results: list[tuple[Draft, list[Finding]]]) -> None:
    clean = [(d, fs) for d, fs in results if d.label == "clean"]
    errors = [
        (d.path.name, f.rule, f.excerpt)
        for d, fs in clean
        for f in fs
        if f.severity == Severity.ERROR
    ]
    warned = [d.path.name for d, fs in clean if any(f.severity == Severity.WARNING for f in fs)]
    print(
        f"\nclean posts: {len(clean)}, with an error: {len({e[0] for e in errors})}, with a warning: {len(warned)}"
    )
    for d, fs in clean:
        for f in fs:
            if f.severity == Severity.WARNING:
                print(f"  warning on clean {d.path.name}: {f.rule} 「{f.excerpt}」")
    assert not errors, errors
