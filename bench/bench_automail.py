"""Recognition of automatic mail: how much is recognised, and what hostile input costs.

1. Recognition: every message under tests/data/automail (our samples and the real ones
   in real/) and under any folder given on the command line (e.g. a local copy of a bounce
   parser's test data that may not be committed), read by the real reader
   (`mime.read_message`). A folder named `person` (or a file listed with --person) holds a
   person's mail: it counts as a false positive when taken for automatic. Prints per folder
   the recognised share and the misses, then the totals.
2. Cost: `automail.recognise` and the failed-recipient readers on hostile subjects and
   bodies built from the words their regexes look for, at 10 KB, 100 KB and 1 MB; prints
   the milliseconds per message. Target (issue 13): under 100 ms per 100 KB.

Asserts nothing. Usage: python bench/bench_automail.py [FOLDER ...] [--person FILE ...]
[--strip-list FOLDER ...] (drop the headers a list server added on the way to the list
owner, as flufl.bounce's samples carry them)
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.automail import recognise
from gateway.bounce_recipients import _carrier_lines, _failure_lines
from gateway.mime import read_message
from gateway.model import Kind

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "automail"
GATEWAY = ["sns-check@town.example.jp"]
AUTOMATIC = (Kind.AUTO_REPLY, Kind.BOUNCE, Kind.OTHER)
_LIST_ADDED = re.compile(
    rb"^(?:precedence|list-[a-z]+|x-beenthere|x-mailman-version|errors-to|sender|return-path"
    rb"|x-original-sender|mailing-list)\s*:.*(?:\r?\n[ \t].*)*\r?\n",
    re.I | re.M,
)


def _strip_list_headers(raw: bytes) -> bytes:
    head, sep, body = raw.partition(b"\n\n")
    if not sep:
        head, sep, body = raw.partition(b"\r\n\r\n")
    return _LIST_ADDED.sub(b"", head + b"\n").rstrip(b"\r\n") + sep + body


def _messages(folder: Path):
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in (".eml", ".txt", ".msg", ""):
            yield path


def recognition(folders: list[Path], persons: set[str], strip: set[Path]) -> None:
    totals: Counter[str] = Counter()
    for folder in folders:
        for group in sorted({p.parent for p in _messages(folder)}):
            seen = hits = 0
            misses = []
            for path in sorted(group.iterdir()):
                if not path.is_file() or path.suffix.lower() not in (".eml", ".txt", ".msg"):
                    continue
                if path.name.upper().startswith(("LICENSE", "README")):
                    continue
                raw = path.read_bytes()
                if raw.startswith(b"From "):  # an mbox separator line
                    raw = raw.split(b"\n", 1)[1]
                if folder in strip:
                    raw = _strip_list_headers(raw)
                person = group.name == "person" or path.name in persons
                automatic = read_message(raw, GATEWAY).kind in AUTOMATIC
                key = "person" if person else "automatic"
                totals[key] += 1
                if automatic != person:
                    totals[key + "_ok"] += 1
                    hits += 1
                else:
                    misses.append(path.name)
                seen += 1
            if not seen:
                continue
            label = group.relative_to(folder.parent) if folder != group else group.name
            print(f"{label}: {hits}/{seen} right ({100 * hits / max(seen, 1):.1f} %)")
            for name in misses:
                print(f"    wrong: {name}")
    auto, auto_ok = totals["automatic"], totals["automatic_ok"]
    person, person_ok = totals["person"], totals["person_ok"]
    print(f"automatic mail recognised: {auto_ok}/{auto} ({100 * auto_ok / max(auto, 1):.1f} %)")
    print(f"a person's mail taken for automatic: {person - person_ok}/{person}")


HOSTILE = {
    "label words, no colon": ("自動応答", "自動応答"),
    "forward prefixes": ("Re: Fwd: ", "Re: Fwd: "),
    "brackets": ("【", "【自動"),
    "spaces between words": ("out ", "of "),
    "failure intros": ("x", "following addresses had \n"),
    "absence words": ("不在", "不在にし "),
    "address-like runs": ("a", "a.a-a@"),
    "5.x.x codes": ("x", "5.1."),
}


def cost() -> None:
    """Milliseconds for one message of 10 KB, 100 KB and 1 MB of hostile text: the words
    are read in bounded windows, so the time stops growing with the size."""
    worst = 0.0
    for name, (subject_unit, body_unit) in HOSTILE.items():
        figures = []
        for size in (10_000, 100_000, 1_000_000):
            subject = subject_unit * (size // len(subject_unit.encode()))
            body = body_unit * (size // len(body_unit.encode()))
            headers = [("From", "a@example.jp"), ("Subject", subject)]
            start = time.perf_counter()
            recognise(headers, "a@example.jp", subject, body, [], None)
            _failure_lines(body)  # a bounce's failed recipients are read from the text too
            _carrier_lines(body)
            figures.append((time.perf_counter() - start) * 1000)
        worst = max(worst, figures[1])
        print(
            f"{name:24} {figures[0]:6.1f} ms at 10 KB, {figures[1]:6.1f} at 100 KB,"
            f" {figures[2]:6.1f} at 1 MB"
        )
    print(f"worst per 100 KB message: {worst:.1f} ms (target < 100)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--person", action="append", default=[])
    parser.add_argument("--strip-list", action="append", default=[], type=Path)
    args = parser.parse_args()
    folders = [CORPUS, *args.folders, *args.strip_list]
    recognition(folders, set(args.person), set(args.strip_list))
    cost()


if __name__ == "__main__":
    main()
