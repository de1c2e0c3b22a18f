"""Worst-case HTML reading time per 100 KB of adversarial input (issue 13; target < 100 ms).

Each shape is built at 100 KB and 400 KB: the per-100 KB figure of a linear reader is the
same at both sizes (a quadratic one grows 4x). Times are CPU time (process_time), so a
busy machine inflates them less. Python's own html.parser is timed on the `<a ` shape for
comparison (it stalled intake for 100 s on an 88 kB mail). A second table times the
decision grammar (`read_reply`) on hostile reply text, per 100 KB of UTF-8.

    python bench/bench_html.py
"""

from __future__ import annotations

import sys
import time
from html.parser import HTMLParser
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.htmltext import render_html
from gateway.replies import read_reply

KB = 1024


def _fill(unit: str, size: int) -> str:
    return unit * (size // len(unit) + 1)


SHAPES = {
    "`<a ` repeated (unclosed tags)": lambda n: _fill("<a ", n),
    "`<div>` nesting, never closed": lambda n: _fill("<div>", n),
    "`<span>` nesting, closed": lambda n: _fill("<span>", n // 2) + _fill("</span>", n // 2),
    "deep `<b><div>` then `</b>` (adoption agency)": lambda n: _fill("<b><div>x", n // 2)
    + _fill("</b>", n // 2),
    "`<p><table>` + `<div>` (scope checks)": lambda n: "<p><table>" + _fill("<div></span>", n),
    "one long attribute, unclosed quote": lambda n: '<a href="' + "x" * n,
    "many attributes in one tag": lambda n: "<a " + _fill('x="1" ', n) + ">t",
    "many entities": lambda n: _fill("&amp;&#12354;&#x3042;&nbsp;&bogus;", n),
    "huge numeric entity": lambda n: "&#" + "9" * n + ";",
    "`<!--` comment openers": lambda n: _fill("<!--", n),
    "`<!` bogus comment openers": lambda n: _fill("<!x", n),
    "`</` end tag openers": lambda n: _fill("</x ", n),
    "`<style>` never closed": lambda n: "<style>" + _fill(".a{display:none}", n),
    "many stylesheet rules + classes": lambda n: "<style>"
    + "".join(f".c{i}{{display:none}}" for i in range(2000))
    + "</style>"
    + _fill('<span class="c1 c2 c3 c4 c5 c6 c7 c8">x</span>', n),
    "long style attribute": lambda n: '<span style="' + _fill("color:red;", n) + '">x</span>',
    "CSS comment openers": lambda n: '<span style="' + _fill("/*", n) + '">x</span>',
    "conditional comments": lambda n: _fill("<!--[if mso]><b>x</b><![endif]-->", n),
    "text with `<` and `&` only": lambda n: _fill("< & <3 a<b ", n),
    # one letter per element (session 5): the tree's per-element work, not the tokenizer's
    "`<p>x` repeated (a paragraph per letter)": lambda n: _fill("<p>x", n),
    "`<div>x` nested, never closed": lambda n: _fill("<div>x", n),
    "`<b>x` nested, never closed": lambda n: _fill("<b>x", n),
    "`<table><tr><td>x` repeated": lambda n: _fill("<table><tr><td>x", n),
    "ordinary Outlook reply": lambda n: _fill(
        '<p class=MsoNormal><span style="color:#1F497D">承認します。<o:p></o:p></span></p>\n', n
    ),
}


# The decision grammar on the text such mail becomes (the reply's own words).
REPLY_SHAPES = {
    "承認できません repeated, one sentence": lambda n: _fill("承認できません", n // 3),
    "承認します、差戻し、 repeated": lambda n: _fill("承認します、差戻し、", n // 3),
    "承認⏎ repeated (wrapped lines)": lambda n: _fill("承認\n", n // 3),
    "quoted lines and 承認 signatures": lambda n: _fill("> 承認する場合は\n承認・決裁担当\n", n // 3),
}

# Our own text pasted back unquoted (the fingerprint search, gateway.replies / linerun):
# (reply, what we sent), half of the bytes each. A post of one short line repeated made
# every line try every place it occurs (34 s for 16,000 lines); lines that are nearly a
# piece of one huge sent line made a substring search per line.
PASTED_SHAPES = {
    "one short line repeated, pasted back": lambda n: (
        "承認します\n" + _fill("あ\n", n // 6), [_fill("あ\n", n // 6)]
    ),
    "near-pieces of one huge sent line": lambda n: (
        "承認します\n" + _fill("あ" * 19 + "い\n", n // 6), ["あ" * (n // 6)]
    ),
    "a long post re-wrapped at 38 columns": lambda n: (
        "承認します\n" + "\n".join(_wrap(_fill("町の防災訓練のお知らせです。", n // 6), 38)),
        [_fill("町の防災訓練のお知らせです。", n // 6)],
    ),
}


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def _time(fn, text: str, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(text)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    print(f"{'shape':52} {'ms/100KB @100KB':>16} {'ms/100KB @400KB':>16}")
    worst = 0.0
    for name, build in SHAPES.items():
        figures = []
        for size in (100 * KB, 400 * KB):
            text = build(size)
            seconds = _time(render_html, text)
            figures.append(seconds * 1000 * (100 * KB) / len(text))
        worst = max(worst, *figures)
        print(f"{name:52} {figures[0]:16.1f} {figures[1]:16.1f}")
    print(f"\nworst case: {worst:.1f} ms per 100 KB (target < 100 ms)")

    print(f"\n{'reply text (read_reply)':52} {'ms/100KB @100KB':>16} {'ms/100KB @400KB':>16}")
    for name, build in REPLY_SHAPES.items():
        figures = []
        for size in (100 * KB, 400 * KB):
            text = build(size)
            seconds = _time(read_reply, text, repeat=1)
            figures.append(seconds * 1000 * (100 * KB) / len(text.encode()))
        print(f"{name:52} {figures[0]:16.1f} {figures[1]:16.1f}")
    for name, build in PASTED_SHAPES.items():
        figures = []
        for size in (100 * KB, 400 * KB):
            reply, sent = build(size)
            seconds = _time(lambda r, s=sent: read_reply(r, s), reply, repeat=1)
            total = len(reply.encode()) + sum(len(t.encode()) for t in sent)
            figures.append(seconds * 1000 * (100 * KB) / total)
        print(f"{name:52} {figures[0]:16.1f} {figures[1]:16.1f}")

    def stdlib(text: str) -> None:
        parser = HTMLParser()
        parser.feed(text)
        parser.close()

    text = SHAPES["`<a ` repeated (unclosed tags)"](20 * KB)
    seconds = _time(stdlib, text, repeat=1)
    print(f"for comparison, html.parser on 20 KB of `<a `: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
