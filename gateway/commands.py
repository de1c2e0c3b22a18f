"""Staff's mail commands: 状況, 取り下げ, 再送, an absence (不在 … 代理 …) and its confirmation.

A separate, strict recogniser, never a loosening of the decision grammar (gateway.replies):
a message is a command only when the sender's own words (quotes and signature removed)
are just the command, perhaps with polite words around it (お疲れ様です、よろしくお願い
します). Anything more is not a command and goes on to be read as it was before. Linear:
fixed regexes with no nested repetition, on a bounded text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class Command(StrEnum):
    STATUS = "status"  # 状況: who approved, who is still asked, since when
    WITHDRAW = "withdraw"  # 取り下げ: the author takes the draft back
    RESEND = "resend"  # 再送: a reviewer gets the request again
    CONFIRM = "confirm"  # はい: the reviewer confirms an absence they set by mail


_MAX_CHARS = 400  # a command is short; longer own words are never one

_OPENING_RE = re.compile(
    r"^(?:(?:お疲れ様です|お疲れさまです|おつかれさまです|お世話になっております|お世話になります|"
    r"いつもお世話になっております)[。、,.!]*)+"
)
_CLOSING_RE = re.compile(
    r"(?:(?:よろしく|宜しく)?(?:お願い(?:します|いたします|致します|申し上げます)|お願いできますか)"
    r"[。、,.!]*)+$"
)
_NOISE_RE = re.compile(r"[\s。、,.!?・]+")

_WORDS: dict[str, Command] = {}
for _cmd, _forms in {
    Command.STATUS: (
        "状況",
        "状況確認",
        "状況は",
        "状況を教えてください",
        "状況を確認したいです",
        "進捗",
        "進捗状況",
        "進捗は",
        "進捗を教えてください",
    ),
    Command.WITHDRAW: (
        "取り下げ",
        "取下げ",
        "取下",
        "取り下げます",
        "取下げます",
        "取り下げを",
        "取り下げてください",
        "取り下げます。",
        "取り下げたいです",
        "取り下げをお願いします",
    ),
    Command.RESEND: (
        "再送",
        "再送を",
        "再送してください",
        "再送願います",
        "再送信",
        "再送信してください",
        "もう一度送ってください",
    ),
    Command.CONFIRM: (
        "はい",
        "確認",
        "確認しました",
        "設定",
        "設定してください",
        "承認",
        "承認します",
    ),
}.items():
    for _form in _forms:
        _WORDS[_NOISE_RE.sub("", _form)] = _cmd


def _core(own_words: str) -> str | None:
    text = unicodedata.normalize("NFKC", own_words or "").strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    text = _NOISE_RE.sub("", text)
    text = _OPENING_RE.sub("", text)
    text = _CLOSING_RE.sub("", text)
    return text


def read_command(own_words: str) -> Command | None:
    """The command these own words are, and nothing else; None otherwise."""
    core = _core(own_words)
    if not core:
        return None
    return _WORDS.get(core)


# --------------------------------------------------------------------------- 不在


@dataclass(frozen=True)
class AbsenceRequest:
    start: date
    end: date
    deputy: str


_DATE = r"(?:(\d{4})\s*[/年.-]\s*)?(\d{1,2})\s*[/月.-]\s*(\d{1,2})\s*日?\s*(?:\([^()\n]{0,4}\))?"
_ABSENCE_RE = re.compile(
    r"^不在(?:届|連絡|設定|予定)?\s*[:：]?\s*"
    + _DATE
    + r"(?:\s*(?:-|~|〜|から)\s*"
    + _DATE
    + r"\s*(?:まで)?)?"
    r"\s*[、,]?\s*代理(?:者)?\s*[:：は]?\s*"
    r"([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190})$"
)
_MAILTO_RE = re.compile(r"<mailto:[^<>\s]{1,260}>|\(mailto:[^()\s]{1,260}\)")


def _when(year: str | None, month: str, day: str, today: date, floor: date | None) -> date:
    m, d = int(month), int(day)
    if year:
        return date(int(year), m, d)
    if floor is not None:  # an end date: the first such day on or after the start
        found = date(floor.year, m, d)
        return found if found >= floor else date(floor.year + 1, m, d)
    found = date(today.year, m, d)
    return found if found >= today - timedelta(days=31) else date(today.year + 1, m, d)


def read_absence(own_words: str, today: date) -> AbsenceRequest | None:
    """「不在 12/24-12/27 代理 dairi@town.example.jp」 (one day, ranges with 〜 or から,
    12月24日, an optional year) -> the request; None when the words are anything else or
    the dates are impossible, in the past or longer than a year."""
    text = unicodedata.normalize("NFKC", own_words or "").strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    text = _MAILTO_RE.sub("", text)
    text = " ".join(text.split())
    text = _OPENING_RE.sub("", text).strip(" 。、,.")
    text = _CLOSING_RE.sub("", text).strip(" 。、,.")
    m = _ABSENCE_RE.match(text)
    if not m:
        return None
    try:
        start = _when(m.group(1), m.group(2), m.group(3), today, None)
        end = start
        if m.group(5):
            end = _when(m.group(4), m.group(5), m.group(6), today, start)
    except ValueError:
        return None
    if end < start or end < today or (end - start).days > 366:
        return None
    return AbsenceRequest(start, end, m.group(7).lower())
