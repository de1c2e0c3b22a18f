"""`gateway status` and `gateway export`: what the admin reads of the state (drafts in
review, the audit log), apart from the daemon and the checker's commands."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

EXIT_OK = 0


def add_parsers(sub: Any) -> None:
    """Register `status` and `export` (their modules are imported when they run)."""
    status = sub.add_parser("status", help="確認中の投稿案 (drafts in review)")
    status.add_argument("-c", "--config", required=True)
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(func=cmd_status)

    export = sub.add_parser("export", help="監査ログを書き出す (export the audit log)")
    export.add_argument("-c", "--config", required=True)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.set_defaults(func=cmd_export)


def _route_columns(draft) -> dict:
    """The section rules' part of a status row: emergency, and the open stage of several."""
    from gateway.routing import open_stage_index

    stage = ""
    if len(draft.stages) > 1:
        i = open_stage_index(draft)
        stage = f"{i + 1}/{len(draft.stages)} {draft.stages[i].name}".strip()
    return {"emergency": draft.emergency, "stage": stage}


def cmd_status(args: argparse.Namespace) -> int:
    from gateway.config import load_settings
    from gateway.safetext import json_safe, terminal_safe
    from gateway.store import Store

    settings = load_settings(args.config)
    store = Store(settings.state_path)
    drafts = sorted(store.drafts_in_state("in_review"), key=lambda d: d.current.received_at)
    rows = [
        {
            "draft_id": d.id,
            "version": d.version,
            "account": d.account,
            "subject": d.current.subject,
            "author": d.author,
            "waiting_on": list(d.waiting_on()),
            "alternates": {r: a for r in d.waiting_on() if (a := d.alternate_for(r))},
            "since": d.current.received_at.isoformat(timespec="minutes"),
            **_route_columns(d),  # (addition) emergency, stage
        }
        for d in drafts
    ]
    if args.format == "json":
        print(json_safe(json.dumps({"in_review": rows}, ensure_ascii=False, indent=1)))
        return EXIT_OK
    if not rows:
        print("確認中の投稿案はありません。")
        return EXIT_OK
    print(f"確認中の投稿案: {len(rows)}件")
    # Subjects and addresses come from mail: escapes and controls are shown, never sent.
    t = terminal_safe
    for r in rows:
        waiting = [
            f"{t(w)}（代理: {t(r['alternates'][w])}）" if w in r["alternates"] else t(w)
            for w in r["waiting_on"]
        ]
        print(
            f"{'【緊急】' if r['emergency'] else ''}{r['draft_id']} 第{r['version']}版  {t(r['account'])}  「{t(r['subject'])}」  作成: {t(r['author'])}"
            f"{'  段階: ' + t(r['stage']) if r['stage'] else ''}\n"
            f"    受付: {r['since'].replace('T', ' ')}  返信待ち: {'、'.join(waiting) or 'なし'}"
        )
    return EXIT_OK


EXPORT_HEADERS = ("日時", "操作", "案件番号", "実行者", "詳細")


def export_csv(events: list[dict]) -> bytes:
    """CSV that Excel opens with the Japanese intact: UTF-8 with BOM, CRLF. Every cell is
    quoted, and a cell that would start a formula (= + - @ tab CR) starts with `'`, as the
    OWASP and Microsoft guidance on CSV injection says: subjects and addresses come from mail."""
    import csv
    import io

    from gateway.safetext import csv_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(EXPORT_HEADERS)
    for e in events:
        writer.writerow(
            [
                csv_cell(cell)
                for cell in (
                    e.get("at", ""),
                    e.get("action", ""),
                    e.get("draft_id") or "",
                    e.get("actor", ""),
                    json.dumps(e.get("detail", {}), ensure_ascii=False, sort_keys=True),
                )
            ]
        )
    return buf.getvalue().encode("utf-8-sig")


def cmd_export(args: argparse.Namespace) -> int:
    from gateway.config import load_settings
    from gateway.safetext import json_safe
    from gateway.store import Store

    settings = load_settings(args.config)
    events = Store(settings.state_path).all_events()
    if args.format == "json":
        sys.stdout.write(
            json_safe(json.dumps([dict(e) for e in events], ensure_ascii=False, indent=1)) + "\n"
        )
    else:
        sys.stdout.buffer.write(export_csv(events))
    return EXIT_OK
