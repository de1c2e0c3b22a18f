"""A raw message read from a file without holding its photos: long base64 runs stay in
the file, as offsets, and the stdlib parser sees a small stand-in for each.

The stdlib parser keeps every body as text and its parts as objects: a 30 MB mail of
photos costs it well over 100 MB. No maintained streaming MIME parser keeps parts as
file offsets, so this module does the one thing needed for that: it finds runs of whole
lines made only of base64 characters (what an encoded photo is), at least `RUN_MIN`
bytes long, and replaces each run's bytes by a marker carrying a per-reading random
nonce (a sender cannot forge one). Nothing else changes: boundary lines start with
`--`, header lines hold `:` or start with a space, blank lines are never part of a run,
so the parser sees exactly the structure of the real message. Whoever reads a payload
expands the markers (`Runs.segments`) from the file, in pieces.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol

#: Runs shorter than this stay in the parsed message (a text part, a small icon).
RUN_MIN = 64 * 1024
_PIECE = 64 * 1024  # a line is read in pieces of at most this size
_COPY = 1024 * 1024  # a run is copied or decoded in pieces of this size
_B64_LINE = re.compile(rb"[A-Za-z0-9+/=]+")
_NOT_B64 = re.compile(rb"[^A-Za-z0-9+/=]")
_INVALID_B64 = re.compile(rb"[^A-Za-z0-9+/=\s]")
_BOM = b"\xef\xbb\xbf"


class BlobWriter(Protocol):
    """Where a decoded attachment is written (the spool's attachment files)."""

    def write(self, data: bytes) -> object: ...


@dataclass
class Runs:
    """The runs cut out of one reduced message: (start, end) offsets in `source`."""

    source: BinaryIO
    spans: list[tuple[int, int]] = field(default_factory=list)
    nonce: bytes = field(default_factory=lambda: b"GWRUN" + secrets.token_hex(12).encode())

    def __post_init__(self) -> None:
        self._marker_re = re.compile(re.escape(self.nonce) + rb"\.(\d+)\.")

    def marker(self, index: int) -> bytes:
        return b"%s.%d." % (self.nonce, index)

    def has_markers(self, data: bytes) -> bool:
        return bool(self.spans) and self.nonce in data

    def segments(self, data: bytes) -> Iterator[bytes]:
        """`data` (a payload of the reduced message) with every marker replaced by its run,
        in pieces of at most 1 MB."""
        pos = 0
        for m in self._marker_re.finditer(data):
            if m.start() > pos:
                yield data[pos : m.start()]
            index = int(m.group(1))
            if index >= len(self.spans):
                yield m.group(0)  # not ours (cannot happen with the random nonce)
            else:
                yield from self._copy(*self.spans[index])
            pos = m.end()
        if pos < len(data):
            yield data[pos:]

    def expand(self, data: bytes) -> bytes:
        """The whole payload in memory (text parts, forwarded messages)."""
        return b"".join(self.segments(data)) if self.has_markers(data) else data

    def _copy(self, start: int, end: int) -> Iterator[bytes]:
        self.source.seek(start)
        left = end - start
        while left > 0:
            piece = self.source.read(min(_COPY, left))
            if not piece:
                return
            left -= len(piece)
            yield piece


@dataclass(frozen=True)
class Reduced:
    """A message with its long base64 runs replaced by markers."""

    data: bytes  # the reduced message (headers, text parts, markers), BOM removed
    runs: Runs
    size: int  # the real message's size in bytes (after a byte-order mark, as read_message counts)
    sha256: str  # of the real message, BOM removed (as read_message hashes it)
    bom: bool


def reduce_message(source: BinaryIO, run_min: int = RUN_MIN) -> Reduced:
    """Read `source` (seekable) once to find the runs, then copy what is not a run."""
    source.seek(0)
    digest = hashlib.sha256()
    first = source.read(len(_BOM))
    bom = first == _BOM
    origin = len(_BOM) if bom else 0
    source.seek(origin)
    spans: list[tuple[int, int]] = []
    pos = line_start = origin
    line_b64 = True
    run_start: int | None = None
    run_end = 0  # end of the run's last whole line, without its line ending

    def close_run() -> None:
        nonlocal run_start
        if run_start is not None and run_end - run_start >= run_min:
            spans.append((run_start, run_end))
        run_start = None

    while piece := source.readline(_PIECE):
        digest.update(piece)
        pos += len(piece)
        if not piece.endswith(b"\n"):  # a piece of a long line (or the file's end)
            line_b64 = line_b64 and bool(_B64_LINE.fullmatch(piece))
            continue
        eol = 2 if piece.endswith(b"\r\n") else 1
        content = piece[:-eol]
        if content and not _B64_LINE.fullmatch(content):
            line_b64 = False
        if line_b64 and pos - eol > line_start:  # a blank line never belongs to a run
            if run_start is None:
                run_start = line_start
            run_end = pos - eol
        else:
            close_run()
        line_start, line_b64 = pos, True
    if pos > line_start and line_b64:  # a last line without a line ending
        if run_start is None:
            run_start = line_start
        run_end = pos
    close_run()

    runs = Runs(source, spans)
    out = bytearray()
    prev = origin
    for index, (start, end) in enumerate(spans):
        source.seek(prev)
        out += source.read(start - prev)
        out += runs.marker(index)
        prev = end
    source.seek(prev)
    out += source.read()
    return Reduced(bytes(out), runs, pos - origin, digest.hexdigest(), bom)


def decode_base64_runs(
    runs: Runs, payload: bytes, sink: BlobWriter, problems: list[str]
) -> None:
    """The base64 payload (with markers) decoded into `sink` in pieces: the same bytes
    and problems as `mimeparts.payload_bytes` gives for it in memory (junk characters
    skipped, decoding stops at the first `=`, a lone last character dropped)."""
    invalid = False
    stop = False
    carry = b""
    for segment in runs.segments(payload):
        if not invalid and _INVALID_B64.search(segment):
            invalid = True
        if stop:
            continue
        clean = _NOT_B64.sub(b"", segment)
        eq = clean.find(b"=")
        if eq >= 0:
            clean, stop = clean[:eq], True
        data = carry + clean
        usable = len(data) // 4 * 4
        if usable:
            sink.write(binascii.a2b_base64(data[:usable]))
        carry = data[usable:]
    if invalid:
        problems.append("malformed base64 body (invalid characters skipped)")
    if len(carry) % 4 == 1:
        problems.append("malformed base64 body (truncated)")
        carry = carry[:-1]
    if carry:
        sink.write(binascii.a2b_base64(carry + b"=" * (-len(carry) % 4)))


def encode_base64_lines(source: BinaryIO, out: BinaryIO, linesep: bytes = b"\r\n") -> None:
    """`source` as base64 in 76-character lines, as the email package writes an attachment
    (57 bytes a line), streamed in pieces of about 1 MB."""
    step = 57 * (_COPY // 57)
    while chunk := source.read(step):
        encoded = base64.encodebytes(chunk)
        out.write(encoded.replace(b"\n", linesep) if linesep != b"\n" else encoded)
