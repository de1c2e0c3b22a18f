"""A mail the gateway could not handle: tell its sender and the admin, once.

Bad input is the workflow's business (a malformed draft is returned with the reason).
This is for the rest: an exception while handling a mail, that is, a fault of the
gateway itself. The intake keeps the mail in the Failed folder and logs the error;
without a word to the sender, a member of staff would wait for an answer that never
comes. So the sender (when they may send drafts, and the mail is not itself automatic)
gets a short apology, and the admin (`[admin] address`) the particulars. Both are built
here from the raw bytes alone, which the failure may have made unreadable to the rest
of the gateway; the daemon queues them in the outbox (or, when the state itself is what
failed, sends them directly).
"""

from __future__ import annotations

import email
import email.message
import email.policy
from datetime import datetime
from email.message import EmailMessage

from gateway.identity import NOBODY, FromError, People, parse_from
from gateway.render import notice_mail, templated_notice
from gateway.settings import Settings, staff_allowed

STATUS = "failed"
_AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster", "no-reply", "noreply")


class Envelope:
    """What can be read of a mail that could not be handled (nothing, in the worst case)."""

    def __init__(self, raw: bytes, people: People = NOBODY) -> None:
        self.sender = ""
        self.subject = ""
        self.message_id = ""
        self.automatic = True  # unknown: never answer it
        try:
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            self.sender = _strict_sender(msg, people)
            self.subject = " ".join(str(msg.get("Subject", "")).split())
            self.message_id = str(msg.get("Message-ID", "")).strip()
            auto = str(msg.get("Auto-Submitted", "no")).strip().lower()
            precedence = str(msg.get("Precedence", "")).strip().lower()
            self.loops = [str(v).lower() for v in msg.get_all("X-Loop", [])]
            local = self.sender.partition("@")[0]
            self.automatic = (
                auto != "no"
                or precedence in ("bulk", "junk", "list", "auto_reply")
                or local.startswith(_AUTOMATIC_SENDERS)
            )
        except Exception:  # the mail is unreadable even to the stdlib: only the admin hears
            self.loops = []


def _strict_sender(msg: email.message.Message, people: People = NOBODY) -> str:
    """The From read as strictly as any mail (gateway.identity): an apology never goes to an
    address that a two-faced From (`kacho@… <mallory@…>`) only names."""
    raw = [(str(k).lower(), str(v)) for k, v in msg.raw_items()]
    try:
        return parse_from(
            [v for k, v in raw if k == "from"], [v for k, v in raw if k == "sender"], people
        ).address
    except FromError:
        return ""


def failure_mails(
    raw: bytes, exc: BaseException, settings: Settings, gateway_address: str, now: datetime
) -> list[tuple[str, EmailMessage]]:
    """(recipient, mail) for the sender's apology and the admin's alert, as they apply."""
    env = Envelope(raw, settings.people)
    tell_sender = _may_answer(env, settings, gateway_address)
    out: list[tuple[str, EmailMessage]] = []
    if tell_sender:
        out.append((env.sender, _to_sender(env, settings, gateway_address, now)))
    if settings.admin_address:
        alert = _to_admin(env, exc, tell_sender, settings, gateway_address, now)
        out.append((settings.admin_address, alert))
    return out


def _may_answer(env: Envelope, settings: Settings, gateway_address: str) -> bool:
    """Only a person who may send drafts, writing themselves (no auto-reply, bounce or
    mail of ours coming back), is answered: the apology must never start a mail loop."""
    ours = gateway_address.lower()
    return bool(
        env.sender
        and not env.automatic
        and env.sender != ours
        and not any(ours in v for v in env.loops)
        and staff_allowed(settings, env.sender)
    )


def _to_sender(
    env: Envelope, settings: Settings, gateway_address: str, now: datetime
) -> EmailMessage:
    subject = env.subject or "（件名なし）"
    return templated_notice(
        env.sender,
        f"[処理できませんでした] {subject}",
        STATUS,
        {"subject": subject, "admin": settings.admin_address},
        gateway_address,
        now,
        settings.templates_dir,
        in_reply_to=env.message_id,
    )


def _to_admin(
    env: Envelope,
    exc: BaseException,
    told_sender: bool,
    settings: Settings,
    gateway_address: str,
    now: datetime,
) -> EmailMessage:
    msg = notice_mail(
        str(settings.admin_address), "[ゲートウェイ警告] メールを処理できませんでした",
        STATUS, gateway_address, now,
    )  # fmt: skip
    told = "（差出人には不具合をお知らせしました）" if told_sender else ""
    msg.set_content(
        "SNS投稿承認ゲートウェイからのお知らせです。\n\n"
        "次のメールを処理する途中で、ゲートウェイ自体の不具合が起きました。\n\n"
        f"差出人: {env.sender or '（読めません）'}{told}\n"
        f"件名: {env.subject or '（読めません）'}\n"
        f"Message-ID: {env.message_id or '（ありません）'}\n"
        f"エラー: {type(exc).__name__}: {exc}\n\n"
        f"メールは受信箱の「{settings.mailbox.failed_folder}」フォルダに保管してあります。"
        "詳しくはログ（event=message_failed）をご覧ください。"
        "原因を直したあと、メールを受信フォルダに戻すと、もう一度処理されます。\n",
        charset="utf-8",
    )
    return msg
