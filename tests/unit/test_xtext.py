"""X length and link extraction against twitter-text's own conformance suite, read from
../shared/peer/twitter-text/ (validate.yml: WeightedTweetsCounterTest with config v2,
WeightedTweetsWithDiscountedEmojiCounterTest and UnicodeDirectionalMarkerCounterTest with
v3; extract.yml: every URL case), plus the cases of the checker issue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from gateway.checker import CheckContext, Checker
from gateway.checker.xtext import V2, V3, extract_urls, parse

REPO = Path(__file__).resolve().parents[2]
# ../shared/peer/twitter-text beside the repository (or beside a folder holding it: a worktree)
PEER = next(
    (
        p / "shared" / "peer" / "twitter-text"
        for p in REPO.parents
        if (p / "shared" / "peer" / "twitter-text").is_dir()
    ),
    REPO.parent / "shared" / "peer" / "twitter-text",
)
needs_peer = pytest.mark.skipif(
    not PEER.is_dir(), reason=f"twitter-text conformance suite not found at {PEER}"
)


def _suite(name: str) -> dict:
    return yaml.safe_load((PEER / "conformance" / name).read_text(encoding="utf-8"))["tests"]


def _cases(file: str, *groups: str) -> list:
    if not PEER.is_dir():
        return []
    tests = _suite(file)
    return [pytest.param(g, c, id=f"{g}: {c['description']}") for g in groups for c in tests[g]]


@needs_peer
def test_our_weights_are_those_of_config_v3() -> None:
    v3 = json.loads((PEER / "config" / "v3.json").read_text())
    assert v3["maxWeightedTweetLength"] == V3.max_weighted_length
    assert (v3["scale"], v3["defaultWeight"]) == (V3.scale, V3.default_weight)
    assert v3["transformedURLLength"] == V3.url_length
    assert v3["emojiParsingEnabled"] is V3.emoji_parsing
    assert [(r["start"], r["end"], r["weight"]) for r in v3["ranges"]] == list(V3.ranges)


@needs_peer
@pytest.mark.parametrize(
    ("group", "case"),
    _cases(
        "validate.yml",
        "WeightedTweetsCounterTest",
        "WeightedTweetsWithDiscountedEmojiCounterTest",
        "UnicodeDirectionalMarkerCounterTest",
    ),
)
def test_weighted_length_conformance(group: str, case: dict) -> None:
    config = V2 if group == "WeightedTweetsCounterTest" else V3
    got = parse(case["text"], config)
    want = case["expected"]
    assert (got.weighted_length, got.valid, got.permillage, got.valid_range_end) == (
        want["weightedLength"],
        want["valid"],
        want["permillage"],
        want["validRangeEnd"],
    )


@needs_peer
@pytest.mark.parametrize(
    ("group", "case"),
    _cases(
        "extract.yml",
        "urls",
        "urls_with_indices",
        "urls_with_directional_markers",
        "tco_urls_with_params",
    ),
)
def test_url_extraction_conformance(group: str, case: dict) -> None:
    urls = extract_urls(case["text"])
    want = case["expected"]
    if want and isinstance(want[0], dict):
        assert [{"url": u.url, "indices": [u.start, u.end]} for u in urls] == want
    else:
        assert [u.url for u in urls] == want


def test_a_link_ends_where_japanese_begins() -> None:
    text = "詳しくは https://www.town.tatsuno.lg.jp/event/をご覧ください"
    (url,) = extract_urls(text)
    assert url.url == "https://www.town.tatsuno.lg.jp/event/"
    # the Japanese after the link is counted, two each
    assert parse(text).weighted_length == 4 * 2 + 1 + 23 + 7 * 2


def test_an_overlong_post_with_a_link_followed_by_japanese_is_found() -> None:
    checker = Checker.load()
    text = "https://example.jp/event/" + "ご覧ください。" * 20  # 23 + 280
    found = [
        f for f in checker.check(text, CheckContext(platform="x")) if f.rule == "platform-length"
    ]
    assert found and "303" in found[0].message


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("🇯🇵", 2),  # a flag: two regional indicators, one emoji
        ("1️⃣", 2),  # a keycap
        ("👨‍👩‍👧‍👦", 2),  # a family joined by ZWJ
        ("👍🏻", 2),  # with a skin tone
        ("か\u3099", 2),  # decomposed が: NFC first, so one character
        ("ガ", 2),
        ("abc", 3),
    ],
)
def test_emoji_and_decomposed_kana_weigh_as_x_counts(text: str, weight: int) -> None:
    assert parse(text).weighted_length == weight


HOSTILE = {
    "dotted labels": "a.",
    "dotted kana": "あ.",
    "underscored": "a_b.",
    "cctld then space": "x.jp ",
    "links back to back": "https://a.jp/https://",
    "open brackets in a path": "https://e.jp/(a",
    "nested brackets": "https://e.jp/((a)",
    "long query": "https://e.jp/?a=",
    "kana after a link": "https://e.jp/あ",
    "flags": "\U0001f1ef",
}


@pytest.mark.parametrize("unit", list(HOSTILE.values()), ids=list(HOSTILE))
def test_link_scanning_does_work_linear_in_the_text(unit: str, monkeypatch) -> None:
    """Counted, not timed: label tables built, starts decided and path runs scanned grow
    no faster than the text (twitter-text-parser's regex retries every start)."""
    from gateway.checker import xtext

    steps = {"n": 0}

    def counting(fn):
        def wrapper(*args, **kwargs):
            steps["n"] += 1
            return fn(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(xtext, "_tld_end", counting(xtext._tld_end))
    monkeypatch.setattr(xtext._Run, "domain_end", counting(xtext._Run.domain_end))
    monkeypatch.setattr(xtext, "_path_run_end", counting(xtext._path_run_end))
    monkeypatch.setattr(xtext, "_balanced", counting(xtext._balanced))
    counts = []
    for size in (2_000, 8_000):
        steps["n"] = 0
        xtext.parse(unit * (size // len(unit)))
        counts.append(steps["n"])
    assert counts[1] <= 4.5 * counts[0] + 10, counts
