"""Look-alike (homograph) domains in links: letters of another script that pass for Latin.

`https://www.town.tаtsuno.lg.jp/` with a Cyrillic а reads as the town's own site and
goes elsewhere. A host is a look-alike when one of its labels (punycode `xn--` labels
decoded first) mixes scripts in a way no real name does (Latin with Cyrillic, Greek,
Armenian, Cherokee ...; Japanese names may mix Latin, Han, Hiragana and Katakana, as
UTS #39 "highly restrictive" allows), or is written entirely in another script with
letters that all look Latin (`аррӏе.com`) beside Latin labels.

Script and confusable data come from `confusable_homoglyphs` (Unicode's Scripts.txt
and confusables.txt), loaded only when a draft has a non-ASCII or punycode host. The
finding names each foreign letter, its script and code point, and whether the host
imitates one of the office's own domains (`office_domains`), which no post needs.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, detector
from gateway.checker.lazyre import deferred
from gateway.checker.links import _urls
from gateway.checker.options import _domain_in
from gateway.checker.xtext_parts import _DIGITS_AS_ZERO

# Host-like runs of letters that can pass for Latin (Latin, Greek, Cyrillic, Armenian,
# Cherokee, Latin extensions), digits and hyphens, with at least one dot. Japanese text
# around a bare domain (詳しくはtown.tatsuno.lg.jpへ) is not part of the run.
_LETTER = "0-9A-Za-z\u00c0-\u024f\u0250-\u02af\u0370-\u03ff\u0400-\u052f\u0530-\u058f\u13a0-\u13ff\u1e00-\u1fff\u2c60-\u2c7f\ua640-\ua69f\ua720-\ua7ff\uab70-\uabbf-"
# compiled when a draft has a suspect letter (_suspect): almost none has
_HOST_RE = deferred(f"[{_LETTER}]{{1,63}}(?:\\.[{_LETTER}]{{1,63}}){{1,10}}")
_NON_ASCII_OR_PUNY = re.compile(r"[^\x00-\x7f]|xn--", re.I)
# A draft can hold a look-alike only with a letter of those scripts beyond ASCII, or a
# punycode label: one C scan decides for almost every Japanese draft.
# (Two searches: a lone character class is scanned in C far faster than an alternation.)
_SUSPECT_LETTER = re.compile("[" + _LETTER.replace("0-9A-Za-z", "").rstrip("-") + "]")
_PUNYCODE = re.compile("(?i)xn--")


def _suspect(text: str) -> bool:
    return bool(_SUSPECT_LETTER.search(text) or ("--" in text and _PUNYCODE.search(text)))


# Scripts that may share one label (UTS #39 highly restrictive, plus Common/Inherited).
_NEUTRAL = frozenset({"COMMON", "INHERITED", "Unknown"})
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
SCRIPT_NAMES_JA = {
    "CYRILLIC": "キリル文字",
    "GREEK": "ギリシャ文字",
    "ARMENIAN": "アルメニア文字",
    "CHEROKEE": "チェロキー文字",
    "LATIN": "ラテン文字",
    "HAN": "漢字",
    "HIRAGANA": "ひらがな",
    "KATAKANA": "カタカナ",
    "HANGUL": "ハングル",
    "ARABIC": "アラビア文字",
    "HEBREW": "ヘブライ文字",
    "GEORGIAN": "ジョージア文字",
}


@lru_cache(maxsize=1)
def _unicode_data() -> tuple[Any, dict[str, Any]]:
    from confusable_homoglyphs import categories, confusables

    return categories.alias, confusables.confusables_data


@lru_cache(maxsize=1 << 16)
def script_of(ch: str) -> str:
    """The character's script (confusable_homoglyphs' alias), remembered per character:
    its lookup is a Python bisection, asked several times per letter of every host (a
    draft of thousands of hosts in other scripts asked it ~120,000 times)."""
    return _unicode_data()[0](ch)


@lru_cache(maxsize=1 << 16)
def latin_twin(ch: str) -> str | None:
    """The Latin letter `ch` is confusable with, if any (а -> a)."""
    alias, data = _unicode_data()
    if alias(ch) == "LATIN":
        return ch
    for glyph in data.get(ch, ()):
        twin = glyph["c"]
        if len(twin) == 1 and twin.isascii() and twin.isalnum():
            return twin.lower()
    return None


def decode_label(label: str) -> str:
    """A punycode label decoded (xn--80ak6aa92e -> аррӏе); anything else unchanged."""
    if label.lower().startswith("xn--") and len(label) <= 63:
        try:
            return label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return label
    return label


class Foreign(NamedTuple):
    char: str
    script: str


def _label_problem(label: str, host_has_latin_label: bool) -> list[Foreign]:
    """The letters that make `label` a look-alike (empty when it is not one)."""
    letters = [ch for ch in label if script_of(ch) not in _NEUTRAL]
    scripts = {script_of(ch) for ch in letters}
    if len(scripts) > 1 and not any(scripts <= mix for mix in _ALLOWED_MIXES):
        in_order = [script_of(c) for c in letters]
        # The most used script; on a tie the one written first (never the set's order,
        # which changes with the hash seed: the same draft got other findings run to run).
        main = "LATIN" if "LATIN" in scripts else max(dict.fromkeys(in_order), key=in_order.count)
        fits = set().union(*(mix for mix in _ALLOWED_MIXES if main in mix)) | {main}
        return list(
            dict.fromkeys(Foreign(ch, script_of(ch)) for ch in letters if script_of(ch) not in fits)
        )
    # Whole-script confusable: every letter has a Latin twin (аррӏе beside .com).
    whole = len(scripts) == 1 and scripts != {"LATIN"} and host_has_latin_label
    if whole and all(latin_twin(ch) for ch in letters):
        return list(dict.fromkeys(Foreign(ch, script_of(ch)) for ch in letters))
    return []


class LookAlike(NamedTuple):
    foreign: list[Foreign]
    skeleton: str  # the host with every look-alike letter replaced by its Latin twin


def analyse_host(host: str) -> LookAlike | None:
    """Why `host` is a look-alike, or None. Most hosts are none, and that is decided with
    their digits read as 0 (digits are COMMON: never a look-alike letter, never one that
    decides; not in a punycode label, whose digits are its letters), so that a list of
    thousands of hosts that differ only in digits (café1.fr, café2.fr, …) is analysed once."""
    lowered = host.lower()
    if "xn--" not in lowered and not _may_look_alike(lowered.translate(_DIGITS_AS_ZERO)):
        return None
    return _analysed_host(host)


@lru_cache(maxsize=1024)
def _may_look_alike(host: str) -> bool:
    return _analysed_host.__wrapped__(host) is not None


@lru_cache(maxsize=256)
def _analysed_host(host: str) -> LookAlike | None:
    labels = [decode_label(x) for x in host.lower().rstrip(".").split(".")]
    labels = [unicodedata.normalize("NFKC", x) for x in labels]
    latin_labels = any(x.isascii() and any(c.isalpha() for c in x) for x in labels)
    foreign: list[Foreign] = []
    for label in labels:
        foreign.extend(_label_problem(label, latin_labels))
    if not foreign:
        return None
    skeleton = ".".join("".join(latin_twin(c) or c for c in x) for x in labels)
    return LookAlike(list(dict.fromkeys(foreign)), skeleton)


def describe(foreign: list[Foreign]) -> str:
    """「а」（キリル文字 U+0430）、「р」（キリル文字 U+0440）"""
    return "、".join(
        f"「{f.char}」（{SCRIPT_NAMES_JA.get(f.script, f.script.title())} U+{ord(f.char):04X}）"
        for f in foreign[:5]
    ) + ("など" if len(foreign) > 5 else "")


def _hosts(draft: Draft) -> Iterator[tuple[int, int, str]]:
    """(start, end, host) of every link host and bare domain that is not plain ASCII."""
    url_spans = []
    for s, e, _url, _scheme, host in _urls(draft):
        url_spans.append((s, e))
        if host and _NON_ASCII_OR_PUNY.search(host):
            yield s, e, host
    starts = [s for s, _ in url_spans]  # in text order, not overlapping
    for m in _HOST_RE.finditer(draft.norm):
        host = m.group()
        if not _NON_ASCII_OR_PUNY.search(host):
            continue
        s, e = draft.orig_span(m.start(), m.end())
        i = bisect_right(starts, s) - 1
        if i < 0 or e > url_spans[i][1]:  # not inside a link already read
            yield s, e, host


class LookAlikeOptions(NamedTuple):
    imitating_office: bool  # this rule reports only hosts that imitate an office domain


@detector(
    "link_lookalike",
    options=lambda opts: LookAlikeOptions(bool(opts.get("imitating_office", False))),
)
def find_lookalike_link(draft: Draft, ctx: CheckContext, opts: LookAlikeOptions) -> Iterator[Hit]:
    for s, e, found in _lookalikes(draft):
        imitates = bool(ctx.office_domains) and _domain_in(found.skeleton, ctx.office_domains)
        if imitates == opts.imitating_office:
            yield Hit(s, e, {"detail": describe(found.foreign), "looks_like": found.skeleton})


def _lookalikes(draft: Draft) -> list[tuple[int, int, LookAlike]]:
    """Every look-alike host of the draft, found once for both rules that use them."""
    cached = draft.__dict__.get("_lookalikes")
    if cached is None:
        cached = []
        text = draft.norm
        # a host has a dot, or is a link's (after ://); most posts have neither, and
        # `in` is ~7 times cheaper than the scan for suspect letters
        if ("." in text or "://" in text) and _suspect(text):
            for s, e, host in _hosts(draft):
                found = analyse_host(host)
                if found is not None:
                    cached.append((s, e, found))
        draft.__dict__["_lookalikes"] = cached
    return cached
