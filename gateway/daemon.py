"""The daemon: intake (blocking IMAP, in a thread), outbox and timers in one asyncio loop.

Start-up loads everything that can fail (key, state, rules, templates) before any
connection, so a broken installation says so at once instead of at the first mail.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.policy
import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from gateway.checker import Checker
from gateway.failures import STATUS as FAILURE_STATUS
from gateway.failures import failure_mails
from gateway.health import StorageAlarm, archive_old
from gateway.intake import MailboxWatcher, TransientError
from gateway.mime import MAX_HEADER_BYTES
from gateway.outbox import Outbox
from gateway.pipeline import Gateway, now_jst, spool_for
from gateway.settings import Settings
from gateway.signing import load_or_create_key
from gateway.statefiles import StateError
from gateway.store import Store
from gateway.template_check import ensure_templates

log = logging.getLogger(__name__)


def sd_notify(state: str) -> None:
    """Tell systemd (Type=notify) how we are; a no-op outside systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.connect(address)
        sock.sendall(state.encode())


def watchdog_interval(env: Mapping[str, str], pid: int) -> float | None:
    """How often to send WATCHDOG=1: a third of WatchdogSec (systemd passes WATCHDOG_USEC),
    independent of the tick interval, so hourly ticks never starve the watchdog.
    None when systemd asked for no watchdog, or asked another process (WATCHDOG_PID)."""
    usec = env.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if env.get("WATCHDOG_PID", str(pid)) != str(pid):
        return None
    return int(usec) / 1_000_000 / 3


async def watchdog(stop: asyncio.Event, interval: float, alive: Callable[[], bool]) -> None:
    """Ping systemd's watchdog while the loop runs and `alive()` holds; a dead intake thread
    stops the pings, so systemd restarts the service (Restart=on-failure)."""
    while not stop.is_set():
        if alive():
            sd_notify("WATCHDOG=1")
        else:
            log.error("event=watchdog_withheld reason=intake_thread_dead")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


def open_gateway(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = now_jst,
    on_queued: Callable[[], None] = lambda: None,
) -> Gateway:
    """Load key, state and rules; raise StateError / RuleLoadError / OSError when they are unusable,
    TemplatesBroken when a mail template does not render (every one is rendered once here)."""
    ensure_templates(settings.templates_dir)
    key = load_or_create_key(settings.key_file)
    store = Store(settings.state_path, exclusive=True)  # one writer: refuse a second daemon
    checker = Checker.load(settings.check.rules_dir)
    return Gateway(settings, store, key, checker, clock=clock, on_queued=on_queued)


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = now_jst,
        tick_seconds: float = 60.0,
        use_idle: bool = True,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.use_idle = use_idle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self.gateway = open_gateway(settings, clock=clock, on_queued=self._queued)
        self._failures_told: set[str] = set()
        self.outbox = Outbox(
            settings.smtp,
            self.gateway.store,
            spool_for(settings),
            settings.mailbox.address,
            clock=clock,
        )
        self.alarm = StorageAlarm(settings, self._send_alert, clock)

    def _send_alert(self, recipients: list[str], data: bytes) -> None:
        if self._loop is not None:
            asyncio.run_coroutine_threadsafe(self.outbox.send_now(recipients, data), self._loop)

    def _queued(self) -> None:
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _handle(self, raw: bytes, handle: Callable[[], object] | None = None) -> None:
        try:
            if handle is not None:
                handle()
            else:
                self.gateway.handle_raw(raw)
        except (OSError, StateError) as exc:
            if isinstance(exc, LookupError):  # jinja2's TemplateNotFound is an OSError too
                raise
            # The state could not be written (disk full, permissions): keep the mail on
            # the server and stop taking new mail until it can be stored.
            self.alarm.failed(exc)
            raise TransientError(str(exc)) from exc
        except Exception as exc:
            # A fault of ours: the intake keeps the mail in the Failed folder; its sender
            # and the admin are told, so that nobody waits for an answer that never comes.
            self._tell_failure(raw, exc)
            raise
        self.alarm.ok()

    def _handle_file(self, path: Path) -> None:
        """A large mail the intake fetched into a file (never read whole)."""
        with path.open("rb") as f:
            head = f.read(MAX_HEADER_BYTES)  # enough to tell the sender, should it fail
        self._handle(head, lambda: self.gateway.handle_file(path))

    def _handle_oversize(self, head: bytes, size: int) -> None:
        """A mail over the size limit: only its header block was fetched."""
        self._handle(head, lambda: self.gateway.handle_oversize(head, size))

    def _tell_failure(self, raw: bytes, exc: Exception) -> None:
        key = hashlib.sha256(raw).hexdigest()
        if key in self._failures_told:  # the same mail failing again (not moved away)
            return
        self._failures_told.add(key)
        now = self.clock()
        try:
            mails = failure_mails(raw, exc, self.settings, self.gateway.address, now)
        except Exception as notice_exc:  # best effort: the intake's ERROR line is the record
            log.warning("event=failure_notice_not_sent error=%r", notice_exc)
            return
        try:  # through the durable outbox, like any other mail
            with self.gateway.store.transaction():
                for to, msg in mails:
                    self.gateway.queue_standalone(msg, FAILURE_STATUS, [to], now)
            self._queued()
        except Exception as queue_exc:  # the state itself failed: straight to the server
            log.warning("event=failure_notice_direct error=%r", queue_exc)
            for to, msg in mails:
                self._send_alert([to], msg.as_bytes(policy=email.policy.SMTP))
        for to, _msg in mails:
            log.warning("event=failure_notice_queued to=%s", to)

    async def _ticks(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(self.gateway.tick)
                await asyncio.to_thread(
                    archive_old, self.gateway.store, self.settings, self.clock()
                )
            except Exception:
                log.exception("event=tick_error")
            sd_notify("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick_seconds)

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        thread_stop = threading.Event()
        watcher = MailboxWatcher(
            self.settings.mailbox,
            self._handle,
            stop=thread_stop,
            use_idle=self.use_idle,
            max_bytes=int(self.settings.limits.max_message_mb * 1024 * 1024),
            handle_oversize=self._handle_oversize,
            handle_file=self._handle_file,
            fetch_dir=self.gateway.spool.root / "incoming",
        )
        intake = threading.Thread(target=watcher.run, name="imap-intake", daemon=True)
        intake.start()
        tasks = [
            asyncio.create_task(self.outbox.run(stop, self._wake), name="outbox"),
            asyncio.create_task(self._ticks(stop), name="ticks"),
        ]
        interval = watchdog_interval(os.environ, os.getpid())
        if interval is not None:
            tasks.append(
                asyncio.create_task(watchdog(stop, interval, intake.is_alive), name="watchdog")
            )
        sd_notify("READY=1")
        log.info(
            "event=started mailbox=%s folder=%s",
            self.settings.mailbox.address,
            self.settings.mailbox.folder,
        )
        try:
            await stop.wait()
        finally:
            sd_notify("STOPPING=1")
            thread_stop.set()
            self._wake.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.to_thread(intake.join, 10)
            self.gateway.store.close()
            log.info("event=stopped")
