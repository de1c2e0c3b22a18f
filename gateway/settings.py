"""What the gateway runs with: the frozen settings that gateway.config builds from the file.

Kept apart from the reading and validating, so the daemon's modules depend on the shape of
the settings only, not on TOML, strictness or secrets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time

from gateway.identity import NOBODY, People, try_canonical
from gateway.records import AccountRules

PLATFORMS = ("x", "facebook", "instagram", "line", "blog", "web", "mail_magazine")


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
