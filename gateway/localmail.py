"""An embedded local mail system for `gateway demo`: pymap IMAP + aiosmtpd SMTP on 127.0.0.1.

Why it exists: the demo must run a whole round trip with no root, no setup and no
outside mail server. The same `MailSystem` interface is implemented by the Dovecot
system in the integration tests, so demo and tests drive the gateway the same way.

Design notes (measured with pymap 0.36.7):
- pymap's in-memory *dict* backend is used, not maildir: nothing to lay out on disk,
  users are created in-process, and it advertises IDLE, MOVE and UIDPLUS.
- Delivery appends in-process, on the server's own event loop, through the backend's
  mailbox API. That sets the mailbox's update event, so IDLE sessions see the message at
  once (unlike writing files into a pymap Maildir, which broke an IDLE session).
- The SMTP side (`DeliveryHandler`, `LocalSmtpServer`) is shared with the Dovecot
  system of the tests: only the `deliver` callable differs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
import ssl
import threading
import time
from argparse import Namespace
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = [
    "DeliveryHandler",
    "LocalSmtpServer",
    "MailSystem",
    "MailSystemBase",
    "PymapMailSystem",
    "base_address",
    "free_port",
    "to_crlf",
]

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"


class MailSystem(Protocol):
    """What the demo and the integration tests need from a local mail system."""

    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int

    def add_user(self, address: str, password: str) -> None: ...

    def deliver(self, raw: bytes, recipients: Sequence[str]) -> None: ...

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]: ...

    def wait_for(
        self,
        address: str,
        predicate: Callable[[bytes], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes: ...


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port free right now on `host` (servers that cannot bind port 0 need one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def base_address(address: str) -> str:
    """`user+tag@Example.JP` -> `user@example.jp`: the mailbox a plus-address lands in."""
    address = address.strip().strip("<>").lower()
    local, sep, domain = address.rpartition("@")
    if not sep:
        local, domain = address, ""
    local = local.split("+", 1)[0]
    return f"{local}@{domain}" if sep else local


_BARE_LF = re.compile(rb"(?<!\r)\n")


def to_crlf(raw: bytes) -> bytes:
    """Turn bare LF line ends into CRLF; CRLF input comes back byte-for-byte unchanged.

    Mail on the wire is CRLF; test authors often write LF. SMTP and LMTP servers refuse
    bare-LF input as one over-long line, so deliveries normalise it here.
    """
    return _BARE_LF.sub(b"\r\n", raw)


def _subject_of(raw: bytes) -> str:
    """The Subject header, raw, for error messages that list what *did* arrive."""
    match = re.search(rb"^Subject:[ \t]*(.*(?:\r?\n[ \t].*)*)", raw, re.MULTILINE | re.IGNORECASE)
    if not match:
        return "(no subject)"
    return re.sub(r"\s+", " ", match.group(1).decode("ascii", "replace")).strip()


class MailSystemBase:
    """Shared behaviour of mail systems: `wait_for` in terms of `messages`, context manager."""

    imap_host: str = LOOPBACK
    imap_port: int = 0
    smtp_host: str = LOOPBACK
    smtp_port: int = 0

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        raise NotImplementedError

    def wait_for(
        self,
        address: str,
        predicate: Callable[[bytes], bool],
        timeout: float = 10.0,
        folder: str = "INBOX",
    ) -> bytes:
        """Poll `folder` of `address` until a message satisfies `predicate`; return it.

        Raises TimeoutError naming the mailbox and listing the subjects that were there,
        so a failing test says what arrived instead of only that something did not.
        """
        deadline = time.monotonic() + timeout
        while True:
            current = self.messages(address, folder)
            for raw in current:
                if predicate(raw):
                    return raw
            if time.monotonic() >= deadline:
                subjects = [_subject_of(raw) for raw in current]
                raise TimeoutError(
                    f"no matching message in {address} {folder!r} after {timeout:.1f} s; "
                    f"it holds {len(current)} message(s): {subjects}"
                )
            time.sleep(0.05)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class DeliveryHandler:
    """aiosmtpd handler: accept mail for known users and hand the raw bytes to `deliver`.

    Unknown recipients get 550 at RCPT time, as a real server would, so the gateway's
    bounce handling can be exercised. The message bytes are passed on as received
    (after SMTP dot-unstuffing), CRLF kept. `deliver` runs on the SMTP loop's thread:
    it may block briefly, which is fine for a local system.
    """

    def __init__(
        self,
        deliver: Callable[[bytes, Sequence[str]], None],
        is_user: Callable[[str], bool],
    ) -> None:
        self._deliver = deliver
        self._is_user = is_user

    async def handle_RCPT(  # aiosmtpd hook name
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if not self._is_user(base_address(address)):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(  # aiosmtpd hook name
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        raw = envelope.original_content
        if raw is None:  # pragma: no cover - aiosmtpd always sets it after DATA
            return "451 4.3.0 No message data"
        try:
            self._deliver(raw, list(envelope.rcpt_tos))
        except Exception:
            log.exception("local delivery failed for %d recipient(s)", len(envelope.rcpt_tos))
            return "451 4.3.0 Local delivery failed, try again later"
        return "250 2.0.0 Message accepted for delivery"


class LocalSmtpServer:
    """An aiosmtpd `Controller` on 127.0.0.1 at a free port, delivering through a handler."""

    def __init__(self, handler: DeliveryHandler, host: str = LOOPBACK) -> None:
        self.host = host
        self.port = free_port(host)
        self._controller = Controller(
            handler,
            hostname=host,
            port=self.port,
            server_hostname="localhost",
            enable_SMTPUTF8=True,
        )
        self._running = False

    def start(self) -> None:
        self._controller.start()
        self._running = True

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._controller.stop()


class PymapMailSystem(MailSystemBase):
    """pymap (dict backend) IMAP server plus aiosmtpd SMTP, in one background thread each.

    Usage::

        with PymapMailSystem() as mail:
            mail.add_user("sns-check@town.example.jp", "secret")
            ...  # IMAP at mail.imap_host:mail.imap_port, SMTP at mail.smtp_host:mail.smtp_port

    Everything lives in memory and disappears on `stop()`. By default IMAP is plaintext
    (no STARTTLS offered), so clients use security "none"; pass `tls` to test TLS.
    """

    def __init__(
        self,
        host: str = LOOPBACK,
        *,
        tls: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        """`tls` (a server context) turns on STARTTLS, or TLS from the first byte with
        `implicit_tls`; without it IMAP is plaintext, for security "none" on loopback."""
        if implicit_tls and tls is None:
            raise ValueError("implicit_tls needs a tls context")
        self._tls = tls
        self._implicit_tls = implicit_tls
        self.imap_host = host
        self.smtp_host = host
        self.imap_port = 0
        self.smtp_port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._backend: Any = None
        self._config: Any = None
        self._users: set[str] = set()
        self._smtp: LocalSmtpServer | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start IMAP then SMTP; returns once both accept connections."""
        if self._thread is not None:
            raise RuntimeError("PymapMailSystem already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._thread_main, name="pymap-imap", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            raise RuntimeError("pymap IMAP server did not start within 10 s")
        if self._startup_error is not None:
            self._thread.join(5.0)
            self._thread = None
            raise RuntimeError("pymap IMAP server failed to start") from self._startup_error
        handler = DeliveryHandler(self.deliver, self._has_user)
        self._smtp = LocalSmtpServer(handler, self.smtp_host)
        try:
            self._smtp.start()
        except BaseException:
            self._smtp = None
            self.stop()
            raise
        self.smtp_port = self._smtp.port

    def stop(self) -> None:
        """Stop SMTP, then IMAP (open IMAP connections are dropped); idempotent."""
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._thread is not None and self._loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self._loop.call_soon_threadsafe(self._stopping.set)
            self._thread.join(10.0)
        self._thread = None
        self._loop = None

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to start() instead of dying silently
            self._startup_error = exc
            self._ready.set()

    async def _serve(self) -> None:
        # Imported here: pymap pulls in a lot, and only the demo needs it.
        from proxyprotocol.reader import ProxyProtocolReader
        from pymap.backend.dict import DictBackend
        from pymap.concurrent import Subsystem
        from pymap.imap import IMAPServer
        from pysasl.hashing import BuiltinHash

        args = Namespace(
            host=self.imap_host,
            port=0,
            debug=False,
            cert=None,
            key=None,
            tls=self._tls is not None and not self._implicit_tls,  # offer STARTTLS
            demo_data=False,
            demo_user="demouser",
            demo_password="",
            passlib_cfg=None,
            proxy_protocol=None,
            inherited_sockets=None,
        )
        backend, config = await DictBackend.init(
            args,
            # Few PBKDF2 rounds: the default 500 000 costs ~0.3 s per login, and this is an
            # in-memory demo server on loopback.
            hash_context=BuiltinHash(rounds=1000),
            # Hash on the event loop instead of a thread pool that would outlive stop().
            cpu_subsystem=Subsystem.for_asyncio(),
            invalid_user_sleep=0.0,
            reject_dnsbl=False,
            **({"ssl_context": self._tls} if self._tls is not None else {}),
        )
        config.apply_context()
        self._backend, self._config = backend, config
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        callback = ProxyProtocolReader(config.proxy_protocol).get_callback(
            IMAPServer(backend.login, config)
        )
        server = await asyncio.start_server(
            callback,
            host=self.imap_host,
            port=0,
            ssl=self._tls if self._implicit_tls else None,
        )
        self.imap_port = int(server.sockets[0].getsockname()[1])
        async with server:
            self._ready.set()
            await self._stopping.wait()
        # asyncio.run() now cancels the per-connection tasks still running.

    def _run(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run a coroutine on the server's loop from any other thread, and wait for it."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("PymapMailSystem is not running")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # -- users and mail ----------------------------------------------------------------

    def _has_user(self, address: str) -> bool:
        return base_address(address) in self._users

    def add_user(self, address: str, password: str) -> None:
        """Create a user whose login name is the lower-cased address, with an empty INBOX."""
        name = base_address(address)
        self._run(self._add_user(name, password))
        self._users.add(name)

    async def _add_user(self, name: str, password: str) -> None:
        from pymap.backend.dict import Identity
        from pymap.backend.dict.filter import FilterSet
        from pymap.backend.dict.mailbox import MailboxSet
        from pymap.user import Passwords, UserMetadata

        config, login = self._config, self._backend.login
        hashed = await Passwords(config).hash_password(password)
        identity = Identity(name, login, None, frozenset())
        await identity.set(UserMetadata(config, name, password=hashed))
        config.set_cache.setdefault(name, (MailboxSet(), FilterSet()))

    def deliver(self, raw: bytes, recipients: Sequence[str]) -> None:
        """Append `raw` (bare LF made CRLF) to each recipient's INBOX, as unseen and recent."""
        names = [base_address(r) for r in recipients]
        unknown = [n for n in names if n not in self._users]
        if unknown:
            raise KeyError(f"no such local user(s): {unknown}")
        data = to_crlf(raw)
        for name in dict.fromkeys(names):  # each mailbox once, order kept
            self._run(self._append(name, data))

    async def _append(self, name: str, data: bytes) -> None:
        from pymap.parsing.message import AppendMessage

        mailbox_set = self._config.set_cache[name][0]
        inbox = await mailbox_set.get_mailbox("INBOX")
        await inbox.append(AppendMessage(data, datetime.now(UTC), frozenset()), recent=True)

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        """The messages now in `folder` of `address`, in UID order, \\Deleted ones left out."""
        name = base_address(address)
        if name not in self._users:
            raise KeyError(f"no such local user: {name}")
        return list(self._run(self._messages(name, folder)))

    async def _messages(self, name: str, folder: str) -> list[bytes]:
        from pymap.parsing.specials.flag import Deleted

        mailbox_set = self._config.set_cache[name][0]
        try:
            mailbox = await mailbox_set.get_mailbox(folder)
        except KeyError:
            return []
        found: list[tuple[int, bytes]] = []
        async for msg in mailbox.messages():
            if Deleted in msg.permanent_flags:
                continue
            loaded = await msg.load_content(_full_content())
            found.append((msg.uid, bytes(loaded.content)))
        return [data for _, data in sorted(found)]


def _full_content() -> Any:
    from pymap.parsing.specials import FetchRequirement

    return FetchRequirement.CONTENT
