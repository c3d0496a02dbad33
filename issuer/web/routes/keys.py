"""Signing keys: the admin API (every change through maker-checker) and the public list of
compromised keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Response, status
from fastapi.responses import JSONResponse

from issuer.access.approvals import request_approval
from issuer.credentials.reissue_runs import cancel_reissue, latest_run, reissue_progress
from issuer.errors import NotFoundError
from issuer.keys.jwks import compromised_keys_document
from issuer.keys.keystore import get_key, list_keys
from issuer.vocabulary import ApprovalAction
from issuer.web.deps import (
    ActorDep,
    AdminDep,
    OverseerDep,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    TaskQueueDep,
)
from issuer.web.media import require_json
from issuer.web.schemas.approvals import ApprovalResponse
from issuer.web.schemas.keys import CompromiseKeyRequest, KeyResponse, ReissueRunResponse

router = APIRouter(prefix="/api/v1/keys", tags=["keys"])
public_router = APIRouter(tags=["public"])

COMPROMISED_KEYS_PATH = "/compromised-keys.json"


@router.get("", response_model=list[KeyResponse])
def list_all(_reader: OverseerDep, session: ReadSessionDep) -> list[KeyResponse]:
    """Every key with its state: active, retired or compromised."""
    return [KeyResponse.model_validate(row, from_attributes=True) for row in list_keys(session)]


@router.post("/rotate", status_code=status.HTTP_202_ACCEPTED, response_model=ApprovalResponse)
def rotate(
    _admin: AdminDep, actor: ActorDep, session: SessionDep, services: ServicesDep
) -> ApprovalResponse:
    """Request a new active key; a second admin's approval carries it out."""
    approval = request_approval(
        session, ApprovalAction.KEY_ROTATE, {}, actor=actor, now=services.clock()
    )
    session.commit()
    return ApprovalResponse.of(approval)


@router.post(
    "/{kid}/compromise", status_code=status.HTTP_202_ACCEPTED, response_model=ApprovalResponse
)
def compromise(
    kid: str,
    _admin: AdminDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: CompromiseKeyRequest,
    session: SessionDep,
    services: ServicesDep,
) -> ApprovalResponse:
    """Request marking ``kid`` compromised as of ``compromised_at`` (maker-checker)."""
    params = {"kid": kid, "compromised_at": body.compromised_at.isoformat()}
    if body.note:
        params["note"] = body.note
    approval = request_approval(
        session, ApprovalAction.KEY_COMPROMISE, params, actor=actor, now=services.clock()
    )
    session.commit()
    return ApprovalResponse.of(approval)


@router.post(
    "/{kid}/reissue", status_code=status.HTTP_202_ACCEPTED, response_model=ApprovalResponse
)
def reissue_compromised(
    kid: str, _admin: AdminDep, actor: ActorDep, session: SessionDep, services: ServicesDep
) -> ApprovalResponse:
    """Request re-issuing every credential the compromised ``kid`` signed (maker-checker)."""
    get_key(session, kid)
    approval = request_approval(
        session,
        ApprovalAction.KEY_REISSUE_COMPROMISED,
        {"kid": kid},
        actor=actor,
        now=services.clock(),
    )
    session.commit()
    return ApprovalResponse.of(approval)


@router.get("/{kid}/reissue", response_model=ReissueRunResponse)
def reissue_progress_of(
    kid: str, _reader: OverseerDep, session: ReadSessionDep
) -> ReissueRunResponse:
    """The key's newest re-issue run and how far it got (404 before any)."""
    get_key(session, kid)
    run = latest_run(session, kid)
    if run is None:
        raise NotFoundError("no re-issue of this key was approved")
    return ReissueRunResponse.of(run, reissue_progress(session, run))


@router.post("/{kid}/reissue/cancel", response_model=ReissueRunResponse)
def cancel_reissue_run(
    kid: str,
    _admin: AdminDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
    queue: TaskQueueDep,
    background: BackgroundTasks,
) -> ReissueRunResponse:
    """Stop the key's re-issue run: chunks not yet run never are (one running now finishes
    first); 409 ``reissue_not_running`` when none is queued or running. Re-issuing the rest
    takes a new request and approval."""
    get_key(session, kid)
    run = cancel_reissue(session, kid, actor=actor, now=services.clock())
    session.commit()
    background.add_task(queue.cancel_reissue, run.id)
    return ReissueRunResponse.of(run, reissue_progress(session, run))


@public_router.get(COMPROMISED_KEYS_PATH)
def compromised_keys(session: ReadSessionDep, services: ServicesDep) -> Response:
    """Keys this issuer no longer vouches for, with the time of compromise (public)."""
    return JSONResponse(
        compromised_keys_document(session, services.base_url),
        headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"},
    )
