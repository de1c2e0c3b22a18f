"""Typed, strict access to the tables of a parsed TOML config.

Every read names the file and the key when it fails, in Japanese and English (ConfigError),
and every key the code asks for is recorded, so that whatever in the file nothing asked for
is reported as unknown (with a 「もしかして」): strictness follows the code, without a list of
valid keys to keep in step.
"""

from __future__ import annotations

import contextvars
import difflib
import ipaddress
import math
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

SECURITY_MODES = ("ssl", "starttls", "none")


class ConfigError(Exception):
    """A config problem, with a message in Japanese and in English."""

    def __init__(self, file: str, key: str, ja: str, en: str) -> None:
        self.file, self.key, self.ja, self.en = file, key, ja, en
        super().__init__(f"{file}: {key}: {en}")

    def bilingual(self) -> str:
        return f"設定エラー: {self.file} の {self.key}: {self.ja}\nconfig error: {self.file}: {self.key}: {self.en}"


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


#: The config paths read while `parse_settings` runs (None outside it).
_READ_KEYS: contextvars.ContextVar[set[str] | None] = contextvars.ContextVar(
    "config_read_keys", default=None
)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Tracked(dict):
    """A TOML table that remembers which keys the code asked for (read, tested with `in`,
    or iterated), so that a key in the file that nothing ever asks for can be reported as
    unknown. Strictness then follows the code: a key another module reads is known without
    a list of valid keys to keep in step. Nested tables come back tracked as well."""

    def __init__(self, data: Mapping[str, Any], path: str, seen: set[str]) -> None:
        super().__init__(data)
        self._path, self._seen = path, seen

    def _mark(self, key: object) -> None:
        self._seen.add(_join(self._path, str(key)))

    def _wrap(self, key: str, value: Any) -> Any:
        path = _join(self._path, key)
        if isinstance(value, dict) and not isinstance(value, _Tracked):
            return _Tracked(value, path, self._seen)
        if isinstance(value, list):
            return [
                _Tracked(v, f"{path}[{i}]", self._seen) if isinstance(v, dict) else v
                for i, v in enumerate(value)
            ]
        return value

    def get(self, key: str, default: Any = None) -> Any:
        self._mark(key)
        return self._wrap(key, super().__getitem__(key)) if super().__contains__(key) else default

    def __getitem__(self, key: str) -> Any:
        self._mark(key)
        return self._wrap(key, super().__getitem__(key))

    def __contains__(self, key: object) -> bool:
        self._mark(key)
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        for key in super().__iter__():
            self._mark(key)
            yield key

    def items(self):  # type: ignore[override]
        return [(k, self[k]) for k in super().__iter__()]

    def values(self):  # type: ignore[override]
        return [self[k] for k in super().__iter__()]


def _tracked(data: Mapping[str, Any], path: str) -> Mapping[str, Any]:
    seen = _READ_KEYS.get()
    if seen is None or isinstance(data, _Tracked) or not isinstance(data, dict):
        return data
    return _Tracked(data, path, seen)


