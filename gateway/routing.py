"""Who is asked now, and whose approvals complete this version.

Clause 4(4) of the guideline: posts are checked by more than one person 「課内のルールに
従って」. A section's rules are data (`AccountRules`: the fixed pair, a pool of N, stages,
"at least one of", emergencies, 定型文); this module answers, from (the rules, the draft,
the absences, now), who holds a seat, who stands in for whom, which stage is open and
whether the approvals given complete the version. Pure: no clock, no I/O. The state
machine (gateway.workflow) acts on the answers and logs each as an audit event.

A *seat* is a reviewer's place on the route. A seat is decided by its holder or by
whoever stands in for them (an alternate after silence, a deputy during an absence);
the latest vote in a seat counts. A stage is complete when `required` different people,
none the author, approved seats of that stage.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from gateway.businessdays import JST
from gateway.identity import same_person as identity_same_person
from gateway.identity import try_canonical
from gateway.model import Decision
from gateway.records import (
    IN_REVIEW,
    Absence,
    AccountRules,
    Draft,
    FixedText,
    Stage,
    StandIn,
    Vote,
)


def same_person(a: str, b: str) -> bool:
    """One person, however the address is spelled (gateway.identity: case, +tags, quoting).
    Aliases ([[people]]) are resolved to person keys at the edges, before the workflow."""
    return identity_same_person(a, b)


def _usable(address: str) -> bool:
    """An address the gateway would mail and compare (odd local parts are refused)."""
    return try_canonical(address) is not None


def _member(person: str, people: Iterable[str]) -> bool:
    return any(same_person(person, p) for p in people)


def _dedupe(people: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for p in people:
        if not _member(p, out):
            out.append(p)
    return tuple(out)


# --------------------------------------------------------------------------- seats


def stages_of(draft: Draft) -> tuple[Stage, ...]:
    """The draft's stages; the fixed pair is one stage of its two reviewers, both required."""
    return draft.stages or (Stage(draft.reviewers, len(draft.reviewers)),)


def seat_of(draft: Draft, person: str) -> str | None:
    """The seat `person` decides in: their own, or the one they stand in for."""
    for r in draft.reviewers:
        if same_person(r, person):
            return r
    for silent, alternate in draft.alternates:
        if alternate and same_person(alternate, person):
            return silent
    for s in draft.stand_ins:
        if s.person and same_person(s.person, person):
            return s.seat
    return None


def seat_votes(draft: Draft, version: int) -> dict[str, Vote]:
    """Per seat, the latest vote on `version` by its holder or whoever stands in."""
    latest: dict[str, Vote] = {}
    for vote in draft.votes:
        seat = seat_of(draft, vote.reviewer)
        if vote.version == version and seat is not None:
            latest[seat] = vote
    return latest


def people_for(draft: Draft, seat: str) -> tuple[str, ...]:
    """Who may decide in `seat`: the holder, an alternate, a deputy."""
    deputies = [s.person for s in draft.stand_ins if s.seat == seat and s.person]
    out = [seat] if not deputies else []  # a seat holder who is away is not asked
    out += [a for s, a in draft.alternates if s == seat and a]
    return _dedupe([*out, *deputies])


@dataclass(frozen=True)
class Progress:
    current: int  # the first stage not complete; len(stages) when all are
    approvals: tuple[tuple[int, str, Vote], ...]  # (stage, seat, vote) that count, by stage
    needs_role: bool  # every stage complete, but nobody of `at_least_one_of` approved
    complete: bool


def min_people(draft: Draft) -> int:
    """Two different people (4(4)); one for a 定型文 that two approved in advance."""
    return 1 if draft.fixed_text else 2


