"""Bulk re-issue after a key compromise, as a run of chunks that jobs carry out.

``plan_reissue`` (when ``key.reissue_compromised`` is approved) walks the key's active and
suspended credentials in ``(issued_at, id)`` order and stores each run of ``chunk_size`` of
them as a keyset range (``reissue_chunks``), never a list of ids: planning a million costs
one ordered scan and a few thousand small rows. ``reissue_chunk`` re-issues one chunk's
credentials in the caller's transaction together with the chunk's done mark, under the
register's write lock taken first: a job killed midway left nothing, its retry does the
whole chunk, a chunk already done does nothing, and a credential that is no longer active or
suspended (replaced by an earlier attempt, revoked meanwhile) is skipped. So every
credential is re-issued exactly once. docs/decisions/0066-bulk-reissue-and-notices-as-jobs.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from issuer.credentials.issuance import IssuerIdentity
from issuer.credentials.reissue import reissue_compromised
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.store.audit import Actor, lock_writes, record_event
from issuer.store.models import Credential, ReissueChunk, ReissueRun
from issuer.vocabulary import AuditAction, CredentialState, ReissueState

UNFINISHED = (ReissueState.QUEUED, ReissueState.RUNNING)
TO_REISSUE = (CredentialState.ACTIVE, CredentialState.SUSPENDED)


@dataclass(frozen=True)
class ReissuePlan:
    """A planned run: which key, how many credentials, how many chunks (jobs)."""

    run_id: str
    kid: str
    credentials: int
    chunks: int

    def result(self) -> dict[str, Any]:
        """What the approved request answers (``approvals.result``)."""
        return {
            "run_id": self.run_id,
            "credentials": self.credentials,
            "chunks": self.chunks,
            "progress": f"/api/v1/keys/{self.kid}/reissue",
        }

    @classmethod
    def from_result(cls, kid: str, result: dict[str, Any]) -> ReissuePlan:
        return cls(str(result["run_id"]), kid, int(result["credentials"]), int(result["chunks"]))


@dataclass(frozen=True)
class ReissueProgress:
    """Credentials of the run's done chunks: re-issued, and skipped (no longer active or
    suspended when their chunk ran); chunks done."""

    reissued: int
    skipped: int
    chunks_done: int

    @property
    def done(self) -> int:
        return self.reissued + self.skipped


def unfinished_run(session: Session, kid: str) -> ReissueRun | None:
    """The key's run that is queued or running, if any (there is at most one)."""
    return session.scalars(
        select(ReissueRun)
        .where(ReissueRun.kid == kid, ReissueRun.state.in_(UNFINISHED))
        .execution_options(populate_existing=True)
    ).first()


def check_no_unfinished_run(session: Session, kid: str) -> None:
    """409 ``reissue_running`` while a run of ``kid`` is queued or running."""
    if unfinished_run(session, kid) is not None:
        raise ConflictError(
            "a re-issue of this key is under way", code=IssuerErrorCode.REISSUE_RUNNING
        )


def credentials_to_reissue(session: Session, kid: str) -> int:
    """How many credentials a run planned now would re-issue: ``kid``'s active and
    suspended ones."""
    return session.scalar(select(func.count()).where(*_to_reissue(kid))) or 0


def _to_reissue(kid: str) -> tuple[ColumnElement[bool], ...]:
    return (Credential.kid == kid, Credential.state.in_(TO_REISSUE))


def latest_run(session: Session, kid: str) -> ReissueRun | None:
    """The key's newest run, whatever its state."""
    return session.scalars(
        select(ReissueRun)
        .where(ReissueRun.kid == kid)
        .order_by(ReissueRun.created_at.desc(), ReissueRun.id)
        .limit(1)
    ).first()


def plan_reissue(
    session: Session,
    kid: str,
    *,
    active_kid: str,
    actor: Actor,
    requested_by: str | None,
    approval_id: str | None,
    chunk_size: int,
    now: dt.datetime,
) -> ReissuePlan:
    """Split the key's active and suspended credentials into chunks (flushes).

    A run with nothing to do is ``done`` at once. Refused while ``kid`` is the active key
    (``key_active``) or another run of it is unfinished (``reissue_running``).
    """
    if active_kid == kid:
        raise ConflictError(
            "the key is still the active key; rotate first", code=IssuerErrorCode.KEY_ACTIVE
        )
    lock_writes(session)  # two approvals at once: the second sees the first's run
    check_no_unfinished_run(session, kid)
    run_id = str(uuid.uuid4())
    bounds: list[dict[str, Any]] = []
    keys = session.execute(
        select(Credential.issued_at, Credential.id)
        .where(*_to_reissue(kid))
        .order_by(Credential.issued_at, Credential.id)
        .execution_options(yield_per=10_000)
    )
    for issued_at, credential_id in keys:
        if not bounds or bounds[-1]["planned"] == chunk_size:
            bounds.append(
                {
                    "run_id": run_id,
                    "chunk": len(bounds),
                    "first_issued_at": issued_at,
                    "first_id": credential_id,
                    "planned": 0,
                    "reissued": 0,
                    "skipped": 0,
                }
            )
        last = bounds[-1]
        last["last_issued_at"], last["last_id"] = issued_at, credential_id
        last["planned"] += 1
    total = sum(chunk["planned"] for chunk in bounds)
    session.add(
        ReissueRun(
            id=run_id,
            kid=kid,
            state=ReissueState.QUEUED if bounds else ReissueState.DONE,
            approval_id=approval_id,
            requested_by=requested_by,
            approved_by=actor.name,
            actor=dataclasses.asdict(actor),
            credentials=total,
            chunks=len(bounds),
            created_at=now,
            finished_at=None if bounds else now,
        )
    )
    session.flush()
    for start in range(0, len(bounds), 1000):
        session.execute(insert(ReissueChunk), bounds[start : start + 1000])
    session.flush()
    return ReissuePlan(run_id, kid, total, len(bounds))


