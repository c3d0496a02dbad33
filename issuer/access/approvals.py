"""Maker-checker: requests that change nothing until a second admin approves them.

Revocations and suspensions past the limit (issuer/access/limits.py), every key operation
through the API, and admin grants (a new admin principal or console user, a token for
another admin) are filed here (docs/decisions/0011-maker-checker.md, 0020-principals.md).
Approval carries the action out in the same transaction that marks the request approved:
both happen or neither. Rejection does nothing but record the decision. Requester and
decider are compared as principals: nobody decides a request of their own principal, nor
one whose principal or tokens they created (they could have filed it themselves).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.access.principals import create_principal, get_principal, issue_token
from issuer.access.tokens import check_role_and_units, check_units_exist
from issuer.access.users import check_new_email, create_user
from issuer.credentials.issuance import IssuerIdentity
from issuer.credentials.lifecycle import (
    check_reason,
    get_credential,
    revoke_credential,
    revoke_session,
    session_batch,
    suspend_credential,
)
from issuer.credentials.reissue_runs import ReissuePlan, check_no_unfinished_run, plan_reissue
from issuer.errors import (
    ConflictError,
    InvalidInputError,
    IssuerErrorCode,
    NotFoundError,
    PermissionDeniedError,
)
from issuer.keys.keystore import compromise_key, create_signing_key, get_key
from issuer.store.audit import Actor, lock_writes, record_event
from issuer.store.models import ApiToken, Approval, AuditEvent, PrincipalRecord
from issuer.vocabulary import ApprovalAction, ApprovalState, AuditAction, KeyState, PrincipalKind


@dataclass(frozen=True)
class Operator:
    """What carrying out an approved action may need: the key store and the signer."""

    keys_dir: Path
    passphrase: Callable[[], bytes]
    key_algorithm: str
    issuer: Callable[[Session], IssuerIdentity]
    reissue_chunk_size: int = 200  # credentials a re-issue job does at once (decision 0066)


@dataclass(frozen=True)
class Decision:
    """A decided request, and the API token an approved grant created: shown once, to the
    decider, and never stored. An approved re-issue comes with its planned run, for the
    caller to hand to the task queue once committed."""

    approval: Approval
    token: str | None = None
    reissue: ReissuePlan | None = None


# Kept with a pending request only, never shown nor audited: the Argon2id hash of the
# password a new admin user will sign in with (``user.create``).
SECRET_PARAMS = frozenset({"password_hash"})


def public_params(params: dict[str, Any]) -> dict[str, Any]:
    """A request's parameters as shown and audited: without ``SECRET_PARAMS``."""
    return {key: value for key, value in params.items() if key not in SECRET_PARAMS}


def request_approval(
    session: Session, action: str, params: dict[str, Any], *, actor: Actor, now: dt.datetime
) -> Approval:
    """Record a request; nothing else changes."""
    try:
        action = ApprovalAction(action)
    except ValueError:
        raise InvalidInputError("unknown action", code=IssuerErrorCode.UNKNOWN_ACTION) from None
    _check_params(session, action, params)
    approval = Approval(
        id=str(uuid.uuid4()),
        action=action,
        params=params,
        state=ApprovalState.PENDING,
        requested_by=actor.name,
        requested_by_principal_id=actor.principal_id,
        requested_at=now,
    )
    session.add(approval)
    record_event(
        session,
        actor,
        AuditAction.APPROVAL_REQUEST,
        approval.id,
        now=now,
        details={"action": action, "params": public_params(params)},
    )
    session.flush()
    return approval


