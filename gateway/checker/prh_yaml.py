"""YAML as js-yaml reads prh dictionaries (YAML 1.2's booleans), read quickly.

A big dictionary's first load spent more time in PyYAML than prh spends on all of
its work: composing PyYAML's node tree (a node and two marks per scalar, each
resolved in Python) cost twice what libyaml's parse does. `read_yaml` builds the
strings, lists and mappings straight from the parser's events, asks the resolver only
of the plain scalars a resolver could claim (by their first character, as PyYAML
does), and builds numbers, booleans and nulls with PyYAML's own constructors.
Anything else (explicit tags, merge keys `<<`, a structure that contains itself, an
undefined or repeated anchor, several documents, an unhashable key: what prh
dictionaries do not contain) is read again through PyYAML's node tree, so the data,
and every error with its line and column, is always what yaml.load gives.

Our own code, not a library: it only arranges PyYAML's events (PyYAML parses); the
faster YAML libraries for Python were judged too young to depend on.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map"))
_MERGE = "tag:yaml.org,2002:merge"
# plain scalars of these tags are built by PyYAML's constructor from their text
_SCALARS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("int", "float", "bool", "null"))


@lru_cache(maxsize=1)
def _yaml12_loader() -> type:
    """PyYAML (in C where it can) with YAML 1.2's booleans, as js-yaml: only true/false
    (`on`, `yes`, `no` stay words). Built on first use: a cached dictionary needs no YAML."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = type("Yaml12Loader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )
    return loader


