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
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from gateway import reply_grammar as G
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
    if has_blocker(s):
        return False  # nor a hedge or a refusal (承認⏎課長に相談します)
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
# Decision grammar (the forms live in gateway.reply_grammar, shown in the README)
# ---------------------------------------------------------------------------

_INVISIBLE = frozenset(("Cf",))  # zero-width spaces, joiners, direction marks, BOM, soft hyphen
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[。.!?])(?![。.!?" + re.escape(G.CLOSE_BRACKETS) + r"])")
_SPACE_RE = re.compile(r"\s+")
_CJK_RE = re.compile(r"[\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u30a0-\u30ff]")
_SEND_BACK_SURFACE_RE = re.compile(r"差\s*し?\s*戻|さしもど|サシモド|却下|不承認|非承認")
_SEND_BACK_NORMALIZED = {"差し戻し", "差し戻す", "却下"}
_QUESTION_END_RE = re.compile(
    r"(?:[?]|か|かな|かしら|かね|かも|でしょう|だろう|よね|っけ)["
    + re.escape(G.END_MARKS + G.CLOSE_BRACKETS)
    + r"]*$"
)
_NEGATION = {"ず", "ぬ", "ない", "無い", "不可", "兼ねる", "かねる", "難しい", "見送る", "不可能",
             "無理", "駄目", "厳しい", "NG"}  # fmt: skip
_DOUBLE_NEG_HEAD = {"知れる", "問題", "差し支え", "差し支える", "支障", "構う", "異論", "異存",
                    "異議", "文句", "申し分"}  # fmt: skip
_HOLD = {"保留", "待つ", "後", "まだ", "未だ", "検討", "確認中", "相談"}
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
_CONJUNCTIONS = {"が", "けど", "けれど", "けれども", "から", "ので", "し"}
_HARMLESS_NEG_VERBS = set(G.HARMLESS_NEGATED_VERBS) | {"すむ", "済む"}  # すみません


