"""`gateway init`: every answer validated as typed, the config it writes loads, nothing half-written."""

from __future__ import annotations

import argparse
import itertools
import os
import stat
from pathlib import Path

import pytest

from gateway import init_answers as ask
from gateway.config import load_settings
from gateway.init_answers import AnswersFileError, Invalid
from gateway.init_cmd import Prompter, cmd_init, interview, write_config
from gateway.resources import data_dir

GOOD = {
    "office_name": "辰野町",
    "address": "sns-check@town.example.jp",
    "admin": "somu@town.example.jp",
    "imap": {"host": "imap.town.example.jp", "username": "sns-check", "password": "p w\"'x"},
    "smtp": {"host": "smtp.town.example.jp", "security": "starttls"},
    "accounts": [
        {
            "name": "辰野町公式X",
            "platform": "x",
            "reviewers": ["Kacho@Town.Example.JP", "kakaricho@town.example.jp"],
        }
    ],
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mail.town.example.jp", "mail.town.example.jp"),
        ("MAIL.Town.Example.jp.", "mail.town.example.jp"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("localhost", "localhost"),
    ],
)
def test_host_accepts_names_and_addresses(value, expected):
    assert ask.host(value) == expected


@pytest.mark.parametrize(
    "value", ["", "mail town.example.jp", "mail_.example.jp", "-mail.example.jp", "a..b", "a" * 64]
)
def test_host_refuses_what_is_not_a_host(value):
    with pytest.raises(Invalid):
        ask.host(value)


@pytest.mark.parametrize("value", ["0", "65536", "99999", "abc", "９９３", "-1", "2.5", ""])
def test_port_refuses_non_ports(value):
    with pytest.raises(Invalid, match="1〜65535"):
        ask.port(value)


def test_port_accepts_numbers_and_ints():
    assert ask.port(" 993 ") == 993
    assert ask.port(587) == 587
    with pytest.raises(Invalid):
        ask.port(True)


def test_security_none_only_for_loopback():
    assert ask.security("NONE", "127.0.0.1") == "none"
    with pytest.raises(Invalid, match=r"127\.0\.0\.1"):
        ask.security("none", "mail.town.example.jp")
    with pytest.raises(Invalid):
        ask.security("tls", "mail.town.example.jp")


@pytest.mark.parametrize(
    "value",
    [
        "kacho",
        "kacho@",
        "@town.example.jp",
        '"kacho"@town.example.jp',
        "mallory%evil.example.com@town.example.jp",
        "a b@town.example.jp",
        "kacho@town",
        "kacho..x@town.example.jp",
        "<kacho@town.example.jp>",
    ],
)
def test_address_refuses_odd_shapes(value):
    with pytest.raises(Invalid):
        ask.address(value)


def test_address_lowercases_and_gateway_address_has_no_plus():
    assert ask.address(" Kacho@Town.Example.JP ") == "kacho@town.example.jp"
    assert ask.address("kacho+sns@town.example.jp") == "kacho+sns@town.example.jp"
    with pytest.raises(Invalid, match=r"\+"):
        ask.address("sns+x@town.example.jp", allow_plus=False)


def test_reviewers_need_two_distinct_people_not_the_gateway():
    assert ask.reviewers("kacho@town.example.jp、 kakaricho@town.example.jp") == (
        "kacho@town.example.jp",
        "kakaricho@town.example.jp",
    )
    with pytest.raises(Invalid, match="二人以上"):
        ask.reviewers("kacho@town.example.jp, KACHO@town.example.jp")
    with pytest.raises(Invalid, match="ゲートウェイ自身"):
        ask.reviewers(["kacho@town.example.jp", "gw@town.example.jp"], "gw@town.example.jp")


def test_staff_patterns():
    assert ask.staff("*@Town.Example.jp sato@town.example.jp") == (
        "*@town.example.jp",
        "sato@town.example.jp",
    )
    with pytest.raises(Invalid):
        ask.staff("")
    with pytest.raises(Invalid):
        ask.staff("*@")


def _write_answers(tmp_path: Path, answers) -> Path:
    target = tmp_path / "etc" / "gateway.toml"
    write_config(answers, target, str(tmp_path / "state"))
    return target


