"""Where the shipped rules live, installed or in a source checkout.

In a wheel, the top-level `rules/` directory is package data `gateway.rules`; in a
checkout it sits beside the `gateway` package. Callers never need to know which.
"""

from __future__ import annotations

from pathlib import Path

from gateway.resources import data_dir


def rules_dir() -> Path:
    """Return the directory holding the shipped rule files."""
    return data_dir("rules")
