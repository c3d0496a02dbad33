"""Error codes to RFC 9457 problem details, with the W3C type URLs where they fit.

VCDM 2.0 §7.2 types: ``https://www.w3.org/TR/vc-data-model#`` + PARSING_ERROR,
CRYPTOGRAPHIC_SECURITY_ERROR, MALFORMED_VALUE_ERROR, RANGE_ERROR. Bitstring Status List §3.5:
``https://www.w3.org/ns/credentials/status-list#`` + STATUS_RETRIEVAL_ERROR,
STATUS_VERIFICATION_ERROR, STATUS_LIST_LENGTH_ERROR. Every ``CredentialErrorCode`` is in
docs/errors.md; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from verifier.errors import CredentialErrorCode
from verifier.i18n import Lang, text
from verifier.result import CheckCode, Problem

VCDM: Final = "https://www.w3.org/TR/vc-data-model#"
BSL: Final = "https://www.w3.org/ns/credentials/status-list#"
PARSING_ERROR: Final = VCDM + "PARSING_ERROR"
CRYPTOGRAPHIC_SECURITY_ERROR: Final = VCDM + "CRYPTOGRAPHIC_SECURITY_ERROR"
MALFORMED_VALUE_ERROR: Final = VCDM + "MALFORMED_VALUE_ERROR"
RANGE_ERROR: Final = VCDM + "RANGE_ERROR"
STATUS_RETRIEVAL_ERROR: Final = BSL + "STATUS_RETRIEVAL_ERROR"
STATUS_VERIFICATION_ERROR: Final = BSL + "STATUS_VERIFICATION_ERROR"
STATUS_LIST_LENGTH_ERROR: Final = BSL + "STATUS_LIST_LENGTH_ERROR"


@dataclass(frozen=True)
class ProblemKind:
    """How one error code is reported: its problem type, and its title (``problem.<code>`` in
    the catalogues: English for the API's ``title``, both languages on the pages)."""

    type: str
    code: str

    @property
    def key(self) -> str:
        return f"problem.{self.code}"

    @property
    def title(self) -> str:
        return text(self.key, Lang.EN)

    @property
    def title_zh(self) -> str:
        return text(self.key, Lang.ZH)


_TYPES: Final = {
    CredentialErrorCode.UNTRUSTED_VERIFY_URL: PARSING_ERROR,
    CredentialErrorCode.CREDENTIAL_NOT_FOUND: PARSING_ERROR,
    CredentialErrorCode.CREDENTIAL_STORE_UNAVAILABLE: PARSING_ERROR,
    CredentialErrorCode.INVALID_PACKED_CREDENTIAL: PARSING_ERROR,
    CredentialErrorCode.TOKEN_TOO_LARGE: PARSING_ERROR,
    CredentialErrorCode.MALFORMED_TOKEN: PARSING_ERROR,
    CredentialErrorCode.INVALID_BASE64URL: PARSING_ERROR,
    CredentialErrorCode.INVALID_JSON: PARSING_ERROR,
    CredentialErrorCode.DUPLICATE_JSON_KEY: PARSING_ERROR,
    CredentialErrorCode.JSON_TOO_DEEP: PARSING_ERROR,
    CredentialErrorCode.ENCRYPTED_TOKEN_UNSUPPORTED: PARSING_ERROR,
    CredentialErrorCode.JSON_SERIALIZATION_UNSUPPORTED: PARSING_ERROR,
    CredentialErrorCode.SD_JWT_UNSUPPORTED: PARSING_ERROR,
    CredentialErrorCode.UNSUPPORTED_ALGORITHM: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.UNSUPPORTED_CRITICAL_HEADER: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.FORBIDDEN_HEADER_PARAMETER: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.WRONG_TYP: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.UNSUPPORTED_TOKEN_TYPE: PARSING_ERROR,
    CredentialErrorCode.MISSING_KID: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.INVALID_KID: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.INVALID_HEADER: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.MISSING_ISSUER: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.UNTRUSTED_ISSUER: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.ISSUER_MISMATCH: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.KEY_NOT_FOUND: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.KEY_COMPROMISED: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.KEY_SOURCE_UNAVAILABLE: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.KEY_SOURCE_STALE: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.ALGORITHM_NOT_BOUND_TO_KEY: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.HEADER_JWK_MISMATCH: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.BAD_SIGNATURE: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.MALFORMED_SIGNATURE: PARSING_ERROR,
    CredentialErrorCode.MISSING_PROPERTY: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.INVALID_PROPERTY: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.CLAIM_MISMATCH: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.VC_VP_CLAIM_PRESENT: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.UNSUPPORTED_LEGACY_CREDENTIAL: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.STATUS_LIST_AS_CREDENTIAL: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.EXPIRED: RANGE_ERROR,
    CredentialErrorCode.NOT_YET_VALID: RANGE_ERROR,
    CredentialErrorCode.STATUS_RETRIEVAL_ERROR: STATUS_RETRIEVAL_ERROR,
    CredentialErrorCode.STATUS_VERIFICATION_ERROR: STATUS_VERIFICATION_ERROR,
    CredentialErrorCode.STATUS_LIST_LENGTH_ERROR: STATUS_LIST_LENGTH_ERROR,
    CredentialErrorCode.STATUS_INDEX_OUT_OF_RANGE: RANGE_ERROR,
    CredentialErrorCode.MALFORMED_STATUS_ENTRY: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.MALFORMED_STATUS_LIST: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.STATUS_ERROR: STATUS_VERIFICATION_ERROR,
    CredentialErrorCode.MALFORMED: MALFORMED_VALUE_ERROR,
    CredentialErrorCode.CREDENTIAL_ERROR: CRYPTOGRAPHIC_SECURITY_ERROR,
    CredentialErrorCode.INTERNAL_ERROR: CRYPTOGRAPHIC_SECURITY_ERROR,
}

PROBLEM_KINDS: Final[dict[str, ProblemKind]] = {
    code: ProblemKind(problem_type, code.value) for code, problem_type in _TYPES.items()
}


_DEFAULT_BY_CHECK: Final = {
    CheckCode.LOCATE: PARSING_ERROR,
    CheckCode.PARSE: PARSING_ERROR,
    CheckCode.CREDENTIAL: MALFORMED_VALUE_ERROR,
    CheckCode.VALIDITY: RANGE_ERROR,
    CheckCode.STATUS: STATUS_VERIFICATION_ERROR,
}


def problem_kind(code: str, check: CheckCode) -> ProblemKind:
    """The kind for ``code``; an unlisted code falls back on its check's type."""
    kind = PROBLEM_KINDS.get(code)
    if kind is not None:
        return kind
    return ProblemKind(
        _DEFAULT_BY_CHECK.get(check, CRYPTOGRAPHIC_SECURITY_ERROR),
        CredentialErrorCode.CREDENTIAL_ERROR.value,
    )


def make_problem(code: str, check: CheckCode, detail: str) -> Problem:
    """An RFC 9457 problem for a failed check."""
    kind = problem_kind(code, check)
    return Problem(type=kind.type, title=kind.title, detail=detail, code=code, check=check)
