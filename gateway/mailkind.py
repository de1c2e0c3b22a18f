"""What a read message is: the gateway's own mail, automatic mail, a reply or a draft."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gateway.automail import recognise
from gateway.commands import absence_subject
from gateway.model import Kind


def _base_address(addr: str) -> str:
    """`sns-check+D-000042...@town` -> `sns-check@town`: our plus-addresses are us too."""
    local, _, domain = addr.strip().lower().partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def header_values(msg_headers: list[tuple[str, str]], name: str) -> list[str]:
    lname = name.lower()
    return [v for k, v in msg_headers if k.lower() == lname]


def classify(
    headers: list[tuple[str, str]],
    from_addr: str,
    subject: str,
    text: str,
    attachment_names: Sequence[str],
    tokens: list[str],
    is_report: bool,
    report_type: str,
    gateway_addresses: Iterable[str],
    refused: bool = False,
) -> tuple[Kind, str | None]:
    """Decide the kind: our own mail, automatic mail (`automail.recognise` weighs the
    signs), a reply carrying a token, or a draft when there is any content.

    Returns the kind and the reason for anything but a person's reply or draft (for
    `problems`).
    """
    attachments = len(attachment_names)
    own = {_base_address(a) for a in gateway_addresses if a and a.strip()}
    if header_values(headers, "X-Gateway-Status"):
        return Kind.OTHER, "message carries X-Gateway-Status (the gateway's own mail)"
    if from_addr and _base_address(from_addr) in own:
        return Kind.OTHER, "message is from the gateway's own address (loop)"
    automatic = recognise(
        headers, from_addr, subject, text, attachment_names, report_type if is_report else None
    )
    if automatic.kind is not None:
        return automatic.kind, automatic.reason
    if not from_addr:
        return Kind.OTHER, "no usable From address"
    if tokens:
        return Kind.REPLY, None
    if text.strip() or attachments or refused or absence_subject(subject):
        return Kind.DRAFT, None  # (an absence command in the subject: for the staff desk)
    return Kind.OTHER, "no text and no attachments"

