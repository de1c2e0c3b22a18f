"""Raw RFC 5322 bytes -> `Incoming`: the one place that reads mail as bytes.

Japanese offices send mail in every charset ever used (ISO-2022-JP as Microsoft writes
it, Shift_JIS from old phones, EUC-JP, UTF-8) and labels sometimes lie, so decoding is
done here by hand and never raises: a byte that cannot be read becomes U+FFFD, a line in
the log and an entry in `problems`. `read_message` itself never raises on any input.
"""

from __future__ import annotations

import binascii
import codecs
import email
import email.feedparser
import email.header
import email.message
import email.utils
import hashlib
import logging
import quopri
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from urllib.parse import unquote_to_bytes

from gateway.automail import failed_recipients, recognise
from gateway.htmltext import html_to_text, render_html  # noqa: F401 - html_to_text re-exported
from gateway.identity import FromError, parse_from, try_canonical
from gateway.model import Attachment, Incoming, Kind
from gateway.safetext import neutral_filename
from gateway.tokens import find_tokens

log = logging.getLogger(__name__)

MAX_DEPTH = 40  # MIME nesting deeper than this is not walked (a bomb, not mail)
MAX_PARTS = 500
#: More MIME containers (multipart or message/*) than this and the body is not parsed at
#: all: the stdlib parser recurses per level and fails near 1,000 (RecursionError).
MAX_CONTAINERS = 200
#: A header block longer than this is cut (at a line end) when only headers are read.
MAX_HEADER_BYTES = 256 * 1024
#: `Incoming.refused` values: the body was not read, the sender is told why.
REFUSED_TOO_COMPLEX = "mime-too-complex"
REFUSED_TOO_LARGE = "message-too-large"
#: Raw 8-bit bytes in a header, as the email package keeps them (surrogate escapes).
_SURROGATE_RE = re.compile("[\udc80-\udcff]")

# ---------------------------------------------------------------------------
# Charsets
# ---------------------------------------------------------------------------

_ISO2022_LABELS = {
    "iso-2022-jp",
    "iso2022-jp",
    "iso2022_jp",
    "csiso2022jp",
    "iso-2022-jp-1",
    "iso-2022-jp-2",
    "iso-2022-jp-3",
    "iso-2022-jp-ms",
    "iso-2022-jp-ext",
    "cp50220",
    "cp50221",
    "cp50222",
    "jis",
    "x-jis",
}
_SJIS_LABELS = {
    "shift_jis",
    "shift-jis",
    "sjis",
    "x-sjis",
    "s-jis",
    "ms_kanji",
    "csshiftjis",
    "windows-31j",
    "cp932",
    "ms932",
    "x-ms-cp932",
    "shift_jisx0213",
    "shift_jis-2004",
}
_EUC_LABELS = {"euc-jp", "euc_jp", "x-euc-jp", "eucjp", "cseucpkdfmtjapanese", "ujis", "x-euc"}
_UTF8_LABELS = {"utf-8", "utf8", "x-utf-8", "unicode-1-1-utf-8"}
_ASCII_LIKE = {"us-ascii", "ascii", "ansi_x3.4-1968", "iso-8859-1", "latin1", "latin-1"}


class DecodeError(ValueError):
    """A strict decode failed (internal; never leaves this module)."""


