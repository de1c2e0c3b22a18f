"""`gateway absence add|list|remove` and `gateway reassign`: the admin's side of issue 11.

The daemon owns the state while it runs, so these commands check what they can now
(the config, addresses, dates, the draft) and hand the change to the daemon through
the spool (gateway.staffdesk); it is applied, logged and mailed on the next tick.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.settings import Settings


def load_settings(path: str) -> Settings:
    """The config, read on use: every `gateway` command builds this parser."""
    from gateway.config import load_settings as load

    return load(path)


def staff_allowed(settings: Settings, address: str) -> bool:
    from gateway.settings import staff_allowed as allowed

    return allowed(settings, address)


EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _die(ja: str, en: str, code: int = EXIT_FAIL) -> int:
    print(f"{ja}\n{en}", file=sys.stderr)
    return code


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"日付は 2026-12-24 の形で書いてください: {value} (write dates as YYYY-MM-DD)"
        ) from None


def cmd_absence_add(args: argparse.Namespace) -> int:
    from gateway.admin_commands import queue_admin_command
    from gateway.staffdesk import is_listed_reviewer

    settings = load_settings(args.config)

    reviewer = settings.people.key_or_none(args.reviewer)
    deputy = settings.people.key_or_none(args.deputy)
    if reviewer is None or deputy is None:
        return _die("メールアドレスの形ではありません。", "not a usable email address", EXIT_USAGE)
    if not is_listed_reviewer(settings, reviewer):
        return _die(
            f"{reviewer} は、どのアカウントの確認者にも登録されていません。",
            f"{reviewer} is not a reviewer of any account",
        )
    if not staff_allowed(settings, deputy):
        return _die(
            f"代理の {deputy} は、[staff] allowed に含まれる職員のアドレスではありません。",
            f"deputy {deputy} is not an allowed staff address",
        )
    if reviewer == deputy:
        return _die("代理には本人以外を指定してください。", "the deputy must be someone else")
    end = args.to or args.start
    if end < args.start:
        return _die("--to が --from より前です。", "--to is before --from", EXIT_USAGE)
    reason = _absence_problem(settings, reviewer, deputy, args.start, end)
    if reason:
        return _die(reason, "the absence cannot be set (over, or overlapping another)")
    path = queue_admin_command(
        settings,
        {
            "command": "absence-add",
            "reviewer": reviewer,
            "deputy": deputy,
            "start": args.start.isoformat(),
            "end": end.isoformat(),
        },
    )
    print(
        f"不在を受け付けました: {reviewer}（代理 {deputy}）{args.start}〜{end}\n"
        f"ゲートウェイが次の定期処理（1分以内）で反映し、本人と代理の方にメールでお知らせします。\n"
        f"queued: {path.name}"
    )
    return EXIT_OK


def _absence_problem(
    settings: Settings, reviewer: str, deputy: str, start: date, end: date
) -> str | None:
    """What the daemon would refuse, said now: a period over, or one overlapping another
    absence of the reviewer. Their own unconfirmed (mail) absences do not count: the
    admin's replaces them (gateway.staffdesk)."""
    from datetime import datetime

    from gateway import absence as ab
    from gateway.routing import local_day
    from gateway.store import Store

    existing = [
        a
        for a in Store(settings.state_path).absences()
        if not (a.state == ab.PENDING and a.reviewer == reviewer)
    ]
    today = local_day(datetime.now().astimezone())
    return ab.problem(reviewer, deputy, start, end, today, existing)


def cmd_absence_list(args: argparse.Namespace) -> int:
    from gateway.admin_commands import queued_admin_commands
    from gateway.store import Store

    settings = load_settings(args.config)
    absences = Store(settings.state_path).absences()
    queued = [c for _, c in queued_admin_commands(settings) if c.get("command") == "absence-add"]
    if args.format == "json":
        rows = [
            {
                "id": a.id,
                "reviewer": a.reviewer,
                "deputy": a.deputy,
                "start": a.start.isoformat(),
                "end": a.end.isoformat(),
                "state": a.state,
                "set_by": a.set_by,
            }
            for a in absences
        ]
        print(json.dumps({"absences": rows, "queued": queued}, ensure_ascii=False, indent=1))
        return EXIT_OK
    labels = {
        "pending": "本人の確認待ち",
        "confirmed": "有効",
        "removed": "取消",
        "reported": "終了（後閲送付済み）",
        "lapsed": "未確認のまま失効",
    }
    if not absences and not queued:
        print("登録された不在はありません。")
    for a in absences:
        print(
            f"{a.id}  {a.reviewer}  {a.start}〜{a.end}  代理 {a.deputy}  "
            f"{labels.get(a.state, a.state)}  設定: {'管理者' if a.set_by == 'admin' else 'メール'}"
        )
    for c in queued:
        print(f"（反映待ち）{c['reviewer']}  {c['start']}〜{c['end']}  代理 {c['deputy']}")
    return EXIT_OK


