"""Credential states, lifecycle actions and reasons in words, in Chinese and English.

The register stores codes (``revoked``, ``credential.reissue``, ``exam_misconduct``); the
console shows them as a registrar reads them, with the verify page's words for the reasons
(verifier/web/page.py) so a holder and a registrar read the same. A code without words here
is shown as itself, so a new one is never hidden.
"""

from __future__ import annotations

from typing import Final

from issuer.vocabulary import AuditAction
from issuer.web.console import words as page_words
from issuer.web.console.actions import Words, words
from verifier.web.page import REASONS

# The credential page's state words (the verify page's verdicts), as (zh, en) pairs.
STATES: Final[dict[str, Words]] = {
    code: (shown.zh, shown.en) for code, shown in page_words.STATES.items()
}

LIFECYCLE: Final[dict[str, Words]] = {
    AuditAction.CREDENTIAL_ISSUE: ("签发", "Issued"),
    AuditAction.CREDENTIAL_REVOKE: ("撤销", "Revoked"),
    AuditAction.CREDENTIAL_SUSPEND: ("暂停", "Suspended"),
    AuditAction.CREDENTIAL_REINSTATE: ("恢复", "Reinstated"),
    AuditAction.CREDENTIAL_REISSUE: ("重新签发", "Reissued"),
    AuditAction.CREDENTIAL_BATCH_REVOKE: ("按考试场次批量撤销", "Exam session revoked"),
}


def state_words(code: str) -> Words:
    return words(STATES, code)


def action_words(code: str) -> Words:
    return words(LIFECYCLE, code)


def reason_words(code: str | None) -> Words:
    return words(REASONS, code)
