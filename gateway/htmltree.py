"""The HTML tree as far as it decides what a person sees, and the text segments it yields.

Follows the browser's tree rules that change what shows (implicit `</p>`, end tags not
closing past blocks, foster parenting in tables, formatting elements closed under blocks),
with every stack question answered from per-name index lists in O(1) so any input is read
in linear time. Each element gets its style from gateway.htmlstyle; each piece of text
becomes a segment with its visibility, quote depth and pre-formatting, for gateway.htmltext
to assemble into lines. The tokens come from gateway.htmltokens.
"""

from __future__ import annotations

from gateway.htmlstyle import (
    HIDDEN,
    UNCERTAIN,
    Sheet,
    Style,
    apply_style,
    parse_declarations,
    visibility,
)
from gateway.htmltokens import COLLAPSE_RE, tokenize

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

# What each tag name is, as bits, so the per-element path asks one dict instead of sets.
_F_FIRST = 1  # <html>, <body>, <head>: no element of their own
_F_CLOSES_P = 2
_F_IMPLIED_ENDS = 4
_F_VOID = 8
_F_STYLED = 16  # _STYLED_BY_NAME
_F_TABLE_PART = 32  # inserted where it stands, never foster-parented
_F_BREAKS = 64  # a block or a cell: owes a line break at its start and end
_F_CELL = 128  # <td>, <th>: a space before its text
_F_SPECIAL = 256
_F_SCOPE = 512
_NEWLINES = ("", "\n", "\n\n")


def _name_flags() -> dict[str, int]:
    sets = (
        (_F_FIRST, {"html", "body", "head"}),
        (_F_CLOSES_P, _CLOSES_P),
        (_F_IMPLIED_ENDS, _IMPLIED_ENDS),
        (_F_VOID, _VOID),
        (_F_STYLED, _STYLED_BY_NAME),
        (_F_TABLE_PART, _TABLE_CONTEXT | {"td", "th", "caption", "colgroup"}),
        (_F_BREAKS, _BLOCK | {"td", "th"}),
        (_F_CELL, {"td", "th"}),
        (_F_SPECIAL, _SPECIAL),
        (_F_SCOPE, _SCOPE),
    )
    flags: dict[str, int] = {}
    for bit, names in sets:
        for name in names:
            flags[name] = flags.get(name, 0) | bit
    return flags


_FLAGS = _name_flags()  # a name not in it has none of these


class _Element:
    """One open element. A plain class with class-level defaults, not a dataclass: one is
    made per element, and an element without attributes sets only its name, style and
    visibility (a quarter of a dataclass's construction time)."""

    href: str | None = None
    link_text: list[str] | None = None
    decls: dict[str, str] | None = None  # the declarations applied (sheet + inline)
    forced_none: bool = False  # hidden attribute, <head>/<style>/<template> …
    forced_uncertain: bool = False  # an inexact stylesheet rule, <noscript>
    generated: dict[str, str] | None = None  # ::before / ::after text from a stylesheet
    summary_style: Style | None = None  # a closed <details>: the style its <summary> shows in

    def __init__(self, name: str, style: Style, level: int, flags: int) -> None:
        self.name = name
        self.style = style
        self.level = level  # visibility(style), computed once
        self.flags = flags  # _FLAGS of its name
        # a link or ::before/::after text (the class defaults above are read only then:
        # an instance attribute is read faster than a class one)
        self.rare = False


