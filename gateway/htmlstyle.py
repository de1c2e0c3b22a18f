"""CSS as far as it decides whether text in HTML mail is seen (for gateway.htmltext).

Inline `style` attributes, `<font>`/`bgcolor` and `<style>` rules by tag, class and id give
each element a computed `Style`; `visibility()` says whether its text is VISIBLE, HIDDEN
(display:none, content-visibility:hidden, visibility:hidden, font-size 0, opacity 0 or
filter:opacity(0), boxes of a few pixels that clip, clipped away, moved off-screen, letters
drawn on one spot, transparent or background-coloured text, an image background's colour
included) or UNCERTAIN (what only some clients show: mso-hide, @media and descendant rules,
tiny or faint text, clipped boxes). CSS escapes (`disp\\lay`, `.\\68`) are read as a browser
reads them. Our own code, because no
well-kept library computes visibility for mail, and every step here is linear in its input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import NamedTuple

VISIBLE, UNCERTAIN, HIDDEN = 0, 1, 2
_MAX_RULES = 400  # stylesheet rules kept; more makes the reading uncertain

# CSS colours: the basic names, the light ones (white-on-white is what hides text) and
# the system colours Outlook writes. Others make a colour comparison uncertain.
_NAMED = {
    "black": "000000", "white": "ffffff", "red": "ff0000", "green": "008000", "blue": "0000ff",
    "yellow": "ffff00", "navy": "000080", "maroon": "800000", "purple": "800080",
    "teal": "008080", "olive": "808000", "lime": "00ff00", "aqua": "00ffff", "cyan": "00ffff",
    "fuchsia": "ff00ff", "magenta": "ff00ff", "orange": "ffa500", "gray": "808080",
    "grey": "808080", "silver": "c0c0c0", "snow": "fffafa", "ivory": "fffff0",
    "ghostwhite": "f8f8ff", "whitesmoke": "f5f5f5", "seashell": "fff5ee", "floralwhite": "fffaf0",
    "mintcream": "f5fffa", "azure": "f0ffff", "aliceblue": "f0f8ff", "honeydew": "f0fff0",
    "lavenderblush": "fff0f5", "linen": "faf0e6", "oldlace": "fdf5e6", "cornsilk": "fff8dc",
    "lightyellow": "ffffe0", "beige": "f5f5dc", "lemonchiffon": "fffacd",
    "lightgoldenrodyellow": "fafad2", "papayawhip": "ffefd5", "blanchedalmond": "ffebcd",
    "mistyrose": "ffe4e1", "antiquewhite": "faebd7", "bisque": "ffe4c4", "lavender": "e6e6fa",
    "gainsboro": "dcdcdc", "lightgray": "d3d3d3", "lightgrey": "d3d3d3", "darkgray": "a9a9a9",
    "darkgrey": "a9a9a9", "dimgray": "696969", "dimgrey": "696969", "windowtext": "000000",
    "window": "ffffff", "canvas": "ffffff", "canvastext": "000000", "darkblue": "00008b",
    "darkred": "8b0000", "darkgreen": "006400", "crimson": "dc143c", "brown": "a52a2a",
}  # fmt: skip
_UNKNOWN = (-1.0, -1.0, -1.0)
_WHITE = (1.0, 1.0, 1.0)
_BLACK = (0.0, 0.0, 0.0)


class Style(NamedTuple):
    """The computed style that decides whether text is seen (inherited down the stack).

    A NamedTuple: one is made per element, and equal styles share one visibility lookup."""

    none: bool = False  # display:none, hidden, clipped, off-screen: nothing below shows
    invisible: bool = False  # visibility:hidden (a child may set visible again)
    font_px: float = 16.0
    color: tuple[float, ...] | None = _BLACK  # None: transparent
    background: tuple[float, ...] = _WHITE
    opacity: float = 1.0
    uncertain: bool = False  # mso-hide, conditional comments, inexact stylesheet rules …
    quote: int = 0
    pre: bool = False
    tiny_margin: bool = False  # MsoNormal paragraphs: a line, not a paragraph


def _strip_css_comments(css: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        start = css.find("/*", pos)
        if start < 0:
            out.append(css[pos:])
            break
        out.append(css[pos:start])
        end = css.find("*/", start + 2)
        if end < 0:
            break
        pos = end + 2
    return "".join(out)


_CSS_ESCAPE_RE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)


def _unescape_css(text: str) -> str:
    """CSS escapes as a browser reads them: `disp\\lay` is display, `\\68 ` is h."""
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        if m.group(1):
            code = int(m.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return m.group(2)

    return _CSS_ESCAPE_RE.sub(one, text)


def parse_declarations(css: str) -> dict[str, str]:
    """`a: b; c: d` -> {"a": "b", "c": "d"}, lower-cased, CSS escapes read, !important
    dropped."""
    decls: dict[str, str] = {}
    for part in _strip_css_comments(css).split(";"):
        name, sep, value = part.partition(":")
        if not sep:
            continue
        name = _unescape_css(name).strip().lower()
        value = _unescape_css(value).strip().lower().replace("!important", "").strip()
        if name:
            decls[name] = value
    return decls


def _channel(value: str) -> float | None:
    value = value.strip()
    try:
        if value.endswith("%"):
            return max(0.0, min(1.0, float(value[:-1]) / 100))
        return max(0.0, min(1.0, float(value) / 255))
    except ValueError:
        return None


def parse_color(value: str) -> tuple[float, ...] | None:
    """An RGB triple in 0..1, None for transparent, or _UNKNOWN."""
    v = value.strip().lower()
    if not v or v in ("inherit", "currentcolor", "initial", "unset", "auto"):
        return _UNKNOWN
    if v == "transparent":
        return None
    v = _NAMED.get(v, v).lstrip("#") if not v.startswith(("rgb", "hsl")) else v
    if re.fullmatch(r"[0-9a-f]{3,4}", v):
        if len(v) == 4 and v[3] == "0":
            return None
        return tuple(int(c * 2, 16) / 255 for c in v[:3])  # type: ignore[return-value]
    if re.fullmatch(r"[0-9a-f]{6}(?:[0-9a-f]{2})?", v):
        if len(v) == 8 and int(v[6:], 16) < 13:
            return None
        return tuple(int(v[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    m = re.fullmatch(r"rgba?\(([^)]{0,80})\)", v)
    if m:
        parts = [p for p in re.split(r"[\s,/]+", m.group(1)) if p]
        if len(parts) >= 4:
            alpha = _channel(parts[3]) if parts[3].endswith("%") else None
            try:
                alpha = alpha if alpha is not None else float(parts[3])
            except ValueError:
                alpha = 1.0
            if alpha < 0.05:
                return None
        chans = [_channel(p) for p in parts[:3]]
        if len(chans) == 3 and all(c is not None for c in chans):
            return tuple(chans)  # type: ignore[return-value]
    return _UNKNOWN


def _luminance(rgb: tuple[float, float, float]) -> float:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG contrast ratio (1 = the same colour, 21 = black on white)."""
    la, lb = _luminance(a), _luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


