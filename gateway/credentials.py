"""Where the mailbox and SMTP passwords come from, and whether anyone else can read them.

Apart from the config's reading so that the one place that touches secret material (a
password file, an environment variable, systemd's credentials) is small enough to review.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from gateway.config_reader import TableReader


def read_secret(reader: TableReader, *, required: bool) -> str | None:
    """A password from password_file, password_env or password, in that order."""
    if "password_file" in reader.data:
        path = credential_path(Path(reader.str("password_file") or ""), reader.base)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise reader.fail(
                "password_file",
                f"パスワードファイル {path} を読めません（{exc.strerror}）。",
                f"cannot read password file {path}: {exc.strerror}",
            ) from None
    if "password_env" in reader.data:
        var = reader.str("password_env") or ""
        value = os.environ.get(var)
        if not value:
            raise reader.fail(
                "password_env",
                f"環境変数 {var} が設定されていません。",
                f"environment variable {var} is not set",
            )
        return value
    if "password" in reader.data:
        return reader.str("password")
    if required:
        raise reader.fail(
            "password_file",
            "password_file、password_env、password のいずれかを指定してください。",
            "one of password_file, password_env or password is required",
        )
    return None


def credential_path(path: Path, base: Path) -> Path:
    """A relative password file is looked up first among systemd's credentials
    (LoadCredential=, $CREDENTIALS_DIRECTORY), so the service reads its own 0400 copy while
    /etc/gateway stays root's; then beside the config file (the admin's shell, tests)."""
    if path.is_absolute():
        return path
    creds = os.environ.get("CREDENTIALS_DIRECTORY")
    if creds and (Path(creds) / path).is_file():
        return Path(creds) / path
    return base / path


def exposed_secret_files(config_path: str | os.PathLike[str]) -> list[str]:
    """The config (when it holds a plain password) and password files that others can read."""
    try:
        data = tomllib.loads(Path(config_path).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return []
    candidates: list[Path] = []
    base = Path(config_path).parent
    for table in ("mailbox", "smtp"):
        section = data.get(table) or {}
        if "password" in section:
            candidates.append(Path(config_path))
        if isinstance(section.get("password_file"), str):
            p = Path(section["password_file"])
            candidates.append(p if p.is_absolute() else base / p)
    exposed = []
    for path in dict.fromkeys(candidates):
        try:
            if path.stat().st_mode & 0o077:
                exposed.append(str(path))
        except OSError:
            continue
    return exposed
