"""Hostile and odd input through the real pipeline (real MIME, checker, store), no network.

Each case must not count as a decision, must be in the audit log, and must not crash.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from clients import gmail_ja, outlook_ja
from offline import offline_gateway

from gateway.demo import compose_draft

GATEWAY = "sns-check@town.example.jp"
AUTHOR, KACHO, KAKARI, DAIRI = (
    "sato@town.example.jp",
    "kacho@town.example.jp",
    "kakaricho@town.example.jp",
    "dairi@town.example.jp",
)
DRAFT = "アカウント: 辰野町公式X\n\n12月6日（日）午前9時から防災訓練を行います。\n"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))

    def __call__(self) -> datetime:
        return self.now


def make_gateway(tmp_path: Path, **tables):
    clock = Clock()
    return offline_gateway(tmp_path, clock, **tables), clock


def sent(gw, status: str | None = None, to: str | None = None) -> list[bytes]:
    """Mails in the outbox (rendered, as they will be sent)."""
    out = []
    for entry in gw.store.outbox.all():
        if status and entry["mail_status"] != status:
            continue
        if to and to not in entry["recipients"]:
            continue
        out.append(gw.spool.get_mail(entry["path"]))
    return out


def open_draft(gw):
    assert gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)) == "draft"
    return {r: sent(gw, "review-request", r)[-1] for r in (KACHO, KAKARI)}


def reasons(gw) -> list[str]:
    return [
        e["detail"].get("reason")
        for e in gw.store.all_events()
        if e["action"] == "reply_not_counted"
    ]


def with_header(raw: bytes, name: str, value: str) -> bytes:
    return f"{name}: {value}\r\n".encode() + raw


def test_forged_from_token_of_another_version_and_of_another_person(tmp_path):
    gw, _ = make_gateway(tmp_path)
    requests = open_draft(gw)
    # DAIRI answers with KACHO's request (token made for KACHO).
    assert (
        gw.handle_raw(outlook_ja(requests[KACHO], DAIRI, "代理", "承認します。"))
        == "reply_not_counted"
    )
    # The author forges KACHO's From on a fresh mail without any token.
    forged = compose_draft(KACHO, "RE: [承認依頼 D-000001] 防災訓練のお知らせ", "承認します。")
    assert gw.handle_raw(forged) == "reply_no_token"
    assert gw.store.get_draft("D-000001").votes_for(1) == {}
    assert sorted(reasons(gw)) == ["no-token", "token-not-for-sender"]
    assert sent(gw, to=DAIRI) == []


def test_replay_of_an_old_approval_after_a_revision_does_not_count(tmp_path):
    gw, _ = make_gateway(tmp_path)
    requests = open_draft(gw)
    approval = gmail_ja(requests[KACHO], KACHO, "課長", "承認します")
    assert gw.handle_raw(approval) == "reply_approve"
    # A new draft with the same subject from the same author: version 2.
    gw.handle_raw(compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT.replace("9時", "10時")))
    draft = gw.store.get_draft("D-000001")
    assert draft.version == 2 and draft.votes_for(2) == {}
    # The same approval mail again (a replay, new Message-ID): old version, not counted.
    replay = approval.replace(b"Message-ID: <", b"Message-ID: <replay-", 1)
    assert gw.handle_raw(replay) == "reply_approve"
    assert gw.store.get_draft("D-000001").votes_for(2) == {}
    notice = sent(gw, "notice", KACHO)[-1]
    assert (
        "第1版"
        in message_from_bytes(notice, policy=policy.default).get_body(("plain",)).get_content()
    )


def test_duplicate_delivery_is_handled_once(tmp_path):
    gw, _ = make_gateway(tmp_path)
    raw = compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)
    assert gw.handle_raw(raw) == "draft"
    assert gw.handle_raw(raw) == "duplicate"
    assert len(sent(gw, "review-request")) == 2


def test_reply_after_the_decision_gets_a_notice_not_a_decision(tmp_path):
    gw, _ = make_gateway(tmp_path)
    requests = open_draft(gw)
    gw.handle_raw(gmail_ja(requests[KACHO], KACHO, "課長", "承認します"))
    gw.handle_raw(gmail_ja(requests[KAKARI], KAKARI, "係長", "承認します"))
    assert gw.store.get_draft("D-000001").state == "approved"
    late = outlook_ja(
        requests[KAKARI], KAKARI, "係長", "差戻しします。やはり日付を確認してください。"
    )
    gw.handle_raw(late)
    assert gw.store.get_draft("D-000001").state == "approved"
    assert any(e["action"] == "reply_late" for e in gw.store.all_events())


M365_PASS = (
    "spf=pass (sender IP is 40.107.74.51) smtp.mailfrom=town.example.jp; dkim=pass (signature was "
    "verified) header.d=town.example.jp;dmarc=pass action=none header.from=town.example.jp"
)


def test_require_authenticated_counts_only_vouched_replies(tmp_path):
    gw, _ = make_gateway(tmp_path, review={"require_authenticated": True, "authserv_ids": ["-"]})
    # The draft itself must be vouched for too (issue 10, point 7).
    draft = compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)
    assert gw.handle_raw(draft) == "draft_not_authenticated"
    vouched = compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)
    assert gw.handle_raw(with_header(vouched, "Authentication-Results", M365_PASS)) == "draft"
    requests = {r: sent(gw, "review-request", r)[-1] for r in (KACHO, KAKARI)}
    unvouched = outlook_ja(requests[KACHO], KACHO, "課長", "承認します。")
    assert gw.handle_raw(unvouched) == "reply_not_authenticated"
    assert gw.store.get_draft("D-000001").votes_for(1) == {}
    assert reasons(gw) == ["not-authenticated"]
    assert sent(gw, "notice", KACHO)
    vouched = with_header(
        outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"),
        "Authentication-Results",
        M365_PASS,
    )
    assert gw.handle_raw(vouched) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KACHO}


def test_flood_from_one_sender_is_deferred_never_dropped(tmp_path):
    gw, clock = make_gateway(
        tmp_path, limits={"per_sender_per_hour": 3}, admin={"address": "somu@town.example.jp"}
    )
    results = []
    for i in range(5):
        clock.now += timedelta(minutes=1)
        results.append(gw.handle_raw(compose_draft(AUTHOR, f"お知らせ{i}", DRAFT)))
    assert results == ["draft", "draft", "draft", "deferred", "deferred"]
    assert len(sent(gw, "received")) == 3
    # told once in the window, not once per mail
    notices = sent(gw, "deferred", AUTHOR)
    assert len(notices) == 1
    notice = message_from_bytes(notices[0], policy=policy.default)
    assert notice["X-Mailer"].startswith("town-sns-gateway/")  # as every mail of ours
    assert "失われません" in notice.get_body(("plain",)).get_content()
    # A sixth mail arrives while two wait: it waits behind them, in order.
    clock.now += timedelta(minutes=1)
    assert gw.handle_raw(compose_draft(AUTHOR, "お知らせ5", DRAFT)) == "deferred"
    gw.tick()
    assert len(sent(gw, "received")) == 3  # the window has not moved yet
    clock.now += timedelta(minutes=55)  # 10:01: the first mail of the window is an hour old
    gw.tick()
    subjects = [d.current.subject for d in gw.store.all_drafts()]
    assert subjects == ["お知らせ0", "お知らせ1", "お知らせ2", "お知らせ3"]
    clock.now += timedelta(hours=1)
    gw.tick()
    subjects = [d.current.subject for d in gw.store.all_drafts()]
    assert subjects == [f"お知らせ{i}" for i in range(6)]
    assert gw.hold.entries() == []
    assert sum(e["action"] == "rate_deferred" for e in gw.store.all_events()) == 3


def test_budget_window_survives_a_restart(tmp_path):
    from offline import offline_gateway

    gw, clock = make_gateway(tmp_path, limits={"per_sender_per_hour": 2})
    for i in range(3):
        clock.now += timedelta(minutes=1)
        gw.handle_raw(compose_draft(AUTHOR, f"お知らせ{i}", DRAFT))
    gw.store.close()
    again = offline_gateway(tmp_path, clock, limits={"per_sender_per_hour": 2})
    clock.now += timedelta(minutes=1)
    assert again.handle_raw(compose_draft(AUTHOR, "お知らせ3", DRAFT)) == "deferred"
    assert len(again.hold.entries()) == 2


def test_forged_flood_under_a_reviewer_does_not_cost_the_real_decision(tmp_path):
    gw, clock = make_gateway(tmp_path, limits={"per_sender_per_hour": 5})
    requests = open_draft(gw)
    outcomes = []
    for i in range(20):  # forged: KACHO's From, no token
        clock.now += timedelta(seconds=30)
        forged = compose_draft(KACHO, f"RE: [承認依頼 D-000001] 防災訓練のお知らせ {i}", "承認")
        outcomes.append(gw.handle_raw(forged))
    assert outcomes.count("deferred") == 15
    # at most one clarify to the real reviewer for the whole flood
    assert len(sent(gw, "clarify", KACHO)) == 1
    real = gmail_ja(requests[KACHO], KACHO, "課長", "承認します")
    assert gw.handle_raw(real) == "reply_approve"
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KACHO}


def test_our_own_mail_and_x_loop_are_never_answered(tmp_path):
    gw, _ = make_gateway(tmp_path)
    requests = open_draft(gw)
    before = len(gw.store.outbox.all())
    assert gw.handle_raw(requests[KACHO]) in ("other_ignored", "loop")  # our own request back
    looped = with_header(compose_draft(AUTHOR, "転送", "本文"), "X-Loop", GATEWAY)
    assert gw.handle_raw(looped) == "loop"
    assert len(gw.store.outbox.all()) == before


def test_draft_with_a_thousand_cc_is_handled_and_only_the_author_is_answered(tmp_path):
    gw, _ = make_gateway(tmp_path)
    raw = compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT)
    cc = ", ".join(f"user{i}@town.example.jp" for i in range(1000))
    assert gw.handle_raw(with_header(raw, "Cc", cc)) == "draft"
    recipients = {r for e in gw.store.outbox.all() for r in e["recipients"]}
    assert recipients == {AUTHOR, KACHO, KAKARI}


def _draft_with_attachments(parts: list[tuple[str, bytes]]) -> bytes:
    msg = EmailMessage()
    msg["From"] = AUTHOR
    msg["To"] = GATEWAY
    msg["Subject"] = "写真つき"
    msg["Message-ID"] = f"<att-{len(parts)}@town.example.jp>"
    msg.set_content(DRAFT)
    for name, data in parts:
        msg.add_attachment(data, maintype="image", subtype="jpeg", filename=name)
    return msg.as_bytes(policy=policy.SMTP)


def test_a_20_mb_attachment_is_returned_with_the_limit(tmp_path):
    gw, _ = make_gateway(tmp_path)
    raw = _draft_with_attachments([("photo.jpg", b"\xff\xd8" + b"\0" * (20 * 1024 * 1024))])
    assert gw.handle_raw(raw) == "draft"
    assert gw.store.get_draft("D-000001").state == "rejected"
    (rejected,) = sent(gw, "rejected", AUTHOR)
    body = message_from_bytes(rejected, policy=policy.default).get_body(("plain",)).get_content()
    assert "photo.jpg" in body and "上限 15MB" in body
    assert sent(gw, "review-request") == []


def test_ten_thousand_mime_parts_are_handled_clearly(tmp_path):
    gw, _ = make_gateway(tmp_path)
    boundary = "b0undary"
    parts = [f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{DRAFT}\r\n"]
    parts += [
        f"--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        f'filename="p{i}.bin"\r\n\r\nx\r\n'
        for i in range(10_000)
    ]
    raw = (
        f"From: {AUTHOR}\r\nTo: {GATEWAY}\r\nSubject: parts\r\nMessage-ID: <parts@town.example.jp>\r\n"
        f'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        + "".join(parts)
        + f"--{boundary}--\r\n"
    ).encode()
    assert gw.handle_raw(raw) == "draft"
    draft = gw.store.get_draft("D-000001")
    assert draft.state == "rejected"
    assert any(f.rule == "too-many-attachments" for f in draft.current.findings)


def test_passwords_never_reach_logs_audit_or_state(tmp_path, caplog):
    caplog.set_level("DEBUG")
    gw, _ = make_gateway(tmp_path)
    requests = open_draft(gw)
    gw.handle_raw(gmail_ja(requests[KACHO], KACHO, "課長", "承認します"))
    state = (tmp_path / "state.json").read_text(encoding="utf-8")
    assert "SuperSecret-42" not in caplog.text
    assert "SuperSecret-42" not in state
    assert "SuperSecret-42" not in repr(gw.settings)


@pytest.mark.parametrize("name", ["state.json", "signing.key"])
def test_state_and_key_files_are_0600(tmp_path, name):
    gw, _ = make_gateway(tmp_path)
    open_draft(gw)
    assert (tmp_path / name).stat().st_mode & 0o777 == 0o600


def test_mail_failing_authentication_never_uses_the_real_persons_budget(tmp_path):
    gw, clock = make_gateway(
        tmp_path, limits={"per_sender_per_hour": 3}, review={"authserv_ids": ["-"]}
    )
    requests = open_draft(gw)
    outcomes = []
    for n in range(5):  # KACHO's From and even KACHO's token, but no server vouches for it
        clock.now += timedelta(seconds=30)
        outcomes.append(gw.handle_raw(outlook_ja(requests[KACHO], KACHO, "課長", f"確認中です{n}")))
    assert outcomes.count("deferred") == 2
    vouched = with_header(
        outlook_ja(requests[KACHO], KACHO, "課長", "承認します。"), "Authentication-Results", M365_PASS
    )
    assert gw.handle_raw(vouched) == "reply_approve"  # its own budget is untouched
    assert set(gw.store.get_draft("D-000001").votes_for(1)) == {KACHO}
