"""The rule engine: rule files from `rules/` in, findings out.

A rule is data (id, clause, severity, Japanese message, examples) plus one way of
matching. Token rules (lexicon, sequence) are compiled into one index keyed by Sudachi
normalized/dictionary form, so a draft's tokens are walked once for all of them;
regex and phrase rules run on the NFKC text; detectors are Python for what needs code.
Every rule carries examples that must and must not match; they run when the rules load,
and a rule whose examples fail refuses to load (RuleLoadError).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import compress, count
from pathlib import Path
from typing import Any

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.loadmemo import word_tokens as tokenize  # remembered between starts
from gateway.checker.prefilter import Clauses, passes, required_strings
from gateway.checker.rulefiles import RuleFileError, read_rule_file
from gateway.checker.tokenizer import Columns
from gateway.model import Finding, Severity

CLAUSE_RE = re.compile(r"^[34]\(\d{1,2}\)[アイウエオカキクケコ]?$")
KINDS = ("lexicon", "sequence", "regex", "detector", "prh")


class RuleLoadError(Exception):
    """A rule file or rule is broken; the message names the file and rule, in Japanese and English."""

    def __init__(self, path: Path | str, rule_id: str | None, ja: str, en: str) -> None:
        where = f"{path}" + (f" / rule '{rule_id}'" if rule_id else "")
        super().__init__(
            f"ルールを読み込めません（{where}）: {ja}\nCannot load rule ({where}): {en}"
        )
        self.path = str(path)
        self.rule_id = rule_id


@dataclass(frozen=True, slots=True)
class Hit:
    """Where a rule matched, in original-text offsets, with fields for its message."""

    start: int
    end: int
    fields: dict[str, Any] | None = None


class _SafeFields(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# --- context sets: words or patterns that, near a match, mean "this is not a violation" ---


@dataclass(frozen=True)
class ContextSet:
    name: str
    words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None
    scope: str = "sentence"  # "sentence", "window" (with its neighbours) or "draft"

    def present(self, draft: Draft, start: int) -> bool:
        if self.scope == "draft":
            s, e = 0, len(draft.text)
            if self.words and not self.words.isdisjoint(draft.lemma_set):
                return True
        else:
            s, e = draft.sentence_span(start)
            if self.scope == "window":
                s = draft.sentence_span(max(s - 1, 0))[0] if s > 0 else s
                e = draft.sentence_span(e)[1] if e < len(draft.text) else e
            if self.words:
                for t in draft.tokens_in(s, e):
                    if t.normalized in self.words or t.dictionary_form in self.words:
                        return True
        return bool(self.pattern and self.pattern.search(draft.text, s, e))


# --- token patterns (lexicon and sequence rules share them) ---


@dataclass(frozen=True, slots=True)
class Element:
    forms: frozenset[str] | None = None  # normalized / dictionary / surface forms
    pos: tuple[tuple[str, ...], ...] = ()  # allowed POS prefixes
    conj: tuple[str, ...] = ()  # allowed conjugation-form prefixes (pos[5])
    not_forms: frozenset[str] = frozenset()
    gap: int = 0  # >0: skip up to `gap` arbitrary tokens (no other field used)
    behind: bool = False  # first element only: the token before the match, not reported
    ahead: bool = False  # last element only: the token after the match, not reported
    end_ok: bool = False  # an `ahead` element also accepts the end of the text

    def accepts(self, cols: Columns, i: int) -> bool:
        """Whether morpheme i of a draft's columns fits this element."""
        forms = self.forms
        if forms is not None and not (
            cols.normalized[i] in forms
            or cols.dictionary_forms[i] in forms
            or cols.surfaces[i] in forms
        ):
            return False
        nots = self.not_forms
        if nots and (
            cols.normalized[i] in nots
            or cols.dictionary_forms[i] in nots
            or cols.surfaces[i] in nots
        ):
            return False
        pos = cols.pos[i]
        if self.pos and not any(pos[: len(p)] == p for p in self.pos):
            return False
        return not (self.conj and not any(pos[5].startswith(c) for c in self.conj))


