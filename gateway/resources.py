"""Where shipped data directories (`rules/`, `templates/`) live, installed or in a checkout.

In a wheel they are package data `gateway.rules` / `gateway.templates` without an
`__init__.py`: namespace packages, whose `importlib.resources.files()` is a
MultiplexedPath, so the real directory comes from the import spec. In a source
checkout they sit beside the `gateway` package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def data_dir(name: str) -> Path:
    """The directory of the shipped data `name` ("rules" or "templates")."""
    try:
        spec = importlib.util.find_spec(f"gateway.{name}")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or ()) if spec else ():
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parent.parent / name
