"""Strict config: a key or table that nothing reads is an error with a 「もしかして」
suggestion; numbers that cannot be what they mean are refused."""

from __future__ import annotations

import math

import pytest
from offline import offline_settings

from gateway.config import load_settings
from gateway.config_reader import ConfigError


def refused(tmp_path, **tables) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        offline_settings(tmp_path, **tables)
    return info.value


def test_the_offline_config_loads(tmp_path):
    assert offline_settings(tmp_path).limits.per_sender_per_hour == 60


@pytest.mark.parametrize(
    ("tables", "key", "guess"),
    [
        ({"review": {"require_authenticaed": True}}, "review.require_authenticaed", "require_authenticated"),
        ({"limit": {"per_sender_per_hour": 5}}, "limit", "limits"),
        ({"limits": {"per_sender_per_hour": 5, "max_mesage_mb": 3}}, "limits.max_mesage_mb", "max_message_mb"),
        ({"admin": {"adress": "somu@town.example.jp"}}, "admin.adress", "address"),
        ({"checker": {"office_phone": ["0266-41-1111"]}}, "checker.office_phone", "office_phones"),
    ],
)
def test_a_typo_is_an_error_that_names_file_key_and_suggests(tmp_path, tables, key, guess):
    err = refused(tmp_path, **tables)
    assert err.key == key
    assert err.file.endswith("gateway.toml")
    text = err.bilingual()
    assert f"もしかして「{guess}」ですか" in text
    assert f"did you mean {guess!r}" in text


def test_an_unknown_key_inside_an_array_of_tables_is_found(tmp_path):
    account = {"name": "辰野町公式X", "platform": "x",
               "reviewers": ["kacho@town.example.jp", "kakaricho@town.example.jp"],
               "reviwers": ["dairi@town.example.jp"]}  # fmt: skip
    err = refused(tmp_path, accounts=[account])
    assert err.key == "accounts[0].reviwers"
    assert "reviewers" in err.bilingual()


def test_a_name_like_nothing_known_gets_no_guess(tmp_path):
    err = refused(tmp_path, zzz={"q": 1})
    assert err.key == "zzz" and "もしかして" not in err.ja and "spelling" in err.en


@pytest.mark.parametrize("value", [2.7, 60.0, math.nan, math.inf, True, "60"])
def test_whole_numbers_refuse_fractions_and_non_finite(tmp_path, value):
    err = refused(tmp_path, limits={"per_sender_per_hour": value})
    assert err.key == "limits.per_sender_per_hour"
    assert "整数" in err.ja


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_decimal_settings_refuse_non_finite(tmp_path, value):
    err = refused(tmp_path, limits={"max_message_mb": value})
    assert err.key == "limits.max_message_mb"


def test_the_file_on_disk_is_checked_too(tmp_path):
    (tmp_path / "pw").write_text("secret")
    config = tmp_path / "gateway.toml"
    config.write_text(
        """
[mailbox]
host = "127.0.0.1"
security = "none"
username = "sns-check@town.example.jp"
password_file = "pw"
address = "sns-check@town.example.jp"
[smtp]
host = "127.0.0.1"
security = "none"
[state]
path = "state.json"
[signing]
key_file = "signing.key"
[staff]
allowed = ["*@town.example.jp"]
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = ["kacho@town.example.jp", "kakaricho@town.example.jp"]
[limits]
per_sender_per_hour = nan
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.key == "limits.per_sender_per_hour"
    config.write_text(config.read_text().replace("nan", "30\nmax_attachements = 3"))
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    assert info.value.key == "limits.max_attachements"
    assert "max_attachments" in info.value.ja
