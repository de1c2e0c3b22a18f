"""Checker time per draft beside plain Sudachi tokenization of the same text.

Prints figures, asserts nothing. Targets (see the checker issue): the whole check at
most 3x tokenizing the text, and at most 5 ms for a 140-character post.
Usage: python bench/bench_checker.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.checker import CheckContext, Checker
from gateway.checker.tokenizer import plain_tokenizer, tokenize

POST = (
    "【辰野ほたる祭り】6月14日（土）から22日（日）まで、松尾峡・ほたる童謡公園で開催します。"
    "期間中は臨時駐車場からシャトルバスを運行します。お問い合わせは産業振興課 0266-41-1111 まで。"
    "https://www.town.tatsuno.lg.jp/"
)
PARAGRAPH = (
    "町では、令和7年度の一般会計予算で子育て支援センターの改修、町道の長寿命化、防災行政無線の"
    "デジタル化などに取り組みます。工事は7月1日（火）から始まり、11月28日（金）に終わる予定です。"
    "期間中はご不便をおかけしますが、ご理解とご協力をお願いいたします。詳しくは"
    "https://www.town.tatsuno.lg.jp/ をご覧いただくか、企画政策課（0266-41-1111）までお問い合わせください。\n"
)


def _text(n: int) -> str:
    base = POST if n <= 200 else PARAGRAPH
    return (base * (n // len(base) + 1))[:n]


def _time(fn: Callable[[], object], rounds: int) -> float:
    """Median seconds per call over `rounds` batches."""
    fn()
    batch = max(1, 200 // max(1, rounds // 20))
    samples = []
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(batch):
            fn()
        samples.append((time.perf_counter() - t) / batch)
    return statistics.median(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    t0 = time.perf_counter()
    checker = Checker.load()
    load_s = time.perf_counter() - t0
    ctx = CheckContext(
        platform="x",
        account="辰野町公式X",
        official_accounts=("辰野町公式X",),
        schedule=datetime(2025, 6, 1, 9, 0),
        office_phone_allowlist=("0266-41-1111",),
        office_domains=("town.tatsuno.lg.jp",),
        recent_approved_texts=(PARAGRAPH, POST[:100]),
    )
    raw = plain_tokenizer()
    print(f"rules loaded and self-tested: {len(checker.rules)} rules in {load_s * 1000:.0f} ms")
    print(
        f"{'chars':>6} {'sudachi raw':>12} {'tokenize()':>11} {'check':>9} "
        f"{'x raw':>6} {'x tokenize':>10} {'drafts/s':>9}"
    )
    for n in (140, 2000):
        text = _text(n)
        t_raw = _time(lambda text=text: raw.tokenize(text), args.rounds)
        t_tok = _time(lambda text=text: tokenize(text), args.rounds)
        t_chk = _time(lambda text=text: checker.check(text, ctx), args.rounds)
        print(
            f"{n:6d} {t_raw * 1000:9.3f} ms {t_tok * 1000:8.3f} ms {t_chk * 1000:6.3f} ms "
            f"{t_chk / t_raw:6.2f} {t_chk / t_tok:10.2f} {1 / t_chk:9.0f}"
        )
    print("sudachi raw: Sudachi's own tokenize(), every field loaded; tokenize():")
    print("gateway.checker.tokenizer, which copies each morpheme into a Token (loading only the")
    print("fields it keeps); check: the whole checker, tokenization included.")


if __name__ == "__main__":
    main()