_LENGTH_RE = re.compile(r"^(-?[0-9]*\.?[0-9]+)\s*(px|pt|em|rem|%|mm|cm|in|pc|q|ex|ch|vw|vh)?$")
_UNITS = {"px": 1.0, "pt": 4 / 3, "mm": 3.78, "cm": 37.8, "in": 96.0, "pc": 16.0, "q": 0.945}
_KEYWORD_SIZES = {"xx-small": 9.0, "x-small": 10.0, "small": 13.0, "medium": 16.0,
                  "large": 18.0, "x-large": 24.0, "xx-large": 32.0, "xxx-large": 48.0}  # fmt: skip


def _length(value: str, parent_px: float) -> float | None:
    """A CSS length in px (relative units against the parent's font size)."""
    m = _LENGTH_RE.match(value.strip())
    if not m:
        return None
    number, unit = float(m.group(1)), m.group(2) or "px"
    if unit in _UNITS:
        return number * _UNITS[unit]
    if unit in ("em", "ex", "ch"):
        return number * parent_px * (0.5 if unit != "em" else 1.0)
    if unit == "rem":
        return number * 16.0
    if unit == "%":
        return number * parent_px / 100
    return None  # vw / vh: depends on the window


def _font_size(value: str, parent_px: float) -> float | None:
    v = value.strip().split()[0] if value.strip() else ""
    if v in _KEYWORD_SIZES:
        return _KEYWORD_SIZES[v]
    if v == "smaller":
        return parent_px * 0.83
    if v == "larger":
        return parent_px * 1.2
    return _length(v, parent_px)


