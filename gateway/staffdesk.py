"""The shell's side of staff and admin commands (issue 11), beside gateway.pipeline.

- Mail commands on a draft (状況, 取り下げ, 再送): recognised strictly (gateway.commands),
  decided purely (gateway.draft_commands), persisted by the pipeline.
- Absences by mail: 「不在 … 代理 …」 from a listed reviewer -> a pending record and a
  confirmation mail with a token bound to that reviewer's address; the answer 「はい」 with
  that token confirms it. A forged From never gets the token, so it never takes effect.
- Admin commands from the CLI (`gateway absence add|remove`, `gateway reassign`) are
  queued and applied by gateway.admin_commands, with this module's mails and events.
- On each tick: 後閲 mails for absences that ended, lapsed confirmations.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from gateway import absence as ab
from gateway.commands import (
    Command,
    absence_subject,
    find_absence,
    looks_like_absence,
    read_absence,
    read_command,
)
from gateway.draft_commands import notice, resend, status_report, withdraw
from gateway.records import Absence, AuditEvent, Draft, Outcome
from gateway.render import templated_notice
from gateway.replies import own_words
from gateway.routing import deciders, local_day, same_person, seat_of
from gateway.settings import Settings, staff_allowed

if TYPE_CHECKING:
    from gateway.model import Incoming
    from gateway.pipeline import Gateway

log = logging.getLogger(__name__)
_MAX_COMMAND_MAIL = 200_000  # characters: beyond this a mail is never read as a command


def listed_reviewers(settings: Settings) -> list[str]:
    """Everyone listed as a reviewer of some account (pair, pool or stage)."""
    out: list[str] = []
    for acc in settings.accounts:
        for person in (*acc.reviewers, *(m for st in acc.rules.stages for m in st.members)):
            if not any(same_person(person, p) for p in out):
                out.append(person)
    return out


def account_people(settings: Settings, account: str) -> list[str]:
    """Everyone listed for one account (reviewers and stage members)."""
    acc = settings.account(account)
    if acc is None:
        return []
    return list(
        dict.fromkeys((*acc.reviewers, *(m for st in acc.rules.stages for m in st.members)))
    )


def is_listed_reviewer(settings: Settings, address: str) -> bool:
    return any(same_person(address, p) for p in listed_reviewers(settings))


def audit_event(
    action: str, draft_id: str | None, actor: str, at: datetime, **detail: Any
) -> AuditEvent:
    """An audit event of the staff desk (`actor` "-" when none is known)."""
    return AuditEvent(action, draft_id, actor or "-", at, detail)


# --------------------------------------------------------------------------- draft commands


def draft_command(
    draft: Draft, inc: Incoming, now: datetime, *, has_token: bool, sent: list[str] = ()
) -> tuple[Outcome, str] | None:
    """状況 / 取り下げ / 再送 on `draft`, when the sender's own words are just that command."""
    sender = inc.from_addr
    if len(inc.text) > _MAX_COMMAND_MAIL:  # a command with its quote is never this long
        return None
    command = read_command(own_words(inc.text, sent), inc.from_name)
    if command not in (Command.STATUS, Command.WITHDRAW, Command.RESEND):
        return None
    is_author = same_person(sender, draft.author)
    on_route = seat_of(draft, sender) is not None or any(
        same_person(sender, p) for p in deciders(draft)
    )
    if command == Command.STATUS:
        if is_author or on_route:
            return status_report(draft, sender, now, inc.message_id), "status_report"
        # Someone else: logged, nobody answered (the From may not be theirs).
        return Outcome(
            None,
            (),
            (
                audit_event(
                    "command_refused", draft.id, sender, now, command="status", reason="not-asked"
                ),
            ),
        ), "command_refused"
    if command == Command.WITHDRAW:
        if on_route and not is_author:
            return None  # a reviewer's 「取り下げ」 is read as their answer (unclear: asked again)
        if is_author and not has_token:  # withdrawing needs the author's reply token
            return notice(
                draft, sender, "withdraw-needs-reply", now, inc.message_id, "command_refused"
            ), "command_refused"
        outcome = withdraw(draft, sender, now, inc.message_id)  # refuses anyone else
        return outcome, "withdrawn" if outcome.draft is not None else "command_refused"
    # 再送: only someone asked now gets the request again; anyone else is refused (the
    # author and people on the draft are told so at their own address).
    outcome = resend(draft, sender, now, inc.message_id)
    resent = any(e.action == "request_resent" for e in outcome.events)
    return outcome, "resend" if resent else "command_refused"


