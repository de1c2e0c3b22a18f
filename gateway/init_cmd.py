"""`gateway init`: the admin's first setup, in Japanese, from questions or an answers file.

Nothing is written until every answer has been given and the whole config has loaded:
the config and the two password files are written into a private folder beside the
target first, checked with the daemon's own config loader, then moved into place with
Ctrl-C held back, so an interrupted setup leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import signal
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from gateway import init_answers as ask
from gateway.init_answers import (
    IMAP_PASSWORD_FILE,
    IMAP_PORTS,
    PLATFORM_LABELS,
    SMTP_PASSWORD_FILE,
    SMTP_PORTS,
    AccountAnswer,
    Answers,
    AnswersFileError,
    Invalid,
    Server,
)

DEFAULT_CONFIG = "/etc/gateway/gateway.toml"
DEFAULT_STATE_DIR = "/var/lib/gateway"
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

T = TypeVar("T")


class Prompter:
    """Questions on the terminal; each answer is validated at once and asked again if wrong."""

    def __init__(
        self,
        read: Callable[[str], str] = input,
        read_secret: Callable[[str], str] = getpass.getpass,
        write: Callable[[str], None] = print,
    ) -> None:
        self.read, self.read_secret, self.write = read, read_secret, write

    def ask(self, question: str, check: Callable[[str], T], default: str | None = None) -> T:
        suffix = f" [{default}]" if default else ""
        while True:
            raw = self.read(f"{question}{suffix}: ")
            if not raw.strip() and default is not None:
                raw = default
            try:
                return check(raw)
            except Invalid as exc:
                self.write(f"  → {exc}")

    def secret(self, question: str, *, allow_empty: bool = False) -> str:
        while True:
            raw = self.read_secret(f"{question}: ")
            if allow_empty and raw == "":
                return raw
            try:
                return ask.password(raw)
            except Invalid as exc:
                self.write(f"  → {exc}")

    def yes(self, question: str, default: bool) -> bool:
        hint = "Y/n" if default else "y/N"
        while True:
            raw = self.read(f"{question} [{hint}]: ").strip().lower()
            if not raw:
                return default
            if raw in ("y", "yes", "はい"):
                return True
            if raw in ("n", "no", "いいえ"):
                return False
            self.write("  → y（はい）か n（いいえ）で答えてください。")


def interview(p: Prompter) -> Answers:
    """The questions, in the order an admin thinks of them, with defaults where one is sensible."""
    p.write("ゲートウェイの初期設定をします。[ ] 内は既定値です（Enter でそのまま使います）。")
    p.write("途中でやめるときは Ctrl-C を押してください（何も書き込みません）。\n")
    office = p.ask("役所の名前（例: 辰野町）", lambda v: ask.text(v, "役所の名前"))
    gw = p.ask(
        "ゲートウェイのメールアドレス（例: sns-check@town.example.jp）",
        lambda v: ask.address(v, allow_plus=False),
    )
    p.write("\n受信（IMAP）サーバー")
    imap = _server(p, ask.default_imap_host(gw), "ssl", IMAP_PORTS, gw, None)
    p.write("\n送信（SMTP）サーバー")
    smtp = _server(p, imap.host, "starttls", SMTP_PORTS, imap.username, imap)
    p.write("")
    allowed = p.ask(
        "投稿案を送れる職員（アドレスか *@ドメイン、カンマ区切り）",
        ask.staff,
        f"*@{ask.domain_of(gw)}",
    )
    admin = p.ask("管理者（総務課）のアドレス（日報が届きます）", ask.address)
    accounts: list[AccountAnswer] = []
    platforms = "、".join(f"{k}（{v}）" for k, v in PLATFORM_LABELS.items())
    while True:
        p.write(f"\n公式アカウント {len(accounts) + 1} 件目")
        taken = tuple(a.name for a in accounts)
        name = p.ask("アカウント名（例: 辰野町公式X）", lambda v, t=taken: ask.account_name(v, t))
        p.write(f"  種類: {platforms}")
        kind = p.ask("種類", ask.platform, "x")
        people = p.ask("確認者のアドレス（二人以上、カンマ区切り）", lambda v: ask.reviewers(v, gw))
        accounts.append(AccountAnswer(name, kind, people))
        if not p.yes("ほかのアカウントも設定しますか", False):
            break
    return Answers(office, gw, imap, smtp, allowed, admin, tuple(accounts))


def _server(
    p: Prompter,
    default_host: str,
    default_mode: str,
    ports: dict[str, int],
    default_user: str,
    same_as: Server | None,
) -> Server:
    h = p.ask("サーバー名", ask.host, default_host)
    mode = p.ask("暗号化（ssl / starttls / none）", lambda v: ask.security(v, h), default_mode)
    number = p.ask("ポート番号", ask.port, str(ports[mode]))
    if same_as is None:
        user = p.ask("ユーザー名", lambda v: ask.text(v, "ユーザー名"), default_user)
    else:
        user = p.ask("ユーザー名（ログインせずに送るサーバーなら -）", ask.login_name, default_user)
        if not user:
            return Server(h, number, mode, "", "")
    if same_as is not None:
        secret = p.secret("パスワード（受信と同じなら Enter）", allow_empty=True)
        secret = secret or same_as.password
    else:
        secret = p.secret("パスワード（表示されません）")
    return Server(h, number, mode, user, secret)


def summary(a: Answers) -> list[str]:
    lines = [
        f"  役所: {a.office_name}",
        f"  ゲートウェイのアドレス: {a.address}",
        f"  受信: {a.imap.host}:{a.imap.port}（{a.imap.security}）{a.imap.username}",
        f"  送信: {a.smtp.host}:{a.smtp.port}（{a.smtp.security}）{a.smtp.username or 'ログインなし'}",
        f"  投稿案を送れる職員: {'、'.join(a.staff_allowed)}",
        f"  管理者: {a.admin_address}",
    ]
    for acc in a.accounts:
        lines.append(f"  {acc.name}（{acc.platform}）確認者: {'、'.join(acc.reviewers)}")
    return lines


# --------------------------------------------------------------------------- writing


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Hold Ctrl-C (and TERM) back while files are moved into place."""
    blocked = {signal.SIGINT, signal.SIGTERM}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _example(target: Path) -> Path:
    """The commented example config the admin can read: beside the config (the Debian
    package's conffile), else the copy shipped in the wheel."""
    from gateway.resources import data_dir

    beside = target.parent / "gateway.toml.example"
    return beside if beside.is_file() else data_dir("examples") / "gateway.example.toml"


