"""The wheel carries rules/ and templates/, and an installed copy finds them from any directory.
It is built by packaging/build-wheel.sh (as the Debian package's is), which writes nothing into
the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from buildtree import tree_marks

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_rules_and_templates(tmp_path):
    before = tree_marks(ROOT)
    built = subprocess.run(
        [str(ROOT / "packaging" / "build-wheel.sh"), str(tmp_path)],
        env={**os.environ, "PYTHON": sys.executable},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    (wheel,) = tmp_path.glob("*.whl")
    assert built == str(wheel)
    # Building wrote nothing into the checkout (its editable install keeps one version).
    assert tree_marks(ROOT) == before
    names = set(zipfile.ZipFile(wheel).namelist())
    # Every file of the data folders is in the wheel (the export has no git to list them, so
    # pyproject's package-data must name each kind: rules' README, prh dictionaries ...).
    data_packages = {
        "rules": "gateway/rules",
        "templates": "gateway/templates",
        "systemd": "gateway/systemd",
        "docs": "gateway/examples",
    }
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", *data_packages],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert any(f.startswith("rules/prh/") for f in tracked) and any(".j2" in f for f in tracked)
    expected = {data_packages[f.split("/", 1)[0]] + "/" + f.split("/", 1)[1] for f in tracked}
    assert sorted(expected - names) == []
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
    # The version is git's (setuptools-scm on the checkout): the last tag vX.Y.Z, or the next
    # patch release's .devN (N commits after the tag) with the commit's hash.
    tag, distance, commit = (
        subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--tags", "--long", "--match", "v[0-9]*"],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .rsplit("-", 2)
    )
    if distance == "0":
        assert version.split("+")[0] == tag[1:]
    else:
        major_minor, patch = tag[1:].rsplit(".", 1)
        assert version.startswith(f"{major_minor}.{int(patch) + 1}.dev{distance}+{commit}")
