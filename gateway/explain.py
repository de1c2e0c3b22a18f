"""`gateway explain`: how the gateway reads one message, as data and as Japanese text.

Pure functions over an already-read `Incoming`, so the CLI only does the I/O and an
admin asking "why did this reply not count?" sees exactly what the daemon would.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.authresults import AuthVerdict
from gateway.drafts import split_draft
from gateway.model import Incoming, Kind
from gateway.replies import read_reply


def explain(
    incoming: Incoming,
    as_reply: bool,
    sent_texts: Sequence[str] = (),
    extra_approve: Sequence[str] = (),
    extra_send_back: Sequence[str] = (),
) -> dict[str, object]:
    """The contract's `explain --format json` object for one message.

    `as_reply` reads a would-be draft as a reviewer's reply (no token needed); mail that
    is an auto-reply, a bounce or the gateway's own stays what it is, since the daemon
    never reads those as decisions.
    """
    kind = incoming.kind
    if as_reply and kind == Kind.DRAFT:
        kind = Kind.REPLY
    result: dict[str, object] = {
        "kind": str(kind),
        "decision": None,
        "comment": None,
        "account": None,
        "text": incoming.text,
        "charset": incoming.charset,
        "attachments": [a.filename for a in incoming.attachments],
    }
    if kind == Kind.REPLY:
        reading = read_reply(
            incoming.text, sent_texts, extra_approve, extra_send_back, incoming.alt_texts
        )
        result["decision"] = str(reading.decision)
        result["comment"] = reading.comment
    elif kind == Kind.DRAFT:
        parts = split_draft(incoming.text)
        result["account"] = parts.account
        result["text"] = parts.post_text
    return result


_KIND_JA = {
    "draft": "下書き（投稿案）",
    "reply": "確認者の返信",
    "auto_reply": "自動応答（返信しません）",
    "bounce": "配信不能通知（返信しません）",
    "other": "その他（処理しません）",
}
_DECISION_JA = {"approve": "承認", "send_back": "差戻し", "unclear": "判定できません"}


def format_explain_text(d: dict[str, object]) -> str:
    """The text form of `explain`, with Japanese labels."""
    kind = str(d.get("kind") or "")
    lines = [f"種類: {_KIND_JA.get(kind, kind)} ({kind})"]
    if d.get("decision") is not None:
        decision = str(d["decision"])
        lines.append(f"判定: {_DECISION_JA.get(decision, decision)} ({decision})")
    if d.get("comment") is not None:
        comment = str(d["comment"]) or "（なし）"
        lines.append("コメント:")
        lines.extend(f"  {line}" for line in comment.split("\n"))
    if kind == "draft":
        lines.append(f"アカウント: {d.get('account') or '（指定なし）'}")
    lines.append(f"文字コード: {d.get('charset') or '（不明）'}")
    attachments = d.get("attachments") or []
    names = "、".join(str(a) for a in attachments) if attachments else "（なし）"  # type: ignore[union-attr]
    lines.append(f"添付ファイル: {names}")
    lines.append("本文:")
    text = str(d.get("text") or "")
    body = text.split("\n") if text else ["（なし）"]
    lines.extend(f"  {line}" for line in body)
    return "\n".join(lines) + "\n"


def sender_lines(
    incoming: Incoming, authentication: AuthVerdict | None, person: str | None
) -> list[str]:
    """For the text form (an addition to the contract; the JSON shape is unchanged): who the
    gateway takes the sender to be (gateway.identity) and, with `[review] authserv_ids`,
    whether the office's server vouched for the From domain: what an admin checks before
    turning `require_authenticated` on."""
    refused = next((p for p in incoming.problems if p.startswith("From refused")), None)
    if refused:
        lines = [f"差出人: 読めません（{refused}）"]
    elif incoming.from_addr:
        same = not person or person == incoming.from_addr
        lines = [f"差出人: {incoming.from_addr}" + ("" if same else f"（{person} と同じ人）")]
    else:
        lines = ["差出人: （なし）"]
    if authentication is not None:
        verdict = "確認できました" if authentication.passed else "確認できません"
        lines.append(f"送信元サーバーの確認: {verdict}（{authentication.reason}）")
    return lines
