"""HTML mail -> the text a person sees, in one linear pass over any input.

Used for reviewers' replies and for HTML-only drafts. The tokens come from
gateway.htmltokens, the element tree and each piece of text's visibility from
gateway.htmltree (with CSS from gateway.htmlstyle); this module assembles the lines of the
two readings. Two things make it our own code:

* **Linear on hostile input.** Python's `html.parser` re-scans from every unclosed `<`
  (an 88 kB mail of `<a ` repeated stalled intake for 100 s); the well-kept alternatives
  (lxml, html5lib) are C or far slower and still need our visibility model on top. The
  tokenizer (htmltokens) follows the HTML5 tokenizer states it needs, never backtracks (an
  unclosed tag, quote, comment or raw-text element runs to the end of the input, as in a
  browser), and every stack question (htmltree) is answered from per-name index lists in O(1).
  `bench/bench_html.py` prints the worst case per 100 KB.
* **Only what a person sees.** Text hidden by CSS (display:none, visibility:hidden,
  font-size 0, zero opacity, zero-height boxes, off-screen text, a colour equal to its
  background), the `hidden` attribute, `<head>`/`<title>`/`<style>`/`<script>`/
  `<template>` are not the writer's words. What a person *may* see depending on the
  client (mso-hide:all, Outlook conditional comments either way, a closed `<details>` or
  `<dialog>`, stylesheet rules we cannot match
  exactly, @media rules, tiny or faint text, text in `<head>` that browsers move to the
  body) is "uncertain": `HtmlText.text` includes it, `HtmlText.seen` does not, and a
  reply whose two readings decide differently asks again.

Line structure follows what the reader sees: blocks and `<br>` break lines, `<p>` makes
paragraphs (Outlook's MsoNormal paragraphs are single lines), blockquotes and Outlook's
reply header quote what follows with `> `, and a link shows its target: `text（URL）`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter

from gateway.htmlstyle import HIDDEN, UNCERTAIN, VISIBLE
from gateway.htmltokens import COLLAPSE_RE, tokenize
from gateway.htmltree import Segment, TreeBuilder

_LEVEL = itemgetter(2)  # a segment's visibility


@dataclass(frozen=True)
class HtmlText:
    """The two readings of an HTML body."""

    text: str  # what is or may be visible (drafts use this: nothing a reader may see is lost)
    seen: str  # only what is certainly visible
    notes: tuple[str, ...] = ()  # why parts are uncertain (English, for `problems`)
    hidden_text: bool = False  # some text is certainly hidden (display:none, white on white …)

    @property
    def uncertain(self) -> bool:
        return self.text != self.seen


def _assemble(segments: list[Segment], worst: int, outlook_from: int) -> str:
    """Lines from the segments whose visibility is at most `worst`; runs of blank lines
    (or lines of quote marks only) become one, and none end the text.

    One loop with its per-segment work written out (a mail of one letter per element
    makes a segment per letter); `end_line` is the only call per line, and blank runs
    are dropped as lines are made, not in a second pass."""
    lines: list[str] = []
    current: list[str] = []
    current_quote = 0
    pending = 0  # line breaks owed before the next text
    started = False
    blank = True  # the last line kept is blank (or there is none)
    collapse = COLLAPSE_RE.sub
    if outlook_from >= 0:  # Outlook's quoted original: one more quote level to the end
        segments = segments[:outlook_from] + [
            (kind, text, level, quote + 1, pre)
            for kind, text, level, quote, pre in segments[outlook_from:]
        ]

    def end_line() -> None:
        nonlocal current, blank
        text = (current[0] if len(current) == 1 else "".join(current)).replace("\u00a0", " ")
        text = text.rstrip(" ")
        line = ("> " * current_quote + text).rstrip() if current_quote else text
        if line.strip(" >"):
            blank = False
        elif blank:
            current = []
            return
        else:
            blank = True
        lines.append(line)
        current = []

    def pay_pending(quote: int) -> None:
        """Before text: the line breaks owed (a blank line for two or more; all but the
        first blank line would be dropped)."""
        nonlocal pending, blank
        if current:
            end_line()
        if pending > 1 and not blank:
            lines.append("> " * quote if quote else "")
            blank = True
        pending = 0

    for kind, text, level, quote, pre in segments:
        if level > worst:
            continue
        if kind == "t":
            if not pre:
                piece = collapse(" ", text)
                if not piece:
                    continue
                if pending:
                    pay_pending(quote)
                if not current:
                    piece = piece.lstrip(" ")
                    if not piece:
                        continue
                    current_quote = quote
                current.append(piece)
                started = True
                continue
            for i, piece in enumerate(text.split("\n")):
                if i:
                    end_line()
                if not piece:
                    continue
                if pending:
                    pay_pending(quote)
                if not current:
                    current_quote = quote
                current.append(piece)
                started = True
        elif kind == "b":
            if started and len(text) > pending:
                pending = len(text)
        else:  # "n"
            if current or pending:
                for _ in range(pending or 1):
                    end_line()
                pending = 0
            else:
                end_line()
            started = True
    if current:
        end_line()
    while lines and not lines[-1].strip(" >"):
        lines.pop()
    return "\n".join(lines)


def render_html(source: str) -> HtmlText:
    """Both readings of an HTML body. Never raises; linear in the length of `source`."""
    conv = TreeBuilder()
    try:
        tokenize(source or "", conv)
        segments, outlook_from, notes = conv.finish()
        maybe = _assemble(segments, UNCERTAIN, outlook_from)
        levels = set(map(_LEVEL, segments))  # one pass in C, not a loop per question
        # with nothing hidden or uncertain, both readings keep every segment: one pass
        seen = maybe if levels <= {VISIBLE} else _assemble(segments, VISIBLE, outlook_from)
        hidden = HIDDEN in levels and any(
            k == "t" and lv == HIDDEN and t.strip() for k, t, lv, _q, _p in segments
        )
        return HtmlText(maybe, seen, notes, hidden)
    except Exception as exc:  # a bug here must not lose the mail: strip tags instead
        text = COLLAPSE_RE.sub(" ", re.sub(r"<[^<>]{0,2000}>", " ", source or "")).strip()
        return HtmlText(text, "", (f"HTML reader failed ({type(exc).__name__}); tags stripped",))


def html_to_text(source: str) -> str:
    """What is or may be visible in an HTML body, as text with `> ` quoting. Never raises."""
    return render_html(source).text
