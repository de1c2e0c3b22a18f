"""A reviewer's reply -> their own words -> what those words decide.

This is the most safety-critical reading in the gateway: a reply quotes the review
request, whose instructions contain 承認, and signatures may say 承認・決裁担当. So
the reviewer's own words are isolated first (quote headers, quoted lines, the
gateway's own text by fingerprint, signatures), and only then is the decision grammar
applied (gateway.reply_decision). Anything that is not a clear approval is never APPROVE.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.linerun import Separator, longest_runs
from gateway.model import Decision, ReplyReading
from gateway.reply_decision import (  # noqa: F401 - the grammar's API, re-exported
    _SEND_BACK_SURFACE_RE,
    GrammarReading,
    decide,
    has_blocker,
    has_condition,
    join_wrapped,
    normalize_reply_text,
    read_grammar,
)

# ---------------------------------------------------------------------------
# Own words
# ---------------------------------------------------------------------------

_HDR_KEY = r"[*＊]?\s*(?:{keys})\s*[*＊]?\s*[:：]"
_FROM_KEYS = "差出人|送信者|送信元|From|FROM|De|Von"
_OTHER_KEYS = (
    "送信日時|送信日|日時|日付|宛先|宛て先|件名|CC|Cc|cc|BCC|Bcc|Sent|Date|To|Subject|"
    "Envoyé|Gesendet"
)
_FROM_RE = re.compile(r"^\s*" + _HDR_KEY.format(keys=_FROM_KEYS))
_OTHER_RE = re.compile(r"^\s*" + _HDR_KEY.format(keys=_OTHER_KEYS))
_ORIGINAL_RE = re.compile(
    r"^\s*[-=_─―ー－]{2,}\s*(?:"
    r"original\s+message|元のメッセージ|オリジナル\s*メッセージ|元メッセージ|"
    r"forwarded\s+message|転送(?:された)?メッセージ|転送メッセージ|"
    r"Original|引用"
    r")\s*[-=_─―ー－]{2,}\s*$",
    re.IGNORECASE,
)
_WROTE_RE = re.compile(
    r"(?:wrote|writes|a\s+écrit|schrieb|書きました|書き込みました|記述|のメール|からのメール)"
    r"\s*[:：]\s*$",
    re.IGNORECASE,
)
_DATE_START_RE = re.compile(
    r"^\s*(?:on\s+|at\s+|日時\s*[:：]?\s*)?(?:\d{4}\s*[年/\-.]\s*\d{1,2}\s*[月/\-.]\s*\d{1,2}|"
    r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s)",
    re.IGNORECASE,
)
_ON_START_RE = re.compile(r"^\s*(?:on|le|am)\s+\S", re.IGNORECASE)
# Any white space before the mark (NBSP and U+3000 too); `|` is some webmails' quote bar.
_QUOTE_RE = re.compile(r"^[^\S\n]*[>＞|｜]")
_QUOTE_PREFIX_RE = re.compile(r"^(?:[^\S\n]*[>＞|｜])+")
_RULE_CHARS = "-‐－―─━＿_＊*＝=~〜～・…☆★◆◇■□●○◎#＃+＋※／/\\＼━┈┄═"
_RULE_RE = re.compile(r"^[\s\u3000]*([" + re.escape(_RULE_CHARS) + r"][\s\u3000]*){4,}$")
_MOBILE_SIG_RE = re.compile(
    r"^\s*(?:(?:iPhone|iPad|Android|Galaxy|Xperia|AQUOS|arrows|スマートフォン|携帯|"
    r"Windows\s*版?\s*の?\s*メール|Outlook|BlackBerry)\S*\s*(?:から|より)\s*送信.*|"
    r"Sent\s+from\s+(?:my\s+)?\S+.*|Get\s+Outlook\s+for\s+\S+.*|"
    r"Outlook\s+for\s+(?:iOS|Android)\s*を入手.*|"
    r"(?:iOS|Android)\s*版?\s*Outlook\s*を入手.*)$",
    re.IGNORECASE,
)
_SIG_INFO_RE = re.compile(
    r"(?:(?:TEL|Tel|tel|ＴＥＬ|電話|FAX|Fax|fax|ＦＡＸ|内線|携帯|直通)\s*(?:番号)?\s*[:：.]?\s*[\d０-９(（]|"
    r"(?:E-?mail|e-?mail|Mail|mail|メール)\s*[:：]|〒|[\w.+-]+[@＠][\w-]+\.[\w.-]+|https?://|www\.|"
    r"\d{2,4}-\d{2,4}-\d{3,4})"
)
_SIG_TITLE_RE = re.compile(
    r"(?:課|係|室|担当|課長|係長|課長補佐|主任|主査|主事|参事|部長|役場|役所|センター|事務局|"
    r"グループ|支所|公民館|図書館)(?:[\s\u3000]*\S{1,8})?$"
)
_SENTENCE_END_RE = re.compile(r"[。．！？!?]")


def _compact(line: str) -> str:
    """A line for fingerprinting: no quote marks, no whitespace, NFKC."""
    line = _QUOTE_PREFIX_RE.sub("", line)
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", line))


def _split_lines(text: str) -> list[str]:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").splitlines()


def _is_quoted(line: str) -> bool:
    return bool(_QUOTE_RE.match(line))


def _is_blank(line: str) -> bool:
    return not line.strip()


def _outlook_block_at(lines: list[str], i: int) -> bool:
    """True when a From/差出人 line at i starts a header block (Sent/宛先/件名 follow)."""
    if not _FROM_RE.match(lines[i]):
        return False
    seen = 0
    for line in lines[i + 1 : i + 7]:
        if _OTHER_RE.match(line):
            seen += 1
        elif line.strip() and seen == 0 and len(lines[i]) > 60:
            continue  # a long From line wrapped by the client
    return seen >= 1


def _cut_at_strong_header(lines: list[str]) -> list[str]:
    """Outlook / Becky! headers: everything from them on is the original message."""
    for i, line in enumerate(lines):
        unq = _QUOTE_PREFIX_RE.sub("", line) if _is_quoted(line) else line
        if _is_quoted(line):
            continue  # quoted headers go with the quoted lines
        if _ORIGINAL_RE.match(unq) or _outlook_block_at(lines, i):
            end = i
            # a rule line (Outlook's ______) or blank lines right above belong to the header
            while end > 0 and (_is_blank(lines[end - 1]) or _RULE_RE.match(lines[end - 1])):
                end -= 1
            return lines[:end]
    return lines


def _drop_reply_headers(lines: list[str]) -> list[str]:
    """Remove `… wrote:` style attribution lines (also wrapped over two lines)."""
    drop: set[int] = set()
    for i, line in enumerate(lines):
        if _is_quoted(line) or _is_blank(line):
            continue
        if _WROTE_RE.search(line):
            drop.add(i)
            # the first half of a wrapped attribution: `On Mon, …` / `2026年11月23日(月) …`
            j = i - 1
            while j >= 0 and _is_blank(lines[j]):
                j -= 1
            if (
                j >= 0
                and i - j <= 1
                and (_ON_START_RE.match(lines[j]) or _DATE_START_RE.match(lines[j]))
            ) and not _SENTENCE_END_RE.search(lines[j]):
                drop.add(j)
            continue
        if _DATE_START_RE.match(line) and ("@" in line or "<" in line or "＜" in line):
            stripped = line.rstrip()
            if stripped.endswith((":", "：")):
                drop.add(i)
            elif (i + 1 < len(lines) and lines[i + 1].rstrip().endswith((">:", ">：", "> :"))) or (
                i + 1 < len(lines)
                and lines[i + 1].rstrip().endswith((":", "："))
                and len(lines[i + 1].strip()) < 60
                and "@" in lines[i + 1] + line
            ):
                drop.update((i, i + 1))
    return [line for i, line in enumerate(lines) if i not in drop]


@dataclass(frozen=True)
class _SentIndex:
    lines: tuple[object, ...]  # compacted non-empty lines of all sent texts, in order
    whole: str  # all sent texts compacted, for substring checks of wrapped lines


def _sent_index(sent_texts: Sequence[str]) -> _SentIndex:
    lines: list[object] = []
    wholes: list[str] = []
    for text in sent_texts:
        compacted = [_compact(line) for line in _split_lines(text)]
        compacted = [c for c in compacted if c]
        lines.extend(compacted)
        lines.append(Separator())  # texts do not run into each other
        wholes.append("".join(compacted))
    return _SentIndex(tuple(lines), "\x00".join(wholes))


# A line of our text re-wrapped by the client is found by a substring search of all we
# sent, which costs up to len(whole) per line: over this many characters in all, the
# reply is not read further and counts as `unclear` (ask again). A real reply to a long
# blog post stays far below it; a pasted-back flood of a huge post does not stall us.
REWRAP_SEARCH_LIMIT = 100_000_000


def _drop_fingerprint(lines: list[str], sent_texts: Sequence[str]) -> tuple[list[str], bool]:
    """Drop the gateway's own text: lines (or runs of lines) it sent in this thread.
    Also says whether the search was complete (False: over REWRAP_SEARCH_LIMIT)."""
    if not sent_texts:
        return lines, True
    idx = _sent_index(sent_texts)
    searched = 0
    nonblank = [i for i, line in enumerate(lines) if _compact(line)]
    compact = {i: _compact(lines[i]) for i in nonblank}
    drop: set[int] = set()
    runs = longest_runs([compact[i] for i in nonblank], idx.lines)  # linear (linerun)
    k = 0
    while k < len(nonblank):
        c = compact[nonblank[k]]
        best = runs[k]
        if best:
            run_lines = [compact[nonblank[k + r]] for r in range(best)]
            if (best >= 2 and sum(map(len, run_lines)) >= 4) or len(c) >= 4:
                drop.update(nonblank[k + r] for r in range(best))
                k += best
                continue
            # A run too short to drop (under 4 characters: the reviewer's own 「0」 or
            # 「OK」 may equal a line we sent) must not swallow the lines after it: one of
            # them may begin a longer run of our text (承認⏎承認⏎…), which would then be
            # left as the reviewer's words.
        if len(c) >= 12:
            searched += len(idx.whole)
            if searched > REWRAP_SEARCH_LIMIT:
                return lines, False
            if c in idx.whole:
                drop.add(nonblank[k])  # a sent line re-wrapped by the client
        k += 1
    # short leftovers sandwiched between dropped lines belong to the same block
    for pos in range(1, len(nonblank) - 1):
        i = nonblank[pos]
        sandwiched = nonblank[pos - 1] in drop and nonblank[pos + 1] in drop
        if i not in drop and len(compact[i]) < 4 and sandwiched:
            drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop], True


def _is_sig_line(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 48 or _SENTENCE_END_RE.search(s) or _SEND_BACK_SURFACE_RE.search(s):
        return False  # a send-back must never vanish as a "signature"
    if has_blocker(s) or has_condition(s):
        return False  # nor a hedge, a refusal or a condition (承認⏎課長に相談します, 課長確認後)
    return bool(_SIG_INFO_RE.search(s) or _SIG_TITLE_RE.search(s))


def _decides_something(text: str) -> bool:
    """A send-back word, a blocker or a condition: words that can never be a signature."""
    return bool(_SEND_BACK_SURFACE_RE.search(text)) or has_blocker(text) or has_condition(text)


def _cut_signature(lines: list[str]) -> list[str]:
    """Cut at `-- `, Japanese rule lines, `iPhoneから送信`; then a closing signature block."""
    for i, line in enumerate(lines):
        s = line.strip()
        if s in ("--", "-- ", "—", "――") or _RULE_RE.match(line) or _MOBILE_SIG_RE.match(s):
            # A P.S. below the delimiter (追伸: やっぱり写真は差し替えてください) is the
            # reviewer's words: when what follows decides anything, nothing is cut here.
            # (Read once, from the first delimiter on: linear however many there are.)
            if not _decides_something("\n".join(lines[i + 1 :])):
                lines = lines[:i]
            break
    # a closing block of name / department / phone lines at the very end
    end = len(lines)
    while end > 0 and _is_blank(lines[end - 1]):
        end -= 1
    j = end
    while j > 0 and _is_sig_line(lines[j - 1]):
        j -= 1
    if j < end:
        # a bare name line right above the block (山田 太郎) belongs to it too
        if (
            j > 0
            and len(lines[j - 1].strip()) <= 10
            and re.fullmatch(r"[\u3040-\u30ff\u4e00-\u9fff\s\u3000]+", lines[j - 1].strip() or "x")
            and not re.search(r"承認|差|戻|却下", lines[j - 1])
        ):
            j -= 1
        lines = lines[:j]
    return lines


def own_words(text: str, sent_texts: Sequence[str] = ()) -> str:
    """The reviewer's own words: no quote headers, quoted lines, gateway text or signature."""
    return _own_words(text, sent_texts)[0]