_NAMED_DRAFT_RE = re.compile(
    r"D-\d{6}\s*(?:第\s*\d{1,3}\s*版)?\s*(?:について(?:の)?|の件(?:で|の)?|の|は|を|、)?"
)
_COMMAND_STEMS = (  # a word every command form has (a cheap test before reading own words)
    *("状況", "進捗", "どうなって"),
    *("取り下", "取下", "取り消", "取消", "キャンセル", "取りやめ"),
    *("再送", "送って", "送りください", "届いていません"),
)
_COMMAND_LABELS = {Command.STATUS: "状況", Command.WITHDRAW: "取り下げ", Command.RESEND: "再送"}


def needs_draft_mail(
    to: str,
    command_label: str,
    gateway_address: str,
    now: datetime,
    *,
    in_reply_to: str | None = None,
    template_dir: str | None = None,
) -> EmailMessage:
    """The `notice` for a command that names no draft: reply to a mail of the draft."""
    return templated_notice(
        to,
        "[お知らせ] どの投稿案へのご指示か分かりませんでした",
        "notice",
        {"reason": "command-needs-draft", "command_label": command_label},
        gateway_address,
        now,
        template_dir,
        in_reply_to=in_reply_to,
    )


def command_without_draft(gw: Gateway, inc: Incoming, now: datetime) -> tuple[Outcome, str] | None:
    """A new mail whose subject names no draft but whose own words are 状況 / 取り下げ /
    再送: with one draft number in the words (「D-000001の再送をお願いします」) it is that
    draft's command; with none, the sender is asked to reply to a mail of the draft. Never
    a draft 「状況」 for the reviewers. None when the words are no such command."""
    if len(inc.text) > _MAX_COMMAND_MAIL:
        return None
    folded = unicodedata.normalize("NFKC", inc.text)  # ｷｬﾝｾﾙ from an old phone too
    if not any(k in folded for k in _COMMAND_STEMS):
        return None  # the common case, a draft: no reading of own words at all
    words = unicodedata.normalize("NFKC", own_words(inc.text))
    if len(words) > 400:
        return None
    named = {m.upper() for m in re.findall(r"D-\d{6}", words, flags=re.IGNORECASE)}
    rest = _NAMED_DRAFT_RE.sub("", words.replace("d-", "D-"))
    command = read_command(rest, inc.from_name)
    if command not in _COMMAND_LABELS:
        return None
    draft = gw.store.get_draft(next(iter(named))) if len(named) == 1 else None
    if draft is not None:
        return draft_command(draft, replace(inc, text=rest), now, has_token=False)
    msg = needs_draft_mail(
        inc.from_addr,
        _COMMAND_LABELS[command],
        gw.address,
        now,
        in_reply_to=inc.message_id,
        template_dir=gw.settings.templates_dir,
    )
    gw.queue_standalone(msg, "notice", [inc.from_addr], now)
    event = audit_event(
        "command_refused", None, inc.from_addr, now, command=str(command), reason="no-draft"
    )
    return Outcome(None, (), (event,)), "command_refused"


# --------------------------------------------------------------------------- absences by mail


