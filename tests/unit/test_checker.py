"""The checker's public API, rule loading, and the behaviours the guideline asks for."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import gateway.checker.draft as draft_module
from gateway.checker import (
    CheckContext,
    Checker,
    RuleLoadError,
    exit_code,
    format_json,
    format_text,
)
from gateway.checker.dates import _DATE_RE, date_matches
from gateway.checker.detectors import _PHONE_RE, x_length_bound, x_weighted_length
from gateway.model import Finding, Severity


def rules_of(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# --- API and output ---


def test_findings_sorted_and_positioned(checker: Checker) -> None:
    text = "お知らせ\n駅前の店が閉店するらしいです。連絡は090-1234-5678へ。"
    fs = checker.check(text)
    assert [(f.line, f.column) for f in fs] == sorted((f.line, f.column) for f in fs)
    phone = next(f for f in fs if f.rule == "personal-mobile-phone")
    col = text.split("\n")[1].index("090") + 1
    assert (phone.line, phone.column, phone.excerpt) == (2, col, "090-1234-5678")
    # a mobile number may be a contact who agreed to it: the reviewers judge (a warning)
    assert phone.severity is Severity.WARNING and phone.clause == "3(4)"


def test_positions_are_in_original_characters(checker: Checker) -> None:
    # ㈱ becomes three characters under NFKC; the column must still count the original.
    text = "㈱辰野　連絡先：０９０－１２３４－５６７８"
    f = next(f for f in checker.check(text) if f.rule == "personal-mobile-phone")
    assert f.excerpt == "０９０－１２３４－５６７８"
    assert f.column == text.index("０９０") + 1


def test_json_is_the_contract_shape(checker: Checker) -> None:
    fs = checker.check("駅前の店が閉店するらしいです。")
    data = json.loads(format_json(fs))
    assert list(data) == ["findings"]
    item = data["findings"][0]
    assert list(item) == ["rule", "clause", "severity", "line", "column", "excerpt", "message"]
    assert (
        item["rule"] == "rumor-hearsay"
        and item["clause"] == "3(7)エ"
        and item["severity"] == "warning"
    )
    assert json.loads(format_json([])) == {"findings": []}


def test_text_output_like_a_compiler(checker: Checker) -> None:
    fs = checker.check("パスワード：abc12345 です。")
    out = format_text(fs, "draft.txt")
    assert out.startswith("draft.txt:1:1: error [4(3)] ")
    assert format_text([], "x.txt") == ""
    assert exit_code(fs) == 1
    assert exit_code(checker.check("駅前の店が閉店するらしいです。")) == 0


def test_tokenizes_each_draft_once(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = draft_module.tokenize
    monkeypatch.setattr(draft_module, "tokenize", lambda t: calls.append(t) or real(t))
    checker.check("ここだけの話ですが、バカな噂を聞いた。6月14日（金）")
    assert len(calls) == 1


def test_every_shipped_rule_is_well_formed(checker: Checker) -> None:
    ids = [r.id for r in checker.rules]
    assert len(ids) == len(set(ids))
    for r in checker.rules:
        assert r.examples_match, r.id
        assert r.message.strip(), r.id


# --- loading ---


def _write(dir_: Path, name: str, body: str) -> None:
    (dir_ / name).write_text(body, encoding="utf-8")


def test_rule_with_failing_example_refuses_to_load(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "bad.yaml",
        """
rules:
  - id: bad-rule
    clause: 4(1)
    severity: error
    kind: lexicon
    message: だめです。
    words: [部外秘]
    examples:
      match: [このファイルは公開です。]