def write_config(answers: Answers, target: Path, state_dir: str) -> list[Path]:
    """Write the config (0644) and the two password files (0600) beside it, atomically.

    Raises ConfigError if the daemon's own loader refuses what would be written (then
    nothing is written)."""
    from gateway.config import load_settings
    from gateway.durable import fsync_dir

    target = target.absolute()
    target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    files = {
        target.name: (ask.config_text(answers, state_dir, stamp, str(_example(target))), 0o644),
        IMAP_PASSWORD_FILE: (answers.imap.password, 0o600),
        # Written even when SMTP needs no login: the unit loads it as a credential.
        SMTP_PASSWORD_FILE: (answers.smtp.password, 0o600),
    }
    staging = Path(tempfile.mkdtemp(prefix=".gateway-init-", dir=target.parent))
    try:
        for name, (content, mode) in files.items():
            path = staging / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(content)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(path, mode)  # whatever the umask
        load_settings(staging / target.name)  # the daemon's own check, before anything moves
        written = []
        with _no_interrupt():
            # Passwords first, the config last: a config on disk always has its passwords.
            for name in (IMAP_PASSWORD_FILE, SMTP_PASSWORD_FILE, target.name):
                os.replace(staging / name, target.parent / name)
                written.append(target.parent / name)
            fsync_dir(target.parent)
        return written
    finally:
        for leftover in staging.iterdir():
            leftover.unlink()
        staging.rmdir()


