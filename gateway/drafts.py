"""A draft's body -> the exact post text plus its control lines and signature.

Staff type the account and schedule lines by hand, in whatever width and date style
their IME gives them, so those lines are read leniently; the post text itself is kept
exactly as written (only the signature and trailing whitespace go).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime

from gateway.model import DraftParts

_ACCOUNT_KEYS = ("アカウント", "account")
_SCHEDULE_KEYS = ("投稿予定", "投稿予定日時", "投稿日時", "schedule")
_EMERGENCY_KEYS = ("緊急", "urgent", "emergency")
_YES = ("はい", "yes", "有", "あり", "緊急")
# possessive spaces and a greedy value (stripped after): linear on any line
_CONTROL_RE = re.compile(r"^\s*+([^\s:：]+)\s*+[:：]\s*+(.*)$")
_DATE_RE = re.compile(
    r"^(\d{4})\s*+[-/年.]\s*+(\d{1,2})\s*+[-/月.]\s*+(\d{1,2})\s*+日?"
    r"(?:\s*+[(（][^)）]*[)）])?"  # an optional weekday: (水)
    r"(?:\s*+(?:T\s*+)?(\d{1,2})\s*+[:時]\s*+(\d{1,2})?\s*+分?)?\s*+$"
)


def _control(line: str) -> tuple[str, str] | None:
    """('account'|'schedule', value) when `line` is a control line."""
    m = _CONTROL_RE.match(line)
    if not m:
        return None
    key = unicodedata.normalize("NFKC", m.group(1)).strip().lower()
    value = m.group(2).rstrip()
    if key in _ACCOUNT_KEYS:
        return "account", value
    if key in _SCHEDULE_KEYS:
        return "schedule", value
    if key in _EMERGENCY_KEYS:
        return "emergency", value
    return None


def parse_schedule(value: str) -> datetime | None:
    """`2026-11-25 10:00`, `2026/11/25 10:00`, `２０２６年１１月２５日 １０時００分` -> datetime."""
    m = _DATE_RE.match(unicodedata.normalize("NFKC", value).strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour = int(m.group(4)) if m.group(4) else 0
    minute = int(m.group(5)) if m.group(5) else 0
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None


def _is_sig_delimiter(line: str) -> bool:
    return line in ("-- ", "--") or line.rstrip("\r") in ("-- ", "--")


def split_draft(text: str) -> DraftParts:
    """Split a draft body into post text, account, schedule and signature."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    account: str | None = None
    schedule: datetime | None = None
    schedule_raw: str | None = None
    emergency = False
    i = 0
    # leading blank lines before the control lines do not belong to the post either
    while i < len(lines) and not lines[i].strip():
        i += 1
    start = i
    saw_control = False
    while i < len(lines):
        ctl = _control(lines[i])
        if ctl is None:
            break
        key, value = ctl
        if key == "account" and account is None:
            account = value or None
        elif key == "schedule" and schedule_raw is None:
            schedule = parse_schedule(value)
            schedule_raw = None if schedule else lines[i].strip()
        elif key == "emergency":
            emergency = emergency or unicodedata.normalize("NFKC", value).strip().lower() in _YES
        else:
            break
        saw_control = True
        i += 1
    if not saw_control:
        i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    body = lines[i:]
    signature = ""
    for idx, line in enumerate(body):
        if _is_sig_delimiter(line):
            signature = "\n".join(body[idx + 1 :]).strip("\n").rstrip()
            body = body[:idx]
            break
    post = "\n".join(line.rstrip() for line in body).rstrip()
    return DraftParts(
        post_text=post,
        account=account.strip() if account else None,
        schedule=schedule,
        schedule_raw=schedule_raw,
        signature=signature,
        emergency=emergency,
    )
