"""What a verdict, a reason, a date and each check are called: one table, read from the catalogues.

The verify page, the phone's page (through ``verify/page.json``), the batch page and report,
the holder's share page, the console and ``tessera verify`` all take their words from here, so
an employer and a registrar read ``已撤销 Revoked`` for the same thing everywhere. The words
themselves are in the message catalogues (verifier/i18n.py) under ``verdict.*``, ``reason.*``,
``date.*``, ``unavailable.*`` and ``check.*``; the Python structures keep the shape their
callers read (``VERDICTS[status].zh``, ``REASONS[code] == (zh, en)``), and
``tests/verifier/test_catalogues.py`` checks that every member of each enum has its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from verifier.i18n import Lang, Words, both, say
from verifier.result import Check, CheckCode, CredentialStatus, ReasonCode


@dataclass(frozen=True)
class Verdict(Words):
    """How one status is shown: its words (``verdict.<status>``), a symbol, a CSS tone."""

    symbol: str
    tone: str


VERDICTS: Final = {
    status: Verdict(f"verdict.{status.value}", symbol, tone)
    for status, symbol, tone in (
        (CredentialStatus.VALID, "✔", "good"),
        (CredentialStatus.REVOKED, "✖", "bad"),
        (CredentialStatus.SUSPENDED, "⏸", "warn"),
        (CredentialStatus.EXPIRED, "⌛", "warn"),
        (CredentialStatus.NOT_YET_VALID, "⏳", "warn"),
        (CredentialStatus.SUPERSEDED, "↻", "warn"),
        (CredentialStatus.INVALID, "✖", "bad"),
        (CredentialStatus.UNTRUSTED_ISSUER, "⚠", "warn"),
        (CredentialStatus.UNAVAILABLE, "⟳", "warn"),
        (CredentialStatus.UNREADABLE, "?", "warn"),
        (CredentialStatus.NOT_FOUND, "?", "warn"),
    )
}

REASONS: Final[dict[str, tuple[str, str]]] = {
    code: both(f"reason.{code.value}") for code in ReasonCode
}
"""The reason categories of SPEC §5 (revoke/suspend bodies), as ``(Chinese, English)``."""

DATE_LABELS: Final[dict[CredentialStatus, tuple[str, str]]] = {
    status: both(f"date.{status.value}")
    for status in (
        CredentialStatus.REVOKED,
        CredentialStatus.SUSPENDED,
        CredentialStatus.SUPERSEDED,
        CredentialStatus.EXPIRED,
        CredentialStatus.NOT_YET_VALID,
    )
}
"""The date each genuine-but-not-in-force verdict carries, as ``(Chinese, English)``."""

CHANGED_ON: Final = frozenset(
    {CredentialStatus.REVOKED, CredentialStatus.SUSPENDED, CredentialStatus.SUPERSEDED}
)

UNAVAILABLE_WHAT: Final[dict[CheckCode, tuple[str, str]]] = {
    check: both(f"unavailable.{check.value}")
    for check in (CheckCode.LOCATE, CheckCode.KEY, CheckCode.STATUS, CheckCode.PARSE)
}
"""What an ``unavailable`` verdict could not check, by the check that could not be made."""


def say_reason(code: str, lang: Lang) -> str:
    """A reason code in plain words; a code this version does not know, as it is."""
    if code in set(ReasonCode):
        return say(f"reason.{code}", lang)
    return code


def check_key(check: Check) -> str:
    """The catalogue key of one check's outcome in plain words: ``check.signature.passed``."""
    outcome = "skipped" if check.skipped else "passed" if check.passed else "failed"
    return f"check.{check.code.value}.{outcome}"


CHECK_OUTCOMES: Final = ("passed", "failed", "skipped")
"""Every check has its words for each outcome (``check.<code>.<outcome>``)."""
