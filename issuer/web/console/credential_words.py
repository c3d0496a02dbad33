"""Credential states, lifecycle actions and reasons in words, in Chinese and English.

The register stores codes (``revoked``, ``credential.reissue``, ``exam_misconduct``); the
console shows them as a registrar reads them, with the verify page's words for the reasons
(verifier/web/page.py) so a holder and a registrar read the same. A code without words here
is shown as itself, so a new one is never hidden.
"""

from __future__ import annotations

from typing import Final

from issuer.vocabulary import AuditAction, CredentialState
from verifier.web.page import REASONS

Words = tuple[str, str]

STATES: Final[dict[str, Words]] = {
    CredentialState.ACTIVE: ("有效", "Active"),
    CredentialState.REVOKED: ("已撤销", "Revoked"),
    CredentialState.SUSPENDED: ("已暂停", "Suspended"),
    CredentialState.SUPERSEDED: ("已被取代", "Superseded"),
}

LIFECYCLE: Final[dict[str, Words]] = {
    AuditAction.CREDENTIAL_ISSUE: ("签发", "Issued"),
    AuditAction.CREDENTIAL_REVOKE: ("撤销", "Revoked"),
    AuditAction.CREDENTIAL_SUSPEND: ("暂停", "Suspended"),
    AuditAction.CREDENTIAL_REINSTATE: ("恢复", "Reinstated"),
    AuditAction.CREDENTIAL_REISSUE: ("重新签发", "Reissued"),
    AuditAction.CREDENTIAL_BATCH_REVOKE: ("按考试场次批量撤销", "Exam session revoked"),
}


def words(table: dict[str, Words], code: str | None) -> Words:
    """``code`` in words, or the code itself (twice) when the table has none."""
    if code is None:
        return ("—", "—")
    return table.get(code, (code, code))


def state_words(code: str) -> Words:
    return words(STATES, code)


def action_words(code: str) -> Words:
    return words(LIFECYCLE, code)


def reason_words(code: str | None) -> Words:
    return words(REASONS, code)
