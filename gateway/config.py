"""The TOML config file -> frozen settings, validated before anything connects.

Every problem is reported once, naming the file, the key and what is wrong, in
Japanese (for the admin reading the terminal) and English (for the log).
"""

from __future__ import annotations

import contextvars
import difflib
import ipaddress
import math
import os
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from gateway.businessdays import parse_clock, parse_hours
from gateway.identity import (
    NOBODY,
    AddressError,
    People,
    canonical_address,
    canonical_domain,
    people_from,
    try_canonical,
)
from gateway.records import AccountRules, FixedText, Stage

PLATFORMS = ("x", "facebook", "instagram", "line", "blog", "web", "mail_magazine")
SECURITY_MODES = ("ssl", "starttls", "none")


class ConfigError(Exception):
    """A config problem, with a message in Japanese and in English."""

    def __init__(self, file: str, key: str, ja: str, en: str) -> None:
        self.file, self.key, self.ja, self.en = file, key, ja, en
        super().__init__(f"{file}: {key}: {en}")

    def bilingual(self) -> str:
        return f"設定エラー: {self.file} の {self.key}: {self.ja}\nconfig error: {self.file}: {self.key}: {self.en}"


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    security: str
    username: str
    password: str = field(repr=False)
    address: str
    folder: str = "INBOX"
    processed_folder: str = "Processed"
    failed_folder: str = "Failed"
    poll_interval: float = 30.0
    idle_timeout: float = 300.0
    ca_file: str | None = None


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: str | None = None


@dataclass(frozen=True)
class Account:
    name: str
    platform: str
    reviewers: tuple[str, ...]
    rules: AccountRules = field(default_factory=AccountRules)  # section rules; default: the pair


@dataclass(frozen=True)
class CheckSettings:
    """Office-specific inputs to the checker: what is the town's own, what is internal."""

    rules_dir: str | None = None
    office_phones: tuple[str, ...] = ()
    office_domains: tuple[str, ...] = ()
    internal_hosts: tuple[str, ...] = ()
    link_blocklist: tuple[str, ...] = ()
    spam_window_days: int = 30


@dataclass(frozen=True)
class Limits:
    """Bounds on what one sender or one message may cost the gateway."""

    per_sender_per_hour: int = 60
    max_message_mb: float = 30.0
    max_attachment_mb: float = 15.0
    max_attachments: int = 20


@dataclass(frozen=True)
class Settings:
    source: str
    mailbox: MailboxSettings
    smtp: SmtpSettings
    state_path: str
    key_file: str
    staff_allowed: tuple[str, ...]
    accounts: tuple[Account, ...]
    reminder_after_hours: float = 24.0
    expire_after_days: float = 7.0
    admin_address: str | None = None
    office_name: str = ""
    check: CheckSettings = CheckSettings()
    working_hours: tuple[time, time] = (time(8, 30), time(17, 15))  # Asia/Tokyo
    digest_time: time = time(8, 30)  # the admin's daily digest, on business days
    templates_dir: str | None = None  # the office's own templates, before the shipped ones
    limits: Limits = Limits()
    require_authenticated: bool = False
    authserv_ids: tuple[str, ...] = ()
    closed_days: frozenset[date] = frozenset()  # [review] closed_days: お盆, 臨時閉庁 ...
    people: People = NOBODY  # [[people]]: several addresses of one person

    def account(self, name: str) -> Account | None:
        for acc in self.accounts:
            if acc.name == name:
                return acc
        return None


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: The config paths read while `parse_settings` runs (None outside it).
_READ_KEYS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "config_read_keys", default=None
)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Tracked(dict):
    """A TOML table that remembers which keys the code asked for (read, tested with `in`,
    or iterated), so that a key in the file that nothing ever asks for can be reported as
    unknown. Strictness then follows the code: a key another module reads is known without
    a list of valid keys to keep in step. Nested tables come back tracked as well."""

    def __init__(self, data: Mapping[str, Any], path: str, seen: set[str]) -> None:
        super().__init__(data)
        self._path, self._seen = path, seen

    def _mark(self, key: object) -> None:
        self._seen.add(_join(self._path, str(key)))

    def _wrap(self, key: str, value: Any) -> Any:
        path = _join(self._path, key)
        if isinstance(value, dict) and not isinstance(value, _Tracked):
            return _Tracked(value, path, self._seen)
        if isinstance(value, list):
            return [
                _Tracked(v, f"{path}[{i}]", self._seen) if isinstance(v, dict) else v
                for i, v in enumerate(value)
            ]
        return value

    def get(self, key: str, default: Any = None) -> Any:
        self._mark(key)
        return self._wrap(key, super().__getitem__(key)) if super().__contains__(key) else default

    def __getitem__(self, key: str) -> Any:
        self._mark(key)
        return self._wrap(key, super().__getitem__(key))

    def __contains__(self, key: object) -> bool:
        self._mark(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        for key in super().__iter__():
            self._mark(key)
            yield key

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in super().__iter__()]

    def values(self):  # type: ignore[override]
        return [self[k] for k in super().__iter__()]


