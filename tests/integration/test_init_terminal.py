"""`gateway init` as an admin uses it: typed at a real terminal (a pty), and from an answers
file, against a real Dovecot and aiosmtpd; the config check at its end logs in for real."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pexpect
import pytest
from harness import GATEWAY, PASSWORD, write_init_answers

from gateway.config import load_settings

pytestmark = pytest.mark.integration


def _spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    env["COLUMNS"] = "200"
    return pexpect.spawn(
        sys.executable,
        ["-m", "gateway", "init", *args],
        cwd=str(tmp_path),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(50, 200),
    )


def _answer(child: pexpect.spawn, prompt: str, answer: str) -> None:
    child.expect_exact(prompt)
    child.sendline(answer)


def test_interactive_init_at_a_terminal_writes_a_config_that_logs_in(mail_system, tmp_path):
    mail_system.add_user(GATEWAY, PASSWORD)
    target = tmp_path / "etc" / "gateway.toml"
    child = _spawn(tmp_path, "-c", str(target), "--state-dir", str(tmp_path / "state"))
    _answer(child, "役所の名前", "辰野町")
    _answer(child, "ゲートウェイのメールアドレス", GATEWAY)
    _answer(child, "サーバー名", "127.0.0.1")
    _answer(child, "暗号化", "none")
    _answer(child, "ポート番号", "70000")
    child.expect_exact("1〜65535")  # said at once, and asked again
    _answer(child, "ポート番号", str(mail_system.imap_port))
    _answer(child, "ユーザー名", GATEWAY)
    _answer(child, "パスワード", PASSWORD)  # getpass: read from the terminal, not echoed
    _answer(child, "サーバー名", "127.0.0.1")
    _answer(child, "暗号化", "none")
    _answer(child, "ポート番号", str(mail_system.smtp_port))
    _answer(child, "ユーザー名", "-")  # aiosmtpd takes mail without a login
    _answer(child, "投稿案を送れる職員", "")
    _answer(child, "管理者", "somu@town.example.jp")
    _answer(child, "アカウント名", "辰野町公式X")
    _answer(child, "種類", "")
    _answer(child, "確認者のアドレス", "kacho@town.example.jp")
    child.expect_exact("二人以上")
    _answer(child, "確認者のアドレス", "kacho@town.example.jp, kakaricho@town.example.jp")
    _answer(child, "ほかのアカウントも設定しますか", "n")
    _answer(child, "書き込みますか", "y")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    output = child.before or ""
    assert child.exitstatus == 0, output
    assert PASSWORD not in output  # never echoed, never printed
    assert "ログインしてフォルダ INBOX を開けました" in output
    assert "sudo systemctl enable --now gateway" in output
    settings = load_settings(target)
    assert settings.mailbox.port == mail_system.imap_port and settings.mailbox.password == PASSWORD
    assert settings.accounts[0].reviewers == ("kacho@town.example.jp", "kakaricho@town.example.jp")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in target.parent.iterdir()}
    assert modes == {"gateway.toml": 0o644, "imap-password": 0o600, "smtp-password": 0o600}


# Ctrl-C at a plain question (input) and at the password (getpass, which holds the terminal).
@pytest.mark.parametrize("stop_at", ["サーバー名", "パスワード"])
def test_ctrl_c_at_the_terminal_leaves_nothing(tmp_path, stop_at):
    target = tmp_path / "etc" / "gateway.toml"
    child = _spawn(tmp_path, "-c", str(target))
    _answer(child, "役所の名前", "辰野町")
    _answer(child, "ゲートウェイのメールアドレス", GATEWAY)
    if stop_at == "パスワード":
        for prompt in ("サーバー名", "暗号化", "ポート番号", "ユーザー名"):
            _answer(child, prompt, "")
    child.expect_exact(stop_at)
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "何も書き込んでいません" in (child.before or "")
    assert not target.parent.exists() or not any(target.parent.iterdir())


def test_init_from_answers_file_then_config_check(mail_system, tmp_path):
    mail_system.add_user(GATEWAY, PASSWORD)
    secret = tmp_path / "imap-secret"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    answers = write_init_answers(
        tmp_path / "answers.toml", mail_system, f'password_file = "{secret}"'
    )
    target = tmp_path / "etc" / "gateway.toml"
    child = _spawn(tmp_path, "--from", str(answers), "-c", str(target))
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 0, child.before
    from gateway.cli import main as cli_main

    assert cli_main(["config", "check", "-c", str(target)]) == 0
    # A wrong password is caught by init's own check, and said plainly.
    secret.write_text("a-mistyped-password\n", encoding="utf-8")
    child = _spawn(tmp_path, "--from", str(answers), "-c", str(target), "--force")
    child.expect(pexpect.EOF, timeout=60)
    child.close()
    assert child.exitstatus == 1
    assert "ログインできませんでした" in (child.before or "")