def canonical_charset(label: str | None) -> str | None:
    """Map a charset label as written in mail to the codec we decode it with."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if not name:
        return None
    if name in _ISO2022_LABELS:
        return "iso-2022-jp"
    if name in _SJIS_LABELS:
        return "cp932"
    if name in _EUC_LABELS:
        return "euc-jp"
    if name in _UTF8_LABELS:
        return "utf-8"
    if name in ("us-ascii", "ascii", "ansi_x3.4-1968"):
        return "us-ascii"
    try:
        return codecs.lookup(name).name
    except (LookupError, ValueError):
        return None


def _jis_pair_to_sjis(j1: int, j2: int) -> bytes:
    """One JIS X 0208 code point (row/cell bytes 0x21-0x7E) -> its Shift_JIS bytes."""
    s1 = ((j1 + 1) >> 1) + (0x70 if j1 <= 0x5E else 0xB0)
    if j1 & 1:
        s2 = j2 + 0x1F
        if s2 >= 0x7F:
            s2 += 1
    else:
        s2 = j2 + 0x7E
    return bytes((s1, s2))


def decode_iso2022jp(data: bytes, strict: bool = False) -> tuple[str, int]:
    """Decode ISO-2022-JP as Microsoft writes it (CP50220/50221/50222).

    JIS X 0208 pairs are converted to Shift_JIS and decoded as CP932, which is how the
    NEC special characters (① ㈱ ㎡) and the IBM extensions come out right; Python's own
    iso2022_jp codecs reject them. Half-width katakana arrive via ESC ( I or SO/SI.
    Returns the text and the number of bytes replaced by U+FFFD; raises DecodeError
    instead when `strict` and anything had to be replaced.
    """
    out: list[str] = []
    bad = 0
    mode = "ascii"  # ascii | jis0208 | kana | jis0212 | jis0213
    shifted = False  # SO in effect (CP50222 style half-width katakana)
    i = 0
    n = len(data)

    def fail() -> None:
        nonlocal bad
        bad += 1
        out.append("\ufffd")
        if strict:
            raise DecodeError("iso-2022-jp")

    while i < n:
        b = data[i]
        if b == 0x1B:
            seq = data[i + 1 : i + 4]
            if seq[:2] in (b"(B", b"(J", b"(H"):
                mode, i = "ascii", i + 3
            elif seq[:2] in (b"$B", b"$@"):
                mode, i = "jis0208", i + 3
            elif seq[:2] == b"(I":
                mode, i = "kana", i + 3
            elif seq == b"$(D":
                mode, i = "jis0212", i + 4
            elif seq in (b"$(O", b"$(Q", b"$(P"):
                mode, i = "jis0213", i + 4
            elif seq == b"&@\x1b":  # JIS X 0208-1990 announcer, followed by ESC $ B
                i += 3
            else:
                fail()
                i += 1
            continue
        if b == 0x0E:
            shifted, i = True, i + 1
            continue
        if b == 0x0F:
            shifted, i = False, i + 1
            continue
        if b >= 0x80:
            fail()
            i += 1
            continue
        if b in (0x0A, 0x0D):
            out.append(chr(b))
            mode, shifted, i = "ascii", False, i + 1
            continue
        if shifted or mode == "kana":
            if 0x21 <= b <= 0x5F:
                out.append(bytes((b + 0x80,)).decode("cp932"))
            else:
                out.append(chr(b)) if b < 0x21 else fail()
            i += 1
            continue
        if mode == "ascii":
            out.append(chr(b))
            i += 1
            continue
        # two-byte modes
        if b < 0x21 or b == 0x7F:
            out.append(chr(b))  # stray control or space inside a kanji run
            i += 1
            continue
        if i + 1 >= n or not (0x21 <= data[i + 1] <= 0x7E):
            fail()
            i += 1
            continue
        j1, j2 = b, data[i + 1]
        i += 2
        try:
            if mode == "jis0208":
                out.append(_jis_pair_to_sjis(j1, j2).decode("cp932"))
            elif mode == "jis0212":
                out.append(bytes((0x8F, j1 | 0x80, j2 | 0x80)).decode("euc_jp"))
            else:
                out.append(bytes((j1 | 0x80, j2 | 0x80)).decode("euc_jis_2004"))
        except UnicodeDecodeError:
            fail()
    return "".join(out), bad


def _decode_strict(data: bytes, charset: str) -> str:
    """Decode with no replacement at all, or raise DecodeError."""
    if charset == "iso-2022-jp":
        return decode_iso2022jp(data, strict=True)[0]
    if charset == "us-ascii":
        charset = "ascii"
    try:
        text = data.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(charset) from exc
    if charset == "utf-8" and text.startswith("\ufeff"):
        text = text[1:]
    if charset == "cp932" and _CP932_STRAY.search(text):
        raise DecodeError(charset)  # single bytes 0x80/0xA0/0xFD-0xFF are not characters
    return text


_CP932_STRAY = re.compile("[\uf8f0-\uf8f3]")


_SCORE_SAMPLE = 64 * 1024
_GOOD_CHARS_RE = re.compile("[\x00-\x7f\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
_ODD2_CHARS_RE = re.compile("[\uff61-\uff9f\ue000-\uf8ff\ufffd]")
_ODD1_CHARS_RE = re.compile("[\x80-\xff]")


def _japanese_score(text: str) -> float:
    """How much `text` looks like real Japanese (or plain ASCII) rather than mojibake.
    Half-width katakana and private-use runs (what EUC read as SJIS looks like) count
    double against it. Counted by the regex engine, on at most the first 64 K characters
    (scaled to the whole): enough to tell charsets apart, bounded on a 30 MB body."""
    sample = text[:_SCORE_SAMPLE]
    good = _GOOD_CHARS_RE.subn("", sample)[1]
    odd = 2 * _ODD2_CHARS_RE.subn("", sample)[1] + _ODD1_CHARS_RE.subn("", sample)[1]
    score = good - odd
    return score * len(text) / len(sample) if len(text) > len(sample) else score


_HIGH_BYTES = bytes(range(0x80, 0x100))


def _mostly_8bit(data: bytes) -> bool:
    """ISO-2022-JP is 7-bit: on data with many 8-bit bytes its (slow) lenient reading
    cannot win, so it is not tried."""
    high = len(data) - len(data.translate(None, _HIGH_BYTES))
    return high * 100 > len(data)


def _candidates(data: bytes) -> list[str]:
    """The fixed fallback list, most distinctive first."""
    if b"\x1b$" in data or b"\x1b(" in data:
        return ["iso-2022-jp", "utf-8", "cp932", "euc-jp"]
    return ["utf-8", "cp932", "euc-jp"]


def decode_bytes(data: bytes, label: str | None) -> tuple[str, str | None, list[str]]:
    """Decode body or header bytes, trusting the label only as far as the bytes agree.

    Returns (text, charset actually used, problems). Never raises.
    """
    problems: list[str] = []
    if not data:
        return "", canonical_charset(label), problems
    wanted = canonical_charset(label)
    if label and wanted is None:
        problems.append(f"unknown charset label {label!r}")
    if not any(b >= 0x80 or b == 0x1B for b in data) and wanted not in ("utf-16", "utf-32"):
        # pure ASCII: every Japanese-capable label reads it the same way
        return data.decode("ascii"), wanted or "us-ascii", problems
    if wanted and wanted not in _ASCII_ONLY_CODECS:
        try:
            return _decode_strict(data, wanted), wanted, problems
        except DecodeError:
            problems.append(f"bytes do not match charset label {label!r}")
    strict_ok: list[tuple[float, str, str]] = []
    for cand in _candidates(data):
        try:
            text = _decode_strict(data, cand)
        except DecodeError:
            continue
        if cand in ("utf-8", "iso-2022-jp"):
            return text, cand, problems + ([f"decoded as {cand}"] if label else [])
        strict_ok.append((_japanese_score(text), cand, text))
    if strict_ok:
        strict_ok.sort(key=lambda t: -t[0])
        score, cand, text = strict_ok[0]
        if score >= 0.5 * len(text):
            return text, cand, problems + ([f"decoded as {cand}"] if label else [])
    # nothing reads cleanly: pick the reading with the fewest replacements
    options = [c for c in (wanted, canonical_charset(_normalizer_guess(data))) if c]
    options += [c for c in _candidates(data) if c not in options]
    best: tuple[float, str, str, int] | None = None
    skip_jis = _mostly_8bit(data)
    for cand in options:
        if cand in _ASCII_ONLY_CODECS or (cand == "iso-2022-jp" and skip_jis):
            continue
        text, bad = _decode_lenient(data, cand)
        rank = _japanese_score(text) - 4 * bad
        if best is None or rank > best[0]:
            best = (rank, cand, text, bad)
    assert best is not None
    _rank, chosen, text, bad = best
    if bad:
        problems.append(f"{bad} undecodable byte(s) replaced with U+FFFD (decoded as {chosen})")
    else:
        problems.append(f"decoded as {chosen}")
    return text, chosen, problems


_ASCII_ONLY_CODECS = {"us-ascii", "ascii"}


def _decode_lenient(data: bytes, charset: str) -> tuple[str, int]:
    if charset == "iso-2022-jp":
        return decode_iso2022jp(data)
    try:
        text = data.decode(charset, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    if charset == "cp932":
        text = _CP932_STRAY.sub("\ufffd", text)
    return text, text.count("\ufffd")


def _normalizer_guess(data: bytes) -> str | None:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:65536]).best()
    except Exception:  # the detector is a heuristic; it must not take the reader down
        return None
    guess = canonical_charset(best.encoding) if best else None
    # only the charsets a Japanese office actually sends; UTF-16 guesses on SJIS are noise
    return guess if guess in ("utf-8", "cp932", "euc-jp", "iso-2022-jp") else None


# ---------------------------------------------------------------------------
# Headers
# ---------------------------------------------------------------------------

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


def _raw_header_bytes(value: str) -> bytes:
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
    if _SURROGATE_RE.search(text):
        raw = _raw_header_bytes(text)
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


def _raw_text(value: object) -> str:
    """A header value as text, with raw 8-bit bytes decoded but encoded words kept."""
    text = str(value)
    if _SURROGATE_RE.search(text):
        text = decode_bytes(_raw_header_bytes(text), None)[0]
    return text


def _addresses(values: list[str]) -> list[tuple[str, str]]:
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


def _strict_from(
    from_values: list[str], sender_values: list[str], problems: list[str]
) -> tuple[str, str]:
    """(display name, canonical address) of the one author, or ("", "") with the reason in
    `problems`: a From that is not exactly one plain address names nobody (identity)."""
    try:
        author = parse_from(from_values, sender_values)
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
    pairs = _addresses(from_values[:1])
    if pairs and try_canonical(pairs[0][1]) == author.address:
        name = decode_header_value(pairs[0][0], problems)
    return name.strip(), author.address


# ---------------------------------------------------------------------------
# HTML -> text: gateway.htmltext (linear, only what a person sees)
# ---------------------------------------------------------------------------


def unflow(text: str, delsp: bool = False) -> str:
    """Undo RFC 3676 format=flowed soft line breaks, keeping quote depth as `> `."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        body = line[depth:]
        if body.startswith(" "):
            body = body[1:]  # space-stuffing
        soft = body.endswith(" ") and body != "-- "
        if soft and delsp:
            body = body[:-1]
        if pending is not None and depth == pending_depth:
            pending += body
        else:
            if pending is not None:
                out.append(("> " * pending_depth) + pending)
            pending, pending_depth = body, depth
        if not soft:
            out.append(("> " * pending_depth) + pending)
            pending = None
    if pending is not None:
        out.append(("> " * pending_depth) + pending)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# MIME structure
# ---------------------------------------------------------------------------


def _content_type(part: email.message.Message) -> str:
    try:
        ct = part.get_content_type()
    except Exception:
        return "text/plain"
    return ct.lower()


#: A Content-Type / Content-Disposition longer than this has its parameters ignored: the
#: stdlib's parameter parser is quadratic in the header's length, and no real header needs it.
MAX_PARAM_HEADER = 16 * 1024


def _param(part: email.message.Message, name: str, header: str = "content-type") -> object:
    try:
        if len(str(part.get(header, ""))) > MAX_PARAM_HEADER:
            return None
        return part.get_param(name, header=header)
    except Exception:
        return None


def _decode_param(value: object, problems: list[str]) -> str | None:
    """A MIME parameter value, RFC 2231 (charset''%XX) or RFC 2047 or raw 8-bit."""
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        charset, _lang, raw = [*value, None, None, None][:3]
        # the email package has already %-decoded the value into one char per byte
        raw_s = str(raw or "")
        try:
            data = raw_s.encode("latin-1")
        except UnicodeEncodeError:
            data = unquote_to_bytes(raw_s.encode("utf-8", "surrogateescape"))
        text, _cs, probs = decode_bytes(data, charset or None)
        problems.extend(f"filename: {p}" for p in probs)
        return text
    text = str(value)
    if text.startswith('"') and text.endswith('"') and len(text) >= 2:
        text = text[1:-1]
    return decode_header_value(text, problems)


def _raw_8bit_param(
    part: email.message.Message, name: str, header: str, problems: list[str]
) -> str | None:
    """A parameter written in raw 8-bit bytes (old phones write Shift_JIS or UTF-8 file
    names unencoded): the email package turns those into U+FFFD, so it is read here from
    the raw header and decoded like any unlabelled text."""
    for key, value in part.raw_items():
        if key.lower() != header or not isinstance(value, str):
            continue
        if len(value) > MAX_PARAM_HEADER or not _SURROGATE_RE.search(value):
            return None
        m = re.search(rf'(?:^|;)\s*{name}\s*=\s*(?:"([^"]*)"|([^;\s]+))', value, re.IGNORECASE)
        if not m:
            return None
        text, _cs, probs = decode_bytes(_raw_header_bytes(m.group(1) or m.group(2) or ""), None)
        problems.extend(f"filename: {p}" for p in probs)
        problems.append("filename written in raw 8-bit bytes (decoded)")
        return text
    return None


def _filename(part: email.message.Message, problems: list[str]) -> str | None:
    name = _raw_filename(part, problems)
    if name is None:
        return None
    safe, changed = neutral_filename(name)
    if changed:
        problems.append(f"attachment name neutralised: {name!a} -> {safe!a}")
    return safe


def _raw_filename(part: email.message.Message, problems: list[str]) -> str | None:
    for name, header in (("filename", "content-disposition"), ("name", "content-type")):
        raw8 = _raw_8bit_param(part, name, header, problems)
        if raw8:
            return raw8.replace("\r", "").replace("\n", "").strip()
        val = _param(part, name, header)
        if val is None:
            # RFC 2231 continuations are collapsed by get_filename; try it as well
            continue
        decoded = _decode_param(val, problems)
        if decoded:
            return decoded.replace("\r", "").replace("\n", "").strip()
    try:
        too_long = any(
            len(str(part.get(h, ""))) > MAX_PARAM_HEADER
            for h in ("content-type", "content-disposition")
        )
        fn = None if too_long else part.get_filename()
    except Exception:
        fn = None
    if fn:
        return decode_header_value(fn, problems).strip()
    return None


def _disposition(part: email.message.Message) -> str:
    value = part.get("Content-Disposition", "")
    return str(value).split(";", 1)[0].strip().lower()


def _payload_bytes(part: email.message.Message, problems: list[str]) -> bytes:
    """The decoded body bytes of a leaf part, tolerating bad base64 / QP."""
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    # the private attribute on purpose: get_payload() "helpfully" decodes 8-bit bytes
    # with the declared charset and errors="replace", which loses lying-label bodies
    raw = getattr(part, "_payload", "")
    if not isinstance(raw, str):
        return b""
    rawb = raw.encode("utf-8", "surrogateescape")
    if cte == "base64":
        if re.search(rb"[^A-Za-z0-9+/=\s]", rawb):
            problems.append("malformed base64 body (invalid characters skipped)")
        else:
            eq = rawb.find(b"=")
            if eq < 0 or not rawb[eq:].strip(b"=\r\n\t "):
                try:  # well-formed (the usual case): one pass, no copies of a 30 MB body
                    return binascii.a2b_base64(rawb)
                except binascii.Error:
                    pass
        body = re.sub(rb"[^A-Za-z0-9+/=]", b"", rawb).split(b"=", 1)[0]
        if len(body) % 4 == 1:
            problems.append("malformed base64 body (truncated)")
        try:
            return base64_decode(body.decode("ascii"))
        except (binascii.Error, ValueError):
            problems.append("broken base64 body")
            return b""
    if cte == "quoted-printable":
        try:
            return quopri.decodestring(rawb)
        except Exception:
            problems.append("broken quoted-printable body")
            return rawb
    return rawb


class BodyText(str):
    """A body text that carries its other readings (`variants`): the other parts of a
    multipart/alternative, and the certainly-visible reading of HTML when some of it may
    be hidden. A reviewer's decision must be the same in every reading (issue 10)."""

    variants: tuple[str, ...] = ()

    def __new__(cls, text: str, variants: tuple[str, ...] = ()) -> BodyText:
        obj = super().__new__(cls, text)
        obj.variants = tuple(v for v in dict.fromkeys(variants) if v != text)
        return obj


def body_variants(texts: list[tuple[str, str | None]]) -> tuple[str, ...]:
    """Whole-body alternatives: the body with one part read another way."""
    out: list[str] = []
    plain = [t for t, _ in texts if t is not None]
    for i, t in enumerate(plain):
        for variant in getattr(t, "variants", ()):
            out.append("\n".join([*plain[:i], variant, *plain[i + 1 :]]))
    return tuple(dict.fromkeys(out))


class _Walk:
    """Collects body text and attachments from a parsed message, iteratively."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        self.texts: list[tuple[str, str | None]] = []  # (text, charset)
        self.attachments: list[Attachment] = []
        self.parts_seen = 0
        self.is_report = False
        self.report_type = ""
        self.too_complex = False

    def leaf_text(self, part: email.message.Message) -> tuple[str, str | None]:
        data = _payload_bytes(part, self.problems)
        label = _param(part, "charset")
        label_s = label if isinstance(label, str) else None
        text, used, probs = decode_bytes(data, label_s)
        for p in probs:
            self.problems.append(f"body: {p}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _content_type(part) == "text/html":
            reading = render_html(text)
            self.problems.extend(f"html: {note}" for note in reading.notes)
            text = BodyText(reading.text, (reading.seen,))
        elif str(_param(part, "format") or "").lower() == "flowed":
            delsp = str(_param(part, "delsp") or "").lower() == "yes"
            text = unflow(text, delsp)
        return text, (label_s.lower() if label_s and canonical_charset(label_s) else used)

    def is_attachment(self, part: email.message.Message) -> bool:
        ct = _content_type(part)
        disp = _disposition(part)
        if disp == "attachment":
            return True
        if ct.startswith(("text/plain", "text/html")):
            return bool(_param(part, "filename", "content-disposition")) and disp != "inline"
        return not ct.startswith(("text/", "multipart/", "message/delivery-status"))

    def add_attachment(self, part: email.message.Message) -> None:
        name = _filename(part, self.problems)
        ct = _content_type(part)
        if ct.startswith("message/"):
            try:
                data = part.as_bytes() if not part.is_multipart() else b""
                inner = part.get_payload()
                if isinstance(inner, list) and inner:
                    data = inner[0].as_bytes()
            except Exception:
                data = b""
        else:
            data = _payload_bytes(part, self.problems)
        if not name:
            ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}.get(ct, "")
            if ct == "message/rfc822":
                ext = ".eml"
            name = f"part-{len(self.attachments) + 1}{ext or '.bin'}"
        self.attachments.append(Attachment(filename=name, content_type=ct, data=data))

    def body_of(self, part: email.message.Message, depth: int) -> list[tuple[str, str | None]]:
        """Texts of this part, choosing text/plain over text/html in alternatives."""
        self.parts_seen += 1
        if depth > MAX_DEPTH or self.parts_seen > MAX_PARTS:
            self.too_complex = True
            if depth > MAX_DEPTH:
                self.problems.append("MIME nesting too deep; inner parts ignored")
            return []
        ct = _content_type(part)
        if part.is_multipart():
            try:
                children = [c for c in part.get_payload() if isinstance(c, email.message.Message)]
            except Exception:
                children = []
            if ct == "multipart/report":
                self.is_report = True
                rt = _param(part, "report-type")
                self.report_type = str(rt).lower() if isinstance(rt, str) else ""
            if ct == "multipart/alternative":
                return self._alternative(children, depth)
            texts: list[tuple[str, str | None]] = []
            for child in children:
                texts.extend(self.body_of(child, depth + 1))
                if ct == "multipart/report":
                    # the human-readable part only; the rest is machine data / the original
                    for rest in children[1:]:
                        if self.is_attachment(rest) and not _content_type(rest).startswith(
                            "message/"
                        ):
                            self.add_attachment(rest)
                    break
            return texts
        if ct.startswith("message/") and ct != "message/delivery-status":
            if _disposition(part) == "attachment" or ct == "message/rfc822":
                self.add_attachment(part)
            return []
        if self.is_attachment(part):
            self.add_attachment(part)
            return []
        if ct in ("text/plain", "text/html") or ct.startswith("text/"):
            if ct not in ("text/plain", "text/html", "text/enriched"):
                return []
            return [self.leaf_text(part)]
        return []

    def _alternative(
        self, children: list[email.message.Message], depth: int
    ) -> list[tuple[str, str | None]]:
        chosen = self._chosen_alternative(children, depth)
        if chosen is None:
            return []
        child, texts = chosen
        # The other alternatives, read without collecting their attachments a second time.
        others: list[str] = []
        for other in children:
            if other is child:
                continue
            side = _Walk([])
            side.parts_seen = self.parts_seen  # one budget of parts for the whole message
            other_texts = side.body_of(other, depth + 1)
            self.parts_seen = side.parts_seen
            self.too_complex = self.too_complex or side.too_complex
            if any(t.strip() for t, _ in other_texts):
                others.append("\n".join(t for t, _ in other_texts))
                others.extend(body_variants(other_texts))
        joined = "\n".join(t for t, _ in texts)
        variants = (*body_variants(texts), *others)
        return [(BodyText(joined, variants), texts[0][1])]

    def _chosen_alternative(
        self, children: list[email.message.Message], depth: int
    ) -> tuple[email.message.Message, list[tuple[str, str | None]]] | None:
        """text/plain when it has text, else the richest (last) other alternative."""
        plain = [c for c in children if _content_type(c) == "text/plain"]
        for c in plain:
            texts = self.body_of(c, depth + 1)
            if any(t.strip() for t, _ in texts):
                return c, texts
        for child in reversed(children):  # the richest alternative comes last
            if _content_type(child) == "text/plain":
                continue
            texts = self.body_of(child, depth + 1)
            if any(t.strip() for t, _ in texts):
                return child, texts
        return None


# ---------------------------------------------------------------------------
# Kind
# ---------------------------------------------------------------------------


def _base_address(addr: str) -> str:
    """`sns-check+D-000042...@town` -> `sns-check@town`: our plus-addresses are us too."""
    local, _, domain = addr.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _header(msg_headers: list[tuple[str, str]], name: str) -> list[str]:
    lname = name.lower()
    return [v for k, v in msg_headers if k.lower() == lname]


def classify(
    headers: list[tuple[str, str]],
    from_addr: str,
    subject: str,
    text: str,
    attachment_names: Sequence[str],
    tokens: list[str],
    is_report: bool,
    report_type: str,
    gateway_addresses: Iterable[str],
    refused: bool = False,
) -> tuple[Kind, str | None]:
    """Decide the kind: our own mail, automatic mail (`automail.recognise` weighs the
    signs), a reply carrying a token, or a draft when there is any content.

    Returns the kind and the reason for anything but a person's reply or draft (for
    `problems`).
    """
    attachments = len(attachment_names)
    own = {_base_address(a) for a in gateway_addresses if a and a.strip()}
    if _header(headers, "X-Gateway-Status"):
        return Kind.OTHER, "message carries X-Gateway-Status (the gateway's own mail)"
    if from_addr and _base_address(from_addr) in own:
        return Kind.OTHER, "message is from the gateway's own address (loop)"
    automatic = recognise(
        headers, from_addr, subject, text, attachment_names, report_type if is_report else None
    )
    if automatic.kind is not None:
        return automatic.kind, automatic.reason
    if not from_addr:
        return Kind.OTHER, "no usable From address"
    if tokens:
        return Kind.REPLY, None
    if text.strip() or attachments or refused:
        return Kind.DRAFT, None
    return Kind.OTHER, "no text and no attachments"


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------


_BOM = b"\xef\xbb\xbf"
_ONLY_ENCODED_WORDS_RE = re.compile(r"\s*(?:=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=\s*)+")


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


def _synth_message_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@gateway.invalid>"


def _message_id(value: str | None) -> str | None:
    if not value:
        return None
    m = re.search(r"<[^<>\s]+>", value)
    if m:
        return m.group(0)
    v = value.strip()
    if v and not any(c.isspace() for c in v):
        return f"<{v}>"
    return None


def _msg_ids(value: str) -> tuple[str, ...]:
    found = re.findall(r"<[^<>\s]+>", value or "")
    return tuple(dict.fromkeys(found))


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except Exception:
        return None


def _empty(raw: bytes, problem: str) -> Incoming:
    return Incoming(
        kind=Kind.OTHER,
        message_id=_synth_message_id(raw if isinstance(raw, bytes) else b""),
        from_addr="",
        from_name="",
        to_addrs=(),
        cc_addrs=(),
        subject="",
        date=None,
        in_reply_to=None,
        references=(),
        text="",
        charset=None,
        problems=(problem,),
        raw_size=len(raw) if isinstance(raw, bytes | bytearray) else 0,
    )


_CONTAINER_RE = re.compile(
    rb"^content-type:[ \t]*(?:\r?\n[ \t]+)?(?:multipart|message)/", re.IGNORECASE | re.MULTILINE
)


_FEED_CHUNK = 64 * 1024


def parse_bytes(data: bytes) -> email.message.Message:
    """`email.message_from_bytes`, fed in 64 KB pieces: the stdlib's one-call form decodes
    the whole message to one str and copies it into a StringIO (four bytes per character),
    about six times the message's size at once; fed piecewise, only the parts remain."""
    parser = email.feedparser.BytesFeedParser()
    view = memoryview(data)
    for start in range(0, len(data), _FEED_CHUNK):
        parser.feed(bytes(view[start : start + _FEED_CHUNK]))
    return parser.close()


