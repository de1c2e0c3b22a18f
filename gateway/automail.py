"""Is this mail written by a machine? Bounces, auto-replies, reports, list and system mail.

A gateway that answers automatic mail starts loops (a naive auto-responder answered our
receipt 59 times) and fills the audit log; one that takes a person's mail for automatic
loses a draft or a decision. So the signs are weighed:

- a *strong* sign alone decides: a `multipart/report` (RFC 3464 delivery status, RFC 5965
  abuse feedback, RFC 8098 read receipt), the null reverse-path `Return-Path: <>` (RFC
  5321 4.5.5: only bounces and auto-responders send with it, RFC 3834 3.3), Auto-Submitted
  and its relatives (RFC 3834), list headers (RFC 2369 List-Unsubscribe …, RFC 2919
  List-Id, the Japanese fml/mailman X-ML-Name, X-MLServer, Mailing-List), a mailer-daemon
  sender, a DMARC aggregate report (RFC 7489 7.2.1.1 subject and file name), a cloud
  notification whose body is a bounce in JSON (Amazon SES/SNS), a body whose first line
  is an auto-reply marker (【自動返信】);
- a *weak* sign (a no-reply sender, a subject that is just an absence notice or an error
  notice, a body saying it cannot be answered, absence wording, delivery-failure wording)
  decides only together with another one. A person's 「休暇中の対応について」 is one
  weak sign at most, so it stays a person's draft.

Pure functions over what `mime` has already decoded; the bounce's failed recipients are
found by `flufl.bounce` (maintained by GNU Mailman) and, for the two shapes it does not
know, by the JSON of cloud notifications and the Japanese carriers' 宛先 lines.
"""

from __future__ import annotations

import email.message
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.model import Kind

log = logging.getLogger(__name__)

#: Only this much of a body is searched for signs or JSON (automatic notices are short).
BODY_WINDOW = 64 * 1024
#: flufl.bounce runs its heuristics only on bounces up to this size (they are small).
BOUNCE_SCAN_LIMIT = 256 * 1024
MAX_SUBJECT = 2000


@dataclass(frozen=True)
class Verdict:
    """`kind` is None for a person's mail; `reason` (English) says which signs decided."""

    kind: Kind | None
    reason: str = ""


PERSON = Verdict(None)

# --------------------------------------------------------------------------- headers

_LIST_HEADERS = (
    "list-id",  # RFC 2919
    "list-unsubscribe",  # RFC 2369
    "list-subscribe",
    "list-post",
    "list-help",
    "list-owner",
    "list-archive",
    "mailing-list",  # ezmlm, Yahoo groups
    "x-ml-name",  # fml (Japanese list server)
    "x-mlserver",
    "x-ml-count",
    "x-mailing-list",
    "x-list",
)
_AUTO_HEADERS = ("x-autoreply", "x-autorespond", "x-auto-reply", "x-autoresponder")
_FALSY = ("no", "false", "0", "off", "")

_DAEMON_SENDER_RE = re.compile(r"^[^@]{0,64}?(?:daemon|postmaster)[^@]{0,64}@", re.I)
_NOREPLY_SENDER_RE = re.compile(
    r"^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|donotreply|bounces?|mail[-_.]?error|"
    r"error[-_.]?mail|notifications?|auto[-_.]?(?:reply|mail|confirm)|daemon)"
    r"(?:[-_.+][^@]*)?@",
    re.I,
)

# --------------------------------------------------------------------------- subjects

_RE_PREFIX = r"^\s*(?:(?:re|fw|fwd|aw|sv|tr)\s*[:：]\s*)*"
#: A subject that starts with an auto-reply label: the word and a colon (Outlook's
#: 「自動応答: 件名」), or the word in brackets (【自動返信】). The word alone is not enough:
#: 「自動応答電話サービスのお知らせ」 is a person's draft.
_AUTO_SUBJECT_RE = re.compile(
    _RE_PREFIX + r"(?:"
    r"(?:自動応答|自動返信|自動転送|自動送信|不在通知|不在のお知らせ|不在連絡|不在|"
    r"開封済み|開封確認|読み取り|既読|"
    r"out\s+of\s+(?:the\s+)?office|automatic\s+reply|auto(?:matic)?[-\s]?(?:reply|response)|"
    r"autoreply|vacation\s+(?:reply|response|message)|away\s+from\s+(?:the\s+)?office|read)"
    r"\s*(?:[:：]|$)|"
    r"[【\[［(（]\s*(?:不在|自動返信|自動応答|休暇中|自動送信|自動転送|不在通知|"
    r"out\s+of\s+(?:the\s+)?office|auto(?:matic)?[-\s]?reply)\s*[】\]］)）]"
    r")",
    re.IGNORECASE,
)
#: A subject that is *only* an absence notice (with at most a name or date after it).
_ABSENCE_SUBJECT_RE = re.compile(
    _RE_PREFIX + r"(?:"
    r"休暇中(?:です)?|不在(?:です|中)?|出張中|外出中|長期不在|"
    r"不在のため(?:ご)?返信(?:が)?できません|不在のため返信いたしかねます|"
    r"(?:夏季|年末年始|冬季)?休暇(?:中|のため)(?:不在|返信できません)?|"
    r"away|on\s+(?:vacation|leave|holiday)|out\s+of\s+office"
    r")\s*(?:[（(][^）)]{0,40}[）)]|[:：\-–—/／].{0,200})?\s*$",
    re.IGNORECASE,
)
_BOUNCE_SUBJECT_RE = re.compile(
    r"undeliver(?:ed|able)|delivery\s+status\s+notification|returned\s+mail|"
    r"mail\s+delivery\s+(?:failed|failure|system|subsystem)|delivery\s+(?:has\s+)?failed|"
    r"failure\s+notice|non[-\s]?delivery|delivery\s+failure|"
    r"配信不能|配送不能|配信できません|配送できません|配信失敗|配送失敗|配信エラー|送信エラー|"
    r"未配達|宛先不明|メールエラー通知|エラー通知|送信できませんでした",
    re.IGNORECASE,
)
#: Japanese carriers' notices that say nothing but this in the subject.
_BARE_NOTICE_SUBJECT_RE = re.compile(r"^\s*(?:mail|メール|お知らせ|notice)\s*$", re.I)
_DMARC_SUBJECT_RE = re.compile(r"^\s*report\s+domain\s*:\s*\S+.*\bsubmitter\s*:", re.I)
_DMARC_FILE_RE = re.compile(
    r"^[^!/\\]+![^!/\\]+!\d{9,11}!\d{9,11}(?:![^!]*)?\.(?:xml|zip|gz|xml\.gz)$", re.I
)

