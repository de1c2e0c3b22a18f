"""The template check: render every mail the gateway can send with sample data, and say in
Japanese which template, which line and what is wrong.

The daemon runs it at start-up (a broken template stops it at once instead of at the
first mail) and `gateway templates check` prints it (gateway.admin); a template that
passes here renders at send time too, and an approved mail it makes must verify.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path

from gateway.confirmation import verify_confirmation
from gateway.mail_samples import SAMPLE_PHOTO, SAMPLE_TIME, sample_digest_context, sample_mails
from gateway.render import build_message, render_body
from gateway.signing import SigningKey


class TemplatesBroken(Exception):
    """At least one template does not render; the message lists each problem in Japanese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("テンプレートに誤りがあります: " + " / ".join(problems))


_FILE_LINE = re.compile(r"\.j2$")


def _template_frame(exc: BaseException) -> tuple[str, int] | None:
    """Where in a template the error happened (jinja2 puts template frames in the traceback)."""
    tb, found = exc.__traceback__, None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if _FILE_LINE.search(name):
            found = (Path(name).name, tb.tb_lineno)
        tb = tb.tb_next
    return found


def describe_template_error(exc: BaseException, status: str) -> str:
    """One Japanese sentence: which template, which line, what is wrong."""
    kind = type(exc).__name__
    where = _template_frame(exc)
    if kind == "TemplateNotFound":
        return f"テンプレート {exc} が見つかりません（{status} の文面に必要です）。"
    if kind == "TemplateSyntaxError":
        name = Path(getattr(exc, "filename", None) or getattr(exc, "name", None) or "?").name
        return (
            f"{name} の {getattr(exc, 'lineno', '?')} 行目: 書き方に誤りがあります"
            f"（{getattr(exc, 'message', exc)}）。{{{{ }}}} や {{% %}} の閉じ忘れがないか確かめてください。"
        )
    place = f"{where[0]} の {where[1]} 行目" if where else f"{status} の文面"
    if kind == "UndefinedError":
        m = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc))
        var = (m.group(1) or m.group(2)) if m else str(exc)
        return (
            f"{place}: 使えない変数「{var}」があります。"
            "使える変数は docs/templates.md を見てください。"
        )
    return f"{place}: 文面を作れませんでした（{kind}: {exc}）。"


def _unverifiable(msg: EmailMessage, key: SigningKey, label: str) -> list[str]:
    """Problems `gateway verify` would find in an approved mail made with these templates
    (an office template that drops the post block or rewrites it breaks every confirmation)."""
    raw = msg.as_bytes(policy=email_policy.SMTP)
    verdict = verify_confirmation(
        message_from_bytes(raw, policy=email_policy.default),  # type: ignore[arg-type]
        key.public,
    )
    return [
        f"{label}: この文面では「gateway verify」で承認を確かめられません（{p.ja}）"
        for p in verdict.problems
    ]


def check_templates(template_dir: str | None = None) -> tuple[list[str], int]:
    """Render every mail with sample data; returns (problems in Japanese, mails rendered)."""
    from gateway.digest import build_digest_message

    problems: list[str] = []
    rendered = 0
    from gateway.rule_samples import sample_absence_messages, sample_rule_mails

    key = SigningKey.throwaway()  # for the sample records
    for label, spec, draft in [*sample_mails(), *sample_rule_mails()]:
        try:
            msg = build_message(
                spec,
                draft,
                gateway_address="sns-check@town.example.jp",
                token_secret=b"k" * 32,
                now=SAMPLE_TIME,
                attachments=[("photo.jpg", "image/jpeg", SAMPLE_PHOTO)]
                if spec.attach_version
                else [],
                template_dir=template_dir,
                sign=key.sign,
            )
            rendered += 1
        except Exception as exc:  # any template error: report it, keep checking the rest
            problem = describe_template_error(exc, label)
            if problem not in problems:
                problems.append(problem)
            continue
        if spec.approval_record is not None:
            problems.extend(_unverifiable(msg, key, label))
    try:
        for _label, _msg in sample_absence_messages(template_dir):
            rendered += 1
    except Exception as exc:
        problems.append(describe_template_error(exc, "absence"))
    try:
        build_digest_message(
            sample_digest_context(),
            to="somu@town.example.jp",
            gateway_address="sns-check@town.example.jp",
            now=SAMPLE_TIME,
            day=SAMPLE_TIME.date(),
            template_dir=template_dir,
        )
        rendered += 1
    except Exception as exc:
        problems.append(describe_template_error(exc, "digest"))
    for admin in ("somu@town.example.jp", None):
        try:
            render_body("failed", {"subject": "防災訓練のお知らせ", "admin": admin}, template_dir)
            rendered += 1
        except Exception as exc:
            problem = describe_template_error(exc, "failed")
            if problem not in problems:
                problems.append(problem)
    try:
        render_body(
            "deferred",
            {"subject": "防災訓練のお知らせ", "per_hour": 60, "release": "11月24日（火）10:05",
             "admin": "somu@town.example.jp"},
            template_dir,
        )  # fmt: skip
        rendered += 1
    except Exception as exc:
        problems.append(describe_template_error(exc, "deferred"))
    for sent_it, reply, admin in (
        (True, False, None), (False, False, None), (True, True, None),
        (False, True, "somu@town.example.jp"),
    ):  # fmt: skip
        try:  # gateway.onbehalf: to the person who sent it, and to the From's owner
            render_body(
                "on-behalf",
                {"subject": "防災訓練のお知らせ", "mailbox": "koho@town.example.jp",
                 "sender": "sato@town.example.jp", "sent_it": sent_it, "reply": reply,
                 "admin": admin},
                template_dir,
            )  # fmt: skip
            rendered += 1
        except Exception as exc:
            problem = describe_template_error(exc, "on-behalf")
            if problem not in problems:
                problems.append(problem)
    return problems, rendered


def ensure_templates(template_dir: str | None = None) -> None:
    """Raise TemplatesBroken when any template fails to render (daemon start-up)."""
    problems, _ = check_templates(template_dir)
    if problems:
        raise TemplatesBroken(problems)
