"""One person, one identity: every address the gateway compares or stores goes through here.

The gateway's promise (two different people, never the author) is only as good as its
idea of "the same person". A person can write their address many ways, so every
address (the From of a mail, the config's reviewers, staff list, admin, [[people]])
is reduced to one canonical spelling, and then to one *person key*:

- case: the whole address is lower-cased, local part included. RFC 5321 lets a server
  treat `Kacho@` and `kacho@` as two mailboxes, but the servers a town office runs
  (Microsoft 365 / Exchange, Google Workspace, Postfix with its default lower-casing
  lookup tables) never do: they deliver both to the same mailbox. Folding can therefore
  not merge two real people, while *not* folding would let one person be two.
- plus-address tags: `kacho+sns@` is delivered to `kacho@` (Microsoft 365, Google and
  Postfix's `recipient_delimiter = +` all do this), so it is kacho. The office must not
  create mailboxes whose names contain `+` (README, SECURITY.md).
- quoted local parts: `"kacho"@` is, by RFC 5322, the same addr-spec as `kacho@`.
- aliases: `[[people]]` in the config names several addresses of one person; they all
  map to the person's first address (the person key), which is where mail to them goes.

Anything else odd inside the local part (`%`, `!`, quotes, angle brackets, `@`, spaces,
`=`, non-ASCII, leading/trailing/double dots, …) is refused, not guessed at: such
addresses are used to make one server read a different mailbox than another
(`mallory%evil.example.com@town.example.jp` is relayed to evil.example.com by some servers;
`"mallory@evil.example.com>"@town.example.jp` is read as mallory's by naive parsers).
No office gives its staff such addresses.

The From header is read strictly with the standard library's RFC 5322 parser
(`email.headerregistry` via `policy.default`), whose defects decide: a From that parses
only by dropping a piece (an address inside an unquoted display name,
`kacho@town.example.jp <mallory@evil.example.com>`), a route address, a group, several
addresses, several From headers, or a display name that names another address is an
error, never an address. So is a Sender that names a different address than From (mail
sent on someone's behalf is not that person's own mail; gateway.onbehalf tells the
people concerned, never taking either address as the author).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email import policy

#: Characters allowed in a local part (after unquoting), as dot-separated atoms.
_ATOM = r"[a-z0-9_-]+"
_LOCAL_RE = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_TAG_RE = re.compile(r"(?:[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*)?")
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
#: Something that looks like an address inside a display name (after NFKC folding).
_ADDRESS_LIKE_RE = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")
MAX_HEADER = 2000  # no genuine From header is longer; longer ones are refused unread
TAG_DELIMITER = "+"


class AddressError(ValueError):
    """An address the gateway will not accept, with the reason in English and Japanese."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.en, self.ja = en, ja


def _domain(domain: str) -> str:
    domain = domain.strip().lower()
    if domain.endswith("."):
        domain = domain[:-1]
    if domain.startswith("[") or not domain:
        raise AddressError(
            f"domain {domain!r} is not a host name", "ドメイン名の形ではありません。"
        )
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise AddressError(
                f"domain {domain!r} is not a valid host name", "ドメイン名として読めません。"
            ) from None
    labels = domain.split(".")
    if len(domain) > 253 or not all(_LABEL_RE.fullmatch(label) for label in labels):
        raise AddressError(
            f"domain {domain!r} is not a valid host name", "ドメイン名として読めません。"
        )
    return domain


def _local(local: str) -> str:
    if len(local) >= 2 and local.startswith('"') and local.endswith('"'):
        local = local[1:-1]  # a quoted local part means the same as its contents
    # ASCII first: str.lower() maps a few non-ASCII letters to ASCII (the Kelvin sign
    # U+212A becomes k), so a look-alike would otherwise be read as the real address.
    ascii_only = local.isascii()
    local = local.lower()
    base, sep, tag = local.partition(TAG_DELIMITER)
    if (
        not ascii_only
        or not _LOCAL_RE.fullmatch(base)
        or (sep and not _TAG_RE.fullmatch(tag))
        or len(local) > 64
    ):
        raise AddressError(
            f"local part {local!r} has characters an office address never has",
            'アドレスの @ の前に、使えない文字（% ! " < > 空白など）が含まれています。',
        )
    return base


def canonical_address(address: str) -> str:
    """The one spelling of an addr-spec: `"Kacho+SNS"@Town.Example.JP` -> `kacho@town.example.jp`.

    Raises AddressError for anything that is not a plain office address."""
    value = (address or "").strip()
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1].strip()
    local, sep, domain = value.rpartition("@")
    if not sep or not local:
        raise AddressError(
            f"not an email address: {address!r}", "メールアドレスの形ではありません。"
        )
    return f"{_local(local)}@{_domain(domain)}"


def try_canonical(address: str) -> str | None:
    """canonical_address, or None when the address is refused."""
    try:
        return canonical_address(address)
    except AddressError:
        return None


def canonical_domain(domain: str) -> str:
    """A domain as canonical_address writes it (lower case, ASCII, no trailing dot)."""
    return _domain(domain)


def same_address(a: str, b: str) -> bool:
    """The same mailbox under any spelling (case, +tag, quotes); refused addresses never match."""
    ca, cb = try_canonical(a), try_canonical(b)
    return ca is not None and ca == cb


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class Person:
    key: str  # the first address, canonical: where mail to this person goes
    name: str = ""
    addresses: tuple[str, ...] = ()  # canonical, the key first


