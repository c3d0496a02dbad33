"""What the console shows for stored codes: states, reasons and audit actions in words.

States and reasons are the verify page's own words (``verifier.web.page.VERDICTS`` and
``REASONS``), so a registrar reads on the console what an employer reads when verifying.
Events are the audit log's words (``actions.AUDIT_ACTIONS``, ``event.*`` in the message
catalogues): one wording for an action wherever the console shows it. A code without words
here is shown as it is stored, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from issuer.vocabulary import CredentialState, ReasonCode
from issuer.web.console.actions import AUDIT_ACTIONS
from verifier.i18n import both
from verifier.result import CredentialStatus
from verifier.web.page import REASONS, VERDICTS


@dataclass(frozen=True)
class Words:
    """A code in Chinese and English, and the tone it is shown in (good, warn, bad)."""

    zh: str
    en: str
    tone: str = ""


def _verdict(status: CredentialStatus) -> Words:
    verdict = VERDICTS[status]
    return Words(verdict.zh, verdict.en, verdict.tone)


STATES: Final[dict[str, Words]] = {
    CredentialState.ACTIVE: Words(*both("console.state.active"), "good"),
    CredentialState.REVOKED: _verdict(CredentialStatus.REVOKED),
    CredentialState.SUSPENDED: _verdict(CredentialStatus.SUSPENDED),
    CredentialState.SUPERSEDED: _verdict(CredentialStatus.SUPERSEDED),
}

REASON_CODES: Final = tuple(ReasonCode)
"""The reasons a registrar may give, in the order the forms offer them."""

EVENTS: Final[dict[str, Words]] = {code: Words(zh, en) for code, (zh, en) in AUDIT_ACTIONS.items()}


def state_words(state: str) -> Words:
    return STATES.get(state, Words(state, state))


def reason_words(reason: str | None) -> Words | None:
    if reason is None:
        return None
    zh, en = REASONS.get(reason, (reason, reason))
    return Words(zh, en)


def event_words(action: str) -> Words:
    return EVENTS.get(action, Words(action, action))


def actor_words(actor: str) -> str:
    """The audit log's actor as a person reads it: ``principal:7:李娜`` is 李娜; the
    operator's ``cli:root`` stays as it is."""
    prefix, _, rest = actor.partition(":")
    if prefix == "principal":
        _id, _, name = rest.partition(":")
        return name or actor
    return actor
