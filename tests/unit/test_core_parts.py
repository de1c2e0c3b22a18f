"""Tokens, signing, store, rendering and config: the pieces around the workflow."""

from __future__ import annotations

import json
import os
import stat
import textwrap
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

import gateway
from gateway.config import load_settings
from gateway.config_reader import ConfigError
from gateway.render import STATUSES, build_message, render_body
from gateway.settings import staff_allowed
from gateway.signing import canonical, load_or_create_key, load_public_key, verify_parts
from gateway.statefiles import StateError
from gateway.store import Store
from gateway.tokens import find_tokens, make_token, parse_token, plus_address, token_matches
from gateway.workflow import NewDraft, Policy, on_new_draft

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
SECRET = b"s" * 32


# --------------------------------------------------------------------------- tokens


def test_token_counts_only_for_its_draft_version_and_address():
    tok = make_token(SECRET, "D-000042", 2, "Kacho@Town.example.jp")
    assert token_matches(SECRET, tok, "kacho@town.example.jp")
    assert not token_matches(SECRET, tok, "kakaricho@town.example.jp")
    other_version = parse_token(f"D-000042.v1.k{tok.mac}")
    other_draft = parse_token(f"D-000043.v2.k{tok.mac}")
    assert not token_matches(SECRET, other_version, "kacho@town.example.jp")
    assert not token_matches(SECRET, other_draft, "kacho@town.example.jp")
    assert not token_matches(b"x" * 32, tok, "kacho@town.example.jp")


def test_tokens_are_found_in_plus_addresses_and_message_ids():
    tok = make_token(SECRET, "D-000042", 2, "a@b.jp")
    addr = plus_address("sns-check@town.example.jp", tok)
    assert addr.startswith("sns-check+D-000042.v2.k") and addr.endswith("@town.example.jp")
    header = f"<{tok}.review-request@town.example.jp> {addr}"
    assert find_tokens(header) == [str(tok)]


# --------------------------------------------------------------------------- signing


def test_key_is_created_0600_and_signature_verifies_and_detects_changes(tmp_path):
    key = load_or_create_key(tmp_path / "k" / "signing.key")
    assert stat.S_IMODE(os.stat(tmp_path / "k" / "signing.key").st_mode) == 0o600
    assert load_or_create_key(tmp_path / "k" / "signing.key").key_id() == key.key_id()
    text = "防災訓練を行います。".encode()
    import hashlib

    record = {
        "type": "town-sns-gateway/approval",
        "format": 2,
        "draft_id": "D-000001",
        "version": 1,
        "text_sha256": hashlib.sha256(text).hexdigest(),
    }
    sig = key.sign(record)
    public = load_public_key(tmp_path / "k" / "signing.key.pub")
    assert verify_parts(public, canonical(record), sig, text)[0] == 0
    altered = {**record, "version": 2}
    assert verify_parts(public, canonical(altered), sig, text)[0] == 1
    assert verify_parts(public, canonical(record), sig, "防災訓練を中止します。".encode())[0] == 1
    other = load_or_create_key(tmp_path / "other.key")
    assert verify_parts(other.public, canonical(record), sig, text)[0] == 1
    # A validly signed record that is not ours (another type) is refused as well.
    foreign = {**record, "type": "something-else"}
    assert verify_parts(public, canonical(foreign), key.sign(foreign), text)[0] == 1


# --------------------------------------------------------------------------- store


def _draft(at=T0):
    event = NewDraft(
        "sato@town.example.jp", "佐藤", "件名", "<m1@x>", (), "本文", None, None, (), (), at
    )
    return on_new_draft(event, None, "D-000001", Policy({"X": ("a@x.jp", "b@x.jp")})).draft


def test_store_round_trips_drafts_atomically_and_0600(tmp_path):
    path = tmp_path / "state.json"
    store = Store(path)
    with store.transaction():
        assert store.next_draft_id() == "D-000001"
        store.put_draft(_draft())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    store.close()  # one writer at a time
    again = Store(path)
    assert again.get_draft("D-000001") == _draft()
    with again.transaction():
        assert again.next_draft_id() == "D-000002"


def test_failed_transaction_leaves_disk_and_memory_unchanged(tmp_path):
    store = Store(tmp_path / "state.json")
    with pytest.raises(RuntimeError), store.transaction():
        store.put_draft(_draft())
        raise RuntimeError("boom")
    assert store.get_draft("D-000001") is None
    assert Store(tmp_path / "state.json").get_draft("D-000001") is None


