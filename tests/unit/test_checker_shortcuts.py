"""Shortcuts that skip a rule's work on most drafts find exactly what the plain work finds.

Each is compared with the computation it replaces, on the draft corpus, every rule's
examples, the adversarial units and generated text made to reach its edges:
- spaces inside Japanese words (fold._spaced_ja) found from the space vs the regex as
  written, with its look-behind first;
- a street address looked for only where its anchor (a letter, digits, 番 or -digit)
  stands, vs the address regex on every text;
- repeated lines: the drafts without a line written twice told apart in C, vs the loop;
- look-alike and internal hosts looked for only in a text with a dot (or a link's ://).
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gateway.checker import CheckContext, Checker, detectors
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit


@pytest.fixture(scope="module")
def texts(sample_texts: list[str]) -> list[str]:
    """The corpus drafts, every rule's examples and the adversarial units, as written."""
    return sample_texts


# --- spaces inside Japanese words ---


def _spaced_ja_as_written() -> re.Pattern[str]:
    from gateway.checker.fold import _JA

    return re.compile(f"(?<=[{_JA}])( {{1,2}})(?=[{_JA}])")


def _same_spaces(text: str) -> int:
    from gateway.checker.fold import _spaced_ja

    want = [m.span(1) for m in _spaced_ja_as_written().finditer(text)]
    assert [m.span(1) for m in _spaced_ja().finditer(text)] == want, text
    return len(want)


def test_spaces_in_japanese_words_from_the_space_are_as_written_on_every_text(
    texts: list[str],
) -> None:
    assert sum(_same_spaces(Draft(t).norm) for t in texts) > 20


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=" ばカ死a1。\n\u3000", max_size=24))
@example("ば か  カ   死 a ば 1 カ")
def test_spaces_in_japanese_words_from_the_space_are_as_written(text: str) -> None:
    _same_spaces(text)


# --- street addresses near names ---


def _addresses_plainly(draft: Draft, window: int = 30) -> list[Hit]:
    """find_name_address as it was: the address regex on every draft with a name."""
    if not detectors._has_person_name(draft):
        return []
    out = []
    for m in detectors._ADDRESS_RE.finditer(draft.norm):
        s, e = draft.orig_span(m.start(), m.end())
        line_start = draft.text.rfind("\n", 0, s) + 1
        line_end = draft.text.find("\n", e)
        line_end = len(draft.text) if line_end < 0 else line_end
        names = detectors._person_tokens(
            draft, max(line_start, s - window), min(line_end, e + window)
        )
        if names:
            out.append(Hit(s, e, {"name": names[0]}))
    return out


def test_an_address_always_holds_its_anchor_on_every_text(texts: list[str]) -> None:
    found = 0
    for text in texts:
        norm = Draft(text).norm
        for m in detectors._ADDRESS_RE.finditer(norm):
            found += 1
            assert detectors._ADDRESS_ANCHOR_RE.search(m.group()), m.group()
    assert found > 5


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="大字町ぁアヶ一1２35番地号-－ \n。a", max_size=30))
@example("大字辰野1234番地5")
@example("辰野町123456-1 町1-2-3 町12番3号")
def test_an_address_always_holds_its_anchor(text: str) -> None:
    norm = Draft(text).norm
    if detectors._ADDRESS_RE.search(norm):
        assert detectors._ADDRESS_ANCHOR_RE.search(norm), norm


def test_names_near_addresses_are_found_as_plainly_on_every_text(texts: list[str]) -> None:
    window = 30
    found = 0
    for text in [*texts, "山田太郎さんの住所は辰野町伊那富1234番地です。", "田中様 中央12-3"]:
        draft = Draft(text)
        want = _addresses_plainly(draft, window)
        assert list(detectors.find_name_address(draft, CheckContext(), window)) == want, text
        found += len(want)
    assert found >= 2


def _person_tokens_walked(draft: Draft, start: int, end: int) -> list[str]:
    """_person_tokens as it was: a walk of the window's tokens."""
    toks = draft.tokens_in(start, end)
    names = []
    for i, t in enumerate(toks):
        if len(t.pos) > 2 and t.pos[2] == "人名":
            nxt = toks[i + 1] if i + 1 < len(toks) else None
            if nxt is not None and (
                nxt.surface in detectors._HONORIFICS
                or (t.pos[3] == "姓" and len(nxt.pos) > 3 and nxt.pos[2:4] == ("人名", "名"))
            ):
                names.append(t.surface + ("" if nxt.surface in detectors._HONORIFICS else nxt.surface))
    return names


