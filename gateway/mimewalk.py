"""A parsed message's structure -> body texts (with their other readings) and attachments.

Chooses text/plain over HTML in alternatives but keeps the other readings (a reviewer's
decision must be the same in every one), keeps only the human part of a report, and stops
at a nesting and part budget so a MIME bomb is refused rather than walked.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable
from typing import Protocol

from gateway.charsets import canonical_charset, decode_bytes
from gateway.htmltext import render_html
from gateway.mimeparts import (
    content_type,
    disposition,
    filename,
    param,
    payload_bytes,
    payload_to,
    unflow,
)
from gateway.model import Attachment, StoredFile
from gateway.rawruns import BlobWriter, Runs


class BlobFile(BlobWriter, Protocol):
    """A file an attachment is decoded into: `close` makes it durable and names it."""

    def close(self) -> StoredFile: ...

    def discard(self) -> None: ...

MAX_DEPTH = 40  # MIME nesting deeper than this is not walked (a bomb, not mail)
MAX_PARTS = 500


class BodyText(str):
    """A body text that carries its other readings (`variants`): the other parts of a
    multipart/alternative, and the certainly-visible reading of HTML when some of it may
    be hidden. A reviewer's decision must be the same in every reading (issue 10)."""

    variants: tuple[str, ...] = ()
    hides_all: bool = False  # HTML whose every piece of text is hidden: it shows nothing

    def __new__(
        cls, text: str, variants: tuple[str, ...] = (), hides_all: bool = False
    ) -> BodyText:
        obj = super().__new__(cls, text)
        obj.variants = tuple(v for v in dict.fromkeys(variants) if v != text)
        obj.hides_all = hides_all
        return obj


def body_variants(texts: list[tuple[str, str | None]]) -> tuple[str, ...]:
    """Whole-body alternatives: the body with one part read another way."""
    out: list[str] = []
    plain = [t for t, _ in texts if t is not None]
    for i, t in enumerate(plain):
        for variant in getattr(t, "variants", ()):
            out.append("\n".join([*plain[:i], variant, *plain[i + 1 :]]))
    return tuple(dict.fromkeys(out))


