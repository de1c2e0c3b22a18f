"""Where shipped data directories (`rules/`, `templates/`) live, installed or in a checkout.

In a wheel they are package data `gateway.rules` / `gateway.templates` without an
`__init__.py`: namespace packages, whose `importlib.resources.files()` is a
MultiplexedPath, so the real directory comes from the import spec. In a source
checkout (an editable install does not map them) they sit beside the `gateway` package,
under the folder names pyproject.toml's package-dir maps from.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

# Package name -> folder in a checkout, where they differ ([tool.setuptools.package-dir]).
CHECKOUT_FOLDERS = {"examples": "docs"}


def data_dir(name: str) -> Path:
    """The directory of the shipped data `name` ("rules", "templates", "systemd", "examples")."""
    try:
        spec = importlib.util.find_spec(f"gateway.{name}")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or ()) if spec else ():
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parent.parent / CHECKOUT_FOLDERS.get(name, name)