def _tokens_walked(draft: Draft, start: int, end: int) -> list:
    """Draft.tokens_in as it was: every token from the one holding `start`, kept while it
    overlaps [start, end)."""
    return [t for t in draft.tokens if t.end > start and t.begin < end]


def test_names_in_a_window_are_found_as_by_walking_its_tokens(texts: list[str]) -> None:
    """_person_tokens reads the kinds column and Draft.tokens_in bisects the columns: the
    same names and tokens as a walk, for windows starting and ending at every offset
    around every name of every text (a window may cut a token)."""
    found = 0
    extra = ["山田太郎さんと佐藤様、田中花子、鈴木 一郎氏", "高橋さん", "伊藤", "さん山田"]
    for text in [*texts, *extra]:
        draft = Draft(text)
        if not detectors._has_person_name(draft):
            continue
        places = {t.begin for t in draft.tokens if t.pos[2:3] == ("人名",)}
        for p in places:
            for start in range(max(p - 3, 0), p + 3):
                for end in range(start, min(start + 12, len(text) + 1)):
                    want = _person_tokens_walked(draft, start, end)
                    assert detectors._person_tokens(draft, start, end) == want, (text, start, end)
                    assert draft.tokens_in(start, end) == _tokens_walked(draft, start, end)
                    found += len(want)
    assert found > 50


# --- repeated lines ---


def _repeated_plainly(text: str, times: int, min_len: int) -> list[Hit]:
    """find_repeated_lines as it was: every line counted in a Python loop."""
    if times > 1 and text.count("\n") < times - 1:
        return []
    counts: dict[str, list[int]] = {}
    pos = 0
    for line in text.split("\n"):
        key = line.strip()
        if len(key) >= min_len:
            counts.setdefault(key, []).append(pos + line.find(key))
        pos += len(line) + 1
    return [
        Hit(starts[0], starts[0] + len(key), {"times": len(starts)})
        for key, starts in counts.items()
        if len(starts) >= times
    ]


_LINES = st.lists(
    st.sampled_from(["", " ", "今すぐ登録", " 今すぐ登録 ", "今すぐ登録！", "ab", "abcd", "\u3000"]),
    max_size=8,
)


@settings(max_examples=2000, deadline=None)
@given(lines=_LINES, times=st.integers(0, 4), min_len=st.integers(0, 5))
@example(lines=["", "", ""], times=3, min_len=0)
@example(lines=["abcd", " abcd", "abcd "], times=3, min_len=4)
def test_repeated_lines_are_found_as_plainly(lines: list[str], times: int, min_len: int) -> None:
    text = "\n".join(lines)
    got = list(detectors.find_repeated_lines(Draft(text), CheckContext(), (times, min_len)))
    assert got == _repeated_plainly(text, times, min_len)


def test_repeated_lines_are_found_as_plainly_on_every_text(texts: list[str]) -> None:
    found = 0
    for text in [*texts, "登録はこちら\n" * 4, "a\n\n\n\nb"]:
        for times, min_len in ((3, 4), (2, 1), (3, 0)):
            want = _repeated_plainly(text, times, min_len)
            got = list(detectors.find_repeated_lines(Draft(text), CheckContext(), (times, min_len)))
            assert got == want, text[:80]
            found += len(want)
    assert found > 3


# --- regexes that begin with a look-around, tried only where a match can start ---


def _led_rules(checker: Checker) -> list:
    from gateway.checker.engine import RegexRule
    from gateway.checker.prefilter import lead_chars

    rules = [
        r
        for r in checker.rules
        if isinstance(r, RegexRule) and lead_chars(r.regex.pattern, r.regex.flags)
    ]
    assert {"discriminatory-gender-role", "hate-generalisation"} <= {r.id for r in rules}
    return rules


def test_led_rules_find_what_finditer_finds_on_every_text(
    checker: Checker, texts: list[str]
) -> None:
    from gateway.checker.engine import _class_of, led_matches
    from gateway.checker.prefilter import lead_chars

    found = 0
    for rule in _led_rules(checker):
        lead = _class_of(lead_chars(rule.regex.pattern, rule.regex.flags))
        for text in texts:
            norm = Draft(text).norm
            want = [(m.span(), m.groupdict()) for m in rule.regex.finditer(norm)]
            got = [(m.span(), m.groupdict()) for m in led_matches(rule.regex, lead, norm)]
            assert got == want, (rule.id, norm[:80])
            found += len(want)
    assert found > 30


