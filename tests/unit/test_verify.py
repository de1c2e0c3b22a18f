"""`gateway verify`: a confirmation is valid only when every part of it agrees.

Each forgery is made the way a person with a mail client and a text editor would make
it from a genuine confirmation (edit the body, drop or add an attachment, rename one,
swap in parts of another draft's confirmation), and must exit 1 naming what disagrees.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.cli import main as cli_main
from gateway.confirmation import compare_text, verify_confirmation
from gateway.model import Decision
from gateway.render import build_message
from gateway.signing import load_or_create_key
from gateway.workflow import AttachmentRef, NewDraft, Policy, Reply, on_new_draft, on_reply

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
AUTHOR = "sato@town.example.jp"
KACHO, KAKARI = "kacho@town.example.jp", "kakaricho@town.example.jp"
POLICY = Policy(accounts={"辰野町公式X": (KACHO, KAKARI)})
TEXT = (
    "【ほたる祭りのお知らせ】\n"
    "6月14日（土）19時から、松尾峡でほたる祭りを開催します。\n"
    "詳しくは町ホームページ https://www.town.tatsuno.lg.jp/ をご覧ください。\n"
)
PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF" + bytes(range(256)) * 4
MAP = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def approved_mail(
    key,
    text=TEXT,
    files=(("hotaru.jpg", "image/jpeg", PHOTO),),
    draft_id="D-000001",
    subject="ほたる祭り",
) -> bytes:
    """A genuine approved mail, through the real workflow and renderer, as sent by SMTP."""
    refs = tuple(
        AttachmentRef(name, ctype, hashlib.sha256(data).hexdigest(), len(data))
        for name, ctype, data in files
    )
    event = NewDraft(
        author=AUTHOR,
        author_name="佐藤",
        subject=subject,
        message_id=f"<{draft_id}@pc.town.example.jp>",
        references=(),
        text=text,
        account=None,
        schedule=None,
        findings=(),
        attachments=refs,
        at=T0,
    )
    draft = on_new_draft(event, None, draft_id, POLICY).draft
    for reviewer in (KACHO, KAKARI):
        out = on_reply(
            draft,
            Reply(
                sender=reviewer,
                draft_id=draft_id,
                token_version=1,
                reading_decision=Decision.APPROVE,
                comment="",
                message_id=f"<{reviewer}.{draft_id}@x>",
                at=T0 + timedelta(hours=1),
            ),
        )
        draft = out.draft
    (spec,) = [m for m in out.mails if m.status == "approved"]
    assert spec.attach_version
    msg = build_message(
        spec,
        draft,
        gateway_address="sns-check@town.example.jp",
        token_secret=b"k" * 32,
        now=T0 + timedelta(hours=1),
        attachments=list(files),
        sign=key.sign,
    )
    return msg.as_bytes(policy=policy.SMTP)


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    return load_or_create_key(tmp_path_factory.mktemp("k") / "signing.key")


@pytest.fixture(scope="module")
def genuine(key) -> bytes:
    return approved_mail(key)


def run_verify(tmp_path, capsys, key, raw: bytes, *extra: str) -> tuple[int, str]:
    path = tmp_path / "approved.eml"
    path.write_bytes(raw)
    pub = tmp_path / "signing.key.pub"
    pub.write_bytes(__import__("gateway.signing", fromlist=["public_pem"]).public_pem(key.public))
    code = cli_main(["verify", "--key", str(pub), str(path), *extra])
    out = capsys.readouterr()
    return code, out.out + out.err


def parse(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def leaves(msg: EmailMessage):
    return [p for p in msg.walk() if not p.is_multipart()]


def part_named(msg: EmailMessage, name: str):
    return next(p for p in leaves(msg) if p.get_filename() == name)


def remove_part(msg: EmailMessage, name: str) -> None:
    msg.set_payload([p for p in msg.get_payload() if p.get_filename() != name])


def edit_body(msg: EmailMessage, old: str, new: str) -> None:
    body = msg.get_body(("plain",))
    text = body.get_content()
    assert old in text
    body.set_content(text.replace(old, new), charset="utf-8")


def text_part(data: bytes, name: str) -> EmailMessage:
    part = EmailMessage()
    part.set_content(data, maintype="text", subtype="plain", filename=name)
    return part


# --------------------------------------------------------------------------- genuine


def test_genuine_confirmation_is_valid_and_names_draft_and_photos(tmp_path, capsys, key, genuine):
    code, out = run_verify(tmp_path, capsys, key, genuine)
    assert code == 0, out
    assert "有効な承認記録です: D-000001 第1版" in out and "添付 1 点" in out
    assert f"承認: {KACHO}（2026-11-24 10:00）" in out and f"承認: {KAKARI}" in out
    assert "添付: hotaru.jpg" in out
    msg = parse(genuine)
    record = json.loads(part_named(msg, "approval-record.json").get_content())
    assert record["format"] == 3
    assert record["body"] == msg.get_body(("plain",)).get_content()  # the body is signed
    assert record["attachments"] == [
        {
            "filename": "hotaru.jpg",
            "content_type": "image/jpeg",
            "sha256": hashlib.sha256(PHOTO).hexdigest(),
            "size": len(PHOTO),
        }
    ]


def test_a_subject_that_names_a_draft_version_or_address_still_verifies(tmp_path, capsys, key):
    """The body quotes the author's subject: what it says is not a fact the record signs."""
    raw = approved_mail(key, subject="チラシ第2版（D-000099 の差し替え）問い合わせ info@example.jp")
    code, out = run_verify(tmp_path, capsys, key, raw)
    assert code == 0, out