def absence_by_mail(gw: Gateway, inc: Incoming, now: datetime, *, in_reply: bool = False) -> str | None:
    """A mail whose own words are 「不在 … 代理 …」: a pending absence and a confirmation mail
    to the sender's address. None when the mail is not such a command. A new mail that
    is meant as one but cannot be read (gateway.commands.looks_like_absence) is answered,
    for a listed reviewer, with the way to write it, never taken for a draft; in a reply
    (`in_reply`) only the whole own words count, anything else is left to the reply reader.
    An unconfirmed absence of the same reviewer over the same days is replaced (a
    corrected mail); a confirmed one is not (the admin removes it)."""
    sender = inc.from_addr
    in_subject = "" if in_reply else absence_subject(inc.subject)
    if len(inc.text) > _MAX_COMMAND_MAIL or (
        "不在" not in unicodedata.normalize("NFKC", inc.text) and not in_subject
    ):
        return None  # the common case, a draft: no reading of own words at all
    words = absence_words(inc.text)
    if in_subject and not looks_like_absence(words):  # the body: nothing, or a signature
        words = in_subject
    read = read_absence if in_reply else find_absence  # a reply: the whole words, strictly
    request = read(words, local_day(now), inc.from_name)
    if request is None and (in_reply or not looks_like_absence(words)):
        return None
    store = gw.store
    listed = is_listed_reviewer(gw.settings, sender)
    if request is None:  # meant as an absence: a reviewer is told how to write it
        return _unreadable_absence(gw, inc, now) if listed else None
    if not listed:
        if in_reply:  # e.g. a deputy who is no listed reviewer: read as their answer
            return None
        store.add_event(audit_event("absence_refused", None, sender, now, reason="not-a-reviewer"))
        return "absence_refused"
    deputy = gw.settings.people.key_or_none(request.deputy)  # a [[people]] alias is its person
    if deputy is not None:
        request = replace(request, deputy=deputy)
    own_pending = [
        a
        for a in store.absences()
        if a.state == ab.PENDING
        and same_person(a.reviewer, sender)
        and a.start <= request.end
        and request.start <= a.end
    ]
    others = [a for a in store.absences() if a not in own_pending]
    reason = ab.problem(
        sender, request.deputy, request.start, request.end, local_day(now), others
    )
    if reason is None and deputy is None:
        reason = f"{request.deputy} はメールアドレスとして使えません。"
    if reason is None and not staff_allowed(gw.settings, request.deputy):
        reason = (
            f"代理の {request.deputy} さんは、このシステムを使える職員のアドレスではありません。"
        )
    absence = Absence(
        id=store.next_absence_id(),
        reviewer=sender,
        deputy=request.deputy,
        start=request.start,
        end=request.end,
        state=ab.PENDING if reason is None else "refused",
        set_by=sender,
        created_at=now,
    )
    kind = "request" if reason is None else "refused"
    if reason is None:
        for old in own_pending:  # never in effect: the corrected mail takes its place
            store.put_absence(replace(old, state=ab.REMOVED))
            store.add_event(
                audit_event(
                    "absence_replaced", None, sender, now, absence_id=old.id, by=absence.id
                )
            )
        store.put_absence(absence)
    store.add_event(
        audit_event(
            "absence_requested" if reason is None else "absence_refused",
            None,
            sender,
            now,
            absence_id=absence.id,
            deputy=absence.deputy,
            start=absence.start.isoformat(),
            end=absence.end.isoformat(),
            message_id=inc.message_id,
            **({"reason": reason} if reason else {}),
        )
    )
    queue_absence_mail(
        gw, absence, ab.STATUS, kind, [sender], [], now, reason=reason, in_reply_to=inc.message_id
    )
    return "absence_" + kind


def _unreadable_absence(gw: Gateway, inc: Incoming, now: datetime) -> str:
    """A listed reviewer's 「不在 …」 that is no readable command: told how to write it."""
    today = local_day(now)
    placeholder = Absence("", inc.from_addr, "", today, today, "refused", inc.from_addr, now)
    gw.store.add_event(
        audit_event(
            "absence_refused", None, inc.from_addr, now, reason="unreadable",
            message_id=inc.message_id,
        )
    )
    queue_absence_mail(
        gw, placeholder, ab.STATUS, "unreadable", [inc.from_addr], [], now,
        in_reply_to=inc.message_id,
    )
    return "absence_refused"


_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+-]{1,64}[@＠][A-Za-z0-9.-]{1,190}")