def _tracked(data: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    seen = _READ_KEYS.get()
    if seen is None or isinstance(data, _Tracked) or not isinstance(data, dict):
        return data
    return _Tracked(data, path, seen)


def _unread(data: Mapping[str, Any], seen: set[str], path: str = "") -> Iterator[str]:
    """Paths in the file that the code never asked for, outermost first."""
    for key, value in data.items():
        here = _join(path, str(key))
        if here not in seen and not any(s.startswith((here + ".", here + "[")) for s in seen):
            yield here
            continue
        if isinstance(value, dict):
            yield from _unread(value, seen, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _unread(item, seen, f"{here}[{i}]")


def _unknown_key_error(file: str, path: str, value: Any, seen: set[str]) -> ConfigError:
    """An unknown key or table, with a 「もしかして」 from the keys read at the same level."""
    parent, _, name = path.rpartition(".")
    if "." not in path:
        parent, name = "", path
    level = parent.split("[")[0] if parent else ""
    known = set()
    for s in seen:
        s_parent, _, s_name = s.rpartition(".")
        if (s_parent.split("[")[0] if s_parent else "") == level and "[" not in s_name:
            known.add(s_name)
        elif not s_parent and "." not in s and not parent:
            known.add(s.split("[")[0])
    guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    table = isinstance(value, dict) or (
        isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    )
    what_ja = f"[{path}] という表" if table else f"「{name}」という項目"
    what_en = f"table [{path}]" if table else f"key {name!r}"
    hint_ja = f"もしかして「{guess[0]}」ですか？" if guess else "綴りを確かめてください。"
    hint_en = f"did you mean {guess[0]!r}?" if guess else "check the spelling"
    return ConfigError(
        file,
        path,
        f"{what_ja}はありません。{hint_ja}",
        f"unknown {what_en} (nothing reads it); {hint_en}",
    )


class _Reader:
    """Typed access to one TOML table, with errors that name file and key."""

    def __init__(self, file: str, data: Mapping[str, Any], prefix: str) -> None:
        data = _tracked(data, prefix)
        self.file, self.data, self.prefix = file, data, prefix
        self.base = Path(file).parent

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, ja: str, en: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), ja, en)

    def str(self, name: str, default: str | None = None, *, required: bool = True) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            if required:
                raise self.fail(name, "必須の項目がありません。", "required key is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                name, "空でない文字列で指定してください。", "must be a non-empty string"
            )
        return value.strip()

    def num(self, name: str, default: float, *, minimum: float = 0) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "数値で指定してください。", "must be a number")
        if not math.isfinite(value):
            raise self.fail(
                name,
                f"有限の数値で指定してください（{value} は使えません）。",
                f"must be finite, not {value}",
            )
        if value < minimum:
            raise self.fail(name, f"{minimum} 以上にしてください。", f"must be at least {minimum}")
        return float(value)

    def count(self, name: str, default: int, *, minimum: int = 0) -> int:
        """A whole number (a count, a number of days): 2.7, 60.0, nan and inf are refused."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                name,
                f"整数で指定してください（{value!r} は使えません。例: {default}）。",
                f"must be a whole number, not {value!r}",
            )
        if value < minimum:
            raise self.fail(name, f"{minimum} 以上にしてください。", f"must be at least {minimum}")
        return value

    def int(self, name: str, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if value is None:
            raise self.fail(name, "必須の項目がありません。", "required key is missing")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise self.fail(
                name, "1〜65535 の整数で指定してください。", "must be an integer 1-65535"
            )
        return value

    def str_list(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "必須の項目がありません。", "required key is missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, "文字列の配列で指定してください。", "must be a list of strings")
        return tuple(v.strip() for v in value)

    def table(self, name: str, *, required: bool = True) -> _Reader:
        value = self.data.get(name)
        if value is None:
            if required:
                raise ConfigError(
                    self.file,
                    self.key(name),
                    "必須の表 [" + name + "] がありません。",
                    "required table is missing",
                )
            value = {}
        if not isinstance(value, dict):
            raise self.fail(name, "表（[...]）で指定してください。", "must be a table")
        return _Reader(self.file, value, self.key(name))

    def security(self, host: str, default: str) -> str:
        mode = self.str("security", default)
        assert mode is not None
        if mode not in SECURITY_MODES:
            raise self.fail(
                "security",
                '"ssl"、"starttls"、"none" のいずれかにしてください。',
                'must be "ssl", "starttls" or "none"',
            )
        if mode == "none" and not is_loopback(host):
            raise self.fail(
                "security",
                f"暗号化なし（none）は同じ機械（127.0.0.1）への接続にしか使えません。{host} には ssl か starttls を指定してください。",
                f'"none" is only allowed for a loopback host, not {host}',
            )
        return mode

    def secret(self, *, required: bool) -> str | None:
        """A password from password_file, password_env or password, in that order."""
        if "password_file" in self.data:
            path = credential_path(Path(self.str("password_file") or ""), self.base)
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise self.fail(
                    "password_file",
                    f"パスワードファイル {path} を読めません（{exc.strerror}）。",
                    f"cannot read password file {path}: {exc.strerror}",
                ) from None
        if "password_env" in self.data:
            var = self.str("password_env") or ""
            value = os.environ.get(var)
            if not value:
                raise self.fail(
                    "password_env",
                    f"環境変数 {var} が設定されていません。",
                    f"environment variable {var} is not set",
                )
            return value
        if "password" in self.data:
            return self.str("password")
        if required:
            raise self.fail(
                "password_file",
                "password_file、password_env、password のいずれかを指定してください。",
                "one of password_file, password_env or password is required",
            )
        return None


def credential_path(path: Path, base: Path) -> Path:
    """A relative password file is looked up first among systemd's credentials
    (LoadCredential=, $CREDENTIALS_DIRECTORY), so the service reads its own 0400 copy while
    /etc/gateway stays root's; then beside the config file (the admin's shell, tests)."""
    if path.is_absolute():
        return path
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / path).is_file():
        return Path(creds) / path
    return base / path


def _address(reader: _Reader, name: str, value: str) -> str:
    """The canonical spelling (gateway.identity); odd addresses are config errors."""
    try:
        return canonical_address(value)
    except AddressError as exc:
        raise reader.fail(name, f"{exc.ja}（{value}）", f"{exc.en}") from None


def _people(data: Mapping[str, Any], file: str) -> People:
    """`[[people]]`: name = "…", addresses = ["kacho@…", "yamada.t@…"] — one person who
    writes from several addresses. The first address is where mail to them goes."""
    raw = data.get("people", [])
    if not isinstance(raw, list):
        raise ConfigError(
            file, "people", "[[people]] の表で指定してください。", "must be [[people]] tables"
        )
    entries = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(file, f"people[{i}]", "表で指定してください。", "must be a table")
        r = _Reader(file, item, f"people[{i}]")
        name = r.str("name", required=False) or ""
        addresses = [_address(r, "addresses", a) for a in r.str_list("addresses", required=True)]
        if not addresses:
            raise r.fail(
                "addresses",
                "アドレスを一つ以上指定してください。",
                "must name at least one address",
            )
        entries.append((name, addresses))
    try:
        return people_from(entries)
    except ValueError as exc:
        raise ConfigError(
            file,
            "people",
            "同じアドレスが二人の [[people]] に書かれています。",
            str(exc),
        ) from None


def parse_settings(data: Mapping[str, Any], file: str, base_dir: Path | None = None) -> Settings:
    """Validate the config; any table or key that nothing read is an error (a typo such as
    `require_authenticaed` would otherwise leave a security setting off in silence)."""
    seen: set[str] = set()
    token = _READ_KEYS.set(seen)
    try:
        settings = _parse_settings(_Tracked(data, "", seen), file, base_dir)
    finally:
        _READ_KEYS.reset(token)
    for path in _unread(data, seen):
        value: Any = data
        for part in path.replace("[", ".[").split("."):
            value = value[int(part[1:-1])] if part.startswith("[") else value[part]
        raise _unknown_key_error(file, path, value, seen)
    return settings


def _parse_settings(data: Mapping[str, Any], file: str, base_dir: Path | None) -> Settings:
    root = _Reader(file, data, "")
    base = base_dir or Path(".")

    def resolve(p: str) -> str:
        return str(Path(p) if Path(p).is_absolute() else (base / p))

    mb = root.table("mailbox")
    mb_host = mb.str("host") or ""
    mb_security = mb.security(mb_host, "ssl")
    mailbox = MailboxSettings(
        host=mb_host,
        port=mb.int("port", 993 if mb_security == "ssl" else 143),
        security=mb_security,
        username=mb.str("username") or "",
        password=mb.secret(required=True) or "",
        address=_gateway_address(mb),
        folder=mb.str("folder", "INBOX") or "INBOX",
        processed_folder=mb.str("processed_folder", "Processed") or "Processed",
        failed_folder=mb.str("failed_folder", "Failed") or "Failed",
        poll_interval=mb.num("poll_interval", 30.0, minimum=1),
        idle_timeout=mb.num("idle_timeout", 300.0, minimum=5),
        ca_file=resolve(v) if (v := mb.str("ca_file", required=False)) else None,
    )

    sm = root.table("smtp")
    sm_host = sm.str("host") or ""
    sm_security = sm.security(sm_host, "starttls")
    smtp = SmtpSettings(
        host=sm_host,
        port=sm.int("port", {"ssl": 465, "starttls": 587, "none": 25}[sm_security]),
        security=sm_security,
        username=sm.str("username", required=False),
        password=sm.secret(required=False),
        ca_file=resolve(v) if (v := sm.str("ca_file", required=False)) else None,
    )

    st = root.table("state")
    sg = root.table("signing")
    staff = root.table("staff")
    people = _people(data, file)
    allowed = tuple(_staff_pattern(staff, p) for p in staff.str_list("allowed", required=True))
    if not allowed:
        raise staff.fail(
            "allowed",
            "少なくとも一つ指定してください。",
            "must name at least one address or *@domain",
        )

    rv = root.table("review", required=False)
    adm = root.table("admin", required=False)
    admin_address = adm.str("address", required=False)
    working_hours = _clock_value(rv, "working_hours", "08:30-17:15", parse_hours)
    digest_time = _clock_value(adm, "digest_time", "08:30", parse_clock)
    tpl = root.table("templates", required=False)
    templates_dir = resolve(v) if (v := tpl.str("dir", required=False)) else None
    if templates_dir is not None and not Path(templates_dir).is_dir():
        raise tpl.fail(
            "dir",
            f"テンプレートのフォルダ {templates_dir} がありません。",
            f"templates directory {templates_dir} does not exist",
        )

    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise ConfigError(
            file,
            "accounts",
            "[[accounts]] を一つ以上指定してください。",
            "at least one [[accounts]] table is required",
        )
    accounts: list[Account] = []
    for i, raw in enumerate(raw_accounts):
        if not isinstance(raw, dict):
            raise ConfigError(file, f"accounts[{i}]", "表で指定してください。", "must be a table")
        acc = _Reader(file, raw, f"accounts[{i}]")
        name = acc.str("name") or ""
        platform = acc.str("platform") or ""
        if platform not in PLATFORMS:
            raise acc.fail(
                "platform",
                f"{platform} は使えません。{' / '.join(PLATFORMS)} のいずれかにしてください。",
                f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}",
            )
        rules = _account_rules(acc, people)
        reviewers = _person_list(acc, "reviewers", people, required=not rules.stages)
        if not reviewers:  # stages alone: everyone of every stage, in order
            reviewers = tuple(dict.fromkeys(m for st in rules.stages for m in st.members))
        if acc.data.get("required") is not None:
            rules = _pool(acc, rules, reviewers)
        if len(set(reviewers)) < 2:
            raise acc.fail(
                "reviewers",
                "確認者を二人以上指定してください（指針 4(4)：複数の者で確認）。",
                "at least two distinct reviewers are required (guideline 4(4))",
            )
        if any(a.name == name for a in accounts):
            raise acc.fail(
                "name", f"アカウント名 {name} が重複しています。", f"duplicate account name {name}"
            )
        accounts.append(Account(name=name, platform=platform, reviewers=reviewers, rules=rules))

    ck = root.table("checker", required=False)
    check = CheckSettings(
        rules_dir=resolve(v) if (v := ck.str("rules_dir", required=False)) else None,
        office_phones=ck.str_list("office_phones"),
        office_domains=tuple(d.lower() for d in ck.str_list("office_domains")),
        internal_hosts=tuple(h.lower() for h in ck.str_list("internal_hosts")),
        link_blocklist=tuple(h.lower() for h in ck.str_list("link_blocklist")),
        spam_window_days=ck.count("spam_window_days", 30, minimum=0),
    )

    return Settings(
        source=file,
        mailbox=mailbox,
        smtp=smtp,
        state_path=resolve(st.str("path") or ""),
        key_file=resolve(sg.str("key_file") or ""),
        staff_allowed=allowed,
        accounts=tuple(accounts),
        reminder_after_hours=rv.num("reminder_after_hours", 24.0, minimum=0),
        expire_after_days=rv.num("expire_after_days", 7.0, minimum=0),
        admin_address=_address(adm, "address", admin_address) if admin_address else None,
        office_name=root.str("office_name", None, required=False) or "",
        check=check,
        working_hours=working_hours,
        digest_time=digest_time,
        templates_dir=templates_dir,
        limits=_limits(root.table("limits", required=False)),
        require_authenticated=_require_authenticated(rv),
        authserv_ids=tuple(a.lower() for a in rv.str_list("authserv_ids")),
        closed_days=_closed_days(rv),
        people=people,
    )


def _gateway_address(mb: _Reader) -> str:
    """The gateway's own mailbox: plain, since its plus-addresses carry the reply tokens."""
    value = mb.str("address") or ""
    if "+" in value.rpartition("@")[0]:
        raise mb.fail(
            "address", "アドレスに + を含めないでください。", "the address must not contain '+'"
        )
    return _address(mb, "address", value)


