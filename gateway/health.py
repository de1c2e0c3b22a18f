"""When the state cannot be written (disk full, unwritable directory): say so loudly, once.

The daemon stops taking mail while this lasts (the intake leaves each message on the
IMAP server and backs off), so nothing is lost; this module tells the admin, in the log
(English and Japanese on one ERROR line) and, when an admin address is configured, by a
short Japanese mail sent directly (the outbox cannot queue it: queueing is a write).
It also moves old records to the archive from the daemon's timer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from gateway.settings import Settings
from gateway.store import Store
from gateway.version import MAILER

log = logging.getLogger(__name__)

#: Closed drafts and old events, seen keys and sent mail leave the hot state after this.
ARCHIVE_AFTER = timedelta(days=30)
#: While the outage lasts, the admin is mailed again after this.
ALERT_REPEAT = timedelta(hours=1)


class StorageAlarm:
    """Tracks one outage of the state store: ERROR log per failure, a mail per outage."""

    def __init__(
        self,
        settings: Settings,
        send: Callable[[list[str], bytes], None],
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.send = send
        self.clock = clock
        self.since: datetime | None = None
        self._last_mail: datetime | None = None
        self._lock = threading.Lock()

    def failed(self, exc: BaseException) -> None:
        now = self.clock()
        with self._lock:
            first = self.since is None
            if first:
                self.since = now
            mail_due = self._last_mail is None or now - self._last_mail >= ALERT_REPEAT
            if mail_due and self.settings.admin_address:
                self._last_mail = now
            else:
                mail_due = False
        log.error(
            "event=state_write_failed state=%s error=%r: cannot write the state; new mail "
            "stays on the IMAP server until it can / 状態ファイルに書き込めません。"
            "書き込めるようになるまで新しいメールはIMAPサーバーに残したまま受付を止めています。",
            self.settings.state_path,
            exc,
        )
        if mail_due:
            try:
                self.send([self.settings.admin_address], self._mail(exc, now))
            except Exception as send_exc:  # best effort: the log line above is the record
                log.warning("event=alert_not_sent error=%r", send_exc)

    def ok(self) -> None:
        with self._lock:
            since, self.since = self.since, None
            self._last_mail = None
        if since is not None:
            log.warning(
                "event=state_writable_again since=%s: taking mail again "
                "/ 状態ファイルに書き込めるようになりました。受付を再開します。",
                since.isoformat(timespec="seconds"),
            )

    def _mail(self, exc: BaseException, now: datetime) -> bytes:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.mailbox.address
        msg["To"] = s.admin_address
        msg["Subject"] = "[ゲートウェイ警告] 状態ファイルに書き込めません"
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(domain=s.mailbox.address.rpartition("@")[2] or None)
        msg["Auto-Submitted"] = "auto-generated"
        msg["X-Mailer"] = MAILER
        msg["X-Gateway-Status"] = "alert"
        msg.set_content(
            "SNS投稿承認ゲートウェイからのお知らせです。\n\n"
            f"状態ファイル {s.state_path} に書き込めません（{exc}）。\n"
            "ディスクの空き容量と書き込み権限を確認してください。\n\n"
            "それまでの間、届いたメールは受信箱に残したまま処理を止めています。"
            "メールは失われません。書き込めるようになると自動で再開します。\n"
        )
        return bytes(msg)


def archive_old(store: Store, settings: Settings, now: datetime) -> int:
    """Keep the hot state small: closed drafts and old records go to the archive."""
    keep_approved = timedelta(days=settings.check.spam_window_days + 1)
    return store.archive(now, ARCHIVE_AFTER, keep_approved)
