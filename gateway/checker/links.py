"""The link detectors: links read from the NFKC text (`_urls`, once per draft), adult
sites, shorteners and plain http, a user part that imitates the office, internal hosts.
Look-alike hosts are lookalike.py (split from detectors.py, which had grown past one job).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from functools import partial
from itertools import accumulate, compress, repeat
from operator import add, contains, eq, itemgetter, methodcaller, not_
from typing import Any, NamedTuple

from gateway.checker.context import CheckContext
from gateway.checker.draft import Draft
from gateway.checker.engine import Hit, detector
from gateway.checker.lazyre import deferred
from gateway.checker.loadmemo import compile_regex
from gateway.checker.options import _bare_domains, _domain_in, _dotted_domains, _words
from gateway.checker.prefilter import Clauses, passes, required_strings_of

# --- links and hosts ---

# A link starts with http://, https:// or www., in any case. Written with the letters'
# cases as classes rather than IGNORECASE, and its first letter taken before the two
# branches (each then looks back at it): the pattern then starts with one class, and `re`
# skips in C to an h or a w (IGNORECASE, or a branch of classes, tried the whole pattern
# at every position of the draft). ſ is the one other character IGNORECASE takes for s
# (its NFKC is s).
_URL_RE = re.compile(
    r"[HhWw](?:(?<=[Hh])[Tt][Tt][Pp][Ssſ]?://|(?<=[Ww])[Ww][Ww]\.)"
    r"[^\s<>\"'「」『』()\[\]、。，,]+"
)
_HOST_RE = deferred(  # compiled when a post first needs it
    r"(?<![\w.@-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z][a-z0-9-]*(?![\w.-])", re.I
)
_IPV4_RE = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_PATH_START_RE = re.compile(r"[/?#]")


def _urls(draft: Draft) -> list[tuple[int, int, str, str, str]]:
    """(start, end, url, scheme, host) of every link, offsets in the original text."""
    cached = draft.__dict__.get("_urls")
    if cached is not None:
        return cached
    out = []
    parts: dict[str, tuple[str, str]] = {}  # url -> (scheme, host): links repeat
    # no `in` gate before it: 'http' / 'HTTP' / 'www.' missed Http://, WWW. (a phone's
    # capitalised first letter); the regex starts with a class, so a post without an h or
    # a w costs about a microsecond
    moved = draft._offsets is not None  # NFKC moved offsets (else orig_span is as is)
    for m in _URL_RE.finditer(draft.norm):
        url = m.group().rstrip(".!?")
        found = parts.get(url)
        if found is None:
            found = parts[url] = _scheme_and_host(url)
        s = m.start()
        e = s + len(url)
        if moved:
            s, e = draft.orig_span(s, e)
        out.append((s, e, url, *found))
    draft.__dict__["_urls"] = out
    return out


class LinkSpans:
    """The draft's links, for asking whether a span lies inside one in a bisection (a
    draft of many links and many hits made the old scan of every link per hit quadratic)."""

    __slots__ = ("ends", "starts")

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        spans.sort()
        self.starts = [s for s, _ in spans]
        self.ends = list(accumulate((e for _, e in spans), max))  # the furthest end so far

    def contain(self, start: int, end: int) -> bool:
        """Whether some link [s, e) has s <= start and end <= e."""
        i = bisect_right(self.starts, start) - 1
        return i >= 0 and self.ends[i] >= end


_start_end = itemgetter(0, 1)  # of a link of _urls


def link_spans(draft: Draft) -> LinkSpans:
    """The spans of the draft's links (_urls), once per draft: every rule's hits and every
    detector's numbers are asked about them (find_mynumber asked each 12 digits by a scan
    of the whole text and then of every link: quadratic on a draft of many numbers)."""
    spans = draft.__dict__.get("_link_spans")
    if spans is None:
        if "://" not in draft.norm and "www." not in draft.norm:
            spans = LinkSpans([])
        else:
            spans = LinkSpans(list(map(_start_end, _urls(draft))))  # (start, end) of each, in C
        draft.__dict__["_link_spans"] = spans
    return spans


def _scheme_and_host(url: str) -> tuple[str, str]:
    """A link's scheme ("" for www.) and host, lower case."""
    low = url.lower()
    scheme, sep, rest = low.partition("://")
    if not sep:
        scheme, rest = "", low
    return scheme, _PATH_START_RE.split(rest, maxsplit=1)[0].split("@")[-1].split(":")[0]


class ObsceneOptions(NamedTuple):
    tlds: tuple[str, ...]  # with their dot: ".xxx"
    host_keywords: re.Pattern[str]
    blocklist: tuple[str, ...]
    # strings one of each of which a lower-case ASCII host needs for host_keywords to
    # match it (a 100 KB host a.a.a.… ran the case-blind alternation at every letter)
    keyword_clauses: Clauses = ()


