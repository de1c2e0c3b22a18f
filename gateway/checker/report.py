"""How `gateway check` prints findings: like a compiler (text) or as the contract's JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from gateway.model import Finding, Severity


def format_text(findings: Sequence[Finding], filename: str) -> str:
    """One line per finding, `FILE:LINE:COL: severity [clause] message (rule: excerpt)`.

    Editors and CI parse this shape already. Empty string when nothing was found.
    """
    lines = []
    for f in findings:
        clause = f"[{f.clause}] " if f.clause else ""
        more = ""
        if f.omitted:  # the rule's list was cut here (checker.listing)
            at_least = "以上" if f.omitted_at_least else ""
            more = f" 同じ規則に当たるところがほかに {f.omitted:,} か所{at_least}あります（一覧は省略）。"
        lines.append(
            f"{filename}:{f.line}:{f.column}: {f.severity} {clause}{f.message} "
            f"({f.rule}: 「{f.excerpt}」){more}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def format_json(findings: Sequence[Finding]) -> str:
    """The contract's `{"findings": [...]}` object, UTF-8 characters kept readable."""
    return json.dumps({"findings": [f.as_json() for f in findings]}, ensure_ascii=False, indent=2)


def exit_code(findings: Sequence[Finding]) -> int:
    """1 when any finding is an error (the daemon would return the draft), else 0."""
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0
