"""The wheel carries rules/ and templates/, and an installed copy finds them from any directory.
It is built by packaging/build-wheel.sh (as the Debian package's is), which writes nothing into
the checkout."""

from __future__ import annotations

import os
import re
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
        "print(data_dir('systemd')); print(data_dir('examples')); "
        "from gateway.version import VERSION; print(VERSION)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert out[:4] == [
        str(target / "gateway" / "templates"),
        str(target / "gateway" / "rules"),
        str(target / "gateway" / "systemd"),
        str(target / "gateway" / "examples"),
    ]
    version = wheel.name.split("-")[1]
    assert out[4] == version and version[0].isdigit()

    # The version is git's (setuptools-scm on the checkout): the last tag vX.Y.Z, or the next
    # patch release's .devN (N commits after the tag) with the commit's hash.
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)

    described = git("describe", "--tags", "--long", "--match", "v[0-9]*")
    if described.returncode != 0:  # no tag in reach (a shallow clone): the hash at least
        head = git("rev-parse", "HEAD").stdout.strip()
        named = re.search(r"\+g([0-9a-f]{7,})", version)
        assert named and head.startswith(named.group(1)), (version, head)
    else:
        tag, distance, commit = described.stdout.strip().rsplit("-", 2)
        if distance == "0":
            assert version.split("+")[0] == tag[1:]
        else:
            major_minor, patch = tag[1:].rsplit(".", 1)
            assert version.startswith(f"{major_minor}.{int(patch) + 1}.dev{distance}+{commit}")

    # `gateway init` works from the wheel alone, away from any checkout, and the config it
    # writes names the example the wheel carries.
    answers = tmp_path / "answers.toml"
    answers.write_text(
        'office_name = "辰野町"\naddress = "sns-check@town.example.jp"\n'
        'admin = "somu@town.example.jp"\n'
        '[imap]\nhost = "imap.town.example.jp"\nusername = "sns-check"\npassword = "pw"\n'
        '[smtp]\nhost = "smtp.town.example.jp"\nsecurity = "starttls"\n'
        '[[accounts]]\nname = "辰野町公式X"\nplatform = "x"\n'
        'reviewers = ["kacho@town.example.jp", "kakaricho@town.example.jp"]\n',
        encoding="utf-8",
    )
    config = tmp_path / "etc" / "gateway.toml"
    command = ["-m", "gateway", "init", "--from", str(answers), "-c", str(config)]
    init = subprocess.run(
        [sys.executable, *command, "--state-dir", str(tmp_path / "state"), "--no-connect"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target)},
        capture_output=True,
        text=True,
    )
    assert init.returncode == 0, init.stdout + init.stderr
    example = target / "gateway" / "examples" / "gateway.example.toml"
    assert f"# 項目の説明: {example}\n" in config.read_text(encoding="utf-8")