def _zero(value: str) -> bool:
    v = value.strip()
    m = _LENGTH_RE.match(v)
    return bool(m) and float(m.group(1)) <= 0.0


def _absolute_px(value: str) -> float | None:
    """A length in absolute units (px, pt, mm …, or a bare 0) in px; None otherwise."""
    m = _LENGTH_RE.match(value.strip())
    if not m:
        return None
    unit = m.group(2)
    if unit is None:
        return 0.0 if float(m.group(1)) == 0 else None
    return float(m.group(1)) * _UNITS[unit] if unit in _UNITS else None


def _shorthand_font_size(value: str) -> str:
    """The size in a `font` shorthand (`bold 10.5pt 'ＭＳ ゴシック'`, `0/0 a`, `0px serif`):
    the first word that is a length with a unit, a bare 0 or a size keyword."""
    for word in value.split():
        head = word.split("/")[0]
        if head in _KEYWORD_SIZES or head in ("smaller", "larger"):
            return head
        m = _LENGTH_RE.match(head)
        if m and (m.group(2) or float(m.group(1)) == 0):
            return head
    return ""


_TRANSLATE_RE = re.compile(r"translate(?:[xyz]|3d)?\(([^)]{0,100})\)")
_FILTER_OPACITY_RE = re.compile(r"opacity\(\s*([0-9.]+)(%?)\s*\)")
# clip-path shapes that leave nothing: inset of half or more, a circle or ellipse of 0
_CLIPPED_AWAY_RE = re.compile(
    r"inset\((?:[5-9]\d|\d{3,})(?:\.\d+)?%|(?:circle|ellipse)\(0(?:px|%|\.0+)?(?:[^.\d]|$)"
)
_MAX_STOPS = 64  # colour words read in one background (a real gradient has a few)
_URL_RE = re.compile(r"url\([^)]{0,2000}\)?")
_GRADIENT_COLOUR_RE = re.compile(r"#[0-9a-f]{3,8}|(?:rgba?|hsla?)\([^)]{0,80}\)|[a-z]+")


def _background(value: str) -> tuple[float, ...] | None:
    """The colour a background shows as far as text is concerned: its colour even with an
    image (mail clients block images by default), a gradient's colour when all its stops
    are one colour; _UNKNOWN when it cannot be told, None when there is none."""
    if "gradient" in value:
        words = islice(_GRADIENT_COLOUR_RE.finditer(value), _MAX_STOPS)
        colours = {c for w in words
                   if (c := parse_color(w.group(0))) is not None and c != _UNKNOWN}  # fmt: skip
        return colours.pop() if len(colours) == 1 else _UNKNOWN
    rest = _URL_RE.sub(" ", value)  # url(white.png) names no colour
    found = islice(_GRADIENT_COLOUR_RE.finditer(rest), _MAX_STOPS)
    for word in [value, *(m.group(0) for m in found)]:
        c = parse_color(word)
        if c is not None and c != _UNKNOWN:
            return c
    return _UNKNOWN if "url(" in value else None


_VISUAL_PROPS = ("display", "visibility", "font-size", "font", "color", "background",
                 "background-color", "opacity", "mso-hide", "height", "max-height", "width",
                 "max-width", "overflow", "line-height", "text-indent", "left", "top",
                 "margin-left", "margin-top", "position", "clip", "clip-path", "transform",
                 "content", "white-space", "font-size-adjust", "filter", "content-visibility",
                 "letter-spacing")  # fmt: skip


