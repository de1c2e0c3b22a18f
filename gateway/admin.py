"""What the admin (総務課) runs by hand: config check, reviewers, templates check.

Each check returns lines of Japanese that say what is right and what is wrong, so the
CLI only prints them. Templates are checked by rendering every mail the gateway can
send, with contexts produced by the real workflow (not hand-written samples), so a
template that passes here renders at send time too. The daemon runs the same check at
start-up: a broken template stops it at once instead of at the first mail.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.businessdays import JST, WorkCalendar
from gateway.config import load_settings
from gateway.config_reader import ConfigError
from gateway.confirmation import verify_confirmation
from gateway.model import Decision, Finding, Severity
from gateway.render import STATUSES, build_message, render_body, templates_dir
from gateway.settings import Settings
from gateway.signing import SigningKey
from gateway.workflow import (
    AttachmentRef,
    Draft,
    MailSpec,
    NewDraft,
    Outcome,
    Policy,
    Reply,
    on_new_draft,
    on_reply,
    on_tick,
    unmatched_reply,
)

OK, FAIL, INFO = "○", "×", "・"


@dataclass(frozen=True)
class Line:
    mark: str  # OK, FAIL or INFO
    text: str  # Japanese

    def __str__(self) -> str:
        return f"{self.mark} {self.text}"


def failed(lines: list[Line]) -> bool:
    return any(line.mark == FAIL for line in lines)


# --------------------------------------------------------------------------- templates


class TemplatesBroken(Exception):
    """At least one template does not render; the message lists each problem in Japanese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("テンプレートに誤りがあります: " + " / ".join(problems))


_T0 = datetime(2026, 11, 24, 9, 0, tzinfo=JST)
SAMPLE_PHOTO = b"\xff\xd8\xff\xd9"  # a sample photo: its hash is the one the sample record signs
_AUTHOR = "sato@town.example.jp"
_R1, _R2, _R3 = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
_ACCOUNTS = {"辰野町公式X": (_R1, _R2, _R3), "辰野町観光FB": (_R1, _R2)}


def _finding(severity: Severity, clause: str | None, excerpt: str) -> Finding:
    return Finding("sample", clause, severity, 2, 5, excerpt, "（確認用の見本の指摘です）")


def _new(text: str, *, account: str | None, findings=(), at=_T0, number=1) -> NewDraft:
    return NewDraft(
        author=_AUTHOR,
        author_name="佐藤 花子",
        subject="防災訓練のお知らせ",
        message_id=f"<sample-{number}@town.example.jp>",
        references=(),
        text=text,
        account=account,
        schedule=datetime(2026, 11, 25, 10, 0),
        findings=tuple(findings),
        attachments=(
            AttachmentRef(
                "photo.jpg",
                "image/jpeg",
                hashlib.sha256(SAMPLE_PHOTO).hexdigest(),
                len(SAMPLE_PHOTO),
            ),
        ),
        at=at,
    )


def _reply(draft: Draft, who: str, decision: Decision, comment: str = "", hours: int = 1) -> Reply:
    at = _T0 + timedelta(hours=hours)
    return Reply(who, draft.id, draft.version, decision, comment, f"<r-{who}-{hours}@x>", at)


