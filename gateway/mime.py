"""Raw RFC 5322 bytes -> `Incoming`: the one place that reads mail as bytes.

The entry point only: the size and complexity limits applied before anything is parsed,
the parse itself, and the assembly of `Incoming` from the headers (`mailheaders`), the
structure walk (`mimewalk`, over `mimeparts` and `charsets`) and the kind (`mailkind`).
`read_message` never raises on any input: a byte that cannot be read becomes U+FFFD, a
line in the log and an entry in `problems`.
"""

from __future__ import annotations

import email
import email.feedparser
import email.message
import hashlib
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import BinaryIO

from gateway.automail import failed_recipients
from gateway.identity import NOBODY, People, on_behalf_of
from gateway.mailheaders import (
    addresses,
    decode_header_value,
    message_id_of,
    msg_ids,
    parse_date,
    raw_text,
    strict_from,
)
from gateway.mailkind import classify, header_values
from gateway.mimewalk import BlobFile, Walk, body_variants
from gateway.model import Incoming, Kind
from gateway.rawruns import RUN_MIN, Runs, reduce_message
from gateway.tokens import find_tokens

log = logging.getLogger(__name__)

#: More MIME containers (multipart or message/*) than this and the body is not parsed at
#: all: the stdlib parser recurses per level and fails near 1,000 (RecursionError).
MAX_CONTAINERS = 200
#: A header block longer than this is cut (at a line end) when only headers are read.
MAX_HEADER_BYTES = 256 * 1024
#: `Incoming.refused` values: the body was not read, the sender is told why.
REFUSED_TOO_COMPLEX = "mime-too-complex"
REFUSED_TOO_LARGE = "message-too-large"


_BOM = b"\xef\xbb\xbf"


def _synth_message_id(raw: bytes) -> str:
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@gateway.invalid>"


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
    people: People = NOBODY,
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
            return _read(
                header_block(data), tuple(gateway_addresses), refused=refuse, size=size,
                people=people,
            )  # fmt: skip
        return _read(data, tuple(gateway_addresses), people=people)
    except Exception as exc:  # the contract: nothing escapes
        log.exception("event=message_unreadable")
        return _empty(raw, f"unreadable message: {type(exc).__name__}: {exc}")


def read_message_file(
    source: BinaryIO,
    gateway_addresses: Iterable[str] = (),
    *,
    blobs: Callable[[], BlobFile] | None = None,
    run_min: int = RUN_MIN,
    people: People = NOBODY,
) -> Incoming:
    """`read_message` for a message in a file (seekable), without holding its photos: the
    long base64 runs stay in the file (`rawruns`) while the structure is parsed, and each
    attachment is decoded from there in pieces into a file of `blobs` (else into bytes).
    The same Incoming as `read_message` gives for the file's bytes. Raises only OSError
    (reading the file or writing `blobs` failed), never for what the mail contains."""
    try:
        reduced = reduce_message(source, run_min)
        data = reduced.data
        addresses_ = tuple(gateway_addresses)
        if _too_many_containers(data):  # runs hold no header line: the same count
            return _read(
                header_block(data), addresses_, refused=REFUSED_TOO_COMPLEX,
                size=reduced.size, digest=reduced.sha256, bom=reduced.bom, people=people,
            )  # fmt: skip
        return _read(
            data, addresses_, size=reduced.size, digest=reduced.sha256, bom=reduced.bom,
            runs=reduced.runs, blobs=blobs, people=people,
        )  # fmt: skip
    except OSError:
        # The disk, not the mail (a full spool, an unreadable file): the caller keeps the
        # mail and tries again, as when the state cannot be written.
        raise
    except Exception as exc:  # the contract: nothing the mail does escapes
        log.exception("event=message_unreadable")
        unreadable = _empty(b"", f"unreadable message: {type(exc).__name__}: {exc}")
        try:  # named by its bytes, like read_message names it
            source.seek(0)
            digest = hashlib.file_digest(source, "sha256").hexdigest()  # type: ignore[arg-type]
            size = source.seek(0, 2)
        except Exception:
            return unreadable
        return replace(unreadable, message_id=f"<{digest[:32]}@gateway.invalid>", raw_size=size)


def _read(
    raw: bytes,
    gateway_addresses: tuple[str, ...],
    *,
    refused: str = "",
    size: int | None = None,
    digest: str | None = None,
    bom: bool = False,
    runs: Runs | None = None,
    blobs: Callable[[], BlobFile] | None = None,
    people: People = NOBODY,
) -> Incoming:
    """`digest` and `bom` are given when `raw` was reduced from a file (`rawruns`): the
    real message's SHA-256 and whether a byte-order mark was taken off its start."""
    problems: list[str] = []
    if refused:
        problems.append(f"body not read: {refused}")
    if not raw.strip():
        return _empty(raw, "empty message")
    if raw.startswith(_BOM):  # a UTF-8 byte-order mark would turn the headers into body
        raw = raw[len(_BOM) :]
        bom = True
    if bom:
        problems.append("message starts with a UTF-8 byte-order mark (removed)")
    msg = parse_bytes(raw)
    raw_headers = list(msg.raw_items())  # items() would wrap 8-bit values in lossy Headers
    headers = [(str(k), decode_header_value(v, problems)) for k, v in raw_headers]

    def raw_values(name: str) -> list[str]:
        return [raw_text(v) for k, v in raw_headers if str(k).lower() == name.lower()]

    from_name, from_addr = strict_from(
        raw_values("From"), raw_values("Sender"), problems, people
    )
    to_addrs = tuple(a for _n, a in addresses(raw_values("To")))
    cc_addrs = tuple(a for _n, a in addresses(raw_values("Cc")))
    subject = (header_values(headers, "Subject") or [""])[0].strip()
    mid = message_id_of((header_values(headers, "Message-ID") or [None])[0])
    if mid is None:
        mid = f"<{digest[:32]}@gateway.invalid>" if digest else _synth_message_id(raw)
        problems.append("no Message-ID; synthesized one from the raw bytes")
    in_reply_to_ids = msg_ids((header_values(headers, "In-Reply-To") or [""])[0])
    in_reply_to = in_reply_to_ids[0] if in_reply_to_ids else None
    references = msg_ids(" ".join(header_values(headers, "References")))
    date = parse_date((header_values(headers, "Date") or [None])[0])

    walk = Walk(problems, runs, blobs)
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
        token_sources.extend(header_values(headers, name))
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
    on_behalf: tuple[str, ...] = ()
    if not from_addr:  # sent on behalf: a person's mail under both addresses is told why
        pair = on_behalf_of(raw_values("From"), raw_values("Sender"), people)
        names = [a.filename for a in walk.attachments]
        if pair and all(
            classify(headers, address, subject, text, names, tokens, walk.is_report,
                     walk.report_type, gateway_addresses, refused=bool(refused))[0]
            in (Kind.DRAFT, Kind.REPLY)
            for address in pair
        ):  # fmt: skip
            on_behalf = pair
    bounced = (
        failed_recipients(msg, text, len(raw) if size is None else size, gateway_addresses)
        if kind == Kind.BOUNCE
        else ()
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
        auth_results=tuple(header_values(headers, "Authentication-Results")),
        headers=tuple(headers),
        problems=tuple(problems),
        raw_size=len(raw) if size is None else size,
        bounced=bounced,
        refused=refused,
        alt_texts=alternatives,
        on_behalf=on_behalf,
    )
