"""Sending a spooled mail from its file (smtpstream) puts the same bytes on the wire as
aiosmtplib's own sendmail, and fails the same way, against a real aiosmtpd server."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import random
import socket
from pathlib import Path

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtplib.protocol import PERIOD_REGEX, normalize_message_line_endings

from gateway.smtpstream import _wire_size, data_pieces, send_file


def wire(message: bytes) -> bytes:
    """What aiosmtplib's `data` sends for `message`."""
    return PERIOD_REGEX.sub(b"..", normalize_message_line_endings(message)) + b".\r\n"


def shapes() -> list[bytes]:
    rnd = random.Random(7)
    alphabet = [b"a", b"b", b".", b"\r", b"\n", b"\r\n", b" ", b".."]
    out = [b"", b".", b"\r", b"\n", b"x", b"a\r", b".\r\n.", b"line\n.\n..\r\n"]
    out += [b"".join(rnd.choice(alphabet) for _ in range(rnd.randint(1, 200))) for _ in range(400)]
    out.append(b"A" * 10_000 + b"\r" + b"." * 50 + b"\n.x")  # a line longer than 4 pieces
    return out


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 64])
def test_the_data_pieces_are_what_aiosmtplib_sends(piece: int, tmp_path: Path) -> None:
    for message in shapes():
        assert b"".join(data_pieces(io.BytesIO(message), piece)) == wire(message), message
        path = tmp_path / "m"
        path.write_bytes(message)
        assert _wire_size(path) == len(normalize_message_line_endings(message)), message


class Recorder:
    def __init__(self, refuse: set[str] = frozenset(), data_code: str | None = None) -> None:
        self.refuse = refuse
        self.data_code = data_code
        self.got: list[tuple[str, list[str], bytes, list[str]]] = []

    async def handle_MAIL(self, server, session, envelope, address, options):
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_code:
            return self.data_code
        self.got.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
             list(envelope.mail_options))
        )  # fmt: skip
        return "250 accepted"


def serve(handler: Recorder) -> Controller:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, data_size_limit=100 * 1024 * 1024)
    controller.start()
    return controller


async def _send(port: int, path: Path, recipients: list[str], streamed: bool) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=30)
    await client.connect()
    try:
        if streamed:
            await send_file(client, "gw@town.example.jp", recipients, path)
        else:
            await client.sendmail("gw@town.example.jp", recipients, path.read_bytes())
    finally:
        client.close()


def test_a_large_mail_arrives_as_sendmail_would_send_it(tmp_path: Path) -> None:
    lines = [b"Subject: x", b"", b".leading dot", b"..two", b"lone\rcr", b"lone lf\n"]
    body = b"\r\n".join(lines) + base64.encodebytes(os.urandom(3_000_000)) + b"\r\n.\r\nend"
    path = tmp_path / "m.eml"
    path.write_bytes(body)
    handler = Recorder()
    controller = serve(handler)
    try:
        rcpts = ["kacho@town.example.jp", "kakaricho@town.example.jp"]
        asyncio.run(_send(controller.port, path, rcpts, streamed=True))
        asyncio.run(_send(controller.port, path, rcpts, streamed=False))
    finally:
        controller.stop()
    (streamed, plain) = handler.got
    assert streamed == plain  # envelope, SIZE option and content
    assert streamed[2].endswith(b"\r\n.\r\nend\r\n")
    assert any(o.lower().startswith("size=") for o in streamed[3])


def test_refusals_are_the_errors_sendmail_gives(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(b"Subject: x\r\n\r\nbody\r\n")
    handler = Recorder(refuse={"gone@town.example.jp"})
    controller = serve(handler)
    try:
        asyncio.run(_send(controller.port, path, ["gone@town.example.jp", "kacho@town.example.jp"], True))
        assert handler.got[-1][1] == ["kacho@town.example.jp"]  # one refused: the rest get it
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
            asyncio.run(_send(controller.port, path, ["gone@town.example.jp"], True))
        handler.data_code = "451 try later"
        with pytest.raises(aiosmtplib.SMTPDataError) as info:
            asyncio.run(_send(controller.port, path, ["kacho@town.example.jp"], True))
        assert info.value.code == 451
        with pytest.raises(FileNotFoundError):
            asyncio.run(_send(controller.port, tmp_path / "gone.eml", ["kacho@town.example.jp"], True))
    finally:
        controller.stop()
