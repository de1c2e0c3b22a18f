#!/usr/bin/env bash
# Build the Debian package of the gateway from this checkout:
#   packaging/build-deb.sh [OUTPUT_DIR]          -> OUTPUT_DIR/town-sns-gateway_VERSION_ARCH.deb
# A prepared tree packed with dpkg-deb (no dh-virtualenv needed): a venv under /opt/gateway
# built on Debian's own python3 (so the package depends on it, not on this machine's Python),
# the unit in /lib/systemd/system, the example config as a conffile in /etc/gateway,
# `gateway` on the PATH, a man page (argparse-manpage) and bash completion (shtab) generated
# from the real argparse parser. Needs: Debian's python3 and python3-venv, dpkg-deb, git
# (the version comes from git tags), and the package registry for the pinned dependencies.
# The wheel comes from packaging/build-wheel.sh, which builds from an export of the tree, so
# the checkout (and an editable install's gateway/_version.py) is left as it was.
# Environment: PYTHON (default: Debian's python3), DEB_COMPRESSION (default zstd).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)"
PYTHON="${PYTHON:-$(readlink -f /usr/bin/python3)}"
PKG=town-sns-gateway
PREFIX=/opt/gateway
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/root"
VENV="$STAGE$PREFIX/venv"
PIP_QUIET=(-q --disable-pip-version-check --no-input)

echo "building the wheel (version from git; the checkout is not written to)" >&2
WHEEL="$(PYTHON="$PYTHON" "$ROOT/packaging/build-wheel.sh" "$WORK/wheel")"
VERSION="$(basename "$WHEEL" | cut -d- -f2)"

echo "installing $PKG $VERSION into $PREFIX/venv (on $PYTHON)" >&2
"$PYTHON" -m venv "$VENV"
if [ -f "$ROOT/requirements.lock" ]; then
  "$VENV/bin/pip" install "${PIP_QUIET[@]}" --no-compile --require-hashes -r "$ROOT/requirements.lock"
  "$VENV/bin/pip" install "${PIP_QUIET[@]}" --no-compile --no-deps "$WHEEL"
else
  "$VENV/bin/pip" install "${PIP_QUIET[@]}" --no-compile "$WHEEL"
fi
"$VENV/bin/pip" uninstall "${PIP_QUIET[@]}" -y pip setuptools >/dev/null 2>&1 || true
# The venv was made in the staging tree: point its scripts and config at the installed path.
grep -rlI --null "$STAGE" "$VENV" | xargs -0 -r sed -i "s|$STAGE||g"
find "$VENV" -name __pycache__ -type d -prune -exec rm -rf {} +

echo "generating the man page and bash completion from the parser" >&2
# The tools as pyproject.toml's `packaging` extra pins them.
mapfile -t TOOLS < <("$PYTHON" -c '
import sys, tomllib
extras = tomllib.load(open(sys.argv[1], "rb"))["project"]["optional-dependencies"]
print(*extras["packaging"], sep="\n")
' "$ROOT/pyproject.toml")
"$PYTHON" -m venv "$WORK/build-venv"
"$WORK/build-venv/bin/pip" install "${PIP_QUIET[@]}" --target "$WORK/tools" "${TOOLS[@]}"
# Run with the staged venv's python and the installed package, so the parser is the real one.
TOOLS_PY=("$VENV/bin/python")
export PYTHONPATH="$WORK/tools"
install -d "$STAGE/usr/share/man/man1" "$STAGE/usr/share/bash-completion/completions"
"${TOOLS_PY[@]}" -c 'import sys; from argparse_manpage.cli import main; sys.argv[0] = "argparse-manpage"; sys.exit(main())' --module gateway.cli --function build_parser \
  --prog gateway --project-name "$PKG" --version "$VERSION" \
  --description "SNS投稿の承認ゲートウェイ (email approval gateway)" \
  --url "file:///usr/share/doc/$PKG/README.md" \
  --manual-title "SNS投稿 承認ゲートウェイ" --output "$WORK/gateway.1"
gzip -9n -c "$WORK/gateway.1" > "$STAGE/usr/share/man/man1/gateway.1.gz"
"${TOOLS_PY[@]}" -m shtab --shell=bash --prog gateway gateway.cli.build_parser \
  > "$STAGE/usr/share/bash-completion/completions/gateway"
unset PYTHONPATH
find "$VENV" -name __pycache__ -type d -prune -exec rm -rf {} +

echo "laying out the package" >&2
install -d "$STAGE/usr/bin" "$STAGE/lib/systemd/system" "$STAGE/etc/gateway" \
  "$STAGE/usr/share/doc/$PKG" "$STAGE/DEBIAN"
ln -s "$PREFIX/venv/bin/gateway" "$STAGE/usr/bin/gateway"
sed "s|^Documentation=.*|Documentation=man:gateway(1) file:///usr/share/doc/$PKG/README.md|" \
  "$ROOT/systemd/gateway.service" > "$STAGE/lib/systemd/system/gateway.service"
install -m 0644 "$ROOT/docs/gateway.example.toml" "$STAGE/etc/gateway/gateway.toml.example"
install -m 0644 "$ROOT/LICENSE" "$STAGE/usr/share/doc/$PKG/copyright"
install -m 0644 "$ROOT/README.md" "$ROOT/SECURITY.md" "$STAGE/usr/share/doc/$PKG/"
for script in postinst prerm postrm; do
  install -m 0755 "$ROOT/packaging/debian/$script" "$STAGE/DEBIAN/$script"
done
echo /etc/gateway/gateway.toml.example > "$STAGE/DEBIAN/conffiles"

PYVER="$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
ARCH="$(dpkg --print-architecture)"
# Debian orders 1.2.dev3 after 1.2; "~" sorts before everything, as a pre-release should.
DEBVERSION="$("$PYTHON" -c '
import re, sys
public, plus, local = sys.argv[1].partition("+")  # the local part (+gHASH) stays as it is
print(re.sub(r"\.?(dev|a|b|rc)([0-9]+)", r"~\1\2", public) + plus + local + "-1")
' "$VERSION")"
SIZE="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: $PKG
Version: $DEBVERSION
Architecture: $ARCH
Maintainer: The gateway's authors <root@localhost>
Depends: python$PYVER, libc6
Recommends: systemd
Section: mail
Priority: optional
Installed-Size: $SIZE
Homepage: file:///usr/share/doc/$PKG/README.md
Description: email approval gateway for a town office's social-media posts
 Staff email a draft post to the gateway's mailbox; it checks the draft against the
 office's social-media guideline and forwards it to two reviewers, who answer 承認 or
 差戻し from any mail client. When both approve the same version, the author gets a
 signed confirmation. Set up with "sudo gateway init", then
 "sudo systemctl enable --now gateway".
CONTROL

DEB="$OUT/${PKG}_${DEBVERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-zstd}" --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
