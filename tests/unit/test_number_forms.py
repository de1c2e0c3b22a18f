"""Phone numbers and dates in the forms staff really write: international and bracketed
numbers, kanji and era-abbreviated dates, and era dates that never existed."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.checker import CheckContext, Checker


def _rules(checker: Checker, text: str, **ctx) -> dict[str, str]:
    return {f.rule: f.excerpt for f in checker.check(text, CheckContext(**ctx))}


@pytest.mark.parametrize(
    "number",
    [
        "+81-90-1234-5678",  # international, leading 0 dropped
        "+81 90 1234 5678",
        "+81 (0)90-1234-5678",  # the British habit of a bracketed 0
        "+81-090-1234-5678",
        "＋８１－９０－１２３４－５６７８",  # full width, as a phone's IME writes it
    ],
)
def test_international_mobile_numbers_are_mobile_numbers(checker: Checker, number: str) -> None:
    found = _rules(checker, f"担当の携帯 {number} までご連絡ください。")
    assert found.get("personal-mobile-phone") == number


def test_an_international_number_on_the_allowlist_is_the_offices(checker: Checker) -> None:
    text = "公用携帯 +81-90-1111-2222 までどうぞ。"
    assert "personal-mobile-phone" not in _rules(
        checker, text, office_phone_allowlist=("090-1111-2222",)
    )


@pytest.mark.parametrize(
    "number", ["0266(41)1112", "0266 (41) 1112", "(0266)41-1112", "+81 (0)266-41-1112"]
)
def test_bracketed_fixed_numbers_are_found_and_the_allowlist_knows_them(
    checker: Checker, number: str
) -> None:
    text = f"区長さんのご自宅（{number}）でも受け付けます。"
    assert _rules(checker, text).get("personal-fixed-phone") == number
    assert "personal-fixed-phone" not in _rules(
        checker, text, office_phone_allowlist=("0266-41-1112",)
    )


@pytest.mark.parametrize("text", ["日時：2025-06-01 09:00", "受付番号 1-0266-41-1111-2", "ISBN 978-4-06-123456-7"])
def test_other_digit_runs_are_not_phone_numbers(checker: Checker, text: str) -> None:
    found = _rules(checker, text)
    assert "personal-fixed-phone" not in found and "personal-mobile-phone" not in found


NOV_2026 = date(2026, 11, 1)  # 2026-11-25 is a Wednesday


@pytest.mark.parametrize(
    "written",
    [
        "十一月二十五日（火）",
        "十一月二十五日(火曜日)",
        "R8.11.25（火）",
        "Ｒ８．１１．２５（火）",
        "令和八年十一月二十五日（火）",
        "二〇二六年十一月二十五日（火）",
        "2026.11.25（火）",
        "R8年11月25日（火）",
    ],
)
def test_kanji_and_era_abbreviated_dates_have_their_weekday_checked(
    checker: Checker, written: str
) -> None:
    found = _rules(checker, f"説明会は{written}に開きます。", now=NOV_2026)
    assert found.get("date-weekday-mismatch") == written
    right = written.replace("火", "水")
    assert "date-weekday-mismatch" not in _rules(
        checker, f"説明会は{right}に開きます。", now=NOV_2026
    )


@pytest.mark.parametrize(
    "written", ["平成31年5月1日", "令和元年4月30日", "昭和64年1月8日", "平成元年1月7日", "H31.5.1", "平成三十一年五月一日"]
)
def test_a_date_outside_its_era_does_not_exist(checker: Checker, written: str) -> None:
    assert _rules(checker, f"{written}に開催しました。").get("date-impossible") == written


@pytest.mark.parametrize(
    "written", ["平成31年4月30日", "令和元年5月1日", "昭和64年1月7日", "平成元年1月8日", "R1.5.1", "H31.4.30"]
)
def test_the_first_and_last_days_of_an_era_exist(checker: Checker, written: str) -> None:
    assert "date-impossible" not in _rules(checker, f"{written}に開催しました。")


@pytest.mark.parametrize(
    "text", ["五月雨の季節です。", "統一月額料金", "Ver1.2.3 に更新", "第2.15.40版", "毎月一日は休みです。"]
)
def test_words_and_versions_are_not_dates(checker: Checker, text: str) -> None:
    found = _rules(checker, text, now=NOV_2026)
    assert "date-impossible" not in found and "date-weekday-mismatch" not in found
