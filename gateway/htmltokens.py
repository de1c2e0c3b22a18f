"""The HTML tokenizer: one forward pass that hands text, tags and stylesheets to a sink.

Our own code because Python's `html.parser` re-scans from every unclosed `<` (an 88 kB
mail of `<a ` repeated stalled intake for 100 s), and lxml/html5lib are C or far slower and
still need our visibility model on top. This follows the HTML5 tokenizer states it needs
and never backtracks: an unclosed tag, quote, comment or raw-text element runs to the end
of the input, as in a browser. What the tags mean is gateway.htmltree's.
"""

from __future__ import annotations

import html
import re
from typing import Protocol

from gateway.htmlstyle import Sheet

_TAG_NAME_RE = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTR_NAME_RE = re.compile(r"[^\t\n\f\r />][^\t\n\f\r /=>]*")
_SPACE_RUN_RE = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED_RE = re.compile(r"[^\t\n\f\r >]*")
#: HTML's white space, which collapses to one space in normal text.
COLLAPSE_RE = re.compile(r"[ \t\n\r\f]+")  # not NBSP: a line of &nbsp; is a blank line
_LONG_CHARREF_RE = re.compile(r"(&#[xX]?)0*([0-9a-fA-F]{1,8})[0-9a-fA-F]*")

_RAW_TEXT = {"script", "style", "xmp", "iframe", "noembed", "noframes"}
_RCDATA = {"title", "textarea"}


class TokenSink(Protocol):
    """What the tokenizer hands its tokens to (gateway.htmltree.TreeBuilder)."""

    sheet: Sheet  # receives the bodies of <style> elements

    def text(self, data: str) -> None: ...

    def start_tag(self, name: str, attrs: dict[str, str], self_closing: bool) -> None: ...

    def end_tag(self, name: str) -> None: ...

    def conditional(self, inner: str) -> None:
        """The inside of an Outlook conditional comment (`<!--[if mso]>…<![endif]-->`)."""
        ...

    def not_in_outlook(self, inside: bool) -> None:
        """`<!--[if !mso]><!-->` (True) … `<!--<![endif]-->` (False): what Outlook hides."""
        ...


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return html.unescape(_LONG_CHARREF_RE.sub(r"\1\2", text))


# Text up to the next `<`, then a tag without attributes (`<p>`, `</div>`): most tags of
# most mail, matched in one step (the general path below is the same states spelled out).
_TEXT_THEN_SIMPLE_TAG_RE = re.compile(r"([^<]*+)<(/?)([A-Za-z][^\t\n\f\r />]*+)>")  # never backtracks
_CONTENT_STATES = _RAW_TEXT | _RCDATA | {"plaintext"}


def tokenize(source: str, conv: TokenSink) -> None:
    """One forward pass over the HTML (HTML5 tokenizer states, simplified)."""
    s = source
    n = len(s)
    pos = 0
    bang_close = _NextFinder(s, "--!>")  # rarely present: never search for it twice
    simple = _TEXT_THEN_SIMPLE_TAG_RE.match
    text, start_tag, end_tag = conv.text, conv.start_tag, conv.end_tag
    while pos < n:
        m = simple(s, pos)
        if m is not None:
            data, closing, name = m.groups()
            if data:
                text(data if "&" not in data else _unescape(data))
            name = name.lower()
            pos = m.end()
            if closing:
                end_tag(name)
                continue
            start_tag(name, {}, False)
            if name in _CONTENT_STATES:
                pos = _content(s, pos, name, conv)
                if pos < 0:
                    return
            continue
        lt = s.find("<", pos)
        if lt < 0:
            conv.text(_unescape(s[pos:]))
            return
        if lt > pos:
            conv.text(_unescape(s[pos:lt]))
        pos = lt
        nxt = s[pos + 1 : pos + 2]
        if nxt == "!":
            if s.startswith("<!--", pos):
                end = s.find("-->", pos + 4)
                bang = bang_close.at(pos + 4)
                if s.startswith(("<!-->", "<!--->"), pos):
                    pos = s.find(">", pos + 4) + 1
                    continue
                if end < 0 and bang < 0:
                    _comment(s[pos + 4 :], conv)
                    return  # an unclosed comment runs to the end
                close = min(e for e in (end, bang) if e >= 0)
                _comment(s[pos + 4 : close], conv)
                pos = close + (3 if close == end else 4)
                continue
            end = s.find(">", pos + 2)  # <!DOCTYPE …>, <![CDATA[…]]>, <![if …]>: bogus comments
            if end < 0:
                return
            pos = end + 1
            continue
        if nxt == "?":
            end = s.find(">", pos + 2)
            if end < 0:
                return
            pos = end + 1
            continue
        closing = nxt == "/"
        m = _TAG_NAME_RE.match(s, pos + (2 if closing else 1))
        if not m:
            if closing:
                if s.startswith("</>", pos):
                    pos += 3
                    continue
                end = s.find(">", pos + 2)
                if end < 0:
                    return
                pos = end + 1
                continue
            conv.text("<")
            pos += 1
            continue
        name = m.group(0).lower()
        if s.startswith(">", m.end()):
            attrs, pos, self_closing = {}, m.end() + 1, False
        else:
            attrs, pos, self_closing = _attributes(s, m.end())
        if pos < 0:
            return  # end of input inside a tag: the tag is dropped, as browsers do
        if closing:
            conv.end_tag(name)
            continue
        conv.start_tag(name, attrs, self_closing)
        if name in _CONTENT_STATES:
            pos = _content(s, pos, name, conv)
            if pos < 0:
                return