def _read_by_nodes(text: str) -> Any:
    """yaml.load(text) through PyYAML's node tree, building its plain strings, lists and
    mappings directly (PyYAML's generic constructor is slower); anything else by
    PyYAML's own constructor. Every error is PyYAML's own, with its line and column."""

    loader = _yaml12_loader()(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            return _PlainBuilder(loader).build(node)
        except (_NotPlain, RecursionError):
            return loader.construct_document(node)  # PyYAML's constructor: not recursive
    finally:
        loader.dispose()


class _NotPlain(Exception):
    """A structure that contains itself: left to PyYAML."""


class _PlainBuilder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.built: dict[int, Any] = {}  # an alias is the same object, as in PyYAML
        self.open: set[int] = set()

    def build(self, node: Any) -> Any:
        tag = node.tag
        if tag == _STR and isinstance(node.value, str):
            return node.value
        key = id(node)
        if key in self.built:
            return self.built[key]
        if key in self.open:
            raise _NotPlain
        if tag == _SEQ:
            self.open.add(key)
            out: Any = [self.build(n) for n in node.value]
        elif tag == _MAP and not any(k.tag == _MERGE for k, _ in node.value):
            self.open.add(key)
            out = {}
            for k, v in node.value:
                name = self.build(k)
                if isinstance(name, list | dict):  # PyYAML's own error for it
                    return self.loader.construct_object(node, deep=True)
                out[name] = self.build(v)
        else:
            out = self.loader.construct_object(node, deep=True)
        self.open.discard(key)
        self.built[key] = out
        return out


def read_yaml(text: str) -> Any:
    """yaml.load(text) with the YAML 1.2 loader above (a safe loader): the same data."""
    loader = _yaml12_loader()(text)
    try:
        return _EventBuilder(loader).document()
    except (_NotPlain, RecursionError):  # RecursionError: lists in lists hundreds deep
        pass  # read again through the node tree: PyYAML's data, or its error
    finally:
        loader.dispose()
    return _read_by_nodes(text)


class _EventBuilder:
    """Strings, lists and mappings from the parser's events, as PyYAML's composer and
    safe constructor would make them; _NotPlain for anything else."""

    def __init__(self, loader: Any) -> None:
        import yaml

        self.loader = loader
        self.yaml = yaml
        resolvers = loader.yaml_implicit_resolvers
        if None in resolvers:  # a resolver for any first character: ask it of every scalar
            raise _NotPlain
        self.claimed = frozenset(resolvers)  # first characters some resolver looks at
        # the resolver's answer by (text, implicit): the same words recur (a dictionary's
        # `from` and `to` keys, hundreds of them, start with letters `true`/`false` may)
        self.resolved: dict[tuple[str, Any], str] = {}
        # plain scalars the resolver left strings (its answer for a plain one depends on
        # the text alone): the next of them is not asked again
        self.words: set[str] = set()

    def _scalar(self, event: Any) -> Any:
        value = event.value
        tag = event.tag
        if tag is not None and tag != "!":
            raise _NotPlain  # an explicit tag
        if not event.implicit[0] or (value and value[0] not in self.claimed):
            return value  # quoted, or no resolver looks at it: a string
        asked = (value, event.implicit)
        tag = self.resolved.get(asked)
        if tag is None:
            tag = self.resolved[asked] = self.loader.resolve(
                self.yaml.ScalarNode, value, event.implicit
            )
        if tag == _STR:
            if event.implicit[0]:
                self.words.add(value)
            return value
        if tag not in _SCALARS:
            raise _NotPlain  # a date, a merge key `<<`, a value key `=` …
        node = self.yaml.ScalarNode(tag, value, style=event.style)
        return self.loader.yaml_constructors[tag](self.loader, node)

    def document(self) -> Any:
        y = self.yaml
        get = self.loader.get_event
        get()  # the stream's start
        event = get()
        if isinstance(event, y.StreamEndEvent):
            return None  # no document
        self.get = get
        self.anchors: dict[str, Any] = {}
        self.building: set[int] = set()  # anchored lists and mappings not yet closed
        self.scalar, self.alias = y.ScalarEvent, y.AliasEvent
        self.seq_start, self.map_start = y.SequenceStartEvent, y.MappingStartEvent
        self.seq_end, self.map_end = y.SequenceEndEvent, y.MappingEndEvent
        root = self._value(get())
        if not isinstance(get(), y.DocumentEndEvent) or not isinstance(get(), y.StreamEndEvent):
            raise _NotPlain  # a second document: PyYAML's error
        return root

    def _plain_or_resolved(self, event: Any) -> Any:
        """A scalar event's value: its text, or what a tag or a resolver makes of it."""
        value = event.value
        if event.tag is not None or (
            event.implicit[0]
            and (not value or value[0] in self.claimed)
            and value not in self.words
        ):
            value = self._scalar(event)  # a tag, or a resolver may claim it
        if event.anchor is not None:
            if event.anchor in self.anchors:
                raise _NotPlain  # a repeated anchor: PyYAML's error
            self.anchors[event.anchor] = value
        return value

    def _value(self, event: Any) -> Any:
        """The value an event starts: a scalar, an alias, a list or a mapping (read
        to its end). The commonest shape, a mapping of plain scalars, is read by
        _mapping and _list themselves, one event after another."""
        kind = type(event)
        if kind is self.scalar:
            return self._plain_or_resolved(event)
        if kind is self.alias:
            if event.anchor not in self.anchors:
                raise _NotPlain  # undefined: PyYAML says so
            value = self.anchors[event.anchor]
            if id(value) in self.building:
                raise _NotPlain  # a structure that contains itself
            return value
        if kind is self.map_start or kind is self.seq_start:
            if event.tag is not None and event.tag != "!":
                raise _NotPlain
            container: Any = {} if kind is self.map_start else []
            if event.anchor is not None:
                if event.anchor in self.anchors:
                    raise _NotPlain
                self.anchors[event.anchor] = container
                self.building.add(id(container))
            if kind is self.map_start:
                self._mapping(container)
            else:
                self._list(container)
            self.building.discard(id(container))
            return container
        raise _NotPlain  # not a node: never from a well-formed stream

    def _mapping(self, out: dict[Any, Any]) -> None:
        # The test of a key or value (and of a list item in _list) is _plain_or_resolved's,
        # written out: most scalars are plain text and keep it, and a call per scalar was
        # a large part of reading a dictionary of thousands of them.
        get, scalar, end = self.get, self.scalar, self.map_end
        claimed, words = self.claimed, self.words
        while True:
            event = get()
            kind = type(event)
            if kind is scalar:
                key = event.value
                if (
                    event.tag is not None
                    or event.anchor is not None
                    or (event.implicit[0] and (not key or key[0] in claimed) and key not in words)
                ):
                    key = self._plain_or_resolved(event)
            elif kind is end:
                return
            else:
                key = self._value(event)
                if isinstance(key, list | dict):
                    raise _NotPlain  # an unhashable key: PyYAML's error
            event = get()
            if type(event) is scalar:
                value = event.value
                if (
                    event.tag is not None
                    or event.anchor is not None
                    or (
                        event.implicit[0]
                        and (not value or value[0] in claimed)
                        and value not in words
                    )
                ):
                    value = self._plain_or_resolved(event)
                out[key] = value
            else:
                out[key] = self._value(event)

    def _list(self, out: list[Any]) -> None:
        get, scalar, end = self.get, self.scalar, self.seq_end
        claimed, words = self.claimed, self.words
        append = out.append
        while True:
            event = get()
            kind = type(event)
            if kind is scalar:
                value = event.value
                if (
                    event.tag is not None
                    or event.anchor is not None
                    or (
                        event.implicit[0]
                        and (not value or value[0] in claimed)
                        and value not in words
                    )
                ):
                    value = self._plain_or_resolved(event)
                append(value)
            elif kind is end:
                return
            else:
                append(self._value(event))