# --------------------------------------------------------------------------- command


def _load_answers_file(path: str) -> Answers:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    return ask.answers_from_mapping(data)


def cmd_init(args: argparse.Namespace, prompter: Prompter | None = None) -> int:
    from gateway.admin import config_report, failed
    from gateway.config_reader import ConfigError

    target = Path(args.config)
    out = prompter.write if prompter else print
    try:
        if args.answers:
            try:
                answers = _load_answers_file(args.answers)
            except OSError as exc:
                out(f"回答ファイル {args.answers} を読めません（{exc.strerror}）。")
                return EXIT_USAGE
            except tomllib.TOMLDecodeError as exc:
                out(f"回答ファイル {args.answers} の書き方が正しくありません: {exc}")
                return EXIT_USAGE
            except AnswersFileError as exc:
                out(f"回答ファイル {args.answers} の {exc.key}: {exc.message}")
                return EXIT_USAGE
            if target.exists() and not args.force:
                out(f"{target} はもうあります。上書きするときは --force を付けてください。")
                return EXIT_FAIL
        else:
            p = prompter or Prompter()
            if (
                target.exists()
                and not args.force
                and not p.yes(f"{target} はもうあります。上書きしますか", False)
            ):
                out("何も変更していません。")
                return EXIT_OK
            answers = interview(p)
            out("\nこの内容で設定します:")
            for line in summary(answers):
                out(line)
            if not p.yes("書き込みますか", True):
                out("何も書き込んでいません。")
                return EXIT_OK
        try:
            written = write_config(answers, target, args.state_dir)
        except ConfigError as exc:
            out(f"設定を作れませんでした（{exc.key}: {exc.ja}）。何も書き込んでいません。")
            return EXIT_FAIL
        except OSError as exc:
            out(f"{target.parent} に書き込めません（{exc.strerror}）。sudo で実行してください。")
            return EXIT_FAIL
    except (KeyboardInterrupt, EOFError):
        out("\n中断しました。何も書き込んでいません。")
        return EXIT_INTERRUPTED

    out("\n書き込みました:")
    for path in written:
        out(f"  {path}（{oct(path.stat().st_mode & 0o777)[2:]}）")
    out(
        "\n設定を確かめます"
        + (
            "（IMAP と SMTP にログインはしません）…"
            if args.no_connect
            else "（IMAP と SMTP に実際にログインします）…"
        )
    )
    lines = config_report(str(target), connect=not args.no_connect)
    for line in lines:
        out(str(line))
    if failed(lines):
        out(
            f"\n× の項目を直してから `sudo gateway config check -c {target}` で"
            "もう一度確かめてください。"
        )
        return EXIT_FAIL
    out("\n設定は以上です。次のコマンドでサービスを開始してください:")
    out("  sudo systemctl enable --now gateway")
    out("  systemctl status gateway")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser(
        "init", help="最初の設定を対話で作る (write the config interactively or from answers)"
    )
    init.add_argument(
        "-c",
        "--config",
        default=DEFAULT_CONFIG,
        help=f"書き込む設定ファイル (default {DEFAULT_CONFIG})",
    )
    init.add_argument(
        "--from",
        dest="answers",
        metavar="ANSWERS.toml",
        help="質問の代わりに回答ファイルを使う (non-interactive)",
    )
    init.add_argument(
        "--state-dir",
        default=DEFAULT_STATE_DIR,
        help=f"状態と署名の鍵を置くフォルダ (default {DEFAULT_STATE_DIR})",
    )
    init.add_argument("--force", action="store_true", help="既存の設定を上書きする")
    init.add_argument("--no-connect", action="store_true", help="IMAP/SMTP へのログインを試さない")
    init.set_defaults(func=lambda a: cmd_init(a))
