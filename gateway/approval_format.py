"""The approval record's format and the names of the files an approved mail carries.

Format 2 signs, besides the draft, version, account, author and approvals:
`text_sha256` (SHA-256 of `post.txt`, the exact UTF-8 text to post) and `attachments`
(every file the approved version carried, by the name the approved mail gives it, with
its SHA-256, size and type). The body shows the post between the marker lines in the
form `gateway.display.visible_post` gives. Format 1 records (before 2026-11) have no
`attachments`: they prove the text only, never a photo.

Format 3 (current) adds `body`: the whole readable body of the approved mail as the
gateway wrote it. Format 2 signed the facts the body states (account, approvers, draft,
version) but not the body's other lines, so a line added to a genuine confirmation (a
changed 投稿予定, 「※公開は延期」) still verified. The body is rendered from the office's
own templates, so no fixed list of lines could tell ours from added ones: the signature
covers the text itself.

Pure data and names, no I/O, so the workflow (which builds records) and the verifier
(which reads them) agree on one definition.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any

RECORD_TYPE = "town-sns-gateway/approval"
RECORD_FORMAT = 3
KNOWN_FORMATS = (1, 2, 3)
BODY_FORMAT = 3  # the first format whose record signs the whole body (`body`)

RECORD_FILENAME = "approval-record.json"
SIGNATURE_FILENAME = "approval-record.sig"
POST_FILENAME = "post.txt"
RESERVED_NAMES = frozenset({RECORD_FILENAME, SIGNATURE_FILENAME, POST_FILENAME})
RENAMED_PREFIX = "添付-"



def name_key(filename: str) -> str:
    """How names are compared when looking for our own files: case and width ignored,
    so `Post.txt` or `ｐｏｓｔ.txt` next to `post.txt` is a second post text."""
    return unicodedata.normalize("NFKC", filename).strip().casefold()


RESERVED_KEYS = frozenset(name_key(n) for n in RESERVED_NAMES)


def carried_name(filename: str) -> str:
    """The name an author's file gets in our mails: unchanged, unless it would pass for one
    of our own files (an author attaching their draft as `post.txt`)."""
    if name_key(filename) in RESERVED_KEYS:
        return RENAMED_PREFIX + filename
    return filename


def attachment_entries(refs: Iterable[Any]) -> list[dict[str, Any]]:
    """Signed facts of the version's files (AttachmentRef-like: filename, content_type,
    sha256, size), by the name the approved mail carries them under."""
    return [
        {
            "filename": carried_name(a.filename),
            "content_type": a.content_type,
            "sha256": a.sha256,
            "size": a.size,
        }
        for a in refs
    ]