class Walk:
    """Collects body text and attachments from a parsed message, iteratively."""

    def __init__(
        self,
        problems: list[str],
        runs: Runs | None = None,
        blobs: Callable[[], BlobFile] | None = None,
        *,
        collect: bool = True,
    ) -> None:
        self.problems = problems
        self.runs = runs  # a message read from a file: its long runs are still there
        self.blobs = blobs  # where attachments are decoded to (else they are bytes)
        self.collect = collect  # False: the other alternatives, read for their text only
        self.texts: list[tuple[str, str | None]] = []  # (text, charset)
        self.attachments: list[Attachment] = []
        self.parts_seen = 0
        self.is_report = False
        self.report_type = ""
        self.too_complex = False

    def leaf_text(self, part: email.message.Message) -> tuple[str, str | None]:
        data = payload_bytes(part, self.problems, self.runs)
        label = param(part, "charset")
        label_s = label if isinstance(label, str) else None
        text, used, probs = decode_bytes(data, label_s)
        for p in probs:
            self.problems.append(f"body: {p}")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if content_type(part) == "text/html":
            reading = render_html(text)
            self.problems.extend(f"html: {note}" for note in reading.notes)
            text = BodyText(
                reading.text, (reading.seen,), hides_all=reading.hidden_text and not reading.text
            )
        elif str(param(part, "format") or "").lower() == "flowed":
            delsp = str(param(part, "delsp") or "").lower() == "yes"
            text = unflow(text, delsp)
        return text, (label_s.lower() if label_s and canonical_charset(label_s) else used)

    def is_attachment(self, part: email.message.Message) -> bool:
        ct = content_type(part)
        disp = disposition(part)
        if disp == "attachment":
            return True
        if ct.startswith(("text/plain", "text/html")):
            return bool(param(part, "filename", "content-disposition")) and disp != "inline"
        return not ct.startswith(("text/", "multipart/", "message/delivery-status"))

    def add_attachment(self, part: email.message.Message) -> None:
        if not self.collect:
            return
        name = filename(part, self.problems)
        ct = content_type(part)
        data = b""
        stored: StoredFile | None = None
        if ct.startswith("message/"):
            try:
                data = part.as_bytes() if not part.is_multipart() else b""
                inner = part.get_payload()
                if isinstance(inner, list) and inner:
                    data = inner[0].as_bytes()
            except Exception:
                data = b""
            if self.runs is not None and self.blobs is None:
                data = self.runs.expand(data)
        elif self.blobs is None:
            data = payload_bytes(part, self.problems, self.runs)
        if self.blobs is not None:
            blob = self.blobs()
            try:
                if ct.startswith("message/"):  # a forwarded mail: its photos in pieces
                    for piece in self.runs.segments(data) if self.runs else (data,):
                        blob.write(piece)
                else:
                    payload_to(part, self.problems, self.runs, blob)
                stored = blob.close()
            except BaseException:
                blob.discard()
                raise
            data = b""
        if not name:
            ext = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif"}.get(ct, "")
            if ct == "message/rfc822":
                ext = ".eml"
            name = f"part-{len(self.attachments) + 1}{ext or '.bin'}"
        self.attachments.append(
            Attachment(filename=name, content_type=ct, data=data, stored=stored)
        )

    def body_of(self, part: email.message.Message, depth: int) -> list[tuple[str, str | None]]:
        """Texts of this part, choosing text/plain over text/html in alternatives."""
        self.parts_seen += 1
        if depth > MAX_DEPTH or self.parts_seen > MAX_PARTS:
            self.too_complex = True
            if depth > MAX_DEPTH:
                self.problems.append("MIME nesting too deep; inner parts ignored")
            return []
        ct = content_type(part)
        if part.is_multipart():
            try:
                children = [c for c in part.get_payload() if isinstance(c, email.message.Message)]
            except Exception:
                children = []
            if ct == "multipart/report":
                self.is_report = True
                rt = param(part, "report-type")
                self.report_type = str(rt).lower() if isinstance(rt, str) else ""
            if ct == "multipart/alternative":
                return self._alternative(children, depth)
            texts: list[tuple[str, str | None]] = []
            for child in children:
                texts.extend(self.body_of(child, depth + 1))
                if ct == "multipart/report":
                    # the human-readable part only; the rest is machine data / the original
                    for rest in children[1:]:
                        if self.is_attachment(rest) and not content_type(rest).startswith(
                            "message/"
                        ):
                            self.add_attachment(rest)
                    break
            return texts
        if ct.startswith("message/") and ct != "message/delivery-status":
            if disposition(part) == "attachment" or ct == "message/rfc822":
                self.add_attachment(part)
            return []
        if self.is_attachment(part):
            self.add_attachment(part)
            return []
        if ct in ("text/plain", "text/html") or ct.startswith("text/"):
            if ct not in ("text/plain", "text/html", "text/enriched"):
                return []
            return [self.leaf_text(part)]
        return []

    def _alternative(
        self, children: list[email.message.Message], depth: int
    ) -> list[tuple[str, str | None]]:
        chosen = self._chosen_alternative(children, depth)
        if chosen is None:
            return []
        child, texts = chosen
        # The other alternatives, read without collecting their attachments a second time.
        others: list[str] = []
        for other in children:
            if other is child:
                continue
            side = Walk([], self.runs, collect=False)
            side.parts_seen = self.parts_seen  # one budget of parts for the whole message
            other_texts = side.body_of(other, depth + 1)
            self.parts_seen = side.parts_seen
            self.too_complex = self.too_complex or side.too_complex
            if any(t.strip() for t, _ in other_texts):
                others.append("\n".join(t for t, _ in other_texts))
                others.extend(body_variants(other_texts))
            elif any(getattr(t, "hides_all", False) for t, _ in other_texts):
                others.append("")  # an HTML view that hides all its text shows no decision
        joined = "\n".join(t for t, _ in texts)
        variants = (*body_variants(texts), *others)
        return [(BodyText(joined, variants), texts[0][1])]

    def _chosen_alternative(
        self, children: list[email.message.Message], depth: int
    ) -> tuple[email.message.Message, list[tuple[str, str | None]]] | None:
        """text/plain when it has text, else the richest (last) other alternative."""
        plain = [c for c in children if content_type(c) == "text/plain"]
        for c in plain:
            texts = self.body_of(c, depth + 1)
            if any(t.strip() for t, _ in texts):
                return c, texts
        for child in reversed(children):  # the richest alternative comes last
            if content_type(child) == "text/plain":
                continue
            texts = self.body_of(child, depth + 1)
            if any(t.strip() for t, _ in texts):
                return child, texts
        return None

