"""Latency of the core loop on a real Dovecot: a draft lands in the gateway's mailbox ->
both review requests are accepted by the SMTP server.

Prints median, p95, min and max over N sequential drafts, with IMAP IDLE and with the
polling fallback (poll_interval = 1 s) for comparison. Needs Dovecot (./test.sh installs it).

    .venv/bin/python bench/bench_loop.py [--drafts 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))

from harness import GATEWAY, PASSWORD, USERS, RunningGateway, write_config  # noqa: E402
from mailsystem import DovecotMailSystem, DovecotServer  # noqa: E402

from gateway.demo import compose_draft  # noqa: E402


class TimedMailSystem(DovecotMailSystem):
    """Records when the SMTP server has accepted each review request."""

    def __init__(self, server: DovecotServer) -> None:
        super().__init__(server)
        self.accepted: dict[str, list[float]] = {}
        self.changed = threading.Condition()

    def deliver(self, raw, recipients):
        super().deliver(raw, recipients)
        msg = message_from_bytes(raw, policy=policy.default)
        if msg.get("X-Gateway-Status") == "review-request":
            subject = str(msg["Subject"]).split("] ", 1)[-1]
            with self.changed:
                self.accepted.setdefault(subject, []).append(time.perf_counter())
                self.changed.notify_all()


def run(drafts: int, use_idle: bool, server: DovecotServer) -> list[float]:
    with TimedMailSystem(server) as mail, tempfile.TemporaryDirectory() as tmp:
        for user in USERS:
            mail.add_user(user, PASSWORD)
        gw = RunningGateway(mail, write_config(mail, Path(tmp)), use_idle=use_idle).start()
        try:
            latencies = []
            for i in range(drafts + 1):  # the first one warms up (dictionary, templates)
                subject = f"ベンチマーク {i:03d}"
                raw = compose_draft(
                    "sato@town.example.jp",
                    subject,
                    f"アカウント: 辰野町公式X\n\n町民運動会のお知らせ {i}\n",
                )
                start = time.perf_counter()
                mail.deliver(raw, [GATEWAY])
                with mail.changed:
                    ok = mail.changed.wait_for(
                        lambda s=subject: len(mail.accepted.get(s, ())) >= 2, timeout=30
                    )
                if not ok:
                    raise SystemExit(f"timed out waiting for the review requests of {subject!r}")
                if i:
                    latencies.append(max(mail.accepted[subject]) - start)
            return latencies
        finally:
            gw.stop()


def describe(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return (
        f"{label:<26} n={len(values):3d}  median={statistics.median(values) * 1000:7.1f} ms  "
        f"p95={p95 * 1000:7.1f} ms  min={ordered[0] * 1000:7.1f} ms  max={ordered[-1] * 1000:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=30)
    args = parser.parse_args()
    server = DovecotServer()
    server.start()
    try:
        print("draft lands in the mailbox -> both review requests accepted by SMTP")
        print(describe("IMAP IDLE", run(args.drafts, True, server)))
        print(describe("polling (every 1 s)", run(args.drafts, False, server)))
    finally:
        server.remove()


if __name__ == "__main__":
    main()
