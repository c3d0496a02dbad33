"""Registrar API: API tokens of principals. The token itself is shown once, at creation.

Anyone may create a token for their own principal within their rights; admins for other
principals too. A token for another admin principal waits for a second admin (202).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from issuer.access.approvals import request_approval
from issuer.access.policy import grant_needs_approval, require_grant, require_token_for
from issuer.access.principals import get_principal, issue_token
from issuer.access.tokens import list_tokens, revoke_token, token_state
from issuer.store.audit import record_event
from issuer.vocabulary import ApprovalAction, AuditAction, TokenState
from issuer.web.deps import (
    ActorDep,
    AdminDep,
    PrincipalDep,
    ReadSessionDep,
    RowIdPath,
    ServicesDep,
    SessionDep,
)
from issuer.web.media import require_json
from issuer.web.schemas.approvals import ApprovalResponse
from issuer.web.schemas.tokens import TokenCreatedResponse, TokenCreateRequest, TokenResponse

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


@router.get("", response_model=list[TokenResponse])
def list_all(
    _admin: AdminDep, session: ReadSessionDep, services: ServicesDep
) -> list[TokenResponse]:
    """Every token with its state (never the token itself)."""
    now = services.clock()
    return [TokenResponse.of(row, token_state(row, now)) for row in list_tokens(session)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenCreatedResponse | ApprovalResponse,
    responses={202: {"model": ApprovalResponse, "description": "waits for a second admin"}},
)
def create(
    caller: PrincipalDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: TokenCreateRequest,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> TokenCreatedResponse | ApprovalResponse:
    """Create a token for a principal (default the caller's own) with at most its rights
    and the caller's; a token for another admin principal is a request (202)."""
    now = services.clock()
    owner = get_principal(session, body.principal_id or caller.principal_id)
    require_token_for(caller, owner)
    role = body.role or owner.role
    units = list(owner.units) if body.units is None else body.units
    require_grant(caller, role, units)
    if grant_needs_approval(caller, owner.role, owner.id):
        params = {
            "principal_id": owner.id,
            "name": body.name,
            "role": role,
            "units": units,
            "expires_at": body.expires_at.isoformat() if body.expires_at else None,
        }
        approval = request_approval(
            session, ApprovalAction.TOKEN_CREATE, params, actor=actor, now=now
        )
        session.commit()
        response.status_code = status.HTTP_202_ACCEPTED
        return ApprovalResponse.of(approval)
    record, plain = issue_token(
        session,
        owner,
        name=body.name,
        role=role,
        units=units,
        actor=actor,
        now=now,
        expires_at=body.expires_at,
    )
    session.commit()
    return TokenCreatedResponse(
        **TokenResponse.of(record, TokenState.ACTIVE).model_dump(), token=plain
    )


@router.post("/{token_id}/revoke", response_model=TokenResponse)
def revoke(
    token_id: RowIdPath,
    _admin: AdminDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
) -> TokenResponse:
    """Revoke a token: the next request with it is refused (401)."""
    now = services.clock()
    record = revoke_token(session, token_id, now=now)
    record_event(session, actor, AuditAction.TOKEN_REVOKE, f"token:{token_id}", now=now)
    session.commit()
    return TokenResponse.of(record, token_state(record, now))