""",
    )
    with pytest.raises(RuleLoadError) as e:
        Checker.load(tmp_path)
    msg = str(e.value)
    assert "bad.yaml" in msg and "bad-rule" in msg
    assert "ルールを読み込めません" in msg and "Cannot load rule" in msg


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("clause", "3-7", "clause"), ("severity", "fatal", "severity"), ("kind", "magic", "kind")],
)
def test_bad_fields_are_named(tmp_path: Path, field: str, value: str, fragment: str) -> None:
    rule = {"id": "r", "clause": "4(1)", "severity": "error", "kind": "lexicon", "message": "m"}
    rule[field] = value
    body = "rules:\n  - " + "\n    ".join(f"{k}: '{v}'" for k, v in rule.items())
    _write(tmp_path, "r.yaml", body + "\n    words: [秘]\n    examples: {match: [秘]}\n")
    with pytest.raises(RuleLoadError, match=fragment):
        Checker.load(tmp_path)


@pytest.mark.parametrize(
    ("detector", "options"),
    [
        ("phone", "{class: landline}"),
        ("phone", "[mobile]"),
        ("platform_length", "{limits: {x: many}}"),
        ("near_duplicate", "{threshold: high}"),
    ],
)
def test_bad_detector_options_refuse_to_load(tmp_path: Path, detector: str, options: str) -> None:
    _write(
        tmp_path,
        "r.yaml",
        f"""
rules:
  - id: odd-options
    clause: 3(4)
    severity: error
    kind: detector
    detector: {detector}
    options: {options}
    message: m
    examples: {{match: [090-1234-5678]}}
""",
    )
    with pytest.raises(RuleLoadError, match="options") as e:
        Checker.load(tmp_path)
    assert "odd-options" in str(e.value)


def test_toml_rules_and_sequence(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "r.toml",
        """
