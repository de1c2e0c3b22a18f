"""Section rules (issue 11) as pure decisions: pools, stages, roles, absences (代決),
emergencies, 定型文, staff changes, reassign; each alone and in combination."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from gateway.businessdays import JST, WorkCalendar
from gateway.draft_commands import reassign, resend, status_report, withdraw
from gateway.model import Decision
from gateway.records import (
    APPROVED,
    IN_REVIEW,
    RETURNED,
    WITHDRAWN,
    Absence,
    AccountRules,
    FixedText,
    NewDraft,
    Policy,
    Reply,
    Stage,
)
from gateway.routing import asked_now, fills, is_emergency_subject, progress, waiting_seats
from gateway.workflow import approval_record, on_new_draft, on_reply, on_tick

AUTHOR = "sato@town.example.jp"
KACHO, KAKARI, DAIRI, HOSA, SHUSA = (
    "kacho@town.example.jp",
    "kakaricho@town.example.jp",
    "dairi@town.example.jp",
    "hosa@town.example.jp",
    "shusa@town.example.jp",
)
ADMIN = "somu@town.example.jp"
ACCOUNT = "辰野町公式X"
CAL = WorkCalendar()
MON = datetime(2026, 12, 21, 10, 0, tzinfo=JST)


PAIR = AccountRules()


def policy(rules=PAIR, absences=(), people=(KACHO, KAKARI, DAIRI, HOSA)) -> Policy:
    return Policy(
        accounts={ACCOUNT: tuple(people)},
        reminder_after=timedelta(hours=24),
        expire_after=7 * CAL.day_length,
        calendar=CAL,
        rules={ACCOUNT: rules},
        admin=ADMIN,
        absences=tuple(absences),
    )


def new(at=MON, *, text="防災訓練を行います。", subject="防災訓練", emergency=False, author=AUTHOR):
    return NewDraft(
        author=author,
        author_name="佐藤",
        subject=subject,
        message_id="<d1@mail.example.jp>",
        references=(),
        text=text,
        account=ACCOUNT,
        schedule=None,
        findings=(),
        attachments=(),
        at=at,
        emergency=emergency,
    )


def answer(draft, who, at, decision=Decision.APPROVE, pol=None, version=None):
    reply = Reply(
        who, draft.id, version or draft.version, decision, "", f"<{who}-{at.isoformat()}@x>", at
    )
    return on_reply(draft, reply, pol)


def away(reviewer, deputy, start=date(2026, 12, 21), end=date(2026, 12, 25), state="confirmed"):
    return Absence("A-000001", reviewer, deputy, start, end, state, "admin", MON)


def to_of(outcome, status):
    return [m.to[0] for m in outcome.mails if m.status == status]


# --------------------------------------------------------------------------- the fixed pair


def test_the_fixed_pair_is_unchanged_without_rules():
    out = on_new_draft(new(), None, "D-000001", policy())
    d = out.draft
    assert d.reviewers == (KACHO, KAKARI) and d.stages == ()
    assert to_of(out, "review-request") == [KACHO, KAKARI]
    d = answer(d, KACHO, MON + timedelta(hours=1)).draft
    done = answer(d, KAKARI, MON + timedelta(hours=2))
    assert done.draft.state == APPROVED
    record = approval_record(done.draft, MON)
    assert "route" not in record and [a["reviewer"] for a in record["approvals"]] == [KACHO, KAKARI]


def test_every_new_version_logs_its_route():
    out = on_new_draft(new(), None, "D-000001", policy())
    route = [e for e in out.events if e.action == "route_decided"]
    assert (
        route and route[0].detail["mode"] == "pair" and route[0].detail["asked"] == [KACHO, KAKARI]
    )


# --------------------------------------------------------------------------- pools


POOL = AccountRules(stages=(Stage((KACHO, KAKARI, DAIRI, HOSA), 2),))


def test_a_pool_asks_everyone_and_the_first_two_different_people_complete_it():
    out = on_new_draft(new(), None, "D-000001", policy(POOL))
    assert sorted(to_of(out, "review-request")) == sorted([KACHO, KAKARI, DAIRI, HOSA])
    d = answer(out.draft, HOSA, MON + timedelta(hours=1)).draft
    assert d.state == IN_REVIEW
    same_again = answer(d, HOSA, MON + timedelta(hours=2))
    assert same_again.draft is None  # a duplicate is never a second person
    done = answer(d, DAIRI, MON + timedelta(hours=3)).draft
    assert done.state == APPROVED
    record = approval_record(done, MON)
    assert [a["reviewer"] for a in record["approvals"]] == [DAIRI, HOSA] or [
        a["reviewer"] for a in record["approvals"]
    ] == [HOSA, DAIRI]
    assert record["route"]["mode"] == "pool"


def test_the_author_in_a_pool_is_never_asked_and_never_counts():
    out = on_new_draft(new(author=KAKARI), None, "D-000001", policy(POOL))
    assert KAKARI not in to_of(out, "review-request")
    d = answer(out.draft, KAKARI, MON + timedelta(hours=1))
    assert d.draft is None and d.events[0].detail["reason"] == "author-cannot-decide"


def test_a_send_back_by_anyone_in_the_pool_returns_it():
    d = on_new_draft(new(), None, "D-000001", policy(POOL)).draft
    d = answer(d, KACHO, MON + timedelta(hours=1)).draft
    back = answer(d, DAIRI, MON + timedelta(hours=2), Decision.SEND_BACK)
    assert back.draft.state == RETURNED


def test_an_absent_reviewer_inside_a_pool_is_replaced_by_the_deputy():
    pol = policy(POOL, [away(HOSA, SHUSA)], people=(KACHO, KAKARI, DAIRI, HOSA, SHUSA))
    out = on_new_draft(new(), None, "D-000001", pol)
    asked = to_of(out, "review-request")
    assert SHUSA in asked and HOSA not in asked
    d = answer(out.draft, SHUSA, MON + timedelta(hours=1)).draft
    done = answer(d, KACHO, MON + timedelta(hours=2)).draft
    assert done.state == APPROVED
    rec = {a["reviewer"]: a for a in approval_record(done, MON)["approvals"]}
    assert rec[SHUSA]["in_place_of"] == HOSA and rec[SHUSA]["why"] == "absence"


# --------------------------------------------------------------------------- stages and roles


STAGES = AccountRules(stages=(Stage((KAKARI,), 1, "係長"), Stage((KACHO, HOSA), 1, "課長")))


def test_stage_two_is_asked_only_after_stage_one_approved():
    out = on_new_draft(new(), None, "D-000001", policy(STAGES))
    assert to_of(out, "review-request") == [KAKARI]
    early = answer(out.draft, KACHO, MON + timedelta(minutes=5))
    assert early.draft is None and early.events[0].detail["reason"] == "not-a-reviewer"
    second = answer(out.draft, KAKARI, MON + timedelta(hours=1), pol=policy(STAGES))
    assert second.draft.state == IN_REVIEW
    assert sorted(to_of(second, "review-request")) == [HOSA, KACHO]
    done = answer(second.draft, KACHO, MON + timedelta(hours=2)).draft
    assert done.state == APPROVED
    stages = [(a["reviewer"], a["stage"]) for a in approval_record(done, MON)["approvals"]]
    assert stages == [(KAKARI, 1), (KACHO, 2)]


def test_a_send_back_at_stage_two_returns_the_draft():
    d = on_new_draft(new(), None, "D-000001", policy(STAGES)).draft
    d = answer(d, KAKARI, MON + timedelta(hours=1), pol=policy(STAGES)).draft
    back = answer(d, HOSA, MON + timedelta(hours=2), Decision.SEND_BACK)
    assert back.draft.state == RETURNED
    assert KAKARI in back.mails[0].cc  # everyone asked so far hears of it


def test_a_stage_two_reviewer_absent_goes_to_the_deputy_when_stage_two_opens():
    rules = AccountRules(stages=(Stage((KAKARI,), 1, "係長"), Stage((KACHO,), 1, "課長")))
    pol = policy(rules, [away(KACHO, DAIRI)])
    d = on_new_draft(new(), None, "D-000001", pol).draft
    assert d.stand_ins == ()  # stage 2 is not asked yet: nothing to move
    second = answer(d, KAKARI, MON + timedelta(hours=1), pol=pol)
    assert to_of(second, "review-request") == [DAIRI]
    done = answer(second.draft, DAIRI, MON + timedelta(hours=2)).draft
    assert done.state == APPROVED
    last = approval_record(done, MON)["approvals"][-1]
    assert last["in_place_of"] == KACHO and last["stage"] == 2


def test_at_least_one_of_a_role_must_be_among_the_approvals():
    rules = AccountRules(stages=(Stage((KACHO, KAKARI, DAIRI, HOSA), 2),), at_least_one_of=(KACHO,))
    d = on_new_draft(new(), None, "D-000001", policy(rules)).draft
    d = answer(d, DAIRI, MON + timedelta(hours=1)).draft
    d = answer(d, HOSA, MON + timedelta(hours=2)).draft
    assert d.state == IN_REVIEW and progress(d).needs_role
    assert waiting_seats(d) == (KACHO,)
    assert answer(d, KACHO, MON + timedelta(hours=3)).draft.state == APPROVED


def test_the_pair_takes_the_required_role_into_it():
    rules = AccountRules(at_least_one_of=(HOSA,))
    d = on_new_draft(new(), None, "D-000001", policy(rules)).draft
    assert d.reviewers == (KACHO, HOSA)


# --------------------------------------------------------------------------- absences


def test_a_deputy_who_is_the_author_is_never_asked_under_any_spelling():
    pol = policy(absences=[away(KAKARI, "Sato@Town.Example.JP ")])
    out = on_new_draft(new(), None, "D-000001", pol)
    asked = to_of(out, "review-request")
    assert all(a.strip().lower() != AUTHOR for a in asked)
    assert asked == [KACHO, DAIRI]  # the next listed reviewer stands in instead
    assert out.draft.stand_ins[0].seat == KAKARI


def test_an_unconfirmed_absence_moves_nothing():
    pol = policy(absences=[away(KAKARI, DAIRI, state="pending")])
    assert to_of(on_new_draft(new(), None, "D-000001", pol), "review-request") == [KACHO, KAKARI]


def test_open_requests_move_to_the_deputy_when_the_absence_starts():
    d = on_new_draft(new(at=MON - timedelta(days=3)), None, "D-000001", policy()).draft
    pol = policy(absences=[away(KAKARI, DAIRI)])
    before = on_tick(d, datetime(2026, 12, 20, 23, 0, tzinfo=JST), pol)
    assert not any(m.status == "review-request" for m in before.mails)
    out = on_tick(d, datetime(2026, 12, 21, 0, 5, tzinfo=JST), pol)
    assert to_of(out, "review-request") == [DAIRI]
    assert to_of(out, "reassigned") == [KAKARI]  # the absent reviewer is told
    assert on_tick(out.draft, datetime(2026, 12, 21, 0, 10, tzinfo=JST), pol).mails == ()


# --------------------------------------------------------------------------- emergencies


URGENT = AccountRules(emergency=True, emergency_reminder=timedelta(minutes=15))


def test_an_emergency_on_a_holiday_night_asks_everyone_and_reminds_every_15_minutes():
    night = datetime(2026, 1, 1, 2, 0, tzinfo=JST)  # 元日, 02:00
    pol = policy(URGENT)
    out = on_new_draft(new(night, subject="【緊急】断水", emergency=True), None, "D-000009", pol)
    d = out.draft
    assert d.emergency and sorted(to_of(out, "review-request")) == sorted(
        [KACHO, KAKARI, DAIRI, HOSA]
    )
    assert to_of(out, "emergency") == [ADMIN]
    assert on_tick(d, night + timedelta(minutes=14), pol).mails == ()
    first = on_tick(d, night + timedelta(minutes=15), pol)
    assert len(to_of(first, "reminder")) == 4
    assert on_tick(first.draft, night + timedelta(minutes=29), pol).mails == ()
    assert len(to_of(on_tick(first.draft, night + timedelta(minutes=30), pol), "reminder")) == 4
    d = answer(d, DAIRI, night + timedelta(minutes=20)).draft
    done = answer(d, HOSA, night + timedelta(minutes=21)).draft
    assert done.state == APPROVED
    assert approval_record(done, night)["route"]["emergency"] is True


def test_an_emergency_is_still_two_people():
    pol = policy(URGENT)
    d = on_new_draft(new(subject="【緊急】断水", emergency=True), None, "D-000009", pol).draft
    d = answer(d, DAIRI, MON + timedelta(minutes=1)).draft
    again = answer(d, DAIRI, MON + timedelta(minutes=2))
    assert again.draft is None and d.state == IN_REVIEW


def test_an_emergency_where_the_account_does_not_allow_it_is_an_ordinary_draft():
    out = on_new_draft(new(subject="【緊急】断水", emergency=True), None, "D-000009", policy())
    assert not out.draft.emergency and out.mails[0].context["emergency_refused"]
    assert to_of(out, "review-request") == [KACHO, KAKARI]


FIXED = FixedText(
    "避難所開設", "【避難所開設】{日時}から{場所}を避難所として開設しました。", (KACHO, KAKARI)
)


def test_a_fixed_text_with_only_its_placeholders_filled_needs_one_reviewer():
    pol = policy(replace(URGENT, fixed_texts=(FIXED,)))
    text = "【避難所開設】12月6日9時から町民会館を避難所として開設しました。"
    d = on_new_draft(new(text=text, emergency=True), None, "D-000010", pol).draft
    assert d.fixed_text == "避難所開設"
    done = answer(d, HOSA, MON + timedelta(minutes=3)).draft
    assert done.state == APPROVED
    assert approval_record(done, MON)["route"]["fixed_text"] == "避難所開設"


def test_a_changed_fixed_text_needs_two():
    pol = policy(replace(URGENT, fixed_texts=(FIXED,)))
    text = "【避難所開設】12月6日9時から町民会館を避難所として開設しました。ペット同伴可。"
    d = on_new_draft(new(text=text, emergency=True), None, "D-000010", pol).draft
    assert d.fixed_text == ""
    assert answer(d, HOSA, MON + timedelta(minutes=3)).draft.state == IN_REVIEW


@pytest.mark.parametrize(
    "text,ok",
    [
        ("【避難所開設】今からA館を避難所として開設しました。", True),
        ("【避難所開設】今から\nA館を避難所として開設しました。", False),  # a line break in a value
        ("【避難所開設】からA館を避難所として開設しました。", False),  # an empty value
        ("【避難所開設】今からA館を避難所として開設しました。\nhttp://x", False),
        ("【避難所開設】" + "あ" * 200 + "からA館を避難所として開設しました。", False),
    ],
)
def test_fixed_text_fills(text, ok):
    assert (fills(FIXED.text, text) is not None) == ok


def test_emergency_subjects():
    assert is_emergency_subject("【緊急】断水のお知らせ")
    assert is_emergency_subject("RE: [緊急] 断水")
    assert not is_emergency_subject("断水のお知らせ【緊急】")
    assert not is_emergency_subject("緊急ではない連絡")


# --------------------------------------------------------------------------- staff changes


def test_a_reviewer_who_left_the_account_is_replaced_on_the_next_tick():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    d = answer(d, KACHO, MON + timedelta(hours=1)).draft
    after = policy(people=(KACHO, DAIRI, HOSA))  # KAKARI moved out in April
    out = on_tick(d, MON + timedelta(hours=2), after)
    assert to_of(out, "review-request") == [DAIRI]
    assert to_of(out, "reassigned") == [AUTHOR]
    assert [e.detail["why"] for e in out.events if e.action == "reviewer_replaced"] == ["left"]
    done = answer(out.draft, DAIRI, MON + timedelta(hours=3)).draft
    assert done.state == APPROVED  # KACHO's approval still counts
    late = answer(done, KAKARI, MON + timedelta(hours=4))
    assert late.draft is None


def test_a_reassign_during_a_revision_holds_for_the_new_version():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    moved = reassign(d, KAKARI, HOSA, MON + timedelta(hours=1))
    assert not isinstance(moved, str)
    d = moved.draft
    assert to_of(moved, "review-request") == [HOSA]
    v2 = on_new_draft(
        new(MON + timedelta(hours=2), text="防災訓練を行います（雨天決行）。"), d, d.id, policy()
    )
    assert v2.draft.version == 2 and to_of(v2, "review-request") == [KACHO, HOSA]
    old_token = answer(v2.draft, HOSA, MON + timedelta(hours=3), version=1)
    assert old_token.draft is None  # a decision on version 1 never counts for version 2
    assert answer(v2.draft, KAKARI, MON + timedelta(hours=3)).draft is None  # no longer asked


def test_reassign_refuses_the_author_and_a_decided_seat():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    assert isinstance(reassign(d, KAKARI, AUTHOR.upper(), MON), str)
    d = answer(d, KAKARI, MON + timedelta(hours=1)).draft
    assert isinstance(reassign(d, KAKARI, HOSA, MON), str)


# --------------------------------------------------------------------------- author commands


def test_status_lists_approvals_and_who_is_still_asked_since_when():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    d = answer(d, KACHO, MON + timedelta(hours=1)).draft
    out = status_report(d, AUTHOR, MON + timedelta(hours=2), "<q@x>")
    ctx = out.mails[0].context
    assert [a["reviewer"] for a in ctx["approved_by"]] == [KACHO]
    assert ctx["asked"] == [{"person": KAKARI, "since": MON.isoformat(), "in_place_of": ""}]
    assert out.draft is None and out.mails[0].to == (AUTHOR,)


def test_withdraw_tells_everyone_asked_and_later_decisions_get_a_notice():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    out = withdraw(d, AUTHOR, MON + timedelta(hours=1), "<w@x>")
    assert out.draft.state == WITHDRAWN and out.mails[0].cc == (KACHO, KAKARI)
    late = answer(out.draft, KACHO, MON + timedelta(hours=2))
    assert late.draft is None and late.mails[0].context["reason"] == "withdrawn"
    assert on_tick(out.draft, MON + timedelta(days=30), policy()).mails == ()
    assert withdraw(d, KACHO, MON, "<w@x>").draft is None  # only the author


def test_resend_goes_only_to_someone_asked_now():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    out = resend(d, KAKARI, MON + timedelta(hours=1), "<r@x>")
    assert to_of(out, "review-request") == [KAKARI] and out.mails[0].attach_version
    assert resend(d, HOSA, MON, "<r@x>").mails == ()  # not on the draft: nothing
    d = answer(d, KAKARI, MON + timedelta(hours=2)).draft
    assert to_of(resend(d, KAKARI, MON, "<r@x>"), "notice") == [KAKARI]  # already answered
    assert asked_now(d) == ((KACHO, KACHO),)


def test_stage_two_is_reminded_a_full_interval_after_it_was_asked():
    d = on_new_draft(new(), None, "D-000001", policy(STAGES)).draft
    later = CAL.add_working_time(MON, timedelta(hours=20))
    d = answer(d, KAKARI, later, pol=policy(STAGES)).draft  # stage 1 took 20 working hours
    assert on_tick(d, CAL.add_working_time(later, timedelta(hours=23)), policy(STAGES)).mails == ()
    out = on_tick(d, CAL.add_working_time(later, timedelta(hours=24)), policy(STAGES))
    assert sorted(to_of(out, "reminder")) == [HOSA, KACHO]


def test_a_status_report_to_a_reviewer_carries_no_decision_token():
    d = on_new_draft(new(), None, "D-000001", policy()).draft
    assert status_report(d, KACHO, MON, "<q@x>").mails[0].token_for is None
    assert status_report(d, AUTHOR, MON, "<q@x>").mails[0].token_for == AUTHOR


def test_the_author_is_told_who_is_actually_asked():
    out = on_new_draft(new(), None, "D-000001", policy(absences=[away(KAKARI, DAIRI)]))
    received = next(m for m in out.mails if m.status == "received")
    assert received.context["reviewers"] == [KACHO, DAIRI]


def test_a_deputy_who_goes_away_too_hands_the_seat_to_their_own_deputy():
    from gateway.absence import report_entries

    kakari_away = away(KAKARI, DAIRI, end=date(2026, 12, 25))
    dairi_away = replace(
        away(DAIRI, HOSA, start=date(2026, 12, 23), end=date(2026, 12, 24)), id="A-000002"
    )
    pol = policy(absences=[kakari_away, dairi_away])
    d = on_new_draft(new(), None, "D-000001", pol).draft
    assert asked_now(d) == ((KACHO, KACHO), (DAIRI, KAKARI))
    assert on_tick(d, datetime(2026, 12, 22, 23, 0, tzinfo=JST), pol).mails == ()
    out = on_tick(d, datetime(2026, 12, 23, 0, 5, tzinfo=JST), pol)
    assert to_of(out, "review-request") == [HOSA]
    assert to_of(out, "reassigned") == [DAIRI]  # the deputy going away is told
    assert asked_now(out.draft) == ((KACHO, KACHO), (HOSA, KAKARI))
    later = on_tick(out.draft, datetime(2026, 12, 23, 0, 10, tzinfo=JST), pol)
    assert later.mails == ()  # moved once
    d = answer(out.draft, DAIRI, datetime(2026, 12, 23, 9, 0, tzinfo=JST))
    assert d.draft is None  # the deputy who is away no longer decides
    d = answer(out.draft, HOSA, datetime(2026, 12, 23, 10, 0, tzinfo=JST)).draft
    done = answer(d, KACHO, datetime(2026, 12, 23, 11, 0, tzinfo=JST)).draft
    assert done.state == APPROVED
    rec = {a["reviewer"]: a for a in approval_record(done, MON)["approvals"]}
    assert rec[HOSA]["in_place_of"] == KAKARI and rec[HOSA]["why"] == "absence"
    # KAKARI's 後閲 names what was decided in their place, whoever decided it.
    assert [(e["draft_id"], e["decision"]) for e in report_entries(kakari_away, [done])] == [
        ("D-000001", "approve")
    ]


def test_the_kouetsu_names_a_stand_in_other_than_the_named_deputy():
    from gateway.absence import report_entries

    kakari_away = away(KAKARI, AUTHOR)  # the named deputy wrote this draft
    pol = policy(absences=[kakari_away])
    d = on_new_draft(new(), None, "D-000001", pol).draft
    d = answer(d, DAIRI, MON + timedelta(hours=1)).draft
    assert d.state == IN_REVIEW
    entries = report_entries(kakari_away, [d])
    assert [(e["draft_id"], e["by"]) for e in entries] == [("D-000001", DAIRI)]
