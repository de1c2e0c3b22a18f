"""Who did not receive the mail a bounce reports: for the digest's "did not arrive" list.

`flufl.bounce` (maintained by GNU Mailman) reads the shapes it knows (RFC 3464 and the
MTAs it has detectors for); our own readers cover what it does not know: the JSON of cloud
notifications (Amazon SES/SNS), the Japanese carriers' 宛先 / 送信先 lines and the
plain-text intros of MTAs such as OpenMail, InterScan, au one net and m-FILTER. Every reader
works on a bounded window with linear regexes.
"""

from __future__ import annotations

import email.message
import json
import logging
import re
from collections.abc import Iterable

log = logging.getLogger(__name__)

#: Only this much of a body is searched for JSON or failed recipients.
BODY_WINDOW = 64 * 1024
#: flufl.bounce runs its heuristics only on bounces up to this size (they are small).
BOUNCE_SCAN_LIMIT = 256 * 1024
#: At most this many failure intros are read (a hostile text of intros costs no more).
MAX_INTROS = 100

_ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
#: Plain-text bounces of MTAs flufl.bounce has no detector for (OpenMail, InterScan,
#: au one net, m-FILTER …): the failed address follows one of these, inline or on the
#: next few lines.
FAILURE_INTROS = (
    r"(?:following|these)\s+(?:e-?mail\s+)?(?:addresses|address|recipients?)(?:\s+or\s+groups)?"
    r"\s+(?:had|have|has|failed|could|was|were)[^\n]{0,60}",
    r"unable\s+to\s+deliver\s+(?:the\s+)?(?:message\s+)?to", r"could\s+not\s+be\s+delivered\s+to",
    r"delivery\s+to\s+the\s+following\s+recipients?\s+failed[^\n]{0,40}",
    r"以下のメールアドレスへの送信に失敗しました。?", r"次のあて先へのメッセージはエラーのため送信できませんでした。?",
    r"次の受信者またはグループへの配信に失敗しました[:：]?",
    r"did\s+not\s+reach\s+the\s+following\s+recipient\(?s?\)?",  # Exchange 2003
    r"was\s+not\s+delivered\s+to",  # Lotus Domino
    r"(?:was\s+)?undeliverable\s+to\s+the\s+following",  # Novell GroupWise
    r"\n[ \t]*the\s+(?:mail\s+system|postfix\s+program)[ \t]*(?=\n)",  # Postfix's bounce(8)
)  # fmt: skip
_FAILURE_INTRO_RE = re.compile(
    r"(?:" + "|".join(FAILURE_INTROS) + r")[:：]?[ \t]*((?:[^\n]{0,300}\n?){1,8})", re.IGNORECASE
)
_CARRIER_TO_LINE_RE = re.compile(
    r"^[ \t]*(?:宛先|送信先|あて先|受信者|宛て先|To|Recipient|Original-Recipient)[^\n]{0,40}?[:：]?[ \t]*([^\n]{0,300})$",
    re.IGNORECASE | re.MULTILINE,
)


def cloud_bounce(text: str) -> dict | None:
    """The JSON of an Amazon SES notification (direct, or wrapped in an SNS message)."""
    body = text[:BODY_WINDOW].lstrip()
    if not body.startswith("{"):
        return None
    try:
        data, _end = json.JSONDecoder().raw_decode(body)
    except (ValueError, RecursionError):  # RecursionError: `[[[[…` thousands deep
        return None
    for _ in range(2):  # SNS "Notification" carries the SES JSON as a string in Message
        if isinstance(data, dict) and isinstance(data.get("Message"), str):
            try:
                data = json.loads(data["Message"][:BODY_WINDOW])
            except (ValueError, RecursionError):
                return None
    if not isinstance(data, dict):
        return None
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    return data if kind else None


def failed_recipients(
    msg: email.message.Message, text: str, raw_size: int, ours: Iterable[str] = ()
) -> tuple[str, ...]:
    """Who did not receive the mail this bounce reports, lower-cased, ours left out."""
    own = {a.lower() for a in ours}
    found: list[str] = []
    data = cloud_bounce(text)
    if data is not None:
        bounce = data.get("bounce") if isinstance(data.get("bounce"), dict) else {}
        for r in bounce.get("bouncedRecipients") or ():
            if isinstance(r, dict) and isinstance(r.get("emailAddress"), str):
                found.append(r["emailAddress"])
    if not found and raw_size <= BOUNCE_SCAN_LIMIT:  # its heuristics may return a fragment
        found.extend(a for a in _flufl(msg) if _ADDRESS_RE.search(a))
    if not found:
        found.extend(_carrier_lines(text))
    if not found:
        found.extend(_failure_lines(text))
    out: dict[str, None] = {}
    for addr in found:
        m = _ADDRESS_RE.search(addr)
        if m and m.group(0).lower() not in own:
            out.setdefault(m.group(0).lower(), None)
    return tuple(out)[:50]


def _flufl(msg: email.message.Message) -> list[str]:
    try:
        from flufl.bounce import all_failures

        temporary, permanent = all_failures(msg)
    except Exception as exc:  # a heuristic: its failure must not lose the mail
        log.info("event=bounce_scan_failed error=%r", exc)
        return []
    return [
        a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a)
        for a in (*sorted(permanent), *sorted(temporary))
    ]


def _failure_lines(text: str) -> list[str]:
    """The first addresses after a failure intro (FAILURE_INTROS). An intro whose lines
    hold no address is skipped, not consumed: Postfix's 「could not be delivered to one or
    more recipients」 comes ten lines before 「The mail system」 and the address."""
    window = text[:BODY_WINDOW]
    out: list[str] = []
    pos = 0
    for _ in range(MAX_INTROS):
        m = _FAILURE_INTRO_RE.search(window, pos)
        if m is None:
            break
        found = _ADDRESS_RE.findall(m.group(1))[:10]
        out.extend(found)
        if len(out) >= 50:
            break
        pos = m.end() if found else m.start() + 1
    return out


def _carrier_lines(text: str) -> list[str]:
    """Japanese carriers' notices name the failed address on a 宛先 / 送信先 line;
    flufl.bounce has no detector for them."""
    out = []
    for m in _CARRIER_TO_LINE_RE.finditer(text[:BODY_WINDOW]):
        out.extend(_ADDRESS_RE.findall(m.group(1)))
    return out
