"""A private Dovecot (IMAP + LMTP) plus aiosmtpd SMTP on 127.0.0.1, for integration tests.

`DovecotMailSystem` has the same interface as `gateway.localmail.PymapMailSystem`, so
tests and the demo drive the gateway the same way. It reuses the demo's SMTP server
class; only the delivery differs (Dovecot's LMTP, which also adds the Return-Path,
Delivered-To and Received headers a real delivery adds).

Starting Dovecot takes ~20 ms but stopping it ~1-2 s, so one `DovecotServer` serves a
whole test session and each `DovecotMailSystem` wipes users and mail on start.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from pathlib import Path

from gateway.localmail import (
    LOOPBACK,
    DeliveryHandler,
    LocalSmtpServer,
    MailSystemBase,
    base_address,
    free_port,
    to_crlf,
)

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"

_CONFIG = """\
# Private Dovecot instance for the gateway's integration tests (generated).
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
listen = {host}
protocols = imap lmtp
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 1
first_valid_gid = 1
default_login_user = dovenull
default_internal_user = dovecot
recipient_delimiter = +
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/users/%Lu
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={root}/mail/%Lu
}}
{ssl_settings}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {imaps_port}
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {host}
    port = {lmtp_port}
  }}
}}
"""


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


class DovecotServer:
    """One private Dovecot in a temp dir: start, stop, restart on the same ports, reset."""

    def __init__(self, host: str = LOOPBACK, *, tls: tuple[Path, Path] | None = None) -> None:
        """`tls` = (certificate, key) PEM files: then IMAP offers STARTTLS and imaps too."""
        self.host = host
        # Not under pytest's tmp_path: its parents are 0700 and Dovecot's unprivileged
        # processes (dovenull, dovecot, nobody) must traverse to their sockets and mail.
        self.root = Path(tempfile.mkdtemp(prefix="gateway-dovecot-"))
        self.root.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(mode=0o755)
        shutil.chown(self.root / "mail", "nobody", "nogroup")
        # One passwd-file per user: Dovecot re-stats a passwd-file at most once a second,
        # so users added to one shared file right after a login were not found.
        self.users = self.root / "users"
        self.users.mkdir(mode=0o755)
        self.imap_port = free_port(host)
        self.lmtp_port = free_port(host)
        self.imaps_port = free_port(host) if tls else 0
        ssl_settings = (
            f"ssl = yes\nssl_cert = <{tls[0]}\nssl_key = <{tls[1]}" if tls else "ssl = no"
        )
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            _CONFIG.format(
                root=self.root,
                host=host,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                lmtp_port=self.lmtp_port,
                ssl_settings=ssl_settings,
            )
        )
        self.running = False

    def log_tail(self, lines: int = 20) -> str:
        path = self.root / "dovecot.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def start(self, timeout: float = 10.0) -> None:
        """Start the master and wait until IMAP and LMTP accept connections."""
        # Not capture_output: the daemonised master inherits the pipes and keeps them
        # open, so communicate() would wait forever. Startup errors go to a file.
        errors = self.root / "start-errors.txt"
        with errors.open("wb") as err:
            result = subprocess.run(
                [DOVECOT, "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                check=False,
            )
        if result.returncode != 0:
            raise RuntimeError(
                f"dovecot failed to start: {errors.read_text(errors='replace').strip()}\n"
                f"{self.log_tail()}"
            )
        self.running = True
        deadline = time.monotonic() + timeout
        while not (_port_open(self.host, self.imap_port) and _port_open(self.host, self.lmtp_port)):
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not listen within {timeout} s\n{self.log_tail()}")
            time.sleep(0.02)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the master (drops every IMAP session) and wait until the ports are closed."""
        if not self.running:
            return
        # Dovecot's master exits without ending post-login imap processes: they would keep
        # serving their sessions (even IDLE) across a "restart". Kick them first, as a
        # real restart (systemd killing the whole cgroup) would.
        self.kick_all()
        subprocess.run(
            [DOVEADM, "-c", str(self.config), "stop"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        self.running = False
        deadline = time.monotonic() + timeout
        while (self.root / "run" / "master.pid").exists() or _port_open(self.host, self.imap_port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not stop within {timeout} s")
            time.sleep(0.02)

    def reset(self) -> None:
        """Forget every user and every mail: kick sessions, empty passwd, wipe mail dirs."""
        for entry in self.users.iterdir():
            entry.unlink()
        if self.running:
            self.kick_all()
            # A new auth process forgets the passwd-files it has read: a user re-created
            # with another password or capability is seen as new, not as a stale copy.
            self._doveadm("reload")
        for entry in (self.root / "mail").iterdir():
            shutil.rmtree(entry, ignore_errors=True)

    def kick_all(self) -> None:
        """Disconnect every IMAP session (they end with BYE and a closed socket)."""
        self._doveadm("kick", "*")

    def _doveadm(self, *args: str) -> None:
        subprocess.run(
            [DOVEADM, "-c", str(self.config), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )

    def add_user(self, address: str, password: str, capability: str | None = None) -> None:
        """Write the user's own passwd-file; Dovecot reads it on the first lookup.

        `capability` replaces the post-login CAPABILITY for this user (one word, e.g.
        "UIDPLUS" or "IMAP4rev1"), to exercise clients' fallbacks for servers without
        MOVE, UIDPLUS or IDLE. Dovecot still executes the commands it no longer announces.
        """
        if ":" in address or ":" in password or "\n" in address + password:
            raise ValueError("passwd-file fields cannot hold ':' or newlines")
        if "/" in address or address.startswith("."):
            raise ValueError(f"not usable as a file name: {address!r}")
        extra = ""
        if capability is not None:
            if not re.fullmatch(r"[A-Za-z0-9+=-]+", capability):
                raise ValueError("passwd-file extra fields are space-separated: one word only")
            extra = f"::::::userdb_imap_capability={capability}"
        path = self.users / address
        if path.exists():
            raise ValueError(f"user {address} exists already")
        path.write_text(f"{address}:{{PLAIN}}{password}{extra}\n", encoding="utf-8")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class DovecotMailSystem(MailSystemBase):
    """Dovecot IMAP/LMTP plus aiosmtpd SMTP delivering through LMTP.

    Given a shared `server`, start() wipes its users and mail (fast, per test); without
    one it starts and stops a Dovecot of its own.
    """

    def __init__(self, server: DovecotServer | None = None) -> None:
        self._own_server = server is None
        self.server = server or DovecotServer()
        self.imap_host = self.smtp_host = self.server.host
        self.imap_port = self.server.imap_port
        self.smtp_port = 0
        self._passwords: dict[str, str] = {}
        self._smtp: LocalSmtpServer | None = None

    def start(self) -> None:
        if self._own_server:
            self.server.start()
        else:
            self.server.reset()
            if not self.server.running:
                self.server.start()
        self._smtp = LocalSmtpServer(
            DeliveryHandler(self.deliver, lambda a: a in self._passwords), self.smtp_host
        )
        self._smtp.start()
        self.smtp_port = self._smtp.port

    def stop(self) -> None:
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None
        if self._own_server:
            self.server.remove()

    def add_user(self, address: str, password: str, capability: str | None = None) -> None:
        """Create a user; `capability` as in `DovecotServer.add_user` (tests of fallbacks)."""
        name = base_address(address)
        self.server.add_user(name, password, capability)
        self._passwords[name] = password

    def deliver(self, raw: bytes, recipients: Sequence[str]) -> None:
        """Deliver through Dovecot's LMTP (bare LF made CRLF; plus-addresses kept)."""
        # One recipient per transaction: LMTP answers DATA once per recipient, and
        # smtplib.LMTP reads only the first answer.
        for recipient in recipients:
            self._deliver_one(raw, recipient)

    def _deliver_one(self, raw: bytes, recipient: str, attempts: int = 40) -> None:
        """LMTP with retries, as a real MTA would: right after `doveadm reload` (every
        reset) Dovecot's auth restarts and answers 451, and an LMTP process being replaced
        may reset a new connection before its greeting, for a moment. A connection lost
        after the transaction started is not retried (the mail may have been delivered)."""
        for attempt in range(attempts):
            last = attempt == attempts - 1
            lmtp = smtplib.LMTP(timeout=10)
            try:
                lmtp.connect(self.server.host, self.server.lmtp_port)
                lmtp.ehlo_or_helo_if_needed()
            except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                lmtp.close()
                if last:
                    raise RuntimeError(f"LMTP connection failed: {exc}") from exc
                time.sleep(0.05)
                continue
            try:
                lmtp.sendmail(envelope_sender(raw), [recipient], to_crlf(raw))
            except smtplib.SMTPRecipientsRefused as exc:
                code = next(iter(exc.recipients.values()))[0]
                if code >= 500 or last:
                    raise RuntimeError(f"LMTP refused: {exc.recipients}") from exc
            except smtplib.SMTPSenderRefused as exc:  # before the transaction: not delivered
                if exc.smtp_code >= 500 or last:
                    raise RuntimeError(f"LMTP refused the sender: {exc}") from exc
            else:
                return
            finally:
                _quit(lmtp)
            time.sleep(0.05)

    def messages(self, address: str, folder: str = "INBOX") -> list[bytes]:
        """Messages now in `folder` (not \\Deleted), in UID order, read over IMAP (EXAMINE)."""
        name = base_address(address)
        imap = imaplib.IMAP4(self.server.host, self.server.imap_port, timeout=10)
        try:
            # AUTHENTICATE PLAIN, not LOGIN: imaplib's LOGIN cannot send non-ASCII passwords.
            secret = f"\0{name}\0{self._passwords[name]}"
            imap.authenticate("PLAIN", lambda _challenge: secret)
            typ, _ = imap.select(_quote(folder), readonly=True)
            if typ != "OK":
                return []  # no such folder yet
            _, data = imap.uid("SEARCH", "NOT", "DELETED")
            uids = sorted(int(u) for u in data[0].split())
            found: list[bytes] = []
            for uid in uids:
                _, parts = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
                for part in parts:
                    if isinstance(part, tuple) and re.search(rb"BODY\[\]", part[0]):
                        found.append(part[1])
            return found
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                imap.logout()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quit(lmtp: smtplib.LMTP) -> None:
    """End an LMTP session. An LMTP process that Dovecot is replacing (after `doveadm
    reload`) answers QUIT with 421 "Shutting down" after it has taken the mail: that
    ends the session too, and is no failure of the delivery."""
    try:
        lmtp.quit()
    except (smtplib.SMTPException, OSError):
        lmtp.close()


def envelope_sender(raw: bytes) -> str:
    """The MAIL FROM a real MTA would have delivered with, so Dovecot writes the Return-Path a
    real delivery has: the message's own Return-Path when the test wrote one (a bounce's
    `<>`), else its From address (a person's mail never arrives with the null sender)."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
    if headers.get("Return-Path") is not None:
        return parseaddr(str(headers["Return-Path"]))[1]
    return parseaddr(str(headers.get("From", "")))[1]


def dovecot_available() -> bool:
    return os.access(DOVECOT, os.X_OK) and os.access(DOVEADM, os.X_OK)