def normalize_reply_text(text: str) -> str:
    """NFKC, invisible format characters removed, line ends unified."""
    text = unicodedata.normalize("NFKC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


def join_wrapped(text: str) -> list[str]:
    """Paragraphs with hard-wrapped lines joined: a line break is never a sentence end.

    Outlook wraps plain text at 76 columns, other clients at 70-78, anywhere inside a
    Japanese word; only a blank line ends a paragraph. Lines are joined without a space
    inside Japanese and with one between Latin words.
    """
    paragraphs: list[str] = []
    current = ""
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current and current[-1].isascii() and current[-1].isalnum() and line[0].isascii():
            current += " " + line
        else:
            current += line
    if current:
        paragraphs.append(current)
    return paragraphs


def _sentences(own_text: str) -> list[str]:
    out: list[str] = []
    for paragraph in join_wrapped(normalize_reply_text(own_text)):
        out.extend(s for s in _SENTENCE_SPLIT_RE.split(paragraph) if s.strip())
    return out


def _squeeze(text: str) -> str:
    """No white space at all: the grammar's forms are written without it."""
    return _SPACE_RE.sub("", text)


def _content(tokens: list[Token]) -> list[Token]:
    return [t for t in tokens if t.pos[0] not in ("空白", "補助記号")]


def _negated(after: list[Token]) -> bool:
    """A negation after the anchor that is not part of 問題ない / 差し支えない."""
    for k, tok in enumerate(after):
        if tok.normalized in _NEGATION or tok.dictionary_form in _NEGATION:
            prev = [t for t in after[:k] if t.pos[0] not in ("助詞", "助動詞", "空白")]
            if prev and (prev[-1].normalized in _DOUBLE_NEG_HEAD):
                continue
            if prev and prev[-1].normalized in ("有る", "御座る"):
                head = [t for t in after[: k - 1] if t.pos[0] not in ("助詞", "助動詞", "空白")]
                if len(prev) >= 2 and prev[-2].normalized in _DOUBLE_NEG_HEAD:
                    continue
                if head and head[-1].normalized in _DOUBLE_NEG_HEAD:
                    continue
            return True
    return False


def _first_clause(tokens: list[Token]) -> list[Token]:
    """Tokens up to a conjunction (…しますが / …ので): the anchor's own clause."""
    for k, tok in enumerate(tokens):
        if tok.pos[:2] == ("助詞", "接続助詞") and tok.surface in _CONJUNCTIONS:
            return tokens[:k]
        if tok.surface == "の" and k + 1 < len(tokens) and tokens[k + 1].surface == "で":
            return tokens[:k]
    return tokens


def _verb_negation(tokens: list[Token]) -> bool:
    """A negated verb, adjective or copula (できません, よくない, 適切ではありません).

    Existence and "no objection" negations are harmless: 問題ありません, 差し支えございません,
    構いません, すみません, 必要はない.
    """
    words = _content(tokens)
    for k, tok in enumerate(words):
        if tok.normalized in ("兼ねる", "かねる") and tok.pos[0] in ("接尾辞", "動詞"):
            return True
        if tok.pos[0] == "助動詞" and tok.normalized in ("ず", "ぬ", "ない"):
            j = k - 1
            while j >= 0 and words[j].normalized == "ます":
                j -= 1
            if j < 0:
                return True  # a sentence that starts with ない: a continuation
            gov = words[j]
            harmless = gov.normalized in _HARMLESS_NEG_VERBS or gov.dictionary_form in (
                _HARMLESS_NEG_VERBS
            )
            if not harmless:
                return True
            # よくありません / 適切ではありません: the adjective or copula is negated
            i = j - 1
            while i >= 0 and words[i].surface in ("は", "も"):
                i -= 1
            if (
                i >= 0
                and gov.normalized in ("有る", "御座る")
                and (words[i].pos[0] in ("形容詞", "副詞") or words[i].normalized == "だ")
            ):
                return True
        if tok.normalized == "無い" and tok.pos[0] == "形容詞" and tok.pos[1] == "非自立可能":
            i = k - 1
            while i >= 0 and words[i].surface in ("は", "も"):
                i -= 1
            if i >= 0 and (
                words[i].pos[0] in ("形容詞", "動詞") or words[i].normalized in ("だ", "で")
            ):
                return True
    return False


def _blockers(sentence: str, tokens: list[Token]) -> list[str]:
    """Why this sentence stops any approval in the reply (empty when it does not)."""
    why: list[str] = []
    compact = _squeeze(sentence)
    m = G.BLOCKER_RE.search(compact)
    if m:
        why.append(f"blocker:{m.group(0)}")
    if _QUESTION_END_RE.search(compact):
        why.append("question")
    if compact.startswith(G.ADVERSATIVE_STARTS[:-1]) or re.match(r"ただ[、,]", compact):
        why.append("adversative_start")
    if _verb_negation(tokens):
        why.append("verb_negation")
    if any(w in compact for w in G.CHANGE_WORDS) and any(w in compact for w in G.REQUEST_WORDS):
        why.append("change_request")
    words = _content(tokens)
    if words and (
        words[0].pos[0] in ("助詞", "助動詞", "接尾辞")
        or (words[0].pos[0] == "動詞" and words[0].normalized in ("為る", "出来る", "致す"))
    ):
        why.append("continuation_start")
    return why


def has_blocker(text: str) -> bool:
    """True when any sentence of `text` would stop an approval (a hedge, a negation …)."""
    return any(_blockers(s, tokenize(s)) for s in _sentences(text))


def _first_condition_end(tokens: list[Token]) -> int:
    """Where the sentence's first condition or deferral ends (修正すれば / 明日 / まだ …):
    an approval word after it is conditional. Once per sentence, so many anchors in one
    long sentence stay linear."""
    for tok in tokens:
        if tok.surface in G.BEFORE_CONDITION_SURFACES and tok.pos[0] in ("助詞", "助動詞"):
            return tok.end
        if tok.normalized in G.BEFORE_CONDITION_WORDS or tok.surface in G.BEFORE_CONDITION_WORDS:
            return tok.end
    return 1 << 62


_MAX_TAIL = 300  # no approving ending is longer; a longer rest is never an approval
_NEGATION_WINDOW = 12  # words after 承認 read for a negation (send-back vs unclear)


def _read_approval(
    sentence: str, start: int, end: int, condition_end: int, after: list[Token]
) -> str:
    """What an approval word at sentence[start:end] says: approve | send_back | unclear."""
    before = _squeeze(sentence[max(0, start - 16) : start])
    tail = sentence[end : end + _MAX_TAIL + 1]
    if before.endswith(G.NEGATING_PREFIXES):
        return G.SEND_BACK
    if before.endswith(G.HEDGING_PREFIXES) or before.endswith("の"):
        return G.UNCLEAR
    if before and _CJK_RE.fullmatch(before[-1]):
        return G.UNCLEAR  # 課長承認, 最終承認: a compound noun, not a decision
    if len(tail) <= _MAX_TAIL and G.APPROVING_TAIL_RE.fullmatch(_squeeze(tail)):
        return G.UNCLEAR if condition_end <= start else G.APPROVE
    if _negated(_first_clause(_content(after)[:_NEGATION_WINDOW])):
        return G.SEND_BACK
    return G.UNCLEAR


def _window(tokens: list[Token], start: int) -> list[Token]:
    """Tokens after a send-back word up to the next comma, at most eight: its own phrase
    (差し戻しの必要はありません), not the reason that follows on a joined line."""
    out: list[Token] = []
    for tok in tokens[start:]:
        if tok.surface in ("、", ",", "，", "。") or len(out) == 8:
            break
        out.append(tok)
    return _first_clause(out)


def _read_send_back(
    tokens: list[Token], i: int, end: int, question: bool, first_condition: int
) -> str:
    after = _window(tokens, end)
    if _negated(after):
        return "none"  # 差し戻しの必要はありません: not a send-back (nor an approval)
    if question:
        return G.UNCLEAR
    if first_condition < i or any(t.surface in _CONDITIONAL_SURFACES for t in after):
        return G.UNCLEAR  # 差し戻す場合は…: instructions, not a decision
    return G.SEND_BACK


def _phrase_spans(text: str, phrases: Sequence[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    low = text.lower()
    for phrase in phrases:
        p = unicodedata.normalize("NFKC", phrase).strip().lower()
        if not p:
            continue
        pattern = r"(?<![a-z0-9])" + re.escape(p) + r"(?![a-z0-9])" if p.isascii() else re.escape(p)
        spans.extend((m.start(), m.end()) for m in re.finditer(pattern, low))
    return spans


def _claim(covered: bytearray, span: tuple[int, int]) -> bool:
    """Mark a span's characters as read; False when any already was (one word, one signal)."""
    if any(covered[span[0] : span[1]]):
        return False
    covered[span[0] : span[1]] = b"\x01" * (span[1] - span[0])
    return True


def _tok_range(
    tokens: list[Token], ends: list[int], begins: list[int], span: tuple[int, int]
) -> tuple[int, int]:
    """Token indices covering a character span (binary search: many spans stay linear)."""
    return bisect_right(ends, span[0]), bisect_left(begins, span[1])


@dataclass(frozen=True)
class GrammarReading:
    """Every signal the grammar found, for `decide` and for an admin asking why."""

    signals: tuple[str, ...]  # one approve / send_back / unclear per anchor
    blockers: tuple[str, ...]  # what stopped approvals anywhere in the words

    @property
    def decision(self) -> Decision:
        approve = self.signals.count(G.APPROVE)
        send_back = self.signals.count(G.SEND_BACK)
        if send_back and not approve:
            return Decision.SEND_BACK
        if approve and not send_back and len(self.signals) == approve and not self.blockers:
            return Decision.APPROVE
        return Decision.UNCLEAR


def read_grammar(
    own_text: str, extra_approve: Sequence[str] = (), extra_send_back: Sequence[str] = ()
) -> GrammarReading:
    """Apply the grammar table to the reviewer's own words (already isolated)."""
    signals: list[str] = []
    blockers: list[str] = []
    for sentence in _sentences(own_text):
        tokens = tokenize(sentence)
        blockers.extend(_blockers(sentence, tokens))
        question = bool(_QUESTION_END_RE.search(_squeeze(sentence)))
        condition_end = _first_condition_end(tokens)
        first_condition = next(
            (k for k, t in enumerate(tokens) if t.surface in _CONDITIONAL_SURFACES), 1 << 62
        )
        approval_spans = list(
            dict.fromkeys(
                [(m.start(), m.end()) for w in G.APPROVAL_WORDS for m in re.finditer(w, sentence)]
                + _phrase_spans(sentence, extra_approve)
            )
        )
        covered = bytearray(len(sentence) + 1)  # characters already read as a send-back word
        back_spans = [
            span
            for span in [(m.start(), m.end()) for m in _SEND_BACK_SURFACE_RE.finditer(sentence)]
            + [(t.begin, t.end) for t in tokens if t.normalized in _SEND_BACK_NORMALIZED]
            + _phrase_spans(sentence, extra_send_back)
            if _claim(covered, span)
        ]
        ends = [t.end for t in tokens]
        begins = [t.begin for t in tokens]
        for span in back_spans:
            s, e = _tok_range(tokens, ends, begins, span)
            signals.append(_read_send_back(tokens, s, max(e, s + 1), question, first_condition))
        for start, end in approval_spans:
            k = bisect_left(begins, end)
            after = tokens[k : k + 2 * _NEGATION_WINDOW]
            signals.append(_read_approval(sentence, start, end, condition_end, after))
    return GrammarReading(tuple(s for s in signals if s != "none"), tuple(blockers))


def decide(
    own_text: str, extra_approve: Sequence[str] = (), extra_send_back: Sequence[str] = ()
) -> Decision:
    """The decision grammar on the reviewer's own words (already isolated)."""
    return read_grammar(own_text, extra_approve, extra_send_back).decision


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
    own = own_words(text, sent_texts)
    decision = decide(own, extra_approve, extra_send_back)
    for other in alternatives:
        if decide(own_words(other, sent_texts), extra_approve, extra_send_back) != decision:
            decision = Decision.UNCLEAR
            break
    return ReplyReading(decision=decision, comment=_comment(own), own_text=own)
