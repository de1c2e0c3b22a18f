"""A new draft or a revision as the pipeline reads it: the text split from its account and
schedule lines, the size limits and the checker's findings, the context the checker needs
(the office's numbers and domains, the posts approved recently), then the pure workflow's
`on_new_draft`. A mixin of `pipeline.Gateway` (its own module so that the pipeline stays
one job: read -> decide -> persist)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from gateway.checker import CheckContext
from gateway.checker.photos import photo_metadata_of
from gateway.drafts import split_draft
from gateway.mime import REFUSED_TOO_COMPLEX
from gateway.model import Finding, Incoming, Severity
from gateway.replies import new_text_of_reply
from gateway.routing import is_emergency_subject
from gateway.settings import Limits
from gateway.tokens import DRAFT_ID_RE
from gateway.workflow import (
    APPROVED,
    AttachmentRef,
    Draft,
    NewDraft,
    Outcome,
    find_previous,
    on_new_draft,
)

if TYPE_CHECKING:
    from gateway.pipeline import Gateway


def empty_post_finding() -> Finding:
    return Finding(
        rule="empty-draft",
        clause=None,
        severity=Severity.ERROR,
        line=1,
        column=1,
        excerpt="",
        message="投稿文が空です。本文に投稿する文章を書いてお送りください。",
    )


def size_findings(inc: Incoming, limits: Limits) -> list[Finding]:
    """Drafts too large to forward: the author is told the limit, reviewers are not bothered."""
    mb = 1024 * 1024

    def finding(rule: str, message: str) -> Finding:
        return Finding(rule, None, Severity.ERROR, 1, 1, "", message)

    out = []
    if inc.refused == REFUSED_TOO_COMPLEX:
        out.append(
            finding(
                "message-too-complex",
                "メールの構造が複雑すぎるため（入れ子や部品が多すぎます）、読み取れませんでした。本文に投稿文を書いた普通のメールとしてお送りください。",
            )
        )
    if inc.raw_size > limits.max_message_mb * mb:
        out.append(
            finding(
                "message-too-large",
                f"メール全体が大きすぎます（{inc.raw_size / mb:.1f}MB、上限 {limits.max_message_mb:g}MB）。写真を小さくしてお送りください。",
            )
        )
    if len(inc.attachments) > limits.max_attachments:
        out.append(
            finding(
                "too-many-attachments",
                f"添付ファイルが多すぎます（{len(inc.attachments)}個、上限 {limits.max_attachments}個）。",
            )
        )
    for a in inc.attachments:
        if a.size > limits.max_attachment_mb * mb:
            out.append(
                finding(
                    "attachment-too-large",
                    f"添付ファイル「{a.filename}」が大きすぎます（{a.size / mb:.1f}MB、上限 {limits.max_attachment_mb:g}MB）。",
                )
            )
    return out




class DraftIntake:
    """Methods of `Gateway` (see there for the attributes they use)."""

    def _new_draft(self: Gateway, inc: Incoming, now: datetime, previous: Draft | None) -> Outcome:
        author = self._person(inc)
        # A revision sent as a reply carries the quoted mail below it: only the new text counts.
        text = new_text_of_reply(inc.text) if previous is not None and inc.in_reply_to else inc.text
        parts = split_draft(text)
        account = parts.account or (previous.account if previous else None)
        if account is None and len(self.settings.accounts) == 1:
            account = self.settings.accounts[0].name
        acc = self.settings.account(account) if account else None
        findings: list[Finding] = list(size_findings(inc, self.settings.limits))
        photos = photo_metadata_of((a.filename, a.content()) for a in inc.attachments)  # EXIF
        if not parts.post_text.strip():
            findings.append(empty_post_finding())
        else:
            findings.extend(
                self.checker.check(
                    parts.post_text,
                    self._check_context(
                        account,
                        acc,
                        parts,
                        now,
                        photos,
                        tuple(a.filename for a in inc.attachments if a.filename),
                    ),
                )
            )
        if previous is None:
            previous = find_previous(author, inc.subject, self.store.drafts_by_author(author))
        attachments = tuple(
            AttachmentRef(a.filename, a.content_type, self.spool.adopt_attachment(a), a.size)
            for a in inc.attachments
        )
        subject = inc.subject
        if previous is not None:
            subject = previous.versions[0].subject if DRAFT_ID_RE.search(subject or "") else subject
        event = NewDraft(
            author=author,
            author_name=inc.from_name,
            subject=subject or "（件名なし）",
            message_id=inc.message_id,
            references=inc.references,
            text=parts.post_text,
            account=parts.account,
            schedule=parts.schedule,
            findings=tuple(findings),
            attachments=attachments,
            at=now,
            emergency=parts.emergency or is_emergency_subject(inc.subject),
        )
        new_id = previous.id if previous else self.store.next_draft_id()
        return on_new_draft(event, previous, new_id, self.current_policy())

    def _check_context(
        self: Gateway,
        account,
        acc,
        parts,
        now: datetime,
        photo_metadata: tuple[str, ...] = (),
        attachments: tuple[str, ...] = (),  # file names: a photo prompts 3(4) (photo-attachment)
    ) -> CheckContext:
        ck = self.settings.check
        window = now - timedelta(days=ck.spam_window_days)
        recent = tuple(
            d.current.text for d in self.store.drafts_in_state(APPROVED) if d.updated_at >= window
        )
        return CheckContext(
            platform=acc.platform if acc else None,
            account=account,
            official_accounts=tuple(a.name for a in self.settings.accounts),
            schedule=parts.schedule,
            office_phone_allowlist=ck.office_phones,
            office_domains=ck.office_domains,
            internal_hosts=ck.internal_hosts,
            link_blocklist=ck.link_blocklist,
            recent_approved_texts=recent,
            photo_metadata=photo_metadata,
            attachments=attachments,
            now=now.date(),
        )