def _staff_pattern(reader: _Reader, pattern: str) -> str:
    """An exact address (canonical) or `*@domain` (the domain canonical)."""
    if pattern.startswith("*@"):
        try:
            return "*@" + canonical_domain(pattern[2:])
        except AddressError as exc:
            raise reader.fail("allowed", f"{exc.ja}（{pattern}）", exc.en) from None
    return _address(reader, "allowed", pattern)


def _person_list(
    reader: _Reader, name: str, people: People, *, required: bool = False
) -> tuple[str, ...]:
    """Addresses as person keys (gateway.identity), in order, each person once: two
    spellings or [[people]] aliases of one person are one entry, never two reviewers."""
    keys = (people.key(_address(reader, name, v)) for v in reader.str_list(name, required=required))
    return tuple(dict.fromkeys(keys))


def _closed_days(rv: _Reader) -> frozenset[date]:
    """`closed_days = ["2026-08-13", "2026-08-14..2026-08-16"]`: days the office is closed
    beyond weekends, holidays and the year-end (counted as holidays for reminders)."""
    days: set[date] = set()
    for item in rv.str_list("closed_days"):
        first, sep, last = item.replace("〜", "..").replace("～", "..").partition("..")
        try:
            a = date.fromisoformat(first.strip())
            b = date.fromisoformat(last.strip()) if sep else a
        except ValueError:
            raise rv.fail(
                "closed_days",
                f"{item} は日付として読めません。「2026-08-13」か「2026-08-13..2026-08-16」の形で書いてください。",
                f"cannot read {item!r} as a date or a range (2026-08-13 or 2026-08-13..2026-08-16)",
            ) from None
        if b < a or (b - a).days > 366:
            raise rv.fail(
                "closed_days",
                f"{item} の期間が正しくありません。",
                f"{item!r} is not a valid range",
            )
        days.update(a + timedelta(days=i) for i in range((b - a).days + 1))
    return frozenset(days)


