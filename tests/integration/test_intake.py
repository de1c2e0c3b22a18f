"""MailboxWatcher against real IMAP servers on 127.0.0.1 (Dovecot; one run against pymap)."""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from mailsystem import DovecotMailSystem
from pki import make_pki

from gateway.intake import MailboxWatcher, TransientError
from gateway.localmail import MailSystemBase, PymapMailSystem, free_port
from gateway.settings import MailboxSettings

GW = "sns-check@town.example.jp"
PW = "gw-secret-パス"
LOGGER = "test.intake"


def mail(n: int, body: str = "本文です") -> bytes:
    """A small CRLF message with a recognisable Subject and Message-ID."""
    return (
        f"From: staff{n}@town.example.jp\r\n"
        f"To: {GW}\r\n"
        f"Subject: draft {n}\r\n"
        f"Message-ID: <draft-{n}@town.example.jp>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def mid(raw: bytes) -> str:
    """The number n of `<draft-n@...>` in a raw message, as text ('?' if absent)."""
    marker = b"Message-ID: <draft-"
    start = raw.find(marker)
    if start < 0:
        return "?"
    start += len(marker)
    return raw[start : raw.index(b"@", start)].decode()


def ids(raws: list[bytes]) -> list[str]:
    return [mid(r) for r in raws]


def settings(system: MailSystemBase, **overrides: object) -> MailboxSettings:
    values: dict[str, object] = {
        "host": system.imap_host,
        "port": system.imap_port,
        "security": "none",
        "username": GW,
        "password": PW,
        "address": GW,
        "poll_interval": 30.0,
        "idle_timeout": 300.0,
    }
    values.update(overrides)
    return MailboxSettings(**values)  # type: ignore[arg-type]


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


class Recorder:
    """A handler that records what it got and can fail on chosen messages."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.at: dict[str, float] = {}
        self.fail: dict[str, BaseException] = {}  # message number -> raise once
        self.lock = threading.Lock()

    def __call__(self, raw: bytes) -> None:
        n = mid(raw)
        with self.lock:
            self.calls.append(n)
            self.at.setdefault(n, time.monotonic())
            exc = self.fail.pop(n, None)
        if exc is not None:
            raise exc

    def count(self, n: str) -> int:
        with self.lock:
            return self.calls.count(n)


@contextmanager
def watching(
    cfg: MailboxSettings, handler: Callable[[bytes], None], **kwargs: object
) -> Iterator[MailboxWatcher]:
    """Run a watcher in a thread; on exit stop it and insist that run() returned promptly."""
    stop = threading.Event()
    kwargs.setdefault("wake_interval", 0.2)  # quicker teardown than the 1 s default
    watcher = MailboxWatcher(cfg, handler, stop=stop, log=logging.getLogger(LOGGER), **kwargs)  # type: ignore[arg-type]
    thread = threading.Thread(target=watcher.run, name="watcher", daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        stop.set()
        thread.join(5.0)
        assert not thread.is_alive(), "run() did not return within 5 s of stop"


@pytest.fixture
def gw(mail_system: DovecotMailSystem) -> DovecotMailSystem:
    mail_system.add_user(GW, PW)
    return mail_system


def watching_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


@pytest.mark.integration
def test_pending_mail_is_handled_in_uid_order_and_moved(gw: DovecotMailSystem) -> None:
    for n in (1, 2, 3):
        gw.deliver(mail(n), [GW])
    handler = Recorder()
    with watching(settings(gw), handler):
        wait_until(lambda: len(handler.calls) == 3, what="three messages handled")
        gw.wait_for(GW, lambda r: mid(r) == "3", folder="Processed")
    assert handler.calls == ["1", "2", "3"]
    assert ids(gw.messages(GW, "Processed")) == ["1", "2", "3"]
    assert gw.messages(GW) == []


@pytest.mark.integration
def test_mail_arriving_during_idle_is_handled_promptly(
    gw: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    gw.deliver(mail(1), [GW])
    handler = Recorder()
    # poll_interval is long: within the wait below only IDLE can bring message 2 in.
    with watching(settings(gw, poll_interval=600.0), handler):
        wait_until(lambda: handler.count("1") == 1, what="first pass")
        gw.wait_for(GW, lambda r: mid(r) == "1", folder="Processed")
        time.sleep(0.3)  # let the watcher enter IDLE
        sent = time.monotonic()
        with smtplib.SMTP(gw.smtp_host, gw.smtp_port) as smtp:
            smtp.sendmail("staff2@town.example.jp", [GW], mail(2))
        wait_until(lambda: handler.count("2") == 1, timeout=5.0, what="message 2 via IDLE")
        latency = handler.at["2"] - sent
    print(f"IDLE latency (SMTP send -> handler) with Dovecot: {latency:.3f} s")
    assert "IDLE" in caplog.text


@pytest.mark.integration
def test_handler_error_moves_message_to_failed_and_carries_on(
    gw: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    for n in (1, 2, 3):
        gw.deliver(mail(n, body=f"秘密の本文{n}"), [GW])
    handler = Recorder()
    handler.fail["2"] = ValueError("cannot parse")
    with watching(settings(gw), handler):
        gw.wait_for(GW, lambda r: mid(r) == "3", folder="Processed")
        gw.wait_for(GW, lambda r: mid(r) == "2", folder="Failed")
    assert handler.calls == ["1", "2", "3"]
    assert ids(gw.messages(GW, "Processed")) == ["1", "3"]
    assert ids(gw.messages(GW, "Failed")) == ["2"]
    assert gw.messages(GW) == []
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "<draft-2@town.example.jp>" in errors[0].getMessage()
    assert "uid=" in errors[0].getMessage()
    assert "秘密の本文" not in caplog.text
    assert PW not in caplog.text


@pytest.mark.integration
def test_transient_error_leaves_message_and_retries_later(gw: DovecotMailSystem) -> None:
    for n in (1, 2):
        gw.deliver(mail(n), [GW])
    handler = Recorder()
    handler.fail["1"] = TransientError("disk full")
    seen_in_inbox: list[list[str]] = []
    original = handler.__call__

    def handle(raw: bytes) -> None:
        if mid(raw) == "1" and handler.count("1") == 1:  # the retry: where is it now?
            seen_in_inbox.append(ids(gw.messages(GW)))
        original(raw)

    with watching(settings(gw), handle):
        gw.wait_for(GW, lambda r: mid(r) == "2", folder="Processed", timeout=10.0)
    # The pass stopped at 1: message 2 waited for the retry, which found 1 still in INBOX.
    assert handler.calls == ["1", "1", "2"]
    assert seen_in_inbox == [["1", "2"]]
    assert ids(gw.messages(GW, "Processed")) == ["1", "2"]
    assert gw.messages(GW, "Failed") == []


@pytest.mark.integration
def test_reconnects_after_server_restart(
    gw: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    gw.deliver(mail(1), [GW])
    handler = Recorder()
    with watching(settings(gw), handler):
        gw.wait_for(GW, lambda r: mid(r) == "1", folder="Processed")
        gw.server.stop()
        time.sleep(1.0)  # at least one refused reconnect attempt
        gw.server.start()
        gw.deliver(mail(2), [GW])
        gw.wait_for(GW, lambda r: mid(r) == "2", folder="Processed", timeout=15.0)
    assert handler.calls == ["1", "2"]
    assert "reconnecting in" in caplog.text
    assert "connected again" in caplog.text
    assert PW not in caplog.text


@pytest.mark.integration
def test_polling_fallback(gw: DovecotMailSystem, caplog: pytest.LogCaptureFixture) -> None:
    watching_logged(caplog)
    handler = Recorder()
    with watching(settings(gw, poll_interval=0.2), handler, use_idle=False):
        wait_until(lambda: "polling every" in caplog.text, what="watcher connected")
        gw.deliver(mail(1), [GW])
        gw.deliver(mail(2), [GW])
        gw.wait_for(GW, lambda r: mid(r) == "2", folder="Processed")
    assert handler.calls == ["1", "2"]


@pytest.mark.integration
def test_server_without_move_gets_copy_and_uid_expunge(
    mail_system: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    mail_system.add_user(GW, PW, capability="UIDPLUS")  # no MOVE, no IDLE either
    for n in (1, 2):
        mail_system.deliver(mail(n), [GW])
    handler = Recorder()
    handler.fail["2"] = ValueError("broken")
    with watching(settings(mail_system, poll_interval=0.2), handler):
        mail_system.wait_for(GW, lambda r: mid(r) == "2", folder="Failed")
        mail_system.deliver(mail(3), [GW])
        mail_system.wait_for(GW, lambda r: mid(r) == "3", folder="Processed")
    assert handler.calls == ["1", "2", "3"]
    assert ids(mail_system.messages(GW, "Processed")) == ["1", "3"]
    assert mail_system.messages(GW) == []
    assert "COPY + UID EXPUNGE" in caplog.text
    assert "polling every" in caplog.text


@pytest.mark.integration
def test_server_without_move_or_uidplus_gets_a_keyword(
    mail_system: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    mail_system.add_user(GW, PW, capability="IMAP4rev1")
    for n in (1, 2):
        mail_system.deliver(mail(n), [GW])
    handler = Recorder()
    with watching(settings(mail_system, poll_interval=0.2), handler):
        mail_system.wait_for(GW, lambda r: mid(r) == "2", folder="Processed")
        mail_system.deliver(mail(3), [GW])
        mail_system.wait_for(GW, lambda r: mid(r) == "3", folder="Processed")
        time.sleep(0.5)  # a few more polls: nothing may be handed over twice
    assert handler.calls == ["1", "2", "3"]
    assert "$GatewayProcessed" in caplog.text
    # Originals stay in INBOX (plain EXPUNGE would also remove other clients' \Deleted)
    # but carry the keyword, so a new watcher process leaves them alone too.
    assert ids(mail_system.messages(GW)) == ["1", "2", "3"]
    again = Recorder()
    with watching(settings(mail_system, poll_interval=0.2), again):
        time.sleep(0.6)
    assert again.calls == []


@pytest.mark.integration
def test_stop_ends_run_promptly_while_idle(
    gw: DovecotMailSystem, caplog: pytest.LogCaptureFixture
) -> None:
    watching_logged(caplog)
    stop = threading.Event()
    watcher = MailboxWatcher(settings(gw), Recorder(), stop=stop, log=logging.getLogger(LOGGER))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    wait_until(lambda: "watching" in caplog.text, what="watcher connected")
    time.sleep(0.3)
    stopped = time.monotonic()
    stop.set()
    thread.join(5.0)
    assert not thread.is_alive()
    print(f"run() returned {time.monotonic() - stopped:.2f} s after stop (IDLE)")


def test_stop_ends_run_promptly_while_backing_off(caplog: pytest.LogCaptureFixture) -> None:
    watching_logged(caplog)
    nobody_listens = MailboxSettings(
        host="127.0.0.1",
        port=free_port(),
        security="none",
        username=GW,
        password=PW,
        address=GW,
    )
    stop = threading.Event()
    watcher = MailboxWatcher(nobody_listens, Recorder(), stop=stop, log=logging.getLogger(LOGGER))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    wait_until(lambda: "reconnecting in" in caplog.text, what="a refused connection")
    stop.set()
    thread.join(2.0)
    assert not thread.is_alive()
    assert "ConnectionRefusedError" in caplog.text
    assert PW not in caplog.text


def test_basic_flow_against_pymap(caplog: pytest.LogCaptureFixture) -> None:
    """The demo's embedded server: pending mail, mail during IDLE, a failure, Processed/Failed."""
    watching_logged(caplog)
    with PymapMailSystem() as system:
        system.add_user(GW, PW)
        system.deliver(mail(1), [GW])
        system.deliver(mail(2), [GW])
        handler = Recorder()
        handler.fail["2"] = RuntimeError("bug")
        with watching(settings(system, poll_interval=600.0), handler):
            system.wait_for(GW, lambda r: mid(r) == "2", folder="Failed")
            time.sleep(0.3)  # let the watcher enter IDLE
            sent = time.monotonic()
            with smtplib.SMTP(system.smtp_host, system.smtp_port) as smtp:
                smtp.sendmail("staff3@town.example.jp", [f"{GW[:9]}+tag{GW[9:]}"], mail(3))
            system.wait_for(GW, lambda r: mid(r) == "3", folder="Processed")
            latency = handler.at["3"] - sent
        assert handler.calls == ["1", "2", "3"]
        assert ids(system.messages(GW, "Processed")) == ["1", "3"]
        assert ids(system.messages(GW, "Failed")) == ["2"]
        assert system.messages(GW) == []
    assert "IDLE" in caplog.text
    print(f"IDLE latency (SMTP send -> handler) with pymap: {latency:.3f} s")


def test_process_pending_is_one_pass_on_its_own() -> None:
    with PymapMailSystem() as system:
        system.add_user(GW, PW)
        for n in (1, 2, 3):
            system.deliver(mail(n), [GW])
        handler = Recorder()
        handler.fail["3"] = ValueError("bad")
        watcher = MailboxWatcher(settings(system), handler, stop=threading.Event())
        try:
            assert watcher.process_pending() == 3  # processed and failed both leave INBOX
            assert watcher.process_pending() == 0
        finally:
            watcher.close()
        assert watcher.uid_validity is not None
        assert ids(system.messages(GW, "Processed")) == ["1", "2"]
        assert ids(system.messages(GW, "Failed")) == ["3"]


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["dovecot", "pymap"])
def test_mail_systems_agree_on_smtp_edges(kind: str, mail_system: DovecotMailSystem) -> None:
    """Plus-addresses reach the user, unknown users get 550, wait_for explains a timeout."""
    with PymapMailSystem() if kind == "pymap" else _borrowed(mail_system) as system:
        system.add_user(GW, PW)
        with smtplib.SMTP(system.smtp_host, system.smtp_port) as smtp:
            smtp.sendmail("a@town.example.jp", ["SNS-check+x@town.example.jp"], mail(7))
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.sendmail("a@town.example.jp", ["nobody@town.example.jp"], mail(8))
        assert refused.value.recipients["nobody@town.example.jp"][0] == 550
        raw = system.wait_for(GW, lambda r: mid(r) == "7")
        assert raw.endswith(mail(7).split(b"\r\n\r\n", 1)[1])  # body bytes unchanged
        with pytest.raises(TimeoutError, match=r"draft 7"):
            system.wait_for(GW, lambda r: False, timeout=0.2)


