"""Was a mail really sent by its From domain? Reading Authentication-Results (RFC 8601).

Only headers written by the office's own receiving server can be trusted: anyone can
put an Authentication-Results header into a mail they send. So the admin names the
authserv-id of that server (`[review] authserv_ids`), and only the topmost header with
that id is read (receiving servers add theirs on top, and must remove any header with
their own id that arrived with the mail: SECURITY.md). Microsoft 365 writes its header
without an authserv-id; name it as "-".

The header is parsed by the `authres` package (RFC 8601 grammar: quoted strings and
comments are respected, so `smtp.mailfrom="a;dmarc=pass"@evil.example` is one value and
`(dkim=pass)` is a comment), not by splitting on `;`. A mail passes when, in that header:

- DMARC passed for a `header.from` domain equal to the From's domain, or
- DKIM passed with a signing domain (`header.d`, else the domain of `header.i`) equal to
  the From's domain, or SPF passed with a `smtp.mailfrom` domain equal to it,

and no DMARC result in it failed or judged another From domain (the server's own
DMARC verdict wins over a lone DKIM/SPF pass). Alignment is strict (the same domain):
relaxed alignment needs the public-suffix list, and a town signs with its own domain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import authres

from gateway.identity import AddressError, canonical_domain

NO_AUTHSERV_ID = "-"
#: authres's parser slows down on long hostile values; no real header is this long.
MAX_HEADER = 3000
#: DMARC results that leave the decision to DKIM/SPF: no policy published (Microsoft 365
#: writes `bestguesspass` then). Any other non-pass DMARC result fails the mail.
_DMARC_UNDECIDED = ("none", "bestguesspass")


@dataclass(frozen=True)
class AuthVerdict:
    passed: bool
    reason: str  # English, for the audit log: which method passed, or why none did


def _strip_comments(value: str) -> str:
    """Remove RFC 5322 comments `( … )` (only to find the authserv-id cheaply)."""
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
    """The domain of a property value: `kacho@town.example.jp`, `@town.example.jp`,
    `town.example.jp`, `"a;b"@evil.example` -> its domain; "" when it is none."""
    domain = value.strip().strip("<>").rsplit("@", 1)[-1].strip().strip('"')
    try:
        return canonical_domain(domain)
    except AddressError:
        return ""


def aligned(a: str, b: str) -> bool:
    """Strict alignment: the same domain."""
    a, b = a.lower().strip("."), b.lower().strip(".")
    return bool(a) and a == b


@dataclass(frozen=True)
class Result:
    method: str
    result: str
    props: dict[str, str]  # "header.d" -> "town.example.jp"


def parse(value: str) -> tuple[str, list[Result]]:
    """(authserv-id, results) of one header value; raises ValueError when unreadable."""
    if len(value) > MAX_HEADER:
        raise ValueError(f"header too long ({len(value)} characters)")
    unfolded = re.sub(r"\r?\n[ \t]*", " ", value).strip()
    text = unfolded if authserv_id(unfolded) != NO_AUTHSERV_ID else f"{NO_AUTHSERV_ID}; {unfolded}"
    try:
        header = authres.AuthenticationResultsHeader.parse_value(text)
    except Exception as exc:  # authres raises its own SyntaxError and others
        raise ValueError(f"unreadable: {type(exc).__name__}") from None
    found = [
        Result(
            str(r.method).lower(),
            str(r.result).lower(),
            {f"{p.type}.{p.name}".lower(): str(p.value) for p in r.properties},
        )
        for r in header.results
    ]
    return str(header.authserv_id).lower(), found


def results(value: str) -> list[tuple[str, str, dict[str, str]]]:
    """(method, result, properties) for each resinfo of one header value ([] if unreadable)."""
    try:
        return [(r.method, r.result, r.props) for r in parse(value)[1]]
    except ValueError:
        return []


def verdict(headers: Sequence[str], from_addr: str, trusted_ids: Sequence[str]) -> AuthVerdict:
    """Whether the topmost trusted Authentication-Results header vouches for From's domain."""
    trusted = {t.lower() for t in trusted_ids}
    from_domain = _domain(from_addr) if "@" in from_addr else ""
    if not from_domain:
        return AuthVerdict(False, "no From domain to authenticate")
    # The id is read from the first MAX_HEADER characters only, so an overlong header costs
    # no more than a long one; an overlong trusted header is then refused by parse().
    header = next((h for h in headers if authserv_id(h[:MAX_HEADER]) in trusted), None)
    if header is None:
        return AuthVerdict(False, "no Authentication-Results from a trusted server")
    try:
        server, found = parse(header)
    except ValueError as exc:
        return AuthVerdict(False, f"trusted Authentication-Results {exc}")
    if server != authserv_id(header[:MAX_HEADER]):
        return AuthVerdict(False, "authserv-id read two ways")
    seen = [f"{r.method}={r.result}" for r in found]
    for r in found:
        if r.method != "dmarc":
            continue
        judged = _domain(r.props.get("header.from", ""))
        if judged and not aligned(judged, from_domain):
            return AuthVerdict(False, f"dmarc judged another From domain ({judged})")
        if r.result not in ("pass", *_DMARC_UNDECIDED):
            return AuthVerdict(False, f"dmarc={r.result}")
    for r in found:
        if r.result != "pass":
            continue
        if r.method == "dmarc" and aligned(_domain(r.props.get("header.from", "")), from_domain):
            return AuthVerdict(True, "dmarc=pass")
        if r.method == "dkim":
            signer = _domain(r.props.get("header.d", "") or r.props.get("header.i", ""))
            if aligned(signer, from_domain):
                return AuthVerdict(True, f"dkim=pass aligned ({signer})")
        if r.method == "spf":
            mailfrom = _domain(r.props.get("smtp.mailfrom", ""))
            if aligned(mailfrom, from_domain):
                return AuthVerdict(True, f"spf=pass aligned ({mailfrom})")
    return AuthVerdict(False, "no aligned pass: " + (", ".join(seen) or "no results"))