def sample_mails() -> Iterator[tuple[str, MailSpec, Draft]]:
    """Every kind of mail the workflow sends, in every variant its templates branch on."""
    cal = WorkCalendar()
    policy = Policy(accounts=_ACCOUNTS, expire_after=7 * cal.day_length, calendar=cal)
    text = "【防災訓練のお知らせ】\n12月6日（日）午前9時から、町内全域で防災訓練を行います。"
    warn = _finding(Severity.WARNING, "3(7)エ", "行うらしい")

    def each(outcome: Outcome, before: Draft | None, label: str) -> Iterator:
        for spec in outcome.mails:
            yield f"{spec.status}（{label}）", spec, outcome.draft or before

    opened = on_new_draft(
        _new(text, account="辰野町公式X", findings=[warn]), None, "D-000042", policy
    )
    d = opened.draft
    yield from each(opened, None, "受付・確認依頼")
    revised = on_new_draft(
        _new(text + "\n雨天決行です。", account=None, number=2, at=_T0 + timedelta(hours=2)),
        d,
        d.id,
        policy,
    )
    yield from each(revised, d, "第2版")
    for reason, event in (
        (
            "エラーの指摘",
            _new(
                text,
                account="辰野町公式X",
                findings=[_finding(Severity.ERROR, "4(1)", "090-1234-5678")],
            ),
        ),
        ("未登録のアカウント", _new(text, account="辰野町公式Y")),
        ("アカウントの指定なし", _new(text, account=None)),
    ):
        yield from each(on_new_draft(event, None, "D-000043", policy), None, reason)
    two = replace(policy, accounts={"辰野町公式X": (_R1, _AUTHOR)})
    yield from each(
        on_new_draft(_new(text, account="辰野町公式X"), None, "D-000044", two), None, "確認者不足"
    )

    yield from each(on_reply(d, _reply(d, _R1, Decision.UNCLEAR, "OKです")), d, "読み取れない返信")
    yield from each(unmatched_reply(d, _R1, "<x@x>", "no-token", _T0), d, "トークンなし")
    approved_once = on_reply(d, _reply(d, _R1, Decision.APPROVE))
    d1 = approved_once.draft
    yield from each(approved_once, d, "承認の受付")
    duplicate = on_reply(d1, _reply(d1, _R1, Decision.APPROVE, hours=2))
    yield from each(duplicate, d1, "重複")
    for spec in duplicate.mails:  # the shell's own reasons for a notice
        ctx = {**spec.context, "reason": "not-authenticated"}
        yield "notice（送信元を確かめられない）", replace(spec, context=ctx), d1
    yield from each(
        on_reply(d1, replace(_reply(d1, _R1, Decision.SEND_BACK), token_version=0)), d1, "古い版"
    )
    yield from each(
        on_reply(d1, _reply(d1, _R2, Decision.SEND_BACK, "日付を確認してください")), d1, "差戻し"
    )

    reminded = on_tick(d1, cal.add_working_time(_T0, timedelta(hours=25)), policy)
    yield from each(reminded, d1, "催促・投稿予定時刻超過")
    d2 = reminded.draft
    alternate = on_tick(d2, cal.add_working_time(_T0, timedelta(hours=50)), policy)
    yield from each(alternate, d2, "代理への依頼")
    d3 = alternate.draft
    done = on_reply(d3, _reply(d3, _R3, Decision.APPROVE, hours=60))
    yield from each(done, d3, "承認（代理を含む）")
    yield from each(
        on_reply(done.draft, _reply(done.draft, _R2, Decision.APPROVE, hours=61)),
        done.draft,
        "確認済みへの返信",
    )
    yield from each(
        on_tick(d2, cal.add_working_time(_T0, 7 * cal.day_length), policy), d2, "期限切れ"
    )


