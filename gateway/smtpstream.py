"""Send a spooled mail over SMTP from its file, in pieces, with aiosmtplib's connection.

aiosmtplib's `sendmail` takes the whole message as bytes and copies it for the SIZE
count, the line endings, the dot-stuffing and the final dot (four copies of a 30 MB
review request, on top of the transport's buffer). Here the envelope goes through its
public `mail`/`rcpt`/`execute_command`, and the DATA payload is read from the spool file
1 MB at a time, converted the way aiosmtplib converts it (its own regular expressions),
and written with the transport's flow control, so at most a piece or two is in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import aiosmtplib
from aiosmtplib.email import parse_address
from aiosmtplib.protocol import LINE_ENDINGS_REGEX, PERIOD_REGEX

_PIECE = 1024 * 1024
_HIGH_WATER = 256 * 1024  # without the protocol's own flow control: wait above this


def data_pieces(source: BinaryIO, piece: int = _PIECE) -> Iterator[bytes]:
    """The DATA payload of the message in `source`: lone CR and LF made CRLF, a line's
    leading dot doubled, a CRLF at the end, then the terminating `.` line. Each piece is
    what aiosmtplib's `data` would send for that part of the message."""
    carry = b""
    mid_line = False  # the next piece continues a line (a line longer than 4 pieces)
    ended_crlf = False
    while block := source.read(piece):
        data = carry + block
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < 4 * piece:
            carry = data
            continue
        if cut == 0:  # one very long line: send what we have, but never a lone CR
            cut = len(data) - 1 if data.endswith(b"\r") else len(data)
        out, carry = data[:cut], data[cut:]
        yield _convert(out, mid_line)
        mid_line = not out.endswith(b"\n")
        ended_crlf = out.endswith(b"\n")
    if carry:
        out = _convert(carry, mid_line)
        yield out
        ended_crlf = out.endswith(b"\r\n")
    yield b".\r\n" if ended_crlf else b"\r\n.\r\n"


def _convert(data: bytes, mid_line: bool) -> bytes:
    if mid_line:  # `^.` must not match at the start of a continued line
        return PERIOD_REGEX.sub(b"..", LINE_ENDINGS_REGEX.sub(b"\r\n", b"x" + data))[1:]
    return PERIOD_REGEX.sub(b"..", LINE_ENDINGS_REGEX.sub(b"\r\n", data))


def _wire_size(path: Path) -> int:
    """The SIZE (RFC 1870) of the message as aiosmtplib counts it: line endings made CRLF
    and a CRLF at the end, dots not doubled."""
    size = 0
    last = b""
    with path.open("rb") as f:
        carry = b""
        while block := f.read(_PIECE):
            data = carry + block
            carry = b"\r" if data.endswith(b"\r") else b""
            size += len(LINE_ENDINGS_REGEX.sub(b"\r\n", data[: len(data) - len(carry)]))
            last = data[-1:]
        size += 2 if carry else 0  # a lone CR at the very end
    return size if last in (b"\r", b"\n") else size + 2


async def send_file(
    client: aiosmtplib.SMTP, sender: str, recipients: Sequence[str], path: Path
) -> None:
    """`client.sendmail(sender, recipients, path.read_bytes())`, without reading the file
    whole: the same envelope, the same errors (SMTPRecipientsRefused when every recipient
    is refused, RSET after a refusal), the same bytes on the wire."""
    parse_address(sender)
    for recipient in recipients:
        parse_address(recipient)
    source = path.open("rb")  # a missing spool file fails before anything is sent
    try:
        options = []
        if client.last_ehlo_response is None and client.last_helo_response is None:
            try:  # as aiosmtplib does before MAIL: EHLO, or HELO for an old server
                await client.ehlo()
            except aiosmtplib.SMTPHeloError:
                await client.helo()
        if client.supports_extension("size"):
            options.append(f"size={_wire_size(path)}")
        try:
            await client.mail(sender, options=options)
            refused: list[aiosmtplib.SMTPRecipientRefused] = []
            for recipient in recipients:
                try:
                    await client.rcpt(recipient)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused.append(exc)
            if len(refused) == len(recipients):
                raise aiosmtplib.SMTPRecipientsRefused(refused)
            start = await client.execute_command(b"DATA")
            if start.code != aiosmtplib.SMTPStatus.start_input:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
        except (aiosmtplib.SMTPResponseException, aiosmtplib.SMTPRecipientsRefused):
            with contextlib.suppress(ConnectionError, aiosmtplib.SMTPResponseException):
                await client.rset()
            raise
        await _stream(client, source)
    finally:
        source.close()


async def _stream(client: aiosmtplib.SMTP, source: BinaryIO) -> None:
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    try:
        for piece in data_pieces(source):
            protocol.write(piece)
            await _drain(protocol)
        response = await protocol.read_response(timeout=client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError):
        client.close()  # mid-DATA: the connection cannot be used again
        raise
    if response.code != aiosmtplib.SMTPStatus.completed:
        raise aiosmtplib.SMTPDataError(response.code, response.message)


async def _drain(protocol: object) -> None:
    """Wait while the transport's buffer is full: aiosmtplib's protocol has asyncio's
    stream flow control (`_drain_helper`, as StreamWriter.drain uses it); without it,
    the buffer's size is watched."""
    drain = getattr(protocol, "_drain_helper", None)
    if drain is not None:
        await drain()
        return
    transport = getattr(protocol, "transport", None)
    while transport is not None and transport.get_write_buffer_size() > _HIGH_WATER:
        await asyncio.sleep(0.005)
