"""Credentials issued through the VC-API: any VC 2.0 credential a caller composed, checked,
given a status slot, signed as ``vc+jwt`` and stored; and their status changes.

These are not certificates of the register (no holder, unit or exam): they live in
``api_credentials``, with a slot of the same Bitstring Status Lists (decision 0055). The
services flush; the route commits once.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.credentials.data_model import MAX_DEPTH, check_credential_data_model, nesting_depth
from issuer.credentials.issuance import IssuerIdentity, random_uuids
from issuer.credentials.status_list import allocate_indexes, status_entry
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.audit import Actor, lock_writes, record_event
from issuer.store.models import ApiCredential, StatusAllocation, StatusList
from issuer.vocabulary import AuditAction, CredentialState
from verifier.format import STATUS_LIST_ENTRY, VC_V2_CONTEXT

ENVELOPE_PREFIX = "data:application/vc+jwt,"


class StatusChange(StrEnum):
    """What ``POST /credentials/status`` may do to an API credential."""

    REVOKE = "revoke"
    SUSPEND = "suspend"
    UNSUSPEND = "unsuspend"


@dataclass(frozen=True)
class ApiIssued:
    """An issued API credential: its row id, its ``id`` and the signed token."""

    id: str
    credential_id: str
    jws: str

    def enveloped(self) -> dict[str, Any]:
        """The VC 2.0 enveloped credential (VCDM 2.0 §4.13.1) carrying the token."""
        return {
            "@context": [VC_V2_CONTEXT],
            "id": ENVELOPE_PREFIX + self.jws,
            "type": "EnvelopedVerifiableCredential",
        }


def id_hash(credential_id: str) -> str:
    """The look-up key of a credential ``id`` (SHA-256, hex)."""
    return hashlib.sha256(credential_id.encode("utf-8")).hexdigest()


def issue_api_credential(
    session: Session,
    unverified: dict[str, Any],
    *,
    issuer: IssuerIdentity,
    actor: Actor,
    now: dt.datetime,
    rng: random.Random | None = None,
) -> ApiIssued:
    """Check ``unverified`` (``issuer/credentials/data_model.py``), complete and sign it.

    ``issuer`` is set to this issuer when absent and must name this issuer otherwise
    (``issuer_not_this_issuer``); ``id`` becomes ``urn:uuid:<row id>`` when absent; a
    ``BitstringStatusListEntry`` of this issuer's lists is added (one given by the caller
    is refused: only this issuer allocates its slots).
    """
    rng = rng or random.SystemRandom()
    if nesting_depth(unverified) > MAX_DEPTH:  # before anything walks it recursively
        raise InvalidInputError(
            f"the credential nests deeper than {MAX_DEPTH} levels",
            code=IssuerErrorCode.INVALID_CREDENTIAL,
        )
    credential = copy.deepcopy(unverified)
    if "issuer" not in credential:
        credential["issuer"] = issuer.base_url
    check_credential_data_model(credential)
    named = credential["issuer"]
    if (named.get("id") if isinstance(named, dict) else named) != issuer.base_url:
        raise InvalidInputError(
            "the credential names another issuer", code=IssuerErrorCode.ISSUER_NOT_THIS_ISSUER
        )
    given = credential.get("credentialStatus")
    entries = given if isinstance(given, list) else [given] if given is not None else []
    if any(entry.get("type") == STATUS_LIST_ENTRY for entry in entries):
        raise InvalidInputError(
            "this issuer allocates the credential's status list entry itself",
            code=IssuerErrorCode.INVALID_CREDENTIAL,
        )
    lock_writes(session)
    [row_id] = random_uuids(rng, 1)
    credential.setdefault("id", f"urn:uuid:{row_id}")
    [(list_id, index)] = allocate_indexes(session, 1, now=now, rng=rng)
    entry = status_entry(issuer.base_url, list_id, index)
    credential["credentialStatus"] = [*entries, entry] if entries else entry
    token = issuer.signer.sign(credential)
    session.add(
        ApiCredential(
            id=row_id,
            credential_id=credential["id"],
            credential_id_hash=id_hash(credential["id"]),
            issued_at=now,
            issued_by=actor.name,
            kid=issuer.signer.kid,
            jws=token,
            state=CredentialState.ACTIVE.value,
        )
    )
    session.flush()
    session.add(StatusAllocation(list_id=list_id, index=index, api_credential_id=row_id))
    record_event(
        session,
        actor,
        AuditAction.API_CREDENTIAL_ISSUE,
        row_id,
        now=now,
        details={"list": list_id, "kid": issuer.signer.kid},
    )
    session.flush()
    return ApiIssued(row_id, credential["id"], token)


def find_api_credential(session: Session, credential_id: str) -> ApiCredential:
    """The API credential whose ``id`` is ``credential_id`` (404 ``not_found``; 409
    ``ambiguous_credential_id`` when the caller gave the same ``id`` to several)."""
    rows = session.scalars(
        select(ApiCredential)
        .where(ApiCredential.credential_id_hash == id_hash(credential_id))
        .limit(2)
    ).all()
    matching = [row for row in rows if row.credential_id == credential_id]
    if not matching:
        raise NotFoundError("no credential issued through the VC-API has this id")
    if len(matching) > 1:
        raise ConflictError(
            "several credentials issued through the VC-API have this id",
            code=IssuerErrorCode.AMBIGUOUS_CREDENTIAL_ID,
        )
    return matching[0]


def change_api_credential_status(
    session: Session,
    credential_id: str,
    change: StatusChange,
    *,
    actor: Actor,
    now: dt.datetime,
) -> ApiCredential:
    """Revoke (final), suspend or unsuspend the API credential ``credential_id``: its bit in
    the revocation list or the suspension twin, its list's revision, its row, the audit log.
    A change that changes nothing is refused (409: ``already_revoked``,
    ``already_suspended``, ``not_suspended``)."""
    lock_writes(session)
    row = find_api_credential(session, credential_id)
    if row.state == CredentialState.REVOKED:
        raise ConflictError(
            "the credential is already revoked", code=IssuerErrorCode.ALREADY_REVOKED
        )
    if change is StatusChange.SUSPEND and row.state == CredentialState.SUSPENDED:
        raise ConflictError(
            "the credential is already suspended", code=IssuerErrorCode.ALREADY_SUSPENDED
        )
    if change is StatusChange.UNSUSPEND and row.state != CredentialState.SUSPENDED:
        raise ConflictError("the credential is not suspended", code=IssuerErrorCode.NOT_SUSPENDED)
    allocation = session.scalars(
        select(StatusAllocation).where(StatusAllocation.api_credential_id == row.id)
    ).one()
    if change is StatusChange.REVOKE:
        allocation.set_at = now
        row.state = CredentialState.REVOKED.value
    elif change is StatusChange.SUSPEND:
        allocation.suspended_at = now
        row.state = CredentialState.SUSPENDED.value
    else:
        allocation.suspended_at = None
        row.state = CredentialState.ACTIVE.value
    row.state_changed_at = now
    session.execute(
        update(StatusList)
        .where(StatusList.id == allocation.list_id)
        .values(revision=StatusList.revision + 1)
    )
    record_event(
        session,
        actor,
        AuditAction.API_CREDENTIAL_STATUS,
        row.id,
        now=now,
        details={"change": change.value, "list": allocation.list_id},
    )
    session.flush()
    return row