# --------------------------------------------------------------------------- bodies

_BODY_MARKER_RE = re.compile(
    r"^\s*(?:[【\[［(（〔<＜]\s*(?:自動送信|自動返信|自動応答|自動通知|不在通知|自動配信)"
    r"(?:メール)?\s*[】\]］)）〕>＞]|※\s*(?:このメールは|本メールは)?自動(?:送信|返信|応答)|"
    r"this\s+is\s+an\s+auto(?:matic|mated)?[-\s]?(?:reply|response|generated)|"
    r"i\s+am\s+(?:currently\s+)?out\s+of\s+(?:the\s+)?office|i'm\s+out\s+of\s+(?:the\s+)?office)",
    re.IGNORECASE,
)
_NO_REPLY_BODY_RE = re.compile(
    r"このメールには(?:直接)?(?:ご)?返信(?:いただけません|できません|しないでください)|"
    r"(?:この|本)メールは(?:送信専用|配信専用)|送信専用(?:の)?(?:メール)?アドレス|"
    r"(?:ご)?返信(?:いただいても|されても)(?:お答え|回答|対応)(?:でき|いたしかね)|"
    r"do\s+not\s+reply\s+to\s+this\s+(?:e-?mail|message)|"
    r"this\s+(?:is\s+an\s+)?(?:automated|automatically\s+generated)\s+(?:message|e-?mail)",
    re.IGNORECASE,
)
_ABSENCE_BODY_RE = re.compile(
    r"不在に(?:して)?(?:おります|しています)|休暇を(?:いただいて|頂いて|取って)|"
    r"(?:出社|帰社|戻り)(?:次第|後に?)(?:ご)?(?:返信|確認|対応|連絡)|"
    r"(?:返信|ご返事)(?:が)?(?:遅れ|できかね|いたしかね)|"
    r"out\s+of\s+(?:the\s+)?office\s+(?:until|from|and)|limited\s+access\s+to\s+(?:my\s+)?e-?mail|"
    r"will\s+(?:respond|reply|get\s+back)\s+.{0,40}\s+(?:when|upon)\s+(?:i|my)\s+return",
    re.IGNORECASE,
)
_BOUNCE_BODY_RE = re.compile(
    r"宛先(?:不明|のアドレス|のメールアドレス)|(?:届け|送信|配信|送付)(?:られ|でき)ませんでした|"
    r"(?:届き|配達でき)ませんでした|存在しないアドレス|受信(?:拒否|できません)|"
    r"user\s+unknown|unknown\s+user|no\s+such\s+user|mailbox\s+(?:is\s+)?(?:full|unavailable)|"
    r"recipient\s+address\s+rejected|address\s+not\s+found|delivery\s+to\s+the\s+following|"
    r"could\s+not\s+be\s+delivered|permanent\s+(?:error|failure)|\b5\.\d\.\d+\b",
    re.IGNORECASE,
)
_ADDRESS_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_CARRIER_TO_LINE_RE = re.compile(
    r"^[ \t]*(?:宛先|送信先|あて先|受信者|宛て先|To|Recipient|Original-Recipient)[^\n]{0,40}?[:：]?[ \t]*([^\n]{0,300})$",
    re.IGNORECASE | re.MULTILINE,
)


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in headers if k.lower() == name]


def _first_line(text: str) -> str:
    for line in text[:BODY_WINDOW].splitlines():
        if line.strip():
            return line
    return ""


def null_reverse_path(headers: Sequence[tuple[str, str]]) -> bool:
    """`Return-Path: <>`, written by the delivering server from the empty MAIL FROM."""
    values = _values(headers, "return-path")
    return bool(values) and all(re.fullmatch(r"\s*<\s*>\s*", v) for v in values)


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