def _bool(reader: _Reader, name: str, default: bool = False) -> bool:
    value = reader.data.get(name, default)
    if not isinstance(value, bool):
        raise reader.fail(name, "true か false で指定してください。", "must be true or false")
    return value


def _count(reader: _Reader, name: str, *, minimum: int, maximum: int) -> int:
    value = reader.data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise reader.fail(
            name,
            f"{minimum}〜{maximum} の整数で指定してください。",
            f"must be an integer from {minimum} to {maximum}",
        )
    return value


def _account_rules(acc: _Reader, people: People) -> AccountRules:
    """The section's own rules for one account (clause 4(4)), as data: stages, a required
    role, emergencies and 定型文. A pool (`required = N`) is read once the reviewers are known."""
    role = _person_list(acc, "at_least_one_of", people)
    stages: list[Stage] = []
    raw_stages = acc.data.get("stages")
    if raw_stages is not None:
        if not isinstance(raw_stages, list) or not raw_stages:
            raise acc.fail(
                "stages",
                "[[accounts.stages]] の表で指定してください。",
                "must be [[accounts.stages]] tables",
            )
        if acc.data.get("required") is not None:
            raise acc.fail(
                "required",
                "required と stages は一緒に使えません。段階ごとに required を書いてください。",
                "use either required (a pool) or stages, with required per stage",
            )
        for i, raw in enumerate(raw_stages):
            if not isinstance(raw, dict):
                raise acc.fail(f"stages[{i}]", "表で指定してください。", "must be a table")
            st = _Reader(acc.file, raw, acc.key(f"stages[{i}]"))
            members = _person_list(st, "reviewers", people, required=True)
            required = (
                _count(st, "required", minimum=1, maximum=max(1, len(members)))
                if "required" in raw
                else 1
            )
            stages.append(Stage(members, required, st.str("name", f"第{i + 1}段階") or ""))
        if sum(s.required for s in stages) < 2:
            raise acc.fail(
                "stages",
                "承認に必要な人数の合計を二人以上にしてください（指針 4(4)：複数の者で確認）。",
                "the stages must require at least two approvals in all (guideline 4(4))",
            )
    emergency = _bool(acc, "emergency")
    minutes = acc.num("emergency_reminder_minutes", 15, minimum=1)
    fixed = _fixed_texts(acc, emergency, people)
    return AccountRules(
        stages=tuple(stages),
        at_least_one_of=role,
        emergency=emergency,
        emergency_reminder=timedelta(minutes=minutes),
        fixed_texts=fixed,
    )


