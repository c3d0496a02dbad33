"""The issuing side's words: one word, one meaning, shared by the database, the API, the CLI,
the pages and the docs.

Each is a ``StrEnum``: a member is its string, so it is stored, compared, serialised and
printed exactly as that string. The values are public API and stored in the database (with
CHECK constraints, issuer/store/models.py): never change one.

The reason categories are the verifier's ``ReasonCode`` (verifier/result.py), used here
unchanged: the issuer records them and the verify page shows them.
"""

from __future__ import annotations

from enum import StrEnum

from verifier.result import ReasonCode


class CredentialState(StrEnum):
    """Where a credential is in its lifecycle (``credentials.state``)."""

    ACTIVE = "active"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"


class Role(StrEnum):
    """An API token's role (``api_tokens.role``); docs/security.md says what each may do."""

    ADMIN = "admin"
    REGISTRAR = "registrar"
    AUDITOR = "auditor"


class PrincipalKind(StrEnum):
    """Who a principal is (``principals.kind``): a person or a service account."""

    PERSON = "person"
    SERVICE = "service"


class SessionStage(StrEnum):
    """How far a console session has got (``console_sessions.stage``)."""

    SECOND_FACTOR = "second_factor"  # the password was right; the TOTP code is still due
    SIGNED_IN = "signed_in"


class TokenState(StrEnum):
    """An API token as ``authenticate`` would judge it now (derived, not stored)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


class KeyState(StrEnum):
    """A signing key's state (``signing_keys.state``)."""

    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class ApprovalState(StrEnum):
    """A maker-checker request's state (``approvals.state``)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ApprovalAction(StrEnum):
    """What a maker-checker request asks for (``approvals.action``)."""

    CREDENTIAL_BATCH_REVOKE = "credential.batch_revoke"
    KEY_ROTATE = "key.rotate"
    KEY_COMPROMISE = "key.compromise"
    KEY_REISSUE_COMPROMISED = "key.reissue_compromised"
    CREDENTIAL_REVOKE = "credential.revoke"
    CREDENTIAL_SUSPEND = "credential.suspend"
    PRINCIPAL_CREATE = "principal.create"
    USER_CREATE = "user.create"
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105 - an action, not a secret
    USER_SIGN_IN = "user.sign_in"
    USER_SIGN_IN_LOCKED = "user.sign_in_locked"
    USER_SIGN_OUT_EVERYWHERE = "user.sign_out_everywhere"
    USER_TOTP_ENABLE = "user.totp_enable"
    USER_TOTP_DISABLE = "user.totp_disable"
    USER_SSO_LINK = "user.sso_link"
    TOKEN_CREATE = "token.create"  # noqa: S105 - an action, not a secret


class ReissueState(StrEnum):
    """A bulk re-issue after a key compromise (``reissue_runs.state``, decision 0066)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # a chunk raised; what was re-issued stays, a new request does the rest
    CANCELLED = "cancelled"  # stopped by an admin; chunks not yet run never are


class ImportState(StrEnum):
    """An import job's state (``imports.state``)."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BundleState(StrEnum):
    """An import's bundle, once asked for (``imports.bundle_state``; null before)."""

    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"  # deleted after TESSERA_BUNDLE_TTL_HOURS; build it again if needed
    CANCELLED = "cancelled"  # stopped by a registrar before it was ready; build it again


class ExportKind(StrEnum):
    """What an export job writes (``exports.kind``): the register's CSV or the audit log."""

    REGISTER = "register"  # the search's CSV, as GET /api/v1/credentials.csv streams it
    AUDIT = "audit"  # JSON lines, as GET /api/v1/audit/export streams them


class ExportState(StrEnum):
    """Where an export job is (``exports.state``, docs/decisions/0065-exports-as-jobs.md)."""

    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # the file was deleted after TESSERA_EXPORT_TTL_HOURS


class NoticeKind(StrEnum):
    """What a notice to a holder says happened (``notices.kind``, docs/decisions/0030)."""

    REVOKED = "revoked"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    REISSUED = "reissued"
    EXPIRING = "expiring"
    LINK_OPENED = "link_opened"