def _cloud_verdict(data: dict) -> Verdict:
    kind = str(data.get("notificationType") or data.get("eventType") or "").lower()
    if kind == "bounce":
        return Verdict(Kind.BOUNCE, "cloud notification carrying a bounce (JSON)")
    if kind == "complaint":
        return Verdict(Kind.OTHER, "cloud notification carrying an abuse complaint (JSON)")
    return Verdict(Kind.OTHER, f"cloud notification ({kind}) in JSON")


def recognise(
    headers: Sequence[tuple[str, str]],
    from_addr: str,
    subject: str,
    text: str,
    attachment_names: Iterable[str],
    report_type: str | None,
) -> Verdict:
    """Weigh the signs; `report_type` is None when the mail is not a multipart/report."""
    subject = (subject or "")[:MAX_SUBJECT]  # a megabyte of subject is searched no further
    from_addr = (from_addr or "")[:MAX_SUBJECT]
    if report_type is not None:
        if report_type in ("delivery-status", ""):
            return Verdict(Kind.BOUNCE, "delivery status report (RFC 3464)")
        if report_type == "feedback-report":
            return Verdict(Kind.OTHER, "abuse feedback report (RFC 5965)")
        if report_type == "disposition-notification":
            return Verdict(Kind.AUTO_REPLY, "read receipt (RFC 8098)")
        return Verdict(Kind.OTHER, f"automatic report (report-type={report_type})")
    if _DAEMON_SENDER_RE.match(from_addr or ""):
        return Verdict(Kind.BOUNCE, "sender is a mailer daemon")
    data = cloud_bounce(text)
    if data is not None:
        return _cloud_verdict(data)
    if _DMARC_SUBJECT_RE.search(subject) or any(
        _DMARC_FILE_RE.match(n or "") for n in attachment_names
    ):
        return Verdict(Kind.OTHER, "DMARC aggregate report (RFC 7489)")

    body = text[:BODY_WINDOW]
    bounce_words = bool(_BOUNCE_SUBJECT_RE.search(subject) or _BOUNCE_BODY_RE.search(body))
    auto_kind = Kind.BOUNCE if bounce_words else Kind.AUTO_REPLY
    if null_reverse_path(headers):
        return Verdict(auto_kind, "null reverse-path (Return-Path: <>)")
    for value in _values(headers, "auto-submitted"):
        if value.strip().split(";")[0].strip().lower() not in _FALSY:
            return Verdict(auto_kind, "Auto-Submitted (RFC 3834)")
    for name in _AUTO_HEADERS:
        for value in _values(headers, name):
            if value.strip().lower() not in _FALSY:
                return Verdict(Kind.AUTO_REPLY, f"{name} header")
    for value in _values(headers, "precedence"):
        if value.strip().lower() in ("bulk", "junk", "auto_reply", "auto-reply", "list"):
            return Verdict(Kind.AUTO_REPLY, f"Precedence: {value.strip().lower()}")
    listed = [name for name in _LIST_HEADERS if _values(headers, name)]
    if listed:
        return Verdict(Kind.OTHER, f"list or system mail ({', '.join(listed)}; RFC 2369/2919)")
    if _BOUNCE_SUBJECT_RE.search(subject) and not from_addr:
        return Verdict(Kind.BOUNCE, "delivery-failure subject and no sender")
    if _AUTO_SUBJECT_RE.search(subject):
        return Verdict(Kind.AUTO_REPLY, "auto-reply subject")
    if _BODY_MARKER_RE.match(_first_line(body)):
        return Verdict(auto_kind, "body starts with an auto-reply marker")

    weak = []
    if _NOREPLY_SENDER_RE.match(from_addr or ""):
        weak.append("no-reply sender")
    if _ABSENCE_SUBJECT_RE.match(subject):
        weak.append("absence-notice subject")
    if _BOUNCE_SUBJECT_RE.search(subject) or _BARE_NOTICE_SUBJECT_RE.match(subject):
        weak.append("error-notice subject")
    if _NO_REPLY_BODY_RE.search(body):
        weak.append("body says it cannot be answered")
    if _ABSENCE_BODY_RE.search(body):
        weak.append("absence wording")
    if _BOUNCE_BODY_RE.search(body):
        weak.append("delivery-failure wording")
    if len(weak) >= 2:
        return Verdict(auto_kind, "signs together: " + ", ".join(weak))
    return PERSON


# --------------------------------------------------------------------------- recipients


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
    if not found and raw_size <= BOUNCE_SCAN_LIMIT:
        found.extend(_flufl(msg))
    if not found:
        found.extend(_carrier_lines(text))
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


def _carrier_lines(text: str) -> list[str]:
    """Japanese carriers' notices name the failed address on a 宛先 / 送信先 line;
    flufl.bounce has no detector for them."""
    out = []
    for m in _CARRIER_TO_LINE_RE.finditer(text[:BODY_WINDOW]):
        out.extend(_ADDRESS_RE.findall(m.group(1)))
    return out