def _match_at(elems: tuple[Element, ...], cols: Columns, i: int, k: int = 0) -> int:
    """Return the index after the match of elems[k:] starting at morpheme i, or -1."""
    n = len(cols.surfaces)
    while k < len(elems):
        el = elems[k]
        if el.gap:
            for skip in range(el.gap + 1):
                j = _match_at(elems, cols, i + skip, k + 1)
                if j >= 0:
                    return j
            return -1
        if el.ahead:
            if i >= n:
                return i if el.end_ok else -1
            return i if el.accepts(cols, i) else -1
        if i >= n or not el.accepts(cols, i):
            return -1
        i += 1
        k += 1
    return i


def _match_pattern(pat: tuple[Element, ...], cols: Columns, i: int) -> int:
    """Match a whole pattern whose first reported morpheme is i."""
    if pat[0].behind:
        if i == 0 or not pat[0].accepts(cols, i - 1):
            return -1
        return _match_at(pat, cols, i, 1)
    return _match_at(pat, cols, i)


def _pos_tuple(spec: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in spec.split(",") if p.strip())


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


# --- rules ---


@dataclass
class Rule:
    """One rule as loaded from a file. Subclasses say how it matches."""

    id: str
    clause: str | None
    severity: Severity
    message: str
    kind: str
    source: str
    unless: tuple[ContextSet, ...] = ()
    examples_match: list[tuple[str, CheckContext]] = field(default_factory=list)
    examples_no_match: list[tuple[str, CheckContext]] = field(default_factory=list)

    # token rules expose patterns; others implement hits()
    patterns: tuple[tuple[Element, ...], ...] = ()

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        return ()

    def suppressed(self, draft: Draft, hit: Hit) -> bool:
        return any(c.present(draft, hit.start) for c in self.unless)

    def finding(self, draft: Draft, hit: Hit) -> Finding:
        line, col = draft.line_col(min(hit.start, max(len(draft.text) - 1, 0)))
        fields = _SafeFields(hit.fields or {})
        excerpt = draft.text[hit.start : hit.end] or str(fields.get("excerpt", ""))
        fields.setdefault("excerpt", excerpt)
        return Finding(
            rule=self.id,
            clause=self.clause,
            severity=self.severity,
            line=line,
            column=col,
            excerpt=excerpt,
            message=self.message.format_map(fields),
        )


@dataclass
class TokenRule(Rule):
    """lexicon / sequence: matched on Sudachi tokens (plus optional literal phrases)."""

    phrase_re: re.Pattern[str] | None = None
    phrase_trigger: Clauses = ()  # characters a phrase cannot match without (prefilter)

    def __post_init__(self) -> None:
        if self.phrase_re is not None:
            self.phrase_trigger = required_strings(self.phrase_re)

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        # token patterns are run by the shared index (TokenIndex); only phrases here.
        # A plain function, not a generator: most drafts stop at the prefilter.
        if self.phrase_re is None or not passes(self.phrase_trigger, draft.norm):
            return ()
        return [
            Hit(*draft.orig_span(m.start(), m.end())) for m in self.phrase_re.finditer(draft.norm)
        ]


@dataclass
class RegexRule(Rule):
    regex: re.Pattern[str] | None = None
    group: int | str = 0
    trigger: Clauses = ()  # characters the regex cannot match without (prefilter)

    def __post_init__(self) -> None:
        if self.regex is not None:
            self.trigger = required_strings(self.regex)

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        assert self.regex is not None
        if not passes(self.trigger, draft.norm):  # most drafts stop here
            return ()
        group = self.group
        return [
            Hit(*draft.orig_span(m.start(group), m.end(group)), m.groupdict())
            for m in self.regex.finditer(draft.norm)
        ]


Detector = Callable[[Draft, CheckContext, Any], Iterable[Hit]]
OptionReader = Callable[[dict[str, Any]], Any]
# name -> (detector, reader turning the rule file's options into what the detector uses)
DETECTORS: dict[str, tuple[Detector, OptionReader]] = {}