def cmd_absence_remove(args: argparse.Namespace) -> int:
    from gateway.admin_commands import queue_admin_command
    from gateway.store import Store

    settings = load_settings(args.config)
    absence_id = args.absence_id.strip().upper()
    found = Store(settings.state_path).get_absence(absence_id)
    if found is None or found.state not in ("pending", "confirmed"):
        return _die(
            f"{absence_id} は取り消せる不在ではありません（gateway absence list で確かめてください）。",
            f"{absence_id} is not a pending or confirmed absence",
        )
    queue_admin_command(settings, {"command": "absence-remove", "absence_id": absence_id})
    print(f"{absence_id} の取消を受け付けました。次の定期処理（1分以内）で反映します。")
    return EXIT_OK


def cmd_reassign(args: argparse.Namespace) -> int:
    from gateway.admin_commands import queue_admin_command
    from gateway.draft_commands import reassign
    from gateway.store import Store

    settings = load_settings(args.config)
    draft_id = args.draft_id.strip().upper()
    draft = Store(settings.state_path).get_draft(draft_id)
    if draft is None:
        return _die(f"{draft_id} が見つかりません。", f"no draft {draft_id}")
    # people, not spellings (gateway.identity); an odd address is refused by staff_allowed
    old = settings.people.key_or_none(args.from_) or args.from_.strip().lower()
    new = settings.people.key_or_none(args.to) or args.to.strip().lower()
    if not staff_allowed(settings, new):
        return _die(
            f"{new} は [staff] allowed に含まれる職員のアドレスではありません。",
            f"{new} is not an allowed staff address",
        )
    from gateway.pipeline import now_jst
    from gateway.staffdesk import account_people

    listed = account_people(settings, draft.account)
    trial = reassign(draft, old, new, now_jst(), listed=listed)  # the daemon checks it again
    if isinstance(trial, str):
        return _die(trial, f"cannot reassign {draft_id} from {old} to {new}")
    queue_admin_command(
        settings, {"command": "reassign", "draft_id": draft_id, "from": old, "to": new}
    )
    print(
        f"{draft_id} の確認者を {old} から {new} に替える操作を受け付けました。\n"
        "次の定期処理（1分以内）で反映し、新しい確認者と作成者にメールでお知らせします。"
    )
    return EXIT_OK


def add_parsers(sub) -> None:
    absence = sub.add_parser("absence", help="確認者の不在と代理 (planned absence, deputies)")
    absence_sub = absence.add_subparsers(dest="action", required=True)
    add = absence_sub.add_parser("add", help="不在を登録する (add an absence)")
    add.add_argument("-c", "--config", required=True)
    add.add_argument("--reviewer", required=True, help="不在の確認者 (the absent reviewer)")
    add.add_argument("--deputy", required=True, help="代理 (the deputy)")
    add.add_argument("--from", dest="start", type=_date, required=True, help="2026-12-24")
    add.add_argument("--to", type=_date, help="2026-12-27 (default: the same day)")
    add.set_defaults(func=cmd_absence_add)
    lst = absence_sub.add_parser("list", help="登録された不在 (list absences)")
    lst.add_argument("-c", "--config", required=True)
    lst.add_argument("--format", choices=("text", "json"), default="text")
    lst.set_defaults(func=cmd_absence_list)
    rm = absence_sub.add_parser("remove", help="不在を取り消す (remove an absence)")
    rm.add_argument("-c", "--config", required=True)
    rm.add_argument("absence_id", metavar="A-000001")
    rm.set_defaults(func=cmd_absence_remove)

    ra = sub.add_parser("reassign", help="確認者を替える (move a draft's review to someone else)")
    ra.add_argument("-c", "--config", required=True)
    ra.add_argument("draft_id", metavar="D-000042")
    ra.add_argument("--from", dest="from_", required=True)
    ra.add_argument("--to", required=True)
    ra.set_defaults(func=cmd_reassign)