def sample_digest_context() -> dict[str, Any]:
    from gateway.digest import build_digest_context

    cal = WorkCalendar()
    drafts = [m[2] for m in sample_mails() if m[1].status == "review-request"][:1]
    events = [
        {"action": "decision_counted", "draft_id": "D-000042", "actor": _R1,
         "at": (_T0 + timedelta(hours=1)).isoformat(), "detail": {"decision": "approve"}},
        {"action": "draft_rejected", "draft_id": "D-000043", "actor": _AUTHOR,
         "at": (_T0 + timedelta(hours=2)).isoformat(), "detail": {"clauses": ["4(1)"]}},
        {"action": "draft_returned", "draft_id": "D-000041", "actor": _R2,
         "at": (_T0 + timedelta(hours=3)).isoformat(), "detail": {}},
        {"action": "rate_deferred", "draft_id": None, "actor": _AUTHOR,
         "at": (_T0 + timedelta(hours=3)).isoformat(), "detail": {}},
    ]  # fmt: skip
    outbox = [
        {"draft_id": "D-000042", "mail_status": "review-request", "status": "failed",
         "recipients": [_R1], "failed_at": (_T0 + timedelta(hours=4)).isoformat(),
         "last_error": "550 5.1.1 User unknown"},
    ]  # fmt: skip
    return build_digest_context(drafts, events, _T0, _T0 + timedelta(days=1), cal, outbox)


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

    key = SigningKey(Ed25519PrivateKey.generate())  # a throwaway key for the sample records
    for label, spec, draft in [*sample_mails(), *sample_rule_mails()]:
        try:
            msg = build_message(
                spec,
                draft,
                gateway_address="sns-check@town.example.jp",
                token_secret=b"k" * 32,
                now=_T0,
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
            now=_T0,
            day=_T0.date(),
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
    return problems, rendered


def ensure_templates(template_dir: str | None = None) -> None:
    """Raise TemplatesBroken when any template fails to render (daemon start-up)."""
    problems, _ = check_templates(template_dir)
    if problems:
        raise TemplatesBroken(problems)


def templates_report(template_dir: str | None) -> list[Line]:
    problems, rendered = check_templates(template_dir)
    where = (
        f"{template_dir}（無いものは付属のテンプレート {templates_dir()}）"
        if template_dir
        else f"付属のテンプレート {templates_dir()}"
    )
    lines = [Line(INFO, f"テンプレート: {where}")]
    if template_dir:
        own = sorted(p.name for p in Path(template_dir).glob("*.j2"))
        lines.append(Line(INFO, f"差し替えているもの: {'、'.join(own) or 'なし'}"))
        unknown = [
            n
            for n in own
            if n.removesuffix(".txt.j2")
            not in (*STATUSES, "digest", "failed", "absence", "absence-report")
            and not n.startswith("_")
        ]
        for name in unknown:
            lines.append(Line(INFO, f"{name} は使われません（名前の誤りではありませんか）。"))
    lines.extend(Line(FAIL, p) for p in problems)
    if not problems:
        lines.append(Line(OK, f"全 {rendered} 通りの文面を見本のデータで作れました。"))
    return lines


# --------------------------------------------------------------------------- reviewers


def reviewers_report(settings: Settings) -> list[str]:
    """Who reviews each account: the first two, then the alternates, in order."""
    out: list[str] = []
    for acc in settings.accounts:
        out.append(f"{acc.name}（{acc.platform}）")
        rules = acc.rules
        if rules.stages:
            seated = {m for st in rules.stages for m in st.members}
            for i, st in enumerate(rules.stages, 1):
                label = st.name or f"第{i}段階"
                out.append(f"  {label}: {'、'.join(st.members)}（{st.required}人の承認）")
            rest = [r for r in acc.reviewers if r not in seated]
        else:
            out.append(f"  確認者: {'、'.join(acc.reviewers[:2])}")
            rest = list(acc.reviewers[2:])
        out.append(f"  代理:   {'、'.join(rest) if rest else 'なし'}")
        if rules.at_least_one_of:
            out.append(f"  必ず含める: {'、'.join(rules.at_least_one_of)} のいずれか")
        if rules.emergency:
            out.append(
                f"  緊急: 全員に依頼し二人の承認で確定、{int(rules.emergency_reminder.total_seconds() // 60)}分ごとに催促"
                + (f"（定型文 {len(rules.fixed_texts)}件）" if rules.fixed_texts else "")
            )
        out.append("")
    out.append("※ 作成者が確認者の一人のときは、その人を除いて次の人が確認者になります。")
    out.append(
        f"※ 確認者から返信がないと、{settings.reminder_after_hours:g} 勤務時間後に催促し、"
        f"さらに {settings.reminder_after_hours:g} 勤務時間後に代理の人へ確認を依頼します。"
    )
    out.append(
        "  代理は、作成者でも二人の確認者でもない、一覧で次の人です。代理の判断は、返信のない確認者の分として数えます。"
    )
    return out


# --------------------------------------------------------------------------- config check


def describe_connection_error(exc: OSError, host: str, port: int) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"{host} の証明書を確かめられませんでした（{exc.verify_message}）。"
            "事務所独自の認証局なら ca_file を指定してください。"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"{host}:{port} と暗号化を始められませんでした（{exc.reason or exc}）。"
            "security とポート番号の組み合わせ（ssl は 993/465、starttls は 143/587）を確かめてください。"
        )
    if isinstance(exc, socket.gaierror):
        return f"サーバー名 {host} が見つかりません。host を確かめてください。"
    if isinstance(exc, ConnectionRefusedError):
        return f"{host}:{port} に接続を断られました。port を確かめてください。"
    if isinstance(exc, TimeoutError):
        return (
            f"{host}:{port} から応答がありません。ポート番号やファイアウォールを確かめてください。"
        )
    return f"{host}:{port} に接続できません（{exc}）。"


def _imap_line(settings: Settings) -> Line:
    from gateway.intake import try_login

    s = settings.mailbox
    who = f"受信（IMAP）{s.host}:{s.port}（{s.security}）, {s.username}"
    try:
        result = try_login(s)
    except OSError as exc:
        return Line(FAIL, f"{who}: {describe_connection_error(exc, s.host, s.port)}")
    if result["ok"]:
        idle = (
            "IDLE 対応（届いたらすぐ処理）"
            if result["idle"]
            else f"IDLE 非対応（{s.poll_interval:g} 秒ごとに確認）"
        )
        return Line(OK, f"{who}: ログインしてフォルダ {s.folder} を開けました。{idle}")
    if result["kind"] == "login":
        return Line(
            FAIL,
            f"{who}: ログインできませんでした。username とパスワード（password_file など）を確かめてください。"
            f"（サーバーの返事: {result['detail']}）",
        )
    return Line(
        FAIL,
        f"{who}: ログイン後にフォルダ {s.folder} を開けませんでした（{result['detail']}）。folder を確かめてください。",
    )


