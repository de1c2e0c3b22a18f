"""Mail out over SMTP (aiosmtplib), from the durable outbox, in order, with retries.

A mail is marked sent (one journal line) right after the SMTP server accepted it. A crash
between the two can send that one mail twice; it then carries the same Message-ID, so
clients show it once. When the server is unreachable, the pass stops (later mails wait:
order is kept) and the next attempt backs off from 15 s doubling to 15 min. A mail the
server refuses for now (4xx) waits with its own backoff and holds back only the later
mails of its draft; a permanent refusal (5xx) marks it failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta

import aiosmtplib

from gateway.settings import SmtpSettings
from gateway.smtpstream import send_file
from gateway.spool import Spool
from gateway.store import Store

log = logging.getLogger(__name__)

BATCH = 50
MAX_BACKOFF = timedelta(minutes=15)
FIRST_BACKOFF = timedelta(seconds=15)


def backoff(attempts: int) -> timedelta:
    """The default schedule: 15 s doubling to 15 min."""
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def smtp_client(settings: SmtpSettings, timeout: float = 30) -> aiosmtplib.SMTP:
    """An SMTP client as the config says: TLS mode, verified certificates, login if a password."""
    return aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "ssl",
        start_tls=settings.security == "starttls",
        tls_context=_tls_context(settings) if settings.security != "none" else None,
        username=settings.username if settings.password else None,
        password=settings.password,
        timeout=timeout,
    )


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


class Outbox:
    """Sends the outbox in order. Backoff and clock are injectable, so tests can play
    "the server was down for an hour" without waiting."""

    def __init__(
        self,
        settings: SmtpSettings,
        store: Store,
        spool: Spool,
        envelope_from: str,
        *,
        clock: Callable[[], datetime],
        first_backoff: timedelta = FIRST_BACKOFF,
        max_backoff: timedelta = MAX_BACKOFF,
    ) -> None:
        self.settings = settings
        self.store = store
        self.spool = spool
        self.envelope_from = envelope_from
        self.clock = clock
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        #: While the server is unreachable: no attempt before this time.
        self.down_until: datetime | None = None
        self.down_failures = 0
        # Accepted by the server but not yet marked sent (the store could not be written):
        # never send these again; mark them before sending anything else.
        self._unmarked: dict[int, datetime] = {}

    def backoff(self, attempts: int) -> timedelta:
        return min(self.first_backoff * (2 ** max(attempts - 1, 0)), self.max_backoff)

    def _client(self) -> aiosmtplib.SMTP:
        return smtp_client(self.settings)

    async def drain(self) -> int:
        """Send every due mail, oldest first, over one connection; returns how many were
        accepted. Each mail is marked sent in its own (one journal line) transaction right
        after the server accepted it, so a crash can repeat at most that one mail."""
        if self.down_until is not None and self.clock() < self.down_until:
            return 0
        if not self._mark_unmarked():
            return 0
        sent_total = 0
        client: aiosmtplib.SMTP | None = None
        try:
            while True:
                with self.store.transaction():
                    due = self.store.pending_mail(self.clock())[:BATCH]
                if not due:
                    break
                if client is None:
                    client = self._client()
                    try:
                        await client.connect()
                    except (aiosmtplib.SMTPException, OSError) as exc:
                        client = None
                        self._server_down(due[0], f"connect: {exc}")
                        return sent_total
                held: set[object] = set()
                for entry in due:
                    if entry.get("draft_id") in held:
                        continue  # an earlier mail of this draft waits: keep the order
                    error, permanent, broken = await self._send_one(client, entry)
                    if error is None:
                        sent_total += 1
                        if not self._mark(entry["_id"]):
                            return sent_total
                        continue
                    if broken:  # the connection is gone: the server, not this mail
                        self._server_down(entry, error)
                        return sent_total
                    self._mail_failed(entry, error, permanent)
                    held.add(entry.get("draft_id"))
                self.down_failures = 0
                self.down_until = None
        finally:
            if client is not None:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()
        self.down_failures = 0
        self.down_until = None
        return sent_total

    async def _send_one(
        self, client: aiosmtplib.SMTP, entry: dict
    ) -> tuple[str | None, bool, bool]:
        """(error or None, permanent?, connection broken?)"""
        path = self.spool.mail_path(entry["path"])
        if not path.is_file():
            return f"spool file missing: {path}", True, False
        try:  # from the file, in pieces: a review request with photos is never read whole
            await send_file(client, self.envelope_from, entry["recipients"], path)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            return f"recipients refused: {exc}", True, False
        except aiosmtplib.SMTPServerDisconnected as exc:
            return f"disconnected: {exc}", False, True
        except aiosmtplib.SMTPResponseException as exc:
            return f"{exc.code} {exc.message}", 500 <= exc.code < 600, False
        except (aiosmtplib.SMTPException, OSError) as exc:
            return str(exc) or type(exc).__name__, False, True
        log.info(
            "event=mail_sent status=%s draft=%s message_id=%s",
            entry.get("mail_status"),
            entry.get("draft_id"),
            entry["message_id"],
        )
        return None, False, False

    def _mark(self, entry_id: int) -> bool:
        now = self.clock()
        try:
            with self.store.transaction():
                self.store.mark_sent(entry_id, now)
        except Exception as exc:  # disk full, state unwritable: do not send it again
            self._unmarked[entry_id] = now
            log.error("event=mark_sent_failed entry=%d error=%r", entry_id, exc)
            return False
        return True

    def _mark_unmarked(self) -> bool:
        if not self._unmarked:
            return True
        try:
            with self.store.transaction():
                for entry_id, at in self._unmarked.items():
                    self.store.mark_sent(entry_id, at)
        except Exception as exc:
            log.error("event=mark_sent_failed entries=%d error=%r", len(self._unmarked), exc)
            return False
        self._unmarked.clear()
        return True

    def _server_down(self, head: dict, error: str) -> None:
        self.down_failures += 1
        delay = self.backoff(self.down_failures)
        self.down_until = self.clock() + delay
        log.warning(
            "event=smtp_unavailable attempts=%d retry_in_s=%d error=%r",
            self.down_failures,
            delay.total_seconds(),
            error,
        )
        with contextlib.suppress(Exception), self.store.transaction():
            self.store.mark_retry(head["_id"], error, self.down_until, self.down_failures)

    def _mail_failed(self, entry: dict, error: str, permanent: bool) -> None:
        now = self.clock()
        attempts = int(entry.get("attempts", 0)) + 1
        with contextlib.suppress(Exception), self.store.transaction():
            if permanent:
                self.store.mark_failed(entry["_id"], error, now)
            else:
                self.store.mark_retry(entry["_id"], error, now + self.backoff(attempts), attempts)
        if permanent:
            log.error("event=mail_failed message_id=%s error=%r", entry["message_id"], error)
        else:
            log.warning(
                "event=smtp_retry message_id=%s attempts=%d error=%r",
                entry["message_id"],
                attempts,
                error,
            )

    async def send_now(self, recipients: list[str], data: bytes) -> bool:
        """Best effort, outside the outbox: for the admin alarm when the state cannot be
        written (so nothing can be queued). Returns whether the server accepted it."""
        client = self._client()
        try:
            await client.connect()
            await client.sendmail(self.envelope_from, recipients, data)
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("event=alert_not_sent error=%r", exc)
            return False
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
        return True

    async def run(
        self, stop: asyncio.Event, wake: asyncio.Event, idle_seconds: float = 5.0
    ) -> None:
        """Drain now, then whenever woken (new mail queued) or every few seconds (retries)."""
        while not stop.is_set():
            try:
                await self.drain()
            except Exception:  # never let one bad mail stop the outbox
                log.exception("event=outbox_error")
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=idle_seconds)


async def try_login(settings: SmtpSettings) -> dict[str, str | bool]:
    """Connect, secure and log in once, then quit: for `gateway config check`.

    Returns {"ok": True} or {"ok": False, "kind": "login" | "timeout" | "connect" |
    "protocol", "detail": ...}; OS-level errors (DNS, refused, TLS) propagate as OSError.
    """
    client = smtp_client(settings, timeout=15)
    try:
        await client.connect()
    except aiosmtplib.SMTPAuthenticationError as exc:
        return {"ok": False, "kind": "login", "detail": f"{exc.code} {exc.message}"}
    except (aiosmtplib.SMTPConnectTimeoutError, aiosmtplib.SMTPTimeoutError) as exc:
        return {"ok": False, "kind": "timeout", "detail": str(exc)}
    except aiosmtplib.SMTPConnectError as exc:
        return {"ok": False, "kind": "connect", "detail": str(exc)}
    except aiosmtplib.SMTPException as exc:
        return {"ok": False, "kind": "protocol", "detail": str(exc)}
    with contextlib.suppress(aiosmtplib.SMTPException, OSError):
        await client.quit()
    return {"ok": True}