def _content(s: str, pos: int, name: str, conv: TokenSink) -> int:
    """The body of a raw-text or RCDATA element (`<style>`, `<title>` …) from `pos`: where
    its end tag starts, or -1 when the input ends first (or for `<plaintext>`)."""
    if name == "plaintext":
        conv.text(s[pos:])
        return -1
    found = _end_tag_re(name).search(s, pos)
    body = s[pos : found.start() if found else len(s)]
    if name == "style":
        conv.sheet.add(body)
    elif name in _RCDATA:
        conv.text(_unescape(body))
    elif name == "xmp":
        conv.text(body)
    if not found:
        conv.end_tag(name)
        return -1
    return found.start()


class _NextFinder:
    """`str.find` for a needle that may be searched for from many positions in order: the
    last answer is reused while it still lies ahead, so the input is scanned once."""

    def __init__(self, text: str, needle: str) -> None:
        self.text, self.needle = text, needle
        self.searched_from = -1
        self.found = -1

    def at(self, pos: int) -> int:
        if self.searched_from >= 0 and pos >= self.searched_from and (
            self.found < 0 or self.found >= pos
        ):
            return self.found
        self.searched_from = pos
        self.found = self.text.find(self.needle, pos)
        return self.found


_END_TAG_RES: dict[str, re.Pattern[str]] = {}


def _end_tag_re(name: str) -> re.Pattern[str]:
    if name not in _END_TAG_RES:
        _END_TAG_RES[name] = re.compile(r"</" + re.escape(name) + r"(?=[\t\n\f\r />])", re.I)
    return _END_TAG_RES[name]


def _attributes(s: str, pos: int) -> tuple[dict[str, str], int, bool]:
    """Attributes from `pos` to the tag's `>`: (attrs, position after `>`, self-closing).

    The position is -1 when the input ends inside the tag (an unclosed quote included).
    """
    attrs: dict[str, str] = {}
    n = len(s)
    while True:
        pos = _SPACE_RUN_RE.match(s, pos).end()  # type: ignore[union-attr]
        if pos >= n:
            return attrs, -1, False
        ch = s[pos]
        if ch == ">":
            return attrs, pos + 1, False
        if ch == "/":
            if s.startswith("/>", pos):
                return attrs, pos + 2, True
            pos += 1
            continue
        m = _ATTR_NAME_RE.match(s, pos)
        if m is None:  # a lone "=" starts a name in HTML5
            m = re.compile(r"=[^\t\n\f\r />=]*").match(s, pos)
            assert m is not None
        name = m.group(0).lower()
        pos = _SPACE_RUN_RE.match(s, m.end()).end()  # type: ignore[union-attr]
        value = ""
        if pos < n and s[pos] == "=":
            pos = _SPACE_RUN_RE.match(s, pos + 1).end()  # type: ignore[union-attr]
            if pos >= n:
                return attrs, -1, False
            quote = s[pos]
            if quote in "\"'":
                end = s.find(quote, pos + 1)
                if end < 0:
                    return attrs, -1, False
                value = s[pos + 1 : end]
                pos = end + 1
            else:
                um = _UNQUOTED_RE.match(s, pos)
                value = um.group(0)  # type: ignore[union-attr]
                pos = um.end()  # type: ignore[union-attr]
        if name not in attrs and len(attrs) < 64:
            attrs[name] = _unescape(value)


_CONDITIONAL_RE = re.compile(r"^\[if\s+([^\]]{0,100})\]>", re.I)


def _comment(comment: str, conv: TokenSink) -> None:
    """Outlook shows `<!--[if mso]>…<![endif]-->`; other clients do not: its inside goes to
    the sink as a conditional part (uncertain text); any other comment is dropped."""
    m = _CONDITIONAL_RE.match(comment)
    if m is None and comment.lstrip().lower().startswith("<![endif]"):
        conv.not_in_outlook(False)
        return
    if m is not None and "!" in m.group(1) and "mso" in m.group(1).lower():
        if "<![endif]" not in comment:
            conv.not_in_outlook(True)  # downlevel-revealed: the content follows the comment
        return  # else `<!--[if !mso]>…<![endif]-->`: a comment to every client
    if not m or "mso" not in m.group(1).lower():
        return
    inner = comment[m.end() :]
    endif = inner.rfind("<![endif]")
    conv.conditional(inner[:endif] if endif >= 0 else inner)