def _pool(acc: _Reader, rules: AccountRules, reviewers: tuple[str, ...]) -> AccountRules:
    """`required = N`: everyone listed is asked; the first N different people complete it."""
    from dataclasses import replace

    n = _count(acc, "required", minimum=2, maximum=max(2, len(reviewers)))
    return replace(rules, stages=(Stage(reviewers, n, ""),))


def _fixed_texts(acc: _Reader, emergency: bool, people: People) -> tuple[FixedText, ...]:
    from gateway.routing import placeholders

    raw = acc.data.get("fixed_texts")
    if raw is None:
        return ()
    if not emergency:
        raise acc.fail(
            "fixed_texts",
            "定型文は緊急時のためのものです。emergency = true と一緒に指定してください。",
            "fixed_texts are for emergencies: set emergency = true as well",
        )
    if not isinstance(raw, list):
        raise acc.fail(
            "fixed_texts", "[[accounts.fixed_texts]] の表で指定してください。", "must be tables"
        )
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise acc.fail(f"fixed_texts[{i}]", "表で指定してください。", "must be a table")
        ft = _Reader(acc.file, item, acc.key(f"fixed_texts[{i}]"))
        text = ft.str("text") or ""
        if "}{" in text.replace(" ", ""):
            raise ft.fail(
                "text",
                "差し込み欄（{…}）を続けて書かないでください。",
                "placeholders must not touch",
            )
        approved = _person_list(ft, "approved_by", people, required=True)
        if len(approved) < 2:
            raise ft.fail(
                "approved_by",
                "定型文を事前に承認した二人を指定してください。",
                "name the two people who approved the text in advance",
            )
        if not placeholders(text):
            raise ft.fail("text", "差し込み欄（{日時} など）がありません。", "has no {placeholder}")
        out.append(FixedText(ft.str("name") or "", text, approved))
    return tuple(out)


