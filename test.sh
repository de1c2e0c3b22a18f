#!/usr/bin/env bash
# The whole test suite, from a fresh clone on a fresh Debian machine:
# installs Dovecot (Debian packages) when missing, the project and its dev extras
# into .venv, runs ruff, then pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dovecot >/dev/null 2>&1 && [ ! -x /usr/sbin/dovecot ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Dovecot from Debian's packages (for the integration tests)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd dovecot-lmtpd >/dev/null
  else
    echo "Dovecot is missing and we are not root: the integration tests will be skipped" >&2
  fi
fi
if ! command -v systemd-analyze >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >/dev/null 2>&1 || true
fi
# The Debian package (tests/integration/test_debian_package.py, on CI) is built on Debian's
# own python3 with its venv module, and so is .venv (packaging/dev-python.sh): the tests run
# on the interpreter the package ships on.
if [ "$(id -u)" = 0 ] && ! /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "installing Debian's python3-venv (the interpreter of the package and of .venv)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Node.js and npm from Debian's packages (to compare with npm prh)" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "Node.js/npm are missing and we are not root: the prh comparison will be skipped" >&2
  fi
fi

[ -x .venv/bin/python ] || "$(packaging/dev-python.sh)" -m venv .venv  # Debian's python3 if it can
# Exactly the tested versions, every file checked against its sha256 (requirements-dev.lock,
# made by ./lock.sh from pyproject.toml), then the project itself without resolving again.
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
.venv/bin/python -m pip check >/dev/null || {
  .venv/bin/python -m pip check >&2
  echo "the lock files miss a dependency of pyproject.toml: run ./lock.sh and commit them" >&2
  exit 1
}
.venv/bin/ruff check gateway tests bench
exec .venv/bin/python -m pytest "$@"
