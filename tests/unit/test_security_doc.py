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


def _checks_something(fn) -> bool:
    """An assert, a pytest.raises, or a call to a helper of the test file (named
    _check/check_/assert_… or expect…) somewhere in the test's body."""
    import ast

    for node in ast.walk(fn):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("raises", "fail") or name.startswith(("_check", "check", "assert", "expect")):
                return True
    return False


def test_every_named_test_asserts_something():
    """A promise stands on a test that can fail: each named test function asserts (or
    raises, or calls its file's checking helper)."""
    import ast

    idle = []
    for path, name in _references():
        if not name:
            continue
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        fns = [
            n
            for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
        ]
        if not fns or not any(_checks_something(fn) for fn in fns):
            idle.append(f"{path}::{name}")
    assert idle == []