def _obscene_options(opts: dict[str, Any]) -> ObsceneOptions:
    keywords = "|".join(_words(opts, "host_keywords", ("xxx",)))
    # on a lower-case ASCII host the case-blind regex matches as the case-sensitive one
    # of a lower-case pattern, whose clauses the prefilter can read
    clauses = required_strings_of(keywords) if keywords == keywords.lower() else ()
    return ObsceneOptions(
        tuple("." + t.lstrip(".") for t in _words(opts, "tlds")),
        compile_regex(keywords, re.I),
        _words(opts, "blocklist"),
        clauses,
    )


def _may_name_keyword(host: str, opts: ObsceneOptions) -> bool:
    """Whether host_keywords may match the host (lower case already, from _urls)."""
    return not host.isascii() or host != host.lower() or passes(opts.keyword_clauses, host)


@detector("link_obscene", options=_obscene_options)
def find_obscene_link(draft: Draft, ctx: CheckContext, opts: ObsceneOptions) -> Iterator[Hit]:
    """Links to adult sites: adult TLDs, adult keywords in the host, the admin's blocklist."""
    urls = _urls(draft)
    if not urls:
        return
    # _domain_in's comparison, its lists dotted once here (hosts are lower case already)
    office = _dotted_domains(ctx.office_domains)
    block = _dotted_domains(opts.blocklist + ctx.link_blocklist)
    if len(urls) >= BULK_LINKS:
        obscene = _obscene_hosts(_hosts(urls), opts, block, office, draft)
        if obscene:
            for s, e, _url, _scheme, host in urls:
                if host in obscene:
                    yield Hit(s, e)
        return
    verdicts: dict[str, bool] = {}  # per host: a draft of many links has few hosts
    for s, e, _url, _scheme, host in urls:
        obscene_host = verdicts.get(host)
        if obscene_host is None:
            dotted = "." + host.rstrip(".")
            obscene_host = verdicts[host] = not dotted.endswith(office) and bool(
                host.endswith(opts.tlds)
                or (_may_name_keyword(host, opts) and opts.host_keywords.search(host))
                or dotted.endswith(block)
            )
        if obscene_host:
            yield Hit(s, e)


# From this many links in a draft on, the link detectors decide its hosts by maps in C
# (_obscene_hosts, _hygiene_reasons); a post's few links are asked one by one, which
# costs less than setting up the maps (a module variable: the tests lower it)
BULK_LINKS = 16


_host_of = itemgetter(4)  # of a link of _urls
_dotted = partial(add, ".")


def _hosts(urls: list[tuple[int, int, str, str, str]]) -> list[str]:
    """The distinct hosts of a draft's links, in order, picked out in C."""
    return list(dict.fromkeys(map(_host_of, urls)))


def _obscene_hosts(
    hosts: list[str],
    opts: ObsceneOptions,
    block: tuple[str, ...],
    office: tuple[str, ...],
    draft: Draft,
) -> set[str]:
    """The hosts (lower case, from _urls) that are adult sites and not the office's.

    Each test is a map over the distinct hosts in C (a draft of links to thousands of
    hosts asked each in a Python step per test and rule). The keyword regex is asked of
    the hosts _may_name_keyword lets through; when the draft's lower-cased text lacks
    the keywords' clauses, no ASCII host (a piece of that text) has them, and only the
    other hosts are asked. tests/unit/test_checker_hitpath.py compares this with asking
    every link on its own."""
    found: set[str] = set()
    if opts.tlds:
        found.update(compress(hosts, map(methodcaller("endswith", opts.tlds), hosts)))
    clauses = opts.keyword_clauses
    if not clauses:
        asked: Iterable[str] = hosts  # _may_name_keyword lets every host through
    elif passes(clauses, _lower_norm(draft)):
        asked = [h for h in hosts if _may_name_keyword(h, opts)]
    else:
        asked = compress(hosts, map(not_, map(str.isascii, hosts)))
    asked = list(asked)
    found.update(compress(asked, map(opts.host_keywords.search, asked)))
    if block:
        dotted = map(_dotted, map(methodcaller("rstrip", "."), hosts))
        found.update(compress(hosts, map(methodcaller("endswith", block), dotted)))
    if found and office:
        found = {h for h in found if not ("." + h.rstrip(".")).endswith(office)}
    return found


def _lower_norm(draft: Draft) -> str:
    """The draft's NFKC text in lower case, made once per draft."""
    low = draft.__dict__.get("_lower_norm")
    if low is None:
        low = draft.__dict__["_lower_norm"] = draft.norm.lower()
    return low


@detector("link_hygiene", options=lambda opts: _words(opts, "shorteners"))
def find_link_hygiene(
    draft: Draft, ctx: CheckContext, shorteners: tuple[str, ...]
) -> Iterator[Hit]:
    """Links a reader cannot judge by eye: shorteners, raw IPs, punycode, plain http."""
    urls = _urls(draft)
    if not urls:
        return
    if len(urls) >= BULK_LINKS:
        reasons = _hygiene_reasons(urls, ctx, shorteners)
        if reasons:
            for s, e, _url, scheme, host in urls:
                why = reasons.get((scheme, host))
                if why is not None:
                    yield Hit(s, e, {"why": why})
        return
    asked: dict[tuple[str, str], str | None] = {}  # per (scheme, host), as for hosts
    for s, e, _url, scheme, host in urls:
        key = (scheme, host)
        if key not in asked:
            asked[key] = _hygiene_reason(scheme, host, ctx, shorteners)
        reason = asked[key]
        if reason is not None:
            yield Hit(s, e, {"why": reason})