@contextmanager
def _borrowed(system: DovecotMailSystem) -> Iterator[DovecotMailSystem]:
    yield system


@pytest.fixture(scope="module")
def server_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(certificate, key, CA) for 127.0.0.1 / localhost."""
    pki = make_pki(tmp_path_factory.mktemp("tls"))
    return pki["cert"], pki["key"], pki["ca"]


def _server_context(cert: tuple[Path, Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert[0]), str(cert[1]))
    return context


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_with_the_configured_ca(security: str, server_cert: tuple[Path, Path, Path]) -> None:
    tls = _server_context(server_cert)
    with PymapMailSystem(tls=tls, implicit_tls=security == "ssl") as system:
        system.add_user(GW, PW)
        system.deliver(mail(1), [GW])
        handler = Recorder()
        cfg = settings(system, security=security, ca_file=str(server_cert[2]))
        with watching(cfg, handler):
            system.wait_for(GW, lambda r: mid(r) == "1", folder="Processed")
        assert handler.calls == ["1"]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_refuses_a_certificate_it_cannot_verify(
    security: str, server_cert: tuple[Path, Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Verification is on by default: a self-signed server without ca_file is refused."""
    watching_logged(caplog)
    tls = _server_context(server_cert)
    with PymapMailSystem(tls=tls, implicit_tls=security == "ssl") as system:
        system.add_user(GW, PW)
        system.deliver(mail(1), [GW])
        handler = Recorder()
        with watching(settings(system, security=security), handler):
            wait_until(lambda: "reconnecting in" in caplog.text, what="a refused handshake")
        assert handler.calls == []
        assert ids(system.messages(GW)) == ["1"]
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text
    assert PW not in caplog.text
