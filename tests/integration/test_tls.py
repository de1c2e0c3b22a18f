"""TLS with certificate verification: IMAP (implicit TLS and STARTTLS) against Dovecot and
SMTP STARTTLS against aiosmtpd, each with a certificate the test makes. The office's CA
file makes it work; a certificate from another CA is refused."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mailsystem import DovecotMailSystem, DovecotServer

from gateway.config import MailboxSettings, SmtpSettings
from gateway.demo import compose_draft
from gateway.intake import MailboxWatcher
from gateway.localmail import free_port
from gateway.outbox import Outbox
from gateway.pipeline import Spool
from gateway.store import Store

pytestmark = pytest.mark.integration
GATEWAY = "sns-check@town.example.jp"
PASSWORD = "tls-secret"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(folder: Path, label: str) -> tuple[Path, ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} CA"))
        .issuer_name(_name(f"{label} CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    path = folder / f"{label}-ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path, key, cert


def make_server_cert(folder: Path, ca_key, ca_cert) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("pki")
    folder.chmod(0o755)
    office_ca, ca_key, ca_cert = make_ca(folder, "office")
    other_ca, _, _ = make_ca(folder, "other")
    cert, key = make_server_cert(folder, ca_key, ca_cert)
    return {"ca": office_ca, "other_ca": other_ca, "cert": cert, "key": key}


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