[[rules]]
id = "no-sashimodoshi"
clause = "4(4)"
severity = "info"
kind = "lexicon"
message = "「{excerpt}」があります。"
words = ["差し戻す"]
form = "normalized"
[rules.examples]
match = ["さしもどしです", "差し戻しました"]
no_match = ["承認しました"]
""",
    )
    c = Checker.load(tmp_path)
    assert rules_of(c.check("書類を差し戻します。")) == {"no-sashimodoshi"}
    # without form = normalized, only the word as written and its inflections match
    text = (tmp_path / "r.toml").read_text(encoding="utf-8").replace('form = "normalized"\n', "")
    (tmp_path / "r.toml").write_text(text.replace('"さしもどしです", ', ""), encoding="utf-8")
    c = Checker.load(tmp_path)
    assert rules_of(c.check("書類を差し戻します。")) == {"no-sashimodoshi"}
    assert rules_of(c.check("書類をさしもどします。")) == set()


def test_prh_dictionary_imports_ignore_and_specs(tmp_path: Path) -> None:
    (tmp_path / "prh").mkdir()
    _write(
        tmp_path / "prh",
        "base.yaml",
        "version: 1\nrules:\n  - expected: ください\n    pattern: 下さい\n  - expected: 及び\n    pattern: および\n",
    )
    _write(
        tmp_path / "prh",
        "main.yaml",
        "version: 1\nimports:\n  - path: base.yaml\n    ignoreRules:\n      - expected: 及び\n"
        "rules:\n  - expected: JavaScript\n    specs:\n      - from: ｊａｖａｓｃｒｉｐｔ\n        to: JavaScript\n",
    )
    _write(
        tmp_path,
        "n.yaml",
        "rules:\n  - id: n\n    clause: null\n    severity: info\n    kind: prh\n    dictionary: prh/main.yaml\n"
        "    message: '「{excerpt}」→「{expected}」'\n    examples: {match: [ご覧下さい], no_match: [JavaScript および]}\n",
    )
    c = Checker.load(tmp_path)
    fs = c.check("javascript をご覧下さい")
    assert {(f.excerpt, f.message) for f in fs} == {
        ("javascript", "「javascript」→「JavaScript」"),
        ("下さい", "「下さい」→「ください」"),
    }
    assert all(f.clause is None and f.severity is Severity.INFO for f in fs)
    _write(
        tmp_path / "prh",
        "main.yaml",
        "rules:\n  - expected: A\n    pattern: B\n    specs: [{from: B, to: C}]\n",
    )
    with pytest.raises(RuleLoadError, match="specs"):
        Checker.load(tmp_path)


# --- few false alarms: negative contexts, the office's own data ---


@pytest.mark.parametrize(
    "text",
    [
        "不法投棄は禁止されています。",
        "パスワードを教えないでください。",
        "飲酒運転は絶対にやめましょう。",
        "山あいの町らしい、静かな朝です。",
        "夕方から雨が降りそうです。",
        "人種や国籍を理由にした差別のない地域をつくりましょう。",
        "自殺予防週間です。ひとりで悩まず相談してください。",
        "お問い合わせ：総務課 0266-41-1111 soumu@town.tatsuno.lg.jp",
        "詳しくは https://www.town.tatsuno.lg.jp/ をご覧ください。",
        "ごみ収集カレンダーを配布します。",
        "写真の無断転載を禁じます。",
    ],
)
def test_no_finding_on_negative_or_own_data(checker: Checker, text: str) -> None:
    ctx = CheckContext(
        office_phone_allowlist=("0266-41-1111",), office_domains=("town.tatsuno.lg.jp",)
    )
    assert [f for f in checker.check(text, ctx) if f.severity is not Severity.INFO] == []


def test_phone_classes(checker: Checker) -> None:
    fs = checker.check("自宅 0266-43-9876、携帯 080-1111-2222、フリーダイヤル 0120-000-111")
    assert {(f.rule, f.severity) for f in fs} == {
        ("personal-fixed-phone", Severity.WARNING),
        ("personal-mobile-phone", Severity.WARNING),
    }


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("カード番号 4111 1111 1111 1111", True),  # 16 digits, Luhn-valid: a card
        ("JANコード 4901234567894 の商品を回収します", False),  # valid EAN-13 (and Luhn)
        ("商品 4902102072618", False),  # a JAN code that is not Luhn-valid anyway
    ],
)
def test_a_jan_code_is_not_a_card_number(checker: Checker, text: str, card: bool) -> None:
    assert ("personal-card-number" in rules_of(checker.check(text))) is card


def test_free_wifi_password_is_a_warning_and_an_office_password_an_error(checker: Checker) -> None:
    free = "町民会館ではフリーWi-Fiをご利用いただけます。SSID: tatsuno_free　パスワード: tatsuno2025"
    office = "庁内LANのパスワード：tatsuno2025 です。"
    sev = {f.rule: f.severity for f in checker.check(free)}
    assert sev["security-password"] is Severity.WARNING
    sev = {f.rule: f.severity for f in checker.check(office)}
    assert sev["security-password"] is Severity.ERROR


def test_mynumber_needs_a_valid_check_digit(checker: Checker) -> None:
    assert "personal-mynumber" in rules_of(checker.check("番号 1234 5678 9018"))
    assert "personal-mynumber" not in rules_of(checker.check("番号 1234 5678 9012"))


# --- dates ---


@pytest.mark.parametrize(
    ("text", "schedule", "bad"),
    [
        ("6月14日（土）", datetime(2025, 6, 1), False),
        ("6月14日（金）", datetime(2025, 6, 1), True),
        ("１月３日（土）", datetime(2025, 12, 22), False),  # next year, near New Year
        ("令和元年5月1日（水）", None, False),
        ("平成31年4月30日（火）", None, False),
        ("2025年5月5日(月・祝)", None, False),
        ("2025年5月7日(水・祝)", None, True),
        ("2025/6/14(土)", None, False),
        ("6月14日（土）〜15日（月）", datetime(2025, 6, 1), True),
    ],
)
def test_weekday(checker: Checker, text: str, schedule: datetime | None, bad: bool) -> None:
    fs = checker.check(text, CheckContext(schedule=schedule, now=date(2025, 1, 1)))
    assert ("date-weekday-mismatch" in rules_of(fs)) is bad


@pytest.mark.parametrize(
    ("text", "severity"),
    [
        # the year written: the weekday is checked against it, an error
        ("2022年10月22日（金）から公民館まつりです。", Severity.ERROR),
        ("2022/10/22(金)", Severity.ERROR),
        # no year: a report of a past event or next year's date may be right
        ("10月22日（土）から公民館まつりが始まります。", Severity.WARNING),
        ("10/22(土)〜24日(月)", Severity.WARNING),
        ("9月21日(月)10時30分から敬老のつどいを開催", Severity.WARNING),
    ],
)
def test_weekday_without_year_is_a_warning(checker: Checker, text: str, severity: Severity) -> None:
    ctx = CheckContext(schedule=datetime(2025, 11, 20, 9, 0))
    found = [f for f in checker.check(text, ctx) if f.rule == "date-weekday-mismatch"]
    assert found and {f.severity for f in found} == {severity}
    if severity is Severity.WARNING:
        assert "年が書かれていない" in found[0].message


def test_weekday_without_year_names_the_year_it_fits(checker: Checker) -> None:
    ctx = CheckContext(schedule=datetime(2025, 11, 20, 9, 0))
    (f,) = [f for f in checker.check("10月22日（土）", ctx) if f.rule == "date-weekday-mismatch"]
    assert "2022年の日付なら合っています" in f.message


@pytest.mark.parametrize("year", [2025, 2026])
def test_leap_day_without_year_is_never_an_error(checker: Checker, year: int) -> None:
    ctx = CheckContext(schedule=datetime(year, 2, 1, 9, 0))
    fs = checker.check("2月29日（木）生まれの方にお祝いの品を贈ります。", ctx)
    assert not [f for f in fs if f.severity is Severity.ERROR]
    assert "date-impossible" in rules_of(checker.check("2026年2月29日に開催します。", ctx))


# --- links, accounts, spam, platforms ---


def test_link_blocklist_from_config(checker: Checker) -> None:
    text = "こちら https://shop.blocked.example/ から"
    assert "link-obscene" not in rules_of(checker.check(text))
    ctx = CheckContext(link_blocklist=("blocked.example",))
    assert "link-obscene" in rules_of(checker.check(text, ctx))


def test_internal_hosts_from_config(checker: Checker) -> None:
    ctx = CheckContext(internal_hosts=("intra.town.tatsuno.lg.jp",))
    fs = checker.check("手順は https://intra.town.tatsuno.lg.jp/manual にあります", ctx)
    assert "security-internal-host" in rules_of(fs)


def test_account_must_be_official(checker: Checker) -> None:
    official = ("辰野町公式X",)
    ok = CheckContext(account="辰野町公式X", official_accounts=official)
    bad = CheckContext(account="my_private", official_accounts=official)
    assert checker.check("お知らせです。", ok) == []
    (f,) = checker.check("お知らせです。", bad)
    assert (f.rule, f.clause, f.line, f.column, f.excerpt) == (
        "account-not-official",
        "3(10)",
        1,
        1,
        "my_private",
    )


def test_spam_similarity(checker: Checker) -> None:
    old = "ほたる祭りを6月14日から松尾峡で開催します。シャトルバスをご利用ください。"
    ctx = CheckContext(recent_approved_texts=(old,))
    assert "spam-near-duplicate" in rules_of(checker.check(old.replace("。", "！", 1), ctx))
    assert "spam-near-duplicate" not in rules_of(checker.check("防災訓練を9月7日に行います。", ctx))


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(
            [
                "あ",
                "a",
                " ",
                "😀",
                "👍🏻",
                "\u200d",
                "ー",
                "https://x.jp/a",
                "http://",
                "é",
                "a.jp",
                ".",
                "_",
                "-",
                "例え",
                "jp",
                "/",
                "e\u0301",
                "か\u3099",
                "\r\n",
                "🇯🇵",
            ]
        ),
        max_size=60,
    ).map("".join)
)
def test_x_length_bound_is_never_below_the_weighted_length(text: str) -> None:
    assert x_length_bound(text) >= x_weighted_length(text)[0]


def test_x_weighted_length() -> None:
    assert x_weighted_length("あ" * 140) == (280, None)
    assert x_weighted_length("あ" * 141) == (282, 140)
    assert x_weighted_length("a" * 280)[0] == 280
    assert x_weighted_length("https://www.town.tatsuno.lg.jp/a/very/long/path/index.html")[0] == 23
    assert x_weighted_length("😀")[0] == 2


def test_platform_length_per_platform(checker: Checker) -> None:
    text = "お知らせです。" * 30  # 210 characters
    assert "platform-length" in rules_of(checker.check(text, CheckContext(platform="x")))
    assert "platform-length" not in rules_of(checker.check(text, CheckContext(platform="facebook")))
    assert "platform-length" not in rules_of(checker.check(text))


def test_opinion_needs_disclaimer(checker: Checker) -> None:
    text = "町の予算はもっと子育てに使うべきだと思います。"
    assert "opinion-without-disclaimer" in rules_of(checker.check(text))
    assert "opinion-without-disclaimer" not in rules_of(checker.check("私見ですが、" + text))


_YEAR = st.sampled_from(
    ["", "0000年", "9999年", "10000年", "令和0年", "令和元年", "昭和 5 年", "平成31年", "2025/",
     "2025.", "1/", "x/2025/", "12 / "]
)  # fmt: skip
_DATE = st.builds(
    lambda year, month, sep, day, weekday: f"{year}{month}{sep}{day}{weekday}",
    _YEAR,
    st.integers(0, 13).map(str),
    st.sampled_from(["月", "/"]),
    st.integers(0, 32).map(str),
    st.sampled_from(["日", "日(月)", "日（土・祝）", "(金)", ""]),
)
_FILLER = st.sampled_from(
    ["〜", "から", "、", " ", "。", "\n", "090-1234-5678", "https://x.jp/", "山田太郎さん"]
)


@settings(max_examples=400, deadline=None)
@given(
    pieces=st.lists(st.one_of(_DATE, _FILLER), max_size=12),
    today=st.sampled_from([date(1, 1, 1), date(2025, 6, 1), date(9999, 12, 31)]),
)
def test_odd_dates_and_numbers_never_break_the_check(
    checker: Checker, pieces: list[str], today: date
) -> None:
    """A draft is data from anyone: whatever dates it writes, the check returns findings."""
    findings = checker.check("".join(pieces), CheckContext(now=today))
    assert all(f.line >= 1 and f.column >= 1 for f in findings)


def test_a_year_that_does_not_exist_is_an_impossible_date(checker: Checker) -> None:
    found = [f for f in checker.check("0000年1月1日に開催します。") if f.rule == "date-impossible"]
    assert [f.excerpt for f in found] == ["0000年1月1日"]


def test_without_the_private_regex_parser_every_rule_runs_and_finds_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The prefilter reads re's private parser; a Python without it only loses speed."""
    from test_checker_corpus import load_corpus

    from gateway.checker import prefilter
    from gateway.checker.engine import RegexRule

    drafts = load_corpus()
    filtered = Checker.load()
    expected = [filtered.check(d.text, d.ctx) for d in drafts]
    monkeypatch.setattr(prefilter, "sre_parse", None)
    unfiltered = Checker.load()
    assert all(r.trigger == () for r in unfiltered.rules if isinstance(r, RegexRule))
    assert [unfiltered.check(d.text, d.ctx) for d in drafts] == expected