_LED_PATTERNS = [
    r"(?<![一-龥々])(?:女|男)(?:の|は)(?:仕事|役目)",
    r"(?<![一-龥])女(?:性)?は[^。\n]{0,3}(?:苦手|家)",
    r"(?<![\d.])(?:1\.\d{1,3}|12\.)",
    r"(?:パス|(?<![!-~])PW)\s*(?:は|:)\s*[!-~]+",
    r"\b(?:ab|a)c?",
]


@settings(max_examples=3000, deadline=None)
@given(
    text=st.text(alphabet="女男性の仕事役目は苦手家長。\n1.2 パスPW:x!ab c", max_size=40),
    which=st.integers(0, len(_LED_PATTERNS) - 1),
)
@example(text="長女は仕事 女は仕事 男の役目", which=0)
@example(text="女" * 60 + "女は仕事", which=0)
@example(text="女。" * 30 + "長女は仕事、女は仕事", which=0)  # past _LED_TRIES places
@example(text="パPW:x", which=3)  # a place that fails, and the next letter matches
@example(text="パス:xパス:x", which=3)  # a match right after a match
def test_led_matches_are_finditer(text: str, which: int) -> None:
    from gateway.checker.engine import _class_of, led_matches
    from gateway.checker.prefilter import lead_chars

    regex = re.compile(_LED_PATTERNS[which])
    chars = lead_chars(regex.pattern, regex.flags)
    assert chars
    got = [m.span() for m in led_matches(regex, _class_of(chars), text)]
    assert got == [m.span() for m in regex.finditer(text)]


def test_lead_chars_only_where_every_match_starts_with_one() -> None:
    from gateway.checker.prefilter import lead_chars

    assert lead_chars(r"(?<![一-龥々])(?:女|男)の") == frozenset("女男")
    assert lead_chars(r"(?:(?<!x)女に)|(?:(?<!y)[男子]だ)") == frozenset("女男子")
    assert lead_chars(r"パス|(?<![!-~])PW") == frozenset("パP")
    assert lead_chars(r"女の|男の") is None  # re skips to its first letters itself
    assert lead_chars(r"[女男]の") is None
    assert lead_chars(r"(?<!x)a?b") is None  # a match may start with b
    assert lead_chars(r"(?<!x)(?:a|)") is None  # or be empty
    assert lead_chars(r"(?<!x)\d") is None  # a category: every digit of every script
    assert lead_chars(r"(?<!x).b") is None
    assert lead_chars(r"(?i)(?<!x)ab") is None


def test_checker_finds_with_led_rules_what_it_finds_without(
    checker: Checker, texts: list[str]
) -> None:
    """The led regex rules' hits in a check are those of the plain finditer."""
    rules = _led_rules(checker)
    ctx = CheckContext(platform="x")
    found = 0
    assert any(rule.lead_alone for rule in rules)  # 女, 男: a post is not prefiltered first
    for rule in rules:
        lead, alone = rule.lead, rule.lead_alone
        assert lead is not False
        for text in [*texts, "家庭の料理は女の仕事です。" * 200]:  # and a long text
            draft = Draft(text)
            rule.lead, rule.lead_alone = False, False  # prefiltered, then finditer
            try:
                want = list(rule.hits(draft, ctx, None))
            finally:
                rule.lead, rule.lead_alone = lead, alone
            got = list(rule.hits(draft, ctx, None))
            assert got == want, (rule.id, text[:80])
            found += len(want)
    assert found > 30


# --- hosts need a dot (or a link's ://) before anything else is asked ---


def _lookalikes_plainly(draft: Draft) -> list[tuple[int, int, str]]:
    from gateway.checker.lookalike import _hosts, _suspect, analyse_host

    if not _suspect(draft.norm):
        return []
    found = [(s, e, analyse_host(host)) for s, e, host in _hosts(draft)]
    return [(s, e, f.skeleton) for s, e, f in found if f is not None]


def _internal_plainly(draft: Draft, ctx: CheckContext, suffixes: tuple[str, ...]) -> list[Hit]:
    from gateway.checker.links import _HOST_RE, _UNC_RE, _domain_in

    suffixes += ctx.internal_hosts
    found = [
        Hit(*draft.orig_span(m.start(), m.end()))
        for m in _HOST_RE.finditer(draft.norm)
        if _domain_in(m.group().lower(), suffixes)
    ]
    return found + [Hit(*draft.orig_span(*m.span())) for m in _UNC_RE.finditer(draft.norm)]


