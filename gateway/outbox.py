"""Mail out over SMTP (aiosmtplib), from the durable outbox, in order, with retries.

A mail is marked sent only after the SMTP server accepted it. A crash between the two
can send a mail twice; it then carries the same Message-ID, so clients show it once.
When the server is down, the pass stops (later mails wait: order is kept) and the next
attempt backs off from 15 s doubling to 15 min.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from datetime import datetime, timedelta

import aiosmtplib

from gateway.config import SmtpSettings
from gateway.pipeline import Spool
from gateway.store import Store

log = logging.getLogger(__name__)

BATCH = 50
MAX_BACKOFF = timedelta(minutes=15)
FIRST_BACKOFF = timedelta(seconds=15)


def backoff(attempts: int) -> timedelta:
    return min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_file)


class Outbox:
    def __init__(
        self,
        settings: SmtpSettings,
        store: Store,
        spool: Spool,
        envelope_from: str,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.store = store
        self.spool = spool
        self.envelope_from = envelope_from
        self.clock = clock

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.port,
            use_tls=s.security == "ssl",
            start_tls=s.security == "starttls",
            tls_context=_tls_context(s) if s.security != "none" else None,
            username=s.username if s.password else None,
            password=s.password,
            timeout=30,
        )

    async def drain(self) -> int:
        """Send every due mail, oldest first; returns how many were accepted."""
        sent_total = 0
        while True:
            with self.store.transaction():
                due = self.store.pending_mail(self.clock())[:BATCH]
            if not due:
                return sent_total
            sent, failure = await self._send_batch(due)
            now = self.clock()
            with self.store.transaction():
                for entry_id in sent:
                    self.store.mark_sent(entry_id, now)
                if failure is not None:
                    entry, error, permanent = failure
                    attempts = int(entry.get("attempts", 0)) + 1
                    if permanent:
                        self.store.mark_failed(entry["_id"], error, now)
                        log.error(
                            "event=mail_failed message_id=%s error=%r", entry["message_id"], error
                        )
                    else:
                        self.store.mark_retry(
                            entry["_id"], error, now + backoff(attempts), attempts
                        )
                        log.warning(
                            "event=smtp_retry message_id=%s attempts=%d error=%r",
                            entry["message_id"],
                            attempts,
                            error,
                        )
            sent_total += len(sent)
            if failure is not None and not failure[2]:
                return sent_total

    async def _send_batch(self, due: list[dict]) -> tuple[list[int], tuple[dict, str, bool] | None]:
        sent: list[int] = []
        client = self._client()
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            return sent, (due[0], f"connect: {exc}", False)
        try:
            for entry in due:
                try:
                    data = self.spool.get_mail(entry["path"])
                except OSError as exc:
                    return sent, (entry, f"spool file missing: {exc}", True)
                try:
                    await client.sendmail(self.envelope_from, entry["recipients"], data)
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    return sent, (entry, f"recipients refused: {exc}", True)
                except aiosmtplib.SMTPResponseException as exc:
                    return sent, (entry, f"{exc.code} {exc.message}", 500 <= exc.code < 600)
                except (aiosmtplib.SMTPException, OSError) as exc:
                    return sent, (entry, str(exc), False)
                sent.append(entry["_id"])
                log.info(
                    "event=mail_sent status=%s draft=%s message_id=%s",
                    entry.get("mail_status"),
                    entry.get("draft_id"),
                    entry["message_id"],
                )
        finally:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
        return sent, None

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
    client = aiosmtplib.SMTP(  # the same options as Outbox._client
        hostname=settings.host,
        port=settings.port,
        use_tls=settings.security == "ssl",
        start_tls=settings.security == "starttls",
        tls_context=_tls_context(settings) if settings.security != "none" else None,
        username=settings.username if settings.password else None,
        password=settings.password,
        timeout=15,
    )
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