def test_a_parse_tree_the_prefilter_does_not_know_gives_no_clauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gateway.checker import prefilter

    class OddParser:
        @staticmethod
        def parse(pattern: str, flags: int) -> list:
            return [(prefilter.C.IN, None)]  # not the shape the walk expects

    monkeypatch.setattr(prefilter, "sre_parse", OddParser)
    assert prefilter.required_strings(re.compile("部外秘")) == ()


# The phone regex as written for people; detectors._PHONE_RE is the same, reshaped so
# that `re` can skip positions where no number starts. Both must find the same numbers.
_DASHES = r"[-‐‑–—−ー ]"
_READABLE_PHONE_RE = re.compile(
    rf"(?<![\d-])(?:\+81{_DASHES}?(?:\(0\){_DASHES}?|0)?(?=[1-9])|\((?=0\d{{1,4}}\))0|0)"
    rf"\d{{1,4}}(?:\){_DASHES}?|{_DASHES}?\((?=\d{{1,4}}\))|{_DASHES})?"
    rf"\d{{1,4}}(?:\){_DASHES}?|{_DASHES})?\d{{3,4}}(?![\d-])"
)
_PHONE_PIECES = st.sampled_from(
    ["0", "090", "0266", "41", "1111", "1234", "5678", "+81", "+", "81", "(", ")", "-", "ー",
     " ", "x", "9", "12"]
)  # fmt: skip


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PHONE_PIECES, max_size=14).map("".join))
@example("(0266)41-1111 +81-90-1234-5678 090-1234-5678")
@example("1-090-1234-5678 x090-1234-5678 (090)1234-5678")
@example("+81 (0)90-1234-5678 +81-90-1234-5678 0266(41)1112 0266 (41) 1112")
def test_the_fast_phone_regex_finds_what_the_readable_one_finds(text: str) -> None:
    readable = [m.span() for m in _READABLE_PHONE_RE.finditer(text)]
    assert [m.span() for m in _PHONE_RE.finditer(text)] == readable


