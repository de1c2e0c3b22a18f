#!/bin/sh
# Prints the interpreter the project's .venv is built on (test.sh, demo.sh).
# GATEWAY_PYTHON when set; else Debian's own python3 when it can make a venv: the
# interpreter the Debian package runs the gateway on (build-deb.sh), so that the tests and
# the benches run on what is shipped (pyenv's or a self-built CPython is often built
# without profile-guided optimisation, and the checker's Python then runs about 12 %
# slower against Sudachi's Rust); else python3 on PATH.
if [ -n "${GATEWAY_PYTHON:-}" ]; then
  echo "$GATEWAY_PYTHON"
elif /usr/bin/python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo /usr/bin/python3
else
  echo python3
fi
