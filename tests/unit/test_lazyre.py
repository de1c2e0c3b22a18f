"""LazyPattern: a regex compiled on first use behaves as the compiled pattern, and after
that first use its methods are found without the __getattr__ fallback (each fallback first
failed the normal lookup: an exception raised and caught, about 1 µs a call)."""

from __future__ import annotations

import re

import pytest

from gateway.checker.lazyre import _METHODS, LazyPattern, deferred

TEXT = "お問い合わせは写真係（0266-41-1113）、動画は映像係まで。写真と動画"


@pytest.mark.parametrize(
    ("pattern", "flags"), [("写真|動画", 0), (r"(\d+)-(\d+)", 0), ("(?i)ABC|映像", 0)]
)
def test_every_method_answers_as_the_compiled_pattern(pattern: str, flags: int) -> None:
    lazy, plain = deferred(pattern, flags), re.compile(pattern, flags)
    assert lazy.flags == plain.flags and lazy.groups == plain.groups
    for name in ("search", "match", "fullmatch"):
        mine, theirs = getattr(lazy, name)(TEXT), getattr(plain, name)(TEXT)
        assert (mine and mine.span()) == (theirs and theirs.span())
    assert [m.span() for m in lazy.finditer(TEXT)] == [m.span() for m in plain.finditer(TEXT)]
    assert lazy.findall(TEXT) == plain.findall(TEXT)
    assert lazy.sub("□", TEXT) == plain.sub("□", TEXT)
    assert lazy.subn("□", TEXT) == plain.subn("□", TEXT)
    assert lazy.split(TEXT) == plain.split(TEXT)


def test_once_compiled_its_methods_do_not_go_through_getattr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lazy = LazyPattern("写真|動画")
    assert lazy._compiled is None
    assert lazy.search(TEXT).group() == "写真"  # compiles
    calls: list[str] = []
    original = LazyPattern.__getattr__

    def counting(self: LazyPattern, name: str) -> object:
        calls.append(name)
        return original(self, name)

    monkeypatch.setattr(LazyPattern, "__getattr__", counting)
    for name in _METHODS:
        getattr(lazy, name)
    assert lazy.finditer(TEXT) is not None and lazy.sub("", TEXT).count("写真") == 0
    assert calls == []
    assert lazy.groupindex == {}  # what is not kept still answers, through the fallback
    assert calls == ["groupindex"]
