"""Header values -> text and addresses: RFC 2047 words, raw 8-bit bytes, the one author.

Real mailers split characters between encoded words, forget padding, write Shift_JIS raw
into headers and encode whole `name <addr>` Froms; all of that is read here, never raising.
"""

from __future__ import annotations

import binascii
import email.header
import email.utils
import quopri
import re
from datetime import datetime

from gateway.charsets import decode_bytes
from gateway.identity import NOBODY, FromError, People, parse_from, try_canonical

#: Raw 8-bit bytes in a header, as the email package keeps them (surrogate escapes).
SURROGATE_RE = re.compile("[\udc80-\udcff]")
_ONLY_ENCODED_WORDS_RE = re.compile(r"\s*(?:=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=\s*)+")

_EW_RE = re.compile(r"=\?([^?\s]+?)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def _b_decode(s: str) -> tuple[bytes, bool]:
    """Base64 of an encoded word, forgiving missing padding and junk characters."""
    clean = re.sub(r"[^A-Za-z0-9+/]", "", s)
    clean += "=" * (-len(clean) % 4)
    try:
        return base64_decode(clean), clean.rstrip("=") == s.rstrip("=")
    except (binascii.Error, ValueError):
        return base64_decode(
            clean[: len(clean) // 4 * 4 - (4 if len(clean) % 4 == 1 else 0)]
        ), False


def base64_decode(s: str) -> bytes:
    """Lenient base64: a trailing lone character is dropped rather than failing."""
    s = s.rstrip("=")
    if len(s) % 4 == 1:
        s = s[:-1]
    s += "=" * (-len(s) % 4)
    return binascii.a2b_base64(s.encode("ascii"))


def _q_decode(s: str) -> bytes:
    return quopri.decodestring(s.replace("_", " ").encode("ascii", "replace"), header=False)


def raw_header_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def decode_header_value(value: object, problems: list[str] | None = None) -> str:
    """Decode one header value: RFC 2047 words (adjacent words joined before decoding,
    since a character may be split between them) and raw 8-bit bytes."""
    if problems is None:
        problems = []
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        value = str(value)
    text = str(value)
    # unfold
    text = re.sub(r"\r?\n[ \t]+", " ", text).replace("\r", "").replace("\n", " ")
    if SURROGATE_RE.search(text):
        raw = raw_header_bytes(text)
        decoded, _cs, probs = decode_bytes(raw, None)
        problems.extend(f"header: {p}" for p in probs)
        text = decoded
    if "=?" not in text:
        return text
    pieces: list[tuple[str, object]] = []  # ("text", str) | ("ew", (charset, bytes))
    pos = 0
    for m in _EW_RE.finditer(text):
        between = text[pos : m.start()]
        if between and not (pieces and pieces[-1][0] == "ew" and not between.strip()):
            pieces.append(("text", between))
        charset, enc, payload = m.group(1), m.group(2).lower(), m.group(3)
        if enc == "b":
            data, clean = _b_decode(payload)
            if not clean:
                problems.append("header: broken base64 in encoded word")
        else:
            data = _q_decode(payload)
        if pieces and pieces[-1][0] == "ew" and pieces[-1][1][0].lower() == charset.lower():
            prev_cs, prev_data = pieces[-1][1]
            pieces[-1] = ("ew", (prev_cs, prev_data + data))
        else:
            pieces.append(("ew", (charset, data)))
        pos = m.end()
    if pos < len(text):
        pieces.append(("text", text[pos:]))
    out: list[str] = []
    for kind, item in pieces:
        if kind == "text":
            out.append(item)  # type: ignore[arg-type]
        else:
            charset, data = item  # type: ignore[misc]
            decoded, _cs, probs = decode_bytes(data, charset)
            problems.extend(f"header: {p}" for p in probs)
            out.append(decoded)
    return "".join(out)


def raw_text(value: object) -> str:
    """A header value as text, with raw 8-bit bytes decoded but encoded words kept."""
    text = str(value)
    if SURROGATE_RE.search(text):
        text = decode_bytes(raw_header_bytes(text), None)[0]
    return text


def addresses(values: list[str]) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) for every address in the header values."""
    result: list[tuple[str, str]] = []
    try:
        pairs = email.utils.getaddresses([re.sub(r"\r?\n[ \t]*", " ", v) for v in values])
    except Exception:
        pairs = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if "@" not in addr or any(c.isspace() for c in addr):
            # getaddresses gives up on some odd shapes; fall back to the bracketed part
            continue
        result.append((name, addr))
    if not result:
        for v in values:
            for m in re.finditer(r"<?([^\s<>\"',;:@]+@[^\s<>\"',;:]+)>?", v):
                result.append(("", m.group(1).lower()))
    return result


def strict_from(
    from_values: list[str], sender_values: list[str], problems: list[str], people: People = NOBODY
) -> tuple[str, str]:
    """(display name, canonical address) of the one author, or ("", "") with the reason in
    `problems`: a From that is not exactly one plain address names nobody (identity)."""
    try:
        author = parse_from(from_values, sender_values, people)
    except FromError as exc:
        if len(from_values) == 1 and not sender_values:
            legacy = encoded_word_from(from_values[0], problems)  # also read strictly
            if legacy:
                return legacy[0]
        problems.append(f"From refused: {exc}")
        return "", ""
    name = author.name
    # Japanese display names in the charsets and broken encodings real mailers write are
    # decoded by our own header decoder, when it reads the same address.
    pairs = addresses(from_values[:1])
    if pairs and try_canonical(pairs[0][1]) == author.address:
        name = decode_header_value(pairs[0][0], problems)
    return name.strip(), author.address


def encoded_word_from(value: str, problems: list[str]) -> list[tuple[str, str]]:
    """A From written as encoded words only, with the address inside them (old Japanese
    mailers encode the whole `山田 <yamada@…>`). RFC 2047 forbids that, so the decoded
    text is read as a From of its own, by the strict reader (`identity.parse_from`): it
    must name exactly one plain address, or the mail has no usable From."""
    unfolded = re.sub(r"\r?\n[ \t]*", " ", value)
    if not _ONLY_ENCODED_WORDS_RE.fullmatch(unfolded):
        return []
    decoded = decode_header_value(unfolded, problems).strip()
    if "@" not in decoded or any(ch in decoded for ch in "\r\n"):
        return []
    try:
        author = parse_from([decoded])
    except FromError as exc:
        problems.append(f"From inside an encoded word refused: {exc}")
        return []
    problems.append("From address written inside an encoded word (legacy mailer)")
    return [(author.name, author.address)]


def message_id_of(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"<[^<>\s]+>", value)
    if m:
        return m.group(0)
    v = value.strip()
    if v and not any(c.isspace() for c in v):
        return f"<{v}>"
    return None


def msg_ids(value: str) -> tuple[str, ...]:
    found = re.findall(r"<[^<>\s]+>", value or "")
    return tuple(dict.fromkeys(found))


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except Exception:
        return None
