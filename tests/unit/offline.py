"""A real gateway (store, key, checker, templates) in a temp dir, with no mail servers:
for tests that drive `Gateway.handle_raw` and `tick` directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.config import parse_settings
from gateway.daemon import open_gateway
from gateway.pipeline import Gateway
from gateway.settings import Settings

GATEWAY = "sns-check@town.example.jp"
REVIEWERS = ("kacho@town.example.jp", "kakaricho@town.example.jp", "dairi@town.example.jp")


def offline_settings(tmp_path: Path, **tables: Any) -> Settings:
    """Loopback settings with one account; keyword arguments replace or add whole tables."""
    data: dict[str, Any] = {
        "mailbox": {
            "host": "127.0.0.1",
            "security": "none",
            "username": GATEWAY,
            "password": "SuperSecret-42",
            "address": GATEWAY,
        },
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "state": {"path": str(tmp_path / "state.json")},
        "signing": {"key_file": str(tmp_path / "signing.key")},
        "staff": {"allowed": ["*@town.example.jp"]},
        "accounts": [{"name": "辰野町公式X", "platform": "x", "reviewers": list(REVIEWERS)}],
    }
    data.update(tables)
    return parse_settings(data, str(tmp_path / "gateway.toml"), tmp_path)


def offline_gateway(tmp_path: Path, clock: Callable[[], datetime], **tables: Any) -> Gateway:
    return open_gateway(offline_settings(tmp_path, **tables), clock=clock)