def apply_style(decls: dict[str, str], st: Style) -> Style:
    """The style of an element with `decls`, inheriting from its parent's `st`."""
    none, invisible, font_px = st.none, st.invisible, st.font_px
    color, background, opacity, uncertain = st.color, st.background, st.opacity, st.uncertain
    pre = st.pre
    d = decls.get
    if d("display", "").split()[:1] == ["none"] or d("content-visibility") == "hidden":
        none = True
    vis = d("visibility")
    if vis in ("hidden", "collapse"):
        invisible = True
    elif vis == "visible":
        invisible = False
    if d("mso-hide", "") == "all":
        uncertain = True  # Outlook hides it; other clients show it
    size = d("font-size") or _shorthand_font_size(d("font", ""))
    if size:
        px = _font_size(size, font_px)
        if px is not None:
            font_px = px
        elif "vw" in size or "vh" in size or "calc" in size or "var" in size:
            uncertain = True
    for prop in ("color",):
        if d(prop):
            c = parse_color(d(prop, ""))
            if c == _UNKNOWN:
                if d(prop) not in ("inherit", "currentcolor", "initial", "unset"):
                    uncertain = True
            else:
                color = c  # type: ignore[assignment]
    bg_value = d("background-color") or d("background", "")
    if bg_value:
        found = _background(bg_value)
        if found is not None:
            background = found  # type: ignore[assignment]
    for m in _FILTER_OPACITY_RE.finditer(d("filter", "")):
        opacity *= float(m.group(1)) / (100 if m.group(2) else 1)
    if d("opacity"):
        try:
            value = d("opacity", "1").strip()
            opacity *= float(value[:-1]) / 100 if value.endswith("%") else float(value)
        except ValueError:
            uncertain = True
    overflow_hidden = d("overflow", "") in ("hidden", "clip") or "hidden" in d("overflow", "")
    for box in ("height", "max-height", "width", "max-width"):
        if d(box) and _zero(d(box, "")) and overflow_hidden:
            none = True
        px = _absolute_px(d(box, "")) if d(box) and overflow_hidden else None
        if px is not None and px < 4:
            none = True  # a box of a few pixels that clips its text shows none of it
        elif px is not None and px < font_px * 0.8:
            uncertain = True
    if d("line-height") and _zero(d("line-height", "")) and overflow_hidden:
        none = True
    for offset in ("text-indent", "left", "top", "margin-left", "margin-top"):
        px = _length(d(offset, ""), font_px) if d(offset) else None
        if px is not None and px <= -500:
            none = True
    clip, clip_path = d("clip", "").replace(" ", ""), d("clip-path", "").replace(" ", "")
    if "rect(0" in clip or _CLIPPED_AWAY_RE.match(clip_path):
        none = True
    elif "rect(" in clip or (clip_path and clip_path not in ("none", "initial", "unset")):
        uncertain = True  # a clipped box: how much shows depends on its size
    for m in _TRANSLATE_RE.finditer(d("transform", "")):
        if any(
            (px := _length(v, font_px)) is not None and abs(px) >= 500
            for v in re.split(r"[\s,]+", m.group(1))
            if v
        ):
            none = True  # moved off the screen
    if d("letter-spacing"):
        px = _length(d("letter-spacing", ""), font_px)
        if px is not None and px <= -0.9 * font_px:
            none = True  # every letter drawn on the same spot
        elif px is not None and px < -0.2 * font_px:
            uncertain = True
    if re.search(r"scale[xy]?\(\s*0(?:\.0*)?\s*[,)]", d("transform", "")):
        none = True
    ws = d("white-space")
    if ws:
        pre = ws.startswith("pre") or ws == "break-spaces"
    return Style(none, invisible, font_px, color, background, opacity, uncertain, st.quote,
                  pre, st.tiny_margin)  # fmt: skip


_VISIBILITY_CACHE: dict[Style, int] = {}


def visibility(st: Style) -> int:
    """VISIBLE, UNCERTAIN or HIDDEN for text with this computed style (memoised: a mail
    has few distinct styles)."""
    level = _VISIBILITY_CACHE.get(st)
    if level is None:
        if len(_VISIBILITY_CACHE) > 4096:
            _VISIBILITY_CACHE.clear()
        level = _VISIBILITY_CACHE[st] = _visibility(st)
    return level


def _visibility(st: Style) -> int:
    if st.none or st.invisible or st.color is None or st.font_px < 1.5 or st.opacity < 0.05:
        return HIDDEN
    level = UNCERTAIN if st.uncertain else VISIBLE
    if st.font_px < 5 or st.opacity < 0.3:
        level = UNCERTAIN
    if st.color == _UNKNOWN or st.background == _UNKNOWN:
        return level
    ratio = contrast(st.color, st.background)
    if ratio < 1.1:
        return HIDDEN
    if ratio < 1.5:
        return UNCERTAIN
    return level


