"""Read a rule file (YAML or TOML) into plain data, from the load cache when unchanged.

Parsing YAML is most of what reading the rules costs, and importing PyYAML is a good
part of `gateway check`'s start. A file's data is kept in the load cache under the hash
of its bytes (when it is plain JSON data: a file with YAML dates is simply parsed each
time), so an unchanged rule folder loads without parsing, or importing, YAML.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gateway.checker.cache import LoadCache, default_cache


class RuleFileError(ValueError):
    """The file cannot be read or parsed (the message says why)."""


def read_rule_file(path: Path, cache: LoadCache | None = None) -> Any:
    """The parsed content of a rule file (None for an empty YAML file)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RuleFileError(str(e)) from None
    cache = cache if cache is not None else default_cache()
    key = cache.key("rule-file", path.suffix, data)
    stored = cache.get(key)
    if isinstance(stored, dict) and "data" in stored:
        return stored["data"]
    parsed = _parse(path, data)
    try:
        json.dumps(parsed)  # plain data only: a date would come back as a string
    except (TypeError, ValueError):
        return parsed
    cache.put(key, {"data": parsed})
    return parsed


def _parse(path: Path, data: bytes) -> Any:
    import tomllib

    import yaml

    try:
        if path.suffix == ".toml":
            return tomllib.loads(data.decode("utf-8"))
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~10x faster
        return yaml.load(data.decode("utf-8"), Loader=loader)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise RuleFileError(str(e)) from None
