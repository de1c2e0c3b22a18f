"""The hashed lock files match pyproject.toml: every pinned dependency is locked at the
same version, with hashes, so test.sh, CI, demo.sh and the Debian package install what
pyproject.toml says was tested (regenerate with ./lock.sh)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _locked(path: Path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes)."""
    out: dict[str, tuple[str, int]] = {}
    current = None
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;\\]+)", line)
        if m:
            current = _norm(m.group(1))
            out[current] = (m.group(2), 0)
        elif current and "--hash=sha256:" in line:
            version, n = out[current]
            out[current] = (version, n + 1)
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(specs: list[str]) -> dict[str, str]:
    pins = {}
    for spec in specs:
        name, _, version = spec.partition("==")
        assert version, f"{spec} is not pinned with =="
        pins[_norm(name.split("[")[0])] = version.strip()
    return pins


def test_every_pin_is_locked_at_its_version_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = _pins(project["dependencies"])
    dev = _pins(project["optional-dependencies"]["dev"])
    lock, dev_lock = _locked(ROOT / "requirements.lock"), _locked(ROOT / "requirements-dev.lock")
    for name, version in runtime.items():
        assert lock.get(name, ("missing",))[0] == version, f"{name}: run ./lock.sh"
        assert dev_lock.get(name, ("missing",))[0] == version, f"{name}: run ./lock.sh"
    for name, version in dev.items():
        assert dev_lock.get(name, ("missing",))[0] == version, f"{name}: run ./lock.sh"
    assert all(n > 0 for _v, n in lock.values()) and all(n > 0 for _v, n in dev_lock.values())
    assert not set(dev) - set(runtime) & set(lock)  # the runtime lock has no test tools


def test_cryptography_is_past_the_bundled_openssl_advisory():
    # GHSA-537c-gmf6-5ccf: wheels before 48.0.1 bundle a vulnerable OpenSSL.
    version = _locked(ROOT / "requirements.lock")["cryptography"][0]
    assert tuple(int(p) for p in version.split(".")[:3]) >= (48, 0, 1)
