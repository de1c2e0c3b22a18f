"""`gateway restore -c FILE`: put the last good copy of the state back after damage."""

from __future__ import annotations

import argparse
import sys


def cmd_restore(args: argparse.Namespace) -> int:
    """Exit 0 when the state opens (already, or after the restore); 1 when it still cannot."""
    # imported here: every `gateway` command builds this parser, and `check` must start fast
    from gateway.config import load_settings
    from gateway.pipeline import now_jst
    from gateway.statefiles import StateError, cut_damaged_journal
    from gateway.store import Store, restore_last_good

    settings = load_settings(args.config)
    path = settings.state_path
    try:
        Store(path, exclusive=True).close()
    except StateError as exc:
        problem = exc
    else:
        print(
            f"状態ファイル {path} は正常です。復元は不要です。\nState {path} is fine: nothing to restore."
        )
        return 0
    if "in use" in str(problem):
        print(problem.bilingual(), file=sys.stderr)
        return 1
    now = now_jst()
    try:
        cut = cut_damaged_journal(path, now)
        if cut is not None:
            aside, dropped = cut
            print(
                f"ジャーナルの壊れた部分 ({dropped} 件) を取り除きました。元のファイル: {aside}\n"
                f"Cut {dropped} damaged journal record(s); the original is kept as {aside}.\n"
                "その間に処理したメールは IMAP の Processed フォルダーにあります。"
                " / Mail handled in them is in the IMAP Processed folder."
            )
            try:
                Store(path, exclusive=True).close()
                return 0
            except StateError:
                pass  # the snapshot is damaged too: fall through to the last good copy
        aside, store = restore_last_good(path, now)
    except StateError as exc:
        print(exc.bilingual(), file=sys.stderr)
        return 1
    drafts = len(store.all_drafts())
    store.close()
    print(
        f"直前の正常な写しから復元しました（投稿案 {drafts} 件）。壊れたファイル: {aside}\n"
        f"Restored the last good copy ({drafts} drafts); the damaged file is kept as {aside}."
    )
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    restore = sub.add_parser(
        "restore", help="壊れた状態ファイルを直前の写しから戻す (restore the last good state)"
    )
    restore.add_argument("-c", "--config", required=True)
    restore.set_defaults(func=cmd_restore)
