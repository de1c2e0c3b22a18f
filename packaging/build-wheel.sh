#!/usr/bin/env bash
# Build the gateway's wheel from this checkout WITHOUT writing into it:
#   packaging/build-wheel.sh OUTPUT_DIR          -> prints the path of the wheel
# Built in the checkout, setuptools-scm would rewrite gateway/_version.py (and leave build/
# and *.egg-info behind): an editable install older than HEAD would then report the newer
# version while its metadata keeps the older one, two versions in one program. So the
# version is read from git here (setuptools-scm's own command, which writes nothing), and
# the wheel is built from an export of the tree (every file git tracks or would add, as it
# is on disk now) with that version given to setuptools-scm.
# Used by packaging/build-deb.sh and tests/integration/test_packaging.py.
# Environment: PYTHON (default python3). Needs git and the package registry (build tools).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(mkdir -p "$1" && cd "$1" && pwd)"
PYTHON="${PYTHON:-python3}"
PIP_QUIET=(-q --disable-pip-version-check --no-input)
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if ! git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "build-wheel.sh: $ROOT is not a git checkout (the version comes from its tags)" >&2
  exit 1
fi

# The build tools exactly as pyproject.toml's [build-system] pins them, in one venv that both
# reads the version and builds (so no second, isolated build environment).
mapfile -t BUILD_REQUIRES < <("$PYTHON" -c '
import sys, tomllib
print(*tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"], sep="\n")
' "$ROOT/pyproject.toml")
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install "${PIP_QUIET[@]}" "${BUILD_REQUIRES[@]}" >/dev/null
VERSION="$(cd "$ROOT" && "$WORK/venv/bin/python" -m setuptools_scm)"

# The export: tracked and untracked-but-not-ignored files that exist (a deleted file is not).
SRC="$WORK/src"
mkdir "$SRC"
git -C "$ROOT" ls-files -z --cached --others --exclude-standard |
  (cd "$ROOT" && while IFS= read -r -d '' f; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
  done) |
  tar -C "$ROOT" --null --no-recursion -T - -cf - | tar -C "$SRC" -xf -

SETUPTOOLS_SCM_PRETEND_VERSION_FOR_TOWN_SNS_GATEWAY="$VERSION" \
  "$WORK/venv/bin/pip" wheel "${PIP_QUIET[@]}" --no-deps --no-build-isolation -w "$WORK/wheel" "$SRC" >/dev/null
WHEEL="$(ls "$WORK"/wheel/*.whl)"
cp "$WHEEL" "$OUT/"
echo "$OUT/$(basename "$WHEEL")"
