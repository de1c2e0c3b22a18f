"""`gateway init`'s answers: validate each one as it is typed, and turn them into the config.

Pure: no prompts, no files. Every validator takes the raw text the admin typed and returns
the value to keep, or raises `Invalid` with a short Japanese message that says what to type
instead; the interactive prompt and the answers file (`--from`) use the same validators, so
a scripted install is held to exactly what a person at the prompt is.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.config_reader import SECURITY_MODES, is_loopback
from gateway.settings import PLATFORMS

IMAP_PORTS = {"ssl": 993, "starttls": 143, "none": 143}
SMTP_PORTS = {"ssl": 465, "starttls": 587, "none": 25}
PLATFORM_LABELS = {
    "x": "X（旧Twitter）",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "line": "LINE",
    "blog": "ブログ",
    "web": "ホームページ",
    "mail_magazine": "メールマガジン",
}
IMAP_PASSWORD_FILE = "imap-password"  # the names systemd/gateway.service loads as credentials
SMTP_PASSWORD_FILE = "smtp-password"

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# A plain office address: no quotes, %, !, spaces or route syntax (the same shapes the
# gateway refuses in mail); "+" is allowed for a reviewer (it is the same person).
_LOCAL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+-]{0,62})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Invalid(ValueError):
    """An answer that cannot be used; the message is Japanese, for the admin."""


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    security: str
    username: str  # "" = no login (an office relay that takes mail from this machine)
    password: str


@dataclass(frozen=True)
class AccountAnswer:
    name: str
    platform: str
    reviewers: tuple[str, ...]


@dataclass(frozen=True)
class Answers:
    office_name: str
    address: str  # the gateway's own mailbox address
    imap: Server
    smtp: Server
    staff_allowed: tuple[str, ...]
    admin_address: str
    accounts: tuple[AccountAnswer, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- validators


def text(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise Invalid(f"{what}を入力してください。")
    if _CONTROL.search(value) or '"' in value or "\\" in value:
        raise Invalid(f"{what}に使えない文字（引用符・制御文字など）が含まれています。")
    return value


def host(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if not value:
        raise Invalid("サーバー名を入力してください（例: mail.town.example.jp）。")
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        pass
    if len(value) > 253 or not _HOST.fullmatch(value):
        raise Invalid(f"サーバー名の形ではありません: {value}（例: mail.town.example.jp）")
    return value


def security(value: str, for_host: str) -> str:
    value = value.strip().lower()
    if value not in SECURITY_MODES:
        raise Invalid("ssl、starttls、none のいずれかを入力してください。")
    if value == "none" and not is_loopback(for_host):
        raise Invalid(
            f"暗号化なし（none）は同じ機械（127.0.0.1）への接続にしか使えません。"
            f"{for_host} には ssl か starttls を選んでください。"
        )
    return value


_PORT_RANGE = "ポート番号は 1〜65535 の整数で入力してください。"


def port(value: str | int) -> int:
    if isinstance(value, bool):
        raise Invalid(_PORT_RANGE)
    if isinstance(value, int):
        number = value
    else:
        digits = value.strip()
        if digits.isdigit() and not digits.isascii():  # typed with the Japanese IME on
            raise Invalid("ポート番号は半角数字（1〜65535）で入力してください（例: 993）。")
        if not digits.isascii() or not digits.isdigit():
            raise Invalid(_PORT_RANGE)
        number = int(digits)
    if not 0 < number < 65536:
        raise Invalid(_PORT_RANGE)
    return number


def address(value: str, *, allow_plus: bool = True) -> str:
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not _LOCAL.fullmatch(local) or ".." in local or local.endswith("."):
        raise Invalid(f"メールアドレスの形ではありません: {value}（例: kacho@town.example.jp）")
    try:
        domain = host(domain)
    except Invalid:
        raise Invalid(
            f"メールアドレスの形ではありません: {value}（例: kacho@town.example.jp）"
        ) from None
    if "." not in domain and not is_loopback(domain):
        raise Invalid(f"ドメインが不完全です: {value}")
    if not allow_plus and "+" in local:
        raise Invalid("ゲートウェイのアドレスに + は使えません。")
    return f"{local.lower()}@{domain}"


NO_LOGIN = "-"


def login_name(value: str) -> str:
    """A user name, or "-" for a server that takes mail without a login (SMTP relay)."""
    return "" if value.strip() == NO_LOGIN else text(value, "ユーザー名")


def password(value: str) -> str:
    if not value:
        raise Invalid("パスワードを入力してください（表示されません）。")
    if "\n" in value or "\r" in value:
        raise Invalid("パスワードに改行は使えません。")
    return value


def staff_pattern(value: str) -> str:
    value = value.strip()
    if value.startswith("*@"):
        return "*@" + host(value[2:])
    return address(value)


def split_list(value: str) -> list[str]:
    """Addresses typed in one line: commas (, 、 ，), semicolons or spaces between them."""
    return [v for v in re.split(r"[\s,、，;；]+", value.strip()) if v]


def staff(value: str | list[str]) -> tuple[str, ...]:
    items = split_list(value) if isinstance(value, str) else list(value)
    if not items:
        raise Invalid("投稿案を送れる職員を一つ以上入力してください（例: *@town.example.jp）。")
    return tuple(dict.fromkeys(staff_pattern(v) for v in items))


def platform(value: str) -> str:
    value = value.strip().lower()
    if value not in PLATFORMS:
        raise Invalid(f"{'、'.join(PLATFORMS)} のいずれかを入力してください。")
    return value


def reviewers(value: str | list[str], gateway_address: str = "") -> tuple[str, ...]:
    items = split_list(value) if isinstance(value, str) else list(value)
    people = tuple(dict.fromkeys(address(v) for v in items))
    if gateway_address and gateway_address in people:
        raise Invalid("ゲートウェイ自身のアドレスは確認者にできません。")
    if len(people) < 2:
        raise Invalid("確認者を二人以上入力してください（指針 4(4)：複数の者で確認）。")
    return people


def account_name(value: str, taken: tuple[str, ...] = ()) -> str:
    name = text(value, "アカウント名")
    if name in taken:
        raise Invalid(f"アカウント名 {name} はもう入力されています。")
    return name


# --------------------------------------------------------------------------- defaults


def domain_of(addr: str) -> str:
    return addr.rpartition("@")[2]


def default_imap_host(gateway_address: str) -> str:
    return f"imap.{domain_of(gateway_address)}"


def default_smtp_host(gateway_address: str) -> str:
    return f"smtp.{domain_of(gateway_address)}"


# --------------------------------------------------------------------------- answers file


class AnswersFileError(ValueError):
    """An answers file (`--from`) that cannot be used: names the key, in Japanese."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key, self.message = key, message


