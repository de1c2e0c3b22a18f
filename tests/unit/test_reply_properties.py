"""Property: 承認 that stands only in quotes, a signature or the gateway's own text never
counts as an approval, whatever the reviewer's own words around it are."""

from __future__ import annotations

import html
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gateway.htmltext import html_to_text
from gateway.model import Decision
from gateway.replies import own_words, read_reply

APPROVALS = [
    "承認",
    "承認します",
    "承認です。",
    "承認いたします",
    "承認！",
    "承認しました",
    "【承認】",
]
INSTRUCTION = "承認する場合は「承認」、差し戻す場合は「差戻し」と理由を書いて返信してください。"

# the reviewer's own words: anything, as long as it does not itself say 承認
own_chars = st.sampled_from(
    list(
        "あいうえおかきくけこ確認しましたよろしくお願います差戻日付写真。、！？ 　\nOKok123-:：>＞「」"
    )
) | st.characters(codec="utf-8", exclude_characters="承認")
own_text = st.text(own_chars, max_size=60).filter(
    lambda t: "承認" not in unicodedata.normalize("NFKC", t) and "承" not in t
)
approval_line = st.one_of(
    st.sampled_from(APPROVALS),
    st.builds(lambda a, b: a + b, st.sampled_from(APPROVALS), st.text(max_size=10)),
    st.just(INSTRUCTION),
)
quote_mark = st.sampled_from([">", "> ", ">> ", "> > ", "＞", "＞ ", " > ", "\t>", "　＞"])
quoted_line = st.builds(lambda q, line: q + line, quote_mark, approval_line)
rule_line = st.builds(
    lambda ch, n: ch * n, st.sampled_from(list("-―＿＊━=＝─~*_")), st.integers(4, 30)
)
sig_start = st.one_of(
    st.sampled_from(["-- ", "--", "iPhoneから送信", "Sent from my iPhone"]), rule_line
)
signature = st.builds(
    lambda start, lines: "\n".join([start, *lines]),
    sig_start,
    st.lists(st.one_of(approval_line, st.just("承認・決裁担当 山田"), own_text), max_size=4),
)
sent_text = st.lists(
    st.one_of(
        approval_line,
        st.text(st.sampled_from(list("防災訓練のお知らせ。町役場")), min_size=4, max_size=20),
    ),
    min_size=3,
    max_size=8,
).map(lambda lines: "\n".join([*lines, INSTRUCTION]))


def _check(reply: str, sent: list[str]) -> None:
    reading = read_reply(reply, sent)
    assert reading.decision != Decision.APPROVE, (reply, reading)
    assert reading.decision == read_reply(reply, sent, extra_send_back=["x-never"]).decision


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    own=st.lists(own_text, min_size=0, max_size=4),
    quotes=st.lists(st.lists(quoted_line, min_size=1, max_size=4), max_size=3),
    sig=st.none() | signature,
)
def test_approval_only_in_quotes_or_signature_never_counts(
    own: list[str], quotes: list[list[str]], sig: str | None
) -> None:
    # interleave own paragraphs and quoted blocks (top-, bottom- and inline posting)
    parts: list[str] = []
    for k in range(max(len(own), len(quotes))):
        if k < len(own):
            parts.append(own[k])
        if k < len(quotes):
            parts.append("\n".join(quotes[k]))
    if sig is not None:
        parts.append(sig)
    _check("\n".join(parts), [])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(own=own_text, sent=sent_text, before=st.booleans(), crlf=st.booleans())
def test_gateway_text_pasted_back_never_counts(
    own: str, sent: str, before: bool, crlf: bool
) -> None:
    reply = (sent + "\n\n" + own) if before else (own + "\n\n" + sent)
    if crlf:
        reply = reply.replace("\n", "\r\n")
    _check(reply, [sent])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(own=own_text, quoted=st.lists(approval_line, min_size=1, max_size=4))
def test_html_blockquote_never_counts(own: str, quoted: list[str]) -> None:
    body = (
        "".join(f"<div>{html.escape(line)}</div>" for line in own.split("\n"))
        + '<div class="gmail_quote"><blockquote>'
        + "<br>".join(html.escape(q) for q in quoted)
        + "</blockquote></div>"
    )
    _check(html_to_text(body), [])


@settings(max_examples=200, deadline=None)
@given(own=own_text)
def test_own_words_is_idempotent_and_never_invents_text(own: str) -> None:
    once = own_words(own)
    assume(once)
    assert own_words(once) == once
    assert set(once) <= set(own) | {"\n"}
