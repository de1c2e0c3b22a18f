"""The `gateway` command: run, check, explain, verify, demo, config check, reviewers,
templates check; status and export (gateway.cli_report), restore, init, absence and
reassign (gateway.cli_rules) are registered from their own modules."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from gateway.version import VERSION

if TYPE_CHECKING:
    from gateway.settings import Settings

# Each command imports what it needs when it runs: `gateway check` starts without the
# daemon's modules (state, IMAP, SMTP, templates, signing) and their libraries.


def load_settings(path: str) -> Settings:
    from gateway.config import load_settings as load

    return load(path)


def exposed_secret_files(path: str) -> list[Any]:
    from gateway.credentials import exposed_secret_files as exposed

    return list(exposed(path))


def _loaded_class(module: str, name: str) -> type | None:
    """An exception class from a module that is already imported (None if it is not: then
    nothing raised can be an instance of it)."""
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) else None


EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
EXIT_CONFIG = 78  # EX_CONFIG: systemd's RestartPreventExitStatus keeps a broken config from looping


def setup_logging(level: int | None = None) -> None:
    """One key=value line per event on stderr (INFO and above unless told). Under systemd
    (JOURNAL_STREAM is set) the journal stamps the time itself, so the line leaves it out.
    `logging` is imported here: `gateway check` logs nothing and starts without it."""
    import logging

    from gateway.logformat import JournalFormatter, stderr_is_journal

    journal = stderr_is_journal()
    stamp = "" if journal or os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    fmt = stamp + "level=%(levelname)s logger=%(name)s %(message)s"
    handler = logging.StreamHandler(sys.stderr)
    # Under systemd each line starts with its sd-daemon priority (<3> error, <4> warning …),
    # so `journalctl -p err` finds the errors.
    handler.setFormatter(JournalFormatter(fmt) if journal else logging.Formatter(fmt))
    logging.basicConfig(level=logging.INFO if level is None else level, handlers=[handler])


def _die(message_ja: str, message_en: str, code: int = EXIT_USAGE) -> int:
    print(f"{message_ja}\n{message_en}", file=sys.stderr)
    return code


def _settings(path: str | None) -> Settings | None:
    return load_settings(path) if path else None


# ---------------------------------------------------------------------------- run


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import signal

    from gateway.checker import RuleLoadError
    from gateway.daemon import Daemon
    from gateway.statefiles import StateError
    from gateway.template_check import TemplatesBroken

    settings = load_settings(args.config)
    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    for path in exposed_secret_files(args.config):
        logging.getLogger("gateway").warning(
            "event=secret_file_readable path=%s hint='chmod 600' "
            "ja='パスワードを含むファイルがほかの利用者から読めます'",
            path,
        )
    try:
        daemon = Daemon(settings)
    except StateError as exc:  # damaged or busy state: say what and how to restore
        print(exc.bilingual(), file=sys.stderr)
        return EXIT_FAIL
    except TemplatesBroken as exc:  # the admin's edit: restarting will not fix it
        return _die(
            "\n".join(
                ["起動できません。メールの文面（テンプレート）に誤りがあります:", *exc.problems]
            ),
            "cannot start: a mail template does not render (see above); gateway templates check",
            EXIT_CONFIG,
        )
    except RuleLoadError as exc:  # the admin's rule file or dictionary: restarting will not fix it
        return _die("起動できません。確認ルールに誤りがあります:", str(exc), EXIT_CONFIG)
    except Exception as exc:  # start-up problems: say what, exit non-zero, touch nothing
        return _die(f"起動できません: {exc}", f"cannot start: {exc!r}", EXIT_FAIL)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await daemon.run(stop)

    asyncio.run(main())
    return EXIT_OK


# ---------------------------------------------------------------------------- check


def _check_context(settings: Settings | None, account: str | None, text: str):
    from gateway.checker import CheckContext
    from gateway.drafts import split_draft

    parts = split_draft(text)
    name = account or parts.account
    if settings is None:
        return parts.post_text, CheckContext(account=name)
    if name is None and len(settings.accounts) == 1:
        name = settings.accounts[0].name
    acc = settings.account(name) if name else None
    ck = settings.check
    return parts.post_text, CheckContext(
        platform=acc.platform if acc else None,
        account=name,
        official_accounts=tuple(a.name for a in settings.accounts),
        schedule=parts.schedule,
        office_phone_allowlist=ck.office_phones,
        office_domains=ck.office_domains,
        internal_hosts=ck.internal_hosts,
        link_blocklist=ck.link_blocklist,
    )


def cmd_check(args: argparse.Namespace) -> int:
    from gateway.checker import Checker, RuleLoadError
    from gateway.checker.report import format_json, format_text
    from gateway.model import Severity

    settings = _settings(args.config)
    try:
        raw = sys.stdin.buffer.read() if args.path == "-" else Path(args.path).read_bytes()
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        return _die(
            f"ファイルを読めません: {args.path}（{exc.strerror}）",
            f"cannot read {args.path}: {exc}",
        )
    except UnicodeDecodeError:
        return _die(f"UTF-8 のテキストではありません: {args.path}", f"not UTF-8 text: {args.path}")
    try:
        checker = Checker.load(settings.check.rules_dir if settings else None)
    except RuleLoadError as exc:  # names the file and the rule, in Japanese and English
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    post_text, ctx = _check_context(settings, args.account, text)
    findings = checker.check(post_text, ctx)
    name = "<stdin>" if args.path == "-" else args.path
    out = format_json(findings) if args.format == "json" else format_text(findings, name)
    if out:
        sys.stdout.write(out if out.endswith("\n") else out + "\n")
    return EXIT_FAIL if any(f.severity == Severity.ERROR for f in findings) else EXIT_OK


# ---------------------------------------------------------------------------- explain


def cmd_explain(args: argparse.Namespace) -> int:
    from gateway.explain import explain, format_explain_text, sender_lines
    from gateway.identity import NOBODY
    from gateway.mime import read_message

    settings = _settings(args.config)
    try:
        raw = Path(args.message).read_bytes()
    except OSError as exc:
        return _die(
            f"メッセージを読めません: {args.message}（{exc.strerror}）",
            f"cannot read {args.message}: {exc}",
        )
    gateway_addresses = [settings.mailbox.address] if settings else []
    incoming = read_message(
        raw, gateway_addresses, people=settings.people if settings else NOBODY
    )
    authentication = None
    if settings and settings.authserv_ids:
        from gateway.authresults import verdict

        authentication = verdict(incoming.auth_results, incoming.from_addr, settings.authserv_ids)
    person = settings.people.key_or_none(incoming.from_addr) if settings else None
    result = explain(incoming, as_reply=args.as_ == "reply")
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False))
    else:
        text = format_explain_text(result)
        first, _, rest = text.partition("\n")
        extra = "".join(f"{line}\n" for line in sender_lines(incoming, authentication, person))
        sys.stdout.write(f"{first}\n{extra}{rest}")
    return EXIT_OK


# ---------------------------------------------------------------------------- verify


def cmd_verify(args: argparse.Namespace) -> int:
    """0: every part of the confirmation agrees (and --text is that text); 1: something
    disagrees, each thing named; 2: no signature found."""
    from gateway.confirmation import (
        INVALID,
        MISSING,
        compare_text,
        format_verdict,
        verify_confirmation,
    )
    from gateway.signing import load_public_key

    try:
        raw = Path(args.message).read_bytes()
    except OSError as exc:
        return _die(f"メッセージを読めません: {args.message}", f"cannot read {args.message}: {exc}")
    from email import message_from_bytes, policy

    given = None
    if args.text is not None:
        try:
            given = sys.stdin.buffer.read() if args.text == "-" else Path(args.text).read_bytes()
        except OSError as exc:
            return _die(
                f"文面のファイルを読めません: {args.text}", f"cannot read {args.text}: {exc}"
            )
    msg = message_from_bytes(raw, policy=policy.default)
    key_path = args.key
    if key_path is None and args.config:
        key_path = load_settings(args.config).key_file
    if key_path is None:
        return _die(
            "鍵を指定してください（-c 設定ファイル または --key 公開鍵）。",
            "give -c CONFIG or --key FILE",
        )
    try:
        public = load_public_key(key_path)
    except (OSError, ValueError) as exc:
        return _die(f"鍵を読めません: {key_path}", f"cannot read key {key_path}: {exc}")
    verdict = verify_confirmation(msg, public)  # type: ignore[arg-type]
    print(format_verdict(verdict), file=sys.stderr if verdict.code == MISSING else sys.stdout)
    if verdict.code != 0:
        if given is not None:
            print(
                "承認通知が有効でないため、文面は照合していません。\n"
                "the confirmation is not valid: the text was not compared"
            )
        return verdict.code
    if given is not None:
        assert verdict.post_text is not None
        same, ja, en = compare_text(verdict.post_text, given)
        print(f"{ja}\n{en}")
        return 0 if same else INVALID
    return 0


# ---------------------------------------------------------------------------- admin


def _print_lines(lines: list) -> None:
    for line in lines:
        print(line)


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate the config and try the real IMAP and SMTP logins; say what is right and wrong."""
    from gateway.admin import config_report, failed

    print(f"設定の確認: {args.config}")
    lines = config_report(args.config, connect=not args.no_connect)
    _print_lines(lines)
    if failed(lines):
        print("× の項目を直してから、もう一度お試しください。")
        return EXIT_FAIL
    print("問題は見つかりませんでした。")
    return EXIT_OK


