"""Drafts as TinyDB documents and back (ISO dates, plain lists), as the state stores them.

Apart from the store so that the archive, the deferral queue and the benchmarks decode
drafts the same way without the store itself.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from gateway.model import Decision, Finding, Severity
from gateway.records import Stage, StandIn
from gateway.workflow import AttachmentRef, Draft, Version, Vote


def optional_datetime(value: str | None) -> datetime | None:
    """An ISO timestamp, or None for an empty one."""
    return datetime.fromisoformat(value) if value else None


def draft_to_doc(draft: Draft) -> dict[str, Any]:
    def enc(obj: Any) -> Any:
        if isinstance(obj, datetime):
            return obj.isoformat()
        if isinstance(obj, dict):
            return {k: enc(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [enc(v) for v in obj]
        return obj

    return enc(asdict(draft))


def draft_from_doc(doc: dict[str, Any]) -> Draft:
    versions = tuple(
        Version(
            number=v["number"],
            text=v["text"],
            text_sha256=v["text_sha256"],
            subject=v["subject"],
            message_id=v["message_id"],
            received_at=datetime.fromisoformat(v["received_at"]),
            findings=tuple(
                Finding(**{**f, "severity": Severity(f["severity"])}) for f in v.get("findings", ())
            ),
            attachments=tuple(AttachmentRef(**a) for a in v.get("attachments", ())),
            schedule=optional_datetime(v.get("schedule")),
        )
        for v in doc["versions"]
    )
    votes = tuple(
        Vote(
            reviewer=v["reviewer"],
            decision=Decision(v["decision"]),
            version=v["version"],
            at=datetime.fromisoformat(v["at"]),
            message_id=v["message_id"],
            comment=v.get("comment", ""),
        )
        for v in doc.get("votes", ())
    )
    return Draft(
        id=doc["id"],
        author=doc["author"],
        author_name=doc.get("author_name", ""),
        account=doc["account"],
        state=doc["state"],
        reviewers=tuple(doc["reviewers"]),
        versions=versions,
        created_at=datetime.fromisoformat(doc["created_at"]),
        updated_at=datetime.fromisoformat(doc["updated_at"]),
        votes=votes,
        reminded=tuple(doc.get("reminded", ())),
        thread=tuple(doc.get("thread", ())),
        reason=doc.get("reason", ""),
        reminded_at=optional_datetime(doc.get("reminded_at")),
        alternates=tuple((r, a) for r, a in doc.get("alternates", ())),
        schedule_warned=int(doc.get("schedule_warned", 0)),
        stages=tuple(
            Stage(tuple(st["members"]), int(st["required"]), st.get("name", ""))
            for st in doc.get("stages", ())
        ),
        stand_ins=tuple(
            StandIn(si["seat"], si["person"], si["why"], datetime.fromisoformat(si["at"]))
            for si in doc.get("stand_ins", ())
        ),
        at_least_one_of=tuple(doc.get("at_least_one_of", ())),
        emergency=bool(doc.get("emergency", False)),
        fixed_text=doc.get("fixed_text", ""),
    )


def draft_number(draft_id: str) -> int:
    return int(draft_id.split("-", 1)[1])
