"""Registrar API: API tokens (admin only). The token itself is shown once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from issuer.access.tokens import (
    check_units_exist,
    create_token,
    list_tokens,
    revoke_token,
    token_state,
)
from issuer.store.audit import record_event
from issuer.vocabulary import AuditAction, TokenState
from issuer.web.deps import ActorDep, AdminDep, ReadSessionDep, RowIdPath, ServicesDep, SessionDep
from issuer.web.media import require_json
from issuer.web.schemas.tokens import TokenCreatedResponse, TokenCreateRequest, TokenResponse

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])


@router.get("", response_model=list[TokenResponse])
def list_all(
    _admin: AdminDep, session: ReadSessionDep, services: ServicesDep
) -> list[TokenResponse]:
    """Every token with its state (never the token itself)."""
    now = services.clock()
    return [TokenResponse.of(row, token_state(row, now)) for row in list_tokens(session)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TokenCreatedResponse)
def create(
    _admin: AdminDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: TokenCreateRequest,
    session: SessionDep,
    services: ServicesDep,
) -> TokenCreatedResponse:
    """Create a token with a role, units (registrars) and an optional expiry."""
    now = services.clock()
    check_units_exist(session, body.units)
    record, plain = create_token(
        session,
        name=body.name,
        role=body.role,
        units=body.units,
        now=now,
        expires_at=body.expires_at,
    )
    record_event(
        session,
        actor,
        AuditAction.TOKEN_CREATE,
        f"token:{record.id}",
        now=now,
        details={"role": record.role, "units": record.units},
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
