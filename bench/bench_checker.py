"""Checker time per draft beside plain Sudachi tokenization of the same text.

Prints figures, asserts nothing. Targets (see the checker issue): the whole check at
most 3x tokenizing the text, and at most 5 ms for a 140-character post.

Each size is measured over a pool of distinct drafts (dates, phone numbers and links
differ), checked one after the other, so that no cache keyed by the text (the checker's
or the CPU's) sees the same draft twice in a row: a town office never checks one text
a thousand times. The near-duplicate rule compares each draft with a month of approved
posts (the clean drafts of the test corpus, and one festival post like the drafts).

The made-up drafts come from one sentence template (the same forty words in every
draft). The "corpus" rows take theirs from the test corpus's clean drafts instead:
windows of the size, each starting at a sentence, cut from every other clean draft
(town posts of every kind, with their own words, but written around what the rules look
at: contacts, dates, links, quoted words, so denser in checks than a typical post), and
compare them with the other clean drafts as the month of approved posts, so that no
draft is its own near-duplicate. bench/real_text.py --speed gives the same ratio over
real published pieces.
Usage: python bench/bench_checker.py [--rounds N]
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.checker import CheckContext, Checker
from gateway.checker.tokenizer import plain_tokenizer, tokenize

POST = (
    "【辰野ほたる祭り】{m}月{d}日（{w}）から{d3}日（{w3}）まで、松尾峡・ほたる童謡公園で開催します。"
    "期間中は臨時駐車場からシャトルバスを運行します。お問い合わせは産業振興課 {phone} まで。"
    "https://www.town.tatsuno.lg.jp/\n"
)
PARAGRAPH = (
    "町では、令和{y}年度の一般会計予算で子育て支援センターの改修、町道の長寿命化、防災行政無線の"
    "デジタル化などに取り組みます。工事は{m}月{d}日（{w}）から始まり、{m2}月{d2}日（{w2}）に終わる予定です。"
    "期間中はご不便をおかけしますが、ご理解とご協力をお願いいたします。詳しくは"
    "https://www.town.tatsuno.lg.jp/{page}.html をご覧いただくか、企画政策課（{phone}）までお問い合わせください。\n"
)
_WEEKDAYS = "月火水木金土日"


# the office's own numbers (in the config's allowlist); drafts now and then give another
OFFICE_PHONES = ("0266-41-1111", "0266-41-1112", "0266-41-1113", "0266-41-0040", "0266-43-3111")
SCHEDULE = datetime(2025, 6, 1, 9, 0)


def _fill(template: str, rng: random.Random) -> str:
    """The template with a random date range in the half year after the schedule, a phone
    number and a page. As in real drafts, most weekdays and numbers are right, a few not."""
    first = SCHEDULE.date() + timedelta(days=rng.randint(1, 150))
    last = first + timedelta(days=rng.randint(1, 25))
    same_month = first.replace(day=min(first.day + rng.randint(1, 3), 28))

    def weekday(d: date) -> str:
        return rng.choice(_WEEKDAYS) if rng.random() < 0.1 else _WEEKDAYS[d.weekday()]

    return template.format(
        y=rng.randint(1, 9),
        m=first.month,
        d=first.day,
        w=weekday(first),
        d3=same_month.day,
        w3=weekday(same_month),
        m2=last.month,
        d2=last.day,
        w2=weekday(last),
        phone=(
            rng.choice(OFFICE_PHONES)
            if rng.random() < 0.9
            else f"0266-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        ),
        page=rng.randint(1000, 9999),
    )


def drafts(n: int, count: int, seed: int = 0) -> list[str]:
    """`count` distinct drafts of exactly `n` characters."""
    rng = random.Random(seed)
    template = POST if n <= 200 else PARAGRAPH
    out: dict[str, None] = {}
    while len(out) < count:
        text = ""
        while len(text) < n:
            text += _fill(template, rng)
        out[text[:n]] = None
    return list(out)


def _clean_corpus() -> list[str]:
    """The texts of the test corpus's clean drafts, in file order."""
    corpus = Path(__file__).resolve().parents[1] / "tests" / "data" / "drafts" / "clean"
    return [
        p.read_text(encoding="utf-8").split("---\n", 2)[-1] for p in sorted(corpus.glob("*.txt"))
    ]


