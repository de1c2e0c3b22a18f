"""The reply corpus: every raw message read end to end, as the daemon reads it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gateway.mime import read_message
from gateway.model import Decision, Kind
from gateway.replies import read_reply

CORPUS = Path(__file__).parent.parent / "data" / "replies"
LABELS: dict[str, dict] = tomllib.loads((CORPUS / "labels.toml").read_text(encoding="utf-8"))
SENT = [(CORPUS / "sent" / "review_request.txt").read_text(encoding="utf-8")]
GATEWAY = ["sns-check@town.example.jp"]


def _read(name: str, sent: list[str]):
    incoming = read_message((CORPUS / f"{name}.eml").read_bytes(), GATEWAY)
    label = LABELS[name]
    reading = None
    if "decision" in label:
        reading = read_reply(
            incoming.text, sent, label.get("extra_approve", ()), alternatives=incoming.alt_texts
        )
    return incoming, reading


def test_corpus_is_large_and_labelled() -> None:
    files = {p.stem for p in CORPUS.glob("*.eml")}
    assert len(files) >= 90
    assert files == set(LABELS), "every .eml has a label and every label a file"
    for raw in (CORPUS / f"{n}.eml" for n in files):
        data = raw.read_bytes()
        assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b""), raw.name


@pytest.mark.parametrize("name", sorted(LABELS))
def test_kind(name: str) -> None:
    incoming, _ = _read(name, SENT)
    assert incoming.kind == Kind(LABELS[name]["kind"]), incoming.problems


def _accuracy(sent: list[str]) -> tuple[int, int, list[str], list[str]]:
    exact = total = 0
    false_approvals: list[str] = []
    wrong: list[str] = []
    for name, label in LABELS.items():
        incoming, reading = _read(name, sent)
        if reading is None:
            assert incoming.kind != Kind.REPLY or "decision" in label
            continue
        total += 1
        want = Decision(label["decision"])
        if reading.decision == Decision.APPROVE and want != Decision.APPROVE:
            false_approvals.append(name)
        if reading.decision == want:
            exact += 1
        else:
            wrong.append(f"{name}: {reading.decision} (want {want}) own={reading.own_text!r}")
    return exact, total, false_approvals, wrong


@pytest.mark.parametrize("with_sent", [True, False], ids=["with-sent-texts", "without"])
def test_decisions(with_sent: bool) -> None:
    exact, total, false_approvals, wrong = _accuracy(SENT if with_sent else [])
    assert not false_approvals, f"false approvals: {false_approvals}"
    assert exact / total >= 0.95, "\n".join(wrong)


@pytest.mark.parametrize(
    "name",
    sorted(
        n for n, lab in LABELS.items() if "comment_contains" in lab or "comment_excludes" in lab
    ),
)
def test_comments(name: str) -> None:
    _, reading = _read(name, SENT)
    assert reading is not None
    for part in LABELS[name].get("comment_contains", []):
        assert part in reading.comment
    for part in LABELS[name].get("comment_excludes", []):
        assert part not in reading.comment


@pytest.mark.parametrize("name", sorted(n for n, lab in LABELS.items() if lab["kind"] == "reply"))
def test_instruction_text_never_in_own_words(name: str) -> None:
    _, reading = _read(name, [])
    if reading is not None:
        assert "承認する場合は" not in reading.own_text
        assert "SNS確認ゲートウェイ" not in reading.own_text
