#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml (run after changing a dependency):
#   requirements.lock      the runtime dependencies (the Debian package installs these)
#   requirements-dev.lock  the runtime and the dev dependencies (test.sh, CI, demo.sh)
# Both pin every package, transitive ones included, with the sha256 of every file PyPI has
# for that version, so `pip install --require-hashes -r …` installs exactly what was tested.
# The tool (uv, pinned) is installed into a throw-away venv; PyPI is the only index.
# `./lock.sh --audit` then checks both files against PyPI's advisory data (pip-audit).
set -euo pipefail
cd "$(dirname "$0")"
UV_VERSION=0.13.8
PIP_AUDIT_VERSION=2.10.1
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION" \
  ${1:+"pip-audit==$PIP_AUDIT_VERSION"}
uv=("$tools/venv/bin/uv" pip compile pyproject.toml --quiet --generate-hashes --universal
    --python-version 3.11 --index-url https://pypi.org/simple --custom-compile-command ./lock.sh)
"${uv[@]}" -o requirements.lock
"${uv[@]}" --extra dev -o requirements-dev.lock
echo "wrote requirements.lock ($(grep -c '==' requirements.lock) packages) and" \
  "requirements-dev.lock ($(grep -c '==' requirements-dev.lock) packages)" >&2
if [ "${1:-}" = "--audit" ]; then
  for lock in requirements.lock requirements-dev.lock; do
    "$tools/venv/bin/pip-audit" --progress-spinner off --no-deps --disable-pip -r "$lock"
  done
fi