def test_config_it_writes_loads_and_says_what_was_answered(tmp_path):
    answers = ask.answers_from_mapping(GOOD)
    target = _write_answers(tmp_path, answers)
    settings = load_settings(target)
    assert settings.office_name == "辰野町"
    assert (settings.mailbox.host, settings.mailbox.port, settings.mailbox.security) == (
        "imap.town.example.jp",
        993,
        "ssl",
    )
    assert settings.mailbox.password == "p w\"'x"
    # SMTP defaults to the IMAP login when the answers give none of its own.
    assert (settings.smtp.port, settings.smtp.username, settings.smtp.password) == (
        587,
        "sns-check",
        "p w\"'x",
    )
    assert settings.accounts[0].reviewers == ("kacho@town.example.jp", "kakaricho@town.example.jp")
    assert settings.admin_address == "somu@town.example.jp"
    assert settings.staff_allowed == ("*@town.example.jp",)
    assert settings.state_path == str(tmp_path / "state" / "state.json")
    # The password is in its own file, never in the config.
    assert "p w" not in target.read_text(encoding="utf-8")


def test_config_names_the_example_that_is_really_there(tmp_path):
    # The package puts the example beside the config; a plain `pip install` has it only in
    # the wheel (gateway/examples/): the comment names the one the admin can open.
    shipped = data_dir("examples") / "gateway.example.toml"
    assert shipped.is_file()
    first = _write_answers(tmp_path / "pip", ask.answers_from_mapping(GOOD))
    assert f"# 項目の説明: {shipped}\n" in first.read_text(encoding="utf-8")
    beside = tmp_path / "deb" / "etc" / "gateway.toml.example"
    beside.parent.mkdir(parents=True)
    beside.write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    second = _write_answers(tmp_path / "deb", ask.answers_from_mapping(GOOD))
    assert f"# 項目の説明: {beside}\n" in second.read_text(encoding="utf-8")


def test_files_have_their_modes_whatever_the_umask_and_no_leftovers(tmp_path):
    old = os.umask(0)
    try:
        target = _write_answers(tmp_path, ask.answers_from_mapping(GOOD))
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in target.parent.iterdir()}
    assert modes == {"gateway.toml": 0o644, "imap-password": 0o600, "smtp-password": 0o600}


def test_smtp_without_login(tmp_path):
    data = {**GOOD, "smtp": {"host": "127.0.0.1", "security": "none", "port": 25, "login": False}}
    target = _write_answers(tmp_path, ask.answers_from_mapping(data))
    settings = load_settings(target)
    assert (settings.smtp.username, settings.smtp.password) == (None, None)


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"address": "sns+x@town.example.jp"}, "address", "+"),
        ({"imap": {**GOOD["imap"], "port": 99999}}, "imap.port", "1〜65535"),
        ({"imap": {**GOOD["imap"], "security": "none"}}, "imap.security", "127.0.0.1"),
        ({"imap": {"host": "imap.town.example.jp", "username": "x"}}, "imap.password", "password"),
        ({"accounts": []}, "[[accounts]]", "一つ以上"),
        (
            {"accounts": [{"name": "X", "platform": "x", "reviewers": ["a@town.example.jp"]}]},
            "accounts[0].reviewers",
            "二人以上",
        ),
        (
            {"accounts": [{"name": "X", "platform": "tiktok", "reviewers": []}]},
            "accounts[0].platform",
            "x",
        ),
        ({"admin": 3}, "admin", "メールアドレス"),
    ],
)
def test_answers_file_errors_name_the_key(change, key, words):
    with pytest.raises(AnswersFileError) as info:
        ask.answers_from_mapping({**GOOD, **change})
    assert info.value.key == key
    assert words in info.value.message


class Script:
    """A person at the prompt: answers in order; records what was printed."""

    def __init__(self, answers: list[str | type[BaseException]]) -> None:
        self.answers = list(answers)
        self.prompts: list[str] = []
        self.printed: list[str] = []

    def read(self, prompt: str) -> str:
        self.prompts.append(prompt)
        answer = self.answers.pop(0)
        if isinstance(answer, type):
            raise answer()
        return answer

    def prompter(self) -> Prompter:
        return Prompter(self.read, self.read, self.printed.append)


