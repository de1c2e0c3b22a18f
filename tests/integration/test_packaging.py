"""The wheel carries rules/ and templates/, and an installed copy finds them from any directory."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_rules_and_templates(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped_templates = {p.name for p in (ROOT / "templates").glob("*.j2")}
    assert shipped_templates and all(f"gateway/templates/{n}" in names for n in shipped_templates)
    shipped_rules = {
        p.relative_to(ROOT / "rules").as_posix() for p in (ROOT / "rules").rglob("*.yaml")
    }
    assert shipped_rules and all(f"gateway/rules/{n}" in names for n in shipped_rules)
    # The unit and the example config travel too: `gateway init` and the unit need no clone.
    assert "gateway/systemd/gateway.service" in names
    assert "gateway/examples/gateway.example.toml" in names
    assert "gateway/_version.py" in names
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    meta = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in meta
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)

    # Installed into a bare target dir and run from elsewhere, it finds its data.
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(target)
    code = (
        "from gateway.render import templates_dir; from gateway.checker.paths import rules_dir; "
        "print(templates_dir()); print(rules_dir()); from gateway.resources import data_dir; "
        "print(data_dir('systemd')); from gateway.version import VERSION; print(VERSION)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[:3] == [
        str(target / "gateway" / "templates"),
        str(target / "gateway" / "rules"),
        str(target / "gateway" / "systemd"),
    ]
    version = wheel.name.split("-")[1]
    assert out[3] == version and version[0].isdigit()
