"""The IMAP edge: watch the gateway's mailbox and hand each raw message to the daemon.

This is the only module that imports imapclient, so the IMAP library can be swapped or
pinned in one place.

Contract with the handler (persist before acknowledge): a message is moved out of the
watched folder only *after* `handle(raw)` has returned, so a crash loses nothing. The
price is that a message can be handed over twice (a crash or a dropped connection
between the handler's store and the move); the handler must be idempotent, e.g. keyed
by Message-ID. `uid_validity` is exposed for handlers that key on UIDs.

- `handle` returns            -> message moved to `processed_folder`
- `handle` raises TransientError -> message left where it is; the pass stops; retried later
- `handle` raises anything else  -> logged, message moved to `failed_folder` (kept, not lost)
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientError, LoginError

if TYPE_CHECKING:
    from gateway.settings import MailboxSettings

__all__ = ["PROCESSED_KEYWORD", "MailboxWatcher", "TransientError"]

#: Flag set on handled messages when the server can neither MOVE nor UID EXPUNGE.
PROCESSED_KEYWORD = b"$GatewayProcessed"

_DELETED = b"\\Deleted"
_SEEN = b"\\Seen"
_CONNECT_TIMEOUT = 15.0  # seconds to open the TCP (and TLS) connection
_READ_TIMEOUT = 60.0  # seconds a single command may wait for the server
_BACKOFF_FIRST = 1.0
_BACKOFF_MAX = 60.0
_PIECE = 2 * 1024 * 1024  # larger messages are fetched in pieces of this size


class TransientError(Exception):
    """Raised by a handler that could not store a message (disk full, store locked ...).

    The watcher leaves the message in the folder, backs off and tries again later.
    """


class _Backoff:
    """Exponential backoff, 1 s doubling to 60 s, with jitter so restarts do not stampede."""

    def __init__(self, first: float = _BACKOFF_FIRST, cap: float = _BACKOFF_MAX) -> None:
        self.first = first
        self.cap = cap
        self.failures = 0

    def next_delay(self) -> float:
        base = min(self.cap, self.first * 2**self.failures)
        self.failures += 1
        return base / 2 + random.uniform(0, base / 2)  # "equal jitter": never above base

    def reset(self) -> None:
        self.failures = 0


class MailboxWatcher:
    """Watch one IMAP folder and feed each message, oldest UID first, to `handle`.

    `run()` is the daemon's entry point (blocking, in its own thread, never raises);
    `process_pending()` is one pass, usable on its own in tests and tools (then call
    `close()` when done; `run()` closes by itself).

    `wake_interval` is how often a wait (IDLE or polling) wakes up to look at `stop`,
    so that SIGTERM ends `run()` within about that time (default 1 s). `use_idle=False`
    forces the polling fallback even when the server offers IDLE.
    """

    def __init__(
        self,
        settings: MailboxSettings,
        handle: Callable[[bytes], None],
        *,
        stop: threading.Event,
        wake_interval: float | None = None,
        use_idle: bool = True,
        log: logging.Logger = logging.getLogger(__name__),  # noqa: B008 - shared module logger
        max_bytes: int | None = None,
        handle_oversize: Callable[[bytes, int], None] | None = None,
        handle_file: Callable[[Path], None] | None = None,
        fetch_dir: Path | None = None,
    ) -> None:
        if settings.security not in ("ssl", "starttls", "none"):
            raise ValueError(f"unknown mailbox security {settings.security!r}")
        self.settings = settings
        self._handle = handle
        # Over `max_bytes`, only the header block is fetched and `handle_oversize(head, size)`
        # is called instead: a 50 MB mail is never held in memory, let alone parsed.
        self._max_bytes = max_bytes
        self._handle_oversize = handle_oversize
        # A message larger than one piece is fetched piece by piece into a file in
        # `fetch_dir` and `handle_file(path)` is called: it is never held in memory whole.
        self._handle_file = handle_file if fetch_dir is not None else None
        self._fetch_dir = fetch_dir
        self._stop = stop
        self._wake_interval = 1.0 if wake_interval is None else max(0.05, wake_interval)
        self._use_idle = use_idle
        self._log = log
        self._client: IMAPClient | None = None
        self._folders_ready: set[str] = set()
        self._keywords_allowed = True
        # Keyword fallback only: UIDs acknowledged in this process, in case the server
        # silently drops the keyword (no \* in PERMANENTFLAGS).
        self._acknowledged: set[tuple[int | None, int]] = set()
        #: UIDVALIDITY of the watched folder as last selected (None before the first login).
        self.uid_validity: int | None = None

    # -- the daemon loop ---------------------------------------------------------------

    def run(self) -> None:
        """Process, wait for mail, repeat; reconnect with backoff on any failure; until stop."""
        reconnect = _Backoff()
        transient = _Backoff()
        where = f"{self.settings.host}:{self.settings.port}"
        while not self._stop.is_set():
            try:
                if self._client is None:
                    self._connect()
                    if reconnect.failures:
                        self._log.info(
                            "event=imap_reconnected where=%s failures=%d note='connected again'",
                            where,
                            reconnect.failures,
                        )
                try:
                    self._process_until_quiet()
                    # Only a whole pass proves the connection: a server that accepts the
                    # login and then drops us must not be retried every second.
                    reconnect.reset()
                except TransientError:
                    reconnect.reset()  # the server is fine; our storage is not
                    delay = transient.next_delay()
                    self._log.info("event=imap_retry delay_s=%.1f", delay)
                    self._stop.wait(delay)
                    continue
                transient.reset()
                if not self._stop.is_set():
                    self._wait_for_mail()
            except Exception as exc:
                self._drop_connection()
                if self._stop.is_set():
                    break
                delay = reconnect.next_delay()
                self._log_failure(where, exc, delay)
                self._stop.wait(delay)
        self.close()

    def _log_failure(self, where: str, exc: Exception, delay: float) -> None:
        """One English line per failed attempt; a traceback only for unexpected errors."""
        expected = isinstance(exc, OSError | IMAPClientError)
        self._log.warning(
            "event=imap_error where=%s error=%s detail=%r note='reconnecting in %.1f s'",
            where,
            type(exc).__name__,
            str(exc) or "connection lost",
            delay,
            exc_info=None if expected else exc,
        )

    # -- one pass ----------------------------------------------------------------------

    def process_pending(self) -> int:
        """Hand every message now in the folder to the handler, in UID order, then move it.

        Returns how many messages left the folder (processed or failed). Raises
        TransientError (after logging it) when the handler did, leaving that message and
        the ones after it for a later pass. Connects first if not connected; IMAP and
        network errors propagate (run() turns them into a reconnect).
        """
        client = self._client or self._connect()
        criteria = [b"NOT", b"DELETED", b"NOT", b"KEYWORD", PROCESSED_KEYWORD]
        uids = sorted(client.search(criteria))
        done = 0
        for uid in uids:
            if self._stop.is_set():
                break
            if (self.uid_validity, uid) in self._acknowledged:
                continue
            size = self._size_of(client, uid)
            oversize = size is not None and self._max_bytes is not None and size > self._max_bytes
            fetched: Path | None = None
            if oversize:
                raw = client.fetch([uid], [b"BODY.PEEK[HEADER]"]).get(uid, {}).get(b"BODY[HEADER]")
            elif size is not None and size > _PIECE and self._handle_file is not None:
                fetched = self._fetch_to_file(client, uid)
                raw = _head_of(fetched) if fetched is not None else None
            elif size is not None and size > _PIECE:
                raw = self._fetch_in_pieces(client, uid)
            else:
                raw = client.fetch([uid], [b"BODY.PEEK[]"]).get(uid, {}).get(b"BODY[]")
            if raw is None:  # expunged by someone else meanwhile
                continue
            message_id = _message_id(raw)
            try:
                if oversize and self._handle_oversize is not None:
                    self._handle_oversize(raw, size or 0)
                elif fetched is not None and self._handle_file is not None:
                    self._handle_file(fetched)
                else:
                    self._handle(raw)
            except TransientError as exc:
                self._log.warning(
                    "event=message_deferred uid=%d message_id=%s error=%r folder=%r",
                    uid,
                    message_id,
                    exc,
                    self.settings.folder,
                )
                raise
            except Exception as exc:
                self._log.error(
                    "event=message_failed uid=%d message_id=%s error=%s moved_to=%r",
                    uid,
                    message_id,
                    type(exc).__name__,
                    self.settings.failed_folder,
                    exc_info=exc,
                )
                self._move(uid, self.settings.failed_folder)
            else:
                # Seen only now (fetched with PEEK): Processed reads as done in a mail client,
                # while Failed stays unread for the admin's attention.
                client.add_flags([uid], [_SEEN])
                self._move(uid, self.settings.processed_folder)
            finally:
                if fetched is not None:
                    fetched.unlink(missing_ok=True)
            done += 1
        return done

    def _fetch_to_file(self, client: IMAPClient, uid: int) -> Path | None:
        """A large message in partial fetches (RFC 3501 BODY[]<offset.length>), each piece
        written to a file as it arrives: only one piece (and imaplib's copies of it) is
        ever in memory. None when the message is gone."""
        assert self._fetch_dir is not None
        self._fetch_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(prefix="fetch-", suffix=".eml", dir=self._fetch_dir)
        path = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                offset = 0
                while True:  # until a short piece: RFC822.SIZE is only a hint on some servers
                    item = f"BODY.PEEK[]<{offset}.{_PIECE}>".encode()
                    got = client.fetch([uid], [item]).get(uid, {})
                    piece = next((v for k, v in got.items() if k.startswith(b"BODY[]")), None)
                    del got
                    if piece is None and offset == 0:
                        path.unlink(missing_ok=True)
                        return None
                    if piece is None:
                        break
                    out.write(piece)
                    offset += len(piece)
                    if len(piece) < _PIECE:
                        break
                    del piece
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    @staticmethod
    def _fetch_in_pieces(client: IMAPClient, uid: int) -> bytes | None:
        """A large message in partial fetches (RFC 3501 BODY[]<offset.length>): fetched
        whole, imaplib and imapclient hold about three copies of it at once."""
        pieces: list[bytes] = []
        offset = 0
        while True:  # until a short piece: RFC822.SIZE is only a hint on some servers
            item = f"BODY.PEEK[]<{offset}.{_PIECE}>".encode()
            got = client.fetch([uid], [item]).get(uid, {})
            piece = next((v for k, v in got.items() if k.startswith(b"BODY[]")), None)
            if piece is None:
                return None if offset == 0 else b"".join(pieces)
            pieces.append(piece)
            offset += len(piece)
            if len(piece) < _PIECE:
                return b"".join(pieces)

    def _size_of(self, client: IMAPClient, uid: int) -> int | None:
        if self._max_bytes is None or self._handle_oversize is None:
            return None
        value = client.fetch([uid], [b"RFC822.SIZE"]).get(uid, {}).get(b"RFC822.SIZE")
        return _as_int(value)

    def _process_until_quiet(self) -> None:
        """Pass after pass until a pass ends with no new-mail news from the server.

        A message that arrives during a pass is announced by an untagged EXISTS in the
        response to one of the pass's own commands (e.g. after the SEARCH results). That
        news is not repeated once IDLE starts, so without another pass the message would
        wait for the next IDLE renewal.
        """
        while not self._stop.is_set():
            self._take_news()
            self.process_pending()
            if not self._take_news():
                return

    def _take_news(self) -> bool:
        """Pop (and report) EXISTS/RECENT seen in responses to ordinary commands."""
        client = self._client
        if client is None:
            return False
        pending = client._imap.untagged_responses  # imaplib keeps unsolicited responses here
        news = False
        for name in ("EXISTS", "RECENT"):
            news = bool(pending.pop(name, None)) or news
        return news

    # -- connection --------------------------------------------------------------------

    def _connect(self) -> IMAPClient:
        """Open, secure, log in and select; remember UIDVALIDITY and what the server can do."""
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file) if s.security != "none" else None
        client = IMAPClient(
            s.host,
            s.port,
            ssl=s.security == "ssl",
            ssl_context=context,
            timeout=SocketTimeout(connect=_CONNECT_TIMEOUT, read=_READ_TIMEOUT),
        )
        try:
            if s.security == "starttls":
                client.starttls(context)
            if (s.username + s.password).isascii():
                client.login(s.username, s.password)
            else:  # imaplib's LOGIN is ASCII-only; SASL PLAIN carries UTF-8 (RFC 4616)
                client.plain_login(s.username, s.password)
            info = client.select_folder(s.folder)
        except BaseException:
            _quietly(client.shutdown)
            raise
        uid_validity = _as_int(info.get(b"UIDVALIDITY"))
        if self.uid_validity is not None and uid_validity != self.uid_validity:
            self._log.warning(
                "event=uidvalidity_changed folder=%r old=%s new=%s note='server renumbered'",
                s.folder,
                self.uid_validity,
                uid_validity,
            )
            self._acknowledged.clear()
        self.uid_validity = uid_validity
        self._keywords_allowed = b"\\*" in tuple(info.get(b"PERMANENTFLAGS", ()))
        self._folders_ready.clear()
        self._client = client
        idle = self._use_idle and client.has_capability("IDLE")
        self._log.info(
            "event=imap_watching host=%s port=%d folder=%r user=%s uidvalidity=%s mode=%r ack=%r",
            s.host,
            s.port,
            s.folder,
            s.username,
            uid_validity,
            "IDLE" if idle else f"polling every {s.poll_interval:g} s",
            self._move_method(client),
        )
        return client

    def _drop_connection(self) -> None:
        """Forget a connection that failed; close its socket without talking to the server."""
        client, self._client = self._client, None
        if client is not None:
            _quietly(client.shutdown)

    def close(self) -> None:
        """Log out politely (briefly: a hung server must not delay shutdown)."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.socket().settimeout(2.0)
            client.logout()
        except Exception:
            _quietly(client.shutdown)

    # -- acknowledging -----------------------------------------------------------------

    @staticmethod
    def _move_method(client: IMAPClient) -> str:
        if client.has_capability("MOVE"):
            return "MOVE"
        if client.has_capability("UIDPLUS"):
            return "COPY + UID EXPUNGE"
        return f"COPY + keyword {PROCESSED_KEYWORD.decode()}"

    def _move(self, uid: int, folder: str) -> None:
        """Take one message out of the watched folder into `folder`, the best way offered."""
        client = self._client
        assert client is not None
        self._ensure_folder(folder)
        if client.has_capability("MOVE"):
            client.move([uid], folder)
        elif client.has_capability("UIDPLUS"):
            client.copy([uid], folder)
            client.add_flags([uid], [_DELETED])
            client.uid_expunge([uid])  # only this UID: other clients' \Deleted stay
        else:
            client.copy([uid], folder)
            client.add_flags([uid], [PROCESSED_KEYWORD])
            self._acknowledged.add((self.uid_validity, uid))
            if not self._keywords_allowed:
                self._log.warning(
                    "event=no_acknowledge uid=%d folder=%r "
                    "note='no MOVE, UIDPLUS or keywords: handed over again after a restart'",
                    uid,
                    self.settings.folder,
                )

    def _ensure_folder(self, folder: str) -> None:
        """Create (and subscribe) `folder` once per connection if it is missing."""
        if folder in self._folders_ready:
            return
        client = self._client
        assert client is not None
        if not client.folder_exists(folder):
            try:
                client.create_folder(folder)
            except IMAPClientError:
                if not client.folder_exists(folder):  # not a race with another client
                    raise
            else:
                self._log.info("event=imap_folder_created folder=%r", folder)
                _quietly(lambda: client.subscribe_folder(folder))
        self._folders_ready.add(folder)

    # -- waiting -----------------------------------------------------------------------

    def _wait_for_mail(self) -> None:
        client = self._client
        assert client is not None
        if self._use_idle and client.has_capability("IDLE"):
            self._idle(client)
        else:
            self._stop.wait(self.settings.poll_interval)

    def _idle(self, client: IMAPClient) -> None:
        """IDLE until new mail, `idle_timeout`, or stop; waking every `wake_interval`.

        A dropped connection does not raise inside imapclient's idle_check (it returns no
        responses at once), so an early empty return ends the IDLE, and idle_done()
        then raises if the connection is really gone.
        """
        renew_after = min(max(self.settings.idle_timeout, 1.0), 29 * 60.0)
        started = time.monotonic()
        client.idle()
        try:
            while not self._stop.is_set():
                remaining = renew_after - (time.monotonic() - started)
                if remaining <= 0:
                    return
                if _already_buffered(client):
                    return  # news read along with an earlier line: idle_done() will consume it
                wait = min(self._wake_interval, remaining)
                before = time.monotonic()
                responses = client.idle_check(timeout=wait)
                if _signals_news(responses):
                    return
                if not responses and time.monotonic() - before < wait / 2:
                    return  # socket readable but nothing parsed: most likely EOF
        finally:
            client.idle_done()


def _already_buffered(client: IMAPClient) -> bool:
    """True when responses sit in imaplib's read buffer, where idle_check cannot see them.

    idle_check() polls the socket, but the server's `+ idling` and a following
    `* 1 EXISTS` often arrive in one packet; the buffered reader then holds the EXISTS
    and the socket never becomes readable for it (imapclient issue #321).
    """
    sock = client.socket()
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError, OSError, ValueError):
        return False
    finally:
        sock.setblocking(True)
        client._set_read_timeout()


