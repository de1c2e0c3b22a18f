"""TLS with certificate verification: IMAP (implicit TLS and STARTTLS) against Dovecot and
SMTP STARTTLS against aiosmtpd, each with a certificate the test makes. The office's CA
file makes it work; a certificate from another CA is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from mailsystem import DovecotMailSystem, DovecotServer
from pki import make_pki

from gateway.demo import compose_draft
from gateway.intake import MailboxWatcher
from gateway.localmail import free_port
from gateway.outbox import Outbox
from gateway.pipeline import Spool
from gateway.settings import MailboxSettings, SmtpSettings
from gateway.store import Store

pytestmark = pytest.mark.integration
GATEWAY = "sns-check@town.example.jp"
PASSWORD = "tls-secret"


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_dovecot(dovecot, pki) -> Iterator[DovecotServer]:
    server = DovecotServer(tls=(pki["cert"], pki["key"]))
    server.start()
    try:
        yield server
    finally:
        server.remove()


def mailbox(server: DovecotServer, security: str, ca_file: Path) -> MailboxSettings:
    return MailboxSettings(
        host="127.0.0.1",
        port=server.imaps_port if security == "ssl" else server.imap_port,
        security=security,
        username=GATEWAY,
        password=PASSWORD,
        address=GATEWAY,
        ca_file=str(ca_file),
    )


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_tls_verifies_with_the_office_ca(tls_dovecot, pki, security):
    with DovecotMailSystem(tls_dovecot) as mail:
        mail.add_user(GATEWAY, PASSWORD)
        mail.deliver(compose_draft("sato@town.example.jp", "TLS", "本文"), [GATEWAY])
        handled: list[bytes] = []
        watcher = MailboxWatcher(
            mailbox(tls_dovecot, security, pki["ca"]), handled.append, stop=threading.Event()
        )
        try:
            assert watcher.process_pending() == 1
        finally:
            watcher.close()
        assert b"Subject: TLS" in handled[0]


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_imap_refuses_a_certificate_from_another_ca(tls_dovecot, pki, security):
    with DovecotMailSystem(tls_dovecot) as mail:
        mail.add_user(GATEWAY, PASSWORD)
        handled: list[bytes] = []
        watcher = MailboxWatcher(
            mailbox(tls_dovecot, security, pki["other_ca"]), handled.append, stop=threading.Event()
        )
        with pytest.raises(ssl.SSLCertVerificationError):
            watcher.process_pending()
        assert handled == []


class _Collect:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook
        self.messages.append(envelope.original_content)
        return "250 2.0.0 OK"


@pytest.fixture
def starttls_smtp(pki) -> Iterator[tuple[int, _Collect]]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["cert"], pki["key"])
    handler = _Collect()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def _outbox(tmp_path: Path, port: int, ca: Path) -> Outbox:
    store = Store(tmp_path / "state.json")
    spool = Spool(tmp_path / "spool")
    name = spool.put_mail(
        "<m1@x>", compose_draft(GATEWAY, "送信テスト", "本文", to="sato@town.example.jp")
    )
    with store.transaction():
        store.queue_mail(
            {"message_id": "<m1@x>", "path": name, "recipients": ["sato@town.example.jp"]}
        )
    settings = SmtpSettings(host="127.0.0.1", port=port, security="starttls", ca_file=str(ca))
    return Outbox(settings, store, spool, GATEWAY, clock=lambda: dt.datetime.now(dt.UTC))


def test_smtp_starttls_verifies_with_the_office_ca(tmp_path, pki, starttls_smtp):
    port, handler = starttls_smtp
    outbox = _outbox(tmp_path, port, pki["ca"])
    assert asyncio.run(outbox.drain()) == 1
    assert len(handler.messages) == 1


def test_smtp_refuses_a_certificate_from_another_ca_and_keeps_the_mail(
    tmp_path, pki, starttls_smtp
):
    port, handler = starttls_smtp
    outbox = _outbox(tmp_path, port, pki["other_ca"])
    assert asyncio.run(outbox.drain()) == 0
    assert handler.messages == []
    (entry,) = outbox.store.outbox.all()
    assert entry["status"] == "pending" and "certificate" in entry["last_error"].lower()
