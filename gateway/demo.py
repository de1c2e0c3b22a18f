"""`gateway demo`: one whole round trip on an embedded local mail system, no setup.

An author emails two drafts to the gateway through a real SMTP server; the gateway
daemon reads them over real IMAP (IDLE). The first is approved by both reviewers and
comes back signed; the second is sent back with a reason. Each person's inbox is
printed at the end, and the signature on the approval is verified.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import sys
import tempfile
import time
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from gateway.localmail import MailSystem, PymapMailSystem

GATEWAY = "sns-check@town.example.jp"
AUTHOR = "sato@town.example.jp"
REVIEWERS = ("kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp")
NAMES = {
    GATEWAY: "ゲートウェイ",
    AUTHOR: "佐藤（作成者）",
    REVIEWERS[0]: "課長（確認者）",
    REVIEWERS[1]: "係長（確認者）",
    REVIEWERS[2]: "代理（確認者・予備）",
}
PASSWORD = "demo-password"

DRAFT_1 = """アカウント: 辰野町公式X
投稿予定: 2026-12-01 10:00

【防災訓練のお知らせ】
12月6日（日）午前9時から、町内全域で防災訓練を行います。
防災行政無線でお知らせしますので、お近くの避難場所へ避難してください。
詳しくは町ホームページをご覧ください。
https://www.town.tatsuno.lg.jp/

--\x20
辰野町 総務課 佐藤
"""

DRAFT_2 = """アカウント: 辰野町公式X

ほたる祭りの駐車場は今年は有料になるらしいです。
詳細は追ってお知らせします。
"""


DEMO_REVIEW = """[review]
reminder_after_hours = 24
expire_after_days = 7
"""


def config_text(
    mail: MailSystem,
    workdir: Path,
    *,
    password: str = PASSWORD,
    extra: str = DEMO_REVIEW,
    accounts: str | None = None,
    poll_interval: int = 2,
) -> str:
    """A config for a local mail system: loopback, no TLS, state and key in `workdir`."""
    reviewers = ", ".join(f'"{r}"' for r in REVIEWERS)
    accounts = (
        accounts
        or f"""
[[accounts]]
name = "辰野町公式X"
platform = "x"
reviewers = [{reviewers}]
"""
    )
    return f"""\
[mailbox]
host = "{mail.imap_host}"
port = {mail.imap_port}
security = "none"
username = "{GATEWAY}"
password = "{password}"
address = "{GATEWAY}"
poll_interval = {poll_interval}

[smtp]
host = "{mail.smtp_host}"
port = {mail.smtp_port}
security = "none"

[state]
path = "{workdir / "state.json"}"

[signing]
key_file = "{workdir / "signing.key"}"

[staff]
allowed = ["*@town.example.jp"]

{extra}
{accounts}"""


# ---------------------------------------------------------------------------- composing mail


def compose_draft(
    sender: str, subject: str, body: str, *, to: str = GATEWAY, name: str = ""
) -> bytes:
    msg = EmailMessage()
    msg["From"] = Address(name, addr_spec=sender) if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg.set_content(body, charset="utf-8")
    return msg.as_bytes(policy=policy.SMTP)


def compose_reply(original: bytes, sender: str, body: str) -> bytes:
    """Reply as a mail client does: to Reply-To, `Re:` subject, threaded, Gmail-style quote."""
    orig = message_from_bytes(original, policy=policy.default)
    quoted_body = orig.get_body(("plain",))
    quoted = quoted_body.get_content() if quoted_body is not None else ""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = str(orig.get("Reply-To") or orig["From"])
    msg["Subject"] = "Re: " + str(orig["Subject"])
    msg["Date"] = format_datetime(__import__("datetime").datetime.now().astimezone())
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg["In-Reply-To"] = orig["Message-ID"]
    msg["References"] = f"{orig.get('References', '')} {orig['Message-ID']}".strip()
    attribution = f"{orig['Date']} SNS投稿確認 <{GATEWAY}>:"
    lines = "\n".join("> " + line for line in quoted.splitlines())
    msg.set_content(f"{body}\n\n{attribution}\n{lines}\n", charset="utf-8")
    return msg.as_bytes(policy=policy.SMTP)


def send(mail: MailSystem, raw: bytes, sender: str, recipients: Sequence[str]) -> None:
    with smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=10) as smtp:
        smtp.sendmail(sender, list(recipients), raw)


def status_of(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default).get("X-Gateway-Status", ""))


def has_status(status: str, draft_subject: str | None = None):
    def match(raw: bytes) -> bool:
        msg = message_from_bytes(raw, policy=policy.default)
        if msg.get("X-Gateway-Status") != status:
            return False
        return draft_subject is None or draft_subject in str(msg.get("Subject", ""))

    return match


# ---------------------------------------------------------------------------- the scenario


def say(text: str) -> None:
    print(text, flush=True)


async def scenario(mail: MailSystem, workdir: Path, config_path: Path) -> bool:
    from gateway.cli import main as cli_main

    wait = mail.wait_for

    say("1. 佐藤さんが投稿案「防災訓練のお知らせ」をゲートウェイに送ります。")
    send(
        mail,
        compose_draft(AUTHOR, "防災訓練のお知らせ", DRAFT_1, name="佐藤 花子"),
        AUTHOR,
        [GATEWAY],
    )
    started = time.monotonic()
    requests = [
        await asyncio.to_thread(wait, r, has_status("review-request", "防災訓練"), 20.0)
        for r in REVIEWERS[:2]
    ]
    say(f"   → 確認者二人に承認依頼が届きました（{time.monotonic() - started:.2f} 秒）。")

    say("2. 課長と係長が、それぞれ「承認します」と返信します。")
    for reviewer, request in zip(REVIEWERS[:2], requests, strict=True):
        send(
            mail,
            compose_reply(request, reviewer, "承認します。"),
            reviewer,
            [GATEWAY_PLUS(request)],
        )
    approved = await asyncio.to_thread(wait, AUTHOR, has_status("approved", "防災訓練"), 20.0)
    say("   → 佐藤さんに署名付きの承認通知が届きました。")
    approved_path = workdir / "approved.eml"
    approved_path.write_bytes(approved)

    say("3. 承認通知の署名を確かめます（gateway verify）。")
    code = cli_main(["verify", "-c", str(config_path), str(approved_path)])
    if code != 0:
        say("   × 署名の確認に失敗しました。")
        return False

    say("4. 佐藤さんが二つ目の投稿案「ほたる祭りの駐車場」を送ります。")
    send(
        mail,
        compose_draft(AUTHOR, "ほたる祭りの駐車場", DRAFT_2, name="佐藤 花子"),
        AUTHOR,
        [GATEWAY],
    )
    request = await asyncio.to_thread(
        wait, REVIEWERS[0], has_status("review-request", "ほたる祭り"), 20.0
    )
    if "3(7)エ" not in body_of(request):
        say("   × 伝聞（「らしい」）が要確認として示されていません。")
        return False
    say("   → 確認者に承認依頼が届きました（「らしい」は伝聞［指針3(7)エ］として要確認の印付き）。")
    say("5. 課長が理由を添えて差し戻します。")
    body = "差戻しします。\n有料になるかは未確定です。決まってから、確かな情報としてお知らせしてください。"
    send(mail, compose_reply(request, REVIEWERS[0], body), REVIEWERS[0], [GATEWAY_PLUS(request)])
    await asyncio.to_thread(wait, AUTHOR, has_status("returned", "ほたる祭り"), 20.0)
    say("   → 佐藤さんに差戻しの理由が届きました。")
    return True


def body_of(raw: bytes) -> str:
    part = message_from_bytes(raw, policy=policy.default).get_body(("plain",))
    return part.get_content() if part is not None else ""


def GATEWAY_PLUS(request: bytes) -> str:
    """The address a reply goes to: the request's Reply-To (with its token)."""
    msg = message_from_bytes(request, policy=policy.default)
    reply_to = msg.get("Reply-To")
    return reply_to.addresses[0].addr_spec if reply_to else GATEWAY


