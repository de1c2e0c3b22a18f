"""Admin tools: templates check, reviewers, config check, the CSV export read back."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import datetime, time
from pathlib import Path

import pytest

from gateway.admin import FAIL, config_report, failed, reviewers_report
from gateway.businessdays import JST
from gateway.cli import main as cli_main
from gateway.cli_report import export_csv
from gateway.config import load_settings
from gateway.daemon import open_gateway
from gateway.render import STATUSES, templates_dir
from gateway.template_check import TemplatesBroken, check_templates, ensure_templates

KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp_path: Path, extra: str = "", port: int | None = None) -> Path:
    port = port or free_port()  # nothing listens there: connection refused
    path = tmp_path / "gateway.toml"
    path.write_text(
        f"""
[mailbox]
host = "127.0.0.1"
port = {port}
security = "none"
username = "sns-check@town.example.jp"
password = "x"
address = "sns-check@town.example.jp"
[smtp]
host = "127.0.0.1"
port = {port}
security = "none"
[state]
path = "{tmp_path / "state" / "state.json"}"
[signing]
key_file = "{tmp_path / "state" / "signing.key"}"
[staff]
allowed = ["*@town.example.jp"]
{extra}
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["{KACHO}", "{KAKARI}", "{DAIRI}"]
[[accounts]]
name = "辰野町観光FB"
platform = "facebook"
reviewers = ["{KAKARI}", "{KACHO}"]
""",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- templates


def test_shipped_templates_render_every_status():
    problems, rendered = check_templates()
    assert problems == []
    assert rendered >= len(STATUSES) + 1  # every status, its variants, and the digest


def own_templates(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / "templates"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text, encoding="utf-8")
    return d


def test_syntax_error_is_reported_in_japanese_with_file_and_line(tmp_path):
    shipped = (templates_dir() / "reminder.txt.j2").read_text(encoding="utf-8")
    broken = shipped.replace("{{ reviewer }} 様", "{{ reviewer 様", 1)
    d = own_templates(tmp_path, "reminder.txt.j2", broken)
    problems, _ = check_templates(str(d))
    assert len(problems) == 1
    assert problems[0].startswith("reminder.txt.j2 の 2 行目: 書き方に誤りがあります")


def test_unknown_variable_is_named(tmp_path):
    d = own_templates(
        tmp_path,
        "receipt.txt.j2",
        '{% import "_macros.j2" as m %}\n{{ draft_id }} を受け付けました。\n{{ reviewer_name }} 様\n',
    )
    problems, _ = check_templates(str(d))
    assert problems == [
        "receipt.txt.j2 の 3 行目: 使えない変数「reviewer_name」があります。"
        "使える変数は docs/templates.md を見てください。"
    ]
    with pytest.raises(TemplatesBroken, match="reviewer_name"):
        ensure_templates(str(d))


def test_an_office_overrides_one_template_and_keeps_the_rest(tmp_path):
    d = own_templates(tmp_path, "receipt.txt.j2", "{{ draft_id }} を受け付けました（辰野町）。\n")
    assert check_templates(str(d))[0] == []
    from gateway.render import render_body

    assert (
        render_body("receipt", {"draft_id": "D-1"}, str(d)) == "D-1 を受け付けました（辰野町）。\n"
    )
    assert "様" in render_body(
        "expired",
        {
            "draft_id": "D-1",
            "version": 1,
            "subject": "s",
            "author": "a@x",
        },
        str(d),
    )


def test_daemon_start_up_refuses_a_broken_template(tmp_path):
    d = own_templates(tmp_path, "approved.txt.j2", "{% for a in approvals %}\n")
    path = write_config(tmp_path, f'[templates]\ndir = "{d}"\n')
    settings = load_settings(path)
    with pytest.raises(TemplatesBroken, match=r"approved\.txt\.j2"):
        open_gateway(settings)
    assert not Path(settings.state_path).exists()  # nothing touched before the check


def test_templates_check_command(tmp_path, capsys):
    assert cli_main(["templates", "check"]) == 0
    assert "○ 全" in capsys.readouterr().out
    d = own_templates(tmp_path, "notice.txt.j2", "{% if reason %}\n")
    path = write_config(tmp_path, f'[templates]\ndir = "{d}"\n')
    assert cli_main(["templates", "check", "-c", str(path)]) == 1
    out = capsys.readouterr().out
    assert "× notice.txt.j2" in out and "差し替えているもの: notice.txt.j2" in out


def test_config_rejects_a_missing_templates_dir(tmp_path, capsys):
    path = write_config(tmp_path, f'[templates]\ndir = "{tmp_path / "nope"}"\n')
    lines = config_report(str(path), connect=False)
    assert failed(lines) and "templates.dir" in lines[0].text and "ありません" in lines[0].text


# --------------------------------------------------------------------------- reviewers


def test_reviewers_lists_first_two_then_alternates(tmp_path, capsys):
    settings = load_settings(write_config(tmp_path))
    text = "\n".join(reviewers_report(settings))
    assert f"辰野町公式X（x）\n  確認者: {KACHO}、{KAKARI}\n  代理:   {DAIRI}" in text
    assert f"辰野町観光FB（facebook）\n  確認者: {KAKARI}、{KACHO}\n  代理:   なし" in text
    assert cli_main(["reviewers", "-c", str(write_config(tmp_path))]) == 0
    assert "確認者" in capsys.readouterr().out


# --------------------------------------------------------------------------- config check


def test_config_check_without_connecting(tmp_path):
    lines = config_report(str(write_config(tmp_path)), connect=False)
    assert not failed(lines)
    texts = "\n".join(str(line) for line in lines)
    assert "○ 設定ファイルの書き方: 正しく読めました（アカウント 2 件）" in texts
    assert "勤務時間 08:30〜17:15" in texts
    assert "日報: [admin] address がないため送りません" in texts
    assert "○ メールの文面" in texts


def test_config_check_says_what_is_wrong_with_the_file(tmp_path):
    path = write_config(tmp_path, '[review]\nworking_hours = "17:15-08:30"\n')
    (line,) = config_report(str(path), connect=False)
    assert line.mark == FAIL
    assert "review.working_hours" in line.text and "08:30-17:15" in line.text


def test_config_check_tries_real_connections_and_says_refused(tmp_path, capsys):
    path = write_config(tmp_path, '[admin]\naddress = "somu@town.example.jp"\n')
    assert cli_main(["config", "check", "-c", str(path)]) == 1
    out = capsys.readouterr().out
    assert "× 受信（IMAP）127.0.0.1" in out and "接続を断られました" in out
    assert "× 送信（SMTP）127.0.0.1" in out
    assert "○ 日報: 営業日の 08:30 に somu@town.example.jp へ送ります。" in out
    assert "× の項目を直してから" in out


# --------------------------------------------------------------------------- export


def test_export_csv_reads_back_with_the_japanese_intact(tmp_path):
    events = [
        {
            "at": datetime(2026, 11, 24, 9, 5, tzinfo=JST).isoformat(),
            "action": "decision_counted",
            "draft_id": "D-000042",
            "actor": KACHO,
            "detail": {"decision": "send_back", "comment": "日付が違います、「12月6日（日）」では？"},
        },
        {"at": "2026-11-24T10:00:00+09:00", "action": "digest_queued", "draft_id": None,
         "actor": "gateway", "detail": {}},
    ]  # fmt: skip
    data = export_csv(events)
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    path = tmp_path / "audit.csv"
    path.write_bytes(data)
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["日時", "操作", "案件番号", "実行者", "詳細"]
    assert rows[1][:4] == ["2026-11-24T09:05:00+09:00", "decision_counted", "D-000042", KACHO]
    assert json.loads(rows[1][4])["comment"] == "日付が違います、「12月6日（日）」では？"
    assert rows[2][2] == "" and len(rows) == 3
    # CRLF row ends, as Excel writes them
    assert data.count(b"\r\n") == 3


def test_export_command_writes_the_store_as_csv(tmp_path, capsysbinary):
    path = write_config(tmp_path)
    gw = open_gateway(load_settings(path), clock=lambda: datetime(2026, 11, 24, 9, tzinfo=JST))
    from gateway.workflow import AuditEvent

    with gw.store.transaction() as store:
        store.add_event(
            AuditEvent("draft_rejected", "D-000001", "sato@town.example.jp",
                       datetime(2026, 11, 24, 9, tzinfo=JST), {"reason": "check-error", "clauses": ["3(7)エ"]})
        )  # fmt: skip
    gw.store.close()
    assert cli_main(["export", "-c", str(path)]) == 0
    out = capsysbinary.readouterr().out
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert rows[1][1] == "draft_rejected" and "3(7)エ" in rows[1][4]


def test_the_example_config_loads_with_passwords_beside_it(tmp_path):
    example = Path(__file__).resolve().parents[2] / "docs" / "gateway.example.toml"
    path = tmp_path / "gateway.toml"
    path.write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "imap-password").write_text("imap-secret\n")
    (tmp_path / "smtp-password").write_text("smtp-secret\n")
    settings = load_settings(path)
    assert settings.mailbox.password == "imap-secret" and settings.smtp.password == "smtp-secret"
    assert settings.admin_address == "somu@town.example.jp"
    assert settings.working_hours == (time(8, 30), time(17, 15))
    assert settings.digest_time == time(8, 30) and settings.templates_dir is None


def test_run_stops_with_78_on_a_broken_template(tmp_path, capsys):
    d = own_templates(tmp_path, "expired.txt.j2", "{{ waiting_on | join( }}\n")
    path = write_config(tmp_path, f'[templates]\ndir = "{d}"\n')
    assert cli_main(["run", "-c", str(path)]) == 78  # systemd: RestartPreventExitStatus=78
    err = capsys.readouterr().err
    assert "起動できません。メールの文面（テンプレート）に誤りがあります" in err
    assert "expired.txt.j2 の 1 行目" in err


def test_status_shows_who_stands_in(tmp_path, capsys):
    from dataclasses import replace

    from gateway.workflow import NewDraft, on_new_draft
    from gateway.workflow import Policy as WfPolicy

    path = write_config(tmp_path)
    gw = open_gateway(load_settings(path))
    event = NewDraft(
        author="sato@town.example.jp",
        author_name="佐藤",
        subject="防災訓練のお知らせ",
        message_id="<d@x>",
        references=(),
        text="本文",
        account="辰野町公式X",
        schedule=None,
        findings=(),
        attachments=(),
        at=datetime(2026, 11, 24, 9, tzinfo=JST),
    )
    draft = on_new_draft(event, None, "D-000001", WfPolicy({"辰野町公式X": (KACHO, KAKARI, DAIRI)}))
    with gw.store.transaction() as store:
        store.put_draft(replace(draft.draft, alternates=((KAKARI, DAIRI),)))
    gw.store.close()
    assert cli_main(["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"返信待ち: {KACHO}、{KAKARI}（代理: {DAIRI}）" in out


def test_an_approved_template_that_breaks_verify_is_reported(tmp_path):
    """An office's approved mail must still show the post between our markers, as
    `gateway verify` recomputes it; one that prints the raw text instead is refused."""
    d = own_templates(
        tmp_path,
        "approved.txt.j2",
        "{{ author }} 様\n承認されました。\n\n{{ text }}\n",
    )
    problems, _ = check_templates(str(d))
    assert problems and all("gateway verify" in p for p in problems)
    assert any("投稿文の添付（post.txt）がありません" in p for p in problems)
