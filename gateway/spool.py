"""Files beside the state file: rendered outgoing mail, draft attachments, held mail.

Named by content or Message-ID, written durably before the transaction that refers to them
commits; `sweep` deletes what nothing refers to any more.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from gateway.durable import TEMP_PREFIX, fsync_dir, write_atomically, write_atomically_with
from gateway.model import Attachment, StoredFile
from gateway.rawruns import encode_base64_lines

if TYPE_CHECKING:
    from gateway.settings import Settings

__all__ = ["Spool", "spool_for"]

log = logging.getLogger(__name__)
#: Temporary files of ours, renamed into place when whole; one left behind is a crash's.
#: (".spool-" is the name earlier versions gave them.)
_PART_PREFIX = ".part-"
_TEMP_PREFIXES = (".spool-", _PART_PREFIX, TEMP_PREFIX)


@dataclass
class Spool:
    """Files beside the state file: rendered outgoing mail, draft attachments, held mail
    and large mail being fetched (`incoming`, deleted once handled)."""

    root: Path

    def __post_init__(self) -> None:
        for sub in ("outbox", "attachments", "encoded", "held", "incoming"):
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

    def attachment_path(self, digest: str) -> Path:
        return self.root / "attachments" / digest

    def encoded_attachment(self, path: Path) -> Path | None:
        """The base64 lines of a spooled attachment (`path`, from `attachment_path`),
        encoded once and kept beside it: every reviewer's copy and the confirmation copy
        the same encoding. None for a file that is not a spooled attachment."""
        if path.parent != self.root / "attachments":
            return None
        encoded = self.root / "encoded" / (path.name + ".b64")
        size = path.stat().st_size
        want = 4 * -(-size // 3) + 2 * -(-size // 57)  # 76-character lines and CRLFs
        if encoded.exists() and encoded.stat().st_size == want:
            return encoded
        with path.open("rb") as source:  # a cache: rebuilt from the attachment if lost
            write_atomically_with(
                encoded, lambda out: encode_base64_lines(source, out), sync_dir=False
            )
        return encoded

    def attachment_writer(self) -> AttachmentWriter:
        """A file an attachment is decoded into while the mail is read (`mime`): named by
        its SHA-256 when closed, durable before the transaction that refers to it."""
        return AttachmentWriter(self.root / "attachments")

    def adopt_attachment(self, attachment: Attachment) -> str:
        """The SHA-256 name of an attachment's file in the spool (written now if it was
        read into memory)."""
        if attachment.stored is not None:
            return attachment.stored.sha256
        return self.put_attachment(attachment.data)

    def put_mail(self, message_id: str, data: bytes) -> str:
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"
        self._write(self.root / "outbox" / name, data)
        return name

    def put_message(
        self, message_id: str, msg: Message, files: dict[bytes, Path] | None = None
    ) -> str:
        """Like put_mail, but the message is written straight to the file: a review request
        carrying 22 MB of photos is never held as bytes as well as a message. `files`
        ({stand-in line: file}, `render.file_parts`): each stand-in line is replaced by
        that file's base64, encoded in pieces as it is written."""
        name = hashlib.sha256(message_id.encode()).hexdigest()[:32] + ".eml"
        path = self.root / "outbox" / name
        if path.exists():
            return name

        def write(f: BinaryIO) -> None:
            if files:
                _write_with_files(f, msg, files, self.encoded_attachment)
            else:
                BytesGenerator(f, mangle_from_=False, policy=policy.SMTP).flatten(msg)

        write_atomically_with(path, write)
        return name

    def get_mail(self, name: str) -> bytes:
        return self.mail_path(name).read_bytes()

    def mail_path(self, name: str) -> Path:
        return self.root / "outbox" / name

    def put_held(self, data: bytes | Path) -> str:
        """A message deferred by the per-sender limit, kept until it is handled (a fetched
        file is copied in pieces, never read whole)."""
        if isinstance(data, bytes):
            name = hashlib.sha256(data).hexdigest() + ".eml"
            self._write(self.root / "held" / name, data)
            return name
        with data.open("rb") as f:
            name = hashlib.file_digest(f, "sha256").hexdigest() + ".eml"
        path = self.root / "held" / name
        if not path.exists():
            with data.open("rb") as f:
                write_atomically_with(path, lambda out: shutil.copyfileobj(f, out, 1024 * 1024))
        return name

    def get_held(self, name: str) -> bytes:
        return self.held_path(name).read_bytes()

    def held_path(self, name: str) -> Path:
        return self.root / "held" / name

    def sweep(self, keep: dict[str, set[str]], cutoff: float) -> int:
        """Delete files that nothing refers to any more (`keep`: the names still referred
        to, per folder) and that are older than `cutoff` (a time.time() value), so a file
        written for a transaction still in progress is never taken. A temporary file of
        ours (`.spool-…`, `.part-…`) that old is what a crash left mid-write: a write in
        progress touches its file with every piece. Returns how many."""
        removed = 0
        for sub, names in keep.items():
            folder = self.root / sub
            for path in folder.iterdir() if folder.is_dir() else ():
                if path.name in names or (
                    path.name.startswith(".") and not path.name.startswith(_TEMP_PREFIXES)
                ):
                    continue
                try:
                    if path.stat().st_mtime >= cutoff:
                        continue
                    path.unlink()
                    removed += 1
                except OSError as exc:
                    log.warning("event=spool_sweep_error path=%s error=%r", path, exc)
        return removed


def _write_with_files(
    out: BinaryIO,
    msg: Message,
    files: dict[bytes, Path],
    encoded: Callable[[Path], Path | None] = lambda _path: None,
) -> None:
    """Flatten `msg` (small: its photos are stand-ins) and write it with each stand-in
    line replaced by its file's base64 lines (copied from `encoded(file)` when there is
    one, else encoded now), in pieces."""
    buf = io.BytesIO()
    BytesGenerator(buf, mangle_from_=False, policy=policy.SMTP).flatten(msg)
    flat = buf.getvalue()
    del buf
    pattern = re.compile(b"(" + b"|".join(re.escape(k) for k in files) + rb")\r\n")
    pos = 0
    for m in pattern.finditer(flat):
        out.write(flat[pos : m.start()])
        ready = encoded(files[m.group(1)])
        if ready is not None:
            with ready.open("rb") as lines:
                shutil.copyfileobj(lines, out, 1024 * 1024)
        else:
            with files[m.group(1)].open("rb") as source:
                encode_base64_lines(source, out)
        pos = m.end()
    out.write(flat[pos:])


def spool_for(settings: Settings) -> Spool:
    state = Path(settings.state_path)
    return Spool(state.with_name(state.name + ".spool"))


class AttachmentWriter:
    """A temporary file in the attachment folder, hashed as it is written; `close` fsyncs
    it and renames it to its SHA-256 (an existing file of that name is the same bytes)."""

    def __init__(self, folder: Path) -> None:
        fd, tmp = tempfile.mkstemp(prefix=_PART_PREFIX, dir=folder)
        os.fchmod(fd, 0o600)
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(tmp)
        self._folder = folder
        self._hash = hashlib.sha256()
        self._size = 0

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        self._size += len(data)
        return self._file.write(data)

    def close(self) -> StoredFile:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        digest = self._hash.hexdigest()
        path = self._folder / digest
        if path.exists():
            self._tmp.unlink(missing_ok=True)
        else:
            os.replace(self._tmp, path)
            fsync_dir(self._folder)
        return StoredFile(str(path), digest, self._size)

    def discard(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)