# The date regex without the look-aheads that only make it faster (detectors._DATE_RE).
_KN = "[〇一二三四五六七八九十]{1,3}"
_READABLE_DATE_RE = re.compile(
    r"(?:(?P<era>令和|平成|昭和|(?<![A-Za-z])[RHS])\s*(?P<ey>元|\d{1,2}|" + _KN + r")\s*年\s*"
    r"|(?P<y>\d{4}|[〇一二三四五六七八九]{4})\s*年\s*)?"
    r"(?<![〇一二三四五六七八九十百])(?P<m>\d{1,2}|"
    + _KN
    + r")\s*月\s*(?P<d>\d{1,2}|"
    + _KN
    + r")\s*日"
    r"|(?<![\d/.])(?:(?P<y2>\d{4})\s*[/.]\s*)?(?P<m2>\d{1,2})\s*/\s*(?P<d2>\d{1,2})(?![\d/])"
    r"|(?<![A-Za-z0-9.])(?:(?P<ea>[RH])(?P<eay>\d{1,2})|(?P<y4>\d{4}))\.(?P<m4>\d{1,2})\.(?P<d4>\d{1,2})(?![\d.])"
    r"|(?:(?<=[〜~\-・、,])|(?<=から))\s*(?P<d3>\d{1,2})\s*日"
)
_DATE_PIECES = st.sampled_from(
    ["2025", "12", "1", "0", "٣", "/", ".", " ", "\n", "年", "月", "日", "令和", "平成",
     "昭和", "令", "元", "〜", "~", "-", "・", "、", ",", "から", "ら", "（土）", "X",
     "十", "一", "二十五", "〇", "R", "H", "S", "R8.", "百"]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(_DATE, _DATE_PIECES), max_size=10).map("".join))
