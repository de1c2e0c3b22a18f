"""HTML mail -> the text a person sees, in one linear pass over any input.

Used for reviewers' replies and for HTML-only drafts. Two things make it our own code:

* **Linear on hostile input.** Python's `html.parser` re-scans from every unclosed `<`
  (an 88 kB mail of `<a ` repeated stalled intake for 100 s); the well-kept alternatives
  (lxml, html5lib) are C or far slower and still need our visibility model on top. This
  tokenizer follows the HTML5 tokenizer states it needs, never backtracks (an unclosed
  tag, quote, comment or raw-text element runs to the end of the input, as in a
  browser), and every stack question is answered from per-name index lists in O(1).
  `bench/bench_html.py` prints the worst case per 100 KB.
* **Only what a person sees.** Text hidden by CSS (display:none, visibility:hidden,
  font-size 0, zero opacity, zero-height boxes, off-screen text, a colour equal to its
  background), the `hidden` attribute, `<head>`/`<title>`/`<style>`/`<script>`/
  `<template>` are not the writer's words. What a person *may* see depending on the
  client (mso-hide:all, Outlook conditional comments, stylesheet rules we cannot match
  exactly, @media rules, tiny or faint text, text in `<head>` that browsers move to the
  body) is "uncertain": `HtmlText.text` includes it, `HtmlText.seen` does not, and a
  reply whose two readings decide differently asks again.

Line structure follows what the reader sees: blocks and `<br>` break lines, `<p>` makes
paragraphs (Outlook's MsoNormal paragraphs are single lines), blockquotes and Outlook's
reply header quote what follows with `> `, and a link shows its target: `text（URL）`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from gateway.htmlstyle import (
    HIDDEN,
    UNCERTAIN,
    VISIBLE,
    Sheet,
    Style,
    apply_style,
    parse_declarations,
    visibility,
)

_TAG_NAME_RE = re.compile(r"[A-Za-z][^\t\n\f\r />]*")
_ATTR_NAME_RE = re.compile(r"[^\t\n\f\r />][^\t\n\f\r /=>]*")
_SPACE_RUN_RE = re.compile(r"[\t\n\f\r ]*")
_UNQUOTED_RE = re.compile(r"[^\t\n\f\r >]*")
_COLLAPSE_RE = re.compile(r"[ \t\n\r\f]+")  # not NBSP: a line of &nbsp; is a blank line
_LONG_CHARREF_RE = re.compile(r"(&#[xX]?)0*([0-9a-fA-F]{1,8})[0-9a-fA-F]*")

_RAW_TEXT = {"script", "style", "xmp", "iframe", "noembed", "noframes"}
_RCDATA = {"title", "textarea"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
         "param", "source", "track", "wbr"}  # fmt: skip
_NEVER_SHOWN = {"script", "style", "title", "template", "head", "iframe", "noembed", "noframes",
                "xml", "object"}  # fmt: skip
_BLOCK = {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
          "div", "dl", "dd", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
          "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "li", "main", "menu", "nav",
          "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr",
          "ul", "caption", "listing", "xmp", "o:p", "body", "html"}  # fmt: skip
# Start tags that close an open <p> (HTML5 "close a p element in button scope").
_CLOSES_P = {"address", "article", "aside", "blockquote", "center", "details", "dialog", "dir",
             "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3",
             "h4", "h5", "h6", "header", "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre",
             "section", "summary", "table", "ul", "li", "dd", "dt", "listing", "xmp"}  # fmt: skip
_SCOPE = {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template",
          "button"}  # fmt: skip
_SPECIAL = _BLOCK | _SCOPE | {"br", "img", "hr", "iframe", "li", "select", "textarea", "td",
                              "th", "tr", "tbody", "thead", "tfoot", "head", "title", "style",
                              "script"}  # fmt: skip
_FORMATTING = {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike",
               "strong", "tt", "u"}  # fmt: skip
_TABLE_CONTEXT = {"table", "tbody", "thead", "tfoot", "tr"}
_IMPLIED_ENDS = {"li", "dd", "dt", "td", "th", "tr", "a", "nobr"}  # start tags that may end others
# Elements whose name alone changes what or how their text shows.
_STYLED_BY_NAME = {"blockquote", "pre", "listing", "xmp", "textarea", "plaintext", "noscript",
                   "a", "font"} | _NEVER_SHOWN  # fmt: skip
_OUTLOOK_QUOTE_IDS = {"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend",
                      "mail-editor-reference-message-container"}  # fmt: skip
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix"}
_MAX_RESTYLE = 64  # elements re-styled when a formatting element closes under blocks

@dataclass(frozen=True)
class HtmlText:
    """The two readings of an HTML body."""

    text: str  # what is or may be visible (drafts use this: nothing a reader may see is lost)
    seen: str  # only what is certainly visible
    notes: tuple[str, ...] = ()  # why parts are uncertain (English, for `problems`)

    @property
    def uncertain(self) -> bool:
        return self.text != self.seen


@dataclass(slots=True)
class _Element:
    name: str
    style: Style
    special: bool
    scope: bool
    href: str | None = None
    link_text: list[str] | None = None
    decls: dict[str, str] | None = None  # the declarations applied (sheet + inline)
    forced_none: bool = False  # hidden attribute, <head>/<style>/<template> …
    forced_uncertain: bool = False  # an inexact stylesheet rule, <noscript>
    level: int = VISIBLE  # visibility(style), computed once
    generated: dict[str, str] | None = None  # ::before / ::after text from a stylesheet


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return html.unescape(_LONG_CHARREF_RE.sub(r"\1\2", text))


# ---------------------------------------------------------------------------
# The converter
# ---------------------------------------------------------------------------


class _Converter:
    def __init__(self) -> None:
        self.stack: list[_Element] = []
        self.links: list[_Element] = []  # open <a href> elements (collecting their text)
        self.positions: dict[str, list[int]] = {}
        self.scope_positions: list[int] = []
        self.special_positions: list[int] = []
        self.root = Style()
        self.segments: list[tuple[str, str, int, int, bool]] = []  # (kind, text, vis, quote, pre)
        self.sheet = Sheet()
        self.notes: list[str] = []
        self.degraded = False
        self.outlook_from = -1  # segment where Outlook's reply header starts the quote
        self.in_head = False

    # --- the stack ------------------------------------------------------------------

    def style(self) -> Style:
        return self.stack[-1].style if self.stack else self.root

    def _insert_parent(self) -> _Element | None:
        """Where content goes; foster parenting: directly in a table, it goes before it."""
        if not self.stack:
            return None
        top = self.stack[-1]
        if top.name in _TABLE_CONTEXT:
            tables = self.positions.get("table")
            if tables:
                idx = tables[-1]
                return self.stack[idx - 1] if idx > 0 else None
        return top

    def _parent_style_for_insert(self) -> Style:
        parent = self._insert_parent()
        return parent.style if parent is not None else self.root

    def _push(self, el: _Element) -> None:
        self._index(el, len(self.stack))
        self.stack.append(el)
        if el.link_text is not None:
            self.links.append(el)

    def _pop(self) -> None:
        el = self.stack.pop()
        idx = len(self.stack)
        self.positions[el.name].pop()
        if self.scope_positions and self.scope_positions[-1] == idx:
            self.scope_positions.pop()
        if self.special_positions and self.special_positions[-1] == idx:
            self.special_positions.pop()
        if self.links and self.links[-1] is el:
            self.links.pop()
        self._closed(el)

    def _generated(self, el: _Element, text: str) -> None:
        level = self._vis(el.style, el.level)
        level = level if level == HIDDEN else UNCERTAIN
        self.segments.append(("t", text, level, el.style.quote, el.style.pre))

    def _closed(self, el: _Element) -> None:
        if el.generated and "after" in el.generated:
            self._generated(el, el.generated["after"])
        if el.name in _BLOCK or el.name in ("td", "th"):
            self._break(el, 2 if el.name == "p" and not el.style.tiny_margin else 1)
        if el.href is not None and el.link_text is not None:
            self._link_target(el)

    def _pop_until(self, idx: int) -> None:
        while len(self.stack) > idx:
            self._pop()

    def _last(self, name: str) -> int:
        found = self.positions.get(name)
        return found[-1] if found else -1

    def _in_scope(self, name: str, extra: frozenset[str] = frozenset()) -> int:
        idx = self._last(name)
        if idx < 0:
            return -1
        boundary = self.scope_positions[-1] if self.scope_positions else -1
        for other in extra:
            boundary = max(boundary, self._last(other))
        return idx if idx >= boundary else -1

    # --- output -----------------------------------------------------------------------

    def _vis(self, st: Style, level: int | None = None) -> int:
        if level is None:
            level = visibility(st)
        if self.in_head and level != HIDDEN:
            level = UNCERTAIN  # text in <head>: browsers move it to the body, some clients drop it
        if self.degraded:
            level = UNCERTAIN
        return level

    def _break(self, el: _Element | None, count: int) -> None:
        if el is None:
            el = self.stack[-1] if self.stack else None
        st = el.style if el is not None else self.root
        level = self._vis(st, el.level if el is not None else None)
        last = self.segments[-1] if self.segments else None
        if last and last[0] == "b" and last[2:4] == (level, st.quote) and len(last[1]) >= count:
            return  # the same break is already owed (nested blocks end together)
        self.segments.append(("b", "\n" * count, level, st.quote, st.pre))

    def text(self, data: str) -> None:
        if not data:
            return
        parent = self._insert_parent()
        st = parent.style if parent is not None else self.root
        level = self._vis(st, parent.level if parent is not None else None)
        self.segments.append(("t", data, level, st.quote, st.pre))
        if level != HIDDEN:
            for el in self.links:
                if el.link_text is not None:
                    el.link_text.append(data)

    def _link_target(self, el: _Element) -> None:
        href = (el.href or "").strip()
        low = href.lower()
        if not href or low.startswith(("#", "javascript:", "cid:", "data:")):
            return
        shown = _COLLAPSE_RE.sub("", "".join(el.link_text or []))
        target = href[7:] if low.startswith("mailto:") else href
        if shown.rstrip("/") in (target.rstrip("/"), href.rstrip("/")):
            return
        st = el.style
        self.segments.append(("t", f"（{href}）", self._vis(st), st.quote, st.pre))

    # --- tags -------------------------------------------------------------------------

    def start_tag(self, name: str, attrs: dict[str, str], self_closing: bool) -> None:
        if name in ("html", "body"):
            decls = parse_declarations(attrs.get("style", ""))
            for attr, prop in (("bgcolor", "background-color"), ("text", "color")):
                if attrs.get(attr):
                    decls.setdefault(prop, attrs[attr])
            self.root = apply_style(decls, self.root)
            self.in_head = False
            return
        if name == "head":
            self.in_head = True
            return
        if name in _CLOSES_P and self.positions.get("p"):
            idx = self._in_scope("p")
            if idx >= 0:
                self._pop_until(idx)
        if name not in _IMPLIED_ENDS:
            pass
        elif name == "li":
            idx = self._in_scope("li", frozenset(("ol", "ul")))
            if idx >= 0:
                self._pop_until(idx)
        elif name in ("dd", "dt"):
            idx = max(self._in_scope("dd"), self._in_scope("dt"))
            if idx >= 0:
                self._pop_until(idx)
        elif name in ("td", "th", "tr"):
            cell = max(self._in_scope("td"), self._in_scope("th"))
            if cell >= 0:
                self._pop_until(cell)
            if name == "tr":
                row = self._in_scope("tr")
                if row >= 0:
                    self._pop_until(row)
        elif name in ("a", "nobr") and self._last(name) >= 0:
            self.end_tag(name)
        if name == "br":
            st = self._parent_style_for_insert()
            self.segments.append(("n", "\n", self._vis(st), st.quote, st.pre))
            return
        if name == "hr":
            st = self._parent_style_for_insert()
            self._break(None, 1)
            self.segments.append(("t", "________________________________", self._vis(st),
                                  st.quote, False))  # fmt: skip
            self._break(None, 1)
            return
        if name in _VOID:
            return
        if self_closing and name in ("svg", "math"):
            return
        el = self._element(name, attrs)
        if name in _BLOCK or name in ("td", "th"):
            self._break(el, 2 if name == "p" and not el.style.tiny_margin else 1)
        if name in ("td", "th"):
            self.segments.append(("t", " ", self._vis(el.style), el.style.quote, el.style.pre))
        self._push(el)
        if el.generated and "before" in el.generated:
            self._generated(el, el.generated["before"])

    def _element(self, name: str, attrs: dict[str, str]) -> _Element:
        table_part = name in _TABLE_CONTEXT or name in ("td", "th", "caption", "colgroup")
        if table_part:
            parent_el = self.stack[-1] if self.stack else None
        else:
            parent_el = self._insert_parent()
        if not attrs and not self.sheet.by_key and name not in _STYLED_BY_NAME:
            # the common case: an element without attributes inherits its parent's style
            st = parent_el.style if parent_el is not None else self.root
            level = parent_el.level if parent_el is not None else visibility(st)
            return _Element(name, st, name in _SPECIAL, name in _SCOPE, level=level)
        parent = parent_el.style if parent_el is not None else self.root
        classes = tuple(attrs.get("class", "").lower().split()) if "class" in attrs else ()
        ident = attrs.get("id", "").lower().strip()
        decls: dict[str, str] = {}
        inexact: dict[str, str] = {}
        generated: dict[str, str] = {}
        for rule in self.sheet.matching(name, classes, ident):
            if rule.generated is not None:
                # text a stylesheet adds (::before / ::after): a reader sees it; we may not
                # match the selector exactly, so it is read as uncertain
                generated[rule.generated[0]] = rule.generated[1]
                continue
            (decls if rule.exact else inexact).update(rule.decls)
        raw_style = attrs.get("style", "")
        inline = parse_declarations(raw_style) if raw_style else {}
        if name == "font":
            if attrs.get("color"):
                decls["color"] = attrs["color"]
            if attrs.get("size", "").strip() in ("0",):
                decls["font-size"] = "0"
        if attrs.get("bgcolor"):
            decls["background-color"] = attrs["bgcolor"]
        decls.update(inline)
        st = apply_style(decls, parent) if decls else parent
        # a rule that may or may not apply (descendant selector, @media) and would change
        # whether the text is seen makes it uncertain
        uncertain_rule = bool(inexact) and visibility(apply_style({**decls, **inexact, **inline},
                                                             parent)) != visibility(st)  # fmt: skip
        forced_none = "hidden" in attrs or name in _NEVER_SHOWN
        forced_uncertain = uncertain_rule or name == "noscript"
        quote = st.quote
        if raw_style or ident:
            compact_style = raw_style.replace(" ", "").lower()
            outlook_header = ident in _OUTLOOK_QUOTE_IDS or any(
                b in compact_style for b in ("border-top:solid#e1e1e1", "border-top:solid#b5c4df")
            )
            if outlook_header and self.outlook_from < 0:
                # Outlook: the original follows the header as siblings, so quote to the end
                self.outlook_from = len(self.segments)
        if name == "blockquote" or (classes and set(classes) & _QUOTE_CLASSES):
            quote += 1
        pre = st.pre or name in ("pre", "listing", "xmp", "textarea", "plaintext")
        tiny = any("mso" in c for c in classes) or inline.get("margin", "").strip() in (
            "0", "0px", "0cm", "0mm", "0in",
        )  # fmt: skip
        if (forced_none and not st.none) or (forced_uncertain and not st.uncertain) or (
            (quote, pre, tiny) != (st.quote, st.pre, st.tiny_margin)
        ):
            st = st._replace(none=st.none or forced_none, uncertain=st.uncertain or forced_uncertain,
                             quote=quote, pre=pre, tiny_margin=tiny)  # fmt: skip
        href = attrs.get("href") if name == "a" else None
        return _Element(
            name=name,
            style=st,
            special=name in _SPECIAL,
            scope=name in _SCOPE,
            href=href,
            link_text=[] if href is not None else None,
            decls=decls,
            forced_none=forced_none,
            forced_uncertain=forced_uncertain,
            level=visibility(st),
            generated=generated or None,
        )

    def end_tag(self, name: str) -> None:
        if name in ("html", "body"):
            return
        if name == "head":
            self.in_head = False
            return
        if name == "br":
            self.start_tag("br", {}, False)
            return
        if name == "p" and self._in_scope("p") < 0:
            self._break(None, 2)  # </p> without <p>: an empty paragraph
            return
        idx = self._last(name)
        if idx < 0:
            return
        if name in _FORMATTING:
            above = self.special_positions[-1] if self.special_positions else -1
            if above > idx:
                self._close_formatting_under_blocks(idx)
                return
            self._pop_until(idx)
            return
        if name in _SPECIAL:
            extra = frozenset(("ol", "ul")) if name == "li" else frozenset()
            if self._in_scope(name, extra) < 0:
                return
            self._pop_until(idx)
            return
        # any other end tag: only when no special element stands above it
        above = self.special_positions[-1] if self.special_positions else -1
        if above > idx:
            return
        self._pop_until(idx)

    def _close_formatting_under_blocks(self, idx: int) -> None:
        """`<b><div>x</b>y`: the blocks stay open, without the formatting element's style
        (the adoption agency algorithm's visible effect). Re-style what is above it.

        At most _MAX_RESTYLE elements are re-styled; beyond that the end tag is ignored
        and the rest of the document is read as uncertain (linear time on any input)."""
        if len(self.stack) - idx > _MAX_RESTYLE:
            if not self.degraded:
                self.notes.append("formatting element closed under too many blocks")
            self.degraded = True
            return
        el = self.stack[idx]
        if el.link_text is not None:
            self._link_target(el)
            el.link_text = None
            self.links = [link for link in self.links if link is not el]
        above = self.stack[idx + 1 :]
        self._pop_index_from(idx)
        del self.stack[idx:]
        parent = self.stack[-1].style if self.stack else self.root
        for child in above:
            st = apply_style(child.decls or {}, parent)
            old = child.style
            child.style = st._replace(none=st.none or child.forced_none,
                                  uncertain=st.uncertain or child.forced_uncertain,
                                  quote=old.quote, pre=old.pre, tiny_margin=old.tiny_margin)  # fmt: skip
            child.level = visibility(child.style)
            parent = child.style
            self._index(child, len(self.stack))
            self.stack.append(child)

    def _pop_index_from(self, idx: int) -> None:
        """Forget the index entries of stack[idx:] (few: at most _MAX_RESTYLE + 1)."""
        for el in self.stack[idx:]:
            entries = self.positions[el.name]
            while entries and entries[-1] >= idx:
                entries.pop()
        for entries in (self.scope_positions, self.special_positions):
            while entries and entries[-1] >= idx:
                entries.pop()

    def _index(self, el: _Element, i: int) -> None:
        self.positions.setdefault(el.name, []).append(i)
        if el.scope:
            self.scope_positions.append(i)
        if el.special:
            self.special_positions.append(i)

    def finish(self) -> HtmlText:
        self._pop_until(0)
        maybe = _assemble(self.segments, UNCERTAIN, self.outlook_from)
        seen = _assemble(self.segments, VISIBLE, self.outlook_from)
        return HtmlText(maybe, seen, tuple(dict.fromkeys(self.notes + self.sheet.notes)))


def _assemble(segments: list[tuple[str, str, int, int, bool]], worst: int, outlook_from: int) -> str:
    """Lines from the segments whose visibility is at most `worst`."""
    lines: list[str] = []
    current: list[str] = []
    current_quote = 0
    pending = 0  # line breaks owed before the next text
    started = False

    def end_line() -> None:
        nonlocal current
        text = "".join(current).replace("\u00a0", " ").rstrip(" ")
        prefix = "> " * current_quote
        lines.append((prefix + text).rstrip() if current_quote else text)
        current = []

    for k, (kind, text, level, quote, pre) in enumerate(segments):
        if level > worst:
            continue
        if 0 <= outlook_from <= k:
            quote += 1
        if kind == "b":
            if started:
                pending = max(pending, len(text))
            continue
        if kind == "n":
            if current or pending:
                pending = max(pending, 1)
                for _ in range(pending):
                    end_line()
                pending = 0
            else:
                end_line()
            started = True
            continue
        pieces = text.split("\n") if pre else [_COLLAPSE_RE.sub(" ", text)]
        for i, piece in enumerate(pieces):
            if i:
                end_line()
            if not piece:
                continue
            if pending:
                if current:
                    end_line()
                for _ in range(pending - 1):
                    lines.append("> " * quote if quote else "")
                pending = 0
            if not current:
                if not pre:
                    piece = piece.lstrip(" ")
                    if not piece:
                        continue
                current_quote = quote
            current.append(piece)
            started = True
    if current:
        end_line()
    out: list[str] = []
    for line in lines:
        if not line.strip(" >") and (not out or not out[-1].strip(" >")):
            continue
        out.append(line)
    while out and not out[-1].strip(" >"):
        out.pop()
    return "\n".join(out)


def _tokenize(source: str, conv: _Converter) -> None:
    """One forward pass over the HTML (HTML5 tokenizer states, simplified)."""
    s = source
    n = len(s)
    pos = 0
    bang_close = _NextFinder(s, "--!>")  # rarely present: never search for it twice
    while pos < n:
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
                    _conditional(s[pos + 4 :], conv)
                    return  # an unclosed comment runs to the end
                close = min(e for e in (end, bang) if e >= 0)
                _conditional(s[pos + 4 : close], conv)
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
        if name in _RAW_TEXT or name in _RCDATA or name == "plaintext":
            if name == "plaintext":
                conv.text(s[pos:])
                return
            end_re = _end_tag_re(name)
            found = end_re.search(s, pos)
            body = s[pos : found.start() if found else n]
            if name == "style":
                conv.sheet.add(body)
            elif name in _RCDATA:
                conv.text(_unescape(body))
            elif name == "xmp":
                conv.text(body)
            if not found:
                conv.end_tag(name)
                return
            pos = found.start()


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


def _conditional(comment: str, conv: _Converter) -> None:
    """Outlook shows `<!--[if mso]>…<![endif]-->`; other clients do not: uncertain text."""
    m = _CONDITIONAL_RE.match(comment)
    if not m or "!" in m.group(1) or "mso" not in m.group(1).lower():
        return
    inner = comment[m.end() :]
    endif = inner.rfind("<![endif]")
    inner = inner[:endif] if endif >= 0 else inner
    sub = _Converter()
    sub.root = conv.style()._replace(uncertain=True)
    sub.sheet = conv.sheet
    sub.in_head = conv.in_head
    sub.degraded = conv.degraded
    _tokenize(inner, sub)  # a comment cannot contain a comment: one level at most
    sub._pop_until(0)
    conv.segments.extend((kind, text, max(level, UNCERTAIN) if level != HIDDEN else level,
                          quote, pre) for kind, text, level, quote, pre in sub.segments)  # fmt: skip


def render_html(source: str) -> HtmlText:
    """Both readings of an HTML body. Never raises; linear in the length of `source`."""
    conv = _Converter()
    try:
        _tokenize(source or "", conv)
        return conv.finish()
    except Exception as exc:  # a bug here must not lose the mail: strip tags instead
        text = _COLLAPSE_RE.sub(" ", re.sub(r"<[^<>]{0,2000}>", " ", source or "")).strip()
        return HtmlText(text, "", (f"HTML reader failed ({type(exc).__name__}); tags stripped",))


def html_to_text(source: str) -> str:
    """What is or may be visible in an HTML body, as text with `> ` quoting. Never raises."""
    return render_html(source).text
