"""Suite-wide settings and the fixtures many test files share."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from gateway.checker import Checker

ROOT = Path(__file__).resolve().parents[1]

# On CI, property tests explore the same examples every run, so a red build is reproducible
# (and a green one is not luck); locally they keep searching new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def checker() -> Checker:
    """The shipped rules, loaded and self-tested once for the whole run (a Checker keeps
    no state between checks, and no test changes it)."""
    return Checker.load()


@pytest.fixture(scope="session")
def sample_texts(checker: Checker) -> list[str]:
    """What the checker's shortcuts are compared with their plain computations on: the
    corpus drafts, every shipped rule's examples and bench_adversarial's units at 3,000
    characters, as written."""
    bench = str(ROOT / "bench")
    sys.path.insert(0, bench)
    try:
        from bench_adversarial import UNITS, _make
    finally:
        sys.path.remove(bench)
    corpus = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/data/drafts").rglob("*.txt"))]
    examples = [
        text
        for rule in checker.rules
        for text, _ in (*rule.examples_match, *rule.examples_no_match, *rule.examples_soft)
    ]
    assert len(corpus) > 200 and len(examples) > 300
    return [*corpus, *examples, *(_make(unit, 3_000) for unit in UNITS.values())]
