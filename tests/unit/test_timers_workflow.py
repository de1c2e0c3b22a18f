"""Reminders, the alternate, expiry and the passed schedule, in working time, in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from gateway.businessdays import JST, WorkCalendar
from gateway.model import Decision
from gateway.workflow import (
    APPROVED,
    EXPIRED,
    IN_REVIEW,
    RETURNED,
    NewDraft,
    Policy,
    Reply,
    approval_record,
    on_new_draft,
    on_reply,
    on_tick,
    unmatched_reply,
)

AUTHOR = "sato@town.example.jp"
KACHO, KAKARI, DAIRI = "kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp"
HOSA = "hosa@town.example.jp"
CAL = WorkCalendar()
POLICY = Policy(
    accounts={"辰野町公式X": (KACHO, KAKARI, DAIRI)},
    reminder_after=timedelta(hours=24),
    expire_after=7 * CAL.day_length,
    calendar=CAL,
)
FRI = datetime(2026, 9, 18, 16, 15, tzinfo=JST)  # the Friday before the 2026 silver week


def jst(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=JST)


def open_draft(at=FRI, *, author=AUTHOR, schedule=None, policy=POLICY):
    event = NewDraft(
        author=author,
        author_name="佐藤",
        subject="防災訓練のお知らせ",
        message_id="<d1@mail.example.jp>",
        references=(),
        text="防災訓練を行います。",
        account="辰野町公式X",
        schedule=schedule,
        findings=(),
        attachments=(),
        at=at,
    )
    return on_new_draft(event, None, "D-000001", policy).draft


def answer(draft, sender, decision, at, mid=None):
    return on_reply(
        draft,
        Reply(sender, draft.id, draft.version, decision, "", mid or f"<{sender}@x>", at),
    )


def test_no_reminder_over_a_holiday_weekend_then_one_after_24_working_hours():
    draft = open_draft()
    # Wall-clock five days later, but only one working hour has passed.
    assert on_tick(draft, jst(2026, 9, 23, 23), POLICY).mails == ()
    assert on_tick(draft, jst(2026, 9, 28, 13, 59), POLICY).mails == ()
    out = on_tick(draft, jst(2026, 9, 28, 14, 0), POLICY)
    assert sorted(m.to[0] for m in out.mails) == [KACHO, KAKARI]
    assert {m.status for m in out.mails} == {"reminder"}
    assert out.draft.reminded_at == jst(2026, 9, 28, 14, 0)
    assert on_tick(out.draft, jst(2026, 9, 28, 15, 0), POLICY).mails == ()


def test_without_a_calendar_time_is_wall_clock():
    policy = replace(POLICY, calendar=None)
    draft = open_draft()
    assert on_tick(draft, FRI + timedelta(hours=24), policy).mails != ()


def reminded_one_silent():
    """KACHO approved; KAKARI stayed silent and was reminded on Monday 28th 14:00."""
    draft = open_draft()
    draft = answer(draft, KACHO, Decision.APPROVE, jst(2026, 9, 24, 9)).draft
    out = on_tick(draft, jst(2026, 9, 28, 14, 0), POLICY)
    assert [m.to for m in out.mails] == [(KAKARI,)]
    return out.draft


def test_still_silent_after_another_24_working_hours_the_alternate_is_asked():
    draft = reminded_one_silent()
    assert on_tick(draft, jst(2026, 9, 30, 17, 14), POLICY).mails == ()
    due = CAL.add_working_time(jst(2026, 9, 28, 14, 0), timedelta(hours=24))
    out = on_tick(draft, due, POLICY)
    (mail,) = out.mails
    assert mail.status == "reminder" and mail.to == (DAIRI,)
    assert mail.token_for == DAIRI and mail.attach_version
    assert mail.context["alternate_for"] == KAKARI
    assert out.draft.alternates == ((KAKARI, DAIRI),)
    assert out.draft.deciders == (KACHO, KAKARI, DAIRI)
    assert [e.action for e in out.events] == ["alternate_asked"]
    # asked once only
    assert on_tick(out.draft, due + timedelta(hours=2), POLICY).mails == ()


def asked_alternate():
    draft = reminded_one_silent()
    return on_tick(draft, jst(2026, 10, 2, 9), POLICY).draft


def test_alternate_approval_completes_and_the_record_says_who_and_for_whom():
    draft = asked_alternate()
    out = answer(draft, DAIRI, Decision.APPROVE, jst(2026, 10, 2, 10))
    assert out.draft.state == APPROVED
    (approved,) = out.mails
    assert approved.cc == (KACHO, KAKARI, DAIRI)
    record = approval_record(out.draft, jst(2026, 10, 2, 10))
    assert [(a["reviewer"], a.get("in_place_of")) for a in record["approvals"]] == [
        (KACHO, None),
        (DAIRI, KAKARI),
    ]


def test_the_silent_reviewer_may_still_answer_themselves():
    draft = asked_alternate()
    out = answer(draft, KAKARI, Decision.APPROVE, jst(2026, 10, 2, 10))
    assert out.draft.state == APPROVED
    record = approval_record(out.draft, jst(2026, 10, 2, 10))
    assert [a["reviewer"] for a in record["approvals"]] == [KACHO, KAKARI]


def test_alternate_may_send_back():
    draft = asked_alternate()
    out = on_reply(
        draft,
        Reply(DAIRI, draft.id, draft.version, Decision.SEND_BACK, "日付が違います", "<r@x>", FRI),
    )
    assert out.draft.state == RETURNED
    returned = next(m for m in out.mails if m.status == "returned")
    assert returned.cc == (KACHO, KAKARI)


def test_alternate_cannot_fill_the_place_of_someone_who_already_decided():
    # Both silent: the only alternate stands in for the first; the second place stays open.
    draft = open_draft()
    draft = on_tick(draft, jst(2026, 9, 28, 14), POLICY).draft
    out = on_tick(draft, jst(2026, 10, 2, 9), POLICY)
    assert out.draft.alternates == ((KACHO, DAIRI), (KAKARI, ""))
    assert [e.action for e in out.events] == ["alternate_asked", "alternate_unavailable"]
    draft = answer(out.draft, DAIRI, Decision.APPROVE, jst(2026, 10, 2, 10)).draft
    assert draft.state == IN_REVIEW and draft.waiting_on() == (KAKARI,)
    # KACHO approving too fills the same place again: still not two places.
    draft = answer(draft, KACHO, Decision.APPROVE, jst(2026, 10, 2, 11)).draft
    assert draft.state == IN_REVIEW
    draft = answer(draft, KAKARI, Decision.APPROVE, jst(2026, 10, 2, 12)).draft
    assert draft.state == APPROVED


def test_the_alternate_is_never_the_author_nor_a_reviewer():
    policy = replace(POLICY, accounts={"辰野町公式X": (KACHO, DAIRI, KAKARI, HOSA)})
    draft = open_draft(author=DAIRI, policy=policy)
    assert draft.reviewers == (KACHO, KAKARI)
    draft = on_tick(draft, jst(2026, 9, 28, 14), policy).draft
    out = on_tick(draft, jst(2026, 10, 2, 9), policy)
    assert out.draft.alternates == ((KACHO, HOSA), (KAKARI, ""))


def test_a_non_alternate_still_cannot_decide():
    draft = asked_alternate()
    out = on_reply(draft, Reply(HOSA, draft.id, draft.version, Decision.APPROVE, "", "<h@x>", FRI))
    assert out.draft is None and out.events[0].detail["reason"] == "not-a-reviewer"
    assert unmatched_reply(draft, DAIRI, "<m@x>", "no-token", FRI).mails[0].to == (DAIRI,)


def test_expiry_after_seven_business_days_of_working_time():
    draft = reminded_one_silent()
    end = CAL.add_working_time(FRI, 7 * CAL.day_length)
    assert end == jst(2026, 10, 2, 16, 15)  # seven business days later, same time of day
    before = on_tick(draft, end - timedelta(minutes=1), POLICY)
    assert before.draft is None or before.draft.state == IN_REVIEW
    out = on_tick(draft, end, POLICY)
    assert out.draft.state == EXPIRED
    assert out.mails[0].status == "expired" and out.mails[0].cc == (KAKARI,)


def test_a_new_version_forgets_reminders_and_alternates():
    draft = asked_alternate()
    event = NewDraft(
        author=AUTHOR,
        author_name="佐藤",
        subject="防災訓練のお知らせ",
        message_id="<d2@mail.example.jp>",
        references=(),
        text="防災訓練を行います。（訂正）",
        account=None,
        schedule=None,
        findings=(),
        attachments=(),
        at=jst(2026, 10, 2, 13),
    )
    v2 = on_new_draft(event, draft, draft.id, POLICY).draft
    assert v2.alternates == () and v2.reminded == () and v2.reminded_at is None
    assert v2.deciders == (KACHO, KAKARI)


def test_passed_schedule_warns_the_author_once_per_version():
    draft = open_draft(schedule=datetime(2026, 9, 24, 10, 0))  # naive: Japan time
    assert on_tick(draft, jst(2026, 9, 24, 9, 59), POLICY).mails == ()
    out = on_tick(draft, jst(2026, 9, 24, 10, 0), POLICY)
    (mail,) = out.mails
    assert (mail.status, mail.to) == ("schedule-passed", (AUTHOR,))
    assert mail.context["schedule"] == "2026-09-24 10:00"
    assert out.draft.schedule_warned == 1
    assert on_tick(out.draft, jst(2026, 9, 24, 11), POLICY).mails == ()