# ---------------------------------------------------------------------------
# Stylesheets: simple selectors exactly, anything else as "may apply"
# ---------------------------------------------------------------------------

_COMPOUND_RE = re.compile(r"^([a-z][a-z0-9:_-]*|\*)?((?:[.#][a-z0-9_-]+)*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Rule:
    tag: str  # "" for any
    classes: tuple[str, ...]
    ident: str
    decls: dict[str, str]
    exact: bool  # False: a descendant/attribute/pseudo selector or an @media rule
    order: int
    generated: tuple[str, str] | None = None  # ("before" | "after", text) from `content:`


class Sheet:
    """Rules from <style> elements, indexed by their last compound selector."""

    def __init__(self) -> None:
        self.by_key: dict[str, list[_Rule]] = {}
        self.count = 0
        self.notes: list[str] = []

    def add(self, css: str) -> None:
        css = _strip_css_comments(css).replace("<!--", " ").replace("-->", " ")
        pos, n, depth_exact = 0, len(css), [True]
        while pos < n:
            brace = css.find("{", pos)
            close = css.find("}", pos)
            if close >= 0 and (brace < 0 or close < brace):
                if len(depth_exact) > 1:
                    depth_exact.pop()
                pos = close + 1
                continue
            if brace < 0:
                break
            prelude = _unescape_css(css[pos:brace]).strip().lower()
            if prelude.startswith("@"):
                if prelude.startswith(("@media", "@supports", "@document", "@container")):
                    depth_exact.append(False)
                    pos = brace + 1
                    continue
                end = css.find("}", brace)  # @font-face / @page: a block of declarations
                pos = n if end < 0 else end + 1
                continue
            end = css.find("}", brace)
            body = css[brace + 1 : n if end < 0 else end]
            pos = n if end < 0 else end + 1
            decls = {k: v for k, v in parse_declarations(body).items() if k in _VISUAL_PROPS}
            if decls:
                self._add_rule(prelude, decls, depth_exact[-1])

    def _add_rule(self, selectors: str, decls: dict[str, str], exact_block: bool) -> None:
        for selector in selectors.split(","):
            selector = selector.strip()
            if not selector:
                continue
            if self.count >= _MAX_RULES:
                self.notes.append("stylesheet too large; rules beyond the limit ignored")
                return
            last = re.split(r"[\s>+~]+", selector)[-1]
            exact = exact_block and last == selector
            generated = None
            pseudo = re.search(r"::?(before|after)\b", last)
            if pseudo and "content" in decls:
                text = "".join(a or b for a, b in re.findall(r'"([^"]*)"|\'([^\']*)\'', decls["content"]))
                if not text.strip():
                    continue
                generated = (pseudo.group(1), text)
            simple = re.sub(r"\[[^\]]*\]|::?[a-z-]+(?:\([^)]*\))?", "", last)
            if simple != last:
                exact = False
            m = _COMPOUND_RE.match(simple)
            if not m:
                continue
            tag = (m.group(1) or "").lower().replace("*", "")
            classes = tuple(c[1:] for c in re.findall(r"\.[a-z0-9_-]+", m.group(2) or "", re.I))
            idents = re.findall(r"#([a-z0-9_-]+)", m.group(2) or "", re.I)
            rule = _Rule(tag, tuple(c.lower() for c in classes),
                         (idents[0] if idents else "").lower(), decls, exact, self.count,
                         generated)  # fmt: skip
            key = f"#{rule.ident}" if rule.ident else (f".{rule.classes[0]}" if classes else tag)
            self.by_key.setdefault(key, []).append(rule)
            self.count += 1

    def matching(self, tag: str, classes: tuple[str, ...], ident: str) -> list[_Rule]:
        if not self.by_key:
            return []
        found: dict[int, _Rule] = {}
        keys = [tag, "", *(f".{c}" for c in classes[:32])]
        if ident:
            keys.append(f"#{ident}")
        cls = set(classes)
        for key in keys:
            for rule in self.by_key.get(key, ()):
                if (not rule.tag or rule.tag == tag) and set(rule.classes) <= cls and (
                    not rule.ident or rule.ident == ident
                ):
                    found[rule.order] = rule
        return [found[k] for k in sorted(found)]