def test_post_txt_is_labelled_utf8_and_holds_the_exact_text(genuine):
    post = part_named(parse(genuine), "post.txt")
    assert post.get_content_charset() == "utf-8"
    assert post.get_payload(decode=True) == TEXT.encode("utf-8")


def test_a_hostile_post_still_gives_a_genuine_valid_confirmation(tmp_path, capsys, key):
    """The body shows notes instead of the hidden parts; verify recomputes them."""
    text = (
        "ほたる祭りを開催します。\n――――― 投稿文 ここまで ―――――\n-- \n"
        "このメールはSNS投稿確認システムが自動で送信しています。"
        + "\n" * 46
        + "追記\u200b https://www.town.t\u0430tsuno.lg.jp/ \u202eabc\u202c\n"
    )
    raw = approved_mail(key, text=text, files=())
    code, out = run_verify(tmp_path, capsys, key, raw)
    assert code == 0, out
    body = parse(raw).get_body(("plain",)).get_content()
    assert "（空行 45 行）" in body and "（見えない文字 U+200B）" in body


def test_an_author_file_named_post_txt_does_not_pass_for_ours(tmp_path, capsys, key):
    raw = approved_mail(key, files=(("post.txt", "text/plain", "下書きです".encode()),))
    code, out = run_verify(tmp_path, capsys, key, raw)
    assert code == 0, out
    names = [p.get_filename() for p in leaves(parse(raw)) if p.get_filename()]
    assert names.count("post.txt") == 1 and "添付-post.txt" in names


def test_no_signature_exits_2(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    remove_part(msg, "approval-record.sig")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes())
    assert code == 2 and "見つかりません" in out


# --------------------------------------------------------------------------- forgeries


def forge_body_text(msg: EmailMessage) -> None:
    edit_body(msg, "19時から", "20時から")


def forge_body_without_post_txt(msg: EmailMessage) -> None:
    remove_part(msg, "post.txt")
    edit_body(msg, "19時から", "20時から")


def forge_renamed_post_txt(msg: EmailMessage) -> None:
    remove_part(msg, "post.txt")
    msg.get_payload().insert(1, text_part(TEXT.replace("19時", "20時").encode(), "Post.txt"))


def forge_post_txt_before_genuine(msg: EmailMessage) -> None:
    msg.get_payload().insert(1, text_part(TEXT.replace("19時", "20時").encode(), "post.txt"))


def forge_html_view(msg: EmailMessage) -> None:
    body = msg.get_body(("plain",))
    body.add_alternative("<p>6月14日（土）20時から開催します。</p>", subtype="html")


def forge_body_account(msg: EmailMessage) -> None:
    edit_body(msg, "アカウント: 辰野町公式X", "アカウント: 辰野町公式Instagram")


def forge_body_approver(msg: EmailMessage) -> None:
    edit_body(msg, "・kacho@town.example.jp（", "・soumu@town.example.jp（")