INTERVIEW = [
    "辰野町",
    "sns-check@town.example.jp",
    "",  # IMAP host: default imap.town.example.jp
    "tls",  # wrong, asked again
    "",  # ssl
    "abc",  # wrong port
    "",  # 993
    "",  # username = address
    "",  # empty password: asked again
    "imap-secret",
    "",  # SMTP host = IMAP host
    "",  # starttls
    "",  # 587
    "",  # same user
    "",  # same password
    "",  # staff default
    "somu@town.example.jp",
    "辰野町公式X",
    "",  # platform x
    "kacho@town.example.jp",  # only one: asked again
    "kacho@town.example.jp, kakaricho@town.example.jp",
    "y",
    "辰野町公式X",  # taken: asked again
    "辰野町ブログ",
    "blog",
    "kacho@town.example.jp kouhou@town.example.jp",
    "",  # no more accounts
]


def test_interview_asks_again_until_each_answer_is_right():
    script = Script(INTERVIEW)
    answers = interview(script.prompter())
    assert answers.imap.host == "imap.town.example.jp" and answers.imap.port == 993
    assert answers.imap.username == "sns-check@town.example.jp"
    assert answers.smtp.host == "imap.town.example.jp" and answers.smtp.port == 587
    assert answers.smtp.password == "imap-secret"
    assert [a.name for a in answers.accounts] == ["辰野町公式X", "辰野町ブログ"]
    assert answers.accounts[1].platform == "blog"
    printed = "\n".join(script.printed)
    for complaint in (
        "ssl、starttls、none",
        "1〜65535",
        "パスワードを入力",
        "二人以上",
        "もう入力",
    ):
        assert complaint in printed
    assert not script.answers


def _args(tmp_path: Path, **kw) -> argparse.Namespace:
    base = {
        "config": str(tmp_path / "etc" / "gateway.toml"),
        "answers": None,
        "state_dir": str(tmp_path / "state"),
        "force": False,
        "no_connect": True,
    }
    return argparse.Namespace(**{**base, **kw})


def test_ctrl_c_at_any_question_writes_nothing(tmp_path):
    for stop_at in (1, 9, len(INTERVIEW) - 1):
        script = Script([*INTERVIEW[:stop_at], KeyboardInterrupt])
        assert cmd_init(_args(tmp_path), script.prompter()) == 130
        assert "何も書き込んでいません" in script.printed[-1]
        assert not (tmp_path / "etc").exists() or not any((tmp_path / "etc").iterdir())


def test_interactive_init_writes_and_keeps_an_existing_config_unless_told(tmp_path):
    script = Script([*INTERVIEW, "y"])
    assert cmd_init(_args(tmp_path), script.prompter()) == 0
    target = tmp_path / "etc" / "gateway.toml"
    assert load_settings(target).accounts[1].name == "辰野町ブログ"
    before = target.read_bytes()
    no = Script(["n"])
    assert cmd_init(_args(tmp_path), no.prompter()) == 0
    assert "上書きしますか" in no.prompts[0] and target.read_bytes() == before


def test_from_refuses_to_overwrite_without_force(tmp_path):
    answers = tmp_path / "answers.toml"
    answers.write_text(
        'office_name = "辰野町"\naddress = "sns-check@town.example.jp"\nadmin = "somu@town.example.jp"\n'
        '[imap]\nhost = "imap.town.example.jp"\nusername = "u"\npassword = "p"\n'
        '[smtp]\nhost = "smtp.town.example.jp"\nsecurity = "starttls"\n'
        '[[accounts]]\nname = "X"\nplatform = "x"\n'
        'reviewers = ["a@town.example.jp", "b@town.example.jp"]\n',
        encoding="utf-8",
    )
    assert cmd_init(_args(tmp_path, answers=str(answers)), Script([]).prompter()) == 0
    script = Script([])
    assert cmd_init(_args(tmp_path, answers=str(answers)), script.prompter()) == 1
    assert "--force" in script.printed[-1]
    assert cmd_init(_args(tmp_path, answers=str(answers), force=True), Script([]).prompter()) == 0