def _smtp_line(settings: Settings) -> Line:
    from gateway.outbox import try_login

    s = settings.smtp
    who = f"送信（SMTP）{s.host}:{s.port}（{s.security}）" + (
        f", {s.username}" if s.username else ""
    )
    try:
        result = asyncio.run(try_login(s))
    except OSError as exc:
        return Line(FAIL, f"{who}: {describe_connection_error(exc, s.host, s.port)}")
    if result["ok"]:
        how = (
            "ログインできました" if s.username and s.password else "接続できました（ログインなし）"
        )
        return Line(OK, f"{who}: {how}。")
    detail = result["detail"]
    if result["kind"] == "login":
        return Line(
            FAIL,
            f"{who}: ログインできませんでした。username とパスワードを確かめてください。（サーバーの返事: {detail}）",
        )
    if result["kind"] == "timeout":
        return Line(
            FAIL,
            f"{who}: 応答がありません。ポート番号やファイアウォールを確かめてください。（{detail}）",
        )
    if result["kind"] == "connect":
        return Line(FAIL, f"{who}: 接続できません。host と port を確かめてください。（{detail}）")
    return Line(
        FAIL,
        f"{who}: やり取りに失敗しました（{detail}）。security とポート番号を確かめてください。",
    )


def _files_lines(settings: Settings) -> list[Line]:
    """The state and key files: their folders must exist and be writable (or be creatable)."""
    lines: list[Line] = []
    for folder in dict.fromkeys(Path(p).parent for p in (settings.state_path, settings.key_file)):
        if not folder.is_dir():
            lines.append(
                Line(
                    INFO,
                    f"フォルダ {folder} はまだありません（初回の起動で作られます。"
                    "systemd では StateDirectory= が作ります）。",
                )
            )
        elif not os.access(folder, os.W_OK | os.X_OK):
            lines.append(Line(FAIL, f"フォルダ {folder} に書き込めません。"))
    state, key = Path(settings.state_path), Path(settings.key_file)
    lines.append(
        Line(
            OK if state.exists() else INFO,
            f"状態ファイル: {state}（{'あり' if state.exists() else '初回の起動で作られます'}）",
        )
    )
    if not key.exists():
        lines.append(Line(INFO, f"署名の鍵: {key}（初回の起動で作られます）"))
    elif os.access(key, os.R_OK):
        lines.append(Line(OK, f"署名の鍵: {key}"))
    else:
        lines.append(Line(FAIL, f"署名の鍵 {key} を読めません。"))
    return lines


def _rules_line(settings: Settings) -> Line:
    from gateway.checker import Checker

    try:
        Checker.load(settings.check.rules_dir)
    except Exception as exc:  # a rule file that does not load: say which and why
        return Line(FAIL, f"確認ルールを読み込めません: {exc}")
    where = settings.check.rules_dir or "付属のルール"
    return Line(OK, f"確認ルール: {where}を読み込めました。")


def _summary_lines(settings: Settings) -> list[Line]:
    start, end = settings.working_hours
    lines = [
        Line(
            OK,
            f"設定ファイルの書き方: 正しく読めました（アカウント {len(settings.accounts)} 件）。",
        ),
        Line(
            INFO,
            f"勤務時間 {start:%H:%M}〜{end:%H:%M}（土日・祝日・年末年始 12/29〜1/3 は数えません）。"
            f"催促は {settings.reminder_after_hours:g} 勤務時間後、受付の期限は {settings.expire_after_days:g} 営業日。",
        ),
    ]
    if settings.admin_address:
        lines.append(
            Line(
                OK,
                f"日報: 営業日の {settings.digest_time:%H:%M} に {settings.admin_address} へ送ります。",
            )
        )
    else:
        lines.append(Line(INFO, "日報: [admin] address がないため送りません。"))
    return lines


def config_report(
    path: str, *, connect: bool = True, probes: tuple[Callable[[Settings], Line], ...] | None = None
) -> list[Line]:
    """Validate the config, then try what the daemon will need: files, rules, templates,
    the IMAP and SMTP logins (real connections unless `connect` is False)."""
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return [Line(FAIL, f"設定ファイル {exc.file} の {exc.key}: {exc.ja}")]
    lines = _summary_lines(settings)
    lines.extend(_files_lines(settings))
    lines.append(_rules_line(settings))
    problems, rendered = check_templates(settings.templates_dir)
    lines.extend(Line(FAIL, p) for p in problems)
    if not problems:
        lines.append(Line(OK, f"メールの文面（テンプレート）: 全 {rendered} 通りを作れました。"))
    if connect:
        for probe in probes or (_imap_line, _smtp_line):
            lines.append(probe(settings))
    return lines