def _too_many_containers(data: bytes) -> bool:
    return any(count > MAX_CONTAINERS for count, _ in enumerate(_CONTAINER_RE.finditer(data), 1))


def header_block(raw: bytes, limit: int = MAX_HEADER_BYTES) -> bytes:
    """The header block of a raw message (up to the first empty line), at most `limit`
    bytes cut at a line end, followed by the empty line."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    end = min(ends) if ends else len(raw)
    block = raw[: min(end, limit)]
    if end > limit:
        block = block[: block.rfind(b"\n") + 1] or block
    return block.rstrip(b"\r\n") + b"\r\n\r\n"


def read_message(
    raw: bytes,
    gateway_addresses: Iterable[str] = (),
    *,
    refuse: str | None = None,
    raw_size: int | None = None,
) -> Incoming:
    """Read one raw message. Never raises: unreadable input is an OTHER with problems.

    With `refuse` (REFUSED_TOO_LARGE, for mail over the size limit) only the header block is
    read and the Incoming says why; `raw_size` is then the real size when `raw` holds only the
    headers (the intake fetched no more). Mail with more MIME containers than the parser can
    take is refused the same way (REFUSED_TOO_COMPLEX), before it is parsed.
    """
    try:
        data = bytes(raw)
        if refuse is None and _too_many_containers(data):
            refuse = REFUSED_TOO_COMPLEX
        if refuse is not None:
            size = raw_size if raw_size is not None else len(data)
            return _read(header_block(data), tuple(gateway_addresses), refused=refuse, size=size)
        return _read(data, tuple(gateway_addresses))
    except Exception as exc:  # the contract: nothing escapes
        log.exception("event=message_unreadable")
        return _empty(raw, f"unreadable message: {type(exc).__name__}: {exc}")


def _read(
    raw: bytes, gateway_addresses: tuple[str, ...], *, refused: str = "", size: int | None = None
) -> Incoming:
    problems: list[str] = []
    if refused:
        problems.append(f"body not read: {refused}")
    if not raw.strip():
        return _empty(raw, "empty message")
    if raw.startswith(_BOM):  # a UTF-8 byte-order mark would turn the headers into body
        raw = raw[len(_BOM) :]
        problems.append("message starts with a UTF-8 byte-order mark (removed)")
    msg = parse_bytes(raw)
    raw_headers = list(msg.raw_items())  # items() would wrap 8-bit values in lossy Headers
    headers = [(str(k), decode_header_value(v, problems)) for k, v in raw_headers]

    def raw_values(name: str) -> list[str]:
        return [_raw_text(v) for k, v in raw_headers if str(k).lower() == name.lower()]

    from_name, from_addr = _strict_from(raw_values("From"), raw_values("Sender"), problems)
    to_addrs = tuple(a for _n, a in _addresses(raw_values("To")))
    cc_addrs = tuple(a for _n, a in _addresses(raw_values("Cc")))
    subject = (_header(headers, "Subject") or [""])[0].strip()
    mid = _message_id((_header(headers, "Message-ID") or [None])[0])
    if mid is None:
        mid = _synth_message_id(raw)
        problems.append("no Message-ID; synthesized one from the raw bytes")
    in_reply_to_ids = _msg_ids((_header(headers, "In-Reply-To") or [""])[0])
    in_reply_to = in_reply_to_ids[0] if in_reply_to_ids else None
    references = _msg_ids(" ".join(_header(headers, "References")))
    date = _parse_date((_header(headers, "Date") or [None])[0])

    walk = _Walk(problems)
    texts = walk.body_of(msg, 0)
    if walk.too_complex and not refused:
        refused = REFUSED_TOO_COMPLEX
    text = "\n".join(t for t, _ in texts if t is not None)
    alternatives = body_variants(texts)
    charset = next((cs for t, cs in texts if t.strip()), texts[0][1] if texts else None)
    if "\ufffd" in text and not any("U+FFFD" in p for p in problems):
        problems.append("body contains U+FFFD replacement characters")

    token_sources = []
    for name in ("To", "Cc", "Delivered-To", "X-Original-To", "In-Reply-To", "References",
                 "Subject"):  # fmt: skip
        token_sources.extend(_header(headers, name))
    tokens = find_tokens("\n".join(token_sources))

    kind, why = classify(
        headers,
        from_addr,
        subject,
        text,
        [a.filename for a in walk.attachments],
        tokens,
        walk.is_report,
        walk.report_type,
        gateway_addresses,
        refused=bool(refused),
    )
    if why:
        problems.append(why)
    bounced = (
        failed_recipients(msg, text, len(raw), gateway_addresses) if kind == Kind.BOUNCE else ()
    )
    if msg.defects:
        problems.append(
            "MIME defects: " + ", ".join(sorted({type(d).__name__ for d in msg.defects}))
        )
    problems = list(dict.fromkeys(problems))
    for p in problems:
        log.info("event=message_problem message_id=%s problem=%r", mid, p)
    return Incoming(
        kind=kind,
        message_id=mid,
        from_addr=from_addr,
        from_name=from_name,
        to_addrs=to_addrs,
        cc_addrs=cc_addrs,
        subject=subject,
        date=date,
        in_reply_to=in_reply_to,
        references=references,
        text=text,
        charset=charset,
        attachments=tuple(walk.attachments),
        tokens=tuple(tokens),
        auth_results=tuple(_header(headers, "Authentication-Results")),
        headers=tuple(headers),
        problems=tuple(problems),
        raw_size=len(raw) if size is None else size,
        bounced=bounced,
        refused=refused,
        alt_texts=alternatives,
    )