def _signals_news(responses: Sequence[Any]) -> bool:
    """True for EXISTS/RECENT (new mail) and BYE (server going away)."""
    for response in responses:
        if not isinstance(response, tuple) or not response:
            continue
        if response[0] == b"BYE":
            return True
        if len(response) > 1 and response[1] in (b"EXISTS", b"RECENT"):
            return True
    return False


def _head_of(path: Path) -> bytes:
    """The start of a fetched file: its header block, for the log's Message-ID."""
    with path.open("rb") as f:
        return f.read(256 * 1024)


def _message_id(raw: bytes) -> str:
    """The Message-ID for logs (headers only, never body text), printable ASCII."""
    try:
        value = BytesHeaderParser().parsebytes(raw).get("Message-ID")
    except Exception:
        value = None
    if not value:
        return "(no Message-ID)"
    text = "".join(ch if " " < ch < "\x7f" else "?" for ch in str(value).strip())
    return text[:200]


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quietly(action: Callable[[], object]) -> None:
    """Best-effort cleanup: its failure must not hide the error being handled."""
    with contextlib.suppress(Exception):
        action()


def try_login(settings: MailboxSettings) -> dict[str, Any]:
    """Connect, secure, log in and select the folder once, then log out: for
    `gateway config check`. Returns {"ok": True, "idle": ..., "move": ...} or
    {"ok": False, "kind": "login" | "protocol", "detail": ...}; OS-level errors
    (DNS, refused, TLS certificate, timeout) propagate as OSError.
    """
    watcher = MailboxWatcher(
        settings, lambda _raw: None, stop=threading.Event(), log=logging.getLogger("gateway.probe")
    )
    try:
        client = watcher._connect()
    except LoginError as exc:
        return {"ok": False, "kind": "login", "detail": str(exc)}
    except IMAPClientError as exc:
        return {"ok": False, "kind": "protocol", "detail": str(exc)}
    try:
        return {
            "ok": True,
            "idle": bool(client.has_capability("IDLE")),
            "move": watcher._move_method(client),
        }
    finally:
        watcher.close()
