"""`gateway absence add|list|remove` and `gateway reassign`: checked at once, applied by the
daemon's next tick (here: a real Gateway on the same state, no network)."""

from __future__ import annotations

import json
from datetime import datetime

from test_admin import DAIRI, KACHO, KAKARI, write_config

from gateway.businessdays import JST
from gateway.cli import main as cli_main
from gateway.config import load_settings
from gateway.daemon import open_gateway
from gateway.demo import compose_draft

AUTHOR = "sato@town.example.jp"
NOW = datetime(2026, 12, 18, 9, 0, tzinfo=JST)


def test_absence_commands_are_checked_then_applied_by_the_daemon(tmp_path, capsys):
    config = str(write_config(tmp_path))
    gw = open_gateway(load_settings(config), clock=lambda: NOW)
    # Checked at once: not a reviewer, an outsider as deputy, yourself as deputy.
    base = ["absence", "add", "-c", config, "--from", "2026-12-21", "--to", "2026-12-23"]
    assert cli_main([*base, "--reviewer", AUTHOR, "--deputy", DAIRI]) == 1
    assert cli_main([*base, "--reviewer", KAKARI, "--deputy", "x@outside.example.com"]) == 1
    assert cli_main([*base, "--reviewer", KAKARI, "--deputy", "Kakaricho@Town.Example.JP"]) == 1
    capsys.readouterr()
    assert cli_main([*base, "--reviewer", KAKARI, "--deputy", DAIRI]) == 0
    assert "次の定期処理" in capsys.readouterr().out
    assert cli_main(["absence", "list", "-c", config]) == 0
    assert "（反映待ち）" in capsys.readouterr().out
    gw.tick()
    assert cli_main(["absence", "list", "-c", config, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["absences"]
    assert [(r["id"], r["reviewer"], r["deputy"], r["state"]) for r in rows] == [
        ("A-000001", KAKARI, DAIRI, "confirmed")
    ]
    assert cli_main(["absence", "remove", "-c", config, "A-000009"]) == 1
    assert cli_main(["absence", "remove", "-c", config, "a-000001"]) == 0
    gw.tick()
    assert [a.state for a in gw.store.absences()] == ["removed"]


def test_an_absence_that_overlaps_or_is_over_is_refused_at_once(tmp_path, capsys):
    from datetime import timedelta

    config = str(write_config(tmp_path))
    gw = open_gateway(load_settings(config), clock=lambda: datetime.now(JST))
    today = datetime.now(JST).date()
    start, end = today + timedelta(days=3), today + timedelta(days=6)
    base = ["absence", "add", "-c", config, "--reviewer", KAKARI]
    assert cli_main([*base, "--deputy", DAIRI, "--from", str(start), "--to", str(end)]) == 0
    gw.tick()
    capsys.readouterr()
    later = [str(start + timedelta(days=2)), "--to", str(end + timedelta(days=2))]
    assert cli_main([*base, "--deputy", KACHO, "--from", *later]) == 1
    assert "A-000001" in capsys.readouterr().err  # the admin is told which one, not the log
    past = [str(today - timedelta(days=9)), "--to", str(today - timedelta(days=8))]
    assert cli_main([*base, "--deputy", KACHO, "--from", *past]) == 1
    assert "過ぎた期間" in capsys.readouterr().err


def test_the_admins_absence_replaces_an_unconfirmed_one_set_by_mail(tmp_path, capsys):
    config = str(write_config(tmp_path))
    gw = open_gateway(load_settings(config), clock=lambda: NOW)
    mail = compose_draft(KAKARI, "不在", "不在 12/21-12/23 代理 kacho@town.example.jp\n")
    assert gw.handle_raw(mail) == "absence_request"  # never confirmed (perhaps forged)
    base = ["absence", "add", "-c", config, "--reviewer", KAKARI, "--deputy", DAIRI]
    assert cli_main([*base, "--from", "2026-12-21", "--to", "2026-12-23"]) == 0
    gw.tick()
    assert [(a.deputy, a.state) for a in gw.store.absences()] == [
        (KACHO, "removed"),
        (DAIRI, "confirmed"),
    ]


def test_reassign_is_checked_then_applied_by_the_daemon(tmp_path, capsys):
    config = str(write_config(tmp_path))
    gw = open_gateway(load_settings(config), clock=lambda: NOW)
    text = "アカウント: 辰野町公式X\n\n防災訓練を行います。\n"
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練", text)) == "draft"
    assert cli_main(["reassign", "-c", config, "D-000009", "--from", KAKARI, "--to", DAIRI]) == 1
    assert cli_main(["reassign", "-c", config, "D-000001", "--from", KAKARI, "--to", AUTHOR]) == 1
    assert (
        cli_main(
            ["reassign", "-c", config, "D-000001", "--from", KAKARI, "--to", "x@town.example.jp"]
        )
        == 1
    )  # not listed for the account
    capsys.readouterr()
    assert cli_main(["reassign", "-c", config, "d-000001", "--from", KAKARI, "--to", DAIRI]) == 0
    gw.tick()
    draft = gw.store.get_draft("D-000001")
    assert draft.reviewers == (KACHO, DAIRI)
    moved = [e for e in gw.store.all_events() if e["action"] == "reviewer_replaced"]
    assert moved[0]["actor"] == "admin" and moved[0]["detail"]["why"] == "reassign"


def test_status_shows_the_open_stage_and_emergencies(tmp_path, capsys):
    extra = ""
    config = write_config(tmp_path, extra)
    text = config.read_text(encoding="utf-8").replace(
        f'reviewers = ["{KACHO}", "{KAKARI}", "{DAIRI}"]',
        f'emergency = true\n[[accounts.stages]]\nname = "係長"\nreviewers = ["{KAKARI}"]\n'
        f'[[accounts.stages]]\nname = "課長"\nreviewers = ["{KACHO}", "{DAIRI}"]',
        1,
    )
    config.write_text(text, encoding="utf-8")
    gw = open_gateway(load_settings(str(config)), clock=lambda: NOW)
    body = "アカウント: 辰野町公式X\n\n防災訓練を行います。\n"
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練", body)) == "draft"
    assert (
        gw.handle_raw(compose_draft(AUTHOR, "【緊急】断水", body.replace("防災訓練", "断水")))
        == "draft"
    )
    capsys.readouterr()
    assert cli_main(["status", "-c", str(config), "--format", "json"]) == 0
    rows = {r["draft_id"]: r for r in json.loads(capsys.readouterr().out)["in_review"]}
    assert rows["D-000001"]["stage"] == "1/2 係長" and rows["D-000001"]["waiting_on"] == [KAKARI]
    assert rows["D-000002"]["emergency"] is True
    assert sorted(rows["D-000002"]["waiting_on"]) == sorted([KACHO, KAKARI, DAIRI])
    assert cli_main(["status", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "【緊急】D-000002" in out and "段階: 1/2 係長" in out
