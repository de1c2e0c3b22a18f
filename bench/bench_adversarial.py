"""The checker's worst case: hostile drafts built to make regexes backtrack.

Prints, for each input class, the time per 100 KB (UTF-8) at 10 KB and at 100 KB, and
their ratio (about 1 for linear work, about 10 for quadratic), then the worst figure.
Two columns: the whole check, and the check without Sudachi (the text tokenized before
the clock starts), which is the part the gateway's own regexes and detectors cost.
Target (issue 12): the worst time per 100 KB under 50 ms for the checker's own work.
Times are CPU time (time.process_time), best of the runs.
Asserts nothing. Usage: python bench/bench_adversarial.py [--only NAME] [--platform x]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.checker import CheckContext, Checker
from gateway.checker.checker import _run
from gateway.checker.draft import Draft
from gateway.checker.lookalike import _analysed_host, _may_look_alike
from gateway.checker.xtext_parts import (
    _ascii_domains_kept,
    _label_facts,
    _label_length,
    _punycode_extra,
)

# name -> a unit repeated to size; (prefix, unit) for a marker followed by a long run
UNITS: dict[str, str | tuple[str, str] | Callable[[int], str]] = {
    # runs of one character
    "spaces": " ",
    "ideographic spaces": "\u3000",
    "newlines": "\n",
    "digit 1": "1",
    "digit 0": "0",
    "letter a": "a",
    "hiragana": "あ",
    "katakana": "カ",
    "kanji": "町",
    "伏字 ○": "○",
    "zero-width spaces": "\u200b",
    "direction controls": "\u202e",
    "soft hyphens": "\u00ad",
    "long vowel ー": "ー",
    "hyphens": "-",
    "dots": ".",
    "slashes": "/",
    "at signs": "@",
    "hashes": "#",
    "commas 、": "、",
    "month 月": "月",
    "year 年": "年",
    "plus": "+",
    "open brackets (": "(",
    "backslashes": "\\",
    "many 「」": "「」",
    "nested 「「」」": "「「」",
    # markers repeated
    "パスワード:": "パスワード:",
    "PW:": "PW:",
    "PW:a": "PW:a",
    "無断": "無断",
    "全文": "全文",
    "職員": "職員",
    "http://": "http://",
    "https://a": "https://a",
    "www.": "www.",
    "://": "://",
    "令和": "令和",
    "(火)": "(火)",
    "月1日": "月1日",
    "#タグ": "#タグ",
    "a@": "a@",
    "a.": "a.",
    "a-": "a-",
    "写真": "写真",
    "皆さん": "皆さん",
    "外国人": "外国人 ",
    "らしい": "らしいらしい",
    "😀👍🏻": "😀👍🏻",
    "か\u3099": "か\u3099",
    # hits: one long sentence full of matches (each hit's context is asked about its
    # sentence, its line's quotes and the links around it)
    "死ね (one sentence of hits)": "死ね",
    "ばか (spaced hits)": "ばか ",
    "「死ね」 (quoted hits)": "「死ね」",
    "外国人は出て行け": "外国人は出て行け",
    "link + hit": "https://a.jp/ 死ね ",
    # valid My Numbers, alone and after links (each was asked about every link)
    "My Number": "番号は123456789018です。\n",
    "link + My Number": "https://a.jp/ 123456789018 ",
    # the same classes in other forms: another word and quote mark, straight quotes
    # (more places per 100 KB), links without a protocol
    "『ばか』 (quoted hits)": "『ばか』",
    '"死ね" (straight quotes)': '"死ね"',
    "www. link + hit": "www.a.jp/x ばか ",
    "spelled しね": "しね",
    "spelled し〇ね": "し〇ね",
    "zero-width inside バ\u200bカ": "バ\u200bカ",
    "half-width ｼﾈ": "ｼﾈ",
    # links to as many hosts as there are links (a pasted list of links): nothing is
    # decided once per host
    "links, many hosts + hit": lambda n: f"https://h{n}.example.jp/ 死ね ",
    "www. links, many hosts": lambda n: f"www.h{n}.example.jp/x ばか ",
    # a pasted list of mail addresses at as many domains (each built label tables)
    "addresses, many domains": lambda n: f"{n}@a{n}.jp ",
    # a numbered list: 1. 2. 3. …, each run of host characters another text
    "numbered list": lambda n: f"{n}. ",
    "addresses and versions": lambda n: f"10.0.{n}.1 R{n}.1.1 ",
    # one host-name run of labels in another script (a mark, kana, kanji between dots): the
    # X length's punycode of the run's domain (the idna codec read all of it, twice)
    "run of .com labels": "\u3099x.com",
    "run of 」.com● labels": "」.com●",
    "run of labels, all differ": lambda n: f"\u3099x{n}.com",
    # a run of labels in another script that no TLD begins with: no link, decided without
    # the label tables (each label and each start cost a Python step)
    "run of .〇 labels": ".〇",
    "run of ｼ. labels": "ｼ.",
    "run of .コム labels": ".コム",
    # Japanese glued to a domain (詳しくはexample.jp), as many as there are: each host in
    # another script is decided with label tables and its punycode worked out
    "Japanese host, all differ": lambda n: f"例{n}.jp ",
    "Japanese host, TLD コム, all differ": lambda n: f"例{n}.コム ",
    "full-width ＠ address, all differ": lambda n: f"{n}＠a.jp ",
    # hosts that each need the label tables, punycode or a look-alike analysis, as many
    # as there are (each was decided on its own: 75-357 ms per 100 KB); hosts that differ
    # only in digits share a plan
    "Japanese glued to labels, all differ": lambda n: f"例{n}.a.jp ",
    "Latin host, all differ": lambda n: f"café{n}.fr ",
    "Cyrillic host, all differ": lambda n: f"пример{n}.рф ",
    "host with _, all differ": lambda n: f"a_{n}.jp ",
    "quoted links, all differ": lambda n: f'"https://h{n}.jp"',
    # ASCII labels before one that is not (each label scanned the rest: quadratic)
    "labels before 例 (6 KB runs)": lambda n: "a." * 3000 + "例.com ",
    # a name near each of thousands of lot numbers (each built every token around it)
    "names near addresses": lambda n: f"山田{n}番地 ",
    # mixed digit / separator runs
    "1-": "1-",
    "1/": "1/",
    "1.": "1.",
    "12-": "12-",
    "0-": "0-",
    "090-": "090-",
    "1 ": "1 ",
    "1年": "1年",
    "1月": "1月",
    "+81-": "+81-",
    "(0": "(0",
    "0(": "0(",
    "1)": "1)",
    "10.": "10.",
    "192.168.": "192.168.",
    "1 1": "1 1 ",
    "R1.": "R1.",
    "1番": "1番",
    "1-1": "一1-1",
    "十一": "十一",
    # long links
    "long url path": ("https://example.com/", "a"),
    "long url ja": ("https://example.com/", "あ"),
    "long url parens": ("https://example.com/", "("),
    "long host a.": ("https://", "a."),
    "long host a-": ("www.", "a-"),
    "long query": ("https://example.com/?", "a="),
    # a marker, then a long run of spaces (each \\s* after a marker scans it)
    "無断+spaces": ("無断", " "),
    "全文+spaces": ("全文", " "),
    "パスワード+spaces": ("パスワード", " "),
    "PW:+ascii": ("PW:", "x"),
    "2026年+spaces": ("2026年", " "),
    "、+spaces": ("、", " "),
    "令和+spaces": ("令和", " "),
    "1+spaces": ("1", " "),
    "月+spaces": ("11", " "),
    "http+a": ("http://", "a"),
}


def _make(unit: str | tuple[str, str] | Callable[[int], str], size: int) -> str:
    if callable(unit):  # the n-th unit made by a function: units that all differ
        out, total, n = [], 0, 0
        while total < size:
            piece = unit(n)
            out.append(piece)
            total += len(piece.encode("utf-8"))
            n += 1
        return "".join(out)
    prefix, unit = unit if isinstance(unit, tuple) else ("", unit)
    per = len(unit.encode("utf-8"))
    text = prefix + unit * max(1, (size - len(prefix.encode("utf-8"))) // per)
    return text


def _seconds(fn, repeat: int) -> float:
    """The best CPU time of `repeat` runs (the machine is shared: CPU time, not wall
    time, is what the checker costs)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only")
    ap.add_argument("--platform", default="x")
    ap.add_argument("--size", type=int, default=100_000)
    args = ap.parse_args()
    checker = Checker.load()
    recent = tuple(_make(u, 2_000) for u in ("hiragana", "letter a", "1-"))
    ctx = CheckContext(
        platform=args.platform,
        now=date(2026, 11, 1),
        office_phone_allowlist=("0266-41-1111",),
        office_domains=("town.tatsuno.lg.jp",),
        internal_hosts=("tatsuno.local",),
        recent_approved_texts=recent,
    )
    print(f"{'input':22s} {'whole ms/100KB':>16s} {'own ms/100KB':>14s} {'10KB→100KB':>10s}")
    worst_whole = worst_own = 0.0
    worst_name = ""
    for name, unit in UNITS.items():
        if args.only and args.only not in name:
            continue
        figures = []
        for size in (args.size // 10, args.size):
            text = _make(unit, size)
            nbytes = len(text.encode("utf-8"))
            draft = Draft(text)  # tokenized outside the clock for the "own" column
            own = _seconds(lambda d=draft: _run(checker._rules, _uncached(d), ctx), 2)
            whole = _seconds(lambda t=text: checker.check(t, ctx), 1)
            figures.append((whole * 100_000 / nbytes, own * 100_000 / nbytes))
            if own > 2:  # slow at 10 KB already: 100 KB would take minutes
                figures.append((float("inf"), float("inf")))
                break
        (_, o10), (w100, o100) = figures[0], figures[-1]
        ratio = o100 / o10 if o10 > 0 else 0.0
        print(f"{name:22s} {w100 * 1000:16.1f} {o100 * 1000:14.1f} {ratio:10.1f}")
        worst_whole = max(worst_whole, w100)
        if o100 > worst_own:
            worst_own, worst_name = o100, name
    print(f"\nworst, whole check: {worst_whole * 1000:.1f} ms per 100 KB")
    print(f"python {sys.version.split()[0]} at {sys.executable} (the interpreter changes the ratios: see the README)")
    print(f"worst, checker's own work: {worst_own * 1000:.1f} ms per 100 KB ({worst_name})")
    print("target: under 50 ms per 100 KB")
    return 0


def _uncached(draft: Draft) -> Draft:
    """_fresh, with the per-process memos of host names and labels emptied (X length,
    look-alikes): the second of two runs found every host of a 10 KB draft there (a draft
    of thousands of different hosts then looked 2-3 times cheaper at 10 KB than at
    100 KB, where they do not fit). Memos per character are kept: a daemon has them."""
    _punycode_extra.cache_clear()
    _label_length.cache_clear()
    _label_facts.cache_clear()
    _ascii_domains_kept.cache_clear()
    _analysed_host.cache_clear()
    _may_look_alike.cache_clear()
    return _fresh(draft)


def _fresh(draft: Draft) -> Draft:
    """The same tokenized draft without what a previous check cached on it."""
    d = Draft.__new__(Draft)
    d.text, d.norm, d._offsets, d.columns = draft.text, draft.norm, draft._offsets, draft.columns
    return d


if __name__ == "__main__":
    raise SystemExit(main())
