"""The archive beside the state: closed drafts and old records as append-only JSONL per month.

Apart from the store because it is its own file format with its own crash rules (append,
fsync, then leave the hot state; readers dedup).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gateway.durable import fsync_dir
from gateway.statefiles import compact_json

log = logging.getLogger(__name__)


class Archive:
    """Append-only JSONL files per month for what the hot state no longer needs.

    Writing is idempotent: records are appended (and fsynced) before they leave the hot
    state, so a crash in between leaves a record in both places, and readers dedup (drafts
    by id, newest wins; events by seq; seen by key; mail by Message-ID).
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.draft_index: dict[str, tuple[str, int]] = {}  # id -> (file name, byte offset)
        self.seen: set[str] = set()

    def load(self) -> None:
        """Read the small indexes (draft ids, seen keys) into memory."""
        self.draft_index.clear()
        self.seen.clear()
        if not self.root.is_dir():
            return
        for entry in self._lines(self.root / "drafts-index.jsonl"):
            self.draft_index[entry["id"]] = (entry["file"], entry["offset"])
        for path in sorted(self.root.glob("seen-*.jsonl")):
            self.seen.update(e["key"] for e in self._lines(path))

    @staticmethod
    def _lines(path: Path) -> Iterator[dict[str, Any]]:
        try:
            with path.open("rb") as f:
                for line in f:
                    if not line.endswith(b"\n"):
                        continue  # torn by a crash; the record is still in the hot state
                    try:
                        yield json.loads(line)
                    except ValueError:
                        log.warning("event=archive_line_damaged file=%s", path)
        except FileNotFoundError:
            return

    def _append(self, name: str, docs: list[dict[str, Any]]) -> list[int]:
        """Append one JSON line per doc, fsync; returns each line's byte offset."""
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.root / name
        offsets = []
        with path.open("ab") as f:
            end = f.seek(0, os.SEEK_END)
            if end:
                with path.open("rb") as r:
                    r.seek(end - 1)
                    if r.read(1) != b"\n":  # a torn line from a crash: never glue onto it
                        f.write(b"\n")
                        end += 1
            chunks = []
            for doc in docs:
                line = (compact_json(doc) + "\n").encode("utf-8")
                offsets.append(end)
                end += len(line)
                chunks.append(line)
            f.write(b"".join(chunks))
            f.flush()
            os.fsync(f.fileno())
        return offsets

    def add(self, kind: str, docs: list[dict[str, Any]], stamp: Callable[[dict], str]) -> None:
        """Archive docs of one kind (drafts, events, seen, outbox), filed by month of `stamp`."""
        by_month: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            by_month.setdefault(stamp(doc)[:7] or "0000-00", []).append(doc)
        for month, group in sorted(by_month.items()):
            name = f"{kind}-{month}.jsonl"
            offsets = self._append(name, group)
            if kind == "drafts":
                index = [
                    {"id": d["id"], "state": d["state"], "file": name, "offset": o}
                    for d, o in zip(group, offsets, strict=True)
                ]
                self._append("drafts-index.jsonl", index)
                for entry in index:
                    self.draft_index[entry["id"]] = (name, entry["offset"])
            elif kind == "seen":
                self.seen.update(d["key"] for d in group)
        if self.root.exists():
            fsync_dir(self.root)

    def get_draft_doc(self, draft_id: str) -> dict[str, Any] | None:
        where = self.draft_index.get(draft_id)
        if where is None:
            return None
        with (self.root / where[0]).open("rb") as f:
            f.seek(where[1])
            return json.loads(f.readline())

    def docs(self, kind: str) -> Iterator[dict[str, Any]]:
        for path in sorted(self.root.glob(f"{kind}-????-??.jsonl")):
            yield from self._lines(path)
