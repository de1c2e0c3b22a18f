"""Under systemd, every stderr line carries its sd-daemon priority, so journald files errors
as errors (`journalctl -p err`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gateway.logformat import priority, stderr_is_journal

SCRIPT = """
import logging
from gateway.cli import setup_logging
setup_logging()
log = logging.getLogger("gateway.test")
log.info("event=info_line")
log.warning("event=warning_line")
log.error("event=error_line")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("event=crash")
"""


def run_with_stderr_to(path: Path, journal_stream: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    with open(path, "wb") as err:
        if journal_stream == "match":
            st = os.fstat(err.fileno())
            env["JOURNAL_STREAM"] = f"{st.st_dev}:{st.st_ino}"
        elif journal_stream:
            env["JOURNAL_STREAM"] = journal_stream
        subprocess.run([sys.executable, "-c", SCRIPT], stderr=err, env=env, check=True,
                       cwd=Path(__file__).parents[2])  # fmt: skip
    return path.read_text(encoding="utf-8").splitlines()


def test_each_line_starts_with_its_priority_when_stderr_is_the_journal(tmp_path):
    lines = run_with_stderr_to(tmp_path / "stderr", "match")
    by_event = {line.split("event=")[1]: line[:3] for line in lines if "event=" in line}
    assert by_event == {"info_line": "<6>", "warning_line": "<4>", "error_line": "<3>", "crash": "<3>"}
    assert all(line.startswith("<") for line in lines)  # the traceback lines too
    assert any(line.startswith("<3>ZeroDivisionError") for line in lines)


def test_no_prefix_when_stderr_is_not_the_journal_stream(tmp_path):
    for stream in (None, "1:2"):  # unset, or set for another file (stderr redirected)
        lines = run_with_stderr_to(tmp_path / "stderr", stream)
        assert lines and not any(line.startswith("<") for line in lines)


def test_priority_mapping_and_stream_check(tmp_path):
    assert [priority(n) for n in (10, 20, 30, 40, 50)] == [7, 6, 4, 3, 2]
    with open(tmp_path / "f", "wb") as f:
        st = os.fstat(f.fileno())
        assert stderr_is_journal({"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}, f.fileno())
        assert not stderr_is_journal({"JOURNAL_STREAM": "x:y"}, f.fileno())
        assert not stderr_is_journal({}, f.fileno())