def _get(table: Mapping[str, Any], key: str, prefix: str, default: Any = None) -> Any:
    value = table.get(key, default)
    if value is None:
        raise AnswersFileError(f"{prefix}{key}", "必須の項目がありません。")
    return value


def _checked(key: str, check: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return check(*args, **kwargs)
    except Invalid as exc:
        raise AnswersFileError(key, str(exc)) from None
    except (TypeError, AttributeError):
        raise AnswersFileError(key, "値の種類が違います（文字列・整数・配列）。") from None


def _server(
    data: Mapping[str, Any], name: str, ports: Mapping[str, int], fallback: Server | None
) -> Server:
    table = data.get(name)
    if not isinstance(table, dict):
        raise AnswersFileError(f"[{name}]", "表がありません。")
    p = f"{name}."
    h = _checked(p + "host", host, _get(table, "host", p, fallback and fallback.host))
    mode = _checked(p + "security", security, str(_get(table, "security", p, "ssl")), h)
    number = _checked(p + "port", port, table.get("port", ports[mode]))
    if fallback is not None and table.get("login") is False:  # an SMTP relay without login
        return Server(h, number, mode, "", "")
    user = _checked(
        p + "username",
        text,
        _get(table, "username", p, fallback and fallback.username),
        "ユーザー名",
    )
    if "password" in table:
        secret = table["password"]
    elif "password_file" in table:
        try:
            with open(str(table["password_file"]), encoding="utf-8") as fh:
                secret = fh.read().strip()
        except OSError as exc:
            raise AnswersFileError(p + "password_file", f"読めません（{exc.strerror}）。") from None
    elif fallback is not None:
        secret = fallback.password
    else:
        raise AnswersFileError(p + "password", "password か password_file を指定してください。")
    return Server(h, number, mode, user, _checked(p + "password", password, secret))


def answers_from_mapping(data: Mapping[str, Any]) -> Answers:
    """The answers file of a scripted install (`gateway init --from answers.toml`)."""
    office = _checked("office_name", text, str(_get(data, "office_name", "")), "役所の名前")
    gw = _checked("address", address, str(_get(data, "address", "")), allow_plus=False)
    imap = _server(data, "imap", IMAP_PORTS, None)
    smtp = _server(data, "smtp", SMTP_PORTS, imap)
    allowed = _checked("staff", staff, data.get("staff", [f"*@{domain_of(gw)}"]))
    admin = _checked("admin", address, str(_get(data, "admin", "")))
    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise AnswersFileError("[[accounts]]", "アカウントを一つ以上指定してください。")
    accounts: list[AccountAnswer] = []
    for i, raw in enumerate(raw_accounts):
        p = f"accounts[{i}]."
        if not isinstance(raw, dict):
            raise AnswersFileError(p.rstrip("."), "表で指定してください。")
        name = _checked(
            p + "name", account_name, str(_get(raw, "name", p)), tuple(a.name for a in accounts)
        )
        kind = _checked(p + "platform", platform, str(_get(raw, "platform", p)))
        people = _checked(p + "reviewers", reviewers, _get(raw, "reviewers", p), gw)
        accounts.append(AccountAnswer(name, kind, people))
    return Answers(office, gw, imap, smtp, allowed, admin, tuple(accounts))


# --------------------------------------------------------------------------- the config


def _toml(value: str | int | tuple[str, ...] | list[str]) -> str:
    """A TOML value. A JSON string is a valid TOML basic string (same escapes)."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def config_text(answers: Answers, state_dir: str, written_at: str, example: str) -> str:
    """The config file `gateway init` writes: the same keys as the shipped example (`example`,
    the path the comment names), with the passwords in the two files beside it (never in
    the config itself)."""
    a = answers
    lines = [
        f"# gateway init が {written_at} に書きました。編集してかまいません。",
        f"# 項目の説明: {example}",
        f"office_name = {_toml(a.office_name)}",
        "",
        "[mailbox]",
        f"host = {_toml(a.imap.host)}",
        f"port = {a.imap.port}",
        f"security = {_toml(a.imap.security)}",
        f"username = {_toml(a.imap.username)}",
        f"password_file = {_toml(IMAP_PASSWORD_FILE)}",
        'folder = "INBOX"',
        f"address = {_toml(a.address)}",
        "",
        "[smtp]",
        f"host = {_toml(a.smtp.host)}",
        f"port = {a.smtp.port}",
        f"security = {_toml(a.smtp.security)}",
        *(
            [f"username = {_toml(a.smtp.username)}", f"password_file = {_toml(SMTP_PASSWORD_FILE)}"]
            if a.smtp.username
            else ["# ログインなしで送ります（username と password_file を足せばログインします）。"]
        ),
        "",
        "[state]",
        f"path = {_toml(state_dir.rstrip('/') + '/state.json')}",
        "",
        "[signing]",
        f"key_file = {_toml(state_dir.rstrip('/') + '/signing.key')}",
        "",
        "[staff]",
        f"allowed = {_toml(a.staff_allowed)}",
        "",
        "[review]",
        "reminder_after_hours = 24",
        "expire_after_days = 7",
        "",
        "[admin]",
        f"address = {_toml(a.admin_address)}",
    ]
    for acc in a.accounts:
        lines += [
            "",
            "[[accounts]]",
            f"name = {_toml(acc.name)}",
            f"platform = {_toml(acc.platform)}",
            f"reviewers = {_toml(acc.reviewers)}",
        ]
    return "\n".join(lines) + "\n"