_scheme_host = itemgetter(3, 4)  # of a link of _urls


def _hygiene_reasons(
    urls: list[tuple[int, int, str, str, str]], ctx: CheckContext, shorteners: tuple[str, ...]
) -> dict[tuple[str, str], str]:
    """Per (scheme, host) with a reason, _hygiene_reason's. It has one only for plain
    http, a shortener, an IPv4 address or punycode: those links are found by maps in C
    over the distinct pairs, and only they are asked (links to thousands of hosts asked
    each in Python). Compared with asking every link in test_checker_hitpath.py."""
    pairs = list(dict.fromkeys(map(_scheme_host, urls)))
    hosts = list(map(_second, pairs))
    dotted = map(_dotted, map(methodcaller("rstrip", "."), map(str.lower, hosts)))
    maybe = map(
        any,
        zip(
            map(eq, map(_first, pairs), repeat("http")),
            map(methodcaller("endswith", _dotted_domains(shorteners)), dotted),
            map(_IPV4_RE.match, hosts),
            map(contains, hosts, repeat("xn--")),
            strict=True,
        ),
    )
    out = {}
    for scheme, host in compress(pairs, maybe):
        why = _hygiene_reason(scheme, host, ctx, shorteners)
        if why is not None:
            out[scheme, host] = why
    return out


_first, _second = itemgetter(0), itemgetter(1)


def _hygiene_reason(
    scheme: str, host: str, ctx: CheckContext, shorteners: tuple[str, ...]
) -> str | None:
    if _domain_in(host, ctx.office_domains) and scheme != "http":
        return None
    if _domain_in(host, shorteners):
        return "短縮URLはリンク先が分かりません。元のURLを書いてください。"
    if _IPV4_RE.match(host):
        return "IPアドレスのリンクは避け、ドメイン名のURLにしてください。"
    if "xn--" in host:
        return "国際化ドメイン（punycode）は偽サイトと見分けにくいため、確認してください。"
    if scheme == "http":
        return "暗号化されていない http のリンクです。https のURLがあればそちらにしてください。"
    return None


@detector("link_userinfo", options=lambda opts: bool(opts.get("imitating_office", False)))
def find_link_userinfo(draft: Draft, ctx: CheckContext, imitating_office: bool) -> Iterator[Hit]:
    """Links with a user part before an @ (`https://town.tatsuno.lg.jp@evil.example/`):
    what stands before the @ reads as the site but is not where the link goes. With
    `imitating_office`, only those whose user part names an office domain (the town's
    site imitated: never needed); without, only the others."""
    for s, e, url, _scheme, host in _urls(draft):
        if "@" not in url:
            continue  # no user part (most links: a draft of thousands asked each below)
        low = url.lower()
        _, sep, rest = low.partition("://")
        authority = _PATH_START_RE.split(rest if sep else low, maxsplit=1)[0]
        userinfo = authority.rpartition("@")[0]
        if not userinfo:
            continue
        office = any(
            _domain_in(part, ctx.office_domains) for part in re.split(r"[@:]", userinfo) if part
        )
        if office == imitating_office:
            yield Hit(s, e, {"host": host})


@detector("internal_host", options=lambda opts: _words(opts, "suffixes"))
def find_internal_host(draft: Draft, ctx: CheckContext, suffixes: tuple[str, ...]) -> Iterator[Hit]:
    """Internal host names and URLs (config `internal_hosts`, .local / .lan …), UNC paths."""
    suffixes += ctx.internal_hosts
    # _HOST_RE's hosts have a dot (most posts have none: `in` decides before the text is
    # lower-cased); the lower-cased text is made once per draft (_lower_norm)
    if "." in draft.norm and _any_domain_in_text(suffixes, _lower_norm(draft)):
        for m in _HOST_RE.finditer(draft.norm):
            host = m.group().lower()
            if _domain_in(host, suffixes):
                yield Hit(*draft.orig_span(m.start(), m.end()))
    if "\\\\" in draft.norm:  # a UNC path starts with two backslashes
        for m in _UNC_RE.finditer(draft.norm):
            yield Hit(*draft.orig_span(m.start(), m.end()))


_UNC_RE = re.compile(r"\\\\[A-Za-z0-9._-]+\\[^\s]*")


def _any_domain_in_text(domains: tuple[str, ...], lowered: str) -> bool:
    """Whether a host in a text can be in `domains` at all: the domain, as _domain_in
    compares it, must then be in the lower-cased text (`lowered`; the host is part of it)."""
    return any(map(lowered.__contains__, _bare_domains(domains)))