def _check_params(session: Session, action: ApprovalAction, params: dict[str, Any]) -> None:
    """Fail at request time what would certainly fail at approval time."""
    if action == ApprovalAction.CREDENTIAL_BATCH_REVOKE:
        check_reason(str(params.get("reason")))
        session_batch(session, str(params.get("exam_session")))
    elif action in (ApprovalAction.CREDENTIAL_REVOKE, ApprovalAction.CREDENTIAL_SUSPEND):
        check_reason(str(params.get("reason")))
        get_credential(session, str(params.get("credential_id")))
    elif action == ApprovalAction.PRINCIPAL_CREATE:
        if params.get("kind") not in set(PrincipalKind):
            raise InvalidInputError("unknown principal kind", code=IssuerErrorCode.BAD_KIND)
        check_role_and_units(str(params.get("role")), list(params.get("units") or []))
        check_units_exist(session, list(params.get("units") or []))
    elif action == ApprovalAction.USER_CREATE:
        check_new_email(session, str(params.get("email")))
        check_role_and_units(str(params.get("role")), list(params.get("units") or []))
        check_units_exist(session, list(params.get("units") or []))
    elif action == ApprovalAction.TOKEN_CREATE:
        get_principal(session, int(params["principal_id"]))
    elif action in (ApprovalAction.KEY_COMPROMISE, ApprovalAction.KEY_REISSUE_COMPROMISED):
        record = get_key(session, str(params.get("kid")))
        if action == ApprovalAction.KEY_COMPROMISE and record.state == KeyState.COMPROMISED:
            raise ConflictError(
                "the key is already compromised", code=IssuerErrorCode.KEY_ALREADY_COMPROMISED
            )
        if (
            action == ApprovalAction.KEY_REISSUE_COMPROMISED
            and record.state != KeyState.COMPROMISED
        ):
            raise ConflictError(
                "the key is not marked compromised", code=IssuerErrorCode.KEY_NOT_COMPROMISED
            )
        if action == ApprovalAction.KEY_REISSUE_COMPROMISED:
            check_no_unfinished_run(session, record.kid)


def get_approval(session: Session, approval_id: str) -> Approval:
    row = session.get(Approval, approval_id) if len(approval_id) <= 36 else None
    if row is None:
        raise NotFoundError("no such approval request")
    return row


def list_approvals(
    session: Session, *, state: str | None, limit: int, offset: int
) -> tuple[list[Approval], int]:
    query = select(Approval)
    count = select(func.count()).select_from(Approval)
    if state is not None:
        query, count = query.where(Approval.state == state), count.where(Approval.state == state)
    rows = session.scalars(
        query.order_by(Approval.requested_at.desc(), Approval.id).limit(limit).offset(offset)
    ).all()
    return list(rows), session.scalar(count) or 0


def _pending(session: Session, approval_id: str, actor: Actor) -> Approval:
    lock_writes(session)  # two admins deciding at once: the second sees the first's decision
    approval = get_approval(session, approval_id)
    session.refresh(approval)
    if approval.state != ApprovalState.PENDING:
        raise ConflictError(
            "the request was already decided", code=IssuerErrorCode.APPROVAL_DECIDED
        )
    if not may_decide(session, approval, actor):
        raise PermissionDeniedError(
            "a request needs another admin's approval", code=IssuerErrorCode.OWN_REQUEST
        )
    return approval


def may_decide(session: Session, approval: Approval, actor: Actor) -> bool:
    """Whether ``actor`` is a second person for ``approval``: not its requester, nor a
    principal that could have filed it (decision 0020). ``approve`` and ``reject`` refuse
    what this refuses, and the console's inbox lists what it allows, so the two agree.
    Whether the actor's role may decide at all is the policy's (``require_admin``)."""
    return approval.requested_by != actor.name and not _could_act_as(
        session, actor.principal_id, approval.requested_by_principal_id
    )


def pending_for(session: Session, actor: Actor, *, limit: int) -> list[Approval]:
    """Pending requests, oldest first, that ``actor`` may decide (``may_decide``)."""
    rows = session.scalars(
        select(Approval)
        .where(Approval.state == ApprovalState.PENDING)
        .order_by(Approval.requested_at, Approval.id)
    )
    return [row for row in rows if may_decide(session, row, actor)][:limit]


