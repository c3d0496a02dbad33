"""Approval requests and audit events in words, in Chinese and English.

The database, the API and the CLI speak in codes (``credential.batch_revoke``,
``exam_misconduct``); the console's pages show the same codes as a person reads them. The
words are the message catalogues' (verifier/i18n.py): an audit action is ``event.<action>``,
the one wording the audit log, the dashboard and a credential's timeline share. A code
without words here is shown as itself, so a new action is never hidden.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

from issuer.credentials.text import UnsafeTextError, clean_note
from issuer.vocabulary import ApprovalAction, ApprovalState, AuditAction, KeyState, ReissueState
from issuer.web.console.people_words import ROLES as ROLE_LABELS
from verifier.i18n import both
from verifier.web.page import REASONS

Words = tuple[str, str]

# One wording per action, shared by the audit log, the dashboard and a credential's timeline
# (credential_words.py and words.py read this table). A literal key in each call, so
# tests/verifier/test_catalogues.py sees every one.
AUDIT_ACTIONS: Final[dict[str, Words]] = {
    AuditAction.CREDENTIAL_ISSUE: both("event.credential.issue"),
    AuditAction.CREDENTIAL_REVOKE: both("event.credential.revoke"),
    AuditAction.CREDENTIAL_SUSPEND: both("event.credential.suspend"),
    AuditAction.CREDENTIAL_REINSTATE: both("event.credential.reinstate"),
    AuditAction.CREDENTIAL_REISSUE: both("event.credential.reissue"),
    AuditAction.CREDENTIAL_BATCH_REVOKE: both("event.credential.batch_revoke"),
    AuditAction.API_CREDENTIAL_ISSUE: both("event.api_credential.issue"),
    AuditAction.API_CREDENTIAL_STATUS: both("event.api_credential.status"),
    AuditAction.PRINCIPAL_CREATE: both("event.principal.create"),
    AuditAction.PRINCIPAL_DISABLE: both("event.principal.disable"),
    AuditAction.USER_CREATE: both("event.user.create"),
    AuditAction.USER_PASSWORD_SET: both("event.user.password_set"),
    AuditAction.USER_SIGN_IN: both("event.user.sign_in"),
    AuditAction.USER_SIGN_IN_LOCKED: both("event.user.sign_in_locked"),
    AuditAction.USER_SIGN_OUT_EVERYWHERE: both("event.user.sign_out_everywhere"),
    AuditAction.USER_UNLOCK: both("event.user.unlock"),
    AuditAction.USER_TOTP_ENABLE: both("event.user.totp_enable"),
    AuditAction.USER_TOTP_DISABLE: both("event.user.totp_disable"),
    AuditAction.USER_SSO_LINK: both("event.user.sso_link"),
    AuditAction.TOKEN_CREATE: both("event.token.create"),
    AuditAction.TOKEN_REVOKE: both("event.token.revoke"),
    AuditAction.KEY_CREATE: both("event.key.create"),
    AuditAction.KEY_ROTATE: both("event.key.rotate"),
    AuditAction.KEY_COMPROMISE: both("event.key.compromise"),
    AuditAction.KEY_REISSUE_CANCEL: both("event.key.reissue_cancel"),
    AuditAction.APPROVAL_REQUEST: both("event.approval.request"),
    AuditAction.APPROVAL_APPROVE: both("event.approval.approve"),
    AuditAction.APPROVAL_REJECT: both("event.approval.reject"),
    AuditAction.IMPORT_START: both("event.import.start"),
    AuditAction.IMPORT_FINISH: both("event.import.finish"),
    AuditAction.IMPORT_BUNDLE: both("event.import.bundle"),
    AuditAction.EXPORT_REQUEST: both("event.export.request"),
    AuditAction.EXPORT_CANCEL: both("event.export.cancel"),
    AuditAction.EXPORT_DOWNLOAD: both("event.export.download"),
    AuditAction.SHARE_LINK_CREATE: both("event.share_link.create"),
    AuditAction.SHARE_LINK_REVOKE: both("event.share_link.revoke"),
    AuditAction.ISSUER_BASE_URL_SET: both("event.issuer.base_url_set"),
    AuditAction.ISSUER_BASE_URL_CHANGE: both("event.issuer.base_url_change"),
    AuditAction.ISSUER_PROFILE_SET: both("event.issuer.profile_set"),
    AuditAction.HOLDER_PHOTO_SET: both("audit.holder_photo_set"),
    AuditAction.HOLDER_PHOTO_DELETE: both("audit.holder_photo_delete"),
    AuditAction.CATALOG_UNIT_CREATE: both("event.catalog.unit_create"),
    AuditAction.CATALOG_UNIT_UPDATE: both("event.catalog.unit_update"),
    AuditAction.CATALOG_OCCUPATION_CREATE: both("event.catalog.occupation_create"),
    AuditAction.CATALOG_OCCUPATION_UPDATE: both("event.catalog.occupation_update"),
    AuditAction.WALLET_OFFER_CREATE: both("event.wallet_offer.create"),
    AuditAction.WALLET_OFFER_REDEEM: both("event.wallet_offer.redeem"),
    AuditAction.WALLET_OFFER_EXHAUSTED: both("event.wallet_offer.exhausted"),
    AuditAction.WALLET_CREDENTIAL_ISSUE: both("event.wallet_offer.issue"),
}

APPROVAL_ACTIONS: Final[dict[str, Words]] = {
    ApprovalAction.CREDENTIAL_BATCH_REVOKE: both("console.approval.action.batch_revoke"),
    ApprovalAction.CREDENTIAL_REVOKE: both("console.approval.action.revoke"),
    ApprovalAction.CREDENTIAL_SUSPEND: both("console.approval.action.suspend"),
    ApprovalAction.KEY_ROTATE: both("console.approval.action.key_rotate"),
    ApprovalAction.KEY_COMPROMISE: both("console.approval.action.key_compromise"),
    ApprovalAction.KEY_REISSUE_COMPROMISED: both("console.approval.action.key_reissue"),
    ApprovalAction.PRINCIPAL_CREATE: both("console.approval.action.principal_create"),
    ApprovalAction.TOKEN_CREATE: both("console.approval.action.token_create"),
}

APPROVAL_STATES: Final[dict[str, Words]] = {
    ApprovalState.PENDING: both("console.approval.state.pending"),
    ApprovalState.APPROVED: both("console.approval.state.approved"),
    ApprovalState.REJECTED: both("console.approval.state.rejected"),
}

KEY_STATES: Final[dict[str, Words]] = {
    KeyState.ACTIVE: both("console.key_state.active"),
    KeyState.RETIRED: both("console.key_state.retired"),
    KeyState.COMPROMISED: both("console.key_state.compromised"),
}

REISSUE_STATES: Final[dict[str, Words]] = {
    ReissueState.QUEUED: both("console.keys.reissue.state.queued"),
    ReissueState.RUNNING: both("console.keys.reissue.state.running"),
    ReissueState.DONE: both("console.keys.reissue.state.done"),
    ReissueState.FAILED: both("console.keys.reissue.state.failed"),
    ReissueState.CANCELLED: both("console.keys.reissue.state.cancelled"),
}

# The same words as the account and users pages (people_words.py), as (Chinese, English).
ROLES: Final[dict[str, Words]] = {role: (label.zh, label.en) for role, label in ROLE_LABELS.items()}

# What a request's parameters mean, in the order a person reads them.
PARAMS: Final[dict[str, Words]] = {
    "exam_session": both("field.exam_session"),
    "count": both("console.approval.param.count"),
    "credential_id": both("field.credential_id"),
    "kid": both("console.approval.param.kid"),
    "compromised_at": both("console.approval.param.compromised_at"),
    "name": both("console.approval.param.name"),
    "kind": both("console.approval.param.kind"),
    "principal_id": both("console.approval.param.principal_id"),
    "role": both("console.approval.param.role"),
    "expires_at": both("console.approval.param.expires_at"),
    "reason": both("console.credential.reason"),
    "units": both("console.approval.param.units"),
    "note": both("console.credential.note"),
}
_TIMES = frozenset({"compromised_at", "expires_at"})
_ROTATE: Final[Words] = both("console.approval.rotate_effect")


def words(table: dict[str, Words], code: str | None) -> Words:
    """The words for ``code``, or the code itself where there are none."""
    if code is None:
        return ("—", "—")
    return table.get(code, (code, code))


@dataclass(frozen=True)
class Line:
    """One line of what a request will do: a label, and a text or a time to show."""

    label: Words
    text: Words | None = None
    time: dt.datetime | None = None


def request_lines(action: str, params: dict[str, Any]) -> list[Line]:
    """What a request will do, line by line, from its parameters."""
    lines = [Line(both("console.credential.action"), text=words(APPROVAL_ACTIONS, action))]
    if action == ApprovalAction.KEY_ROTATE:
        lines.append(Line(both("console.approval.effect"), text=_ROTATE))
    for key, label in PARAMS.items():
        if key not in params:
            continue
        value = params[key]
        if key in _TIMES and value:
            lines.append(Line(label, time=dt.datetime.fromisoformat(str(value))))
        elif key == "units":
            text = both("console.search.all") if value is None else (", ".join(value),) * 2
            lines.append(Line(label, text=text))
        else:
            table = REASONS if key == "reason" else ROLES if key == "role" else {}
            lines.append(Line(label, text=words(table, str(value))))
    return lines


def actor_words(actor: str | None) -> str:
    """``principal:7:李娜`` as ``李娜 (#7)``; the operator's ``cli:root`` as it is."""
    if actor is None:
        return "—"
    kind, _, rest = actor.partition(":")
    number, _, name = rest.partition(":")
    if kind in ("principal", "token") and number.isdigit() and name:
        return f"{name} (#{number})"
    return actor


MAX_NOTE: Final = 1000


def form_note(raw: str) -> tuple[str | None, Words | None]:
    """A note typed into a form as it is kept (``clean_note``: the API's ``Note``), or
    what is wrong with it, in words to show next to the field."""
    try:
        note = clean_note(raw) or None
    except UnsafeTextError:
        return None, both("console.note.unsafe")
    if note is not None and len(note) > MAX_NOTE:
        return None, both("console.note.too_long")
    return note, None
