#!/usr/bin/env bash
# `gateway demo` from a fresh clone: install into .venv, then run one whole round trip
# (draft -> check -> two reviewers -> approval -> signed confirmation, and a send-back)
# on an embedded local mail system. No root, no setup.
set -euo pipefail
cd "$(dirname "$0")"
[ -x .venv/bin/python ] || "$(packaging/dev-python.sh)" -m venv .venv  # Debian's python3 if it can
# the tested versions, hash-checked (requirements.lock, made by ./lock.sh), then the project
.venv/bin/python -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
# editable, as ./test.sh installs it: the demo and the tests then run the same code (a
# plain install here left the tests' `gateway` command running a copy of the tree)
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
exec .venv/bin/gateway demo "$@"
