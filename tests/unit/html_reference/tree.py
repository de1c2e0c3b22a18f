"""The HTML tree as far as it decides what a person sees, and the text segments it yields.

Follows the browser's tree rules that change what shows (implicit `</p>`, end tags not
closing past blocks, foster parenting in tables, formatting elements closed under blocks),
with every stack question answered from per-name index lists in O(1) so any input is read
in linear time. Each element gets its style from gateway.htmlstyle; each piece of text
becomes a segment with its visibility, quote depth and pre-formatting, for gateway.htmltext
to assemble into lines. The tokens come from gateway.htmltokens.
"""

from __future__ import annotations

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
from html_reference.tokens import COLLAPSE_RE, tokenize

#: (kind, text, visibility, quote depth, pre-formatted); kind "t" text, "b" a line break
#: owed before the next text (blocks), "n" a line break (`<br>`).
Segment = tuple[str, str, int, int, bool]

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
                   "a", "font", "details", "summary", "dialog", "svg"} | _NEVER_SHOWN  # fmt: skip
_OUTLOOK_QUOTE_IDS = {"divrplyfwdmsg", "x_divrplyfwdmsg", "appendonsend",
                      "mail-editor-reference-message-container"}  # fmt: skip
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix"}
_MAX_RESTYLE = 64  # elements re-styled when a formatting element closes under blocks


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
    summary_style: Style | None = None  # a closed <details>: the style its <summary> shows in


class TreeBuilder:
    """Builds the element stack from the tokens, as a browser would where it decides what
    shows, and turns each piece of text into a segment with its visibility and quoting."""

    def __init__(self) -> None:
        self.stack: list[_Element] = []
        self.links: list[_Element] = []  # open <a href> elements (collecting their text)
        self.positions: dict[str, list[int]] = {}
        self.scope_positions: list[int] = []
        self.special_positions: list[int] = []
        self.root = Style()
        self.segments: list[Segment] = []
        self.sheet = Sheet()
        self.notes: list[str] = []
        self.degraded = False
        self.outlook_from = -1  # segment where Outlook's reply header starts the quote
        self.in_head = False
        self.outlook_hides = False  # inside <!--[if !mso]><!--> … <!--<![endif]-->

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
        if (self.in_head or self.outlook_hides) and level != HIDDEN:
            # text in <head>: browsers move it to the body, some clients drop it;
            # text in a downlevel-revealed [if !mso] block: Outlook hides it, others show it
            level = UNCERTAIN
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
        shown = COLLAPSE_RE.sub("", "".join(el.link_text or []))
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
        if name == "summary" and parent_el is not None and parent_el.summary_style is not None:
            parent = parent_el.summary_style  # the one visible part of a closed <details>
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
        forced_none = "hidden" in attrs or name in _NEVER_SHOWN or (
            name == "svg" and "0" in (attrs.get("width", "").strip(), attrs.get("height", "").strip())
        )
        # a closed <details> shows only its <summary>, a <dialog> without `open` nothing, in
        # a browser; clients that do not know them show everything: uncertain
        closed = name in ("details", "dialog") and "open" not in attrs
        summary_style = st if name == "details" and closed else None
        forced_uncertain = uncertain_rule or name == "noscript" or closed
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
            summary_style=summary_style,
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

    def not_in_outlook(self, inside: bool) -> None:
        """`<!--[if !mso]><!-->` opens what Outlook hides and others show; `<!--<![endif]-->`
        closes it."""
        self.outlook_hides = inside

    def conditional(self, inner: str) -> None:
        """Outlook shows `<!--[if mso]>…<![endif]-->`; other clients do not: uncertain text."""
        sub = TreeBuilder()
        sub.root = self.style()._replace(uncertain=True)
        sub.sheet = self.sheet
        sub.in_head = self.in_head
        sub.degraded = self.degraded
        tokenize(inner, sub)  # a comment cannot contain a comment: one level at most
        sub._pop_until(0)
        self.segments.extend((kind, text, max(level, UNCERTAIN) if level != HIDDEN else level,
                              quote, pre) for kind, text, level, quote, pre in sub.segments)  # fmt: skip

    def finish(self) -> tuple[list[Segment], int, tuple[str, ...]]:
        """Close what is open; (segments, where Outlook's quoted original starts, notes)."""
        self._pop_until(0)
        return self.segments, self.outlook_from, tuple(dict.fromkeys(self.notes + self.sheet.notes))
