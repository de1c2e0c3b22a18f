"""Bytes -> text in the charsets Japanese offices really send, never raising.

ISO-2022-JP as Microsoft writes it, Shift_JIS from old phones, EUC-JP, UTF-8, and labels
that lie: decoding is done here by hand (Python's iso2022_jp codecs reject the NEC and IBM
extensions), a byte that cannot be read becomes U+FFFD and a line in `problems`.
"""

from __future__ import annotations

import codecs
import re

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