_HOSTS = [
    "https://аррlе.com/login",  # Cyrillic, dotted
    "http://аррlе/",  # a link's host without a dot
    "аррlе．com",  # a full-width dot (NFKC: .)
    "www.gооgle.jp",
    "xn--80ak6aa92e.com",
    "fs01.tatsuno.local",
    "ＦＳ01．ＴＡＴＳＵＮＯ．ＬＯＣＡＬ",
    "intra.town.tatsuno.lg.jp/kiki",
    "\\\\fs01\\share",
    "ЛОКАЛЬ",
    "local",
]


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from([*_HOSTS, "お知らせ", "。", " ", "\n", "."]), max_size=6))
def test_hosts_are_looked_for_only_with_a_dot_and_found_as_plainly(parts: list[str]) -> None:
    from gateway.checker.links import find_internal_host
    from gateway.checker.lookalike import _lookalikes

    text = "".join(parts)
    ctx = CheckContext(internal_hosts=("intra.town.tatsuno.lg.jp",))
    suffixes = ("local", "lan", "internal", "intra", "corp", "localdomain", "localhost")
    got = [(s, e, f.skeleton) for s, e, f in _lookalikes(Draft(text))]
    assert got == _lookalikes_plainly(Draft(text)), text
    mine = list(find_internal_host(Draft(text), ctx, suffixes))
    assert mine == _internal_plainly(Draft(text), ctx, suffixes), text


def test_hosts_with_a_dot_gate_find_as_plainly_on_every_text(texts: list[str]) -> None:
    from gateway.checker.links import find_internal_host
    from gateway.checker.lookalike import _lookalikes

    ctx, suffixes, seen = CheckContext(), ("local", "lan", "intra", "corp"), 0
    for text in [*texts, *_HOSTS]:
        got = [(s, e, f.skeleton) for s, e, f in _lookalikes(Draft(text))]
        assert got == _lookalikes_plainly(Draft(text)), text
        mine = list(find_internal_host(Draft(text), ctx, suffixes))
        assert mine == _internal_plainly(Draft(text), ctx, suffixes), text
        seen += bool(got) + bool(mine)
    assert seen >= 8  # the hosts above are found, so the comparison is not of nothing


# --- spelled words: a rule whose own heads are not among the rule set's starts ---


def _spelled_hits(checker: Checker, text: str) -> list[tuple[str, list[Hit]]]:
    from gateway.checker.engine import SPELLED_SCAN, TokenRule

    draft = Draft(text)
    draft.__dict__[SPELLED_SCAN] = checker._rules.spelled
    rules = [r for r in checker.rules if isinstance(r, TokenRule) and r.spelled is not None]
    return [(r.id, list(r.hits(draft, CheckContext(), None))) for r in rules]


def test_spelled_rules_without_their_own_heads_find_as_when_walked(
    checker: Checker, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import gateway.checker.engine as engine

    spelled = ["し ね", "ｼﾈ", "死〇ね", "バ●カ", "国へ帰れ", "ちゃんころ", "ごみくず", "くそ野郎"]
    cases = [*texts, *spelled, *(f"町の{w}について" for w in spelled)]
    mine = [_spelled_hits(checker, t) for t in cases]
    monkeypatch.setattr(engine, "_own_start", lambda text, starts, spelled: True)
    walked = [_spelled_hits(checker, t) for t in cases]
    assert mine == walked
    assert sum(bool(hits) for found in mine for _, hits in found) > 30


# --- prh: a post of one paragraph is scanned for the entries' strings once ---


def test_prh_candidates_of_a_whole_text_paragraph_reuse_its_scan(
    checker: Checker, texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gateway.checker.prefilter import TriggerScan
    from gateway.checker.prh import PrhRule
    from gateway.checker.prh_match import paragraphs

    rules = [r for r in checker.rules if isinstance(r, PrhRule)]
    assert rules
    many = [*texts, "事を下さい\n\n出来る事", "事\n\n\n是非\n迄"]
    for rule in rules:
        for text in many:
            whole = (text, rule._present(text))
            for _, paragraph in paragraphs(text):
                assert rule.candidates(paragraph, whole) == rule.candidates(paragraph), text
    scans: list[str] = []
    present = TriggerScan.present
    monkeypatch.setattr(TriggerScan, "present", lambda self, t: scans.append(t) or present(self, t))
    draft = Draft("お問い合わせ下さい。詳しい事は町のホームページをご覧下さい。")
    hits = [list(rule.hits(draft, CheckContext())) for rule in rules]
    assert any(hits) and len(scans) == len(rules)  # one scan each, not one more per paragraph
