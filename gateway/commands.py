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
    r"いつもお世話になっております|すみません|すいません|申し訳ありません|申し訳ございません|"
    r"申し訳ありませんが|申し訳ございませんが|恐れ入りますが|恐縮ですが|失礼します|失礼いたします)"
    r"[。、,.!]*)+"
)
_CLOSING_RE = re.compile(
    r"(?:(?:よろしく|宜しく)?(?:お願い(?:します|いたします|致します|申し上げます)|"
    r"お願いできますか|お願いできますでしょうか|いただけますか|いただけますでしょうか|"
    r"いただけませんか)"
    r"[。、,.!]*)+$"
)
# Kanji and kana spellings of the same polite words (下さい / ください, 頂く / いただく).
_SPELLINGS = (("下さい", "ください"), ("頂け", "いただけ"), ("頂き", "いただき"), ("致し", "いたし"))
_NOISE_RE = re.compile(r"[\s。、,.!?・]+")

_WORDS: dict[str, Command] = {}
for _cmd, _forms in {
    Command.STATUS: (
        "状況",
        "状況確認",
        "状況は",
        "状況を教えてください",
        "状況を確認したいです",
        "状況を教えて",
        "今の状況を教えてください",
        "今の状況を教えて",
        "状況を教えていただけますか",
        "状況を知りたいです",
        "確認状況",
        "確認状況を教えてください",
        "承認状況",
        "承認状況を教えてください",
        "進捗状況を教えてください",
        "状況はどうなっていますか",
        "確認状況はどうなっていますか",
        "承認状況はどうなっていますか",
        "今どうなっていますか",
        "どうなっていますか",
        "状況はいかがでしょうか",
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
        "取り下げさせてください",
        "取り下げさせていただきます",
        "取り下げさせていただきたいです",
        "取り下げたいと思います",
        "取り下げいたします",
        "取り下げします",
        "投稿を取り下げます",
        "取り消し",
        "取消し",
        "取消",
        "取り消します",
        "取り消してください",
        "取り消しを",
        "取消しを",
        "キャンセル",
        "キャンセルします",
        "キャンセルしてください",
        "キャンセルを",
        "取りやめます",
        "投稿を取りやめます",
    ),
    Command.RESEND: (
        "再送",
        "再送を",
        "再送してください",
        "再送願います",
        "再送信",
        "再送信してください",
        "もう一度送ってください",
        "再送ください",
        "再送お願い",
        "再度送ってください",
        "もう一度送って",
        "もう一度お送りください",
        "再度お送りください",
        "再送付",
        "再送付を",
        "再送付してください",
        "依頼のメールが届いていません",
        "依頼メールが届いていません",
        "メールが届いていません",
        "届いていません",
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


_NAME_SUFFIX_RE = re.compile(r"(?:です|より|拝)$")


def _without_own_name(text: str, sender_name: str) -> str:
    """The words without a last line that is just the sender's own name (「佐藤」 under
    「取り下げます」, as people sign short mails). Only the From's display name (or one
    of its parts) counts: any other last line stays, so the words are no command."""
    name = re.sub(r"\s+", "", unicodedata.normalize("NFKC", sender_name or ""))
    lines = text.rstrip().split("\n")
    if not name or len(lines) < 2:
        return text
    last = _NAME_SUFFIX_RE.sub("", re.sub(r"\s+", "", lines[-1]))
    parts = unicodedata.normalize("NFKC", sender_name).split()
    if last and (last == name or last in parts or (len(last) >= 2 and name.startswith(last))):
        return "\n".join(lines[:-1])
    return text


def _without_introduction(text: str, sender_name: str) -> str:
    """`text` (no spaces or punctuation left) without an opening 「総務課の佐藤です」 that
    names the sender (a part of the From's display name of two or more characters)."""
    parts = [p for p in unicodedata.normalize("NFKC", sender_name or "").split() if len(p) >= 2]
    whole = "".join(parts)
    for name in {*parts, whole} - {""}:
        m = re.match(r"(?:[^の]{1,12}の)?" + re.escape(name) + r"(?:です|と申します)", text)
        if m:
            return text[m.end() :]
    return text


def _core(own_words: str, sender_name: str = "") -> str | None:
    text = unicodedata.normalize("NFKC", own_words or "").strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    text = _without_own_name(text, sender_name)
    for kanji, kana in _SPELLINGS:
        text = text.replace(kanji, kana)
    text = _NOISE_RE.sub("", text)
    text = _OPENING_RE.sub("", text)
    text = _without_introduction(text, sender_name)
    text = _OPENING_RE.sub("", text)
    text = _CLOSING_RE.sub("", text)
    return text


def read_command(own_words: str, sender_name: str = "") -> Command | None:
    """The command these own words are, and nothing else; None otherwise. A last line
    with just the sender's own name (the From's display name) is a signature."""
    core = _core(own_words, sender_name)
    if not core:
        return None
    return _WORDS.get(core)


# --------------------------------------------------------------------------- 不在


@dataclass(frozen=True)
class AbsenceRequest:
    start: date
    end: date
    deputy: str


# A date: an optional year (2026年, 2026/, 令和8年), a month, a day, an optional (木).
_YEAR = r"(?:(\d{4}|令和\s*(?:\d{1,2}|元))\s*[/年.-]?\s*)?"
_DAY_OF_WEEK = r"\s*(?:\([^()\n]{0,4}\))?"
_DATE = _YEAR + r"(\d{1,2})\s*[/月.-]\s*(\d{1,2})\s*日?" + _DAY_OF_WEEK
# The end: a whole date, or a day only (「12月24日から27日まで」, 「12/24-27」).
_END = r"(?:" + _DATE + r"|(\d{1,2})\s*日?" + _DAY_OF_WEEK + r")"
# Range marks as keyboards and IMEs give them (after NFKC): - ~ 〜 and the dashes, the
# minus sign, the long-vowel mark typed for a dash, から.
_RANGE = r"(?:[-~〜‐‒–—―−ー]|から)"
_ADDR = r"([A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190})"
# A name written with the deputy's address: 大理 太郎 <addr>, 大理さん（addr）, addr（大理）.
_NAME = r"[^\s<>()@,、:]{1,20}(?:\s[^\s<>()@,、:]{1,20})?"
_DEPUTY = (
    r"(?:" + _NAME + r"(?:\s*(?=[<(])|\s+))?[<(]?\s*" + _ADDR + r"\s*[>)]?"
    r"(?:\s*\(" + _NAME + r"\))?\s*(?:さん)?\s*(?:です|でお願いします)?"
)
_ABSENCE_RE = re.compile(
    r"^不在(?:届|連絡|設定|予定)?\s*[:：]?\s*"
    + _DATE
    + r"(?:\s*"
    + _RANGE
    + r"\s*"
    + _END
    + r"\s*(?:まで)?)?"
    r"\s*[、,]?\s*代理(?:者)?\s*[:：は]?\s*" + _DEPUTY + r"$"
)
_MAILTO_RE = re.compile(r"<mailto:[^<>\s]{1,260}>|\(mailto:[^()\s]{1,260}\)")
_REIWA_START = 2018  # 令和1年 = 2019


def _year(written: str | None) -> int | None:
    """2026, 令和8 or 令和元 -> 2026 / 2019; None when none was written."""
    if not written:
        return None
    if written.startswith("令和"):
        number = written[2:].strip()
        return _REIWA_START + (1 if number == "元" else int(number))
    return int(written)


def _when(year: int | None, month: int, day: int, today: date, floor: date | None) -> date:
    if year:
        return date(year, month, day)
    if floor is not None:  # an end date: the first such day on or after the start
        found = date(floor.year, month, day)
        return found if found >= floor else date(floor.year + 1, month, day)
    found = date(today.year, month, day)
    return found if found >= today - timedelta(days=31) else date(today.year + 1, month, day)


_LOOKS_LIKE_ABSENCE_RE = re.compile(r"^不在(?:届|連絡|設定|予定)?\s*[:：]?\s*(?:\d|令和)")


_ANY_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,190}")
_ANY_DATE_RE = re.compile(r"\d{1,2}\s*[/月]\s*\d{1,2}")


def looks_like_absence(own_words: str) -> bool:
    """Short own words meant as an absence command even when they cannot be read as one:
    they open with 「不在」 and a date, or they name 不在, 代理, a date and an address
    (「12/24〜12/27は不在です。代理は dairi@… です」). 「不在者投票は…」 is neither."""
    text = unicodedata.normalize("NFKC", own_words or "").strip()
    if len(text) > _MAX_CHARS:
        return False
    if _LOOKS_LIKE_ABSENCE_RE.match(_OPENING_RE.sub("", _NOISE_RE.sub(" ", text)).strip()):
        return True
    return (
        "不在" in text
        and "代理" in text
        and bool(_ANY_DATE_RE.search(text))
        and bool(_ANY_ADDRESS_RE.search(text))
    )


_REPLY_PREFIX_RE = re.compile(r"^(?:\s*(?:re|fw|fwd|転送|返信)\s*[:：]\s*)*", re.IGNORECASE)


def absence_subject(subject: str) -> str:
    """A subject that opens as an absence command (「不在 12/24-12/27 代理 …」, perhaps
    after RE:/FW:), as some write it with an empty or signature-only body; "" otherwise."""
    text = _REPLY_PREFIX_RE.sub("", unicodedata.normalize("NFKC", subject or "")[:_MAX_CHARS])
    text = text.strip()
    # Only a subject opening with 「不在」 and a date: ours (「[不在の設定 A-…] …」) never do.
    return text if _LOOKS_LIKE_ABSENCE_RE.match(text) else ""


def find_absence(own_words: str, today: date, sender_name: str = "") -> AbsenceRequest | None:
    """The absence in a new mail: the whole own words as one command, or else the one line
    (perhaps with the 代理 on the next line) that opens with 「不在」 and a date, among a
    few other words (「年末年始の休暇のため、次のとおり不在にします。」). Two such lines, or
    one that cannot be read, are no request."""
    whole = read_absence(own_words, today, sender_name)
    if whole is not None:
        return whole
    text = unicodedata.normalize("NFKC", own_words or "")
    if len(text) > _MAX_CHARS:
        return None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    starts = [
        i
        for i, line in enumerate(lines)
        if _LOOKS_LIKE_ABSENCE_RE.match(_OPENING_RE.sub("", line).strip())
    ]
    if len(starts) != 1:
        return None
    i = starts[0]
    found = read_absence(lines[i], today)
    if found is None and i + 1 < len(lines):
        found = read_absence(lines[i] + "\n" + lines[i + 1], today)
    return found


def read_absence(own_words: str, today: date, sender_name: str = "") -> AbsenceRequest | None:
    """「不在 12/24-12/27 代理 dairi@town.example.jp」 (one day; ranges with -, 〜, a dash or
    から; 12月24日, an end with the day only, an optional year or 令和 year; the deputy's
    address perhaps with a name) -> the request; None when the words are anything else or
    the dates are impossible, in the past or longer than a year."""
    text = unicodedata.normalize("NFKC", own_words or "").strip()
    if not text or len(text) > _MAX_CHARS:
        return None
    text = _without_own_name(text, sender_name)
    text = _MAILTO_RE.sub("", text)
    text = " ".join(text.split())
    text = _OPENING_RE.sub("", text).strip(" 。、,.")
    text = _CLOSING_RE.sub("", text).strip(" 。、,.")
    m = _ABSENCE_RE.match(text)
    if not m:
        return None
    g = m.groups()
    try:
        start = _when(_year(g[0]), int(g[1]), int(g[2]), today, None)
        end = start
        if g[4]:  # a whole end date
            end = _when(_year(g[3]), int(g[4]), int(g[5]), today, start)
        elif g[6]:  # a day only: the start's month
            end = date(start.year, start.month, int(g[6]))
    except ValueError:
        return None
    if end < start or end < today or (end - start).days > 366:
        return None
    return AbsenceRequest(start, end, g[7].lower())