def requested_by(session: Session, principal_id: int, *, limit: int) -> list[Approval]:
    """The requests principal ``principal_id`` filed, newest first."""
    return list(
        session.scalars(
            select(Approval)
            .where(Approval.requested_by_principal_id == principal_id)
            .order_by(Approval.requested_at.desc(), Approval.id)
            .limit(limit)
        )
    )


def decision_notes(session: Session, approval_ids: list[str]) -> dict[str, str]:
    """The deciders' notes of these requests, read from their decisions' audit events (the
    note is part of the hashed event, not a column of the request)."""
    if not approval_ids:
        return {}
    rows = session.execute(
        select(AuditEvent.target, AuditEvent.details).where(
            AuditEvent.action.in_([AuditAction.APPROVAL_APPROVE, AuditAction.APPROVAL_REJECT]),
            AuditEvent.target.in_(approval_ids),
        )
    )
    return {
        str(target): str(details["note"])
        for target, details in rows
        if target is not None and details.get("note")
    }


def _could_act_as(session: Session, decider: int | None, requester: int | None) -> bool:
    """Whether principal ``decider`` is ``requester``, created it, or created one of its
    tokens: then a request filed as ``requester`` may be the decider's own."""
    if decider is None or requester is None:
        return False
    if decider == requester:
        return True
    record = session.get(PrincipalRecord, requester)
    if record is not None and record.created_by_principal_id == decider:
        return True
    minted = select(func.count()).where(
        ApiToken.principal_id == requester, ApiToken.created_by_principal_id == decider
    )
    return bool(session.scalar(minted))


def approve(
    session: Session,
    approval_id: str,
    *,
    actor: Actor,
    operator: Operator,
    now: dt.datetime,
    note: str | None = None,
) -> Decision:
    """Approve and carry out the request, in the caller's one transaction; the decider's
    ``note`` is kept in the decision's audit event."""
    approval = _pending(session, approval_id, actor)
    acting = dataclasses.replace(actor, approval_id=approval.id)
    approval.result, token = _execute(session, approval, actor=acting, operator=operator, now=now)
    approval.params = public_params(approval.params)
    approval.state = ApprovalState.APPROVED
    approval.decided_by, approval.decided_at = actor.name, now
    approval.decided_by_principal_id = actor.principal_id
    record_event(
        session,
        actor,
        AuditAction.APPROVAL_APPROVE,
        approval.id,
        now=now,
        details=_decision_details(approval, note),
    )
    session.flush()
    reissue = (
        ReissuePlan.from_result(approval.params["kid"], approval.result)
        if approval.action == ApprovalAction.KEY_REISSUE_COMPROMISED and approval.result
        else None
    )
    return Decision(approval, token, reissue)


def reject(
    session: Session,
    approval_id: str,
    *,
    actor: Actor,
    now: dt.datetime,
    note: str | None = None,
) -> Approval:
    """Reject: the request is closed and nothing else changes; ``note`` as for ``approve``."""
    approval = _pending(session, approval_id, actor)
    approval.params = public_params(approval.params)
    approval.state = ApprovalState.REJECTED
    approval.decided_by, approval.decided_at = actor.name, now
    approval.decided_by_principal_id = actor.principal_id
    record_event(
        session,
        actor,
        AuditAction.APPROVAL_REJECT,
        approval.id,
        now=now,
        details=_decision_details(approval, note),
    )
    session.flush()
    return approval


def _decision_details(approval: Approval, note: str | None) -> dict[str, Any]:
    details: dict[str, Any] = {"action": approval.action, "requested_by": approval.requested_by}
    if note:
        details["note"] = note
    return details


