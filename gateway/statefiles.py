"""The state's files on disk and their checks: the snapshot (`state.json`), the journal
(one CRC-checked line per transaction), the writer's lock, and the repairs `gateway restore`
makes (cutting a damaged journal).

Apart from the store so that the formats, and what counts as damage, are read in one place;
StateError is here because every reader of these files raises it.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any


class StateError(Exception):
    """The state file cannot be used; the daemon must not start or must stop taking mail."""

    def __init__(self, message: str, message_ja: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.message_ja = message_ja
        self.hint = hint

    def bilingual(self) -> str:
        """Japanese first (for the admin), then English (for logs and search), then the fix."""
        lines = [self.message_ja] if self.message_ja else []
        lines.append(str(self))
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


def compact_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))




def read_snapshot(path: Path) -> dict[str, dict[str, Any]] | None:
    """The snapshot's tables, None when there is none yet; StateError when it is damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise ValueError("not a TinyDB document (an object of tables)")
    except ValueError as exc:
        raise StateError(
            f"state file {path} is corrupt ({exc}); it was left untouched",
            f"状態ファイル {path} が壊れています（{exc}）。ファイルはそのまま残してあります。",
            restore_hint(path),
        ) from None
    return data


def restore_hint(path: Path) -> str:
    bak = path.with_name(path.name + ".bak")
    if bak.exists():
        return (
            f"直前の正常な写し {bak} から復元できます / restore the last good copy with:\n"
            f"    gateway restore -c <設定ファイル config file>\n"
            f"(or by hand: cp {path} {path}.corrupt && cp {bak} {path})"
        )
    return (
        f"正常な写し ({bak}) がありません。バックアップから戻してください。 / "
        f"No last good copy ({bak}) exists: restore {path} from your backups."
    )


def encode_record(record: dict[str, Any]) -> bytes:
    payload = compact_json(record)
    return f"{zlib.crc32(payload.encode('utf-8')):08x} {payload}\n".encode()


def decode_record(line: bytes) -> dict[str, Any] | None:
    """The record on one journal line, None when the line is damaged (CRC, JSON, shape)."""
    if not line.endswith(b"\n") or len(line) < 10 or line[8:9] != b" ":
        return None
    payload = line[9:-1]
    try:
        if int(line[:8], 16) != zlib.crc32(payload):
            return None
        record = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("seq"), int):
        return None
    return record


def read_journal(path: Path) -> tuple[list[dict[str, Any]], int, int | None]:
    """(records, length of the good part, line number of a damaged line before the end)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0, None
    records: list[dict[str, Any]] = []
    good = 0
    lines = data.splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        record = decode_record(line)
        if record is None:
            # The last line may be torn by a crash: that transaction never returned, so the
            # caller never acknowledged anything on the strength of it. Anything before is damage.
            return records, good, (None if number == len(lines) else number)
        records.append(record)
        good += len(line)
    return records, good, None


def cut_damaged_journal(path: str | os.PathLike[str], now: datetime) -> tuple[Path, int] | None:
    """Keep a copy of a damaged journal and cut it before its first damaged line.

    Returns (copy, number of lines dropped), or None when the journal is intact. The
    transactions on the dropped lines are lost: mail handled then is in the Processed folder.
    """
    path = Path(path)
    journal = path.with_name(path.name + ".journal")
    _, good, damaged = read_journal(journal)
    if damaged is None:
        return None
    lock = exclusive_lock(path)
    try:
        aside = journal.with_name(f"{journal.name}.damaged-{now.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(journal, aside)
        dropped = journal.read_bytes()[good:].count(b"\n")
        os.truncate(journal, good)
    finally:
        os.close(lock)
    return aside, dropped


def exclusive_lock(path: Path) -> int:
    """The writer's lock; StateError while a daemon holds it."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StateError(
            f"state {path} is in use by a running gateway: stop it first",
            f"状態ファイル {path} は稼働中のゲートウェイが使用中です。先に停止してください。",
        ) from None
    return fd
