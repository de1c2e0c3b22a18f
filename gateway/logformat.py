"""Log lines journald files under the right priority.

Under systemd, stderr is a stream into the journal, which reads an sd-daemon(3) `<N>`
prefix at the start of each line as that line's syslog priority (SyslogLevelPrefix=, on by
default). Without it every line is `info` and `journalctl -p err` shows no error.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping


#: Python levels -> syslog priorities (sd-daemon.h: SD_CRIT 2, SD_ERR 3, SD_WARNING 4,
#: SD_NOTICE 5, SD_INFO 6, SD_DEBUG 7).
def priority(levelno: int) -> int:
    if levelno >= logging.CRITICAL:
        return 2
    if levelno >= logging.ERROR:
        return 3
    if levelno >= logging.WARNING:
        return 4
    if levelno >= logging.INFO:
        return 6
    return 7


class JournalFormatter(logging.Formatter):
    """Every line of a record (a traceback's too) starts with the record's `<N>`, since the
    journal reads each line as an entry of its own."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{priority(record.levelno)}>"
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def stderr_is_journal(env: Mapping[str, str] = os.environ, fd: int = 2) -> bool:
    """True when stderr is the journal stream systemd set up: JOURNAL_STREAM names its
    device and inode (systemd.exec(5)); a redirected stderr (a pipe, a file) does not match."""
    value = env.get("JOURNAL_STREAM", "")
    dev, _, ino = value.partition(":")
    if not (dev.isdigit() and ino.isdigit()):
        return False
    try:
        st = os.fstat(fd)
    except OSError:
        return False
    return st.st_dev == int(dev) and st.st_ino == int(ino)
