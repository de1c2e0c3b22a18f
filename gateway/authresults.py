"""Was a reply really sent by its From domain? Reading Authentication-Results (RFC 8601).

Only headers written by the office's own receiving server can be trusted: anyone can
put an Authentication-Results header into a mail they send. So the admin names the
authserv-id of that server (`[review] authserv_ids`), and only the topmost header with
that id is read (receiving servers add theirs on top). Microsoft 365 writes its header
without an authserv-id; name it as "-".

A reply passes when, in that header, DMARC passed, or DKIM passed with a signing domain
aligned with the From domain, or SPF passed with a MAIL FROM domain aligned with it
(strict alignment: the same domain. Relaxed alignment needs the public-suffix list to
find organisational domains; a town's mail is signed with its own domain anyway).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

NO_AUTHSERV_ID = "-"
_RESULT_RE = re.compile(r"\b(dkim|spf|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)
_PROP_RE = re.compile(
    r"\b(header\.d|header\.i|header\.from|smtp\.mailfrom)\s*=\s*([^\s;()]+)", re.IGNORECASE
)


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str  # English, for the audit log: which method passed, or why none did


def _strip_comments(value: str) -> str:
    """Remove RFC 5322 comments `( … )`, which may contain anything, even `dkim=pass`."""
    out, depth = [], 0
    for ch in value:
        if ch == "(":
            depth += 1
        elif ch == ")" and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out)


def authserv_id(value: str) -> str:
    """The authserv-id a header starts with; NO_AUTHSERV_ID when it starts with a result."""
    head = _strip_comments(value).split(";", 1)[0].strip()
    if not head or "=" in head:
        return NO_AUTHSERV_ID
    return head.split()[0].lower()


def _domain(value: str) -> str:
    value = value.strip().strip('"').lower()
    return value.rsplit("@", 1)[-1].strip(">")


def aligned(a: str, b: str) -> bool:
    """Strict alignment: the same domain."""
    a, b = a.lower().strip("."), b.lower().strip(".")
    return bool(a) and a == b


def results(value: str) -> list[tuple[str, str, dict[str, str]]]:
    """(method, result, properties) for each resinfo of one header value."""
    body = _strip_comments(value)
    parts = body.split(";")
    if authserv_id(value) != NO_AUTHSERV_ID:
        parts = parts[1:]
    found = []
    for part in parts:
        m = _RESULT_RE.search(part)
        if not m:
            continue
        props = {k.lower(): v for k, v in _PROP_RE.findall(part)}
        found.append((m.group(1).lower(), m.group(2).lower(), props))
    return found


def verdict(headers: Sequence[str], from_addr: str, trusted_ids: Sequence[str]) -> AuthVerdict:
    """Whether the topmost trusted Authentication-Results header vouches for From's domain."""
    trusted = {t.lower() for t in trusted_ids}
    from_domain = _domain(from_addr)
    header = next((h for h in headers if authserv_id(h) in trusted), None)
    if header is None:
        return AuthVerdict(False, "no Authentication-Results from a trusted server")
    seen = []
    for method, result, props in results(header):
        seen.append(f"{method}={result}")
        if result != "pass":
            continue
        if method == "dmarc" and aligned(
            _domain(props.get("header.from", from_domain)), from_domain
        ):
            return AuthVerdict(True, "dmarc=pass")
        if method == "dkim":
            signer = props.get("header.d") or _domain(props.get("header.i", ""))
            if aligned(_domain(signer), from_domain):
                return AuthVerdict(True, f"dkim=pass aligned ({signer})")
        if method == "spf":
            mailfrom = _domain(props.get("smtp.mailfrom", ""))
            if aligned(mailfrom, from_domain):
                return AuthVerdict(True, f"spf=pass aligned ({mailfrom})")
    return AuthVerdict(False, "no aligned pass: " + (", ".join(seen) or "no results"))