def _limits(lim: _Reader) -> Limits:
    return Limits(
        per_sender_per_hour=lim.count("per_sender_per_hour", 60, minimum=1),
        max_message_mb=lim.num("max_message_mb", 30.0, minimum=0.1),
        max_attachment_mb=lim.num("max_attachment_mb", 15.0, minimum=0.1),
        max_attachments=lim.count("max_attachments", 20, minimum=0),
    )


def _require_authenticated(rv: _Reader) -> bool:
    value = rv.data.get("require_authenticated", False)
    if not isinstance(value, bool):
        raise rv.fail(
            "require_authenticated", "true か false で指定してください。", "must be true or false"
        )
    if value and not rv.str_list("authserv_ids"):
        raise rv.fail(
            "authserv_ids",
            'require_authenticated = true のときは、受信サーバーの authserv-id を指定してください（Microsoft 365 は "-"）。',
            'require_authenticated needs the receiving server\'s authserv_ids ("-" for Microsoft 365)',
        )
    return value


def _clock_value(reader: _Reader, name: str, default: str, parse: Callable[[str], Any]) -> Any:
    """A time of day (`08:30`) or a span (`08:30-17:15`), Japan time."""
    value = reader.str(name, default) or default
    try:
        return parse(value)
    except ValueError:
        example = "08:30-17:15" if "-" in default else "08:30"
        raise reader.fail(
            name,
            f"{value} は時刻として読めません。「{example}」の形で書いてください。",
            f"cannot read {value!r} as a time; write it like {example!r}",
        ) from None


