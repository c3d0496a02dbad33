"""Signed checkpoints of the audit chain: what the hash chain alone cannot show.

The chain shows an edited, deleted, inserted or reordered event, but someone who can write
to the database can also delete the newest events and set the head back, or rewrite every
event and recompute every hash. A checkpoint is a compact JWS (``typ``
``audit-checkpoint+jwt``) signed with the issuer's active key over ``{event_id, hash,
time}``: the chain's head when it was made. Exported (``tessera audit checkpoints export``)
and kept elsewhere, checkpoints are checked later against the chain as it is then: each
checkpoint's event must still be there with the same hash (decision 0023).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.keys.signer import Signer
from issuer.store.audit import (
    GENESIS_HASH,
    ChainReport,
    lock_writes,
    verify_chain,
    verify_chain_since,
)
from issuer.store.models import AuditCheckpoint, AuditEvent, AuditHead, SigningKey
from issuer.vocabulary import KeyState
from verifier.errors import CredentialError
from verifier.jwk import algorithm_for_jwk, public_key_from_jwk
from verifier.jws import decode_unverified_jws, verify_jws_signature

CHECKPOINT_TYP: Final = "audit-checkpoint+jwt"
_HASH = re.compile(r"[0-9a-f]{64}")


def create_checkpoint(
    session: Session, signer: Signer, *, issuer: str, now: dt.datetime
) -> AuditCheckpoint:
    """Sign the chain's current head and store the checkpoint (flushes).

    The whole chain is checked first, under the write lock: a broken chain, or one that no
    longer holds an event an earlier checkpoint names, is never signed.
    """
    head = lock_writes(session)
    if head == GENESIS_HASH:
        raise ConflictError(
            "the audit log is empty: nothing to checkpoint", code=IssuerErrorCode.AUDIT_LOG_EMPTY
        )
    report = verify_chain(session)
    problem = report.problem or next(iter(check_checkpoints(session, stored(session))), None)
    if problem is not None:
        raise ConflictError(
            f"the audit chain is broken, not signing it: {problem}",
            code=IssuerErrorCode.AUDIT_CHAIN_BROKEN,
        )
    return _sign_head(session, signer, issuer=issuer, now=now)


def _sign_head(
    session: Session, signer: Signer, *, issuer: str, now: dt.datetime
) -> AuditCheckpoint:
    """Sign and store the chain's newest event (the write lock held, the chain checked)."""
    last = session.execute(
        select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).one()
    payload = {
        "iss": issuer,
        "event_id": last.id,
        "hash": last.hash,
        "time": now.astimezone(dt.UTC).isoformat(),
        "iat": int(now.timestamp()),
    }
    record = AuditCheckpoint(
        event_id=last.id,
        head_hash=last.hash,
        created_at=now,
        kid=signer.kid,
        token=signer.sign(payload, typ=CHECKPOINT_TYP),
    )
    session.add(record)
    session.flush()
    return record


def checkpoint_if_moved(
    session: Session, signer: Signer, *, issuer: str, now: dt.datetime
) -> AuditCheckpoint | None:
    """The periodic checkpoint: sign the head if it moved since the newest stored checkpoint
    (flushes); ``None`` when there is nothing new. The events since that checkpoint are
    checked first, under the write lock; with no checkpoint yet, the whole chain is, as by
    ``create_checkpoint``. Several server processes may call it: the lock makes one sign."""
    head = lock_writes(session)
    if head == GENESIS_HASH:
        return None
    newest = session.scalars(
        select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1)
    ).first()
    if newest is None:
        return create_checkpoint(session, signer, issuer=issuer, now=now)
    if newest.head_hash == head:
        return None
    report = verify_chain_since(session, newest.event_id, newest.head_hash)
    if report.problem is not None:
        raise ConflictError(
            f"the audit chain is broken, not signing it: {report.problem}",
            code=IssuerErrorCode.AUDIT_CHAIN_BROKEN,
        )
    return _sign_head(session, signer, issuer=issuer, now=now)


def stored_checkpoints(session: Session) -> list[AuditCheckpoint]:
    """Every stored checkpoint, oldest first."""
    return list(session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id)))


