"""The verification result: what ``POST /api/v1/verify``, the page and the CLI report.

Field names are public API (SPEC §5, docs/verifier-api.md).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from verifier import labels


class CheckCode(StrEnum):
    """The checks, in the order they run."""

    LOCATE = "locate"
    PARSE = "parse"
    HEADER = "header"
    ISSUER_TRUSTED = "issuer_trusted"
    KEY = "key"
    SIGNATURE = "signature"
    CREDENTIAL = "credential"
    VALIDITY = "validity"
    STATUS = "status"


class CredentialStatus(StrEnum):
    """The one-word answer."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    SUPERSEDED = "superseded"
    INVALID = "invalid"
    UNTRUSTED_ISSUER = "untrusted_issuer"
    UNAVAILABLE = "unavailable"
    UNREADABLE = "unreadable"
    NOT_FOUND = "not_found"

    @property
    def in_force(self) -> bool:
        """Genuine and in force: the only status a person may rely on."""
        return self is CredentialStatus.VALID

    @property
    def genuine(self) -> bool:
        """The signature checked out (valid, or genuine but not in force)."""
        return self in _GENUINE


_GENUINE = frozenset(
    {
        CredentialStatus.VALID,
        CredentialStatus.REVOKED,
        CredentialStatus.SUSPENDED,
        CredentialStatus.EXPIRED,
        CredentialStatus.NOT_YET_VALID,
        CredentialStatus.SUPERSEDED,
    }
)


class ReasonCode(StrEnum):
    """Why an issuer revoked, suspended or replaced a credential (SPEC §5): the issuer's
    revoke/suspend/reissue requests take one, and the verify page and CLI show it."""

    ISSUED_IN_ERROR = "issued_in_error"
    EXAM_MISCONDUCT = "exam_misconduct"
    DATA_CORRECTION = "data_correction"
    SUPERSEDED = "superseded"
    WITHDRAWN_BY_AUTHORITY = "withdrawn_by_authority"
    HOLDER_REQUEST = "holder_request"


class Check(BaseModel):
    """One check: passed, failed (with ``error``), or ``skipped`` by the caller's choice."""

    model_config = ConfigDict(frozen=True)

    code: CheckCode
    passed: bool
    skipped: bool = False
    error: str | None = Field(default=None, description="Tessera error code when failed")
    detail: str | None = None


class Problem(BaseModel):
    """An RFC 9457 problem detail; ``detail`` never echoes token content."""

    model_config = ConfigDict(frozen=True)

    type: str
    title: str
    detail: str
    code: str = Field(description="Tessera error code (docs/errors.md)")
    check: CheckCode


class CredentialDisplay(BaseModel):
    """What a person is shown about a credential whose signature verified."""

    credential_id: str | None = None
    certificate_number: str | None = Field(
        default=None,
        description=f"The number printed on the certificate ({labels.CERTIFICATE_NUMBER.zh}), "
        "from the issuer's "
        "register: not signed into the credential",
    )
    credential_name: str | None = None
    credential_types: list[str] = Field(default_factory=list)
    issuer_id: str | None = None
    issuer_name: str | None = None
    holder_id: str | None = None
    holder_name: str | None = None
    employee_number: str | None = None
    achievement_id: str | None = None
    achievement_name: str | None = None
    achievement_code: str | None = None
    achievement_type: str | None = None
    achievement_description: str | None = None
    criteria_narrative: str | None = None
    criteria_url: str | None = None
    unit_id: str | None = None
    unit_name: str | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    awarded_date: str | None = None
    exam_date: str | None = None
    key_id: str | None = None


class StatusReport(BaseModel):
    """Detail behind a revoked/suspended/superseded status, when the issuer supplies it.

    ``reason`` is what the issuer says: normally a ``ReasonCode``, kept as text because
    another issuer may use categories of its own."""

    reason: str | None = None
    superseded_by: str | None = None
    changed_at: dt.datetime | None = Field(
        default=None,
        description="When the issuer revoked, suspended or replaced the credential (API 1.1)",
    )


class Unavailability(BaseModel):
    """What could not be checked, for an ``unavailable`` verdict: trying again may help."""

    model_config = ConfigDict(frozen=True)

    check: CheckCode = Field(
        description="The check that could not be made: locate (the credential store), key "
        "(the issuer's keys), status (a status list), or another on a fault of the verifier"
    )
    cached_at: dt.datetime | None = Field(
        default=None,
        description="When the cached copy that was too old to use was fetched; null when "
        "there was no usable cached copy",
    )
    cache_age_seconds: int | None = Field(
        default=None, description="How old that cached copy was at checked_at"
    )
    max_age_seconds: int | None = Field(
        default=None, description="The age limit the cached copy exceeded, when there is one"
    )


class VerificationResult(BaseModel):
    """The whole answer for one credential."""

    verified: bool
    status: CredentialStatus
    checks: list[Check]
    credential: CredentialDisplay | None = None
    status_detail: StatusReport | None = None
    status_list_fetched_at: dt.datetime | None = Field(
        default=None, description="When the oldest status list used was fetched from its issuer"
    )
    unavailable: Unavailability | None = Field(
        default=None,
        description="For status unavailable: what could not be checked and how old the "
        "cached data was (API 1.1)",
    )
    problems: list[Problem]
    checked_at: dt.datetime

    def failed_check(self) -> Check | None:
        """The first failed check, if any."""
        return next((c for c in self.checks if not c.passed and not c.skipped), None)
