"""Errors of the issuing side. Each carries a stable ``code`` (public API, docs/errors.md).

    IssuerError
    ├── ConfigurationError   settings, keys or database unusable at start-up
    ├── NotFoundError        a referenced record does not exist
    ├── InvalidInputError    a request is well-formed but its values are not acceptable
    ├── ConflictError        the request conflicts with what is stored
    │   └── AlreadyIssuedError  the exam already has its credential (which it names)
    ├── AuthenticationError  no valid token
    └── PermissionDeniedError the token's role or units do not allow this

Every code is a member of ``IssuerErrorCode``. Domain code raises these and knows nothing of
HTTP; the web layer maps the classes to RFC 9457 problem details and their HTTP statuses in one
place (``issuer/web/error_handlers.py``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class IssuerErrorCode(StrEnum):
    """Every problem ``code`` the issuing side answers with; the values are public API."""

    # the error classes' default codes
    ISSUER_ERROR = "issuer_error"
    CONFIGURATION_ERROR = "configuration_error"
    NOT_FOUND = "not_found"
    INVALID_INPUT = "invalid_input"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    # credentials: issuance, lifecycle, reissue, QR
    MISSING_HOLDER_NAME = "missing_holder_name"
    MISSING_EMPLOYEE_NUMBER = "missing_employee_number"
    INVALID_CHARACTERS = "invalid_characters"
    UNKNOWN_OCCUPATION = "unknown_occupation"
    UNKNOWN_LEVEL = "unknown_level"
    UNKNOWN_UNIT = "unknown_unit"
    LEVEL_NOT_OFFERED = "level_not_offered"
    INVALID_VALIDITY = "invalid_validity"
    HOLDER_NAME_MISMATCH = "holder_name_mismatch"
    CONFLICTS_WITH_OTHER_UNIT = "conflicts_with_other_unit"
    HOLDER_IN_OTHER_UNITS = "holder_in_other_units"
    ALREADY_ISSUED = "already_issued"
    CREDENTIAL_TOO_LARGE_FOR_QR = "credential_too_large_for_qr"
    UNKNOWN_REASON = "unknown_reason"
    ALREADY_REVOKED = "already_revoked"
    ALREADY_SUPERSEDED = "already_superseded"
    ALREADY_SUSPENDED = "already_suspended"
    NOT_SUSPENDED = "not_suspended"
    EMPTY_BATCH = "empty_batch"
    NOTHING_TO_CORRECT = "nothing_to_correct"
    INVALID_EMAIL = "invalid_email"
    INVALID_NATIONAL_ID = "invalid_national_id"
    EXAM_DATE_IN_FUTURE = "exam_date_in_future"
    NO_HOLDER_EMAIL = "no_holder_email"
    # the VC-API: credentials composed by the caller (decision 0055)
    INVALID_CREDENTIAL = "invalid_credential"
    ISSUER_NOT_THIS_ISSUER = "issuer_not_this_issuer"
    AMBIGUOUS_CREDENTIAL_ID = "ambiguous_credential_id"
    # repeat-safe requests: Idempotency-Key and one-time form tokens (decision 0035)
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency_key_in_flight"
    FORM_ALREADY_SUBMITTED = "form_already_submitted"
    INVALID_FORM_TOKEN = "invalid_form_token"  # noqa: S105 (a code, not a secret)
    # keys
    KEY_ACTIVE = "key_active"
    KEY_ALREADY_COMPROMISED = "key_already_compromised"
    KEY_NOT_COMPROMISED = "key_not_compromised"
    BAD_COMPROMISE_TIME = "bad_compromise_time"
    REISSUE_RUNNING = "reissue_running"
    REISSUE_NOT_RUNNING = "reissue_not_running"
    # tokens and maker-checker approvals
    BAD_ROLE = "bad_role"
    BAD_EXPIRY = "bad_expiry"
    UNITS_REQUIRED = "units_required"
    UNKNOWN_ACTION = "unknown_action"
    APPROVAL_DECIDED = "approval_decided"
    OWN_REQUEST = "own_request"
    # the audit log's signed checkpoints
    AUDIT_LOG_EMPTY = "audit_log_empty"
    AUDIT_CHAIN_BROKEN = "audit_chain_broken"
    INVALID_CHECKPOINT = "invalid_checkpoint"
    RIGHTS_EXCEEDED = "rights_exceeded"
    PRINCIPAL_DISABLED = "principal_disabled"
    BAD_KIND = "bad_kind"
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (a code, not a secret)
    EMAIL_TAKEN = "email_taken"
    SIGN_IN_FAILED = "sign_in_failed"
    CSRF_FAILED = "csrf_failed"
    WRONG_ONE_TIME_CODE = "wrong_one_time_code"
    TOTP_ALREADY_ENABLED = "totp_already_enabled"
    TOTP_NOT_ENABLED = "totp_not_enabled"
    SSO_FAILED = "sso_failed"
    SSO_NO_ACCOUNT = "sso_no_account"
    SSO_UNAVAILABLE = "sso_unavailable"
    # campaign imports and bundles
    EMPTY_FILE = "empty_file"
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMN = "duplicate_column"
    MALFORMED_FILE = "malformed_file"
    UNSAFE_XML = "unsafe_xml"
    FILE_TOO_LARGE = "file_too_large"
    TOO_MANY_COLUMNS = "too_many_columns"
    TOO_MANY_ROWS = "too_many_rows"
    MISSING_FILE = "missing_file"
    UNSUPPORTED_FILE = "unsupported_file"
    # a file that is not a results table, named for what it is (issuer/campaigns/file_kind.py)
    FILE_IS_PDF = "file_is_pdf"
    FILE_IS_IMAGE = "file_is_image"
    FILE_IS_WORD = "file_is_word"
    FILE_IS_ZIP = "file_is_zip"
    FILE_IS_HTML = "file_is_html"
    FILE_IS_BINARY = "file_is_binary"
    UTF16_TEXT = "utf16_text"
    SEMICOLON_SEPARATED = "semicolon_separated"
    UNREADABLE_XLS = "unreadable_xls"
    DRY_RUN_IMPORT = "dry_run_import"
    IMPORT_RUNNING = "import_running"
    BUNDLE_BUILDING = "bundle_building"
    BUNDLE_NOT_READY = "bundle_not_ready"
    BUNDLE_NOT_BUILDING = "bundle_not_building"
    IMPORT_FILE_GONE = "import_file_gone"
    BUNDLE_EXPIRED = "bundle_expired"
    # exports written by jobs (docs/decisions/0065-exports-as-jobs.md)
    EXPORT_NOT_READY = "export_not_ready"
    EXPORT_NOT_RUNNING = "export_not_running"
    EXPORT_EXPIRED = "export_expired"
    # organisation set-up: the catalog file and the issuer's profile
    INVALID_CATALOG = "invalid_catalog"
    INVALID_IMAGE = "invalid_image"
    INVALID_COLOUR = "invalid_colour"
    # holder share links
    CREDENTIAL_NOT_IN_FORCE = "credential_not_in_force"
    TOO_MANY_WALLET_OFFERS = "too_many_wallet_offers"
    # presentation requests (OpenID4VP): an employer asks a holder's wallet
    UNKNOWN_CLAIM = "unknown_claim"
    PRESENTATION_REQUEST_ANSWERED = "presentation_request_answered"
    PRESENTATION_REQUEST_EXPIRED = "presentation_request_expired"
    PRESENTATION_STATE_MISMATCH = "presentation_state_mismatch"
    MALFORMED_PRESENTATION = "malformed_presentation"
    PRESENTATION_REFUSED = "presentation_refused"
    # wallets: SD-JWT VC holder binding
    INVALID_HOLDER_KEY = "invalid_holder_key"
    # batch verification
    TOO_MANY_ITEMS = "too_many_items"
    NO_ITEMS = "no_items"
    REPORT_EXPIRED = "report_expired"
    # answered by the web layer and the CLI, not raised as an IssuerError: the request, the
    # transport and the database
    MALFORMED_JSON = "malformed_json"
    INVALID_REQUEST = "invalid_request"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    HTTP_ERROR = "http_error"
    VALUE_OUT_OF_RANGE = "value_out_of_range"
    INTERNAL_ERROR = "internal_error"
    DATABASE_UNAVAILABLE = "database_unavailable"
    DATABASE_READ_ONLY = "database_read_only"
    STORAGE_FULL = "storage_full"
    NOT_READY = "not_ready"


class IssuerError(Exception):
    """Root of the issuing side's errors."""

    code: IssuerErrorCode = IssuerErrorCode.ISSUER_ERROR

    def __init__(self, message: str, *, code: IssuerErrorCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def extensions(self) -> dict[str, Any]:
        """Members the problem document carries besides ``code`` and ``detail``."""
        return {}


class ConfigurationError(IssuerError):
    """Settings, signing keys or the database cannot be used."""

    code = IssuerErrorCode.CONFIGURATION_ERROR


class NotFoundError(IssuerError):
    """A referenced record (credential, occupation, unit, level, list) does not exist."""

    code = IssuerErrorCode.NOT_FOUND


class InvalidInputError(IssuerError):
    """The request is well-formed but a value is not acceptable."""

    code = IssuerErrorCode.INVALID_INPUT


class ConflictError(IssuerError):
    """The request conflicts with stored state."""

    code = IssuerErrorCode.CONFLICT


class AlreadyIssuedError(ConflictError):
    """The candidate already holds a credential for this exam session: names it."""

    code = IssuerErrorCode.ALREADY_ISSUED

    credential_id = ""
    number = ""

    @classmethod
    def naming(cls, credential_id: str, number: str) -> AlreadyIssuedError:
        """The refusal naming the credential that holds the exam."""
        exc = cls(
            f"this candidate already holds credential {number} for this exam session"
            f" (/api/v1/credentials/{credential_id}); to correct it, reissue it"
        )
        exc.credential_id, exc.number = credential_id, number
        return exc

    def extensions(self) -> dict[str, Any]:
        if not self.credential_id:
            return {}
        return {
            "credential_id": self.credential_id,
            "certificate_number": self.number,
            "credential_url": f"/api/v1/credentials/{self.credential_id}",
        }


class AuthenticationError(IssuerError):
    """No valid bearer token was presented."""

    code = IssuerErrorCode.UNAUTHENTICATED


class PermissionDeniedError(IssuerError):
    """The token's role or units do not allow this action."""

    code = IssuerErrorCode.FORBIDDEN
