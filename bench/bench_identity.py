"""Identity and authentication on hostile headers: the worst time per header.

Both parsers run on text a sender controls: the From (gateway.identity.parse_from, the
standard library's RFC 5322 parser) and the Authentication-Results value (the `authres`
package, which slows down on long hostile values, hence MAX_HEADER). Each is given
hostile shapes at the size cap the gateway enforces (and far past it, where the cap
refuses it unread), and a genuine header for scale. Prints milliseconds per header and
the worst figure. Asserts nothing. Usage: python bench/bench_identity.py
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.authresults import MAX_HEADER as AR_MAX
from gateway.authresults import verdict
from gateway.identity import MAX_HEADER as FROM_MAX
from gateway.identity import FromError, parse_from

FROM_UNITS = {
    "genuine": None,
    "open parens": "(",
    "quoted pairs": '"\\x',
    "dots": "a.",
    "angle brackets": "<",
    "at signs": "a@",
    "address list": ",<a@b.example>",
    "encoded words": "=?utf-8?b?YQ==?= ",
    "backslashes": "\\",
}
AR_UNITS = {
    "genuine": None,
    "results": "dkim=pass ",
    "quote runs": '"a',
    "quoted pairs": '"x\\',
    "reason quote runs": ("dkim=pass reason=", '"a'),
    "header.d quoted pairs": ("dkim=pass header.d=", '"x\\'),
    "open parens": "(",
    "comments": " (c)",
    "resinfos": "dkim=pass header.d=x.example (c) ;",
    "semicolons": " ;",
}
GENUINE_FROM = "=?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <kacho@town.example.jp>"
GENUINE_AR = (
    "mx.google.com; dkim=pass header.i=@town.example.jp header.s=google header.b=Qm9vQ2Fm; "
    "spf=pass (google.com: domain of kacho@town.example.jp designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=kacho@town.example.jp; dmarc=pass (p=NONE sp=NONE "
    "dis=NONE) header.from=town.example.jp"
)


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def from_once(value: str) -> None:
    with contextlib.suppress(FromError):
        parse_from([value])


def main() -> None:
    worst = 0.0
    print(f"From (cap {FROM_MAX} characters)            at cap ms   10x cap ms")
    for name, unit in FROM_UNITS.items():
        if unit is None:
            at_cap = timed(lambda: from_once(GENUINE_FROM))
            past = at_cap
        else:
            at_cap = timed(lambda u=unit: from_once((u * FROM_MAX)[:FROM_MAX]))
            past = timed(lambda u=unit: from_once(u * FROM_MAX * 10))
        worst = max(worst, at_cap, past)
        print(f"  {name:<34} {at_cap:8.2f}   {past:8.2f}")
    print(f"Authentication-Results (cap {AR_MAX})       at cap ms   10x cap ms")
    for name, unit in AR_UNITS.items():
        if unit is None:
            at_cap = timed(lambda: verdict([GENUINE_AR], "kacho@town.example.jp", ["mx.google.com"]))
            past = at_cap
        else:
            prefix, unit = unit if isinstance(unit, tuple) else ("", unit)
            value = "mail.town.example.jp; " + prefix + unit * AR_MAX
            at_cap = timed(
                lambda v=value: verdict([v[:AR_MAX]], "kacho@town.example.jp", ["mail.town.example.jp"])
            )
            past = timed(
                lambda v=value: verdict([v * 10], "kacho@town.example.jp", ["mail.town.example.jp"])
            )
        worst = max(worst, at_cap, past)
        print(f"  {name:<34} {at_cap:8.2f}   {past:8.2f}")
    print(f"worst: {worst:.1f} ms per header")


if __name__ == "__main__":
    main()