class TreeBuilder:
    """Builds the element stack from the tokens, as a browser would where it decides what
    shows, and turns each piece of text into a segment with its visibility and quoting.

    The per-element path (start_tag, text, _pop_until) is written out inline, with one
    flags lookup per tag name: a mail of one letter per element costs a few microseconds
    per element, and every method call or set lookup saved there is a measurable share."""

    def __init__(self) -> None:
        self.stack: list[_Element] = []
        self.links: list[_Element] = []  # open <a href> elements (collecting their text)
        self.positions: dict[str, list[int]] = {}
        self.scope_positions: list[int] = []
        self.special_positions: list[int] = []
        self.root = Style()  # the page's style (<body>'s); sets root_level too
        self.segments: list[Segment] = []
        self.sheet = Sheet()
        self.notes: list[str] = []
        self.outlook_from = -1  # segment where Outlook's reply header starts the quote
        # in_head / outlook_hides / degraded make text uncertain; `forced` says any is set
        self._in_head = self._outlook_hides = self._degraded = self.forced = False

    @property
    def root(self) -> Style:
        return self._root

    @root.setter
    def root(self, style: Style) -> None:
        self._root = style
        self.root_level = visibility(style)

    # --- what makes every piece of text uncertain ----------------------------------------

    @property
    def in_head(self) -> bool:
        return self._in_head

    @in_head.setter
    def in_head(self, value: bool) -> None:
        self._in_head = value
        self.forced = self._in_head or self._outlook_hides or self._degraded

    @property
    def outlook_hides(self) -> bool:
        """Inside `<!--[if !mso]><!-->` … `<!--<![endif]-->`."""
        return self._outlook_hides

    @outlook_hides.setter
    def outlook_hides(self, value: bool) -> None:
        self._outlook_hides = value
        self.forced = self._in_head or self._outlook_hides or self._degraded

    @property
    def degraded(self) -> bool:
        return self._degraded

    @degraded.setter
    def degraded(self, value: bool) -> None:
        self._degraded = value
        self.forced = self._in_head or self._outlook_hides or self._degraded

    def _forced_level(self, level: int) -> int:
        """The visibility of text while `forced`: text in <head> (browsers move it to the
        body, some clients drop it) and in a downlevel-revealed [if !mso] block (Outlook
        hides it, others show it) is uncertain unless hidden; after a degraded reading
        everything is."""
        if self._degraded or level != HIDDEN:
            return UNCERTAIN
        return level

    # --- the stack ------------------------------------------------------------------

    def style(self) -> Style:
        return self.stack[-1].style if self.stack else self.root

    def _insert_parent(self) -> _Element | None:
        """Where content goes; foster parenting: directly in a table, it goes before it."""
        if not self.stack:
            return None
        top = self.stack[-1]
        return self._foster_parent(top) if top.name in _TABLE_CONTEXT else top

    def _foster_parent(self, top: _Element) -> _Element | None:
        """The parent of content inserted while `top` (a table part) is the current node."""
        tables = self.positions.get("table")
        if tables:
            idx = tables[-1]
            return self.stack[idx - 1] if idx > 0 else None
        return top

    def _parent_style_for_insert(self) -> Style:
        parent = self._insert_parent()
        return parent.style if parent is not None else self.root

    def _generated(self, el: _Element, text: str) -> None:
        level = self._vis(el.style, el.level)
        level = level if level == HIDDEN else UNCERTAIN
        self.segments.append(("t", text, level, el.style.quote, el.style.pre))

    def _pop_until(self, idx: int) -> None:
        """Close the elements above stack[idx]: each one's ::after text, owed line break
        and link target, in that order."""
        stack, positions, segments = self.stack, self.positions, self.segments
        scopes, specials, links = self.scope_positions, self.special_positions, self.links
        while len(stack) > idx:
            el = stack.pop()
            top = len(stack)
            positions[el.name].pop()
            if scopes and scopes[-1] == top:
                scopes.pop()
            if specials and specials[-1] == top:
                specials.pop()
            if links and links[-1] is el:
                links.pop()
            if el.rare and el.generated and "after" in el.generated:
                self._generated(el, el.generated["after"])
            if el.flags & _F_BREAKS:  # _owe_break, written out
                st = el.style
                level = self._forced_level(el.level) if self.forced else el.level
                count = 2 if el.name == "p" and not st.tiny_margin else 1
                last = segments[-1] if segments else None
                if not (last and last[0] == "b" and last[2] == level and last[3] == st.quote
                        and len(last[1]) >= count):  # fmt: skip
                    segments.append(("b", _NEWLINES[count], level, st.quote, st.pre))
            if el.rare and el.href is not None and el.link_text is not None:
                self._link_target(el)

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
        return self._forced_level(level) if self.forced else level

    def _owe_break(self, count: int, level: int, st: Style) -> None:
        """A line break (2: a paragraph) owed before the next text, unless the same break
        is already owed (nested blocks end together)."""
        segments = self.segments
        if segments:
            last = segments[-1]
            if last[0] == "b" and last[2] == level and last[3] == st.quote and len(last[1]) >= count:
                return
        segments.append(("b", _NEWLINES[count], level, st.quote, st.pre))

    def _break(self, el: _Element | None, count: int) -> None:
        if el is None:
            el = self.stack[-1] if self.stack else None
        st = el.style if el is not None else self.root
        self._owe_break(count, self._vis(st, el.level if el is not None else None), st)

    def text(self, data: str) -> None:
        if not data:
            return
        stack = self.stack
        parent = stack[-1] if stack else None
        if parent is not None and parent.name in _TABLE_CONTEXT:
            parent = self._foster_parent(parent)
        if parent is not None:
            st, level = parent.style, parent.level
        else:
            st, level = self._root, self.root_level
        if self.forced:
            level = self._forced_level(level)
        self.segments.append(("t", data, level, st.quote, st.pre))
        if self.links and level != HIDDEN:
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
        flags = _FLAGS.get(name, 0)
        if flags & _F_FIRST:
            if name == "head":
                self.in_head = True
            else:  # <html>, <body>: their style and colours are the page's
                decls = parse_declarations(attrs.get("style", ""))
                for attr, prop in (("bgcolor", "background-color"), ("text", "color")):
                    if attrs.get(attr):
                        decls.setdefault(prop, attrs[attr])
                self.root = apply_style(decls, self.root)
                self.in_head = False
            return
        stack = self.stack
        if flags & _F_CLOSES_P:
            paragraphs = self.positions.get("p")
            if paragraphs:  # an open <p> in button scope closes
                idx = paragraphs[-1]
                if not self.scope_positions or idx >= self.scope_positions[-1]:
                    self._pop_until(idx)
        if flags & _F_IMPLIED_ENDS:
            self._implied_ends(name)
        if flags & _F_VOID:
            self._void(name)
            return
        if self_closing and name in ("svg", "math"):
            return
        if attrs or flags & _F_STYLED or self.sheet.by_key:
            el = self._element(name, attrs)
        else:  # the common case: an element without attributes inherits its parent's style
            parent = stack[-1] if stack else None
            if parent is not None and not flags & _F_TABLE_PART and parent.name in _TABLE_CONTEXT:
                parent = self._foster_parent(parent)
            if parent is not None:
                el = _Element(name, parent.style, parent.level, flags)
            else:
                el = _Element(name, self._root, self.root_level, flags)
        if flags & _F_BREAKS:  # _owe_break, written out
            st = el.style
            level = self._forced_level(el.level) if self.forced else el.level
            count = 2 if name == "p" and not st.tiny_margin else 1
            segments = self.segments
            last = segments[-1] if segments else None
            if not (last and last[0] == "b" and last[2] == level and last[3] == st.quote
                    and len(last[1]) >= count):  # fmt: skip
                segments.append(("b", _NEWLINES[count], level, st.quote, st.pre))
            if flags & _F_CELL:
                segments.append(("t", " ", level, st.quote, st.pre))
        idx = len(stack)
        found = self.positions.get(name)
        if found is None:
            self.positions[name] = [idx]
        else:
            found.append(idx)
        if flags & _F_SCOPE:
            self.scope_positions.append(idx)
        if flags & _F_SPECIAL:
            self.special_positions.append(idx)
        stack.append(el)
        if el.rare:
            if el.link_text is not None:
                self.links.append(el)
            if el.generated and "before" in el.generated:
                self._generated(el, el.generated["before"])

    def _implied_ends(self, name: str) -> None:
        """Start tags that end an open element of their kind (`<li>` an `<li>` …)."""
        if name == "li":
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

    def _void(self, name: str) -> None:
        """`<br>`, `<hr>` and the other elements without content."""
        if name == "br":
            st = self._parent_style_for_insert()
            self.segments.append(("n", "\n", self._vis(st), st.quote, st.pre))
        elif name == "hr":
            st = self._parent_style_for_insert()
            self._break(None, 1)
            self.segments.append(("t", "________________________________", self._vis(st),
                                  st.quote, False))  # fmt: skip
            self._break(None, 1)

    def _element(self, name: str, attrs: dict[str, str]) -> _Element:
        """An element with attributes, a stylesheet or a name that styles it: its style
        resolved (start_tag makes the others inline)."""
        if _FLAGS.get(name, 0) & _F_TABLE_PART:
            parent_el = self.stack[-1] if self.stack else None
        else:
            parent_el = self._insert_parent()
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
        el = _Element(name, st, visibility(st), _FLAGS.get(name, 0))
        if name == "a" and "href" in attrs:
            el.href = attrs["href"]
            el.link_text = []
        el.decls = decls
        el.forced_none = forced_none
        el.forced_uncertain = forced_uncertain
        el.generated = generated or None
        el.summary_style = summary_style
        el.rare = el.href is not None or el.generated is not None
        return el

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
        if el.flags & _F_SCOPE:
            self.scope_positions.append(i)
        if el.flags & _F_SPECIAL:
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