def _unread(data: Mapping[str, Any], seen: set[str], path: str = "") -> Iterator[str]:
    """Paths in the file that the code never asked for, outermost first."""
    for key, value in data.items():
        here = _join(path, str(key))
        if here not in seen and not any(s.startswith((here + ".", here + "[")) for s in seen):
            yield here
            continue
        if isinstance(value, dict):
            yield from _unread(value, seen, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    yield from _unread(item, seen, f"{here}[{i}]")


def _unknown_key_error(file: str, path: str, value: Any, seen: set[str]) -> ConfigError:
    """An unknown key or table, with a 「もしかして」 from the keys read at the same level."""
    parent, _, name = path.rpartition(".")
    if "." not in path:
        parent, name = "", path
    level = parent.split("[")[0] if parent else ""
    known = set()
    for s in seen:
        s_parent, _, s_name = s.rpartition(".")
        if (s_parent.split("[")[0] if s_parent else "") == level and "[" not in s_name:
            known.add(s_name)
        elif not s_parent and "." not in s and not parent:
            known.add(s.split("[")[0])
    guess = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    table = isinstance(value, dict) or (
        isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
    )
    what_ja = f"[{path}] という表" if table else f"「{name}」という項目"
    what_en = f"table [{path}]" if table else f"key {name!r}"
    hint_ja = f"もしかして「{guess[0]}」ですか？" if guess else "綴りを確かめてください。"
    hint_en = f"did you mean {guess[0]!r}?" if guess else "check the spelling"
    return ConfigError(
        file,
        path,
        f"{what_ja}はありません。{hint_ja}",
        f"unknown {what_en} (nothing reads it); {hint_en}",
    )


class TableReader:
    """Typed access to one TOML table, with errors that name file and key."""

    def __init__(self, file: str, data: Mapping[str, Any], prefix: str) -> None:
        data = _tracked(data, prefix)
        self.file, self.data, self.prefix = file, data, prefix
        self.base = Path(file).parent

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def fail(self, name: str, ja: str, en: str) -> ConfigError:
        return ConfigError(self.file, self.key(name), ja, en)

    def str(self, name: str, default: str | None = None, *, required: bool = True) -> str | None:
        value = self.data.get(name, default)
        if value is None:
            if required:
                raise self.fail(name, "必須の項目がありません。", "required key is missing")
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(
                name, "空でない文字列で指定してください。", "must be a non-empty string"
            )
        return value.strip()

    def num(self, name: str, default: float, *, minimum: float = 0) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, "数値で指定してください。", "must be a number")
        if not math.isfinite(value):
            raise self.fail(
                name,
                f"有限の数値で指定してください（{value} は使えません）。",
                f"must be finite, not {value}",
            )
        if value < minimum:
            raise self.fail(name, f"{minimum} 以上にしてください。", f"must be at least {minimum}")
        return float(value)

    def count(self, name: str, default: int, *, minimum: int = 0) -> int:
        """A whole number (a count, a number of days): 2.7, 60.0, nan and inf are refused."""
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(
                name,
                f"整数で指定してください（{value!r} は使えません。例: {default}）。",
                f"must be a whole number, not {value!r}",
            )
        if value < minimum:
            raise self.fail(name, f"{minimum} 以上にしてください。", f"must be at least {minimum}")
        return value

    def int(self, name: str, default: int | None = None) -> int:
        value = self.data.get(name, default)
        if value is None:
            raise self.fail(name, "必須の項目がありません。", "required key is missing")
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            raise self.fail(
                name, "1〜65535 の整数で指定してください。", "must be an integer 1-65535"
            )
        return value

    def str_list(self, name: str, *, required: bool = False) -> tuple[str, ...]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(name, "必須の項目がありません。", "required key is missing")
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(name, "文字列の配列で指定してください。", "must be a list of strings")
        return tuple(v.strip() for v in value)

    def table(self, name: str, *, required: bool = True) -> TableReader:
        value = self.data.get(name)
        if value is None:
            if required:
                raise ConfigError(
                    self.file,
                    self.key(name),
                    "必須の表 [" + name + "] がありません。",
                    "required table is missing",
                )
            value = {}
        if not isinstance(value, dict):
            raise self.fail(name, "表（[...]）で指定してください。", "must be a table")
        return TableReader(self.file, value, self.key(name))

    def security(self, host: str, default: str) -> str:
        mode = self.str("security", default)
        assert mode is not None
        if mode not in SECURITY_MODES:
            raise self.fail(
                "security",
                '"ssl"、"starttls"、"none" のいずれかにしてください。',
                'must be "ssl", "starttls" or "none"',
            )
        if mode == "none" and not is_loopback(host):
            raise self.fail(
                "security",
                f"暗号化なし（none）は同じ機械（127.0.0.1）への接続にしか使えません。{host} には ssl か starttls を指定してください。",
                f'"none" is only allowed for a loopback host, not {host}',
            )
        return mode


T = TypeVar("T")


def read_strict(data: Mapping[str, Any], file: str, parse: Callable[[Mapping[str, Any]], T]) -> T:
    """Run `parse` on `data` with every read recorded; any table or key that nothing read is
    an error (a typo such as `require_authenticaed` would otherwise leave a security setting
    off in silence)."""
    seen: set[str] = set()
    token = _READ_KEYS.set(seen)
    try:
        result = parse(_Tracked(data, "", seen))
    finally:
        _READ_KEYS.reset(token)
    for path in _unread(data, seen):
        value: Any = data
        for part in path.replace("[", ".[").split("."):
            value = value[int(part[1:-1])] if part.startswith("[") else value[part]
        raise _unknown_key_error(file, path, value, seen)
    return result
