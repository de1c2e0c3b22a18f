"""What the admin (総務課) runs by hand: config check, reviewers, templates check.

Each check returns lines of Japanese that say what is right and what is wrong, so the
CLI only prints them. The templates are checked by gateway.template_check (which the
daemon also runs at start-up); this module turns its findings into the admin's report.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gateway.config import load_settings
from gateway.config_reader import ConfigError
from gateway.render import STATUSES, templates_dir
from gateway.settings import Settings
from gateway.template_check import check_templates

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
            not in (*STATUSES, "digest", "failed", "absence", "absence-report", "deferred",
                   "on-behalf")
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