def _execute(
    session: Session, approval: Approval, *, actor: Actor, operator: Operator, now: dt.datetime
) -> tuple[dict[str, Any], str | None]:
    """What the approved request did, and the token it created, if any."""
    params = approval.params
    if approval.action == ApprovalAction.PRINCIPAL_CREATE:
        record = create_principal(
            session,
            name=params["name"],
            kind=params["kind"],
            role=params["role"],
            units=list(params["units"]),
            actor=actor,
            now=now,
        )
        token, plain = issue_token(
            session, record, name=params["name"], role=None, units=None, actor=actor, now=now
        )
        return {"principal_id": record.id, "token_id": token.id, "prefix": token.prefix}, plain
    if approval.action == ApprovalAction.USER_CREATE:
        person = create_user(
            session,
            email=params["email"],
            role=params["role"],
            units=list(params["units"]),
            name=params.get("name"),
            password=None,
            password_hash=params.get("password_hash"),
            actor=actor,
            now=now,
        )
        return {"principal_id": person.id, "email": person.email}, None
    if approval.action == ApprovalAction.TOKEN_CREATE:
        owner = get_principal(session, int(params["principal_id"]))
        expires_at = params.get("expires_at")
        token, plain = issue_token(
            session,
            owner,
            name=params["name"],
            role=params.get("role"),
            units=params.get("units"),
            actor=actor,
            now=now,
            expires_at=dt.datetime.fromisoformat(expires_at) if expires_at else None,
        )
        return {"principal_id": owner.id, "token_id": token.id, "prefix": token.prefix}, plain
    return _execute_change(session, approval, actor=actor, operator=operator, now=now), None


def _execute_change(
    session: Session, approval: Approval, *, actor: Actor, operator: Operator, now: dt.datetime
) -> dict[str, Any]:
    params = approval.params
    if approval.action in (ApprovalAction.CREDENTIAL_REVOKE, ApprovalAction.CREDENTIAL_SUSPEND):
        row = get_credential(session, params["credential_id"])
        units = params.get("units")
        if units is not None and row.unit.code not in units:
            raise PermissionDeniedError("the credential is no longer in the requester's units")
        change = (
            revoke_credential
            if approval.action == ApprovalAction.CREDENTIAL_REVOKE
            else suspend_credential
        )
        changed = change(
            session,
            row.id,
            reason=params["reason"],
            note=params.get("note"),
            actor=actor,
            now=now,
        )
        return {"credential_id": changed.id, "state": changed.state}
    if approval.action == ApprovalAction.CREDENTIAL_BATCH_REVOKE:
        units = params.get("units")
        batch = session_batch(session, params["exam_session"])
        if units is not None and not batch.unit_codes <= set(units):
            raise PermissionDeniedError("the batch now reaches beyond the requester's units")
        revoked = revoke_session(
            session,
            params["exam_session"],
            reason=params["reason"],
            note=params.get("note"),
            actor=actor,
            now=now,
        )
        return {"revoked": len(revoked)}
    if approval.action == ApprovalAction.KEY_ROTATE:
        record = create_signing_key(
            session, operator.keys_dir, operator.passphrase(), operator.key_algorithm, now=now
        )
        record_event(session, actor, AuditAction.KEY_ROTATE, record.kid, now=now)
        return {"active_kid": record.kid}
    if approval.action == ApprovalAction.KEY_COMPROMISE:
        compromised_at = dt.datetime.fromisoformat(params["compromised_at"])
        key, replacement = compromise_key(
            session,
            params["kid"],
            compromised_at=compromised_at,
            keys_dir=operator.keys_dir,
            passphrase=operator.passphrase(),
            algorithm=operator.key_algorithm,
            now=now,
        )
        record_event(
            session,
            actor,
            AuditAction.KEY_COMPROMISE,
            key.kid,
            now=now,
            details={"compromised_at": params["compromised_at"]},
        )
        return {"compromised_kid": key.kid, "active_kid": replacement.kid if replacement else None}
    # Planned here, carried out by jobs once this commits (decision 0066): one transaction
    # over a million credentials would hold the register's write lock for many minutes.
    plan = plan_reissue(
        session,
        params["kid"],
        active_kid=operator.issuer(session).signer.kid,
        actor=actor,
        requested_by=approval.requested_by,
        approval_id=approval.id,
        chunk_size=operator.reissue_chunk_size,
        now=now,
    )
    return plan.result()