def test_corrupt_state_refuses_to_open_and_keeps_the_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"drafts": {"1": {"id": ', encoding="utf-8")
    with pytest.raises(StateError):
        Store(path)
    assert path.read_text(encoding="utf-8") == '{"drafts": {"1": {"id": '


def test_outbox_queues_once_per_message_id_in_order(tmp_path):
    store = Store(tmp_path / "state.json")
    with store.transaction():
        for mid in ("<a@x>", "<b@x>", "<a@x>"):
            store.queue_mail({"message_id": mid, "path": "p", "recipients": ["r@x"]})
    due = store.pending_mail(T0)
    assert [d["message_id"] for d in due] == ["<a@x>", "<b@x>"]
    with store.transaction():
        store.mark_retry(due[0]["_id"], "down", T0 + timedelta(minutes=1), 1)
        store.mark_sent(due[1]["_id"], T0)
    assert store.pending_mail(T0) == []
    assert [d["message_id"] for d in store.pending_mail(T0 + timedelta(minutes=2))] == ["<a@x>"]


# --------------------------------------------------------------------------- rendering


def test_every_status_template_renders_with_sample_data():
    draft = _draft()
    ctx = {
        "draft_id": draft.id,
        "version": 1,
        "subject": "件名",
        "account": "X",
        "author": draft.author,
        "text": "本文",
        "reviewers": ["a@x.jp", "b@x.jp"],
        "findings": [],
        "attachments": [],
    }
    for status in STATUSES:
        body = render_body(status, ctx)
        assert body.strip(), status
        assert "-- \n" in body, status


def test_message_headers_thread_and_token(tmp_path):
    draft = _draft()
    out = on_new_draft(
        NewDraft(
            draft.author,
            "佐藤",
            "防災訓練",
            "<orig@town.example.jp>",
            (),
            "本文",
            None,
            None,
            (),
            (),
            T0,
        ),
        None,
        "D-000042",
        Policy({"X": ("a@town.example.jp", "b@town.example.jp")}),
    )
    spec = next(m for m in out.mails if m.status == "review-request")
    msg = build_message(
        spec, out.draft, gateway_address="sns-check@town.example.jp", token_secret=SECRET, now=T0
    )
    parsed = message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)
    assert parsed["Subject"] == "[承認依頼 D-000042] 防災訓練"
    assert (
        parsed["X-Gateway-Status"] == "review-request" and parsed["X-Gateway-Draft"] == "D-000042"
    )
    assert (
        parsed["Auto-Submitted"] == "auto-generated" and parsed["X-Auto-Response-Suppress"] == "All"
    )
    assert parsed["In-Reply-To"] == "<orig@town.example.jp>"
    assert parsed["X-Mailer"] == f"town-sns-gateway/{gateway.__version__}"
    tok = make_token(SECRET, "D-000042", 1, "a@town.example.jp")
    assert parsed["Reply-To"].addresses[0].addr_spec == plus_address(
        "sns-check@town.example.jp", tok
    )
    assert str(tok) in parsed["Message-ID"]
    again = build_message(
        spec, out.draft, gateway_address="sns-check@town.example.jp", token_secret=SECRET, now=T0
    )
    assert again["Message-ID"] == msg["Message-ID"]


# --------------------------------------------------------------------------- config

CONFIG = """
[mailbox]
host = "{imap_host}"
port = 993
security = "{security}"
username = "sns-check@town.example.jp"
password_file = "imap-password"
address = "sns-check@town.example.jp"
[smtp]
host = "smtp.town.example.jp"
[state]
path = "state.json"
[signing]
key_file = "signing.key"
[staff]
allowed = ["*@town.example.jp", "helper@partner.example.com"]
[[accounts]]
name = "辰野町公式X"
platform = "{platform}"
reviewers = ["kacho@town.example.jp", "kakaricho@town.example.jp"]
"""


def write_config(tmp_path, **kw):
    values = {"imap_host": "imap.town.example.jp", "security": "ssl", "platform": "x"} | kw
    (tmp_path / "imap-password").write_text("S3cr3t-pw\n", encoding="utf-8")
    path = tmp_path / "gateway.toml"
    path.write_text(textwrap.dedent(CONFIG.format(**values)), encoding="utf-8")
    return path


def test_config_loads_with_secret_from_file_and_relative_paths(tmp_path):
    settings = load_settings(write_config(tmp_path))
    assert settings.mailbox.password == "S3cr3t-pw"
    assert settings.state_path == str(tmp_path / "state.json")
    assert settings.smtp.security == "starttls" and settings.smtp.port == 587
    assert "S3cr3t-pw" not in repr(settings)
    assert staff_allowed(settings, "Sato@town.example.jp")
    assert staff_allowed(settings, "helper@partner.example.com")
    assert not staff_allowed(settings, "x@evil.town.example.jp.attacker.net")


@pytest.mark.parametrize(
    ("kw", "key", "ja"),
    [
        ({"security": "none"}, "mailbox.security", "暗号化なし"),
        ({"platform": "myspace"}, "accounts[0].platform", "使えません"),
        ({"security": "tls"}, "mailbox.security", "いずれか"),
    ],
)
def test_config_errors_name_file_key_and_problem_in_both_languages(tmp_path, kw, key, ja):
    with pytest.raises(ConfigError) as info:
        load_settings(write_config(tmp_path, **kw))
    err = info.value
    assert err.key == key and ja in err.ja and err.en
    assert str(tmp_path / "gateway.toml") in err.bilingual()


def test_none_security_is_allowed_on_loopback(tmp_path):
    settings = load_settings(write_config(tmp_path, security="none", imap_host="127.0.0.1"))
    assert settings.mailbox.security == "none"


def test_syntax_error_and_missing_password_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[mailbox\nhost=", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert info.value.key == "(syntax)"
    good = write_config(tmp_path)
    (tmp_path / "imap-password").unlink()
    with pytest.raises(ConfigError) as info:
        load_settings(good)
    assert info.value.key == "mailbox.password_file"


def test_canonical_json_is_stable():
    assert canonical({"b": 1, "a": "承認"}) == '{"a":"承認","b":1}'.encode()
    assert json.loads(canonical({"x": [1, 2]})) == {"x": [1, 2]}


def test_secret_files_readable_by_others_are_reported(tmp_path):
    from gateway.credentials import exposed_secret_files

    path = write_config(tmp_path)
    (tmp_path / "imap-password").chmod(0o644)
    assert exposed_secret_files(path) == [str(tmp_path / "imap-password")]
    (tmp_path / "imap-password").chmod(0o600)
    assert exposed_secret_files(path) == []
