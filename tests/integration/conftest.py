"""Fixtures for real-server tests: a private Dovecot per session, fresh users per test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from harness import PASSWORD, USERS, RunningGateway, write_config
from mailsystem import DOVECOT, DovecotMailSystem, DovecotServer, dovecot_available


def _try_install() -> str:
    """apt-get install Dovecot when we are root; return why it is still missing, or ''."""
    if os.geteuid() != 0:
        return f"{DOVECOT} is missing and we are not root, so it cannot be installed"
    if shutil.which("apt-get") is None:
        return f"{DOVECOT} is missing and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "dovecot-imapd", "dovecot-lmtpd"],
    ):
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            return f"{' '.join(cmd)} failed ({result.returncode}): {tail}"
    return "" if dovecot_available() else "Dovecot still missing after apt-get install"


@pytest.fixture(scope="session")
def dovecot() -> str:
    """Path of a usable dovecot binary; installs it once if possible, else skip (fail on CI)."""
    if not dovecot_available():
        reason = _try_install()
        if reason:
            if os.environ.get("CI"):
                pytest.fail(f"Dovecot is required on CI: {reason}")
            pytest.skip(f"Dovecot not available: {reason}")
    return DOVECOT


@pytest.fixture(scope="session")
def dovecot_server(dovecot: str) -> Iterator[DovecotServer]:
    """One private Dovecot for the session (start ~20 ms, but stop ~1-2 s)."""
    server = DovecotServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def mail_system(dovecot_server: DovecotServer) -> Iterator[DovecotMailSystem]:
    """A fresh mail system per test: no users, no mail, its own SMTP port."""
    with DovecotMailSystem(dovecot_server) as mail:
        yield mail


@pytest.fixture
def gw(mail_system, tmp_path) -> Iterator[RunningGateway]:
    """The office of the demo (author, two reviewers, alternate) and the real daemon
    watching its mailbox; a test file with other needs defines its own `gw`."""
    for user in USERS:
        mail_system.add_user(user, PASSWORD)
    running = RunningGateway(mail_system, write_config(mail_system, tmp_path)).start()
    try:
        yield running
    finally:
        running.stop()