def stored(session: Session) -> list[Checkpoint]:
    """The stored checkpoints as read from their rows (the database's own record)."""
    return [
        Checkpoint(row.event_id, row.head_hash, row.created_at.astimezone(dt.UTC).isoformat())
        for row in stored_checkpoints(session)
    ]


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint whose signature verified: event ``event_id`` had hash ``hash``."""

    event_id: int
    hash: str
    time: str


def read_checkpoint(session: Session, token: str) -> Checkpoint:
    """Check a checkpoint's signature against the issuer's keys and read it.

    Raises ``InvalidInputError`` (code ``invalid_checkpoint``) for anything that is not a
    checkpoint signed by a key of this issuer that is not marked compromised.
    """
    try:
        jws = decode_unverified_jws(token)
    except CredentialError:
        raise _invalid("not a compact JWS") from None
    if jws.header.get("typ") != CHECKPOINT_TYP:
        raise _invalid(f"its typ is not {CHECKPOINT_TYP}")
    kid = jws.header.get("kid")
    key = session.get(SigningKey, kid) if isinstance(kid, str) else None
    if key is None:
        raise _invalid("it is signed by a key this issuer does not hold")
    if key.state == KeyState.COMPROMISED:
        raise _invalid(f"it is signed by key {kid}, which is marked compromised")
    try:
        verify_jws_signature(
            jws, public_key_from_jwk(key.public_jwk), algorithm_for_jwk(key.public_jwk)
        )
    except CredentialError:
        raise _invalid("its signature does not verify") from None
    return _fields(jws.payload)


def _fields(payload: dict[str, Any]) -> Checkpoint:
    event_id, digest, time = payload.get("event_id"), payload.get("hash"), payload.get("time")
    if (
        not isinstance(event_id, int)
        or isinstance(event_id, bool)
        or not isinstance(digest, str)
        or not _HASH.fullmatch(digest)
        or not isinstance(time, str)
    ):
        raise _invalid("it lacks event_id, hash or time")
    return Checkpoint(event_id, digest, time)


def _invalid(reason: str) -> InvalidInputError:
    return InvalidInputError(
        f"not a valid audit checkpoint: {reason}", code=IssuerErrorCode.INVALID_CHECKPOINT
    )


def check_checkpoints(session: Session, checkpoints: Iterable[Checkpoint]) -> list[str]:
    """What the chain contradicts: one line per checkpoint whose event is gone or differs."""
    problems = []
    for checkpoint in checkpoints:
        current = session.scalar(
            select(AuditEvent.hash).where(AuditEvent.id == checkpoint.event_id)
        )
        if current is None:
            problems.append(
                f"the checkpoint of {checkpoint.time} names event {checkpoint.event_id}, which "
                "the chain no longer holds (events at the end were deleted)"
            )
        elif current != checkpoint.hash:
            problems.append(
                f"the checkpoint of {checkpoint.time} names event {checkpoint.event_id} with "
                "another hash (the chain was rewritten)"
            )
    return problems


@dataclass(frozen=True)
class AuditCheck:
    """What ``check_audit`` found: the chain's report, its head, the stored checkpoints
    and every problem, first the chain's, then the checkpoints' (empty: intact)."""

    chain: ChainReport
    head_hash: str
    checkpoints: int
    newest_checkpoint: Checkpoint | None
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_audit(session: Session, kept: Iterable[Checkpoint] = ()) -> AuditCheck:
    """``tessera audit verify`` and the console's "verify the chain": recompute the whole
    chain, then hold it against the checkpoints ``kept`` elsewhere and the stored ones."""
    chain = verify_chain(session)
    head = session.scalar(select(AuditHead.hash).where(AuditHead.id == 1)) or GENESIS_HASH
    in_database = stored(session)
    problems = [] if chain.ok else [f"event {chain.first_bad_id}: {chain.problem}"]
    problems += check_checkpoints(session, kept) + check_checkpoints(session, in_database)
    return AuditCheck(
        chain=chain,
        head_hash=head,
        checkpoints=len(in_database),
        newest_checkpoint=in_database[-1] if in_database else None,
        problems=problems,
    )