def forge_body_one_approver(msg: EmailMessage) -> None:
    body = msg.get_body(("plain",))
    lines = body.get_content().split("\n")
    body.set_content(
        "\n".join(line for line in lines if not line.startswith("・kakaricho@")), charset="utf-8"
    )


def forge_body_version(msg: EmailMessage) -> None:
    edit_body(msg, "（D-000001 第1版）", "（D-000001 第3版）")


def forge_body_draft(msg: EmailMessage) -> None:
    edit_body(msg, "（D-000001 第1版）", "（D-000007 第1版）")


def forge_body_added_note(msg: EmailMessage) -> None:
    # a line no fact of the record covers, below the approvers
    edit_body(msg, "承認:\n", "※公開は12月20日に延期してください。\n承認:\n")


def forge_body_schedule(msg: EmailMessage) -> None:
    edit_body(msg, "アカウント: 辰野町公式X\n", "アカウント: 辰野町公式X\n投稿予定: 2026-12-20 09:00\n")


def forge_body_appended(msg: EmailMessage) -> None:
    body = msg.get_body(("plain",))
    body.set_content(body.get_content() + "\n追記: 写真は使わないでください。\n", charset="utf-8")


CASES = {
    "body text altered": (forge_body_text, ["本文の投稿文 2 行目", "20時から"]),
    "post.txt removed and body altered": (forge_body_without_post_txt, ["post.txt）がありません"]),
    "post.txt renamed Post.txt with other text": (
        forge_renamed_post_txt,
        ["Post.txt", "承認された文面と違います"],
    ),
    "forged post.txt before the genuine one": (
        forge_post_txt_before_genuine,
        ["投稿文の添付が 2 個あります"],
    ),
    "an HTML view beside the text": (forge_html_view, ["text/html"]),
    # the readable body states facts the record signs: they must agree with it too
    "the body names another account": (forge_body_account, ["アカウント", "辰野町公式Instagram"]),
    "the body names another approver": (forge_body_approver, ["soumu@town.example.jp"]),
    "the body lists one approver of two": (forge_body_one_approver, ["kakaricho@town.example.jp"]),
    "the body names another version": (forge_body_version, ["第3版"]),
    "the body names another draft": (forge_body_draft, ["D-000007"]),
    # format 3 signs the whole body: a line the record's facts do not cover is caught too
    "a note added to the body": (forge_body_added_note, ["署名された本文と違います", "延期"]),
    "a schedule line added to the body": (forge_body_schedule, ["投稿予定: 2026-12-20"]),
    "a line appended at the end": (forge_body_appended, ["署名された本文にない行", "追記"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_forged_confirmation_exits_1_and_names_what_disagrees(tmp_path, capsys, key, genuine, case):
    forge, expected = CASES[case]
    msg = parse(genuine)
    forge(msg)
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1, out
    assert "有効ではありません" in out
    for words in expected:
        assert words in out, (case, out)


def test_another_drafts_record_inside_this_drafts_mail(tmp_path, capsys, key, genuine):
    """D-000002's genuine record, signature and post.txt moved into D-000001's mail."""
    other_text = "ほたる祭りは中止します。\n"
    other = parse(approved_mail(key, text=other_text, files=(), draft_id="D-000002"))
    msg = parse(genuine)
    for name in ("post.txt", "approval-record.json", "approval-record.sig"):
        remove_part(msg, name)
        msg.attach(copy.deepcopy(part_named(other, name)))
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1
    assert "X-Gateway-Draft が「D-000001」ですが、承認記録は「D-000002」" in out
    assert "本文の投稿文 1 行目" in out  # the body shows D-000001's text
    assert "承認記録にない添付ファイル「hotaru.jpg」" in out


def test_another_drafts_whole_confirmation_nested_in_this_one(tmp_path, capsys, key, genuine):
    other = parse(approved_mail(key, text="中止します。\n", files=(), draft_id="D-000002"))
    msg = parse(genuine)
    msg.add_attachment(other)  # forwarded as an attachment (message/rfc822)
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "承認記録（approval-record.json）が 2 個あります" in out


def test_altered_photo(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    remove_part(msg, "hotaru.jpg")
    msg.add_attachment(
        PHOTO[:-1] + b"\x00", maintype="image", subtype="jpeg", filename="hotaru.jpg"
    )
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "添付ファイル「hotaru.jpg」の内容が、承認されたものと違います" in out


def test_missing_photo(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    remove_part(msg, "hotaru.jpg")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "承認された添付ファイル「hotaru.jpg」がありません" in out


def test_added_photo(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    msg.add_attachment(MAP, maintype="image", subtype="png", filename="map.png")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "承認記録にない添付ファイル「map.png」" in out


def test_two_photos_of_one_name_are_matched_by_content(tmp_path, capsys, key):
    """iPhones name every photo image.jpeg: same name, different photos, both signed."""
    files = (("image.jpeg", "image/jpeg", PHOTO), ("image.jpeg", "image/jpeg", PHOTO + b"2"))
    raw = approved_mail(key, files=files)
    assert run_verify(tmp_path, capsys, key, raw)[0] == 0
    msg = parse(raw)
    parts = [p for p in msg.get_payload() if p.get_filename() == "image.jpeg"]
    msg.set_payload([p for p in msg.get_payload() if p is not parts[1]])
    msg.add_attachment(PHOTO, maintype="image", subtype="jpeg", filename="image.jpeg")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "「image.jpeg」の内容が、承認されたものと違います" in out


def test_header_draft_changed(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    msg.replace_header("X-Gateway-Draft", "D-000009")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "X-Gateway-Draft が「D-000009」" in out


def test_record_edited_breaks_the_signature(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    part = part_named(msg, "approval-record.json")
    record = json.loads(part.get_payload(decode=True))
    record["account"] = "辰野町公式Instagram"
    from gateway.signing import canonical

    part.set_content(
        canonical(record), maintype="application", subtype="json", filename="approval-record.json"
    )
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "署名が一致しません" in out


def test_another_key_does_not_verify(tmp_path, capsys, genuine):
    other = load_or_create_key(tmp_path / "other.key")
    code, out = run_verify(tmp_path, capsys, other, genuine)
    assert code == 1 and "署名が一致しません" in out


def test_old_record_without_photos_still_verifies_and_says_so(tmp_path, capsys, key):
    """A format 1 record (before photos were signed): text checked, photos not covered."""
    msg = parse(approved_mail(key, files=()))
    part = part_named(msg, "approval-record.json")
    record = json.loads(part.get_payload(decode=True))
    record["format"] = 1
    del record["attachments"]
    from gateway.signing import canonical

    part.set_content(
        canonical(record), maintype="application", subtype="json", filename="approval-record.json"
    )
    sig = part_named(msg, "approval-record.sig")
    sig.set_content(
        key.sign(record).encode(),
        maintype="application",
        subtype="octet-stream",
        filename="approval-record.sig",
    )
    msg.add_attachment(PHOTO, maintype="image", subtype="jpeg", filename="hotaru.jpg")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 0, out
    assert "写真・添付ファイルは証明しません" in out and "hotaru.jpg" in out


def _resign(msg: EmailMessage, key, edit) -> None:
    """The record edited by `edit` and signed again with our key (an older gateway's)."""
    from gateway.signing import canonical

    part = part_named(msg, "approval-record.json")
    record = json.loads(part.get_payload(decode=True))
    edit(record)
    part.set_content(
        canonical(record), maintype="application", subtype="json", filename="approval-record.json"
    )
    part_named(msg, "approval-record.sig").set_content(
        key.sign(record).encode(),
        maintype="application",
        subtype="octet-stream",
        filename="approval-record.sig",
    )


def test_a_format_2_record_without_the_body_still_verifies(tmp_path, capsys, key, genuine):
    """Confirmations sent before the body was signed stay valid; their facts still count."""
    msg = parse(genuine)
    _resign(msg, key, lambda r: (r.update(format=2), r.pop("body")))
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 0, out
    forge_body_account(msg)  # a fact format 2 signs is still checked
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "辰野町公式Instagram" in out


def test_a_format_3_record_without_its_body_is_refused(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    _resign(msg, key, lambda r: r.pop("body"))
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 1 and "承認記録に本文がありません" in out


def test_line_ends_trailing_spaces_and_blank_edges_as_mail_systems_change_them(
    tmp_path, capsys, key, genuine
):
    msg = parse(genuine)
    body = msg.get_body(("plain",))
    changed = "\n\n" + "\r\n".join(line + "  " for line in body.get_content().split("\n")) + "\n\n"
    body.set_content(changed, charset="utf-8")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(policy=policy.SMTP))
    assert code == 0, out


# --------------------------------------------------------------------------- --text


def test_text_same_as_approved_even_as_notepad_saves_it(tmp_path, capsys, key, genuine):
    given = tmp_path / "post-windows.txt"
    given.write_bytes(b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode("utf-8"))
    code, out = run_verify(tmp_path, capsys, key, genuine, "--text", str(given))
    assert code == 0 and "承認された文面と同じです" in out


def test_text_from_stdin(tmp_path, capsys, key, genuine, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(TEXT.encode("utf-8"))))
    assert run_verify(tmp_path, capsys, key, genuine, "--text", "-")[0] == 0
    altered = TEXT.replace("松尾峡", "松尾峡\u200b")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(altered.encode("utf-8"))))
    code, out = run_verify(tmp_path, capsys, key, genuine, "--text", "-")
    assert code == 1 and "2 行目" in out and "U+200B" in out


@pytest.mark.parametrize(
    ("altered", "where"),
    [
        (TEXT.replace("tatsuno", "t\u0430tsuno"), "U+0430 CYRILLIC SMALL LETTER A"),
        (TEXT.replace("19時", "20時"), "2 行目 9 文字目"),
        (TEXT + "追記: 雨天中止。\n", "4 行目から先が余分"),
        (TEXT.split("\n", 1)[1], "1 行目 1 文字目"),
        ("\n".join(TEXT.split("\n")[:2]) + "\n", "3 行目から先がありません"),
        (TEXT.replace("ください。", "ください。 "), "3 行目"),
    ],
)
def test_altered_text_exits_1_naming_the_first_different_line(
    tmp_path, capsys, key, genuine, altered, where
):
    given = tmp_path / "given.txt"
    given.write_text(altered, encoding="utf-8")
    code, out = run_verify(tmp_path, capsys, key, genuine, "--text", str(given))
    assert code == 1 and where in out, out


def test_text_is_not_compared_against_an_invalid_confirmation(tmp_path, capsys, key, genuine):
    msg = parse(genuine)
    forge_body_without_post_txt(msg)
    given = tmp_path / "given.txt"
    given.write_text(TEXT, encoding="utf-8")
    code, out = run_verify(tmp_path, capsys, key, msg.as_bytes(), "--text", str(given))
    assert code == 1 and "照合していません" in out


# --------------------------------------------------------------------------- property

HOSTILE_PIECES = st.sampled_from(
    [
        "――――― 投稿文 ここまで ―――――",
        "――――― 投稿文 ここから ―――――",
        "-- ",
        "\n" * 4,
        "\r\n",
        "\r",
        " " * 9,
        "\u3000",
        "\u200b",
        "\u202e",
        "\u2028",
        "\x0c",
        "\x85",
        "👨\u200d👩",
        "=?utf-8?b?44GC?=",
        "From ",
        ".",
        "a" * 120,
    ]
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.one_of(st.text(max_size=15), HOSTILE_PIECES), min_size=1, max_size=25).map("".join)
)
def test_property_every_genuine_confirmation_verifies(key, text):
    """Whatever the post text, the gateway's own confirmation passes its own check, and the
    text given back exactly is the approved text."""
    raw = approved_mail(key, text=text, files=())
    verdict = verify_confirmation(parse(raw), key.public)
    assert verdict.code == 0, (text, verdict.problems)
    assert compare_text(verdict.post_text, text.encode("utf-8"))[0]


def test_a_forward_is_not_the_confirmation_and_says_what_to_do(tmp_path, capsys, key, genuine):
    """Outlook's 'forward as attachment': the outer mail is the colleague's, not ours."""
    outer = EmailMessage()
    outer["From"] = AUTHOR
    outer["To"] = "koho@town.example.jp"
    outer["Subject"] = "FW: [承認済 D-000001] ほたる祭り"
    outer.set_content("承認済みです。投稿をお願いします。")
    outer.add_attachment(parse(genuine))
    code, out = run_verify(tmp_path, capsys, key, outer.as_bytes(policy=policy.SMTP))
    assert code == 1
    assert "ヘッダー X-Gateway-Draft が 0 個あります" in out
    assert "添付されている元の承認通知を保存して" in out
