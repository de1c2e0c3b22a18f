"""Where the shipped rules live, installed or in a source checkout.

In a wheel, the top-level `rules/` directory is package data `gateway.rules`; in a
checkout it sits beside the `gateway` package. Callers never need to know which.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
from pathlib import Path


def rules_dir() -> Path:
    """Return the directory holding the shipped rule files."""
    try:
        spec = importlib.util.find_spec("gateway.rules")
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        # a wheel ships rules/ without __init__.py: a namespace package, whose files()
        # is a MultiplexedPath, so take the real directory from the search locations
        for loc in spec.submodule_search_locations or ():
            if Path(loc).is_dir():
                return Path(loc)
        path = Path(str(importlib.resources.files("gateway.rules")))
        if path.is_dir():
            return path
    return Path(__file__).resolve().parents[2] / "rules"