def detector(name: str, options: OptionReader = dict) -> Callable[[Detector], Detector]:
    """Register a Python detector under the name rule files use (`detector: NAME`).

    `options` reads the rule's options once, when the rule loads (word lists become sets,
    regexes are compiled), so a check does not redo that for every draft.
    """

    def deco(fn: Detector) -> Detector:
        DETECTORS[name] = (fn, options)
        return fn

    return deco


@dataclass
class DetectorRule(Rule):
    fn: Detector | None = None
    options: dict[str, Any] = field(default_factory=dict)
    settings: Any = None  # the options as the detector's reader made them

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        assert self.fn is not None
        return self.fn(draft, ctx, self.settings)


class TokenIndex:
    """All token patterns of many rules, keyed by the forms their first element accepts."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        # form -> (rule, pattern, forms the next morpheme must have or None): most
        # candidates fail on the next morpheme (し of します is not し+ね): tested first
        self.by_form: dict[str, list[tuple[Rule, tuple[Element, ...], frozenset[str] | None]]]
        self.by_form = defaultdict(list)
        self.scan: list[tuple[Rule, tuple[Element, ...]]] = []
        for rule in rules:
            for pat in rule.patterns:
                k = 1 if pat[0].behind else 0
                first = pat[k]
                if first.forms:
                    follow = _follow_forms(pat, k + 1)
                    for f in first.forms:
                        self.by_form[f].append((rule, pat, follow))
                else:
                    self.scan.append((rule, pat))
        self.by_form = dict(self.by_form)
        self.forms = frozenset(self.by_form)

    def starts(self, cols: Columns) -> list[int]:
        """Indices of the morphemes a pattern may start at: one of their forms is a key.

        Set operations over each column, in C (isdisjoint, compress/map); the lookups and
        pattern matches in run() are left for the few morphemes that are keys.
        """
        forms = self.forms
        is_key = forms.__contains__
        hits: set[int] = set()
        for column in (cols.normalized, cols.dictionary_forms, cols.surfaces):
            if not forms.isdisjoint(column):
                hits.update(compress(count(), map(is_key, column)))
        return sorted(hits)

    def run(self, draft: Draft) -> Iterator[tuple[Rule, Hit]]:
        cols = draft.columns
        starts = self.starts(cols)
        if starts:
            yield from self._run_keyed(draft, cols, starts)
        if self.scan:
            begins, ends = draft.token_starts, cols.ends
            for i in range(len(ends)):
                for rule, pat in self.scan:
                    j = _match_pattern(pat, cols, i)
                    if j > i:
                        yield rule, Hit(begins[i], ends[j - 1])

    def _run_keyed(
        self, draft: Draft, cols: Columns, starts: list[int]
    ) -> Iterator[tuple[Rule, Hit]]:
        get = self.by_form.get
        normalized, dictionary_forms, surfaces = (
            cols.normalized,
            cols.dictionary_forms,
            cols.surfaces,
        )
        n = len(surfaces)
        for i in starts:
            norm, dict_form, surface = normalized[i], dictionary_forms[i], surfaces[i]
            cands = get(norm)
            if dict_form != norm:
                more = get(dict_form)
                if more:
                    cands = (cands or []) + more
            if surface != norm and surface != dict_form:
                more = get(surface)
                if more:
                    cands = (cands or []) + more
            if not cands:
                continue
            seen: set[int] = set()
            nxt = i + 1
            for rule, pat, follow in cands:
                if follow is not None and (
                    nxt >= n
                    or not (
                        normalized[nxt] in follow
                        or dictionary_forms[nxt] in follow
                        or surfaces[nxt] in follow
                    )
                ):
                    continue
                key = id(pat)
                if key in seen:
                    continue
                seen.add(key)
                j = _match_pattern(pat, cols, i)
                if j > i:
                    yield rule, Hit(draft.token_starts[i], cols.ends[j - 1])


def _follow_forms(pat: tuple[Element, ...], k: int) -> frozenset[str] | None:
    """The forms element k of a pattern requires, when it is a plain word (no gap, no
    look-ahead): a morpheme without one of them ends every match there. None: no test."""
    if k >= len(pat):
        return None
    el = pat[k]
    if el.forms is None or el.gap or el.ahead or el.behind:
        return None
    return el.forms


# --- loading ---


def _parse_context(raw: Any, path: Path, rule_id: str) -> CheckContext:
    if raw is None:
        return CheckContext()
    if not isinstance(raw, dict):
        raise RuleLoadError(
            path, rule_id, "例の context は表にしてください。", "example context must be a mapping"
        )
    kw: dict[str, Any] = {}
    for k, v in raw.items():
        if k == "schedule" and v is not None:
            kw[k] = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        elif k == "now" and v is not None:
            kw[k] = v if isinstance(v, date) else date.fromisoformat(str(v))
        elif isinstance(v, list):
            kw[k] = tuple(str(x) for x in v)
        else:
            kw[k] = v
    try:
        return CheckContext(**kw)
    except TypeError as e:
        raise RuleLoadError(
            path, rule_id, f"例の context が不正です: {e}", f"bad example context: {e}"
        ) from e


def _examples(raw: Any, path: Path, rule_id: str, required: bool = True) -> tuple[list, list]:
    if not required and raw is None:
        return [], []
    if not isinstance(raw, dict) or (required and not raw.get("match")):
        raise RuleLoadError(
            path,
            rule_id,
            "examples.match（当てはまる例）を1つ以上書いてください。",
            "examples.match needs at least one example",
        )
    out: tuple[list, list] = ([], [])
    for key, dest in (("match", out[0]), ("no_match", out[1])):
        for item in _as_list(raw.get(key)):
            if isinstance(item, dict):
                dest.append((str(item["text"]), _parse_context(item.get("context"), path, rule_id)))
            else:
                dest.append((str(item), CheckContext()))
    return out


def _compile_regex(src: str, flags: str, path: Path, rule_id: str) -> re.Pattern[str]:
    f = 0
    for ch in flags or "":
        f |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(ch, 0)
    try:
        return re.compile(src, f)
    except re.error as e:
        raise RuleLoadError(path, rule_id, f"正規表現が不正です: {e}", f"invalid regex: {e}") from e


def _element(spec: Any, path: Path, rule_id: str) -> Element:
    if isinstance(spec, str):
        forms = frozenset(_entry_forms(spec))
        return Element(forms=forms)
    if not isinstance(spec, dict):
        raise RuleLoadError(path, rule_id, "sequence の要素が不正です。", "bad sequence element")
    if "gap" in spec:
        return Element(gap=int(spec["gap"]))
    forms = None
    if "forms" in spec:
        forms = frozenset(f for w in _as_list(spec["forms"]) for f in _entry_forms(str(w)))
    return Element(
        forms=forms,
        pos=tuple(_pos_tuple(p) for p in _as_list(spec.get("pos"))),
        conj=tuple(_as_list(spec.get("conj"))),
        not_forms=frozenset(_as_list(spec.get("not"))),
        behind=bool(spec.get("behind")),
        ahead=bool(spec.get("ahead")),
        end_ok=bool(spec.get("end_ok")),
    )


def _entry_forms(word: str) -> list[str]:
    """Forms a one-token lexicon word is known by: as written, normalized, dictionary form."""
    toks = tokenize(word)
    forms = [word]
    if len(toks) == 1:
        forms += [toks[0].normalized, toks[0].dictionary_form]
    return list(dict.fromkeys(forms))


def _lexicon_patterns(
    words: list[str],
    pos: tuple[tuple[str, ...], ...],
    conj: tuple[str, ...],
    not_next: frozenset[str] = frozenset(),
) -> list:
    """Each word as a token sequence; `not_next` forms may not follow (ばか|でかい)."""
    pats = []
    for w in words:
        toks = tokenize(w)
        if not toks:
            continue
        elems = []
        for k, t in enumerate(toks):
            forms = frozenset({t.normalized, t.dictionary_form, t.surface})
            if k == 0:
                elems.append(Element(forms=forms, pos=pos, conj=conj if len(toks) == 1 else ()))
            else:
                elems.append(Element(forms=forms))
        if not_next:
            elems.append(Element(ahead=True, end_ok=True, not_forms=not_next))
        pats.append(tuple(elems))
    return pats


def _phrase_regex(phrases: list[str]) -> re.Pattern[str] | None:
    import unicodedata

    if not phrases:
        return None
    alts = sorted({unicodedata.normalize("NFKC", p) for p in phrases}, key=len, reverse=True)
    return re.compile("|".join(re.escape(a) for a in alts), re.IGNORECASE)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        data = read_rule_file(path) or {}  # parsed once per content (load cache)
    except RuleFileError as e:
        raise RuleLoadError(
            path, None, f"ファイルを読めません: {e}", f"cannot read file: {e}"
        ) from e
    if not isinstance(data, dict):
        raise RuleLoadError(path, None, "最上位は表にしてください。", "top level must be a mapping")
    return data


def _context_sets(data: dict[str, Any], path: Path) -> dict[str, ContextSet]:
    out = {}
    for name, spec in (data.get("contexts") or {}).items():
        words = frozenset(f for w in _as_list(spec.get("words")) for f in _entry_forms(str(w)))
        pats = _as_list(spec.get("patterns"))
        pattern = (
            _compile_regex("|".join(f"(?:{p})" for p in pats), "", path, f"contexts.{name}")
            if pats
            else None
        )
        out[name] = ContextSet(name, words, pattern, spec.get("scope", "sentence"))
    return out


def build_rule(raw: dict[str, Any], path: Path, contexts: dict[str, ContextSet]) -> Rule:
    """Turn one rule mapping from a file into a Rule, checking every field."""
    if raw.get("kind") == "prh":  # a rule that only names a dictionary is enough
        from gateway.checker.prh import with_defaults

        raw = with_defaults(raw, path)
    rule_id = str(raw.get("id") or "")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", rule_id):
        raise RuleLoadError(
            path,
            rule_id or None,
            "id は英小文字・数字・ハイフンで書いてください。",
            "id must be kebab-case ASCII",
        )
    clause = raw.get("clause")
    if clause is not None and not CLAUSE_RE.match(str(clause)):
        raise RuleLoadError(
            path,
            rule_id,
            f"clause '{clause}' は 3(7)エ のように書いてください。",
            f"clause '{clause}' must look like 3(7)エ",
        )
    try:
        severity = Severity(str(raw.get("severity")))
    except ValueError:
        raise RuleLoadError(
            path,
            rule_id,
            "severity は error / warning / info のいずれかです。",
            "severity must be error, warning or info",
        ) from None
    message = str(raw.get("message") or "").strip()
    if not message:
        raise RuleLoadError(
            path, rule_id, "message（対応を伝える日本語）を書いてください。", "message is required"
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise RuleLoadError(
            path,
            rule_id,
            f"kind は {', '.join(KINDS)} のいずれかです。",
            f"kind must be one of {KINDS}",
        )
    unless = []
    for name in _as_list(raw.get("unless")):
        if name not in contexts:
            raise RuleLoadError(
                path,
                rule_id,
                f"unless の '{name}' が contexts にありません。",
                f"unless names unknown context '{name}'",
            )
        unless.append(contexts[name])
    # a prh rule's examples are its dictionary's specs; its own are optional
    ex_match, ex_no = _examples(raw.get("examples"), path, rule_id, required=kind != "prh")
    common = dict(
        id=rule_id,
        clause=str(clause) if clause is not None else None,
        severity=severity,
        message=message,
        kind=kind,
        source=str(path),
        unless=tuple(unless),
        examples_match=ex_match,
        examples_no_match=ex_no,
    )
    if kind == "lexicon":
        pos = tuple(_pos_tuple(p) for p in _as_list(raw.get("pos")))
        conj = tuple(_as_list(raw.get("conj")))
        not_next = frozenset(f for w in _as_list(raw.get("not_next")) for f in _entry_forms(str(w)))
        words = [str(w) for w in _as_list(raw.get("words"))]
        pats = _lexicon_patterns(words, pos, conj, not_next)
        phrase_re = _phrase_regex([str(p) for p in _as_list(raw.get("phrases"))])
        if not pats and phrase_re is None:
            raise RuleLoadError(
                path,
                rule_id,
                "words か phrases を書いてください。",
                "lexicon needs words or phrases",
            )
        return TokenRule(**common, patterns=tuple(pats), phrase_re=phrase_re)
    if kind == "sequence":
        seqs = raw.get("patterns") or ([raw["pattern"]] if "pattern" in raw else [])
        pats = []
        for seq in seqs:
            elems = tuple(_element(e, path, rule_id) for e in _as_list(seq))
            core = [e for e in elems if not (e.behind or e.ahead)]
            bad_edges = any(e.behind for e in elems[1:]) or any(e.ahead for e in elems[:-1])
            if not core or core[0].gap or core[-1].gap or bad_edges:
                raise RuleLoadError(
                    path,
                    rule_id,
                    "sequence は語で始まり語で終わる必要があります。",
                    "a sequence must start and end with a token element",
                )
            pats.append(elems)
        if not pats:
            raise RuleLoadError(
                path, rule_id, "pattern を書いてください。", "sequence needs pattern(s)"
            )
        return TokenRule(**common, patterns=tuple(pats))
    if kind == "regex":
        src = raw.get("pattern")
        if isinstance(src, list):
            src = "|".join(f"(?:{p})" for p in src)
        if not src:
            raise RuleLoadError(path, rule_id, "pattern を書いてください。", "regex needs pattern")
        return RegexRule(
            **common,
            regex=_compile_regex(str(src), str(raw.get("flags", "")), path, rule_id),
            group=raw.get("group", 0),
        )
    if kind == "detector":
        name = raw.get("detector")
        if name not in DETECTORS:
            raise RuleLoadError(
                path, rule_id, f"detector '{name}' はありません。", f"unknown detector '{name}'"
            )
        fn, read_options = DETECTORS[name]
        options = raw.get("options") or {}
        if not isinstance(options, dict):
            raise RuleLoadError(
                path, rule_id, "options は表にしてください。", "options must be a mapping"
            )
        try:
            settings = read_options(dict(options))
        except (KeyError, TypeError, ValueError, re.error) as e:
            raise RuleLoadError(
                path, rule_id, f"options が不正です: {e}", f"bad options: {e}"
            ) from e
        return DetectorRule(**common, fn=fn, options=dict(options), settings=settings)
    from gateway.checker.prh import prh_rule

    return prh_rule(common, raw, path)


def load_rules(rules_dir: Path) -> list[Rule]:
    """Read every *.yaml / *.yml / *.toml directly in `rules_dir` and build its rules."""
    from gateway.checker import detectors, lookalike  # noqa: F401  (register detectors)

    files = sorted(
        p for p in rules_dir.iterdir() if p.suffix in (".yaml", ".yml", ".toml") and p.is_file()
    )
    if not files:
        raise RuleLoadError(rules_dir, None, "ルールファイルがありません。", "no rule files found")
    datas = [(p, _read_file(p)) for p in files]
    contexts: dict[str, ContextSet] = {}
    for p, d in datas:
        contexts.update(_context_sets(d, p))
    rules: list[Rule] = []
    ids: dict[str, str] = {}
    for p, d in datas:
        for raw in _as_list(d.get("rules")):
            if not isinstance(raw, dict):
                raise RuleLoadError(
                    p, None, "rules の各項目は表にしてください。", "each rule must be a mapping"
                )
            rule = build_rule(raw, p, contexts)
            if rule.id in ids:
                raise RuleLoadError(
                    p,
                    rule.id,
                    f"id が {ids[rule.id]} と重複しています。",
                    f"duplicate id (also in {ids[rule.id]})",
                )
            ids[rule.id] = str(p)
            rules.append(rule)
    return rules
