"""SECURITY.md's promises table names real tests: every `file::test` (and every `::test`
continuing the file before it) exists, so a renamed or deleted test cannot leave a promise
standing on nothing."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _references() -> list[tuple[str, str | None]]:
    text = (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    section = text.split("## Promises and the tests that prove them", 1)[1]
    refs: list[tuple[str, str | None]] = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        current = None
        for ref in re.findall(r"`([^`]*)`", line.rsplit("|", 2)[-2]):
            path, _, name = ref.partition("::")
            if path.startswith("tests/"):
                current = path
                refs.append((path, name or None))
            elif not path and name and current:
                refs.append((current, name))
    return refs


def test_every_promise_names_tests_that_exist():
    refs = _references()
    assert len(refs) > 30
    missing = []
    for path, name in refs:
        file = ROOT / path
        if not file.is_file():
            missing.append(path)
        elif name and not re.search(rf"^(async )?def {re.escape(name)}\(", file.read_text(encoding="utf-8"), re.M):
            missing.append(f"{path}::{name}")
    assert missing == []
