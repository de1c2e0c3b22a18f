"""What a package build must not write into the checkout it builds from.

Built in the checkout, setuptools-scm rewrites `gateway/_version.py` (which the editable
install reads) and setuptools leaves build folders; packaging/build-wheel.sh builds from an
export instead. Tests compare these marks before and after a build."""

from __future__ import annotations

from pathlib import Path

# What a build in the checkout would write: the version file setuptools-scm generates (an
# editable install reads it) and setuptools' build folders.
BUILD_LEFTOVERS = ("gateway/_version.py", "build", "town_sns_gateway.egg-info")


def tree_marks(root: Path) -> dict[str, object]:
    """The build leftovers in `root` as they are now: contents and modification times."""
    marks: dict[str, object] = {}
    for name in BUILD_LEFTOVERS:
        path = root / name
        if path.is_file():
            marks[name] = (path.read_bytes(), path.stat().st_mtime_ns)
        elif path.is_dir():
            marks[name] = sorted(
                (p.relative_to(path).as_posix(), p.stat().st_mtime_ns)
                for p in path.rglob("*")
                if p.is_file()
            )
        else:
            marks[name] = None
    return marks
