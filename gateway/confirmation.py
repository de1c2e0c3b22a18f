"""Is this approved mail a genuine confirmation? Every part of it must agree.

`gateway verify` trusts nothing it cannot tie to the signature. A confirmation is valid
only when all of these hold, and each one that fails is named:

- exactly one record (`approval-record.json`) and one signature (`approval-record.sig`)
  anywhere in the mail, nested mails included, and the signature holds for our key;
- exactly one post text (`post.txt`, names compared ignoring case and width), whose
  SHA-256 is the record's `text_sha256`, labelled `charset=utf-8`;
- exactly one readable body (text/plain; no HTML or second text a client could show
  instead), with one start and one end marker, and between them exactly what
  `gateway.display.visible_post` shows for the signed text;
- the headers `X-Gateway-Draft`, `X-Gateway-Version` and `X-Gateway-Status` present once
  each and equal to the record's draft, version and `approved`;
- (format 2) every file the record lists present with its SHA-256, and no other file.
- what the body around the post states (account, draft, version, the text's size, the
  addresses of author and approvers) is what the record says; a template may leave a
  fact out, never state another one;
- (format 3) the body, line by line, is the one the record signs: no line added,
  removed or changed anywhere (投稿予定, a note below the approvers …).

A format 1 record (no `attachments`) is checked the same way for the text, and the
result says that it does not prove any photo.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from typing import TYPE_CHECKING, Any

from gateway.approval_format import (
    BODY_FORMAT,
    POST_FILENAME,
    RECORD_FILENAME,
    SIGNATURE_FILENAME,
    name_key,
)
from gateway.display import POST_END, POST_START, post_summary, shown_lines, visible_post
from gateway.signing import open_record

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

VALID, INVALID, MISSING = 0, 1, 2
SHOWN_MAX = 60  # characters of a line or name quoted in a message


@dataclass(frozen=True)
class Problem:
    ja: str
    en: str


@dataclass
class Verdict:
    code: int = VALID
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)
    record: dict[str, Any] | None = None
    post_text: bytes | None = None

    def fail(self, ja: str, en: str) -> None:
        self.problems.append(Problem(ja, en))
        self.code = INVALID

    def note(self, ja: str, en: str) -> None:
        self.notes.append(Problem(ja, en))


def shown(value: str) -> str:
    """A name or line from the mail, safe and short for a message: hidden characters and
    terminal controls become visible notes, long values are cut."""
    one_line = visible_post(value.replace("\n", " "))
    return one_line if len(one_line) <= SHOWN_MAX else one_line[: SHOWN_MAX - 1] + "…"


# --------------------------------------------------------------------------- parts


@dataclass
class MailParts:
    """The leaves of a mail, sorted by what they claim to be."""

    records: list[bytes] = field(default_factory=list)
    signatures: list[bytes] = field(default_factory=list)
    posts: list[tuple[str, bytes, str | None]] = field(default_factory=list)  # name, data, charset
    files: list[tuple[str, bytes]] = field(default_factory=list)
    bodies: list[Message] = field(default_factory=list)  # inline text/plain
    other_views: list[str] = field(default_factory=list)  # inline HTML or other text


def split_parts(msg: Message) -> MailParts:
    """Every leaf part, nested messages included (a record hidden in a forwarded mail is
    still a second record)."""
    parts = MailParts()
    keys = {
        name_key(RECORD_FILENAME): parts.records,
        name_key(SIGNATURE_FILENAME): parts.signatures,
    }
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        ctype = part.get_content_type()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name is not None:
            key = name_key(name)
            if key in keys:
                keys[key].append(data)
            elif key == name_key(POST_FILENAME):
                parts.posts.append((name, data, part.get_content_charset()))
            else:
                parts.files.append((name, data))
        elif part.get_content_disposition() == "attachment" or not ctype.startswith("text/"):
            parts.files.append(("（名前のないファイル " + ctype + "）", data))
        elif ctype == "text/plain":
            parts.bodies.append(part)
        else:
            parts.other_views.append(ctype)
    return parts


# --------------------------------------------------------------------------- checks


def verify_confirmation(msg: EmailMessage, public: Ed25519PublicKey) -> Verdict:
    """Check an approved mail as a whole (see the module docstring)."""
    verdict = Verdict()
    parts = split_parts(msg)
    if not parts.signatures:
        verdict.fail("署名（approval-record.sig）が見つかりません。", "no signature found")
        verdict.code = MISSING
        return verdict
    if len(parts.signatures) > 1:
        verdict.fail(
            f"署名が {len(parts.signatures)} 個あります（1 個のはずです）。",
            f"{len(parts.signatures)} signatures (expected one)",
        )
    if len(parts.records) != 1:
        verdict.fail(
            f"承認記録（approval-record.json）が {len(parts.records)} 個あります（1 個のはずです）。",
            f"{len(parts.records)} approval records (expected one)",
        )
    if verdict.problems:
        return verdict
    record, ja, en = open_record(
        public, parts.records[0], parts.signatures[0].decode("ascii", "replace")
    )
    if record is None:
        verdict.fail(ja, en)
        return verdict
    verdict.record = record
    _check_headers(msg, record, verdict)
    text = _check_post_text(parts, record, verdict)
    _check_body(parts, record, text, verdict)
    _check_files(parts, record, verdict)
    return verdict


def _check_headers(msg: Message, record: dict[str, Any], verdict: Verdict) -> None:
    expected = {
        "X-Gateway-Draft": str(record.get("draft_id")),
        "X-Gateway-Version": str(record.get("version")),
        "X-Gateway-Status": "approved",
    }
    forwarded = any(p.get_content_type() == "message/rfc822" for p in msg.walk())
    if not msg.get_all("X-Gateway-Draft") and forwarded:
        verdict.note(
            "転送されたメールのようです。添付されている元の承認通知を保存して、そちらを確かめてください。",
            "this looks like a forward: save the attached original confirmation and verify that",
        )
    for header, want in expected.items():
        values = [str(v).strip() for v in msg.get_all(header) or []]
        if len(values) != 1:
            verdict.fail(
                f"ヘッダー {header} が {len(values)} 個あります（1 個のはずです）。",
                f"{len(values)} {header} headers (expected one)",
            )
        elif values[0] != want:
            verdict.fail(
                f"ヘッダー {header} が「{shown(values[0])}」ですが、承認記録は「{want}」です。",
                f"{header} is {values[0]!r}, the record says {want!r}",
            )


def _check_post_text(parts: MailParts, record: dict[str, Any], verdict: Verdict) -> str | None:
    """The signed text (decoded), when exactly one post.txt carries it."""
    if not parts.posts:
        verdict.fail("投稿文の添付（post.txt）がありません。", "no post text attachment (post.txt)")
        return None
    if len(parts.posts) > 1:
        names = "、".join(shown(name) for name, _, _ in parts.posts)
        verdict.fail(
            f"投稿文の添付が {len(parts.posts)} 個あります（{names}）。1 個のはずです。",
            f"{len(parts.posts)} post text attachments (expected one)",
        )
        return None
    name, data, charset = parts.posts[0]
    if hashlib.sha256(data).hexdigest() != record.get("text_sha256"):
        verdict.fail(
            f"添付の投稿文（{shown(name)}）が、承認された文面と違います。",
            "the attached post text is not the approved text (SHA-256 differs)",
        )
        return None
    verdict.post_text = data
    if record.get("format", 1) >= 2 and (charset or "").lower() != "utf-8":
        verdict.fail(
            f"投稿文の添付の文字コード表示が「{shown(charset or 'なし')}」です（utf-8 のはずです）。",
            f"post text charset is {charset!r}, expected utf-8",
        )
    return data.decode("utf-8", "replace")


def _check_body(
    parts: MailParts, record: dict[str, Any], text: str | None, verdict: Verdict
) -> None:
    if parts.other_views:
        verdict.fail(
            f"本文に別の表示形式（{'、'.join(sorted(set(parts.other_views)))}）が含まれています。"
            "メールソフトによっては、そちらが表示されます。",
            f"the mail has another view a client may show instead: {parts.other_views}",
        )
    if len(parts.bodies) != 1:
        verdict.fail(
            f"本文（テキスト）が {len(parts.bodies)} 個あります（1 個のはずです）。",
            f"{len(parts.bodies)} text bodies (expected one)",
        )
        return
    try:
        body = parts.bodies[0].get_content()
    except (LookupError, UnicodeError, AssertionError):
        verdict.fail("本文を読めません。", "cannot decode the body")
        return
    lines = shown_lines(body)
    if record.get("format", 1) >= BODY_FORMAT:
        _check_signed_body(lines, record.get("body"), verdict)
    if text is None:
        return
    new_format = record.get("format", 1) >= 2
    expected = shown_lines(visible_post(text) if new_format else text)
    starts = [i for i, line in enumerate(lines) if line == POST_START]
    ends = [i for i, line in enumerate(lines) if line == POST_END]
    if not starts or not ends:
        verdict.fail(
            "本文に投稿文の区切り線（ここから・ここまで）がありません。",
            "the body lacks the post markers",
        )
        return
    if new_format and (len(starts) != 1 or len(ends) != 1):
        verdict.fail(
            f"本文に投稿文の区切り線が複数あります（ここから {len(starts)} 本、ここまで {len(ends)} 本）。",
            f"{len(starts)} start and {len(ends)} end markers (expected one each)",
        )
        return
    first = starts[0] + 1
    shown_post = lines[first : ends[0]] if new_format else _old_segment(lines, first, expected)
    _compare_lines(shown_post, expected, verdict)
    outside = lines[: starts[0]] + lines[first + len(shown_post) + 1 :]
    _check_stated_facts(outside, record, text, verdict)


def _check_signed_body(lines: list[str], signed: object, verdict: Verdict) -> None:
    """The body against the one the record signs (format 3), naming the first line that
    differs: mail systems may drop trailing spaces and change line ends, nothing else."""
    if not isinstance(signed, str):
        verdict.fail("承認記録に本文がありません。", "the record lacks the body it signs")
        return
    want = _trimmed(shown_lines(signed))
    got = _trimmed(lines)
    if got == want:
        return
    number = _first_different_line(got, want)
    if number is not None:
        verdict.fail(
            f"本文 {number} 行目が、署名された本文と違います: 本文「{shown(got[number - 1])}」、"
            f"署名「{shown(want[number - 1])}」。",
            f"body line {number} differs from the signed body",
        )
    elif len(got) > len(want):
        added = next(line for line in got[len(want) :] if line)  # _trimmed: the last is not blank
        verdict.fail(
            f"本文の {len(want) + 1} 行目以降に、署名された本文にない行があります: 「{shown(added)}」。",
            f"the body has lines after line {len(want)} that the signed body lacks",
        )
    else:
        verdict.fail(
            f"本文は {len(got)} 行で、署名された本文（{len(want)} 行）より短くなっています。",
            f"the body has {len(got)} lines, the signed body {len(want)}",
        )


def _trimmed(lines: list[str]) -> list[str]:
    """Lines without the blank lines at either end (a mail system may add or drop them)."""
    first = next((i for i, line in enumerate(lines) if line), len(lines))
    last = next((i for i in range(len(lines) - 1, -1, -1) if lines[i]), -1)
    return lines[first : last + 1]


_ACCOUNT_LINE_RE = re.compile(r"^\s*アカウント\s*[:：]\s*(.*?)\s*$")
# 「D-000001 第1版」 as our templates write it (a 第2版 in a name of the office's is not it)
_DRAFT_VERSION_RE = re.compile(r"(?<![A-Za-z0-9-])(D-\d+)\s*第\s*(\d+)\s*版")
_SUMMARY_RE = re.compile(r"\d+ 行・[\d,]+ 文字")
_ADDRESS_RE = re.compile(r"[A-Za-z0-9._%+'=-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _check_stated_facts(
    outside: list[str], record: dict[str, Any], text: str, verdict: Verdict
) -> None:
    """The body around the post states facts the record signs (account, approvers, draft,
    version, the text's size): each one stated must be the record's. An office template may
    leave any of them out; none may say something else (a forger editing 「アカウント」 or an
    approver's address would otherwise pass)."""
    approvals = [a for a in record.get("approvals") or [] if isinstance(a, dict)]
    people = {str(record.get("author", "")).lower()}
    for a in approvals:
        people.update(str(a.get(k, "")).lower() for k in ("reviewer", "in_place_of") if a.get(k))
    account = str(record.get("account") or "")
    draft_id, version = str(record.get("draft_id")), str(record.get("version"))
    summary = post_summary(text)
    subject = str(record.get("subject") or "")
    for line in outside:
        if subject:
            line = line.replace(subject, "")  # the author's words, quoted: not a stated fact
        greeting = line.rstrip().endswith("様")  # 「佐藤 花子 様」: the author's own name
        m = _ACCOUNT_LINE_RE.match(line)
        if m and m.group(1) != account:
            verdict.fail(
                f"本文のアカウントが「{shown(m.group(1))}」ですが、承認記録は「{account}」です。",
                f"the body names account {m.group(1)!r}, the record says {account!r}",
            )
        for found_id, found_version in [] if greeting else _DRAFT_VERSION_RE.findall(line):
            if found_id != draft_id:
                verdict.fail(
                    f"本文の投稿案の番号が「{found_id}」ですが、承認記録は「{draft_id}」です。",
                    f"the body names draft {found_id}, the record says {draft_id}",
                )
            if found_version != version:
                verdict.fail(
                    f"本文の版が「第{found_version}版」ですが、承認記録は「第{version}版」です。",
                    f"the body names version {found_version}, the record says {version}",
                )
        for found in [] if greeting else _SUMMARY_RE.findall(line):
            if found != summary:
                verdict.fail(
                    f"本文の投稿文の大きさが「{found}」ですが、承認された文面は「{summary}」です。",
                    f"the body states the text as {found!r}, the approved text is {summary!r}",
                )
        for found in _ADDRESS_RE.findall(line):
            if found.lower() not in people:
                verdict.fail(
                    f"本文に、承認記録にないアドレス「{shown(found)}」があります"
                    "（作成者・承認者は記録のとおりのはずです）。",
                    f"the body names {found!r}, who is not in the approval record",
                )
    stated = {f.lower() for line in outside if line.lstrip().startswith("・")
              for f in _ADDRESS_RE.findall(line)}  # fmt: skip
    if stated:
        for a in approvals:
            reviewer = str(a.get("reviewer", ""))
            if reviewer.lower() not in stated:
                verdict.fail(
                    f"本文の承認者の一覧に「{shown(reviewer)}」がありません（承認記録にはあります）。",
                    f"the body's list of approvers lacks {reviewer!r}",
                )


def _old_segment(lines: list[str], first: int, expected: list[str]) -> list[str]:
    """Format 1 showed the raw text, which could itself hold a marker: the segment is the
    expected length when an end marker follows it, else up to the first end marker."""
    end = first + len(expected)
    if end < len(lines) and lines[end] == POST_END:
        return lines[first:end]
    return lines[first : lines.index(POST_END, first)] if POST_END in lines[first:] else []


def _first_different_line(got: list[str], want: list[str]) -> int | None:
    """The 1-based number of the first line where the two differ, None if one is the
    other's beginning."""
    return next(
        (n for n, (a, b) in enumerate(zip(got, want, strict=False), start=1) if a != b), None
    )


def _compare_lines(shown_post: list[str], expected: list[str], verdict: Verdict) -> None:
    if shown_post == expected:
        return
    number = _first_different_line(shown_post, expected)
    if number is not None:
        verdict.fail(
            f"本文の投稿文 {number} 行目が、承認された文面と違います: "
            f"本文「{shown(shown_post[number - 1])}」、承認「{shown(expected[number - 1])}」。",
            f"body post line {number} differs from the approved text",
        )
        return
    verdict.fail(
        f"本文の投稿文は {len(shown_post)} 行ですが、承認された文面は {len(expected)} 行です。",
        f"body shows {len(shown_post)} post lines, the approved text has {len(expected)}",
    )


def _check_files(parts: MailParts, record: dict[str, Any], verdict: Verdict) -> None:
    listed = record.get("attachments")
    if listed is None:  # format 1
        names = "、".join(shown(name) for name, _ in parts.files)
        verdict.note(
            "この承認記録は古い形式で、投稿文だけを証明します。写真・添付ファイルは証明しません"
            + (f"（このメールの添付: {names}）。" if names else "。"),
            "old record format: it covers the text only, not photos or other files",
        )
        return
    if not isinstance(listed, list) or not all(
        isinstance(e, dict) and isinstance(e.get("filename"), str) for e in listed
    ):
        verdict.fail("承認記録の添付ファイル一覧が壊れています。", "malformed attachment list")
        return
    carried = Counter((name, hashlib.sha256(data).hexdigest()) for name, data in parts.files)
    wanted = Counter((e["filename"], str(e.get("sha256"))) for e in listed)
    extra = list((carried - wanted).elements())
    for name, _digest in sorted((wanted - carried).elements()):
        altered = next((i for i, (other, _) in enumerate(extra) if other == name), None)
        if altered is not None:
            del extra[altered]
            verdict.fail(
                f"添付ファイル「{shown(name)}」の内容が、承認されたものと違います。",
                f"attachment {name!r} differs from the approved file (SHA-256)",
            )
        else:
            verdict.fail(
                f"承認された添付ファイル「{shown(name)}」がありません。",
                f"approved attachment {name!r} is missing",
            )
    for name, _digest in sorted(extra):
        verdict.fail(
            f"承認記録にない添付ファイル「{shown(name)}」があります。",
            f"attachment {name!r} is not in the approval record",
        )


# --------------------------------------------------------------------------- --text


def decode_given_text(data: bytes) -> tuple[str | None, str]:
    """The text a poster gives (a file or stdin), and a note on how it was read.

    Windows editors write a BOM and CRLF; old ones write Shift_JIS. Those are ways of
    storing the same text, not differences in it.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            return None, ""
    try:
        return data.decode("utf-8"), ""
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "Shift_JIS"
    except UnicodeDecodeError:
        return None, ""


def _lines_for_compare(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]  # one final line end is how editors save, not part of the post
    return text.split("\n")


def _char_name(line: str, column: int) -> str:
    """「а」U+0430 CYRILLIC SMALL LETTER A: look-alikes differ only in their names."""
    if column > len(line):
        return "（行の終わり）"
    ch = line[column - 1]
    name = unicodedata.name(ch, "")
    return f"「{shown(ch)}」U+{ord(ch):04X} {name}".rstrip()


def compare_text(approved: bytes, given: bytes) -> tuple[bool, str, str]:
    """Is `given` exactly the approved text? (same, Japanese message, English message).

    Only the way lines end (CRLF, LF), one final line end and a BOM are not differences;
    a space, an invisible character or a different but similar-looking character is.
    """
    text, how = decode_given_text(given)
    if text is None:
        return (
            False,
            "指定の文面を文字として読めません（UTF-8 で保存してください）。",
            ("the given text is not UTF-8, UTF-16 or Shift_JIS"),
        )
    want = _lines_for_compare(approved.decode("utf-8", "replace"))
    got = _lines_for_compare(text)
    read_as = f"（{how} として読みました）" if how else ""
    if want == got:
        return (
            True,
            f"指定の文面は、承認された文面と同じです{read_as}。",
            "the text is the approved text",
        )
    for number, (g, w) in enumerate(zip(got, want, strict=False), start=1):
        if g != w:
            column = next(
                (i for i, (a, b) in enumerate(zip(g, w, strict=False), start=1) if a != b),
                min(len(g), len(w)) + 1,
            )
            return (
                False,
                (
                    f"指定の文面は、承認された文面と {number} 行目 {column} 文字目から違います{read_as}。\n"
                    f"　指定: 「{shown(g)}」\n　承認: 「{shown(w)}」\n"
                    f"　{column} 文字目: 指定 {_char_name(g, column)}、承認 {_char_name(w, column)}"
                ),
                f"the text differs from the approved text at line {number}, column {column}",
            )
    if len(got) > len(want):
        return (
            False,
            (
                f"指定の文面は、承認された文面（{len(want)} 行）より長く、{len(want) + 1} 行目から先が"
                f"余分です{read_as}: 「{shown(got[len(want)])}」"
            ),
            f"the text has extra lines from line {len(want) + 1}",
        )
    return (
        False,
        (
            f"指定の文面は、承認された文面（{len(want)} 行）より短く、{len(got) + 1} 行目から先が"
            f"ありません{read_as}: 「{shown(want[len(got)])}」"
        ),
        f"the text lacks lines from line {len(got) + 1}",
    )


def format_verdict(verdict: Verdict) -> str:
    """What `gateway verify` prints: Japanese first, English below each point."""
    lines: list[str] = []
    record = verdict.record or {}
    if verdict.code == VALID:
        files = record.get("attachments")
        covered = f"、添付 {len(files)} 点" if isinstance(files, list) else ""
        lines.append(
            f"有効な承認記録です: {record.get('draft_id')} 第{record.get('version')}版"
            f"（{record.get('account')}、承認 {len(record.get('approvals') or [])} 名{covered}）"
        )
        lines.append(f"valid approval record: {record.get('draft_id')} v{record.get('version')}")
        # What the signature vouches for, from the record itself, not from the body.
        lines.append(f"　件名: {shown(str(record.get('subject', '')))}")
        lines.append(f"　作成: {shown(str(record.get('author', '')))}")
        for a in record.get("approvals") or []:
            if isinstance(a, dict):
                when = str(a.get("at", ""))[:16].replace("T", " ")
                deputy = (
                    f"（{shown(str(a['in_place_of']))} さんの代理）" if a.get("in_place_of") else ""
                )
                lines.append(f"　承認: {shown(str(a.get('reviewer', '')))}（{when}）{deputy}")
        for f in files if isinstance(files, list) else []:
            if isinstance(f, dict):
                lines.append(
                    f"　添付: {shown(str(f.get('filename', '')))}（SHA-256 {str(f.get('sha256'))[:12]}…）"
                )
    elif verdict.code == MISSING:
        lines.append("署名付きの承認記録が見つかりません。")
        lines.append("no signed approval record found")
    else:
        lines.append("この承認通知は有効ではありません。次の点が一致しません:")
        lines.append("this confirmation is NOT valid:")
        for p in verdict.problems:
            lines.append(f"・{p.ja}")
            lines.append(f"  ({p.en})")
    for n in verdict.notes:
        lines.append(f"※{n.ja}")
        lines.append(f"  ({n.en})")
    return "\n".join(lines)
