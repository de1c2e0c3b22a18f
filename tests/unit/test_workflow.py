"""Whole conversations through the pure workflow, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.model import Decision, Finding, Severity
from gateway.workflow import (
    APPROVED,
    EXPIRED,
    IN_REVIEW,
    REJECTED,
    RETURNED,
    NewDraft,
    Policy,
    Reply,
    find_previous,
    normalize_subject,
    on_new_draft,
    on_reply,
    on_tick,
    unmatched_reply,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
AUTHOR = "sato@town.example.jp"
KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
POLICY = Policy(accounts={"辰野町公式X": (KACHO, KAKARI, DAIRI)})
TWO = Policy(accounts={"辰野町公式X": (KACHO, KAKARI), "観光協会FB": (KACHO, DAIRI)})


def new(text="防災訓練を行います。", *, author=AUTHOR, account=None, findings=(), at=T0, subject="防災訓練のお知らせ"):
    return NewDraft(
        author=author,
        author_name="佐藤",
        subject=subject,
        message_id=f"<{abs(hash((text, at)))}@mail.example.jp>",
        references=(),
        text=text,
        account=account,
        schedule=None,
        findings=tuple(findings),
        attachments=(),
        at=at,
    )


def reply(draft, sender, decision, *, version=None, comment="", at=None):
    return Reply(
        sender=sender,
        draft_id=draft.id,
        token_version=version or draft.version,
        reading_decision=decision,
        comment=comment,
        message_id=f"<r-{sender}-{decision}-{version}@x>",
        at=at or T0 + timedelta(hours=1),
    )


def opened(policy=POLICY, **kw):
    out = on_new_draft(new(**kw), None, "D-000001", policy)
    assert out.draft is not None
    return out


def test_new_draft_goes_to_two_reviewers_never_the_author():
    out = opened(author=KACHO)
    assert out.draft.state == IN_REVIEW
    assert out.draft.reviewers == (KAKARI, DAIRI)
    statuses = [(m.status, m.to) for m in out.mails]
    assert ("received", (KACHO,)) in statuses
    assert [m.to for m in out.mails if m.status == "review-request"] == [(KAKARI,), (DAIRI,)]
    assert all(m.token_for == m.to[0] for m in out.mails)


def test_two_approvals_of_the_same_version_approve_and_carry_a_record():
    draft = opened().draft
    first = on_reply(draft, reply(draft, KACHO, Decision.APPROVE))
    assert first.draft.state == IN_REVIEW
    assert [m.status for m in first.mails] == ["receipt"]
    second = on_reply(first.draft, reply(first.draft, KAKARI, Decision.APPROVE))
    assert second.draft.state == APPROVED
    (mail,) = second.mails
    assert mail.status == "approved" and mail.to == (AUTHOR,) and mail.cc == (KACHO, KAKARI)
    record = mail.approval_record
    assert record["draft_id"] == "D-000001" and record["version"] == 1
    assert record["text_sha256"] == draft.current.text_sha256
    assert [a["reviewer"] for a in record["approvals"]] == [KACHO, KAKARI]


def test_send_back_returns_to_author_with_reason_cc_the_other_reviewer():
    draft = opened().draft
    out = on_reply(draft, reply(draft, KAKARI, Decision.SEND_BACK, comment="日付が違います"))
    assert out.draft.state == RETURNED
    returned = next(m for m in out.mails if m.status == "returned")
    assert returned.to == (AUTHOR,) and returned.cc == (KACHO,)
    assert returned.context["comment"] == "日付が違います"
    assert any(m.status == "receipt" and m.to == (KAKARI,) for m in out.mails)


def test_send_back_after_own_approval_still_wins():
    draft = opened().draft
    d1 = on_reply(draft, reply(draft, KACHO, Decision.APPROVE)).draft
    out = on_reply(d1, reply(d1, KACHO, Decision.SEND_BACK, comment="やはり再考を"))
    assert out.draft.state == RETURNED


def test_revision_starts_approvals_over_and_old_approvals_do_not_count():
    draft = opened().draft
    d1 = on_reply(draft, reply(draft, KACHO, Decision.APPROVE)).draft
    d2 = on_reply(d1, reply(d1, KAKARI, Decision.SEND_BACK, comment="時刻を追記")).draft
    rev = on_new_draft(new("防災訓練を10時から行います。", at=T0 + timedelta(hours=2)), d2, d2.id, POLICY)
    v2 = rev.draft
    assert v2.state == IN_REVIEW and v2.version == 2 and v2.id == draft.id
    assert v2.votes_for(2) == {}
    request = next(m for m in rev.mails if m.status == "review-request")
    assert request.context["diff"] == ["- 防災訓練を行います。", "+ 防災訓練を10時から行います。"]
    # A replayed approval of version 1 never counts for version 2.
    replay = on_reply(v2, reply(v2, KACHO, Decision.APPROVE, version=1))
    assert replay.draft is None and replay.mails[0].status == "notice"
    one = on_reply(v2, reply(v2, KACHO, Decision.APPROVE)).draft
    assert one.state == IN_REVIEW
    assert on_reply(one, reply(one, KAKARI, Decision.APPROVE)).draft.state == APPROVED


def test_error_finding_rejects_without_bothering_reviewers():
    bad = Finding("my-number", "3(4)", Severity.ERROR, 1, 3, "123456789018", "個人番号です")
    out = opened(findings=[bad])
    assert out.draft.state == REJECTED
    assert [m.status for m in out.mails] == ["rejected"]
    assert out.mails[0].to == (AUTHOR,)


def test_warning_is_passed_to_reviewers_highlighted():
    warn = Finding("rumor", "3(7)エ", Severity.WARNING, 1, 1, "らしい", "伝聞です")
    out = opened(findings=[warn])
    assert out.draft.state == IN_REVIEW
    request = next(m for m in out.mails if m.status == "review-request")
    assert request.context["warnings"][0]["rule"] == "rumor"


def test_several_accounts_and_no_account_line_asks_which():
    out = opened(policy=TWO)
    assert out.draft.state == REJECTED
    assert out.mails[0].status == "clarify"
    assert out.mails[0].context["accounts"] == ["辰野町公式X", "観光協会FB"]


def test_unknown_account_is_rejected_as_3_10():
    out = opened(account="個人のX")
    assert out.draft.state == REJECTED and out.draft.reason == "account-unknown"


def test_too_few_reviewers_besides_the_author_is_rejected():
    out = opened(policy=TWO, account="辰野町公式X", author=KACHO)
    assert out.draft.state == REJECTED and out.draft.reason == "no-reviewers"


@pytest.mark.parametrize("decision", [Decision.APPROVE, Decision.SEND_BACK])
def test_non_reviewer_and_author_never_decide(decision):
    draft = opened().draft
    for sender in (DAIRI, AUTHOR, "someone@else.example"):
        out = on_reply(draft, reply(draft, sender, decision))
        assert out.draft is None and out.mails == ()
        assert out.events[0].action == "reply_not_counted"


def test_unclear_reply_gets_clarify_and_changes_nothing():
    draft = opened().draft
    out = on_reply(draft, reply(draft, KACHO, Decision.UNCLEAR, comment="了解です"))
    assert out.draft is None
    assert out.mails[0].status == "clarify" and out.mails[0].to == (KACHO,)


def test_duplicate_and_late_replies_get_a_notice_never_a_second_decision():
    draft = opened().draft
    d1 = on_reply(draft, reply(draft, KACHO, Decision.APPROVE)).draft
    dup = on_reply(d1, reply(d1, KACHO, Decision.APPROVE))
    assert dup.draft is None and dup.mails[0].context["reason"] == "duplicate"
    done = on_reply(d1, reply(d1, KAKARI, Decision.APPROVE)).draft
    late = on_reply(done, reply(done, KAKARI, Decision.SEND_BACK, comment="遅れて"))
    assert late.draft is None and late.mails[0].context["reason"] == "already-decided"


def test_unmatched_reply_only_answers_a_current_reviewer():
    draft = opened().draft
    assert unmatched_reply(draft, KACHO, "<m@x>", "no-token", T0).mails[0].status == "clarify"
    assert unmatched_reply(draft, "forger@evil.example", "<m@x>", "no-token", T0).mails == ()
    assert unmatched_reply(None, KACHO, "<m@x>", "no-token", T0).mails == ()


def test_reminder_once_then_expiry():
    policy = replace(POLICY, reminder_after=timedelta(hours=24), expire_after=timedelta(days=7))
    draft = opened().draft
    assert on_tick(draft, T0 + timedelta(hours=23), policy).mails == ()
    d1 = on_reply(draft, reply(draft, KACHO, Decision.APPROVE)).draft
    out = on_tick(d1, T0 + timedelta(hours=25), policy)
    assert [(m.status, m.to) for m in out.mails] == [("reminder", (KAKARI,))]
    assert on_tick(out.draft, T0 + timedelta(hours=30), policy).mails == ()
    exp = on_tick(out.draft, T0 + timedelta(days=7), policy)
    assert exp.draft.state == EXPIRED and exp.mails[0].status == "expired"


def test_same_subject_from_same_author_is_found_as_previous():
    draft = opened().draft
    returned = replace(draft, state=RETURNED)
    assert find_previous(AUTHOR, "RE: [差戻し D-000001] 防災訓練のお知らせ", [returned]) is returned
    assert find_previous("other@town.example.jp", "防災訓練のお知らせ", [returned]) is None
    assert find_previous(AUTHOR, "防災訓練のお知らせ", [replace(draft, state=APPROVED)]) is None


def test_normalize_subject_strips_reply_prefixes_and_tags():
    assert normalize_subject("RE: 返信: [承認依頼 D-000042] 防災訓練のお知らせ") == "防災訓練のお知らせ"
    assert normalize_subject("Ｆｗｄ：【重要】 お知らせ") == "お知らせ"
