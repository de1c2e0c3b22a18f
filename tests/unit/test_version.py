"""The version: one value from git tags, shown by `gateway --version` and `python -m gateway`."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys

import pytest

import gateway
from gateway.version import DISTRIBUTION, MAILER, VERSION

# PEP 440, as setuptools-scm writes it (a tag, or a dev release between tags).
PEP440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?")


def test_one_version_everywhere():
    assert PEP440.fullmatch(VERSION), VERSION
    assert gateway.__version__ == VERSION
    assert f"town-sns-gateway/{VERSION}" == MAILER


def test_the_program_and_its_installed_metadata_say_the_same_version():
    # An editable install reads gateway/_version.py from the checkout; a build that rewrote it
    # (packaging/build-wheel.sh no longer builds in the checkout) made the two disagree.
    try:
        installed = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("a bare checkout: no installed distribution to compare with")
    assert installed == VERSION


def test_python_dash_m_gateway_is_the_gateway_command():
    out = subprocess.run(
        [sys.executable, "-m", "gateway", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"gateway {VERSION}"
    usage = subprocess.run(
        [sys.executable, "-m", "gateway"], capture_output=True, text=True, check=False
    )
    assert usage.returncode == 2 and "init" in usage.stderr
