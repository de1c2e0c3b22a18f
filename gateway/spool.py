"""Files beside the state file: rendered outgoing mail, draft attachments, held mail.

Named by content or Message-ID, written durably before the transaction that refers to them
commits; `sweep` deletes what nothing refers to any more.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING

from gateway.durable import fsync_dir, write_atomically

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["Spool", "spool_for"]

log = logging.getLogger(__name__)


@dataclass
class Spool:
    """Files beside the state file: rendered outgoing mail and draft attachments."""

    root: Path

    def __post_init__(self) -> None:
        for sub in ("outbox", "attachments", "held"):
            (self.root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Named by content (attachments) or by Message-ID (mails), so an existing file is
        already this data. Durable before the transaction that refers to it commits."""
        if not path.exists():
            write_atomically(path, data)

    def put_attachment(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        self._write(self.root / "attachments" / digest, data)
        return digest

    def get_attachment(self, digest: str) -> bytes:
        return (self.root / "attachments" / digest).read_bytes()

    def put_mail(self, message_id: str, data: bytes) -> str:
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"
        self._write(self.root / "outbox" / name, data)
        return name

    def put_message(self, message_id: str, msg: Message) -> str:
        """Like put_mail, but the message is written straight to the file: a review request
        carrying 22 MB of photos is never held as bytes as well as a message."""
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"
        path = self.root / "outbox" / name
        if path.exists():
            return name
        fd, tmp = tempfile.mkstemp(prefix=".spool-", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as f:
                BytesGenerator(f, mangle_from_=False, policy=policy.SMTP).flatten(msg)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)
        return name

    def get_mail(self, name: str) -> bytes:
        return (self.root / "outbox" / name).read_bytes()

    def put_held(self, data: bytes) -> str:
        """A message deferred by the per-sender limit, kept until it is handled."""
        name = hashlib.sha256(data).hexdigest() + ".eml"
        self._write(self.root / "held" / name, data)
        return name

    def get_held(self, name: str) -> bytes:
        return (self.root / "held" / name).read_bytes()

    def sweep(self, keep: dict[str, set[str]], cutoff: float) -> int:
        """Delete files that nothing refers to any more (`keep`: the names still referred
        to, per folder) and that are older than `cutoff` (a time.time() value), so a file
        written for a transaction still in progress is never taken. Returns how many."""
        removed = 0
        for sub, names in keep.items():
            folder = self.root / sub
            for path in folder.iterdir() if folder.is_dir() else ():
                if path.name in names or path.name.startswith("."):
                    continue
                try:
                    if path.stat().st_mtime >= cutoff:
                        continue
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    log.warning("event=spool_sweep_error path=%s error=%r", path, exc)
        return removed


def spool_for(settings: Settings) -> Spool:
    state = Path(settings.state_path)
    return Spool(state.with_name(state.name + ".spool"))
