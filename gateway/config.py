"""The TOML config file -> frozen settings (gateway.settings), validated before anything connects.

This module reads the file and the top-level tables ([mailbox], [smtp], [state], [signing],
[staff], [review], [admin], [templates], [limits], [checker]); the people and accounts are
read by gateway.config_accounts, passwords by gateway.credentials, and the typed, strict
access to each table is gateway.config_reader's. Every problem is reported once, naming the
file, the key and what is wrong, in Japanese (for the admin reading the terminal) and English
(for the log).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from gateway.businessdays import parse_clock, parse_hours
from gateway.config_accounts import config_address, read_accounts, read_people
from gateway.config_reader import ConfigError, TableReader, read_strict
from gateway.credentials import read_secret
from gateway.identity import AddressError, canonical_domain
from gateway.settings import CheckSettings, Limits, MailboxSettings, Settings, SmtpSettings


def parse_settings(data: Mapping[str, Any], file: str, base_dir: Path | None = None) -> Settings:
    """Validate the config; any table or key that nothing read is an error (a typo such as
    `require_authenticaed` would otherwise leave a security setting off in silence)."""
    return read_strict(data, file, lambda tracked: _parse_settings(tracked, file, base_dir))


def _parse_settings(data: Mapping[str, Any], file: str, base_dir: Path | None) -> Settings:
    root = TableReader(file, data, "")
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
        password=read_secret(mb, required=True) or "",
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
        password=read_secret(sm, required=False),
        ca_file=resolve(v) if (v := sm.str("ca_file", required=False)) else None,
    )

    st = root.table("state")
    sg = root.table("signing")
    staff = root.table("staff")
    people = read_people(data, file)
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

    accounts = read_accounts(data, file, people)

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
        accounts=accounts,
        reminder_after_hours=rv.num("reminder_after_hours", 24.0, minimum=0),
        expire_after_days=rv.num("expire_after_days", 7.0, minimum=0),
        admin_address=config_address(adm, "address", admin_address) if admin_address else None,
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


def _gateway_address(mb: TableReader) -> str:
    """The gateway's own mailbox: plain, since its plus-addresses carry the reply tokens."""
    value = mb.str("address") or ""
    if "+" in value.rpartition("@")[0]:
        raise mb.fail(
            "address", "アドレスに + を含めないでください。", "the address must not contain '+'"
        )
    return config_address(mb, "address", value)


def _staff_pattern(reader: TableReader, pattern: str) -> str:
    """An exact address (canonical) or `*@domain` (the domain canonical)."""
    if pattern.startswith("*@"):
        try:
            return "*@" + canonical_domain(pattern[2:])
        except AddressError as exc:
            raise reader.fail("allowed", f"{exc.ja}（{pattern}）", exc.en) from None
    return config_address(reader, "allowed", pattern)


def _closed_days(rv: TableReader) -> frozenset[date]:
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


def _limits(lim: TableReader) -> Limits:
    return Limits(
        per_sender_per_hour=lim.count("per_sender_per_hour", 60, minimum=1),
        max_message_mb=lim.num("max_message_mb", 30.0, minimum=0.1),
        max_attachment_mb=lim.num("max_attachment_mb", 15.0, minimum=0.1),
        max_attachments=lim.count("max_attachments", 20, minimum=0),
    )


def _require_authenticated(rv: TableReader) -> bool:
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


def _clock_value(reader: TableReader, name: str, default: str, parse: Callable[[str], Any]) -> Any:
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
