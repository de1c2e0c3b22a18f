"""Fuzz: thousands of malformed messages through read_message; nothing escapes.

Deterministic (seeded) mutations of the corpus plus hand-made horrors, so a failure
reproduces; a smaller hypothesis run adds shrinking on raw bytes.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mime import read_message
from gateway.model import Incoming, Kind
from gateway.replies import read_reply

CORPUS = sorted((Path(__file__).parent.parent / "data" / "replies").glob("*.eml"))
SEEDS = [c.read_bytes() for c in CORPUS]
N = 3000

CHARSETS = [
    b"iso-2022-jp",
    b"shift_jis",
    b"euc-jp",
    b"utf-8",
    b"x-bogus",
    b"",
    b'"',
    b"utf-16",
    b"cp50220",
]
JUNK = [b"\x1b$B", b"\x1b(I", b"\x1b$(D", b"\x0e", b"\xff\xfe", b"=?", b"?=", b"=?utf-8?b?", b"--", b"\r\n\r\n",
        b"=\r\n", b"=ZZ", b"\x00", b"\x1b", b"Content-Type: multipart/mixed; boundary=x\r\n", b"\xe3\x81"]  # fmt: skip


def _mutate(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(9)
        pos = rng.randrange(len(b) + 1) if b else 0
        if op == 0 and b:  # flip bytes
            for _ in range(rng.randint(1, 20)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1:  # truncate
            b = b[:pos]
        elif op == 2:  # insert junk
            b[pos:pos] = rng.choice(JUNK) * rng.randint(1, 3)
        elif op == 3:  # swap the charset label
            s = bytes(b)
            for cs in (b"iso-2022-jp", b"ISO-2022-JP", b"UTF-8", b"utf-8", b"Shift_JIS", b"EUC-JP"):
                s = s.replace(cs, rng.choice(CHARSETS))
            b = bytearray(s)
        elif op == 4:  # break boundaries
            b = bytearray(
                bytes(b).replace(b"--", rng.choice([b"-", b"---", b"--x", b""]), rng.randint(1, 3))
            )
        elif op == 5:  # corrupt base64
            s = bytes(b).replace(
                b"base64\r\n\r\n", b"base64\r\n\r\n" + rng.choice([b"!!!", b"=", b"A", b"\xff"])
            )
            b = bytearray(s)
        elif op == 6:  # bare LF / CR
            b = bytearray(bytes(b).replace(b"\r\n", rng.choice([b"\n", b"\r", b"\r\r\n"])))
        elif op == 7:  # duplicate a slice
            end = min(len(b), pos + rng.randint(1, 400))
            b[pos:pos] = b[pos:end]
        else:  # drop a header line
            s = bytes(b).split(b"\r\n")
            if len(s) > 2:
                del s[rng.randrange(len(s))]
            b = bytearray(b"\r\n".join(s))
    return bytes(b)


def _nested(depth: int, inner: bytes) -> bytes:
    out = inner
    for k in range(depth):
        out = (
            f'Content-Type: multipart/mixed; boundary="b{k}"\r\n\r\n--b{k}\r\n'.encode()
            + out
            + f"\r\n--b{k}--\r\n".encode()
        )
    return b"From: a@b.jp\r\nSubject: nest\r\n" + out


def _horrors(rng: random.Random) -> list[bytes]:
    return [
        b"",
        b"\x00" * 100,
        bytes(rng.randrange(256) for _ in range(2000)),
        b"From: \r\n\r\n",
        b'From: <>\r\nTo: ,,,,\r\nCc: "unterminated\r\n\r\nbody',
        b"From: a@b.jp\r\nContent-Type: multipart/mixed\r\n\r\nno boundary",
        b'From: a@b.jp\r\nContent-Type: multipart/alternative; boundary=""\r\n\r\n--\r\n--\r\n',
        b"From: a@b.jp\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b"@@@@" * 100,
        b"From: a@b.jp\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E3=8=\r\n=",
        b'From: a@b.jp\r\nContent-Type: text/plain; charset="\xff\xfe"\r\n\r\n\xe3\x81\x82',
        b"From: a@b.jp\r\nContent-Type: text/html\r\n\r\n<div><blockquote><blockquote>" * 200,
        b"From: a@b.jp\r\nSubject: =?iso-2022-jp?B?GyRC?= =?utf-8?Q?=FF?= =?x?B?****?=\r\n\r\nx",
        b"From: a@b.jp\r\nContent-Disposition: attachment; filename*0*=utf-8''%E5; filename*1=%ZZ\r\n\r\nx",
        b"From: a@b.jp\r\nContent-Type: message/rfc822\r\n\r\nFrom: x\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q",
        b"From: a@b.jp\r\nDate: Mon, 99 Foo 99999 99:99:99 +9999\r\nMessage-ID: <\r\n\r\nx",
        b"From: a@b.jp\r\n" + b"X-H: " + b"a" * 100000 + b"\r\n\r\nx",
        _nested(60, b"Content-Type: text/plain\r\n\r\ndeep"),
        _nested(300, b"Content-Type: text/plain\r\n\r\ndeeper"),
        b"From: a@b.jp\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=r\r\n\r\n--r\r\n",
    ]


def _assert_sane(inc: Incoming) -> None:
    assert isinstance(inc, Incoming)
    assert inc.kind in set(Kind)
    assert isinstance(inc.text, str) and isinstance(inc.subject, str)
    assert inc.message_id.startswith("<") and inc.message_id.endswith(">")
    assert all(isinstance(p, str) for p in inc.problems)
    if "\ufffd" in inc.text:
        assert inc.problems, "a replacement character always comes with a problem"


def test_fuzz_corpus_mutations_and_horrors() -> None:
    rng = random.Random(20261123)
    kinds: dict[Kind, int] = {}
    cases = _horrors(rng)
    while len(cases) < N:
        if rng.random() < 0.1:
            cases.append(bytes(rng.randrange(256) for _ in range(rng.randint(0, 600))))
        else:
            cases.append(_mutate(rng, rng.choice(SEEDS)))
    for k, raw in enumerate(cases):
        inc = read_message(raw, ["sns-check@town.example.jp"])
        _assert_sane(inc)
        kinds[inc.kind] = kinds.get(inc.kind, 0) + 1
        if k % 10 == 0:  # the reply reader must survive whatever text came out
            assert read_reply(inc.text).decision is not None
    assert len(cases) >= N
    assert kinds.get(Kind.REPLY, 0) > 0 and kinds.get(Kind.OTHER, 0) > 0


@pytest.mark.parametrize("depth", [1, 39, 41, 500])
def test_deep_nesting_is_refused_with_a_reason(depth: int) -> None:
    inc = read_message(_nested(depth, b"Content-Type: text/plain\r\n\r\nleaf"))
    _assert_sane(inc)
    assert (inc.refused == "mime-too-complex") == (depth > 40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=800))
def test_fuzz_random_bytes(raw: bytes) -> None:
    _assert_sane(read_message(raw))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "From",
                    "To",
                    "Cc",
                    "Subject",
                    "Content-Type",
                    "Content-Transfer-Encoding",
                    "Auto-Submitted",
                    "Precedence",
                    "References",
                    "In-Reply-To",
                    "Message-ID",
                    "Content-Disposition",
                    "Date",
                ]
            ),
            st.binary(max_size=60),
        ),
        max_size=8,
    ),
    body=st.binary(max_size=300),
)
def test_fuzz_header_soup(headers: list[tuple[str, bytes]], body: bytes) -> None:
    raw = b"".join(k.encode() + b": " + v.replace(b"\n", b" ") + b"\r\n" for k, v in headers)
    _assert_sane(read_message(raw + b"\r\n" + body))