def test_broken_answers_file_is_named(tmp_path):
    bad = tmp_path / "answers.toml"
    bad.write_text("office_name = [", encoding="utf-8")
    script = Script([])
    assert cmd_init(_args(tmp_path, answers=str(bad)), script.prompter()) == 2
    assert "書き方が正しくありません" in script.printed[-1]


# Every question of the interview, in order, each first with a wrong answer a person could
# type there: (what the prompt says, what is typed, what the complaint says; None = taken).
# The SMTP password is the one question with no wrong answer at a terminal (Enter = the IMAP
# password; getpass returns no line break).
EVERY_QUESTION = [
    ("役所の名前", "  ", "役所の名前を入力"),
    ("役所の名前", "辰野町", None),
    ("ゲートウェイのメールアドレス", "sns+check@town.example.jp", "+ は使えません"),
    ("ゲートウェイのメールアドレス", "sns-check@town.example.jp", None),
    ("サーバー名", "mail server", "サーバー名の形ではありません"),
    ("サーバー名", "", None),
    ("暗号化", "tls", "ssl、starttls、none"),
    ("暗号化", "", None),
    ("ポート番号", "９９３", "半角数字"),  # typed with the IME on
    ("ポート番号", "", None),
    ("ユーザー名", 'sns"check', "使えない文字"),
    ("ユーザー名", "", None),
    ("パスワード", "", "パスワードを入力"),
    ("パスワード", "imap-secret", None),
    ("サーバー名", "-smtp.town.example.jp", "サーバー名の形ではありません"),
    ("サーバー名", "", None),
    ("暗号化", "none", "同じ機械"),
    ("暗号化", "", None),
    ("ポート番号", "0", "1〜65535"),
    ("ポート番号", "", None),
    ("ユーザー名", "\x1b[A", "使えない文字"),  # an arrow key: the terminal sends ESC [ A
    ("ユーザー名", "", None),
    ("パスワード", "", None),
    ("投稿案を送れる職員", "everyone", "メールアドレスの形ではありません"),
    ("投稿案を送れる職員", "", None),
    ("管理者", "", "メールアドレスの形ではありません"),
    ("管理者", "somu@town.example.jp", None),
    ("アカウント名", "", "アカウント名を入力"),
    ("アカウント名", "辰野町公式X", None),
    ("種類", "twitter", "のいずれかを入力"),
    ("種類", "", None),
    ("確認者のアドレス", "kacho@town.example.jp", "二人以上"),
    ("確認者のアドレス", "kacho@town.example.jp sns-check@town.example.jp", "ゲートウェイ自身"),
    ("確認者のアドレス", "kacho@town.example.jp, kakaricho@town.example.jp", None),
    ("ほかのアカウントも", "maybe", "y（はい）か n（いいえ）"),
    ("ほかのアカウントも", "n", None),
    ("書き込みますか", "ok", "y（はい）か n（いいえ）"),
    ("書き込みますか", "y", None),
]


def test_every_question_refuses_a_wrong_answer_at_once_and_asks_again(tmp_path):
    script = Script([typed for _prompt, typed, _complaint in EVERY_QUESTION])
    assert cmd_init(_args(tmp_path), script.prompter()) == 0
    assert not script.answers
    assert len(script.prompts) == len(EVERY_QUESTION)
    for asked, (prompt, _typed, _complaint) in zip(script.prompts, EVERY_QUESTION, strict=True):
        assert prompt in asked
    # Refused right after it was typed, and the same question comes again.
    for (prompt, _typed, complaint), (again, _, _) in itertools.pairwise(EVERY_QUESTION):
        assert complaint is None or again == prompt
    complaints = [line for line in script.printed if line.startswith("  → ")]
    expected = [complaint for _p, _t, complaint in EVERY_QUESTION if complaint is not None]
    assert len(complaints) == len(expected)
    for said, words in zip(complaints, expected, strict=True):
        assert words in said
    settings = load_settings(tmp_path / "etc" / "gateway.toml")
    assert settings.accounts[0].reviewers == ("kacho@town.example.jp", "kakaricho@town.example.jp")
    assert settings.mailbox.port == 993 and settings.smtp.port == 587