def load_settings(path: str | os.PathLike[str]) -> Settings:
    """Read and validate the config file; raise ConfigError on any problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(
            str(p),
            "(file)",
            f"設定ファイルを読めません（{exc.strerror}）。",
            f"cannot read file: {exc.strerror}",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(
            str(p), "(file)", "UTF-8 で保存してください。", "file is not UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            str(p), "(syntax)", f"TOML の書き方に誤りがあります: {exc}", f"TOML syntax error: {exc}"
        ) from None
    return parse_settings(data, str(p), p.parent)


def staff_allowed(settings: Settings, address: str) -> bool:
    """True when `address` may submit drafts: it, or another address of the same person
    ([[people]]), is listed exactly or is in a listed `*@domain`. Any spelling of a listed
    address passes; an odd address (gateway.identity refuses it) never does."""
    canonical = try_canonical(address)
    if canonical is None:
        return False
    spellings = {canonical, *settings.people.addresses_of(settings.people.key(canonical))}
    for addr in spellings:
        domain = addr.rsplit("@", 1)[1]
        if any(
            addr == p or (p.startswith("*@") and domain == p[2:]) for p in settings.staff_allowed
        ):
            return True
    return False


def exposed_secret_files(config_path: str | os.PathLike[str]) -> list[str]:
    """The config (when it holds a plain password) and password files that others can read."""
    try:
        data = tomllib.loads(Path(config_path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return []
    candidates: list[Path] = []
    base = Path(config_path).parent
    for table in ("mailbox", "smtp"):
        section = data.get(table) or {}
        if "password" in section:
            candidates.append(Path(config_path))
        if isinstance(section.get("password_file"), str):
            p = Path(section["password_file"])
            candidates.append(p if p.is_absolute() else base / p)
    exposed = []
    for path in dict.fromkeys(candidates):
        try:
            if path.stat().st_mode & 0o077:
                exposed.append(str(path))
        except OSError:
            continue
    return exposed