@dataclass(frozen=True)
class People:
    """Who is who: canonical address -> person key, from the config's `[[people]]`.

    An address not listed is its own person (its canonical spelling is its key)."""

    persons: tuple[Person, ...] = ()
    _index: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        owner: dict[str, int] = {}
        for i, person in enumerate(self.persons):
            for address in person.addresses:
                if owner.setdefault(address, i) != i:
                    raise ValueError(f"{address} belongs to two people")
                index[address] = person.key
        object.__setattr__(self, "_index", index)

    def key(self, address: str) -> str:
        """The person key of any spelling of any of their addresses; raises AddressError."""
        canonical = canonical_address(address)
        return self._index.get(canonical, canonical)

    def key_or_none(self, address: str) -> str | None:
        try:
            return self.key(address)
        except AddressError:
            return None

    def same(self, a: str, b: str) -> bool:
        """True when a and b are the same person; a refused address is nobody."""
        ka, kb = self.key_or_none(a), self.key_or_none(b)
        return ka is not None and ka == kb

    def addresses_of(self, key: str) -> tuple[str, ...]:
        for person in self.persons:
            if person.key == key:
                return person.addresses
        return (key,)


NOBODY = People()


def people_from(entries: Iterable[tuple[str, Sequence[str]]]) -> People:
    """People from (name, addresses) pairs; raises AddressError / ValueError on bad input."""
    persons = []
    for name, addresses in entries:
        canon = tuple(dict.fromkeys(canonical_address(a) for a in addresses))
        if not canon:
            raise ValueError(f"{name or '(no name)'} has no addresses")
        persons.append(Person(canon[0], name, canon))
    return People(tuple(persons))


def same_person(a: str, b: str, people: People = NOBODY) -> bool:
    """True when a and b are one person under any spelling or listed alias."""
    return people.same(a, b)


# --------------------------------------------------------------------------- From


@dataclass(frozen=True)
class FromAddress:
    address: str  # canonical
    name: str  # display name as the parser decoded it ("" if none)


class FromError(ValueError):
    """A From (or Sender) that names no single, plain address. English, for the log."""


class OnBehalfError(FromError):
    """A plain From and a plain Sender naming two different addresses: mail sent on
    someone's behalf (an Outlook shared or delegated mailbox, Gmail's "send mail as").
    Refused like any FromError; the two addresses say whom the refusal may be told."""

    def __init__(self, author: FromAddress, sender: FromAddress) -> None:
        super().__init__(
            f"Sender {sender.address} differs from From {author.address} (sent on behalf)"
        )
        self.author, self.sender = author, sender


def _benign(defect: Exception) -> bool:
    """Defects of how a display name is written (old Japanese mailers quote encoded
    words, write unquoted periods, 8-bit names…): cosmetic. Every other defect means the
    parser had to drop or guess part of the address list."""
    kind = type(defect).__name__
    text = str(defect).lower()
    if kind in ("NonPrintableDefect", "CharsetError", "UndecodableBytesDefect"):
        return True
    if kind == "ObsoleteHeaderDefect":
        return "period in 'phrase'" in text or "no content" in text
    if kind == "InvalidHeaderDefect":
        return "encoded word" in text or "encoded-word" in text
    return False


def _one_address(field_name: str, value: str) -> FromAddress:
    if len(value) > MAX_HEADER:
        raise FromError(f"{field_name} header too long ({len(value)} characters)")
    unfolded = re.sub(r"\r?\n[ \t]*", " ", value).strip()
    if not unfolded:
        raise FromError(f"empty {field_name}")
    try:
        header = policy.default.header_factory(field_name, unfolded)
    except Exception as exc:  # the parser raises on a few hostile shapes
        raise FromError(f"{field_name} unreadable: {type(exc).__name__}") from None
    bad = [d for d in header.defects if not _benign(d)]
    if bad:
        raise FromError(f"{field_name} malformed: {'; '.join(str(d) for d in bad)}")
    groups = header.groups
    if len(groups) != 1 or groups[0].display_name is not None:
        raise FromError(f"{field_name} names a group or several addresses")
    addresses = groups[0].addresses
    if len(addresses) != 1:
        raise FromError(f"{field_name} names {len(addresses)} addresses")
    addr = addresses[0]
    if not addr.username or not addr.domain:
        raise FromError(f"{field_name} has no address")
    try:
        canonical = canonical_address(f"{addr.username}@{addr.domain}")
    except AddressError as exc:
        raise FromError(f"{field_name} refused: {exc.en}") from None
    name = addr.display_name or ""
    for found in _ADDRESS_LIKE_RE.findall(unicodedata.normalize("NFKC", name)):
        if try_canonical(found) != canonical:
            raise FromError(f"{field_name} display name names another address ({found})")
    return FromAddress(canonical, name)


def parse_from(
    from_values: Sequence[str], sender_values: Sequence[str] = (), people: People = NOBODY
) -> FromAddress:
    """The one author address of a mail, read strictly; raises FromError.

    `from_values` / `sender_values`: every From / Sender header value, as text (encoded
    words may still be in it). A Sender that is another address of the From's own person
    (`people`: one `[[people]]` entry, e.g. a personal and a section address) is that
    person's own mail, not mail on someone's behalf."""
    if len(from_values) != 1:
        raise FromError("no From header" if not from_values else "several From headers")
    author = _one_address("From", from_values[0])
    if len(sender_values) > 1:
        raise FromError("several Sender headers")
    if sender_values:
        sender = _one_address("Sender", sender_values[0])
        if not people.same(sender.address, author.address):
            raise OnBehalfError(author, sender)
    return author


def on_behalf_of(
    from_values: Sequence[str], sender_values: Sequence[str], people: People = NOBODY
) -> tuple[str, ...]:
    """(From, Sender), canonical, when the mail is refused only for being sent on someone's
    behalf; () for any other mail. Never an identity: only whom a refusal may be told."""
    try:
        parse_from(from_values, sender_values, people)
    except OnBehalfError as exc:
        return exc.author.address, exc.sender.address
    except FromError:
        pass
    return ()
