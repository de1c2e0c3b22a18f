"""prh notation dictionaries as checker rules: drop a dictionary in, get prh's findings.

A rule file needs only to name the dictionary:

    rules:
      - kind: prh
        dictionary: prh/office-style.yml

Everything else has a default: the id (`prh-` and the dictionary's path), `severity:
info`, no clause, a message saying what to write instead, and the dictionary's own
`specs` as the examples (checked when it loads; a dictionary without specs loads too).
`file` names the file prh's `targets` see the draft as (default `post.txt`).
Reading follows prh_load, matching prh_match; this module joins them to the engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, Rule, RuleLoadError
from gateway.checker.lazyre import deferred
from gateway.checker.prefilter import TriggerScan, passes
from gateway.checker.prh_entry import PrhEntry
from gateway.checker.prh_load import PrhDictionary, UnreadableDictionary, load_dictionary
from gateway.checker.prh_match import Target, find

DEFAULT_MESSAGE = "「{excerpt}」は「{expected}」と書きます{note}。"
DEFAULT_FILE = "post.txt"


_NOT_IN_ID = deferred(r"[^a-z0-9]+")  # compiled once (re's own cache is shared and turns over)


def default_id(dictionary: str) -> str:
    """`prh-` and the dictionary's path without the suffix of its file name, in lower-case
    letters, digits and hyphens (`../prh/WEB+DB_PRESS.yml`: `prh-prh-web-db-press`).
    Read from the string (its separators and dots become hyphens anyway): pathlib's
    objects cost a small dictionary's first load more than its rules, and refused a
    path with no file name (`/`) with a traceback."""
    parts = [p for p in dictionary.split("/") if p and p != "."]
    if parts:
        name = parts[-1]
        dot = name.rfind(".")
        if 0 < dot < len(name) - 1:  # pathlib's suffix: not a leading or a trailing dot
            parts[-1] = name[:dot]
    slug = _NOT_IN_ID.sub("-", "-".join(parts).lower()).strip("-")
    return f"prh-{slug}" if slug else "prh"


def with_defaults(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """A `kind: prh` rule mapping with the fields it may leave out filled in."""
    out = dict(raw)
    dictionary = out.get("dictionary")
    if not isinstance(dictionary, str) or not dictionary.strip():
        raise RuleLoadError(
            path,
            str(out.get("id") or "") or None,
            "prh のルールには dictionary（辞書ファイルの場所）を書いてください。",
            "a prh rule needs dictionary (the path of the dictionary file)",
        )
    if not out.get("id"):
        out["id"] = default_id(dictionary)
    out.setdefault("severity", "info")
    out.setdefault("clause", None)
    out.setdefault("message", DEFAULT_MESSAGE)
    return out


@dataclass
class PrhRule(Rule):
    """A whole prh dictionary as one rule; each hit says what to write instead."""

    resolves_overlaps = True  # hits come thinned by prh's filters: the checker keeps them all

    dictionary: PrhDictionary | None = None
    file: str = DEFAULT_FILE
    entries: tuple[PrhEntry, ...] = field(default_factory=tuple)
    _targets: tuple[Target, ...] | None = None

    @property
    def targets(self) -> tuple[Target, ...]:
        """The dictionary's `targets`, for the first check: as reading a file compiled
        them (to refuse a broken one), or compiled now for a file from the load cache."""
        if self._targets is None:
            assert self.dictionary is not None
            self._targets = tuple(self.dictionary.compiled_targets())
        return self._targets

    def __post_init__(self) -> None:
        assert self.dictionary is not None
        self.entries = tuple(self.dictionary.entries)
        self._prefilter: _Prefilter | None = None  # built on the first check, not at load

    def _index(self) -> _Prefilter:
        if self._prefilter is None:
            assert self.dictionary is not None
            self.dictionary.complete()  # every clause read, the files' records written
            self._prefilter = _Prefilter(self.entries)
        return self._prefilter

    def _present(self, text: str) -> set[str]:
        """The entries' first-clause strings that occur in `text`."""
        return self._index().scan.present(text)

    def candidates(
        self, paragraph: str, whole: tuple[str, set[str]] | None = None
    ) -> list[int]:
        """Indices of the entries that may match in `paragraph`, in dictionary order.
        `whole`: a text and the strings present in it, scanned already; a paragraph that
        is that whole text (a post of one paragraph: most) is not scanned again."""
        index = self._index()
        if whole is not None and paragraph is whole[0]:
            present = whole[1]
        else:
            present = index.scan.present(paragraph)
        todo = set(index.unfiltered)
        for s in present:
            todo.update(index.by_string[s])
        entries = self.entries
        return [i for i in sorted(todo) if passes(entries[i].clauses, paragraph)]

    def hits(self, draft: Draft, ctx: CheckContext) -> Iterable[Hit]:
        text = draft.text
        present = self._present(text)
        if not present and not self._index().unfiltered:
            return []  # no entry's strings anywhere, so in no paragraph: most drafts
        out = []
        # prh's paragraphs are slices of the text: a post of one is the text itself
        candidates = partial(self.candidates, whole=(text, present))
        for d in find(self.entries, self.targets, text, self.file, candidates):
            if d.new_text == text[d.start : d.end]:
                continue  # prh lists it, but there is nothing to change
            note = d.entry.note
            out.append(
                Hit(d.start, d.end, {"expected": d.new_text, "note": f"（{note}）" if note else ""})
            )
        return out


class _Prefilter:
    """The first (rarest) clause of every entry's prefilter, looked for in one pass of a
    paragraph: a dictionary of a thousand rules costs a check little more than a short
    one, and only the entries whose strings occur are tried."""

    def __init__(self, entries: tuple[PrhEntry, ...]) -> None:
        self.by_string: dict[str, list[int]] = {}
        self.unfiltered: list[int] = []  # entries the prefilter knows nothing about
        for i, e in enumerate(entries):
            clauses = e.clauses
            if not clauses:
                self.unfiltered.append(i)
                continue
            for s in clauses[0]:
                self.by_string.setdefault(s, []).append(i)
        self.scan = TriggerScan([tuple(self.by_string)])


def prh_rule(common: dict[str, Any], raw: dict[str, Any], path: Path) -> PrhRule:
    """Build the rule for a `kind: prh` mapping (after `with_defaults`)."""
    dict_path = path.parent / str(raw["dictionary"])
    file = raw.get("file", DEFAULT_FILE)
    if not isinstance(file, str) or not file:
        raise RuleLoadError(
            path, common["id"], "file はファイル名で書いてください。", "file must be a file name"
        )
    try:
        # no is_file() first: reading it says so (that stat was 0.02-0.03 ms of a small
        # dictionary's 0.25-0.35 ms first load, measured as the bench loads)
        dictionary = load_dictionary(dict_path)
        return PrhRule(**common, dictionary=dictionary, file=file)
    except UnreadableDictionary as e:
        if e.missing and e.path == str(dict_path):  # the rule's own dictionary, not an import
            raise RuleLoadError(
                path,
                common["id"],
                f"prh 辞書 {dict_path} が見つかりません。",
                f"prh dictionary not found: {dict_path}",
            ) from None
        raise
    except RuleLoadError:
        raise
    except Exception as e:  # anything unforeseen: still a message naming file and rule
        raise RuleLoadError(
            dict_path,
            common["id"],
            f"prh 辞書を読み込めません（{type(e).__name__}: {e}）。",
            f"cannot load prh dictionary ({type(e).__name__}: {e})",
        ) from e