def _in_chunk(part: ReissueChunk) -> ColumnElement[bool]:
    """``(issued_at, id)`` between the chunk's first and last keys, both included."""
    after_first = or_(
        Credential.issued_at > part.first_issued_at,
        and_(Credential.issued_at == part.first_issued_at, Credential.id >= part.first_id),
    )
    before_last = or_(
        Credential.issued_at < part.last_issued_at,
        and_(Credential.issued_at == part.last_issued_at, Credential.id <= part.last_id),
    )
    return and_(after_first, before_last)


def reissue_chunk(
    session: Session,
    run_id: str,
    chunk: int,
    *,
    issuer: Callable[[Session], IssuerIdentity],
    now: dt.datetime,
    rng: random.Random | None = None,
) -> bool:
    """Re-issue one chunk's credentials and mark it done (flushes; the caller commits once).

    ``False`` when there was nothing to do: the chunk is done already, or the run is no
    longer queued or running (cancelled, failed). The write lock comes first, so a
    cancellation committed before it is seen, and one after it waits for this chunk.
    """
    lock_writes(session)
    run = session.scalars(
        select(ReissueRun).where(ReissueRun.id == run_id).execution_options(populate_existing=True)
    ).one_or_none()
    if run is None or run.state not in UNFINISHED:
        return False
    part = session.scalars(
        select(ReissueChunk)
        .where(ReissueChunk.run_id == run_id, ReissueChunk.chunk == chunk)
        .execution_options(populate_existing=True)
    ).one_or_none()
    if part is None or part.done_at is not None:
        return False
    if run.state == ReissueState.QUEUED:
        run.state, run.started_at = ReissueState.RUNNING, now
    olds = list(
        session.scalars(
            select(Credential)
            .where(Credential.kid == run.kid, Credential.state.in_(TO_REISSUE), _in_chunk(part))
            .order_by(Credential.issued_at, Credential.id)
            .options(
                selectinload(Credential.holder),
                selectinload(Credential.occupation),
                selectinload(Credential.level),
                selectinload(Credential.unit),
            )
            .with_for_update(of=Credential)
        )
    )
    new_ids = reissue_compromised(
        session, olds, run.kid, issuer=issuer(session), actor=Actor(**run.actor), now=now, rng=rng
    )
    part.reissued, part.skipped = len(new_ids), max(part.planned - len(new_ids), 0)
    part.done_at = now
    session.flush()
    left = session.scalar(
        select(func.count())
        .select_from(ReissueChunk)
        .where(ReissueChunk.run_id == run_id, ReissueChunk.done_at.is_(None))
    )
    if not left:
        run.state, run.finished_at = ReissueState.DONE, now
    session.flush()
    return True


def fail_run(session: Session, run_id: str, *, now: dt.datetime) -> None:
    """The run becomes ``failed`` unless it finished or was cancelled (flushes). What its
    chunks re-issued stays; a new request re-issues the rest."""
    session.execute(
        update(ReissueRun)
        .where(ReissueRun.id == run_id, ReissueRun.state.in_(UNFINISHED))
        .values(state=ReissueState.FAILED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def cancel_reissue(session: Session, kid: str, *, actor: Actor, now: dt.datetime) -> ReissueRun:
    """Stop the key's unfinished run (flushes): its chunks not yet run never are; a chunk
    running right now finishes first (it holds the write lock this waits for). 409
    ``reissue_not_running`` when there is none."""
    lock_writes(session)
    run = unfinished_run(session, kid)
    if run is None:
        raise ConflictError(
            "no re-issue of this key is under way", code=IssuerErrorCode.REISSUE_NOT_RUNNING
        )
    run.state, run.finished_at, run.cancelled_by = ReissueState.CANCELLED, now, actor.name
    progress = reissue_progress(session, run)
    record_event(
        session,
        actor,
        AuditAction.KEY_REISSUE_CANCEL,
        kid,
        now=now,
        details={"run_id": run.id, "done": progress.done, "credentials": run.credentials},
    )
    session.flush()
    return run


def reissue_progress(session: Session, run: ReissueRun) -> ReissueProgress:
    """How far the run got: a sum over its done chunks (at most one row per chunk)."""
    reissued, skipped, chunks = session.execute(
        select(
            func.coalesce(func.sum(ReissueChunk.reissued), 0),
            func.coalesce(func.sum(ReissueChunk.skipped), 0),
            func.count(),
        ).where(ReissueChunk.run_id == run.id, ReissueChunk.done_at.is_not(None))
    ).one()
    return ReissueProgress(int(reissued), int(skipped), int(chunks))