def progress(draft: Draft) -> Progress:
    stages = stages_of(draft)
    votes = seat_votes(draft, draft.version)
    used: list[str] = []
    counted: list[tuple[int, str, Vote]] = []
    current = len(stages)
    for i, stage in enumerate(stages):
        here = 0
        for seat in stage.members:
            v = votes.get(seat)
            if v is None or v.decision != Decision.APPROVE:
                continue
            if same_person(v.reviewer, draft.author) or _member(v.reviewer, used):
                continue
            used.append(v.reviewer)
            counted.append((i, seat, v))
            here += 1
        if here < stage.required:
            current = i
            break
    all_done = current == len(stages)
    role = draft.at_least_one_of
    role_ok = not role or any(
        _member(seat, role) or _member(v.reviewer, role) for _, seat, v in counted
    )
    enough = len(used) >= min_people(draft)
    return Progress(
        current=current,
        approvals=tuple(counted),
        needs_role=all_done and not role_ok,
        complete=all_done and role_ok and enough and bool(stages),
    )


def open_stage_index(draft: Draft) -> int:
    """The last stage that has been asked (all of them once complete)."""
    return min(progress(draft).current, len(stages_of(draft)) - 1)


def stage_opened_at(draft: Draft) -> datetime:
    """When the open stage was asked: the version's arrival for the first stage, else the
    approval that completed the stage before it (reminders count from then)."""
    index = open_stage_index(draft)
    if index == 0:
        return draft.current.received_at
    times = [v.at for i, _, v in progress(draft).approvals if i == index - 1]
    return max(times, default=draft.current.received_at)


def waiting_seats(draft: Draft) -> tuple[str, ...]:
    """Seats of the open stage nobody has decided yet (or, when only the required role is
    missing, that role's seats)."""
    if draft.state != IN_REVIEW:
        return ()
    p = progress(draft)
    stages = stages_of(draft)
    votes = seat_votes(draft, draft.version)
    if p.current < len(stages):
        seats: Sequence[str] = stages[p.current].members
    elif p.needs_role:
        seats = [r for r in draft.reviewers if _member(r, draft.at_least_one_of)]
    else:
        return ()
    return tuple(s for s in seats if s not in votes)


def asked_now(draft: Draft) -> tuple[tuple[str, str], ...]:
    """(person, seat) for everyone whose answer is awaited now."""
    return tuple((p, seat) for seat in waiting_seats(draft) for p in people_for(draft, seat))


def opened_seats(draft: Draft) -> tuple[str, ...]:
    stages = stages_of(draft)
    last = open_stage_index(draft)
    return _dedupe(m for st in stages[: last + 1] for m in st.members)


def deciders(draft: Draft) -> tuple[str, ...]:
    """Everyone asked so far on the current version: seat holders, alternates, deputies."""
    seats = opened_seats(draft)
    return _dedupe(
        [
            *seats,
            *(a for s, a in draft.alternates if a and s in seats),
            *(s.person for s in draft.stand_ins if s.seat in seats and s.person),
        ]
    )


def may_decide(draft: Draft, person: str) -> bool:
    """True when `person` holds or stands in for a seat of a stage already asked."""
    seat = seat_of(draft, person)
    return seat is not None and seat in opened_seats(draft)


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Route:
    stages: tuple[Stage, ...]  # () : the fixed pair in `reviewers`
    reviewers: tuple[str, ...]  # every seat, in order
    at_least_one_of: tuple[str, ...] = ()
    emergency: bool = False
    fixed_text: str = ""

    def describe(self) -> dict[str, object]:
        """For the audit log and the signed record."""
        mode = "pair" if not self.stages else ("pool" if len(self.stages) == 1 else "stages")
        if self.emergency:
            mode = "emergency"
        out: dict[str, object] = {"mode": mode}
        if self.stages:
            out["stages"] = [
                {"name": s.name, "members": list(s.members), "required": s.required}
                for s in self.stages
            ]
        if self.at_least_one_of:
            out["at_least_one_of"] = list(self.at_least_one_of)
        if self.emergency:
            out["emergency"] = True
        if self.fixed_text:
            out["fixed_text"] = self.fixed_text
        return out


def pick_pair(candidates: Sequence[str], author: str, role: Sequence[str] = ()) -> tuple[str, ...]:
    """The first two listed reviewers who are not the author; with a required role, the
    second place goes to the first of that role when neither of the two has it."""
    people = list(_dedupe(r for r in candidates if not same_person(r, author)))
    pair = people[:2]
    if role and len(pair) == 2 and not any(_member(p, role) for p in pair):
        chief = next((p for p in people if _member(p, role)), None)
        if chief is not None:
            pair = [pair[0], chief]
    return tuple(pair)


