"""TinyDB for the state: tables on an in-memory dict that report which documents each write
touched (and AtomicJSONStorage, for tools that want plain TinyDB).

TinyDB's own storages rewrite the whole file on every change; here the tables live in
memory and gateway.statedb journals only the touched documents. The one module that
imports tinydb: the state's other modules take `Document` from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from gateway.durable import write_atomically
from gateway.statefiles import compact_json, read_snapshot

if TYPE_CHECKING:
    from gateway.workflow import Draft

__all__ = ["AtomicJSONStorage", "Document", "JournaledDB", "JournaledTable", "MemoryStorage"]


class MemoryStorage(Storage):
    """Holds the tables in memory; remembers which documents each transaction touched."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}
        self.dirty: dict[str, set[str]] = {}
        #: Draft objects decoded from the documents, dropped when a document changes.
        self.decoded: dict[str, Draft] = {}

    def read(self) -> dict[str, dict[str, Any]]:
        return self.data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.data = data

    def touch(self, table: str, doc_ids: Iterable[int]) -> None:
        ids = {str(i) for i in doc_ids}
        self.dirty.setdefault(table, set()).update(ids)
        if table == "drafts":
            for key in ids:
                self.decoded.pop(key, None)


class _IntKeys(MutableMapping):
    """TinyDB's updaters want int document ids; this views the str-keyed table in place
    instead of copying the whole table twice per write, as TinyDB's own `_update_table` does."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __getitem__(self, key: int) -> Any:
        return self.raw[str(key)]

    def __setitem__(self, key: int, value: Any) -> None:
        self.raw[str(key)] = value

    def __delitem__(self, key: int) -> None:
        del self.raw[str(key)]

    def __iter__(self) -> Iterator[int]:
        return (int(k) for k in list(self.raw))

    def __len__(self) -> int:
        return len(self.raw)


class JournaledTable(Table):
    """A TinyDB table that reports the documents each write touched to the storage."""

    def _update_table(self, updater: Callable[[dict[int, Any]], None]) -> None:
        # Copy on write (one shallow dict copy, no id conversion): a reader in another
        # thread may be iterating the old dict (tests poll `store.seen.all()`).
        tables = self._storage.read()
        raw = dict(tables.get(self.name, {}))
        updater(_IntKeys(raw))  # type: ignore[arg-type]
        tables[self.name] = raw
        self.clear_cache()

    def _touch(self, ids: Iterable[int]) -> None:
        self._storage.touch(self.name, ids)  # type: ignore[attr-defined]

    def insert(self, document):  # type: ignore[override]
        doc_id = super().insert(document)
        self._touch([doc_id])
        return doc_id

    def insert_multiple(self, documents):  # type: ignore[override]
        ids = super().insert_multiple(documents)
        self._touch(ids)
        return ids

    def update(self, *args, **kwargs):  # type: ignore[override]
        ids = super().update(*args, **kwargs)
        self._touch(ids)
        return ids

    def update_multiple(self, *args, **kwargs):  # type: ignore[override]
        ids = super().update_multiple(*args, **kwargs)
        self._touch(ids)
        return ids

    def remove(self, *args, **kwargs):  # type: ignore[override]
        ids = super().remove(*args, **kwargs)
        self._touch(ids)
        return ids

    def truncate(self) -> None:
        self._touch(int(k) for k in self._storage.read().get(self.name, {}))
        super().truncate()


class JournaledDB(TinyDB):
    """TinyDB whose tables report their writes (JournaledTable)."""

    table_class = JournaledTable


class AtomicJSONStorage(Storage):
    """TinyDB storage that replaces its file atomically; kept for tools that want plain TinyDB."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> dict[str, dict[str, Any]] | None:
        return read_snapshot(self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        write_atomically(self.path, compact_json(data).encode("utf-8"))

    def close(self) -> None:
        pass
