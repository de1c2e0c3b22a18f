"""Rule files in, rules out: reading `rules/*.yaml|toml` and building each rule.

Split from the engine (which matches rules on a draft) because reading and validating
rule files is its own job: every mistake in a file is a RuleLoadError naming the file
and the rule, in Japanese and English, and never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gateway.checker.context import CheckContext
from gateway.checker.contexts import ContextSet
from gateway.checker.engine import (
    CLAUSE_RE,
    COMPOUNDS,
    DETECTORS,
    DICTIONARY,
    FORMS,
    KINDS,
    NORMALIZED,
    DetectorRule,
    Element,
    RegexRule,
    Rule,
    RuleLoadError,
    TokenRule,
)
from gateway.checker.fold import (
    SpelledWords,
    fold_word,
)
from gateway.checker.lazyre import deferred
from gateway.checker.loadmemo import compile_regex
from gateway.checker.loadmemo import word_tokens as tokenize  # remembered between starts
from gateway.checker.rulefiles import RuleFileError, read_rule_file
from gateway.model import Severity

# a rule's id: compiled once, not looked up in re's cache per rule (a cache the rules'
# own regexes turn over, so that it compiled again on every load)
_RULE_ID = deferred(r"[a-z0-9][a-z0-9-]*")


def _pos_tuple(spec: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in spec.split(",") if p.strip())


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    return list(v) if isinstance(v, list | tuple) else [v]


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


def _examples(raw: Any, path: Path, rule_id: str, required: bool = True) -> tuple[list, list, list]:
    if not required and raw is None:
        return [], [], []
    if not isinstance(raw, dict) or (required and not raw.get("match")):
        raise RuleLoadError(
            path,
            rule_id,
            "examples.match（当てはまる例）を1つ以上書いてください。",
            "examples.match needs at least one example",
        )
    out: tuple[list, list, list] = ([], [], [])
    for key, dest in (("match", out[0]), ("no_match", out[1]), ("soft", out[2])):
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
        return compile_regex(src, f)  # compiled on first use once known to compile
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
    form = spec.get("form", "normalized")
    if form not in FORMS:
        raise RuleLoadError(
            path,
            rule_id,
            f"form は {', '.join(FORMS)} のいずれかです。",
            f"form must be one of {list(FORMS)}",
        )
    if "forms" in spec:
        forms = frozenset(
            f for w in _as_list(spec["forms"]) for f in _entry_forms(str(w), FORMS[form])
        )
    return Element(
        forms=forms,
        cols=FORMS[form],
        pos=tuple(_pos_tuple(p) for p in _as_list(spec.get("pos"))),
        conj=tuple(_as_list(spec.get("conj"))),
        not_forms=frozenset(_as_list(spec.get("not"))),
        behind=bool(spec.get("behind")),
        ahead=bool(spec.get("ahead")),
        end_ok=bool(spec.get("end_ok")),
    )


def _entry_forms(word: str, cols: int = 7) -> list[str]:
    """Forms a one-token word is known by: as written, and (as `cols` allows) its
    dictionary form and normalized form."""
    toks = tokenize(word)
    forms = [word]
    if len(toks) == 1:
        if cols & DICTIONARY:
            forms.append(toks[0].dictionary_form)
        if cols & NORMALIZED:
            forms.append(toks[0].normalized)
    return list(dict.fromkeys(forms))


@dataclass(frozen=True)
class Entry:
    """One lexicon word and how it is matched.

    form: `surface` (only as written), `dictionary` (any inflection of the word as
    written: 殺す matches 殺した; ババア does not match おばあさん, whose ばあ is also 婆),
    `normalized` (also spelling variants Sudachi normalizes: 馬鹿 / バカ / ばか).
    imperative: only the imperative (命令形) of the word.
    compound: may the word sit inside a longer katakana or kanji word (COMPOUNDS).
    """

    word: str
    form: str = "dictionary"
    imperative: bool = False
    compound: str = "none"


def _entries(raw: Any, form: str, compound: str, path: Path, rule_id: str) -> list[Entry]:
    out = []
    for item in _as_list(raw):
        spec = item if isinstance(item, dict) else {"word": item}
        entry = Entry(
            word=str(spec.get("word") or ""),
            form=str(spec.get("form", form)),
            imperative=bool(spec.get("imperative", False)),
            compound=str(spec.get("compound", compound)),
        )
        if not entry.word or entry.form not in FORMS or entry.compound not in COMPOUNDS:
            raise RuleLoadError(
                path,
                rule_id,
                f"語の書き方が不正です: {item!r}（form: {'/'.join(FORMS)}、compound: {'/'.join(COMPOUNDS)}）",
                f"bad lexicon entry {item!r} (form: {list(FORMS)}, compound: {list(COMPOUNDS)})",
            )
        out.append(entry)
    return out


def _lexicon_patterns(
    entries: list[Entry],
    pos: tuple[tuple[str, ...], ...],
    conj: tuple[str, ...],
    not_next: frozenset[str] = frozenset(),
) -> list:
    """Each entry as a token sequence; `not_next` forms may not follow (ばか|でかい)."""
    pats = []
    for entry in entries:
        toks = tokenize(entry.word)
        if not toks:
            continue
        cols = FORMS[entry.form]
        last = len(toks) - 1
        elems = []
        for k, t in enumerate(toks):
            forms = {t.surface}
            if cols & DICTIONARY and (k == last or t.surface == t.dictionary_form):
                forms.add(t.dictionary_form)
            if cols & NORMALIZED:
                forms.add(t.normalized)
            c = conj if len(toks) == 1 else ()
            if entry.imperative and k == last:
                c = ("命令形",)
            elems.append(
                Element(
                    forms=frozenset(forms),
                    pos=pos if k == 0 else (),
                    conj=c,
                    cols=cols,
                    compound=entry.compound if k == 0 else "any",
                )
            )
        if not_next:
            elems.append(Element(ahead=True, end_ok=True, not_forms=not_next))
        pats.append(tuple(elems))
    return pats


def _phrase_regex(phrases: list[str]) -> re.Pattern[str] | None:
    import unicodedata

    if not phrases:
        return None
    # longest first; the same order in every process (the load cache knows the pattern)
    alts = sorted({unicodedata.normalize("NFKC", p) for p in phrases}, key=lambda a: (-len(a), a))
    return compile_regex("|".join(re.escape(a) for a in alts), re.IGNORECASE)


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


SCOPES = ("sentence", "window", "draft", "after")


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
        scope = str(spec.get("scope", "sentence"))
        if scope not in SCOPES or (scope == "after" and (words or pattern is None)):
            raise RuleLoadError(
                path,
                None,
                f"contexts.{name}: scope は {'/'.join(SCOPES)} のいずれかです（after は patterns だけ）。",
                f"contexts.{name}: scope must be one of {list(SCOPES)} (after: patterns only)",
            )
        out[name] = ContextSet(name, words, pattern, scope, bool(spec.get("quoted")))
    return out


def build_rule(raw: dict[str, Any], path: Path, contexts: dict[str, ContextSet]) -> Rule:
    """Turn one rule mapping from a file into a Rule, checking every field."""
    if raw.get("kind") == "prh":  # a rule that only names a dictionary is enough
        from gateway.checker.prh import with_defaults

        raw = with_defaults(raw, path)
    rule_id = str(raw.get("id") or "")
    if not _RULE_ID.fullmatch(rule_id):
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
    unless, soften = [], []
    for key, dest in (("unless", unless), ("soften", soften)):
        for name in _as_list(raw.get(key)):
            if name not in contexts:
                raise RuleLoadError(
                    path,
                    rule_id,
                    f"{key} の '{name}' が contexts にありません。",
                    f"{key} names unknown context '{name}'",
                )
            dest.append(contexts[name])
    # a prh rule's examples are its dictionary's specs; its own are optional
    ex_match, ex_no, ex_soft = _examples(raw.get("examples"), path, rule_id, required=kind != "prh")
    # a detector may soften its own hits (a date without a year)
    if ex_soft and (severity is not Severity.ERROR or not (soften or kind == "detector")):
        raise RuleLoadError(
            path,
            rule_id,
            "examples.soft は soften のある error のルール（または detector）にだけ書けます。",
            "examples.soft needs an error rule with soften, or a detector",
        )
    common = dict(
        id=rule_id,
        clause=str(clause) if clause is not None else None,
        severity=severity,
        message=message,
        kind=kind,
        source=str(path),
        unless=tuple(unless),
        soften=tuple(soften),
        soft_message=str(raw["soft_message"]).strip() if raw.get("soft_message") else None,
        examples_match=ex_match,
        examples_no_match=ex_no,
        examples_soft=ex_soft,
    )
    if kind == "lexicon":
        pos = tuple(_pos_tuple(p) for p in _as_list(raw.get("pos")))
        conj = tuple(_as_list(raw.get("conj")))
        not_next = frozenset(f for w in _as_list(raw.get("not_next")) for f in _entry_forms(str(w)))
        form = str(raw.get("form", "dictionary"))
        compound = str(raw.get("compound", "none"))
        if form not in FORMS or compound not in COMPOUNDS:
            raise RuleLoadError(
                path,
                rule_id,
                f"form は {'/'.join(FORMS)}、compound は {'/'.join(COMPOUNDS)} のいずれかです。",
                f"form must be one of {list(FORMS)}, compound one of {list(COMPOUNDS)}",
            )
        entries = _entries(raw.get("words"), form, compound, path, rule_id)
        pats = _lexicon_patterns(entries, pos, conj, not_next)
        phrase_re = _phrase_regex([str(p) for p in _as_list(raw.get("phrases"))])
        spelled = SpelledWords(fold_word(str(w)) for w in _as_list(raw.get("spelled"))) or None
        if not pats and phrase_re is None and spelled is None:
            raise RuleLoadError(
                path,
                rule_id,
                "words か phrases か spelled を書いてください。",
                "lexicon needs words, phrases or spelled",
            )
        return TokenRule(
            **common,
            not_followed=tuple(str(w) for w in _as_list(raw.get("not_next"))),
            patterns=tuple(pats),
            phrase_re=phrase_re,
            spelled=spelled,
            compound=compound,
        )
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
    from gateway.checker import dates, detectors, links, lookalike  # noqa: F401  (register detectors)

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
