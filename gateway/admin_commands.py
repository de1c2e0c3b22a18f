"""Admin commands from the CLI (`gateway absence add|remove`, `gateway reassign`).

The daemon holds the state, so the CLI drops a small JSON file in the spool's `commands/`
and the daemon applies it on its next tick (within a minute), in a transaction, with the
staff desk's mails and audit events (gateway.staffdesk).
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gateway import absence as ab
from gateway.draft_commands import reassign
from gateway.durable import write_atomically
from gateway.records import Absence
from gateway.routing import local_day, same_person
from gateway.staffdesk import account_people, audit_event, queue_absence_mail, report_absence

if TYPE_CHECKING:
    from gateway.pipeline import Gateway
    from gateway.settings import Settings

log = logging.getLogger(__name__)


def commands_dir(settings: Settings) -> Path:
    state = Path(settings.state_path)
    return state.with_name(state.name + ".spool") / "commands"


def queue_admin_command(settings: Settings, command: dict[str, Any]) -> Path:
    """The CLI's side: one JSON file the daemon applies on its next tick."""
    folder = commands_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now().strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}.json"
    path = folder / name
    write_atomically(path, json.dumps(command, ensure_ascii=False).encode("utf-8"), mode=0o644)
    return path


def queued_admin_commands(settings: Settings) -> list[tuple[Path, dict[str, Any]]]:
    folder = commands_dir(settings)
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            log.warning("event=admin_command_unreadable path=%s", path)
    return out


def apply_admin_commands(gw: Gateway, now: datetime) -> int:
    """Inside the tick's transaction: apply the CLI's queued commands, oldest first."""
    done = 0
    for path, command in queued_admin_commands(gw.settings):
        try:
            result = _apply(gw, command, now)
        except (KeyError, ValueError, TypeError) as exc:
            result = f"読めない指示です ({exc!r})"
        if result:
            gw.store.add_event(
                audit_event(
                    "admin_command_failed",
                    command.get("draft_id"),
                    "admin",
                    now,
                    command=command,
                    reason=result,
                )
            )
            log.warning("event=admin_command_failed command=%s reason=%s", command, result)
        path.unlink(missing_ok=True)
        done += 1
    return done


def _apply(gw: Gateway, command: dict[str, Any], now: datetime) -> str | None:
    store = gw.store
    kind = command["command"]
    if kind == "absence-add":
        start, end = date.fromisoformat(command["start"]), date.fromisoformat(command["end"])
        unconfirmed = [  # set by mail, never confirmed (or forged): the admin's replaces them
            a
            for a in store.absences()
            if a.state == ab.PENDING
            and same_person(a.reviewer, command["reviewer"])
            and ab.overlaps(a, replace(a, start=start, end=end))
        ]
        others = [a for a in store.absences() if a not in unconfirmed]
        reason = ab.problem(
            command["reviewer"], command["deputy"], start, end, local_day(now), others
        )
        if reason:
            return reason
        for old in unconfirmed:
            store.put_absence(replace(old, state=ab.REMOVED))
            store.add_event(audit_event("absence_replaced", None, "admin", now, absence_id=old.id))
        absence = Absence(
            id=store.next_absence_id(),
            reviewer=command["reviewer"],
            deputy=command["deputy"],
            start=start,
            end=end,
            state=ab.CONFIRMED,
            set_by="admin",
            created_at=now,
        )
        store.put_absence(absence)
        store.add_event(
            audit_event(
                "absence_set",
                None,
                "admin",
                now,
                absence_id=absence.id,
                reviewer=absence.reviewer,
                deputy=absence.deputy,
                start=command["start"],
                end=command["end"],
            )
        )
        queue_absence_mail(
            gw, absence, ab.STATUS, "confirmed", [absence.reviewer], [absence.deputy], now
        )
        return None
    if kind == "absence-remove":
        absence = store.get_absence(command["absence_id"])
        if absence is None or absence.state not in (ab.PENDING, ab.CONFIRMED):
            return f"{command['absence_id']} は取り消せる不在ではありません。"
        store.put_absence(replace(absence, state=ab.REMOVED))
        store.add_event(audit_event("absence_removed", None, "admin", now, absence_id=absence.id))
        today = local_day(now)
        if absence.state == ab.CONFIRMED and absence.start <= today:
            # Back early: the 後閲 covers the days the absence did count.
            report_absence(gw, replace(absence, end=min(absence.end, today), state=ab.REMOVED), now)
        return None
    if kind == "reassign":
        draft = store.get_draft(command["draft_id"])
        if draft is None:
            return f"{command['draft_id']} が見つかりません。"
        outcome = reassign(
            draft,
            command["from"],
            command["to"],
            now,
            listed=account_people(gw.settings, draft.account),
        )
        if isinstance(outcome, str):
            return outcome
        gw.persist(outcome, now)
        return None
    return f"知らない指示です: {kind}"
