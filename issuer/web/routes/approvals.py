"""Registrar API: maker-checker requests (list: admin and auditor; decide: another admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from issuer.access.approvals import Operator, approve, get_approval, list_approvals, reject
from issuer.services import Services
from issuer.vocabulary import ApprovalState
from issuer.web.deps import (
    MAX_ROW_ID,
    ActorDep,
    AdminDep,
    OverseerDep,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    TaskQueueDep,
)
from issuer.web.schemas.approvals import ApprovalPage, ApprovalResponse

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])


def operator_of(services: Services) -> Operator:
    """What an approved action may use: this process's key store and signer."""
    settings = services.settings
    return Operator(
        keys_dir=settings.keys_dir,
        passphrase=settings.read_passphrase,
        key_algorithm=settings.key_algorithm,
        issuer=services.issuer,
        reissue_chunk_size=settings.reissue_chunk_size,
    )


@router.get("", response_model=ApprovalPage)
def list_all(
    _reader: OverseerDep,
    session: ReadSessionDep,
    state: Annotated[ApprovalState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
) -> ApprovalPage:
    """Requests, newest first, optionally of one state."""
    rows, total = list_approvals(session, state=state, limit=limit, offset=offset)
    return ApprovalPage(items=[ApprovalResponse.of(r) for r in rows], total=total)


@router.get("/{approval_id}", response_model=ApprovalResponse)
def read(approval_id: str, _reader: OverseerDep, session: ReadSessionDep) -> ApprovalResponse:
    return ApprovalResponse.of(get_approval(session, approval_id))


@router.post("/{approval_id}/approve", response_model=ApprovalResponse)
def approve_request(
    approval_id: str,
    _admin: AdminDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> ApprovalResponse:
    """Approve another principal's request and carry it out, in one transaction. An approved
    admin principal or token comes with its API token (``token``), shown this once. An
    approved re-issue is planned here and run by jobs (``result.progress`` follows it)."""
    decision = approve(
        session, approval_id, actor=actor, operator=operator_of(services), now=services.clock()
    )
    session.commit()
    if decision.reissue is not None:
        background.add_task(queue.start_reissue, decision.reissue)
    return ApprovalResponse.of(decision.approval, decision.token)


@router.post("/{approval_id}/reject", response_model=ApprovalResponse)
def reject_request(
    approval_id: str, _admin: AdminDep, actor: ActorDep, session: SessionDep, services: ServicesDep
) -> ApprovalResponse:
    """Reject a request: nothing is carried out."""
    row = reject(session, approval_id, actor=actor, now=services.clock())
    session.commit()
    return ApprovalResponse.of(row)