def _own_words(text: str, sent_texts: Sequence[str]) -> tuple[str, bool]:
    """`own_words`, and whether our text could be looked for in all of it (else the
    words may still hold some of our text: never a decision)."""
    lines = _split_lines(text)
    lines = _cut_at_strong_header(lines)
    lines = _drop_reply_headers(lines)
    lines = [line for line in lines if not _is_quoted(line)]
    lines, complete = _drop_fingerprint(lines, sent_texts)
    lines = _cut_signature(lines)
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip(), complete


def new_text_of_reply(text: str) -> str:
    """What an author wrote above (or below) the quote when replying with a revised draft.

    Unlike `own_words`, no fingerprint removal (the revision repeats most lines of the
    version it replaces) and no blank-line folding: the post text stays as written.
    The signature is left for `drafts.split_draft` to remove.
    """
    lines = _split_lines(text)
    lines = _cut_at_strong_header(lines)
    lines = _drop_reply_headers(lines)
    kept = [line.rstrip() for line in lines if not _is_quoted(line)]
    return "\n".join(kept).strip("\n")


_DECISION_PREFIX_RE = re.compile(
    r"^[\s「『【\[(（]*(?:承認|差し?戻し?|差戻|さしもどし|却下)"
    r"(?:します|いたします|致します|です|とします|と致します|しました|させていただきます|"
    r"ます|でお願いします)?[」』】\])）]*(?:[。．.!！、,：:\s]+|$)",
)


