"""Reply tokens: proof that a reply answers one request, for one version, from one person.

A token is `D-000042.v2.k3f9a2c1b7e`: the draft id, the version and a MAC over
(draft, version, address). It travels in the Reply-To plus-address and in the
Message-ID of the request (so it comes back in In-Reply-To / References).
An absence set by mail is confirmed the same way, with `A-000001.v1.k…` (gateway.absence).
The address is not written in the token: verification recomputes the MAC for the
reply's From, so a token counts only for the person it was made for.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from gateway.identity import try_canonical

TOKEN_RE = re.compile(r"([DA]-\d{6})\.v(\d{1,4})\.k([a-z2-7]{10})", re.IGNORECASE)
DRAFT_ID_RE = re.compile(r"\bD-(\d{6})\b")


@dataclass(frozen=True)
class ReplyToken:
    draft_id: str
    version: int
    mac: str

    def __str__(self) -> str:
        return f"{self.draft_id}.v{self.version}.k{self.mac}"


def _mac(secret: bytes, draft_id: str, version: int, address: str) -> str:
    # Any spelling of the address makes the same token (gateway.identity).
    canonical = try_canonical(address) or address.strip().lower()
    msg = f"{draft_id}|{version}|{canonical}".encode()
    digest = hmac.new(secret, msg, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:10]


def make_token(secret: bytes, draft_id: str, version: int, address: str) -> ReplyToken:
    return ReplyToken(draft_id, version, _mac(secret, draft_id, version, address))


def token_matches(secret: bytes, token: ReplyToken, address: str) -> bool:
    """True only when `token` was made for exactly this draft, version and address."""
    expected = _mac(secret, token.draft_id, token.version, address)
    return hmac.compare_digest(expected, token.mac.lower())


def find_tokens(text: str) -> list[str]:
    """Every token-shaped string in `text` (headers), in order, without duplicates."""
    seen: dict[str, None] = {}
    for m in TOKEN_RE.finditer(text or ""):
        seen.setdefault(f"{m.group(1).upper()}.v{int(m.group(2))}.k{m.group(3).lower()}", None)
    return list(seen)


def parse_token(text: str) -> ReplyToken | None:
    m = TOKEN_RE.fullmatch(text.strip())
    if not m:
        return None
    return ReplyToken(m.group(1).upper(), int(m.group(2)), m.group(3).lower())


def plus_address(gateway_address: str, token: ReplyToken) -> str:
    """`sns-check@town.example.jp` -> `sns-check+D-000042.v2.k...@town.example.jp`."""
    local, _, domain = gateway_address.partition("@")
    return f"{local}+{token}@{domain}"
