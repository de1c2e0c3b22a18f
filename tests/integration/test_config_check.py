"""`gateway config check` against a real Dovecot and aiosmtpd: right and wrong logins."""

from __future__ import annotations

import pytest
from harness import GATEWAY, PASSWORD, write_config

from gateway.cli import main as cli_main

pytestmark = pytest.mark.integration


def test_config_check_logs_in_for_real(mail_system, tmp_path, capsys):
    mail_system.add_user(GATEWAY, PASSWORD)
    path = write_config(mail_system, tmp_path)
    assert cli_main(["config", "check", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "ログインしてフォルダ INBOX を開けました" in out
    assert "○ 送信（SMTP）" in out and "接続できました（ログインなし）" in out
    assert "問題は見つかりませんでした。" in out


def test_config_check_says_the_password_is_wrong(mail_system, tmp_path, capsys):
    mail_system.add_user(GATEWAY, "another-password")
    path = write_config(mail_system, tmp_path)
    assert cli_main(["config", "check", "-c", str(path)]) == 1
    out = capsys.readouterr().out
    assert "× 受信（IMAP）" in out
    assert "ログインできませんでした。username とパスワード" in out
    assert PASSWORD not in out and "another-password" not in out


def test_config_check_says_the_folder_is_missing(mail_system, tmp_path, capsys):
    mail_system.add_user(GATEWAY, PASSWORD)
    path = write_config(mail_system, tmp_path)
    path.write_text(
        path.read_text().replace("poll_interval = 1", 'poll_interval = 1\nfolder = "Drafts-X"')
    )
    assert cli_main(["config", "check", "-c", str(path)]) == 1
    assert "フォルダ Drafts-X を開けませんでした" in capsys.readouterr().out
