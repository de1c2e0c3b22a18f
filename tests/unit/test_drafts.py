"""split_draft: control lines, signature, exact post text."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.drafts import parse_schedule, split_draft


def test_plain_text_is_kept_exactly() -> None:
    text = "【お知らせ】\n\n  字下げも　全角空白も残る\n最後の行"
    parts = split_draft(text + "\n\n")
    assert parts.post_text == text
    assert parts.account is None and parts.schedule is None and parts.signature == ""


@pytest.mark.parametrize(
    "line",
    [
        "アカウント: 辰野町公式X",
        "アカウント：辰野町公式X",
        "account: 辰野町公式X",
        "Account:辰野町公式X",
    ],
)
def test_account_line(line: str) -> None:
    parts = split_draft(f"{line}\n\n\n本文です。")
    assert parts.account == "辰野町公式X"
    assert parts.post_text == "本文です。"


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-25 10:00",
        "2026/11/25 10:00",
        "２０２６－１１－２５　１０：００",
        "2026年11月25日 10時00分",
        "２０２６年１１月２５日 １０時００分",
        "2026年11月25日(水) 10:00",
        "2026年11月25日 10時",
    ],
)
def test_schedule_formats(value: str) -> None:
    parts = split_draft(f"投稿予定: {value}\n本文")
    assert parts.schedule == datetime(2026, 11, 25, 10, 0)
    assert parts.schedule_raw is None
    assert parts.post_text == "本文"


def test_both_control_lines_any_order_full_width_colon() -> None:
    parts = split_draft("schedule：2026/11/25 10:00\nアカウント：町公式\n\n本文")
    assert parts.account == "町公式"
    assert parts.schedule == datetime(2026, 11, 25, 10, 0)
    assert parts.post_text == "本文"


def test_unparseable_schedule_is_kept_raw() -> None:
    parts = split_draft("投稿予定: 来週の月曜\n本文")
    assert parts.schedule is None
    assert parts.schedule_raw == "投稿予定: 来週の月曜"
    assert parts.post_text == "本文"


def test_invalid_date() -> None:
    assert parse_schedule("2026-02-30 10:00") is None


@pytest.mark.parametrize("delim", ["-- ", "--"])
def test_signature(delim: str) -> None:
    parts = split_draft(f"本文\n{delim}\n総務課 佐藤\n内線 201\n")
    assert parts.post_text == "本文"
    assert parts.signature == "総務課 佐藤\n内線 201"


def test_dashes_inside_text_are_not_a_signature() -> None:
    parts = split_draft("本文 -- 続き\n---\n終わり")
    assert parts.post_text == "本文 -- 続き\n---\n終わり"


def test_control_line_later_in_text_is_post_text() -> None:
    parts = split_draft("本文\nアカウント: X")
    assert parts.account is None
    assert parts.post_text == "本文\nアカウント: X"


def test_trailing_whitespace_and_crlf() -> None:
    parts = split_draft("アカウント: X\r\n\r\n一行目  \r\n二行目\r\n\r\n")
    assert parts.post_text == "一行目\n二行目"
