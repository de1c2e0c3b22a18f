"""Log lines: one key=value line per event, and never the draft's text at INFO."""

from __future__ import annotations

import logging
import re
from datetime import datetime

from offline import offline_gateway

from gateway.businessdays import JST
from gateway.demo import compose_draft

SECRET = "まだ公表前の人事異動XYZ"
KEY_VALUE = re.compile(r"^event=[a-z_]+( [a-z_]+=('[^']*'|\S+))*$")


def test_handling_a_draft_logs_key_value_lines_without_its_text(tmp_path, caplog):
    gw = offline_gateway(
        tmp_path,
        lambda: datetime(2026, 11, 24, 9, tzinfo=JST),
        admin={"address": "somu@town.example.jp"},
        accounts=[
            {
                "name": "辰野町公式X",
                "platform": "x",
                "reviewers": ["kacho@town.example.jp", "kakaricho@town.example.jp"],
            }
        ],
    )
    raw = compose_draft(
        "sato@town.example.jp", f"件名にも{SECRET}", f"本文に{SECRET}があります。\n"
    )
    with caplog.at_level(logging.DEBUG, logger="gateway"):
        assert gw.handle_raw(raw) == "draft"
        gw.tick()  # the digest: subjects go to the admin by mail, not to the log
    info = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert info, "handling a draft must leave a trace in the log"
    for record in info:
        message = record.getMessage()
        assert SECRET not in message
        assert KEY_VALUE.match(message), message
    assert any(r.getMessage().startswith("event=message_handled") for r in info)
    assert any(r.getMessage().startswith("event=digest_queued") for r in info)
