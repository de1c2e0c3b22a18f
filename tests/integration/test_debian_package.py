"""The Debian package, as a town's admin installs it: build, `dpkg -i`, `gateway init --from`
against a real Dovecot, upgrade to the next version, purge. It changes the machine
(/opt/gateway, /etc/gateway, /usr/bin/gateway), so it runs on CI (CI=true) or when asked
(GATEWAY_TEST_DEB=1), as root."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
from buildtree import tree_marks
from harness import GATEWAY, PASSWORD, write_init_answers

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PKG = "town-sns-gateway"
STATE = Path("/var/lib/gateway")
CACHE = Path("/var/cache/gateway")  # systemd's CacheDirectory=gateway
VENV_PYTHON = "/opt/gateway/venv/bin/python"
LOCK = ROOT / "requirements.lock"
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


def _run(
    *cmd: str, check: bool = True, timeout: float = 600, cwd: str | None = None
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    # No terminal: a question from dpkg (a conffile conflict) fails instead of waiting.
    result = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )
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
    checkout_before = tree_marks(ROOT)
    started = time.monotonic()
    deb = _run(str(ROOT / "packaging" / "build-deb.sh"), str(tmp_path / "dist")).stdout.split()[-1]
    print(f"package built in {time.monotonic() - started:.0f} s")
    # The build wrote nothing into the checkout (gateway/_version.py stays the editable
    # install's own).
    assert tree_marks(ROOT) == checkout_before
    try:
        yield Path(deb)
    finally:
        if _installed():
            _run("dpkg", "--purge", PKG, check=False)
        if not state_existed:
            shutil.rmtree(STATE, ignore_errors=True)


def _start_daemon_until_state(timeout: float = 60) -> None:
    """Run the installed daemon until it has written its key, its state and its cache (where
    systemd's CacheDirectory= puts it), then stop it."""
    env = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    proc = subprocess.Popen(
        ["/usr/bin/gateway", "run", "-c", "/etc/gateway/gateway.toml"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**env, "CACHE_DIRECTORY": str(CACHE)},
    )
    deadline = time.monotonic() + timeout
    try:
        written = (STATE / "signing.key", STATE / "state.json", CACHE)
        while not all(path.exists() for path in written):
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            missing = [str(path) for path in written if not path.exists()]
            assert time.monotonic() < deadline, f"the daemon did not write {missing}"
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _python_version(deb_version: str) -> str:
    """The program's version from the package's: Debian spells a pre-release with "~"."""
    upstream = deb_version.rsplit("-", 1)[0]
    return re.sub(r"~(a|b|rc)", r"\1", upstream.replace("~dev", ".dev"))


def _next_release(deb: Path, tmp_path: Path) -> tuple[Path, str]:
    """The package as the next release ships it: a higher version (in the control file and in
    the program) and a changed example config, as each release adds keys to it. Repacked
    from `deb` rather than built again, which would double the test's time."""
    tree = tmp_path / "next"
    _run("dpkg-deb", "-R", str(deb), str(tree))
    control = tree / "DEBIAN" / "control"
    current = _python_version(_run("dpkg-deb", "-f", str(deb), "Version").stdout.strip())
    release = re.match(r"\d+(\.\d+)*", current)
    assert release
    if release.group() != current:  # a dev or pre-release: the release it leads to
        upcoming = release.group()
    else:
        *head, last = current.split(".")
        upcoming = ".".join([*head, str(int(last) + 1)])
    control.write_text(
        re.sub(r"(?m)^Version: .*$", f"Version: {upcoming}-1", control.read_text()),
        encoding="utf-8",
    )
    (version_file,) = tree.glob("opt/gateway/venv/lib/python3*/site-packages/gateway/_version.py")
    with version_file.open("a", encoding="utf-8") as fh:
        fh.write(f"__version__ = version = {upcoming!r}\n")
    example = tree / "etc" / "gateway" / "gateway.toml.example"
    with example.open("a", encoding="utf-8") as fh:
        fh.write("\n# (the next release documents a new key here)\n")
    newer = tmp_path / "next.deb"
    _run("dpkg-deb", "--root-owner-group", "-Znone", "--build", str(tree), str(newer))
    return newer, upcoming


def _installed_distributions() -> dict[str, str]:
    """What the package's venv holds: {normalized name: version}."""
    code = (
        "import importlib.metadata as m\n"
        "for d in m.distributions(): print(d.metadata['Name'], d.version)"
    )
    lines = _run(VENV_PYTHON, "-c", code, cwd="/").stdout.splitlines()
    return {_normalize(n): v for n, v in (line.split() for line in lines)}


def _locked() -> dict[str, str]:
    pins = re.findall(r"(?m)^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", LOCK.read_text())
    return {_normalize(n): v for n, v in pins}


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _etc_files() -> dict[str, tuple[bytes, int]]:
    return {
        p.name: (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in Path("/etc/gateway").iterdir()
        if p.name != "gateway.toml.example"
    }


def test_package_installs_sets_up_upgrades_and_purges(package, mail_system, tmp_path):
    mail_system.add_user(GATEWAY, PASSWORD)
    answers = write_init_answers(tmp_path / "answers.toml", mail_system, f'password = "{PASSWORD}"')
    deb_version = _run("dpkg-deb", "-f", str(package), "Version").stdout.strip()

    _run("dpkg", "-i", str(package))
    shown = _run("gateway", "--version").stdout.strip()
    assert shown == f"gateway {_python_version(deb_version)}"
    # (From a folder without a `gateway` package: -m would import the checkout's.)
    assert _run(VENV_PYTHON, "-m", "gateway", "--version", cwd="/").stdout.strip() == shown
    _run("systemd-analyze", "verify", "/lib/systemd/system/gateway.service")
    conffiles = _run("dpkg-query", "-W", "-f=${Conffiles}", PKG).stdout.split()
    assert "/etc/gateway/gateway.toml.example" in conffiles
    assert Path("/etc/gateway/gateway.toml.example").is_file()
    page = Path("/usr/share/man/man1/gateway.1.gz")
    assert page.is_file()
    if shutil.which("man"):
        shown_page = _run("man", "gateway", check=False)
        assert shown_page.returncode == 0 and "gateway init" in shown_page.stdout
    completion = Path("/usr/share/bash-completion/completions/gateway").read_text()
    assert "init" in completion and "verify" in completion
    # Exactly the tested versions: the venv holds the lock's pins and the gateway, nothing else.
    held = _installed_distributions()
    assert held.pop(_normalize(PKG)) == _python_version(deb_version)
    assert held == _locked()
    # Installing enables nothing by itself.
    assert not Path("/etc/systemd/system/multi-user.target.wants/gateway.service").exists()

    init = _run("gateway", "init", "--from", str(answers), check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "ログインしてフォルダ INBOX を開けました" in init.stdout
    check = _run("gateway", "config", "check", "-c", "/etc/gateway/gateway.toml", check=False)
    assert check.returncode == 0, check.stdout
    _start_daemon_until_state()
    etc_before = _etc_files()
    assert set(etc_before) == {"gateway.toml", "imap-password", "smtp-password"}
    key_before = (STATE / "signing.key").read_bytes()
    state_before = (STATE / "state.json").read_bytes()

    # The upgrade to the next release keeps the config, the password files and the state;
    # the example, untouched by the admin, becomes the new one without a question.
    newer, upcoming = _next_release(package, tmp_path)
    _run("dpkg", "-i", str(newer))
    assert _run("gateway", "--version").stdout.strip() == f"gateway {upcoming}"
    assert _etc_files() == etc_before
    assert (STATE / "signing.key").read_bytes() == key_before
    assert (STATE / "state.json").read_bytes() == state_before
    assert "the next release documents" in Path("/etc/gateway/gateway.toml.example").read_text()
    check = _run("gateway", "config", "check", "-c", "/etc/gateway/gateway.toml", check=False)
    assert check.returncode == 0, check.stdout

    files = [Path(p) for p in _run("dpkg", "-L", PKG).stdout.splitlines() if p.strip()]
    own_files = [p for p in files if not p.is_dir()]  # /lib -> usr/lib is the system's
    assert Path("/usr/bin/gateway") in own_files
    purge = _run("dpkg", "--purge", PKG)
    assert "/var/lib/gateway" in purge.stdout  # says where the state was kept
    left = [p for p in own_files if p.exists() or p.is_symlink()]
    assert left == []
    assert [d for d in OWN_DIRS if d.exists()] == []
    assert not CACHE.exists()  # rebuilt on need: the package's, so purged
    # The record of who approved what, and the key, are never purged without asking.
    assert (STATE / "signing.key").read_bytes() == key_before
    assert (STATE / "state.json").read_bytes() == state_before
