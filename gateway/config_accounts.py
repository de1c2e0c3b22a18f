"""The config's people: [[people]] (one person, several addresses) and [[accounts]] with the
section's own review rules (clause 4(4): stages, a required role, a pool, emergencies and
定型文), every address read as a person key (gateway.identity).

Apart from the top-level tables (gateway.config) because this is where who may approve what
is decided, and it is read and reviewed as one piece.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from gateway.config_reader import ConfigError, TableReader
from gateway.identity import AddressError, People, canonical_address, people_from
from gateway.records import AccountRules, FixedText, Stage
from gateway.settings import PLATFORMS, Account


def config_address(reader: TableReader, name: str, value: str) -> str:
    """The canonical spelling (gateway.identity); odd addresses are config errors."""
    try:
        return canonical_address(value)
    except AddressError as exc:
        raise reader.fail(name, f"{exc.ja}（{value}）", f"{exc.en}") from None


def read_people(data: Mapping[str, Any], file: str) -> People:
    """`[[people]]`: name = "…", addresses = ["kacho@…", "yamada.t@…"] — one person who
    writes from several addresses. The first address is where mail to them goes."""
    raw = data.get("people", [])
    if not isinstance(raw, list):
        raise ConfigError(
            file, "people", "[[people]] の表で指定してください。", "must be [[people]] tables"
        )
    entries = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(file, f"people[{i}]", "表で指定してください。", "must be a table")
        r = TableReader(file, item, f"people[{i}]")
        name = r.str("name", required=False) or ""
        addresses = [
            config_address(r, "addresses", a) for a in r.str_list("addresses", required=True)
        ]
        if not addresses:
            raise r.fail(
                "addresses",
                "アドレスを一つ以上指定してください。",
                "must name at least one address",
            )
        entries.append((name, addresses))
    try:
        return people_from(entries)
    except ValueError as exc:
        raise ConfigError(
            file,
            "people",
            "同じアドレスが二人の [[people]] に書かれています。",
            str(exc),
        ) from None


def read_accounts(data: Mapping[str, Any], file: str, people: People) -> tuple[Account, ...]:
    """`[[accounts]]`: at least one; each names its platform and at least two reviewers."""
    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, list) or not raw_accounts:
        raise ConfigError(
            file,
            "accounts",
            "[[accounts]] を一つ以上指定してください。",
            "at least one [[accounts]] table is required",
        )
    accounts: list[Account] = []
    for i, raw in enumerate(raw_accounts):
        if not isinstance(raw, dict):
            raise ConfigError(file, f"accounts[{i}]", "表で指定してください。", "must be a table")
        acc = TableReader(file, raw, f"accounts[{i}]")
        name = acc.str("name") or ""
        platform = acc.str("platform") or ""
        if platform not in PLATFORMS:
            raise acc.fail(
                "platform",
                f"{platform} は使えません。{' / '.join(PLATFORMS)} のいずれかにしてください。",
                f"unknown platform {platform!r}; use one of {', '.join(PLATFORMS)}",
            )
        rules = _account_rules(acc, people)
        reviewers = person_list(acc, "reviewers", people, required=not rules.stages)
        if not reviewers:  # stages alone: everyone of every stage, in order
            reviewers = tuple(dict.fromkeys(m for st in rules.stages for m in st.members))
        if acc.data.get("required") is not None:
            rules = _pool(acc, rules, reviewers)
        if len(set(reviewers)) < 2:
            raise acc.fail(
                "reviewers",
                "確認者を二人以上指定してください（指針 4(4)：複数の者で確認）。",
                "at least two distinct reviewers are required (guideline 4(4))",
            )
        _fixed_texts_approved_by_reviewers(acc, rules, reviewers)
        if any(a.name == name for a in accounts):
            raise acc.fail(
                "name", f"アカウント名 {name} が重複しています。", f"duplicate account name {name}"
            )
        accounts.append(Account(name=name, platform=platform, reviewers=reviewers, rules=rules))
    return tuple(accounts)


def person_list(
    reader: TableReader, name: str, people: People, *, required: bool = False
) -> tuple[str, ...]:
    """Addresses as person keys (gateway.identity), in order, each person once: two
    spellings or [[people]] aliases of one person are one entry, never two reviewers."""
    keys = (
        people.key(config_address(reader, name, v))
        for v in reader.str_list(name, required=required)
    )
    return tuple(dict.fromkeys(keys))


def _bool(reader: TableReader, name: str, default: bool = False) -> bool:
    value = reader.data.get(name, default)
    if not isinstance(value, bool):
        raise reader.fail(name, "true か false で指定してください。", "must be true or false")
    return value


def _count(reader: TableReader, name: str, *, minimum: int, maximum: int) -> int:
    value = reader.data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise reader.fail(
            name,
            f"{minimum}〜{maximum} の整数で指定してください。",
            f"must be an integer from {minimum} to {maximum}",
        )
    return value


def _account_rules(acc: TableReader, people: People) -> AccountRules:
    """The section's own rules for one account (clause 4(4)), as data: stages, a required
    role, emergencies and 定型文. A pool (`required = N`) is read once the reviewers are known."""
    role = person_list(acc, "at_least_one_of", people)
    stages: list[Stage] = []
    raw_stages = acc.data.get("stages")
    if raw_stages is not None:
        if not isinstance(raw_stages, list) or not raw_stages:
            raise acc.fail(
                "stages",
                "[[accounts.stages]] の表で指定してください。",
                "must be [[accounts.stages]] tables",
            )
        if acc.data.get("required") is not None:
            raise acc.fail(
                "required",
                "required と stages は一緒に使えません。段階ごとに required を書いてください。",
                "use either required (a pool) or stages, with required per stage",
            )
        for i, raw in enumerate(raw_stages):
            if not isinstance(raw, dict):
                raise acc.fail(f"stages[{i}]", "表で指定してください。", "must be a table")
            st = TableReader(acc.file, raw, acc.key(f"stages[{i}]"))
            members = person_list(st, "reviewers", people, required=True)
            required = (
                _count(st, "required", minimum=1, maximum=max(1, len(members)))
                if "required" in raw
                else 1
            )
            stages.append(Stage(members, required, st.str("name", f"第{i + 1}段階") or ""))
        if sum(s.required for s in stages) < 2:
            raise acc.fail(
                "stages",
                "承認に必要な人数の合計を二人以上にしてください（指針 4(4)：複数の者で確認）。",
                "the stages must require at least two approvals in all (guideline 4(4))",
            )
    emergency = _bool(acc, "emergency")
    minutes = acc.num("emergency_reminder_minutes", 15, minimum=1)
    fixed = _fixed_texts(acc, emergency, people)
    return AccountRules(
        stages=tuple(stages),
        at_least_one_of=role,
        emergency=emergency,
        emergency_reminder=timedelta(minutes=minutes),
        fixed_texts=fixed,
    )


def _fixed_texts_approved_by_reviewers(
    acc: TableReader, rules: AccountRules, reviewers: tuple[str, ...]
) -> None:
    """A 定型文 stands in for one of the two reviews (4(4)) only when the two who approved
    it in advance review this account: anyone else's approval is not the section's."""
    allowed = set(reviewers) | {m for st in rules.stages for m in st.members}
    for i, fixed in enumerate(rules.fixed_texts):
        for person in fixed.approved_by:
            if person not in allowed:
                raise acc.fail(
                    f"fixed_texts[{i}].approved_by",
                    f"{person} はこのアカウントの確認者ではありません。定型文は確認者二人が事前に承認したものにしてください。",
                    f"{person} is not a reviewer of this account: a fixed text must be"
                    " approved in advance by two of its reviewers",
                )


def _pool(acc: TableReader, rules: AccountRules, reviewers: tuple[str, ...]) -> AccountRules:
    """`required = N`: everyone listed is asked; the first N different people complete it."""
    from dataclasses import replace

    n = _count(acc, "required", minimum=2, maximum=max(2, len(reviewers)))
    return replace(rules, stages=(Stage(reviewers, n, ""),))


def _fixed_texts(acc: TableReader, emergency: bool, people: People) -> tuple[FixedText, ...]:
    from gateway.routing import placeholders

    raw = acc.data.get("fixed_texts")
    if raw is None:
        return ()
    if not emergency:
        raise acc.fail(
            "fixed_texts",
            "定型文は緊急時のためのものです。emergency = true と一緒に指定してください。",
            "fixed_texts are for emergencies: set emergency = true as well",
        )
    if not isinstance(raw, list):
        raise acc.fail(
            "fixed_texts", "[[accounts.fixed_texts]] の表で指定してください。", "must be tables"
        )
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise acc.fail(f"fixed_texts[{i}]", "表で指定してください。", "must be a table")
        ft = TableReader(acc.file, item, acc.key(f"fixed_texts[{i}]"))
        text = ft.str("text") or ""
        if "}{" in text.replace(" ", ""):
            raise ft.fail(
                "text",
                "差し込み欄（{…}）を続けて書かないでください。",
                "placeholders must not touch",
            )
        approved = person_list(ft, "approved_by", people, required=True)
        if len(approved) < 2:
            raise ft.fail(
                "approved_by",
                "定型文を事前に承認した二人を指定してください。",
                "name the two people who approved the text in advance",
            )
        if not placeholders(text):
            raise ft.fail("text", "差し込み欄（{日時} など）がありません。", "has no {placeholder}")
        out.append(FixedText(ft.str("name") or "", text, approved))
    return tuple(out)
