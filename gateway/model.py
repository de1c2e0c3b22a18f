"""Plain data shared by the layers: what came in, what the checker found.

These types carry no behaviour, so every module (mime, replies, checker, workflow)
can depend on them without depending on each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path


class Kind(StrEnum):
    """What an incoming message is, as the contract's `explain` names it."""

    DRAFT = "draft"
    REPLY = "reply"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    OTHER = "other"


class Decision(StrEnum):
    """How a reviewer's own words read. Anything not clearly APPROVE never counts as one."""

    APPROVE = "approve"
    SEND_BACK = "send_back"
    UNCLEAR = "unclear"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class StoredFile:
    """An attachment decoded straight into a file (the spool's), never held in memory."""

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes = field(default=b"", repr=False)  # empty when `stored`
    stored: StoredFile | None = None

    @property
    def size(self) -> int:
        return self.stored.size if self.stored is not None else len(self.data)

    def content(self) -> bytes | Path:
        """The bytes, or the file that holds them (read it in pieces)."""
        return Path(self.stored.path) if self.stored is not None else self.data


@dataclass(frozen=True)
class Incoming:
    """One raw RFC 5322 message, read once, with everything later layers need.

    `kind` is decided from headers only (auto-reply, bounce, gateway token present ->
    reply, else draft when it has text). Whether a reply *counts* is decided later,
    by `tokens` and `workflow`, never here.
    """

    kind: Kind
    message_id: str  # with angle brackets, as in the header; synthesized if missing
    from_addr: str  # lower-cased addr-spec, "" if none could be read
    from_name: str
    to_addrs: tuple[str, ...]
    cc_addrs: tuple[str, ...]
    subject: str
    date: datetime | None
    in_reply_to: str | None
    references: tuple[str, ...]
    text: str  # the decoded body text (HTML converted to text), signature NOT removed
    charset: str | None  # charset label of the part the text came from
    attachments: tuple[Attachment, ...] = ()
    tokens: tuple[str, ...] = ()  # gateway reply tokens found (plus-address, References, subject)
    auth_results: tuple[str, ...] = ()  # raw Authentication-Results header values
    headers: tuple[tuple[str, str], ...] = ()  # every header (name, decoded value), in order
    problems: tuple[str, ...] = ()  # what could not be read cleanly, English, for the log
    raw_size: int = 0
    bounced: tuple[str, ...] = ()  # for a BOUNCE: the recipients it says did not receive
    refused: str = ""  # why the body was not read ("mime-too-complex", "message-too-large")
    # Other readings of the body (the other multipart/alternative parts; the HTML read
    # without what may be hidden): a reviewer's decision must be the same in all of them.
    alt_texts: tuple[str, ...] = ()
    # (From, Sender) of a person's mail refused only for being sent on someone's behalf
    # (not automatic, not ours): whom the refusal is told (gateway.onbehalf). Never an identity.
    on_behalf: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftParts:
    """A draft's body split into the post text and the control lines around it."""

    post_text: str  # exactly what would be posted
    account: str | None  # from an `アカウント:` / `account:` line
    schedule: datetime | None  # from a `投稿予定:` / `schedule:` line
    schedule_raw: str | None  # the line as written, when it could not be parsed
    signature: str  # what came after `-- `, removed from the post
    emergency: bool = False  # a `緊急: はい` line (issue 11)


@dataclass(frozen=True)
class ReplyReading:
    """A reviewer's reply reduced to their own words and what those words decide."""

    decision: Decision
    comment: str  # the reviewer's own words, quotes and signature removed
    own_text: str  # same as comment before trimming of the decision word; for the audit log


@dataclass(frozen=True)
class Finding:
    """One thing the checker found in a draft, as `gateway check --format json` prints it."""

    rule: str
    clause: str | None  # e.g. "3(7)エ", "4(1)"; None for style rules
    severity: Severity
    line: int  # 1-based, in characters of the post text
    column: int  # 1-based
    excerpt: str
    message: str  # Japanese, says what to do
    # A rule that matches in many places is listed at its first ones only (checker.listing):
    # the last listed finding of a rule and severity says how many more places were left
    # out, and whether counting stopped there (so there are at least that many).
    omitted: int = 0
    omitted_at_least: bool = False

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "rule": self.rule,
            "clause": self.clause,
            "severity": str(self.severity),
            "line": self.line,
            "column": self.column,
            "excerpt": self.excerpt,
            "message": self.message,
        }
        if self.omitted:  # an addition to the contract's object, only when a list was cut
            out["omitted"] = self.omitted
            if self.omitted_at_least:
                out["omitted_at_least"] = True
        return out
