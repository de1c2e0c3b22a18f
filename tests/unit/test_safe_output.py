"""Safe output: text from mail never acts on a terminal, a spreadsheet or a reviewer."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from test_admin import write_config

from gateway.cli import main as cli_main
from gateway.cli_report import export_csv
from gateway.config import load_settings
from gateway.daemon import open_gateway
from gateway.mime import read_message
from gateway.safetext import csv_cell, neutral_filename, terminal_safe
from gateway.workflow import NewDraft, on_new_draft
from gateway.workflow import Policy as WfPolicy

JST = ZoneInfo("Asia/Tokyo")
KACHO, KAKARI = "kacho@town.example.jp", "kakaricho@town.example.jp"
#: Clears the screen, homes the cursor and prints a fake all-clear; then an OSC 8 link
#: and an 8-bit CSI (0x9b), which some terminals also obey.
HOSTILE = "防災\x1b[2J\x1b[H確認中の投稿案はありません。\x1b]8;;http://evil/\x07x\x1b]8;;\x07\x9b31m\u202e"


def test_terminal_safe_shows_every_control_and_keeps_japanese():
    shown = terminal_safe(HOSTILE)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown
    assert "\\x1b[2J" in shown and "\\x9b" in shown and "\\u202e" in shown
    assert shown.startswith("防災") and terminal_safe("「防災訓練」") == "「防災訓練」"


def test_status_prints_a_hostile_subject_harmlessly(tmp_path, capsys):
    path = write_config(tmp_path)
    gw = open_gateway(load_settings(path))
    event = NewDraft(
        author="sato@town.example.jp", author_name="佐藤", subject=HOSTILE, message_id="<d@x>",
        references=(), text="本文", account="辰野町公式X", schedule=None, findings=(),
        attachments=(), at=datetime(2026, 11, 24, 9, tzinfo=JST),
    )  # fmt: skip
    draft = on_new_draft(event, None, "D-000001", WfPolicy({"辰野町公式X": (KACHO, KAKARI)}))
    with gw.store.transaction() as store:
        store.put_draft(draft.draft)
    gw.store.close()
    assert cli_main(["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert out.startswith("確認中の投稿案: 1件")
    assert cli_main(["status", "-c", str(path), "--format", "json"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
    assert json.loads(out)["in_review"][0]["subject"] == HOSTILE  # the same data, escaped


@pytest.mark.parametrize(
    "value", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1,1)", "\t=1", "\r=1", "＝1+1"]
)
def test_csv_cells_never_start_a_formula(value):
    assert csv_cell(value) == "'" + value


def test_export_escapes_formulas_from_mail(tmp_path):
    events = [
        {"at": "2026-11-24T09:05:00+09:00", "action": "stranger_ignored", "draft_id": None,
         "actor": "=HYPERLINK(\"http://evil\")@evil.example", "detail": {"subject": "x"}},
        {"at": "2026-11-24T09:06:00+09:00", "action": "draft_received", "draft_id": "D-000001",
         "actor": "sato@town.example.jp", "detail": {}},
    ]  # fmt: skip
    rows = list(csv.reader(io.StringIO(export_csv(events).decode("utf-8-sig"), newline="")))
    assert rows[1][3] == "'=HYPERLINK(\"http://evil\")@evil.example"
    assert rows[2][3] == "sato@town.example.jp"  # ordinary cells are as they were
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


def test_attachment_names_with_direction_controls_are_neutralised():
    assert neutral_filename("photo\u202egnp.exe") == ("photognp.exe", True)
    assert neutral_filename("写真.jpg") == ("写真.jpg", False)
    assert neutral_filename("..\\..\\evil\u200b.jpg")[0] == "_.._evil.jpg"


def _with_attachment(disposition: bytes) -> bytes:
    return (
        b"From: sato@town.example.jp\r\nTo: sns-check@town.example.jp\r\nSubject: x\r\n"
        b"Message-ID: <att@town.example.jp>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=Shift_JIS\r\n\r\nhello\r\n--XX\r\n"
        b"Content-Type: image/jpeg\r\nContent-Disposition: " + disposition + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n/9j/4AAQ\r\n--XX--\r\n"
    )


@pytest.mark.parametrize("codec", ["cp932", "utf-8"])
def test_raw_8bit_names_from_old_phones_are_decoded(codec):
    raw = _with_attachment(b'attachment; filename="' + "運動会の写真１.jpg".encode(codec) + b'"')
    (att,) = read_message(raw, []).attachments
    assert att.filename == "運動会の写真１.jpg"


def test_an_encoded_name_with_an_override_reaches_reviewers_neutralised():
    raw = _with_attachment(b"attachment; filename*=UTF-8''photo%E2%80%AEgnp.exe")
    (att,) = read_message(raw, []).attachments
    assert att.filename == "photognp.exe"
