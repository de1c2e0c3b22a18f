"""A running gateway daemon against a local mail system, for whole-conversation tests."""

from __future__ import annotations

import asyncio
import smtplib
import threading
from collections.abc import Callable, Sequence
from email import message_from_bytes, policy
from pathlib import Path

from gateway.config import load_settings
from gateway.daemon import Daemon
from gateway.demo import compose_draft, config_text
from gateway.settings import Settings

GATEWAY = "sns-check@town.example.jp"
AUTHOR = "sato@town.example.jp"
KACHO = "kacho@town.example.jp"
KAKARI = "kakaricho@town.example.jp"
DAIRI = "dairi@town.example.jp"
STRANGER = "someone@outside.example.com"
PASSWORD = "pw-integration"
USERS = (GATEWAY, AUTHOR, KACHO, KAKARI, DAIRI)


def write_config(mail, workdir: Path, *, extra: str = "", accounts: str | None = None) -> Path:
    """The demo's config (same people, loopback servers), with the test's own additions."""
    text = config_text(
        mail, workdir, password=PASSWORD, extra=extra, accounts=accounts, poll_interval=1
    )
    path = workdir / "gateway.toml"
    path.write_text(text, encoding="utf-8")
    return path


class RunningGateway:
    """The real daemon in a thread of its own, with helpers to talk to it by mail."""

    def __init__(self, mail, config_path: Path, *, use_idle: bool = True, clock=None) -> None:
        self.mail = mail
        self.config_path = config_path
        self.settings: Settings = load_settings(config_path)
        kwargs = {"tick_seconds": 3600, "use_idle": use_idle}
        if clock is not None:
            kwargs["clock"] = clock
        self.daemon = Daemon(self.settings, **kwargs)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._main, daemon=True, name="gateway-daemon")

    def _main(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._started.set()
            await self.daemon.run(self._stop)

        asyncio.run(main())

    def start(self) -> RunningGateway:
        self._thread.start()
        self._started.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(20)

    # -- talking to it ----------------------------------------------------------------

    def send(self, raw: bytes, sender: str, recipients: Sequence[str] = (GATEWAY,)) -> None:
        with smtplib.SMTP(self.mail.smtp_host, self.mail.smtp_port, timeout=10) as smtp:
            smtp.sendmail(sender, list(recipients), raw)

    def send_draft(self, subject: str, body: str, sender: str = AUTHOR) -> None:
        self.send(compose_draft(sender, subject, body), sender)

    def reply(self, request: bytes, raw_reply: bytes, sender: str) -> None:
        """Send a reply to where the client would: the request's Reply-To."""
        msg = message_from_bytes(request, policy=policy.default)
        target = (msg.get("Reply-To") or msg["From"]).addresses[0].addr_spec
        self.send(raw_reply, sender, [target])

    def wait(
        self,
        address: str,
        status: str,
        subject_part: str = "",
        timeout: float = 15.0,
        *,
        version: int | None = None,
    ) -> bytes:
        return self.mail.wait_for(address, has_status(status, subject_part, version), timeout)

    def statuses(self, address: str) -> list[str]:
        return [
            str(message_from_bytes(m, policy=policy.default).get("X-Gateway-Status", ""))
            for m in self.mail.messages(address)
        ]

    def draft(self, draft_id: str):
        return self.daemon.gateway.store.get_draft(draft_id)

    def events(self, action: str | None = None) -> list[dict]:
        events = self.daemon.gateway.store.all_events()
        return [e for e in events if action is None or e["action"] == action]

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise TimeoutError("condition not reached")

    def wait_handled(self, count: int, timeout: float = 15.0) -> None:
        """Until the gateway has handled `count` messages in all (its seen table)."""
        self.wait_until(lambda: len(self.daemon.gateway.store.seen.all()) >= count, timeout)


def has_status(
    status: str, subject_part: str = "", version: int | None = None
) -> Callable[[bytes], bool]:
    def match(raw: bytes) -> bool:
        msg = message_from_bytes(raw, policy=policy.default)
        if version is not None and msg.get("X-Gateway-Version") != str(version):
            return False
        return msg.get("X-Gateway-Status") == status and subject_part in str(msg.get("Subject", ""))

    return match


def header(raw: bytes, name: str) -> str:
    return str(message_from_bytes(raw, policy=policy.default).get(name, ""))


def body_text(raw: bytes) -> str:
    msg = message_from_bytes(raw, policy=policy.default)
    part = msg.get_body(("plain",))
    return part.get_content() if part is not None else ""


def write_init_answers(path: Path, mail, password_line: str) -> Path:
    """An answers file for `gateway init --from` that points at the test mail system
    (IMAP login as the gateway; SMTP without login, as aiosmtpd takes it)."""
    path.write_text(
        f"""office_name = "辰野町"
address = "{GATEWAY}"
admin = "somu@town.example.jp"

[imap]
host = "127.0.0.1"
port = {mail.imap_port}
security = "none"
username = "{GATEWAY}"
{password_line}

[smtp]
host = "127.0.0.1"
port = {mail.smtp_port}
security = "none"
login = false

[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}"]
""",
        encoding="utf-8",
    )
    return path
