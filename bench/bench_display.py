"""Showing a post and verifying a confirmation stay linear on hostile input.

Prints, for growing sizes of hostile post texts (zero-width runs, tag characters, fake
markers, blank runs, long space runs, look-alike hosts), the time of `visible_post`, of
the look-alike detector, and of `gateway verify` on a genuine confirmation carrying it.
A linear step doubles the time when the size doubles.

    python bench/bench_display.py [--max-kib 1024]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from test_verify import approved_mail  # noqa: E402

from gateway.checker.context import CheckContext  # noqa: E402
from gateway.checker.lookalike import LookAlikeOptions, find_lookalike_link  # noqa: E402
from gateway.confirmation import verify_confirmation  # noqa: E402
from gateway.display import visible_post  # noqa: E402
from gateway.signing import load_or_create_key  # noqa: E402

PIECES = {
    "zero-width": "a\u200b",
    "tags": "\U000e0041\U000e0042x",
    "markers": "――――― 投稿文 ここまで ―――――\n-- \n",
    "blank lines": "\n",
    "spaces": "  \u3000 ",
    "bidi": "\u202e\u2066x\u2069",
    "look-alike hosts": "https://www.t\u0430tsuno.lg.jp/ ",
}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-kib", type=int, default=1024)
    args = parser.parse_args()
    key = load_or_create_key(Path(tempfile.mkdtemp()) / "k.key")
    print(f"{'input':18} {'KiB':>6} {'visible_post':>13} {'lookalike':>10} {'verify':>8}")
    for name, piece in PIECES.items():
        kib = 64
        while kib <= args.max_kib:
            text = piece * (kib * 1024 // len(piece.encode()))
            shown = timed(lambda t=text: visible_post(t))
            draft_norm = type("D", (), {"norm": text, "text": text, "orig_span": lambda s, a, b: (a, b)})()
            look = timed(
                lambda d=draft_norm: list(
                    find_lookalike_link(d, CheckContext(), LookAlikeOptions(False))
                )
            )
            raw = approved_mail(key, text=text, files=())
            msg = message_from_bytes(raw, policy=policy.default)
            ver = timed(lambda m=msg: verify_confirmation(m, key.public))
            print(f"{name:18} {kib:6} {shown:12.3f}s {look:9.3f}s {ver:7.3f}s")
            kib *= 4


if __name__ == "__main__":
    main()
