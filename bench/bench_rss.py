"""Where a large mail's memory goes, stage by stage: the largest draft the limits allow
(photos) read, forwarded to two reviewers and sent over SMTP, the way the gateway does
it now (from files, in pieces) and the way it did before (whole bytes and messages).

For each stage: tracemalloc's peak of Python allocations above the stage's start, and
the growth of the process's peak RSS (VmHWM, reset before each stage where Linux allows),
in MB and as a multiple of the mail's size. The SMTP server (aiosmtpd's Sink) runs as a
separate process, so only the sender is measured. `bench/bench_mime.py` measures
`gateway run` itself (IMAP fetch to confirmation) against Dovecot.

    python bench/bench_rss.py [--mb 29.5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiosmtplib  # noqa: E402

from gateway.mime import read_message, read_message_file  # noqa: E402
from gateway.render import _stand_in_for_file, file_parts  # noqa: E402
from gateway.smtpstream import send_file  # noqa: E402
from gateway.spool import Spool  # noqa: E402

GW = "sns-check@town.example.jp"
REVIEWERS = ("kacho@town.example.jp", "kakaricho@town.example.jp")
MB = 1024 * 1024


def photo_draft(total_mb: float) -> bytes:
    msg = EmailMessage()
    msg["From"] = "sato@town.example.jp"
    msg["To"] = GW
    msg["Subject"] = "運動会の写真"
    msg["Message-ID"] = "<photos@town.example.jp>"
    msg.set_content("アカウント: 辰野町公式X\n\n運動会の写真です。\n", charset="utf-8")
    each = int(total_mb * MB * 0.72 / 2)
    for i in range(2):
        msg.add_attachment(os.urandom(each), maintype="image", subtype="jpeg", filename=f"p{i}.jpg")
    return msg.as_bytes(policy=SMTP)


def _hwm_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def measure(name: str, size: int, stage: Callable[[], object]) -> object:
    gc.collect()
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss0 = _rss_kb()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    result = stage()
    peak = tracemalloc.get_traced_memory()[1] - before
    hwm = _hwm_kb() - rss0
    print(f"  {name:44s} python peak {peak / MB:7.1f} MB ({peak / size:5.2f}x)"
          f"   RSS peak +{hwm / 1024:6.1f} MB ({hwm * 1024 / size:5.2f}x)")
    return result


def smtp_sink() -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink",
         "-l", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, port
        time.sleep(0.05)
    raise RuntimeError("aiosmtpd did not start")


def review_request(attachments, as_files: bool) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "[確認依頼 D-000001] 運動会の写真"
    msg["Message-ID"] = "<D-000001.v1@town.example.jp>"
    msg.set_content("投稿案の確認をお願いします。\n")
    for a in attachments:
        if as_files:
            msg.add_attachment(b"", maintype="image", subtype="jpeg", filename=a.filename)
            _stand_in_for_file(msg, Path(a.stored.path))
        else:
            msg.add_attachment(a.data, maintype="image", subtype="jpeg", filename=a.filename)
    return msg


async def send(port: int, paths: list[Path] | None, blobs: list[bytes] | None) -> None:
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=120)
    await client.connect()
    try:
        for i, rcpt in enumerate(REVIEWERS):
            if paths is not None:
                await send_file(client, GW, [rcpt], paths[i])
            else:
                assert blobs is not None
                await client.sendmail(GW, [rcpt], blobs[i])
    finally:
        await client.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=29.5)
    args = parser.parse_args()
    raw = photo_draft(args.mb)
    size = len(raw)
    proc, port = smtp_sink()
    tracemalloc.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            mail = Path(tmp) / "fetched.eml"
            mail.write_bytes(raw)
            del raw
            spool = Spool(Path(tmp) / "spool")
            print(f"a {size / MB:.1f} MB draft with two photos, two reviewers:")
            print(" now (from files, in pieces):")

            def read_now():
                with mail.open("rb") as f:
                    return read_message_file(f, [GW], blobs=spool.attachment_writer)

            inc = measure("read: parse, photos decoded to the spool", size, read_now)

            def write_now():
                out = []
                for i, _ in enumerate(REVIEWERS):
                    msg = review_request(inc.attachments, as_files=True)
                    out.append(spool.mail_path(spool.put_message(f"<n{i}@x>", msg, file_parts(msg))))
                return out

            paths = measure("review requests: 2 written to the spool", size, write_now)
            measure("SMTP: 2 sent from their files", size, lambda: asyncio.run(send(port, paths, None)))

            print(" before (whole bytes and messages):")
            old = measure("read: read_message(bytes)", size, lambda: read_message(mail.read_bytes(), [GW]))

            def write_old():
                return [review_request(old.attachments, as_files=False).as_bytes(policy=SMTP)
                        for _ in REVIEWERS]

            blobs = measure("review requests: 2 built as bytes", size, write_old)
            measure("SMTP: aiosmtplib sendmail of the bytes", size, lambda: asyncio.run(send(port, None, blobs)))
    finally:
        tracemalloc.stop()
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