def print_inboxes(mail: MailSystem) -> None:
    say("\n===== 各人の受信箱 =====")
    for address in (AUTHOR, *REVIEWERS):
        messages = mail.messages(address)
        say(f"\n■ {NAMES[address]} <{address}>: {len(messages)}通")
        for raw in messages:
            msg = message_from_bytes(raw, policy=policy.default)
            say(f"  [{msg.get('X-Gateway-Status', '-'):>14}] {msg.get('Subject', '')}")


def print_mail(title: str, raw: bytes) -> None:
    msg = message_from_bytes(raw, policy=policy.default)
    body = msg.get_body(("plain",))
    say(f"\n===== {title} =====")
    for name in ("From", "To", "Cc", "Subject", "X-Gateway-Status", "X-Gateway-Draft"):
        if msg.get(name):
            say(f"{name}: {msg[name]}")
    say("")
    say(body.get_content().rstrip() if body is not None else "")
    names = [p.get_filename() for p in msg.iter_attachments()]
    if names:
        say(f"[添付: {', '.join(n for n in names if n)}]")


def run_demo(verbose: bool = False) -> int:
    from gateway.cli import setup_logging
    from gateway.config import load_settings
    from gateway.daemon import Daemon

    setup_logging(logging.INFO if verbose else logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="gateway-demo-") as tmp, PymapMailSystem() as mail:
        workdir = Path(tmp)
        for address in (GATEWAY, AUTHOR, *REVIEWERS):
            mail.add_user(address, PASSWORD)
        config_path = workdir / "gateway.toml"
        config_path.touch(mode=0o600)  # it holds passwords
        config_path.write_text(config_text(mail, workdir), encoding="utf-8")
        say(
            f"内蔵のメール環境を起動しました（IMAP {mail.imap_port} / SMTP {mail.smtp_port}、127.0.0.1）。\n"
        )
        settings = load_settings(config_path)

        async def main() -> bool:
            stop = asyncio.Event()
            daemon = Daemon(settings, tick_seconds=3600)
            task = asyncio.create_task(daemon.run(stop))
            try:
                return await scenario(mail, workdir, config_path)
            finally:
                stop.set()
                await task

        try:
            ok = asyncio.run(main())
        except TimeoutError as exc:
            say(f"\n× 時間内にメールが届きませんでした: {exc}")
            print_inboxes(mail)
            return 1
        print_inboxes(mail)
        for title, address, status in (
            ("承認依頼（課長あて・伝聞の指摘つき）", REVIEWERS[0], "review-request"),
            ("承認通知（佐藤さんあて）", AUTHOR, "approved"),
            ("差戻し（佐藤さんあて）", AUTHOR, "returned"),
        ):
            found = [m for m in mail.messages(address) if status_of(m) == status]
            if found:
                print_mail(title, found[-1])
        say("\n" + ("一巡が完了しました。" if ok else "× 一巡が完了しませんでした。"))
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(run_demo())