class NoticeState(StrEnum):
    """Where a notice is in the outbox (``notices.state``)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up: a permanent refusal, or too many attempts


class AuditAction(StrEnum):
    """Every action the audit log records (``audit_events.action``)."""

    CREDENTIAL_ISSUE = "credential.issue"
    CREDENTIAL_REVOKE = "credential.revoke"
    CREDENTIAL_SUSPEND = "credential.suspend"
    CREDENTIAL_REINSTATE = "credential.reinstate"
    CREDENTIAL_REISSUE = "credential.reissue"
    CREDENTIAL_BATCH_REVOKE = "credential.batch_revoke"
    # credentials issued through the VC-API (decision 0055)
    API_CREDENTIAL_ISSUE = "api_credential.issue"
    API_CREDENTIAL_STATUS = "api_credential.status"
    PRINCIPAL_CREATE = "principal.create"
    PRINCIPAL_DISABLE = "principal.disable"
    USER_CREATE = "user.create"
    USER_PASSWORD_SET = "user.password_set"  # noqa: S105 - an action, not a secret
    USER_SIGN_IN = "user.sign_in"
    USER_SIGN_IN_LOCKED = "user.sign_in_locked"
    USER_SIGN_OUT_EVERYWHERE = "user.sign_out_everywhere"
    USER_UNLOCK = "user.unlock"
    USER_TOTP_ENABLE = "user.totp_enable"
    USER_TOTP_DISABLE = "user.totp_disable"
    USER_SSO_LINK = "user.sso_link"
    TOKEN_CREATE = "token.create"  # noqa: S105 - an action, not a secret
    TOKEN_REVOKE = "token.revoke"  # noqa: S105 - an action, not a secret
    KEY_CREATE = "key.create"
    KEY_ROTATE = "key.rotate"
    KEY_COMPROMISE = "key.compromise"
    KEY_REISSUE_CANCEL = "key.reissue_cancel"
    APPROVAL_REQUEST = "approval.request"
    APPROVAL_APPROVE = "approval.approve"
    APPROVAL_REJECT = "approval.reject"
    IMPORT_START = "import.start"
    IMPORT_FINISH = "import.finish"
    IMPORT_BUNDLE = "import.bundle"
    EXPORT_REQUEST = "export.request"
    EXPORT_CANCEL = "export.cancel"
    EXPORT_DOWNLOAD = "export.download"
    SHARE_LINK_CREATE = "share_link.create"
    SHARE_LINK_REVOKE = "share_link.revoke"
    ISSUER_BASE_URL_SET = "issuer.base_url_set"
    ISSUER_BASE_URL_CHANGE = "issuer.base_url_change"
    ISSUER_PROFILE_SET = "issuer.profile_set"
    HOLDER_PHOTO_SET = "holder.photo_set"
    HOLDER_PHOTO_DELETE = "holder.photo_delete"
    CATALOG_UNIT_CREATE = "catalog.unit_create"
    CATALOG_UNIT_UPDATE = "catalog.unit_update"
    CATALOG_OCCUPATION_CREATE = "catalog.occupation_create"
    CATALOG_OCCUPATION_UPDATE = "catalog.occupation_update"
    WALLET_OFFER_CREATE = "wallet_offer.create"
    WALLET_OFFER_REDEEM = "wallet_offer.redeem"
    WALLET_OFFER_EXHAUSTED = "wallet_offer.exhausted"
    WALLET_CREDENTIAL_ISSUE = "wallet_offer.issue"


def either(values: type[StrEnum]) -> str:
    """The values as help text reads them: ``admin, registrar or auditor``."""
    words = [member.value for member in values]
    return f"{', '.join(words[:-1])} or {words[-1]}" if len(words) > 1 else words[0]


def one_of(column: str, values: type[StrEnum]) -> str:
    """A CHECK constraint's SQL: ``state IN ('active', 'revoked')``, the values in order."""
    return f"{column} IN {tuple(member.value for member in values)}"


__all__ = [
    "ApprovalAction",
    "ApprovalState",
    "AuditAction",
    "BundleState",
    "CredentialState",
    "ExportKind",
    "ExportState",
    "ImportState",
    "KeyState",
    "NoticeKind",
    "NoticeState",
    "PrincipalKind",
    "ReasonCode",
    "ReissueState",
    "Role",
    "SessionStage",
    "TokenState",
    "either",
    "one_of",
]