@example("令和 7 年 6月14日（土）〜 22日、2025/6/1(日) と 0266-41-1111、1/2")
@example("十一月二十五日（火）、R8.11.25（火）、H31.4.30、二〇二六年一月一日")
def test_the_fast_date_regex_finds_what_the_readable_one_finds(text: str) -> None:
    readable = [(m.span(), m.groups()) for m in _READABLE_DATE_RE.finditer(text)]
    assert [(m.span(), m.groups()) for m in _DATE_RE.finditer(text)] == readable


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(_DATE, _DATE_PIECES), max_size=10).map("".join))
@example("令和 7 年 6月14日（土）〜 22日、2025/6/1(日) と 0266-41-1111、1/2")
@example("十一月二十五日（火）、R8.11.25（火）、H31.4.30、二〇二六年一月一日、192.168.1.1")
@example("〜22日 R8.11.25 2026.11.25 11/25 10.10.10.")
def test_the_date_regex_of_the_kinds_a_draft_holds_finds_what_the_whole_one_finds(text) -> None:
    """date_matches keeps only the kinds of date whose marks the text has (a digit and
    dot run tried every kind at every digit): the same spans and groups."""
    whole = [(m.span(), m.groupdict()) for m in _DATE_RE.finditer(text)]
    none = dict.fromkeys(_DATE_RE.groupindex)
    assert [(m.span(), none | m.groupdict()) for m in date_matches(text)] == whole


def test_the_date_group_names_are_the_whole_regexs():
    """dates._DATE_GROUPS is written out (the whole regex is compiled only on use)."""
    from gateway.checker.dates import _DATE_GROUPS

    assert tuple(_DATE_RE.groupindex) == _DATE_GROUPS
