"""A reviewer's reply -> their own words -> what those words decide.

This is the most safety-critical reading in the gateway: a reply quotes the review
request, whose instructions contain 承認, and signatures may say 承認・決裁担当. So
the reviewer's own words are isolated first (quote headers, quoted lines, the
gateway's own text by fingerprint, signatures), and only then is the decision grammar
applied. Anything that is not a clear approval is never APPROVE.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.checker.tokenizer import Token, tokenize
from gateway.model import Decision, ReplyReading

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
    lines: tuple[str, ...]  # compacted non-empty lines of all sent texts, in order
    positions: dict[str, tuple[int, ...]]
    whole: str  # all sent texts compacted, for substring checks of wrapped lines


def _sent_index(sent_texts: Sequence[str]) -> _SentIndex:
    lines: list[str] = []
    wholes: list[str] = []
    for text in sent_texts:
        compacted = [_compact(line) for line in _split_lines(text)]
        compacted = [c for c in compacted if c]
        lines.extend(compacted)
        lines.append("\x00")  # texts do not run into each other
        wholes.append("".join(compacted))
    positions: dict[str, list[int]] = {}
    for idx, c in enumerate(lines):
        positions.setdefault(c, []).append(idx)
    return _SentIndex(
        tuple(lines), {k: tuple(v) for k, v in positions.items()}, "\x00".join(wholes)
    )


def _drop_fingerprint(lines: list[str], sent_texts: Sequence[str]) -> list[str]:
    """Drop the gateway's own text: lines (or runs of lines) it sent in this thread."""
    if not sent_texts:
        return lines
    idx = _sent_index(sent_texts)
    nonblank = [i for i, line in enumerate(lines) if _compact(line)]
    compact = {i: _compact(lines[i]) for i in nonblank}
    drop: set[int] = set()
    k = 0
    while k < len(nonblank):
        c = compact[nonblank[k]]
        best = 0
        for start in idx.positions.get(c, ()):
            run = 0
            while (
                k + run < len(nonblank)
                and start + run < len(idx.lines)
                and compact[nonblank[k + run]] == idx.lines[start + run]
            ):
                run += 1
            best = max(best, run)
        if best:
            run_lines = [compact[nonblank[k + r]] for r in range(best)]
            if (best >= 2 and sum(map(len, run_lines)) >= 4) or len(c) >= 4:
                drop.update(nonblank[k + r] for r in range(best))
            k += best
            continue
        if len(c) >= 12 and c in idx.whole:
            drop.add(nonblank[k])  # a sent line re-wrapped by the client
        k += 1
    # short leftovers sandwiched between dropped lines belong to the same block
    for pos in range(1, len(nonblank) - 1):
        i = nonblank[pos]
        sandwiched = nonblank[pos - 1] in drop and nonblank[pos + 1] in drop
        if i not in drop and len(compact[i]) < 4 and sandwiched:
            drop.add(i)
    return [line for i, line in enumerate(lines) if i not in drop]


def _is_sig_line(line: str) -> bool:
    s = line.strip()
    if not s or len(s) > 48 or _SENTENCE_END_RE.search(s) or _SEND_BACK_SURFACE_RE.search(s):
        return False  # a send-back must never vanish as a "signature"
    return bool(_SIG_INFO_RE.search(s) or _SIG_TITLE_RE.search(s))


def _cut_signature(lines: list[str]) -> list[str]:
    """Cut at `-- `, Japanese rule lines, `iPhoneから送信`; then a closing signature block."""
    for i, line in enumerate(lines):
        s = line.strip()
        if s in ("--", "-- ", "—", "――") or _RULE_RE.match(line) or _MOBILE_SIG_RE.match(s):
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
    lines = _split_lines(text)
    lines = _cut_at_strong_header(lines)
    lines = _drop_reply_headers(lines)
    lines = [line for line in lines if not _is_quoted(line)]
    lines = _drop_fingerprint(lines, sent_texts)
    lines = _cut_signature(lines)
    out: list[str] = []
    for line in lines:
        line = line.rstrip()
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip()


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


# ---------------------------------------------------------------------------
# Decision grammar
# ---------------------------------------------------------------------------

