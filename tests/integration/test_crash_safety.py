"""SIGKILL the daemon at random moments while drafts and approvals stream in; restart it.

At the end every draft must have been approved exactly once by its two reviewers, every
recipient must hold exactly the mails the outbox says were sent (grouped by Message-ID),
and a mail may arrive twice only as the same Message-ID (the window between the SMTP
server accepting it and the store recording that).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from email import message_from_bytes, policy

from clients import gmail_ja
from harness import AUTHOR, DAIRI, GATEWAY, KACHO, KAKARI, PASSWORD, USERS, write_config
from process import GatewayProcess, NewMail, headers

from gateway.config import load_settings
from gateway.demo import compose_draft
from gateway.store import Store

SEED = 20261123
DRAFTS = 24
KILLS = 22
REVIEWERS = (KACHO, KAKARI, DAIRI)


def _reply_target(request: bytes) -> str:
    msg = message_from_bytes(request, policy=policy.default)
    return (msg.get("Reply-To") or msg["From"]).addresses[0].addr_spec


def test_sigkill_at_random_points_loses_nothing_and_counts_each_decision_once(
    mail_system, tmp_path
) -> None:
    mail = mail_system
    for user in USERS:
        mail.add_user(user, PASSWORD)
    config = write_config(mail, tmp_path)
    rng = random.Random(SEED)
    gw = GatewayProcess(config).start()
    boxes = {a: NewMail(mail, a, PASSWORD) for a in (AUTHOR, *REVIEWERS)}
    answered: set[tuple[str, str]] = set()
    approved: set[str] = set()
    subjects = [f"お知らせ {i:02d}" for i in range(DRAFTS)]
    sent_drafts = 0
    kills = 0
    next_draft_at = time.monotonic()
    kill_at = time.monotonic() + rng.uniform(0.3, 1.6)
    deadline = time.monotonic() + 150
    try:
        while len(approved) < DRAFTS or kills < KILLS:
            now = time.monotonic()
            assert now < deadline, f"stuck: {len(approved)} approved, {kills} kills"
            if sent_drafts < DRAFTS and now >= next_draft_at:
                body = f"アカウント: 辰野町公式X\n\n町民運動会のお知らせです（{sent_drafts}）。\n"
                mail.deliver(compose_draft(AUTHOR, subjects[sent_drafts], body), [GATEWAY])
                sent_drafts += 1
                next_draft_at = now + rng.uniform(0.4, 1.4)
            for reviewer in REVIEWERS:
                for raw in boxes[reviewer].fetch():
                    status, draft_id = headers(raw, "X-Gateway-Status", "X-Gateway-Draft")
                    if status == "review-request" and (draft_id, reviewer) not in answered:
                        answered.add((draft_id, reviewer))  # a real reviewer answers once
                        reply = gmail_ja(raw, reviewer, "確認者", "承認します。")
                        mail.deliver(reply, [_reply_target(raw)])
            for raw in boxes[AUTHOR].fetch():
                status, draft_id = headers(raw, "X-Gateway-Status", "X-Gateway-Draft")
                if status == "approved":
                    approved.add(draft_id)
            if kills < KILLS and now >= kill_at:
                gw.kill()
                kills += 1
                gw.start()
                kill_at = time.monotonic() + rng.uniform(0.3, 1.6)
            time.sleep(0.05)
        time.sleep(1.0)  # let the last mails (receipts) go out before the clean stop
        assert gw.stop() == 0
        for box in boxes.values():
            box.fetch()
    finally:
        if gw.proc and gw.proc.poll() is None:
            gw.kill()
        for box in boxes.values():
            box.close()
    assert gw.lives == KILLS + 1

    # -- the store: every draft approved, each reviewer's decision counted once ----------
    store = Store(load_settings(config).state_path)
    drafts = store.all_drafts()
    assert sorted(d.current.subject for d in drafts) == subjects  # one draft per mail
    for d in drafts:
        assert d.state == "approved", d.id
        assert len(d.votes) == 2 and {v.reviewer for v in d.votes} == set(d.reviewers), d.id
    counted = Counter(
        (e["draft_id"], e["actor"]) for e in store.all_events() if e["action"] == "decision_counted"
    )
    assert set(counted.values()) == {1} and len(counted) == 2 * DRAFTS
    assert Counter(e["action"] for e in store.all_events())["draft_approved"] == DRAFTS

    # -- the mail: exactly what the outbox sent, each Message-ID (at least) once ----------
    outbox = store.outbox.all()
    assert {e["status"] for e in outbox} == {"sent"}
    expected: dict[str, set[str]] = {}
    for entry in outbox:
        for rcpt in entry["recipients"]:
            expected.setdefault(rcpt, set()).add(entry["message_id"])
    duplicated: set[str] = set()
    for address, box in boxes.items():
        ids = Counter(headers(raw, "Message-ID")[0].strip() for raw in box.all)
        assert set(ids) == expected.get(address, set()), address
        duplicated |= {mid for mid, n in ids.items() if n > 1}
        statuses = Counter(headers(raw, "X-Gateway-Status")[0] for raw in box.all)
        assert not {"clarify", "returned", "rejected"} & set(statuses), (address, statuses)
    per_draft = Counter((e["draft_id"], e["mail_status"]) for e in outbox)
    for d in drafts:
        assert per_draft[(d.id, "received")] == 1
        assert per_draft[(d.id, "review-request")] == 2
        assert per_draft[(d.id, "approved")] == 1
    # Each kill can repeat at most the one mail the server had accepted but the store had
    # not yet recorded as sent.
    assert len(duplicated) <= KILLS, duplicated
    print(f"kills={kills} duplicated Message-IDs={len(duplicated)}")

    # -- nothing left behind on the IMAP server -----------------------------------------
    assert mail.messages(GATEWAY) == []
    assert mail.messages(GATEWAY, "Failed") == []
    assert len(mail.messages(GATEWAY, "Processed")) >= DRAFTS * 3
