"""The gateway's version, from git tags (setuptools-scm writes `_version.py` at build time).

Read from the generated file first (no import of importlib.metadata on the `check` path),
then from the installed distribution's metadata, so a wheel, an editable install and the
Debian package all report the version they were built as.
"""

from __future__ import annotations

DISTRIBUTION = "town-sns-gateway"


def _read_version() -> str:
    try:
        from gateway._version import version

        return str(version)
    except ImportError:
        pass
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as dist_version

        return dist_version(DISTRIBUTION)
    except PackageNotFoundError:  # a bare source tree that was never installed
        return "0.0.0+unknown"


VERSION = _read_version()
# Outgoing mail names the program that wrote it (X-Mailer), so an office's mail admin can
# tell which version sent a message.
MAILER = f"{DISTRIBUTION}/{VERSION}"
