"""What the checker needs to know beyond the draft text, all of it from the config."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class CheckContext:
    """Settings and circumstances of one check; every field has a harmless default.

    The checker never reads the config or the clock itself, so a check is reproducible
    from the text and this object alone.
    """

    platform: str | None = None  # x | facebook | instagram | line | blog | web | mail_magazine
    account: str | None = None  # the account the draft is meant for
    official_accounts: tuple[str, ...] = ()  # 3(10): when non-empty, `account` must be one
    schedule: datetime | None = None  # planned posting time; year for dates written without one
    office_phone_allowlist: tuple[str, ...] = ()  # the office's own numbers: not personal data
    office_domains: tuple[str, ...] = ()  # the town's own mail/web domains
    internal_hosts: tuple[str, ...] = ()  # 4(3): host names / domains that must never appear
    link_blocklist: tuple[str, ...] = ()  # 3(7)オ: domains the admin has blocked
    recent_approved_texts: tuple[str, ...] = ()  # 3(8): texts approved in the last N days
    attachments: tuple[str, ...] = ()  # file names of attachments (photos prompt 3(4))
    # 3(4): photos whose EXIF gives a place or a camera serial (photos.PhotoMetadata.describe)
    photo_metadata: tuple[str, ...] = ()
    now: date | None = None  # "today", for tests; defaults to the schedule or the clock

    def reference_date(self) -> date:
        """The date a year-less date in the draft is read relative to."""
        if self.schedule is not None:
            return self.schedule.date()
        if self.now is not None:
            return self.now
        return date.today()
