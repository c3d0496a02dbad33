"""Credential states, lifecycle actions and reasons in words, in Chinese and English.

The register stores codes (``revoked``, ``credential.reissue``, ``exam_misconduct``); the
console shows them as a registrar reads them, with the verify page's words for the reasons
(verifier/web/page.py) so a holder and a registrar read the same, and the audit log's words
for lifecycle actions (``actions.AUDIT_ACTIONS``) so the dashboard, a credential's timeline
and the audit log name an action alike. A code without words here is shown as itself, so a
new one is never hidden.
"""

from __future__ import annotations

from typing import Final

from issuer.credentials.activity import LIFECYCLE_ACTIONS
from issuer.web.console import words as page_words
from issuer.web.console.actions import AUDIT_ACTIONS, Words, words
from verifier.web.page import REASONS

# The credential page's state words (the verify page's verdicts), as (zh, en) pairs.
STATES: Final[dict[str, Words]] = {
    code: (shown.zh, shown.en) for code, shown in page_words.STATES.items()
}

LIFECYCLE: Final[dict[str, Words]] = {code: AUDIT_ACTIONS[code] for code in LIFECYCLE_ACTIONS}


def state_words(code: str) -> Words:
    return words(STATES, code)


def action_words(code: str) -> Words:
    return words(LIFECYCLE, code)


def reason_words(code: str | None) -> Words:
    return words(REASONS, code)