_CLAUSE_SPLIT_RE = re.compile(r"(?<=[。.!?])|\n")
_NEGATION = {"ず", "ぬ", "ない", "無い", "不可", "兼ねる", "かねる", "難しい", "見送る", "不可能"}
_HOLD = {"保留", "待つ", "後", "まだ", "未だ", "検討", "確認中", "相談"}
_REQUEST = {"願う", "下さる", "呉れる", "たい", "欲しい", "頼む"}
_PASSIVE = {"れる", "られる"}
_DOUBLE_NEG_HEAD = {
    "知れる",
    "問題",
    "差し支え",
    "差し支える",
    "支障",
    "構う",
    "異論",
    "異存",
    "異議",
    "文句",
}
_CONDITIONAL_SURFACES = {
    "ば",
    "たら",
    "だら",
    "なら",
    "ならば",
    "条件",
    "次第",
    "前提",
    "後",
    "場合",
}
_SEND_BACK_NORMALIZED = {"差し戻し", "差し戻す", "却下"}
_SEND_BACK_SURFACE_RE = re.compile(r"差\s*し?\s*戻|さしもど|却下|不承認|非承認")
_QUESTION_END_RE = re.compile(r"(?:[?？]|か|かな|かしら|でしょう|ですかね)[\s。.!！]*$")


# What may follow 承認 in a plain approval (Sudachi normalized forms or surfaces):
# 承認します / 承認いたします / 承認とさせていただきます / 承認で問題ありません / 承認です …
_APPROVAL_TAIL = {
    "為る", "致す", "いたす", "せる", "させる", "頂く", "戴く", "申し上げる", "ます", "た", "です",
    "だ", "で", "と", "て", "とする", "御", "願う", "問題", "有る", "ず", "無い", "ない",
    "差し支え", "差し支える", "支障", "構う", "が", "ので", "から", "けど", "けれど", "けれども",
    "よ", "ね", "よね", "わ", "にて", "にします", "に", "致し", "ございます", "御座る",
}  # fmt: skip


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE_SPLIT_RE.split(text) if c and c.strip()]


def _negated(after: list[Token]) -> bool:
    """A negation after the anchor that is not part of 問題ない / 差し支えない."""
    for k, tok in enumerate(after):
        if tok.normalized in _NEGATION or tok.dictionary_form in _NEGATION:
            prev = [t for t in after[:k] if t.pos[0] not in ("助詞", "助動詞", "空白")]
            if prev and (prev[-1].normalized in _DOUBLE_NEG_HEAD):
                continue
            if prev and prev[-1].normalized == "有る":
                head = [t for t in after[: k - 1] if t.pos[0] not in ("助詞", "助動詞", "空白")]
                if len(prev) >= 2 and prev[-2].normalized in _DOUBLE_NEG_HEAD:
                    continue
                if head and head[-1].normalized in _DOUBLE_NEG_HEAD:
                    continue
            return True
    return False


def _window(tokens: list[Token], start: int) -> list[Token]:
    """Tokens after an anchor up to the next comma (the anchor's own phrase)."""
    out: list[Token] = []
    for tok in tokens[start:]:
        if tok.surface in ("、", ",", "，"):
            break
        out.append(tok)
    return out


_CONJUNCTIONS = {"が", "けど", "けれど", "けれども", "から", "ので", "し"}


def _own_phrase(words: list[Token]) -> list[Token]:
    """The words up to a conjunction (…しましたので / …しますが): a new phrase starts there."""
    for k, tok in enumerate(words):
        if tok.pos[:2] == ("助詞", "接続助詞") and tok.surface in _CONJUNCTIONS:
            return words[:k]
        if tok.surface == "の" and k + 1 < len(words) and words[k + 1].surface == "で":
            return words[:k]
    return words