def recent_posts() -> tuple[str, ...]:
    """A month of approved posts for the near-duplicate rule: the clean drafts of the test
    corpus, and one earlier festival post that the 140-character drafts resemble."""
    return (*_clean_corpus(), drafts(140, 1, seed=1)[0])


def corpus_drafts(n: int, count: int) -> tuple[list[str], tuple[str, ...]]:
    """Up to `count` distinct drafts of `n` characters cut from every other clean corpus
    draft (joined by line breaks), each starting at a sentence; and the other clean
    drafts, as the month of approved posts to compare them with."""
    texts = _clean_corpus()
    whole = "\n".join(texts[::2])
    starts = [0, *(m.end() for m in re.finditer(r"[。！？\n]+", whole))]
    windows = dict.fromkeys(whole[s : s + n] for s in starts if len(whole) - s >= n)
    return list(windows)[:count], tuple(texts[1::2])


def _pass(fn: Callable[[str], object], pool: list[str]) -> float:
    """Seconds per draft for one pass through the pool."""
    t = time.perf_counter()
    for text in pool:
        fn(text)
    return (time.perf_counter() - t) / len(pool)


def _measure(fns: list[Callable[[str], object]], pool: list[str], rounds: int) -> list[list[float]]:
    """Per round, one pass of each function in turn: a slow spell of the machine then
    slows all of them alike, and the ratios of a round stay fair."""
    for fn in fns:
        for text in pool[:10]:
            fn(text)
    return [[_pass(fn, pool) for fn in fns] for _ in range(rounds)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    t0 = time.perf_counter()
    checker = Checker.load()
    load_s = time.perf_counter() - t0
    ctx = CheckContext(
        platform="x",
        account="辰野町公式X",
        official_accounts=("辰野町公式X",),
        schedule=SCHEDULE,
        office_phone_allowlist=OFFICE_PHONES,
        office_domains=("town.tatsuno.lg.jp",),
        recent_approved_texts=recent_posts(),
    )
    raw = plain_tokenizer()
    print(f"python {sys.version.split()[0]} at {sys.executable} (the interpreter changes the ratios: see the README)")
    print(f"rules loaded and self-tested: {len(checker.rules)} rules in {load_s * 1000:.0f} ms")
    print(
        f"{'chars':>6} {'drafts':>14} {'sudachi raw':>12} {'tokenize()':>11} {'check':>9} "
        f"{'x raw':>6} {'x tokenize':>10} {'drafts/s':>9}"
    )
    sizes = ((140, 1000, ""), (2000, 100, ""), (140, 1000, "corpus"), (500, 300, "corpus"))
    for n, count, kind in sizes:
        if kind:
            pool, recent = corpus_drafts(n, count)
            here = dataclasses.replace(ctx, recent_approved_texts=recent)
        else:
            pool, here = drafts(n, count), ctx
        rows = _measure(
            [raw.tokenize, tokenize, lambda text, c=here: checker.check(text, c)], pool, args.rounds
        )
        t_raw, t_tok, t_chk = (statistics.median(col) for col in zip(*rows, strict=True))
        x_raw = statistics.median(chk / r for r, _, chk in rows)
        x_tok = statistics.median(chk / tok for _, tok, chk in rows)
        drawn = f"{kind or 'template'} x{len(pool)}"
        print(
            f"{n:6d} {drawn:>14} {t_raw * 1000:9.3f} ms {t_tok * 1000:8.3f} ms "
            f"{t_chk * 1000:6.3f} ms {x_raw:6.2f} {x_tok:10.2f} {1 / t_chk:9.0f}"
        )
    print("sudachi raw: Sudachi's own tokenize(), every field loaded; tokenize():")
    print("gateway.checker.tokenizer, which copies each morpheme into a Token (loading only the")
    print("fields it keeps); check: the whole checker, tokenization included. Medians of")
    print(f"{args.rounds} rounds, each one pass of all three through the pool of distinct drafts")
    print("(template: made up from one sentence template; corpus: cut from the test corpus's")
    print(
        "clean drafts, see the module's docstring); the ratios are medians of each round's ratio."
    )


if __name__ == "__main__":
    main()
