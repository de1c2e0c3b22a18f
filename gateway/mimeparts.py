"""One MIME part: its type, parameters, file name and decoded body bytes.

The stdlib's accessors are used where they are safe; where they are lossy (8-bit file
names, lying charset labels) or quadratic (very long parameter headers) the part is read
here from its raw header or payload instead.
"""

from __future__ import annotations

import binascii
import email.message
import io
import quopri
import re
from urllib.parse import unquote_to_bytes

from gateway.charsets import decode_bytes
from gateway.mailheaders import SURROGATE_RE, base64_decode, decode_header_value, raw_header_bytes
from gateway.rawruns import BlobWriter, Runs, decode_base64_runs
from gateway.safetext import neutral_filename

#: type/subtype at the start of a Content-Type value (RFC 2045 tokens).
_MEDIA_TYPE = re.compile(r"\s*([!#$%&'*+.^_`|~0-9a-z-]+/[!#$%&'*+.^_`|~0-9a-z-]+)", re.ASCII)


def content_type(part: email.message.Message) -> str:
    """The part's type/subtype, lower case. The stdlib keeps whatever precedes the first
    `;`, so a legacy mailer's missing `;` (`text/plain⏎ charset=...`) made a type no reader
    knows and the part's text was lost: the leading type/subtype token is taken instead."""
    try:
        ct = part.get_content_type()
    except Exception:
        return "text/plain"
    ct = ct.lower()
    m = _MEDIA_TYPE.match(ct)
    if m is None:
        return "text/plain"  # RFC 2045 5.2: an invalid type is read as plain text
    return m.group(1)


#: A Content-Type / Content-Disposition longer than this has its parameters ignored: the
#: stdlib's parameter parser is quadratic in the header's length, and no real header needs it.
MAX_PARAM_HEADER = 16 * 1024


def param(part: email.message.Message, name: str, header: str = "content-type") -> object:
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
        if len(value) > MAX_PARAM_HEADER or not SURROGATE_RE.search(value):
            return None
        m = re.search(rf'(?:^|;)\s*{name}\s*=\s*(?:"([^"]*)"|([^;\s]+))', value, re.IGNORECASE)
        if not m:
            return None
        text, _cs, probs = decode_bytes(raw_header_bytes(m.group(1) or m.group(2) or ""), None)
        problems.extend(f"filename: {p}" for p in probs)
        problems.append("filename written in raw 8-bit bytes (decoded)")
        return text
    return None


def filename(part: email.message.Message, problems: list[str]) -> str | None:
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
        val = param(part, name, header)
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


def disposition(part: email.message.Message) -> str:
    value = part.get("Content-Disposition", "")
    return str(value).split(";", 1)[0].strip().lower()


def _raw_payload(part: email.message.Message) -> bytes:
    # the private attribute on purpose: get_payload() "helpfully" decodes 8-bit bytes
    # with the declared charset and errors="replace", which loses lying-label bodies
    raw = getattr(part, "_payload", "")
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _cte(part: email.message.Message) -> str:
    return str(part.get("Content-Transfer-Encoding", "")).strip().lower()


def payload_to(
    part: email.message.Message, problems: list[str], runs: Runs | None, sink: BlobWriter
) -> None:
    """The decoded body of a leaf part written to `sink`: a base64 body whose runs are
    still in the message file is decoded from there in pieces, never held whole."""
    rawb = _raw_payload(part)
    if runs is not None and _cte(part) == "base64" and runs.has_markers(rawb):
        decode_base64_runs(runs, rawb, sink, problems)
    else:
        sink.write(payload_bytes(part, problems, runs))


def payload_bytes(
    part: email.message.Message, problems: list[str], runs: Runs | None = None
) -> bytes:
    """The decoded body bytes of a leaf part, tolerating bad base64 / QP. With `runs`
    (a message read from a file), the runs left in the file are read back first."""
    cte = _cte(part)
    rawb = _raw_payload(part)
    if runs is not None and runs.has_markers(rawb):
        if cte == "base64":
            out = io.BytesIO()
            decode_base64_runs(runs, rawb, out, problems)
            return out.getvalue()
        rawb = runs.expand(rawb)
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

