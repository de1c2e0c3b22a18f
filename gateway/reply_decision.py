"""The decision grammar: the reviewer's own words -> approve, send back or ask again.

`gateway.replies` isolates the words (quotes, headers, signatures removed); this module
reads them with the table in `gateway.reply_grammar` (the README shows the same table).
Lines are joined first (a hard wrap is never a sentence end); 承認 approves only when the
whole rest of its sentence is a listed ending, and a blocker anywhere stops every
approval. Every step is linear in the length of the words.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from gateway import reply_grammar as G
from gateway.checker.tokenizer import Token, tokenize
from gateway.model import Decision

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


def join_wrapped(text: str, latin_space: bool = True) -> list[str]:
    """Paragraphs with hard-wrapped lines joined: a line break is never a sentence end.

    Outlook wraps plain text at 76 columns, other clients at 70-78, anywhere inside a
    Japanese word; only a blank line ends a paragraph. Lines are joined without a space
    inside Japanese and with one between Latin words (none with `latin_space=False`:
    a wrap may also split one Latin word).
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
        if (
            latin_space
            and current
            and current[-1].isascii()
            and current[-1].isalnum()
            and line[0].isascii()
        ):
            current += " " + line
        else:
            current += line
    if current:
        paragraphs.append(current)
    return paragraphs


def _split_word_blockers(own_text: str) -> list[str]:
    """English blockers that a hard wrap split (N⏎O, no⏎t, wa⏎it): join_wrapped puts a
    space between Latin letters on either side of a wrap, so such a word reads as two;
    the lines joined without one are read for these words too."""
    found = []
    for paragraph in join_wrapped(normalize_reply_text(own_text), latin_space=False):
        m = G.ASCII_WORD_RE.search(paragraph.lower())
        if m:
            found.append(f"ascii_words:{m.group(0)}")
    return found


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
    if G.JOKE_ENDING_RE.search(compact):
        why.append("joke_ending")
    if G.REFUSAL_START_RE.match(compact):
        why.append("refusal_start")
    if G.CONDITION_AFTER_RE.search(compact):
        why.append("condition_after")
    m = G.ASCII_WORD_RE.search(sentence.lower())
    if m:
        why.append(f"ascii_words:{m.group(0)}")
    if _verb_negation(tokens):
        why.append("verb_negation")
    if any(w in compact for w in G.CHANGE_WORDS) and any(w in compact for w in G.REQUEST_WORDS):
        why.append("change_request")
    words = _content(tokens)
    if compact.startswith(G.CONTINUATION_STARTS) or (
        words
        and (
            words[0].pos[0] in ("助詞", "助動詞", "接尾辞")
            or (words[0].pos[0] == "動詞" and words[0].normalized in ("為る", "出来る", "致す"))
        )
    ):
        why.append("continuation_start")
    return why


def has_blocker(text: str) -> bool:
    """True when any sentence of `text` would stop an approval (a hedge, a negation …)."""
    return bool(_split_word_blockers(text)) or any(
        _blockers(s, tokenize(s)) for s in _sentences(text)
    )


def has_condition(text: str) -> bool:
    """True when `text` sets a condition or a deferral (課長が承認すれば, 課長確認後, 明日):
    such a line is the reviewer's words, never a signature."""
    return any(_first_condition_end(tokenize(s)) < 1 << 62 for s in _sentences(text))


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
    if G.TRAILING_OFF_RE.search(_squeeze(tail)):
        return G.UNCLEAR  # 承認… / 承認、、、: trailing off
    if len(tail) <= _MAX_TAIL and G.APPROVING_TAIL_RE.fullmatch(_squeeze(tail)):
        return G.UNCLEAR if condition_end <= start else G.APPROVE
    if _negated(_first_clause(_content(after)[:_NEGATION_WINDOW])):
        return G.SEND_BACK
    return G.UNCLEAR


def _window(tokens: list[Token], start: int) -> list[Token]:
    """Tokens after a send-back word up to the next comma, at most eight: its own phrase
    (差し戻しの必要はありません), not the reason that follows on a joined line."""
    out: list[Token] = []
    for tok in tokens[start : start + 8]:  # a slice of eight: many anchors stay linear
        if tok.surface in ("、", ",", "，", "。"):
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
    blockers.extend(_split_word_blockers(own_text))
    return GrammarReading(tuple(s for s in signals if s != "none"), tuple(blockers))


def decide(
    own_text: str, extra_approve: Sequence[str] = (), extra_send_back: Sequence[str] = ()
) -> Decision:
    """The decision grammar on the reviewer's own words (already isolated)."""
    return read_grammar(own_text, extra_approve, extra_send_back).decision
