"""The Debian package, as a town's admin installs it: build, `dpkg -i`, `gateway init --from`
against a real Dovecot, upgrade, purge. It changes the machine (/opt/gateway, /etc/gateway,
/usr/bin/gateway), so it runs on CI (CI=true) or when asked (GATEWAY_TEST_DEB=1), as root."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from harness import GATEWAY, PASSWORD, write_init_answers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PKG = "town-sns-gateway"
STATE = Path("/var/lib/gateway")
OWN_DIRS = (Path("/opt/gateway"), Path("/etc/gateway"), Path(f"/usr/share/doc/{PKG}"))


def _why_not() -> str:
    if not (os.environ.get("CI") or os.environ.get("GATEWAY_TEST_DEB")):
        return "installs a system package: runs on CI, or with GATEWAY_TEST_DEB=1"
    if os.geteuid() != 0:
        return "dpkg -i needs root"
    for tool in ("dpkg-deb", "dpkg", "git", "systemd-analyze"):
        if shutil.which(tool) is None:
            return f"{tool} is missing"
    return ""


def _run(*cmd: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


def _installed() -> bool:
    r = _run("dpkg-query", "-W", "-f=${Status}", PKG, check=False)
    return r.returncode == 0 and "installed" in r.stdout


@pytest.fixture
def package(tmp_path):
    reason = _why_not()
    if reason:
        if os.environ.get("CI") and "CI" not in reason:
            pytest.fail(f"the Debian package test is required on CI: {reason}")
        pytest.skip(reason)
    if _installed():
        _run("dpkg", "--purge", PKG)
    state_existed = STATE.exists() or Path("/var/lib/private/gateway").exists()
    started = time.monotonic()
    deb = _run(str(ROOT / "packaging" / "build-deb.sh"), str(tmp_path / "dist")).stdout.split()[-1]
    print(f"package built in {time.monotonic() - started:.0f} s")
    try:
        yield Path(deb)
    finally:
        if _installed():
            _run("dpkg", "--purge", PKG, check=False)
        if not state_existed:
            shutil.rmtree(STATE, ignore_errors=True)


def _start_daemon_until_state(timeout: float = 60) -> None:
    """Run the installed daemon until it has written its key and state, then stop it."""
    proc = subprocess.Popen(
        ["/usr/bin/gateway", "run", "-c", "/etc/gateway/gateway.toml"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout
    try:
        while not (STATE / "signing.key").exists() or not (STATE / "state.json").exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the daemon wrote no state"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_package_installs_sets_up_upgrades_and_purges(package, mail_system, tmp_path):
    mail_system.add_user(GATEWAY, PASSWORD)
    answers = write_init_answers(tmp_path / "answers.toml", mail_system, f'password = "{PASSWORD}"')
    deb_version = _run("dpkg-deb", "-f", str(package), "Version").stdout.strip()

    _run("dpkg", "-i", str(package))
    shown = _run("gateway", "--version").stdout.strip()
    # Debian spells a pre-release with "~"; the program says the Python version.
    upstream = deb_version.rsplit("-", 1)[0]
    python_version = re.sub(r"~(a|b|rc)", r"\1", upstream.replace("~dev", ".dev"))
    assert shown == f"gateway {python_version}"
    _run("systemd-analyze", "verify", "/lib/systemd/system/gateway.service")
    assert Path("/etc/gateway/gateway.toml.example").is_file()
    assert Path("/usr/share/man/man1/gateway.1.gz").is_file()
    completion = Path("/usr/share/bash-completion/completions/gateway").read_text()
    assert "init" in completion and "verify" in completion
    # Installing enables nothing by itself.
    assert not Path("/etc/systemd/system/multi-user.target.wants/gateway.service").exists()

    init = _run("gateway", "init", "--from", str(answers), check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "ログインしてフォルダ INBOX を開けました" in init.stdout
    check = _run("gateway", "config", "check", "-c", "/etc/gateway/gateway.toml", check=False)
    assert check.returncode == 0, check.stdout
    _start_daemon_until_state()
    config_before = Path("/etc/gateway/gateway.toml").read_bytes()
    key_before = (STATE / "signing.key").read_bytes()

    # An upgrade (the same package again runs the upgrade scripts) keeps config and state.
    _run("dpkg", "-i", str(package))
    assert Path("/etc/gateway/gateway.toml").read_bytes() == config_before
    assert (STATE / "signing.key").read_bytes() == key_before
    assert _run("gateway", "--version").stdout.strip() == shown

    files = [Path(p) for p in _run("dpkg", "-L", PKG).stdout.splitlines() if p.strip()]
    own_files = [p for p in files if not p.is_dir()]  # /lib -> usr/lib is the system's
    assert Path("/usr/bin/gateway") in own_files
    purge = _run("dpkg", "--purge", PKG)
    assert "/var/lib/gateway" in purge.stdout  # says where the state was kept
    left = [p for p in own_files if p.exists() or p.is_symlink()]
    assert left == []
    assert [d for d in OWN_DIRS if d.exists()] == []
    # The record of who approved what, and the key, are never purged without asking.
    assert (STATE / "signing.key").read_bytes() == key_before
    assert (STATE / "state.json").exists()