def _read_approval(tokens: list[Token], i: int, end: int, question: bool) -> str:
    """What an approval word at tokens[i:end] says: approve | send_back | unclear | none."""
    before = tokens[:i]
    after = _window(tokens, end)
    if before and before[-1].surface in ("非", "不"):
        return "send_back"
    if _negated(after):
        return "send_back"
    if question:
        return "unclear"
    first = next((t for t in after if t.pos[0] != "空白"), None)
    if first is not None:
        if first.pos[0] in ("名詞", "接尾辞") and first.normalized not in ("不可",):
            return "none"  # 承認者, 承認済み, 承認フロー: a noun, not a decision
        if first.surface in ("・", "/", "／", "の"):
            return "none"
        if first.surface in ("を", "が") and not any(
            t.normalized in ("為る", "致す") for t in after[1:2]
        ):
            return "none"  # 承認をお願いします: a request, not a decision
    phrase = _own_phrase([t for t in after if t.pos[0] not in ("空白", "補助記号")])
    norms = {t.normalized for t in phrase} | {t.dictionary_form for t in phrase}
    if norms & _PASSIVE:
        return "none"  # 承認されました: someone else's approval
    if any(t.surface in _CONDITIONAL_SURFACES or t.normalized in _HOLD for t in before):
        return "unclear"
    if any(t.surface in _CONDITIONAL_SURFACES for t in phrase):
        return "unclear"  # 承認する場合は…: talking about approval, not giving it
    if norms & _HOLD:
        return "unclear"
    if norms & _REQUEST and not (first is not None and first.surface in ("で", "にて")):
        return "unclear"
    if first is not None and first.surface in ("は", "も"):
        return "unclear"  # 承認は…: a topic, not a decision, unless negated (above)
    if any(t.surface == "か" and t.pos[0] == "助詞" for t in phrase):
        return "unclear"  # 承認するかどうか / 承認しますか: an (embedded) question
    if any(t.normalized not in _APPROVAL_TAIL and t.surface not in _APPROVAL_TAIL for t in phrase):
        return "unclear"  # anything else after 承認 is not a plain approval; ask again
    return "approve"


def _read_send_back(tokens: list[Token], i: int, end: int, question: bool) -> str:
    after = _window(tokens, end)
    if _negated(after):
        return "none"  # 差し戻しの必要はありません: not a send-back (nor an approval)
    if question:
        return "unclear"
    if any(t.surface in _CONDITIONAL_SURFACES for t in tokens[:i] + after):
        return "unclear"  # 差し戻す場合は…: instructions, not a decision
    return "send_back"


def _phrase_spans(clause: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    low = clause.lower()
    for phrase in phrases:
        p = unicodedata.normalize("NFKC", phrase).strip().lower()
        if not p:
            continue
        pattern = r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])" if p.isascii() else re.escape(p)
        spans.extend((m.start(), m.end()) for m in re.finditer(pattern, low))
    return spans


def _tok_range(tokens: list[Token], span: tuple[int, int]) -> tuple[int, int]:
    start = next((k for k, t in enumerate(tokens) if t.end > span[0]), len(tokens))
    end = next((k for k, t in enumerate(tokens) if t.begin >= span[1]), len(tokens))
    return start, end


def _clause_signals(
    clause: str, extra_approve: Sequence[str], extra_send_back: Sequence[str]
) -> list[str]:
    tokens = tokenize(clause)
    question = bool(_QUESTION_END_RE.search(clause.strip()))
    results: list[str] = []
    claimed: set[int] = set()
    for k, tok in enumerate(tokens):
        if tok.surface == "承認" or tok.normalized == "承認":
            results.append(_read_approval(tokens, k, k + 1, question))
            claimed.add(k)
        elif tok.normalized in _SEND_BACK_NORMALIZED or _SEND_BACK_SURFACE_RE.search(tok.surface):
            results.append(_read_send_back(tokens, k, k + 1, question))
            claimed.add(k)
    for span in _phrase_spans(clause, extra_send_back):
        s, e = _tok_range(tokens, span)
        if not claimed.intersection(range(s, e)):
            results.append(_read_send_back(tokens, s, e, question))
            claimed.update(range(s, e))
    for span in _phrase_spans(clause, extra_approve):
        s, e = _tok_range(tokens, span)
        if not claimed.intersection(range(s, e)):
            results.append(_read_approval(tokens, s, e, question))
            claimed.update(range(s, e))
    return results


def decide(
    own_text: str, extra_approve: Sequence[str] = (), extra_send_back: Sequence[str] = ()
) -> Decision:
    """The decision grammar on the reviewer's own words (already isolated)."""
    text = unicodedata.normalize("NFKC", own_text or "")
    signals: list[str] = []
    for clause in _clauses(text):
        signals.extend(_clause_signals(clause, extra_approve, extra_send_back))
    approve = signals.count("approve")
    send_back = signals.count("send_back")
    unclear = signals.count("unclear")
    if approve and send_back:
        return Decision.UNCLEAR
    if send_back:
        return Decision.SEND_BACK
    if approve and not unclear:
        return Decision.APPROVE
    return Decision.UNCLEAR


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
) -> ReplyReading:
    """Read a reviewer's reply body: their own words and the decision they make."""
    own = own_words(text, sent_texts)
    decision = decide(own, extra_approve, extra_send_back)
    return ReplyReading(decision=decision, comment=_comment(own), own_text=own)
