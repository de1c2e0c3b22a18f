"""Mail out: jinja2 templates over `templates/` -> EmailMessage, threaded and tagged.

Every mail carries X-Gateway-Status, X-Gateway-Draft, Auto-Submitted and
X-Auto-Response-Suppress, a subject with the draft id in front, and References to
the author's draft so each draft is one conversation in any mail client.
Message-IDs are deterministic per (draft, version, status, recipient[, answered mail]),
so a mail queued twice is one mail.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from gateway.approval_format import (
    POST_FILENAME,
    RECORD_FILENAME,
    SIGNATURE_FILENAME,
    carried_name,
)
from gateway.display import POST_END, POST_START, post_summary, visible_line, visible_post
from gateway.resources import data_dir
from gateway.tokens import make_token, plus_address
from gateway.version import MAILER
from gateway.workflow import Draft, MailSpec

SUBJECT_LABELS = {
    "received": "受付",
    "rejected": "要修正",
    "review-request": "承認依頼",
    "clarify": "確認",
    "reminder": "承認依頼・再送",
    "returned": "差戻し",
    "approved": "承認済",
    "expired": "期限切れ",
    "receipt": "受付確認",
    "notice": "お知らせ",
    "schedule-passed": "投稿予定時刻超過",
    "reassigned": "確認者の変更",
    "emergency": "緊急",
    "status-report": "状況",
    "withdrawn": "取り下げ",
}
STATUSES = tuple(SUBJECT_LABELS)
SENDER_NAME = "SNS投稿確認"


def templates_dir() -> Path:
    """Templates ship in the wheel as `gateway.templates`; in a checkout they are `templates/`."""
    return data_dir("templates")


@lru_cache(maxsize=4)
def environment(directory: str | None = None) -> jinja2.Environment:
    """Templates from `directory` first (an office's own, `[templates] dir`), then the shipped
    ones, so an office can override a single template without copying them all."""
    shipped = jinja2.FileSystemLoader(str(templates_dir()))
    loader = (
        jinja2.ChoiceLoader([jinja2.FileSystemLoader(directory), shipped]) if directory else shipped
    )
    env = jinja2.Environment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # The post is always shown with its hidden parts made visible (gateway.display).
    env.filters["visible_post"] = visible_post
    env.filters["post_summary"] = post_summary
    env.filters["visible_line"] = visible_line
    env.globals["POST_START"] = POST_START
    env.globals["POST_END"] = POST_END
    return env


def render_body(status: str, context: dict[str, Any], directory: str | None = None) -> str:
    # Missing optional keys are None rather than errors, so templates can test them.
    ctx = {key: None for key in OPTIONAL_KEYS} | context
    text = environment(directory).get_template(f"{status}.txt.j2").render(**ctx)
    lines = [line if line == "-- " else line.rstrip() for line in text.strip("\n").splitlines()]
    return "\n".join(lines) + "\n"


OPTIONAL_KEYS = [
    "schedule",
    "diff",
    "previous_version",
    "warnings",
    "errors",
    "reason",
    "accounts",
    "reviewer",
    "comment",
    "their_words",
    "approvals",
    "waiting_on",
    "decision",
    "token_version",
    "state",
    "attachments",
    "author_name",
    "alternate_for",
    "in_place_of",
    "why",
    "emergency",
    "emergency_refused",
    "fixed_text",
    "stages",
    "from_reviewer",
    "to_reviewer",
    "asker",
    "state_label",
    "approved_by",
    "asked",
    "stage_label",
    "kind",
    "entries",
]


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[-1]


def notice_mail(
    to: str,
    subject: str,
    status: str,
    gateway_address: str,
    now: datetime,
    *,
    in_reply_to: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """A mail of ours about no one draft (a notice, the digest, an alarm), with the headers
    every mail of ours carries (CONTRACT): one place, so none of them lacks one."""
    msg = EmailMessage()
    msg["From"] = Address(SENDER_NAME, addr_spec=gateway_address)
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id or make_msgid(domain=domain_of(gateway_address))
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg["X-Gateway-Status"] = status
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Mailer"] = MAILER
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Loop"] = gateway_address
    return msg


def templated_notice(
    to: str,
    subject: str,
    status: str,
    context: dict[str, Any],
    gateway_address: str,
    now: datetime,
    template_dir: str | None = None,
    *,
    in_reply_to: str | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    """notice_mail with its body from the template named by `status`, in UTF-8."""
    msg = notice_mail(
        to, subject, status, gateway_address, now, in_reply_to=in_reply_to, message_id=message_id
    )
    msg.set_content(render_body(status, context, template_dir), charset="utf-8")
    return msg


def message_id(spec: MailSpec, recipient: str, gateway_address: str, token: str | None) -> str:
    tail = token or "x" + hashlib.sha256(recipient.encode()).hexdigest()[:10]
    if spec.in_reply_to:
        tail += "." + hashlib.sha256(spec.in_reply_to.encode()).hexdigest()[:8]
    return f"<{spec.draft_id}.v{spec.version}.{spec.status}.{tail}@{domain_of(gateway_address)}>"


#: `EmailMessage` attribute: {stand-in line: file} for attachments given as files.
_FILE_PARTS = "gateway_file_parts"


def _stand_in_for_file(msg: EmailMessage, path: Path) -> None:
    """The last attachment's body becomes a one-line stand-in for `path`: a photo is never
    base64-encoded into the message in memory, once per reviewer; `spool.put_message`
    writes the file's base64 in its place, in pieces, as the email package would."""
    files: dict[bytes, Path] = getattr(msg, _FILE_PARTS, None) or {}
    stand_in = b"GWFILE%s.%d." % (secrets.token_hex(12).encode(), len(files))
    part = msg.get_payload()[-1]
    part.set_payload(stand_in.decode("ascii") + "\n")
    files[stand_in] = path
    setattr(msg, _FILE_PARTS, files)


def file_parts(msg: EmailMessage) -> dict[bytes, Path]:
    """{stand-in line: file} of a message built with attachments given as files."""
    return dict(getattr(msg, _FILE_PARTS, None) or {})


def build_message(
    spec: MailSpec,
    draft: Draft,
    *,
    gateway_address: str,
    token_secret: bytes,
    now: datetime,
    attachments: Sequence[tuple[str, str, bytes | Path]] = (),
    template_dir: str | None = None,
    sign: Callable[[dict[str, Any]], str] | None = None,
) -> EmailMessage:
    """Render one MailSpec into a ready-to-send message (one per spec: To and Cc together).

    An attachment given as a file (a spooled photo) is a stand-in until the message is
    written with `spool.put_message`, which streams the file's base64 into its place."""
    token = None
    reply_to = None
    if spec.token_for:
        tok = make_token(token_secret, spec.draft_id, spec.version, spec.token_for)
        reply_to = plus_address(gateway_address, tok)
        token = str(tok)
    recipient = spec.to[0]
    msg = EmailMessage()
    msg["From"] = Address(SENDER_NAME, addr_spec=gateway_address)
    msg["To"] = ", ".join(spec.to)
    if spec.cc:
        msg["Cc"] = ", ".join(spec.cc)
    if reply_to:
        msg["Reply-To"] = Address(SENDER_NAME, addr_spec=reply_to)
    msg["Subject"] = (
        f"[{SUBJECT_LABELS[spec.status]} {spec.draft_id}] {draft.current.subject}".strip()
    )
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id(spec, recipient, gateway_address, token)
    thread = list(draft.thread)
    parent = spec.in_reply_to or (thread[-1] if thread else None)
    if parent:
        msg["In-Reply-To"] = parent
        refs = [*thread, parent] if parent not in thread else thread
        msg["References"] = " ".join(refs[-20:])
    msg["X-Gateway-Status"] = spec.status
    msg["X-Gateway-Draft"] = spec.draft_id
    msg["X-Gateway-Version"] = str(spec.version)
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Mailer"] = MAILER
    msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Loop"] = gateway_address
    body = render_body(spec.status, spec.context, template_dir)
    msg.set_content(body, charset="utf-8")

    if POST_START in body.split("\n"):  # every mail that shows the post (post_block)
        # The exact text, whatever the body shows: reviewers and the poster can rely on it.
        msg.add_attachment(
            str(spec.context.get("text", draft.current.text)).encode("utf-8"),
            maintype="text",
            subtype="plain",
            filename=POST_FILENAME,
            params={"charset": "utf-8"},
        )
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        msg.add_attachment(
            b"" if isinstance(data, Path) else data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=carried_name(filename),  # never one of our own files' names
        )
        if isinstance(data, Path):
            _stand_in_for_file(msg, data)
    if spec.approval_record is not None:
        if sign is None:
            raise ValueError("an approved mail needs a signing function")
        from gateway.signing import canonical

        # the body as written, signed with the facts (format 3: see approval_format)
        record = {**spec.approval_record, "body": body}
        msg.add_attachment(
            canonical(record), maintype="application", subtype="json", filename=RECORD_FILENAME
        )
        msg.add_attachment(
            sign(record).encode("ascii"),
            maintype="application",
            subtype="octet-stream",
            filename=SIGNATURE_FILENAME,
        )
    return msg
