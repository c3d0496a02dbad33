"""Registrar API: principals, the people and service accounts that hold API tokens.

Admins create them, with at most their own rights; a new admin principal waits for a
second admin (202) and, once approved, its first token is shown to the approver, once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from issuer.access.approvals import request_approval
from issuer.access.policy import grant_needs_approval, require_grant
from issuer.access.principals import (
    create_principal,
    disable_principal,
    get_principal,
    list_principals,
)
from issuer.access.tokens import check_units_exist
from issuer.vocabulary import ApprovalAction
from issuer.web.deps import (
    ActorDep,
    AdminDep,
    OverseerDep,
    ReadSessionDep,
    RowIdPath,
    ServicesDep,
    SessionDep,
)
from issuer.web.media import require_json
from issuer.web.schemas.approvals import ApprovalResponse
from issuer.web.schemas.principals import PrincipalCreateRequest, PrincipalResponse

router = APIRouter(prefix="/api/v1/principals", tags=["principals"])


@router.get("", response_model=list[PrincipalResponse])
def list_all(_reader: OverseerDep, session: ReadSessionDep) -> list[PrincipalResponse]:
    """Every principal, enabled or disabled."""
    return [PrincipalResponse.of(row) for row in list_principals(session)]


@router.get("/{principal_id}", response_model=PrincipalResponse)
def read(
    principal_id: RowIdPath, _reader: OverseerDep, session: ReadSessionDep
) -> PrincipalResponse:
    return PrincipalResponse.of(get_principal(session, principal_id))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PrincipalResponse | ApprovalResponse,
    responses={202: {"model": ApprovalResponse, "description": "waits for a second admin"}},
)
def create(
    caller: AdminDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: PrincipalCreateRequest,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> PrincipalResponse | ApprovalResponse:
    """Create a principal with at most the caller's rights; an admin is a request (202)."""
    require_grant(caller, body.role, body.units)
    now = services.clock()
    if grant_needs_approval(caller, body.role, None):
        check_units_exist(session, body.units)
        approval = request_approval(
            session,
            ApprovalAction.PRINCIPAL_CREATE,
            body.model_dump(mode="json"),
            actor=actor,
            now=now,
        )
        session.commit()
        response.status_code = status.HTTP_202_ACCEPTED
        return ApprovalResponse.of(approval)
    record = create_principal(
        session,
        name=body.name,
        kind=body.kind,
        role=body.role,
        units=body.units,
        actor=actor,
        now=now,
        created_by=caller.principal_id,
    )
    session.commit()
    return PrincipalResponse.of(record)


@router.post("/{principal_id}/disable", response_model=PrincipalResponse)
def disable(
    principal_id: RowIdPath,
    _admin: AdminDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
) -> PrincipalResponse:
    """Disable a principal: every token of it is refused (401) from its next request."""
    record = disable_principal(session, principal_id, actor=actor, now=services.clock())
    session.commit()
    return PrincipalResponse.of(record)
