"""The signed approval record: canonical bytes, an Ed25519 signature, offline verification.

The record is canonical JSON (sorted keys, UTF-8, no spaces) so the same facts always
give the same bytes. The key is created on first run with mode 0600; its public half
is written beside it (`*.pub`) so anyone can verify a confirmation without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gateway.approval_format import (  # noqa: F401  (re-exported: older imports use these names)
    KNOWN_FORMATS,
    POST_FILENAME,
    RECORD_FILENAME,
    RECORD_TYPE,
    SIGNATURE_FILENAME,
)


def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8"
    )


@dataclass(frozen=True)
class SigningKey:
    private: Ed25519PrivateKey

    @classmethod
    def throwaway(cls) -> SigningKey:
        """A fresh key kept nowhere (sample records, e.g. the template check)."""
        return cls(Ed25519PrivateKey.generate())

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    def key_id(self) -> str:
        return key_id(self.public)

    def sign(self, record: dict[str, Any]) -> str:
        return base64.b64encode(self.private.sign(canonical(record))).decode("ascii")

    def derive_secret(self, purpose: str) -> bytes:
        """A separate secret for another use (reply-token MACs), so one key file is enough."""
        raw = self.private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        return hmac.new(raw, purpose.encode(), hashlib.sha256).digest()


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_or_create_key(path: str | os.PathLike[str]) -> SigningKey:
    """Load the private key; create it (0600, and a .pub beside it) when missing."""
    p = Path(path)
    if p.exists():
        key = serialization.load_pem_private_key(p.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{p} is not an Ed25519 private key")
        return SigningKey(key)
    p.parent.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    p.with_suffix(p.suffix + ".pub").write_bytes(public_pem(private.public_key()))
    return SigningKey(private)


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """A public key from a .pub PEM, or the public half of a private key file."""
    data = Path(path).read_bytes()
    if b"PRIVATE KEY" in data:
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key.public_key()
    pub = serialization.load_pem_public_key(data)
    if not isinstance(pub, Ed25519PublicKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return pub


class VerifyResult:
    VALID = 0
    INVALID = 1
    MISSING = 2


def open_record(
    public: Ed25519PublicKey, record_bytes: bytes, signature_b64: str
) -> tuple[dict[str, Any] | None, str, str]:
    """The record if the signature over its exact bytes holds and it is one of ours;
    else (None, Japanese reason, English reason)."""
    try:
        signature = base64.b64decode(signature_b64.strip(), validate=True)
        record = json.loads(record_bytes.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None, "署名または承認記録が壊れています。", "malformed signature or record"
    if not isinstance(record, dict) or canonical(record) != record_bytes.strip():
        return None, "承認記録が正規の形ではありません。", "record is not canonical JSON"
    try:
        public.verify(signature, record_bytes.strip())
    except InvalidSignature:
        return (
            None,
            "署名が一致しません。承認記録が書き換えられたか、別の鍵で署名されています。",
            "signature does not match (record altered, or another key)",
        )
    if record.get("type") != RECORD_TYPE or record.get("format") not in KNOWN_FORMATS:
        return None, "この承認記録の種類・形式を知りません。", "unknown record type or format"
    return record, "", ""


def verify_parts(
    public: Ed25519PublicKey, record_bytes: bytes, signature_b64: str, post_text: bytes | None
) -> tuple[int, str]:
    """The signature over the record, and the post text against the record's hash.

    Only the record and the text: `gateway.confirmation.verify_confirmation` checks a
    whole approved mail (attachments, body, headers) and is what `gateway verify` uses.
    """
    record, ja, en = open_record(public, record_bytes, signature_b64)
    if record is None:
        return VerifyResult.INVALID, f"{ja} ({en})"
    if post_text is not None and hashlib.sha256(post_text).hexdigest() != record.get("text_sha256"):
        return VerifyResult.INVALID, "本文が承認された版と一致しません (post text was altered)"
    return VerifyResult.VALID, (
        f"有効な承認記録です: {record.get('draft_id')} 第{record.get('version')}版 (valid approval record)"
    )
