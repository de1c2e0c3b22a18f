"""Text from mail, made safe for where it is shown: a terminal, a spreadsheet, a file name.

Subjects, names and file names come from outside. Printed raw, an escape sequence in a
subject can clear an admin's screen and fake 「確認中の投稿案はありません」; a CSV cell that
starts with `=` is run by Excel as a formula; `photo\u202egnp.exe` shows as `photoexe.png`.
These functions keep every character's meaning visible instead of letting it act.
"""

from __future__ import annotations

import re
import unicodedata

#: Characters that reorder text (bidi embeddings, overrides, isolates, marks).
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
#: Invisible characters that hide or join text.
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

_TERMINAL_UNSAFE_RE = re.compile(
    "[\x00-\x1f\x7f-\x9f" + BIDI_CONTROLS + INVISIBLE + "\u2028\u2029]"
)
_JSON_UNSAFE_RE = re.compile("[\x7f-\x9f" + BIDI_CONTROLS + INVISIBLE + "\u2028\u2029]")
#: OWASP "CSV Injection" and Microsoft's guidance: a cell starting with one of these is a
#: formula (or becomes one) in Excel and LibreOffice. The full-width forms are included: a
#: Japanese IME types them, and they are folded to ASCII by some importers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: object) -> str:
    """One line for a terminal: controls, escapes, line breaks, bidi and invisible
    characters shown as `\\x1b`, `\\u202e`, never sent as they are."""
    return _TERMINAL_UNSAFE_RE.sub(lambda m: _escape(m.group(0)), str(text))


def json_safe(encoded: str) -> str:
    """A `json.dumps(..., ensure_ascii=False)` result with the C1 controls, bidi and
    invisible characters written as \\u escapes too (json escapes only C0): still the same
    JSON, but harmless on a terminal."""
    return _JSON_UNSAFE_RE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded)


def csv_cell(value: object) -> str:
    """A spreadsheet cell that is never a formula: a leading `'` before a formula start
    (the cell then shows the text as written); the writer quotes every cell."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def neutral_filename(name: str) -> tuple[str, bool]:
    """An attachment name as reviewers should see it: direction and invisible controls
    removed (so `photo\\u202egnp.exe` reads `photognp.exe`), other controls and path
    separators replaced, NFC. Returns the name and whether anything was changed."""
    cleaned = unicodedata.normalize("NFC", name)
    cleaned = "".join(ch for ch in cleaned if ch not in BIDI_CONTROLS and ch not in INVISIBLE)
    cleaned = re.sub(r"[\x00-\x1f\x7f-\x9f/\\]", "_", cleaned).strip().strip(".") or "attachment"
    return cleaned[:200], cleaned != name