def cmd_reviewers(args: argparse.Namespace) -> int:
    from gateway.admin import reviewers_report

    _print_lines(reviewers_report(load_settings(args.config)))
    return EXIT_OK


def cmd_templates_check(args: argparse.Namespace) -> int:
    from gateway.admin import failed, templates_report

    settings = _settings(args.config)
    lines = templates_report(settings.templates_dir if settings else None)
    _print_lines(lines)
    return EXIT_FAIL if failed(lines) else EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from gateway.demo import run_demo

    return run_demo(verbose=args.verbose)


# ---------------------------------------------------------------------------- parser


def _command(argv: list[str] | None) -> str | None:
    """The subcommand named in argv (None: not known, e.g. for the man page)."""
    if argv is None:
        return None
    return next((a for a in argv if not a.startswith("-")), "")


class _NotBuilt:
    """A subcommand parser this run does not need: every call is accepted and ignored."""

    def __getattr__(self, name: str) -> Any:
        return self._ignore

    def _ignore(self, *args: Any, **kwargs: Any) -> _NotBuilt:
        return self


class _OnlyCommand:
    """The subparsers action, building only the command argv names: argparse spends about
    half a millisecond on each subcommand (translations, formatters), which `gateway
    check` pays on every start."""

    def __init__(self, action: Any, command: str) -> None:
        self.action = action
        self.command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self.command:
            return self.action.add_parser(name, **kwargs)
        return _NotBuilt()


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; given the argv it will parse, only the command it names is built
    (a command that is not known gets the whole parser, which says so) and commands are
    registered without importing their modules (`init` reads the config module)."""
    p = argparse.ArgumentParser(
        prog="gateway", description="SNS投稿の承認ゲートウェイ (email approval gateway)"
    )
    p.add_argument("--version", action="version", version=f"gateway {VERSION}")
    subparsers = p.add_subparsers(dest="command", required=True)
    command = _command(argv)
    sub: Any = _OnlyCommand(subparsers, command) if command else subparsers

    run = sub.add_parser("run", help="デーモンを起動する (run the daemon)")
    run.add_argument("-c", "--config", required=True)
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=cmd_run)

    check = sub.add_parser("check", help="投稿文を指針に照らして確認する (lint a draft)")
    check.add_argument("-c", "--config")
    check.add_argument("--account")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("path", metavar="PATH|-")
    check.set_defaults(func=cmd_check)

    explain = sub.add_parser(
        "explain", help="メールの読み取り方を表示する (show how a message is read)"
    )
    explain.add_argument("-c", "--config")
    explain.add_argument("--as", dest="as_", choices=("draft", "reply"), default=None)
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("message", metavar="MESSAGE.eml")
    explain.set_defaults(func=cmd_explain)

    verify = sub.add_parser("verify", help="承認通知の署名を確かめる (verify a confirmation)")
    verify.add_argument("-c", "--config")
    verify.add_argument("--key")
    verify.add_argument("message", metavar="MESSAGE.eml")
    verify.add_argument(
        "--text",
        metavar="FILE",
        help="この文面が承認された文面と同じか確かめる（- は標準入力）"
        " (check that FILE is exactly the approved text; - reads stdin)",
    )
    verify.set_defaults(func=cmd_verify)

    from gateway.cli_report import add_parsers as add_report

    add_report(sub)

    demo = sub.add_parser(
        "demo", help="内蔵のメール環境で一巡を実演する (run a whole round trip locally)"
    )
    demo.add_argument("-v", "--verbose", action="store_true")
    demo.set_defaults(func=cmd_demo)

    config = sub.add_parser("config", help="設定ファイル (the config file)")
    config_sub = config.add_subparsers(dest="action", required=True)
    config_check = config_sub.add_parser(
        "check", help="設定を確かめ、IMAP と SMTP に実際にログインしてみる (validate, try logins)"
    )
    config_check.add_argument("-c", "--config", required=True)
    config_check.add_argument(
        "--no-connect", action="store_true", help="接続は試さない (skip the IMAP/SMTP logins)"
    )
    config_check.set_defaults(func=cmd_config_check)

    reviewers = sub.add_parser("reviewers", help="アカウントごとの確認者と代理 (who reviews what)")
    reviewers.add_argument("-c", "--config", required=True)
    reviewers.set_defaults(func=cmd_reviewers)

    templates = sub.add_parser("templates", help="メールの文面 (mail templates)")
    templates_sub = templates.add_subparsers(dest="action", required=True)
    templates_check = templates_sub.add_parser(
        "check", help="すべての文面を見本のデータで作ってみる (render every template)"
    )
    templates_check.add_argument("-c", "--config")
    templates_check.set_defaults(func=cmd_templates_check)

    from gateway.restore import add_parser as add_restore

    add_restore(sub)
    if not command or command == "init":
        from gateway.init_cmd import add_parser as add_init

        add_init(sub)
    else:  # listed in --help, not imported: this run is another command
        sub.add_parser(
            "init", help="最初の設定を対話で作る (write the config interactively or from answers)"
        )
    from gateway.cli_rules import add_parsers as add_rules

    add_rules(sub)
    if command and command not in subparsers.choices:
        return build_parser(None)  # not a command: the whole parser lists them all
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser(sys.argv[1:] if argv is None else argv).parse_args(argv)
    if argv is None and args.command == "check":  # this process is one check
        import gc

        gc.disable()
        _exit_now(_dispatch(args))
    return _dispatch(args)


def _exit_now(code: int) -> NoReturn:
    """End a `gateway check` process without tearing down its objects.

    The rules, tries and tokens built at start live to the end; the cyclic collector
    (off, see main) only walked them again and again, and freeing them at exit took
    ~10 % of the check. Nothing is pending: the output is flushed here, the load cache
    was written whole (os.replace). Only when main() reads sys.argv, i.e. is the command:
    a caller of main() keeps its interpreter and its collector."""
    from contextlib import suppress

    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError, ValueError):  # a reader that went away: the exit code still says
            stream.flush()
    os._exit(code)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except Exception as exc:
        state_error = _loaded_class("gateway.statefiles", "StateError")
        config_error = _loaded_class("gateway.config_reader", "ConfigError")
        if state_error is not None and isinstance(exc, state_error):
            print(exc.bilingual(), file=sys.stderr)  # type: ignore[attr-defined]
            return EXIT_FAIL
        if config_error is None or not isinstance(exc, config_error):
            raise
        print(exc.bilingual(), file=sys.stderr)  # type: ignore[attr-defined]
        if args.command == "run":
            return EXIT_CONFIG
        return EXIT_USAGE if args.command in ("check", "explain", "verify") else EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
