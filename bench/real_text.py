"""The checker on real text kept outside the repository: errors on clean pieces, and
toxic comments caught.

Real published text and real comments labelled by other people are what issue 12 is
measured on; their licences rarely allow committing them, so this script reads them from
wherever they are kept:

    python bench/real_text.py --clean DIR [--labelled FILE.tsv ...] [-v] [--speed]

- `--clean DIR`: every `*.txt` file in DIR holds pieces of published text (municipal
  notices, weather bulletins, encyclopedia and news prose), each introduced by a line
  `=== SOURCE` (its URL). Every piece is checked as a web post of the town; a piece with
  an `error` is printed with its findings (no context can make an error legitimate, so
  each one is a false accusation to classify).
- `--labelled FILE.tsv`: lines `ID<TAB>LABEL<TAB>TEXT` (LABEL 1: toxic, 0: not; `\\n` in
  TEXT is a line break). A toxic comment counts as caught by a 3(7) warning or error;
  every miss is printed.

Prints the figures the issue asks for: pieces, pieces with an error, toxic comments
caught (and caught as an error), non-toxic comments flagged. `--speed`: also the whole
check's CPU time over the clean pieces beside Sudachi alone tokenizing them (the ratio
bench_checker.py gives for its made-up posts, here over real distinct drafts), with a
month of approved posts for the near-duplicate rule as there.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

from gateway.checker import CheckContext, Checker
from gateway.model import Finding, Severity

CONTEXT = CheckContext(
    platform="web",
    account="町ホームページ",
    official_accounts=("町ホームページ",),
    schedule=datetime(2025, 11, 20, 9, 0),
)


def pieces(folder: Path):
    """(source, text) of every piece in the folder's .txt files."""
    for path in sorted(folder.glob("*.txt")):
        source, lines = None, []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("=== "):
                if source and "".join(lines).strip():
                    yield source, "\n".join(lines).strip()
                source, lines = f"{path.name} {line[4:]}", []
            else:
                lines.append(line)
        if source and "".join(lines).strip():
            yield source, "\n".join(lines).strip()


def labelled(path: Path):
    """(id, toxic?, text) of every line of a labelled TSV file."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            ident, label, text = line.split("\t", 2)
            yield f"{path.name}:{ident}", label.strip() == "1", text.replace("\\n", "\n")


def abusive(findings: list[Finding]) -> list[Finding]:
    return [
        f
        for f in findings
        if f.severity is not Severity.INFO and (f.clause or "").startswith("3(7)")
    ]


def brief(findings: list[Finding]) -> str:
    return ", ".join(f"{f.rule}/{f.severity.value}「{f.excerpt}」" for f in findings)


def speed(checker: Checker, texts: list[str], rounds: int = 11) -> None:
    """CPU time of the whole check over `texts` beside Sudachi alone, taking turns."""
    from bench_checker import recent_posts

    from gateway.checker.tokenizer import plain_tokenizer

    ctx = dataclasses.replace(CONTEXT, recent_approved_texts=recent_posts())
    raw = plain_tokenizer()
    for text in texts:
        checker.check(text, ctx)
    ratios, checks = [], []
    for _ in range(rounds):
        t = time.process_time()
        for text in texts:
            raw.tokenize(text)
        sudachi = time.process_time() - t
        t = time.process_time()
        for text in texts:
            checker.check(text, ctx)
        check = time.process_time() - t
        ratios.append(check / sudachi)
        checks.append(check / len(texts))
    print(
        f"speed over {len(texts)} clean pieces (median {statistics.median(map(len, texts)):.0f}"
        f" characters): check {statistics.median(checks) * 1000:.3f} ms a piece,"
        f" {statistics.median(ratios):.2f}x Sudachi alone (median of {rounds} rounds)"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clean", type=Path, help="folder of clean pieces (*.txt)")
    ap.add_argument(
        "--labelled", type=Path, action="append", default=[], help="TSV of labelled comments"
    )
    ap.add_argument("-v", action="store_true", help="print warnings on clean pieces too")
    ap.add_argument("--speed", action="store_true", help="time the check over the clean pieces")
    args = ap.parse_args(argv)
    checker = Checker.load()
    if args.clean:
        n = with_error = with_warning = 0
        for source, text in pieces(args.clean):
            found = checker.check(text, CONTEXT)
            errors = [f for f in found if f.severity is Severity.ERROR]
            warnings = [f for f in found if f.severity is Severity.WARNING]
            n += 1
            with_error += bool(errors)
            with_warning += bool(warnings)
            if errors:
                print(f"ERROR   {source}: {brief(errors)}")
            if args.v and warnings:
                print(f"warning {source}: {brief(warnings)}")
        print(
            f"clean pieces: {n}, with an error: {with_error} ({with_error / max(n, 1):.1%}), with a warning: {with_warning}"
        )
        if args.speed:
            speed(checker, [text for _, text in pieces(args.clean)])
    toxic = caught = as_error = clean = flagged = 0
    for path in args.labelled:
        for ident, is_toxic, text in labelled(path):
            found = abusive(checker.check(text, CONTEXT))
            if is_toxic:
                toxic += 1
                caught += bool(found)
                as_error += any(f.severity is Severity.ERROR for f in found)
                if not found:
                    print(f"MISS    {ident}: {text[:80]!r}")
            else:
                clean += 1
                flagged += bool(found)
                if found:
                    print(f"FLAGGED {ident}: {brief(found)}")
    if toxic or clean:
        print(
            f"toxic comments: {toxic}, caught: {caught} ({caught / max(toxic, 1):.1%}),"
            f" as an error: {as_error}; non-toxic flagged: {flagged}/{clean}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