def plan(
    rules: AccountRules,
    candidates: Sequence[str],
    author: str,
    *,
    emergency: bool = False,
    fixed: FixedText | None = None,
) -> Route | None:
    """The route for a new version, or None when too few people (not the author) are left."""
    if emergency:
        everyone = _dedupe(
            p
            for p in (*candidates, *(m for st in rules.stages for m in st.members))
            if not same_person(p, author)
        )
        need = 1 if fixed else 2
        if len(everyone) < 2:
            return None
        return Route(
            (Stage(everyone, need, "緊急"),),
            everyone,
            emergency=True,
            fixed_text=fixed.name if fixed else "",
        )
    if not rules.stages:
        pair = pick_pair(candidates, author, rules.at_least_one_of)
        return Route((), pair, rules.at_least_one_of) if len(pair) == 2 else None
    stages = []
    for st in rules.stages:
        members = tuple(m for m in st.members if not same_person(m, author))
        if len(members) < st.required:
            return None
        stages.append(Stage(members, st.required, st.name))
    seats = _dedupe(m for st in stages for m in st.members)
    if len(seats) < 2:
        return None
    return Route(tuple(stages), seats, rules.at_least_one_of)


# --------------------------------------------------------------------------- absences


def local_day(now: datetime) -> date:
    return (now.replace(tzinfo=JST) if now.tzinfo is None else now.astimezone(JST)).date()


def absence_of(person: str, absences: Iterable[Absence], day: date) -> Absence | None:
    """The confirmed absence of `person` that covers `day`, if any."""
    for a in absences:
        if a.covers(day) and same_person(a.reviewer, person):
            return a
    return None


def everyone_on(draft: Draft) -> tuple[str, ...]:
    """Every person on the draft's route: seat holders, alternates, deputies."""
    return _dedupe(
        [
            *draft.reviewers,
            *(m for st in draft.stages for m in st.members),
            *(a for _, a in draft.alternates if a),
            *(s.person for s in draft.stand_ins if s.person),
        ]
    )


def _free(person: str, draft: Draft, taken: Sequence[str], absences, day: date) -> bool:
    return (
        bool(person)
        and _usable(person)
        and not same_person(person, draft.author)
        and not _member(person, taken)
        and absence_of(person, absences, day) is None
    )


def deputy_moves(
    draft: Draft, absences: Sequence[Absence], now: datetime, candidates: Sequence[str]
) -> tuple[list[StandIn], list[str]]:
    """Deputies for waiting seats whose holder is away today (代決), and the seats for which
    nobody could be found. A deputy is never the author, never someone already on the
    route, never someone away; failing the named deputy, the next listed reviewer. A
    deputy who is away in turn hands the seat on the same way (apply with `with_stand_ins`)."""
    day = local_day(now)
    taken = list(everyone_on(draft))
    moves: list[StandIn] = []
    nobody: list[str] = []
    for seat in waiting_seats(draft):
        held = [s for s in draft.stand_ins if s.seat == seat]
        if held:  # a deputy already stands in: they may be away now too
            person = held[-1].person
            chained = absence_of(person, absences, day) if person else None
            if chained is not None:
                deputy = chained.deputy if _free(chained.deputy, draft, taken, absences, day) else ""
                deputy = deputy or next(
                    (c for c in candidates if _free(c, draft, taken, absences, day)), ""
                )
                if deputy:  # nobody free: the deputy keeps the seat (no move, no mail)
                    moves.append(StandIn(seat, deputy, "absence", now))
                    taken.append(deputy)
            continue
        absence = absence_of(seat, absences, day)
        if absence is None:
            continue
        deputy = absence.deputy if _free(absence.deputy, draft, taken, absences, day) else ""
        if not deputy:
            deputy = next((c for c in candidates if _free(c, draft, taken, absences, day)), "")
        if deputy:
            moves.append(StandIn(seat, deputy, "absence", now))
            taken.append(deputy)
        else:
            moves.append(StandIn(seat, "", "absence", now))  # remembered, so logged once
            nobody.append(seat)
    return moves, nobody


