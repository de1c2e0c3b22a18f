"""Burst: N drafts delivered at once to Dovecot; `gateway run` as a separate process.

Prints the time from the first delivery until every review request has been accepted by
the SMTP server, drafts per second, and the daemon's peak RSS (VmHWM). Needs Dovecot.

    python bench/bench_burst.py [--drafts 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
sys.path.insert(0, str(ROOT))

from harness import AUTHOR, GATEWAY, PASSWORD, USERS, write_config  # noqa: E402
from mailsystem import DovecotMailSystem, DovecotServer  # noqa: E402
from process import GatewayProcess  # noqa: E402

from gateway.demo import compose_draft  # noqa: E402

BODY = (
    "アカウント: 辰野町公式X\n\n"
    "町民運動会を町営グラウンドで開きます。どなたでも参加できます。"
    "詳しくは町のホームページをご覧ください。（{i}）\n"
)


class CountingMailSystem(DovecotMailSystem):
    """Counts review requests as the SMTP server accepts them (before LMTP delivery)."""

    def __init__(self, server: DovecotServer) -> None:
        super().__init__(server)
        self.requests = 0
        self.last = 0.0
        self.changed = threading.Condition()

    def deliver(self, raw, recipients):
        msg = message_from_bytes(raw, policy=policy.default)
        if msg.get("X-Gateway-Status") == "review-request":
            with self.changed:
                self.requests += 1
                self.last = time.perf_counter()
                self.changed.notify_all()
        super().deliver(raw, recipients)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=1000)
    args = parser.parse_args()
    n = args.drafts
    server = DovecotServer()
    server.start()
    try:
        with CountingMailSystem(server) as mail, tempfile.TemporaryDirectory() as tmp:
            for user in USERS:
                mail.add_user(user, PASSWORD)
            # One author sends them all: lift the per-sender rate limit (hostile-input guard).
            extra = "[limits]\nper_sender_per_hour = 1000000\n"
            gw = GatewayProcess(write_config(mail, Path(tmp), extra=extra)).start()
            try:
                gw.wait_for_line(r"imap_watching|watching 'INBOX'")
                # Warm up (dictionary, templates) with one draft, then stop counting it.
                mail.deliver(compose_draft(AUTHOR, "warm-up", BODY.format(i=-1)), [GATEWAY])
                with mail.changed:
                    if not mail.changed.wait_for(lambda: mail.requests >= 2, timeout=60):
                        raise SystemExit("the warm-up draft got no review requests")
                    mail.requests = 0
                raws = [
                    compose_draft(AUTHOR, f"ベンチマーク {i:04d}", BODY.format(i=i))
                    for i in range(n)
                ]
                # "At once": every draft is in the mailbox before the clock starts.
                gw_pid = gw.pid
                _pause(gw_pid)
                for raw in raws:
                    mail.deliver(raw, [GATEWAY])
                start = time.perf_counter()
                _resume(gw_pid)
                with mail.changed:
                    ok = mail.changed.wait_for(lambda: mail.requests >= 2 * n, timeout=max(60, n))
                if not ok:
                    raise SystemExit(f"only {mail.requests} of {2 * n} review requests")
                elapsed = mail.last - start
                rss_mb = gw.peak_rss_kb() / 1024
            finally:
                gw.stop()
            state = Path(tmp) / "state.json"
            sizes = {
                p.name: p.stat().st_size for p in state.parent.glob("state.json*") if p.is_file()
            }
    finally:
        server.remove()
    print(f"burst of {n} drafts already in the mailbox -> {2 * n} review requests accepted by SMTP")
    print(f"  time        {elapsed:8.1f} s")
    print(f"  throughput  {n / elapsed:8.1f} drafts/s")
    print(f"  peak RSS    {rss_mb:8.1f} MB (VmHWM of gateway run)")
    print("  state files " + ", ".join(f"{k} {v / 1024:.0f} kB" for k, v in sorted(sizes.items())))


def _pause(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGSTOP)


def _resume(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGCONT)


if __name__ == "__main__":
    main()