def absence_words(text: str) -> str:
    """The sender's own words, with the address on a line about the absence (不在, 代理)
    kept: the reply reader would otherwise take a line with an address for a signature
    line. Quoted lines stay as they are (they are dropped)."""
    kept: list[str] = []

    def hide(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return f"〔代理{len(kept) - 1}〕"

    def about_absence(line: str) -> bool:
        folded = unicodedata.normalize("NFKC", line)
        return not folded.lstrip().startswith(">") and ("不在" in folded or "代理" in folded)

    lines = [
        _ADDRESS_RE.sub(hide, line) if about_absence(line) else line
        for line in (text or "").splitlines()
    ]
    words = own_words("\n".join(lines))
    for i, address in enumerate(kept):
        words = words.replace(f"〔代理{i}〕", address)
    return words


_ABSENCE_MAIL_ID_RE = re.compile(r"<A-(?:\d{6}|unreadable)\.absence(?:-report)?\.")


def answers_absence_mail(inc: Incoming) -> bool:
    """A mail (without an absence token) that answers one of our absence mails: never a
    draft. Our absence mails' Message-IDs start with the absence id."""
    refs = [inc.in_reply_to or "", *inc.references]
    return any(_ABSENCE_MAIL_ID_RE.match(r.strip()) for r in refs)


def confirm_by_mail(gw: Gateway, inc: Incoming, token, now: datetime) -> str:
    """A reply carrying an absence token. It counts only when the token was made for this
    From (the reviewer's own mailbox) and the own words are just 「はい」."""
    from gateway.tokens import token_matches

    store = gw.store
    absence = store.get_absence(token.draft_id)
    sender = inc.from_addr
    if absence is None or not token_matches(gw.token_secret, token, sender):
        store.add_event(
            audit_event(
                "absence_not_confirmed",
                None,
                sender,
                now,
                absence_id=token.draft_id,
                reason="token-not-for-sender",
            )
        )
        return "absence_not_confirmed"
    if read_command(own_words(inc.text), inc.from_name) != Command.CONFIRM:
        store.add_event(
            audit_event(
                "absence_not_confirmed",
                None,
                sender,
                now,
                absence_id=absence.id,
                reason="not-a-yes",
            )
        )
        queue_absence_mail(
            gw,
            absence,
            ab.STATUS,
            "not-confirmed",
            [absence.reviewer],
            [],
            now,
            in_reply_to=inc.message_id,
        )
        return "absence_not_confirmed"
    confirmed = ab.confirm(absence, now)
    if confirmed is None:
        store.add_event(
            audit_event(
                "absence_not_confirmed",
                None,
                sender,
                now,
                absence_id=absence.id,
                reason=absence.state,
            )
        )
        if absence.state != ab.CONFIRMED:  # replaced, removed or lapsed: say so
            queue_absence_mail(
                gw, absence, ab.STATUS, "stale", [absence.reviewer], [], now,
                in_reply_to=inc.message_id,
            )
        return "absence_not_confirmed"
    store.put_absence(confirmed)
    store.add_event(
        audit_event(
            "absence_confirmed",
            None,
            sender,
            now,
            absence_id=absence.id,
            deputy=absence.deputy,
            start=absence.start.isoformat(),
            end=absence.end.isoformat(),
        )
    )
    queue_absence_mail(
        gw,
        confirmed,
        ab.STATUS,
        "confirmed",
        [absence.reviewer],
        [absence.deputy],
        now,
        in_reply_to=inc.message_id,
    )
    return "absence_confirmed"


def queue_absence_mail(
    gw: Gateway,
    absence: Absence,
    status: str,
    kind: str,
    to: list[str],
    cc: list[str],
    now: datetime,
    **extra: Any,
) -> None:
    ctx = ab.context(absence, **extra)
    msg = ab.build_absence_message(
        status,
        kind,
        absence,
        ctx,
        to=to,
        cc=cc,
        gateway_address=gw.address,
        token_secret=gw.token_secret,
        now=now,
        template_dir=gw.settings.templates_dir,
    )
    gw.queue_standalone(msg, status, [*to, *cc], now)


# --------------------------------------------------------------------------- ticks


def absence_ticks(gw: Gateway, now: datetime) -> int:
    """Inside the tick's transaction: 後閲 for absences that ended; lapse old pending ones."""
    store = gw.store
    changed = 0
    absences = store.absences()
    for a in ab.lapsed(absences, now):
        store.put_absence(replace(a, state=ab.LAPSED))
        store.add_event(audit_event("absence_lapsed", None, "gateway", now, absence_id=a.id))
        changed += 1
    for a in ab.due_reports(absences, now):
        done = replace(a, state=ab.REPORTED, reported_at=now)
        store.put_absence(done)
        report_absence(gw, done, now)
        changed += 1
    return changed


def report_absence(gw: Gateway, absence: Absence, now: datetime) -> None:
    """The 後閲 mail: what others decided in the reviewer's place, and its audit event."""
    entries = ab.report_entries(absence, gw.store.all_drafts())
    queue_absence_mail(gw, absence, ab.REPORT_STATUS, "report", [absence.reviewer], [], now, entries=entries)
    gw.store.add_event(
        audit_event(
            "absence_reported",
            None,
            "gateway",
            now,
            absence_id=absence.id,
            reviewer=absence.reviewer,
            deputy=absence.deputy,
            decisions=[f"{e['draft_id']} v{e['version']} {e['decision']}" for e in entries],
        )
    )
