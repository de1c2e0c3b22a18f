"""`gateway check` imports what checking needs and nothing of the daemon's: a fresh
process checks a post, then lists the modules it loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
POST = ROOT / "tests" / "data" / "drafts" / "clean" / "001-hotaru-festival.txt"

PROBE = """
import json, sys
from gateway.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

# the daemon's side: state, mail in and out, templates, signing, the event loop, the config
# (its reading, people and accounts, settings and passwords), the state's files and codecs
NOT_NEEDED = (
    "gateway.daemon", "gateway.store", "gateway.workflow", "gateway.intake",
    "gateway.outbox", "gateway.mime", "gateway.signing", "gateway.render",
    "gateway.admin", "gateway.config", "gateway.init_cmd", "gateway.pipeline",
    "gateway.config_reader", "gateway.config_accounts", "gateway.settings", "gateway.credentials",
    "gateway.statedb", "gateway.statefiles", "gateway.memtables", "gateway.archive",
    "gateway.draftdocs", "gateway.durable", "gateway.template_check", "gateway.mail_samples",
    "imapclient", "aiosmtplib", "jinja2", "cryptography", "tinydb", "asyncio",
    "email.parser", "yaml", "regex",
    "gateway.checker.jsshape",  # reads prh patterns: a dictionary in the load cache needs none
)  # fmt: skip


def test_check_loads_no_daemon_module(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    # twice: the first fills the load cache (and may read YAML), the second is a usual start
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", PROBE, "check", "--format", "json", str(POST)],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
        )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert report["code"] in (0, 1), done.stderr
    findings = json.loads("\n".join(lines[:-1]))["findings"]
    assert findings, "the check ran on the post"
    loaded = set(report["modules"])
    assert "gateway.checker.engine" in loaded and "sudachipy" in loaded
    assert sorted(loaded & set(NOT_NEEDED)) == []


def test_unified_ideographs_are_taken_as_inert_as_unicodedata_says() -> None:
    """draft._inert_class skips asking unicodedata about the CJK block (a start-up cost):
    the class it gives is the one asking every character gives."""
    import unicodedata

    from gateway.checker import draft

    ranges: list[list[int]] = []
    for lo, hi in (*draft._INERT_BLOCKS, draft._UNIFIED_IDEOGRAPHS):
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if unicodedata.normalize("NFKC", ch) != ch or unicodedata.combining(ch):
                continue
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    assert draft._inert_class() == "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in ranges)


def test_the_check_command_ends_with_all_its_output_and_its_code(tmp_path: Path) -> None:
    """As a command, `gateway check` ends without tearing its objects down (os._exit):
    everything it wrote still arrives, and the exit code is the check's."""
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    violating = ROOT / "tests" / "data" / "drafts" / "violating" / "105-insult-shine.txt"
    for post, code in ((POST, 0), (violating, 1)):
        done = subprocess.run(
            [sys.executable, "-m", "gateway", "check", "--format", "json", str(post)],
            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
        )  # fmt: skip
        assert done.returncode == code, done.stderr
        report = json.loads(done.stdout)  # whole: the output was flushed before the exit
        assert any(f["severity"] == "error" for f in report["findings"]) == (code == 1)
    big = tmp_path / "big.txt"  # more than a pipe holds, so the writes had to wait
    # (a rule lists 20 places at most, checker.listing: long links make them long)
    big.write_text(
        "".join(f"http://example.com/{i}/{'a' * 3000}\n" for i in range(30)), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "check", "--format", "json", str(big)],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert len(done.stdout.encode()) > 100_000
    found = json.loads(done.stdout)["findings"]
    links = [f for f in found if f["rule"] == "link-hygiene"]
    assert len(links) == 20 and links[-1]["omitted"] == 10
    assert done.returncode == any(f["severity"] == "error" for f in found), done.stderr
