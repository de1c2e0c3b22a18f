"""The real `gateway run` as a separate process (for SIGKILL, rlimits and peak RSS)."""

from __future__ import annotations

import contextlib
import imaplib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class GatewayProcess:
    """`python -m gateway.cli run -c CONFIG`; stderr is read through a pipe (a file would
    count against an RLIMIT_FSIZE put on the process) and kept, in order, in `lines`."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None
        self.lines: list[str] = []
        self.lives = 0
        self._changed = threading.Condition()

    def start(self) -> GatewayProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "run", "-c", str(self.config)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.lives += 1
        threading.Thread(target=self._read, args=(self.proc,), daemon=True).start()
        return self

    def _read(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            with self._changed:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._changed.notify_all()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as in a power cut of the process."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait: the clean stop; returns the exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def wait_for_line(self, pattern: str, timeout: float = 20, start: int = 0) -> str:
        """The first log line from index `start` on that matches `pattern` (a regex)."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        with self._changed:
            while True:
                for line in self.lines[start:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(self.lines[-15:])
                    raise TimeoutError(f"no log line like {pattern!r}; last lines:\n{tail}")
                self._changed.wait(min(left, 0.2))

    def peak_rss_kb(self) -> int:
        """VmHWM of the running process (its peak resident set), in kB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


class NewMail:
    """Reads one user's INBOX incrementally (only UIDs not read before) over one IMAP session."""

    def __init__(self, mail, address: str, password: str) -> None:
        self.imap = imaplib.IMAP4(mail.imap_host, mail.imap_port, timeout=10)
        self.imap.authenticate("PLAIN", lambda _: f"\0{address}\0{password}")
        self.imap.select("INBOX", readonly=True)
        self.last_uid = 0
        self.all: list[bytes] = []

    def fetch(self) -> list[bytes]:
        self.imap.noop()
        _, data = self.imap.uid("SEARCH", f"UID {self.last_uid + 1}:*")
        uids = sorted(int(u) for u in data[0].split() if int(u) > self.last_uid)
        new: list[bytes] = []
        for uid in uids:
            _, parts = self.imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
            new.extend(p[1] for p in parts if isinstance(p, tuple))
            self.last_uid = uid
        self.all.extend(new)
        return new

    def close(self) -> None:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            self.imap.logout()


def headers(raw: bytes, *names: str) -> tuple[str, ...]:
    msg = message_from_bytes(raw, policy=policy.default)
    return tuple(str(msg.get(n, "")) for n in names)


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)