def with_stand_ins(draft: Draft, moves: Sequence[StandIn]) -> Draft:
    """The draft with `moves` applied: a new deputy for a seat takes the place of the one
    who stood in before (who is away now)."""
    from dataclasses import replace

    renewed = {m.seat for m in moves if m.person}
    kept = tuple(s for s in draft.stand_ins if s.seat not in renewed)
    return replace(draft, stand_ins=(*kept, *moves))


def staff_moves(
    draft: Draft, rules: AccountRules, candidates: Sequence[str], absences, now: datetime
) -> list[tuple[str, str]]:
    """(who left, who takes their seat) for waiting seats whose holder is no longer listed
    for the account after a config edit; "" when nobody is left to take it."""
    listed = _dedupe([*candidates, *(m for st in rules.stages for m in st.members)])
    day = local_day(now)
    taken = list(everyone_on(draft))
    out: list[tuple[str, str]] = []
    for seat in waiting_seats(draft):
        if _member(seat, listed):
            continue
        pool: Sequence[str] = candidates
        for st_old, st_new in zip(draft.stages, rules.stages, strict=False):
            if seat in st_old.members:
                pool = st_new.members
        new = next((c for c in pool if _free(c, draft, taken, absences, day)), "")
        if not new and pool is not candidates:
            new = next((c for c in candidates if _free(c, draft, taken, absences, day)), "")
        out.append((seat, new))
        if new:
            taken.append(new)
    return out


def replace_seat(draft: Draft, old: str, new: str) -> Draft:
    """The draft with `new` holding `old`'s seat, on this and later versions."""
    from dataclasses import replace

    def swap(people: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if p == old else p for p in people)

    return replace(
        draft,
        reviewers=swap(draft.reviewers),
        stages=tuple(replace(st, members=swap(st.members)) for st in draft.stages),
        reminded=tuple(p for p in draft.reminded if p != old),
        alternates=tuple((s, a) for s, a in draft.alternates if s != old),
        stand_ins=tuple(s for s in draft.stand_ins if s.seat != old),
    )


# --------------------------------------------------------------------------- 緊急, 定型文

_EMERGENCY_SUBJECT_RE = re.compile(
    r"^\s*(?:(?:re|fw|fwd)\s*[:：]\s*)*[【\[［〔(（]\s*緊急\s*[】\]］〕)）]", re.IGNORECASE
)


def is_emergency_subject(subject: str) -> bool:
    """A subject that starts with 【緊急】 (any bracket, any width)."""
    return bool(_EMERGENCY_SUBJECT_RE.match(unicodedata.normalize("NFKC", subject or "")))


_PLACEHOLDER_RE = re.compile(r"\{([^{}\n]{1,30})\}")
_MAX_FILL = 120


def placeholders(template: str) -> list[str]:
    return _PLACEHOLDER_RE.findall(template)


def _lines(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def fills(template: str, text: str) -> dict[str, str] | None:
    """The placeholder values when `text` is `template` with only its placeholders filled
    (each with one line of at most 120 characters), else None. Linear: one left-to-right
    scan, each literal found once (a filling that contains the next literal fails closed)."""
    parts = _PLACEHOLDER_RE.split(_lines(template))
    literals, names = parts[0::2], parts[1::2]
    body = _lines(text)
    if not body.startswith(literals[0]):
        return None
    pos = len(literals[0])
    values: dict[str, str] = {}
    for k, name in enumerate(names):
        nxt = literals[k + 1]
        if k + 1 == len(names):
            if not body.endswith(nxt) or len(body) - len(nxt) <= pos:
                return None
            end = len(body) - len(nxt)
        else:
            end = body.find(nxt, pos + 1)
            if end < 0:
                return None
        value = body[pos:end]
        if not value.strip() or "\n" in value or len(value) > _MAX_FILL:
            return None
        if name in values and values[name] != value:
            return None
        values[name] = value
        pos = end + len(nxt)
    if not names and body != literals[0]:
        return None
    return values


def match_fixed_text(text: str, fixed_texts: Sequence[FixedText]) -> FixedText | None:
    for ft in fixed_texts:
        if fills(ft.text, text) is not None:
            return ft
    return None
