"""Suite-wide settings."""

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]

# On CI, property tests explore the same examples every run, so a red build is reproducible
# (and a green one is not luck); locally they keep searching new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def sample_texts() -> list[str]:
    """What the checker's shortcuts are compared with their plain computations on: the
    corpus drafts, every shipped rule's examples and bench_adversarial's units at 3,000
    characters, as written."""
    from gateway.checker import Checker

    bench = str(ROOT / "bench")
    sys.path.insert(0, bench)
    try:
        from bench_adversarial import UNITS, _make
    finally:
        sys.path.remove(bench)
    corpus = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "tests/data/drafts").rglob("*.txt"))]
    examples = [
        text
        for rule in Checker.load().rules
        for text, _ in (*rule.examples_match, *rule.examples_no_match, *rule.examples_soft)
    ]
    assert len(corpus) > 200 and len(examples) > 300
    return [*corpus, *examples, *(_make(unit, 3_000) for unit in UNITS.values())]