def _comment(own: str) -> str:
    """The own words without a leading bare decision word: for a send-back, the reason.

    Only a decision word that stands alone (its own line, or a sentence ending in
    punctuation) is dropped; 承認できません stays whole, since that is the reason.
    """
    text = own.strip()
    m = _DECISION_PREFIX_RE.match(text)
    if m:
        text = text[m.end() :].strip()
    return text


def read_reply(
    text: str,
    sent_texts: Sequence[str] = (),
    extra_approve: Sequence[str] = (),
    extra_send_back: Sequence[str] = (),
    alternatives: Sequence[str] = (),
) -> ReplyReading:
    """Read a reviewer's reply body: their own words and the decision they make.

    `alternatives` are other readings of the same body (the text/html part beside the
    text/plain one, the HTML without what may be hidden): when any of them decides
    differently, the reply is `unclear` and the reviewer is asked again.
    """
    own, complete = _own_words(text, sent_texts)
    decision = decide(own, extra_approve, extra_send_back) if complete else Decision.UNCLEAR
    for other in alternatives:
        other_own, other_complete = _own_words(other, sent_texts)
        if not other_complete or decide(other_own, extra_approve, extra_send_back) != decision:
            decision = Decision.UNCLEAR
            break
    return ReplyReading(decision=decision, comment=_comment(own), own_text=own)
