"""Registrar API: issue, list and read credentials, and their QR codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status
from sqlalchemy.orm import Session

from issuer.access.approvals import request_approval
from issuer.access.idempotency import StoredAnswer, release_key, store_answer
from issuer.access.policy import require_readable, require_unit, unit_scope
from issuer.access.tokens import Principal
from issuer.credentials.issuance import IssueRequest, issue_credentials
from issuer.credentials.lifecycle import (
    find_credential,
    get_credential,
    reinstate_credential,
    revoke_credential,
    revoke_session,
    session_batch,
    suspend_credential,
)
from issuer.credentials.qr import qr_text, render_qr_png, render_qr_svg
from issuer.credentials.reissue import Corrections, reissue_credential
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.models import Credential
from issuer.vocabulary import ApprovalAction
from issuer.web import idempotency
from issuer.web.deps import (
    ActorDep,
    PrincipalDep,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    WriterDep,
)
from issuer.web.media import require_json, wants_jwt
from issuer.web.schemas.approvals import ApprovalResponse
from issuer.web.schemas.credentials import (
    BatchRevokeRequest,
    BatchRevokeResponse,
    CredentialResponse,
    IssueCredentialRequest,
    ReinstateRequest,
    ReissueRequest,
    ReissueResponse,
    StatusChangeRequest,
)
from issuer.web.status_changes import limited_change, over_limit, requester_units
from verifier.format import VC_JWT_MEDIA_TYPE

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])

_JWT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {VC_JWT_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}


def _visible(principal: Principal, row: Credential) -> Credential:
    require_readable(principal, row.unit.code)
    return row


# Every ``{credential_id}`` of the registrar API is the id or the printed certificate number
# (``find_credential``); the public pages take ids only (decision 0034).


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CredentialResponse,
    responses={201: {"content": {VC_JWT_MEDIA_TYPE: {"schema": {"type": "string"}}}}},
)
def issue(
    request: Request,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: IssueCredentialRequest,
    session: SessionDep,
    services: ServicesDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=idempotency.HEADER,
            description="makes a repeat of this request answer as the first, without issuing"
            " again (1-255 printable ASCII characters, kept 24 hours by default)",
        ),
    ] = None,
) -> Response | CredentialResponse:
    """Issue one credential. ``Accept: application/vc+jwt`` answers with the token alone.

    A candidate's exam session has one credential: a second request for it is refused (409
    ``already_issued``, naming the credential; correct it by reissue). With an
    ``Idempotency-Key`` header a repeat of the same request answers as the first did, without
    issuing again (409 while the first is in flight, 422 if the body differs)."""
    require_unit(principal, body.unit)
    issue_request = IssueRequest(
        holder_name=body.holder.name,
        employee_number=body.holder.employee_number,
        national_id=body.holder.national_id,
        birth_date=body.holder.birth_date,
        occupation=body.occupation,
        level=body.level,
        unit=body.unit,
        exam_date=body.exam.date,
        exam_session=body.exam.session,
        score=body.exam.score,
        valid_until=body.valid_until,
        holder_email=body.holder.email,
    )
    held = idempotency.claim(idempotency_key, request, principal, services, body)
    if isinstance(held, StoredAnswer):
        return idempotency.replay(held)
    try:
        [credential_id] = issue_credentials(
            session,
            [issue_request],
            issuer=services.issuer(session),
            actor=actor,
            now=services.clock(),
            exactly_once=True,  # the exam's credential already issued: 409 naming it
            units=unit_scope(principal),
        )
        row = get_credential(session, credential_id)
        location = {"Location": f"/api/v1/credentials/{credential_id}"}
        if wants_jwt(request):
            answer = Response(
                row.jws, status_code=201, media_type=VC_JWT_MEDIA_TYPE, headers=location
            )
        else:
            answer = Response(
                CredentialResponse.of(row, services.base_url).model_dump_json(),
                status_code=201,
                media_type="application/json",
                headers=location,
            )
        if held is not None:
            store_answer(session, held, idempotency.answer_of(answer))
        session.commit()
    except BaseException:
        session.rollback()
        if held is not None:
            release_key(services.sessions, held)
        raise
    return answer


@router.get("/{credential_id}", response_model=CredentialResponse, responses=_JWT_RESPONSE)
def read(
    credential_id: str,
    request: Request,
    principal: PrincipalDep,
    session: ReadSessionDep,
    services: ServicesDep,
) -> Response | CredentialResponse:
    """One credential with its signed token and QR text."""
    row = _visible(principal, find_credential(session, credential_id))
    if wants_jwt(request):
        return Response(row.jws, media_type=VC_JWT_MEDIA_TYPE)
    return CredentialResponse.of(row, services.base_url)


@router.get(
    "/{credential_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def qr_png(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The QR code (the packed verify URL), PNG, error correction M, 8 pixels per module."""
    row = _visible(principal, find_credential(session, credential_id))
    return Response(render_qr_png(qr_text(services.base_url, row.jws)), media_type="image/png")


@router.get(
    "/{credential_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def qr_svg(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The QR code (the packed verify URL) as SVG, 40 mm wide without the quiet zone."""
    row = _visible(principal, find_credential(session, credential_id))
    return Response(render_qr_svg(qr_text(services.base_url, row.jws)), media_type="image/svg+xml")


def _change_state(
    credential_id: str,
    principal: Principal,
    session: Session,
    services: Services,
    change: Callable[[str], object],
) -> CredentialResponse:
    """Apply one lifecycle change to a credential of the caller's units and commit it."""
    row = find_credential(session, credential_id)
    require_unit(principal, row.unit.code)
    row_id = row.id
    change(row_id)
    session.commit()
    return CredentialResponse.of(get_credential(session, row_id), services.base_url)


def _limited_change(
    credential_id: str,
    action: ApprovalAction,
    principal: Principal,
    actor: Actor,
    body: StatusChangeRequest,
    session: Session,
    services: Services,
    response: Response,
    change: Callable[[str], object],
) -> CredentialResponse | ApprovalResponse:
    """A revocation or suspension: carried out at once within the caller's limit, past it a
    request for a second admin (202) that changes nothing yet (issuer/web/status_changes.py)."""
    row = find_credential(session, credential_id)
    require_unit(principal, row.unit.code)
    row_id = row.id
    fields = body.model_dump(exclude_none=True)
    approval = limited_change(session, services, principal, actor, row, action, fields, change)
    session.commit()
    if approval is not None:
        response.status_code = status.HTTP_202_ACCEPTED
        return ApprovalResponse.of(approval)
    return CredentialResponse.of(get_credential(session, row_id), services.base_url)


_LIMITED: dict[int | str, dict[str, Any]] = {
    202: {"model": ApprovalResponse, "description": "past the limit: waits for a second admin"}
}


@router.post(
    "/{credential_id}/revoke",
    response_model=CredentialResponse | ApprovalResponse,
    responses=_LIMITED,
)
def revoke(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: StatusChangeRequest,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> CredentialResponse | ApprovalResponse:
    """Revoke for good, with a reason code; the status list shows it at once. Past
    ``TESSERA_BATCH_APPROVAL_THRESHOLD`` revocations and suspensions in the window it waits
    for a second admin (202)."""
    return _limited_change(
        credential_id,
        ApprovalAction.CREDENTIAL_REVOKE,
        principal,
        actor,
        body,
        session,
        services,
        response,
        lambda cid: revoke_credential(
            session, cid, reason=body.reason, note=body.note, actor=actor, now=services.clock()
        ),
    )


@router.post(
    "/{credential_id}/suspend",
    response_model=CredentialResponse | ApprovalResponse,
    responses=_LIMITED,
)
def suspend(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: StatusChangeRequest,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> CredentialResponse | ApprovalResponse:
    """Suspend (reversible): the suspension twin list shows it at once (decision 0008).
    Counted with revocations against the caller's limit (202 past it)."""
    return _limited_change(
        credential_id,
        ApprovalAction.CREDENTIAL_SUSPEND,
        principal,
        actor,
        body,
        session,
        services,
        response,
        lambda cid: suspend_credential(
            session, cid, reason=body.reason, note=body.note, actor=actor, now=services.clock()
        ),
    )


@router.post("/{credential_id}/reinstate", response_model=CredentialResponse)
def reinstate(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: ReinstateRequest,
    session: SessionDep,
    services: ServicesDep,
) -> CredentialResponse:
    """Lift a suspension: the credential verifies as valid again."""
    return _change_state(
        credential_id,
        principal,
        session,
        services,
        lambda cid: reinstate_credential(
            session, cid, note=body.note, actor=actor, now=services.clock()
        ),
    )


@router.post(
    "/{credential_id}/reissue", status_code=status.HTTP_201_CREATED, response_model=ReissueResponse
)
def reissue(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: ReissueRequest,
    session: SessionDep,
    services: ServicesDep,
) -> ReissueResponse:
    """Issue a corrected or upgraded replacement; the old one becomes ``superseded``."""
    row = find_credential(session, credential_id)
    old_id = row.id
    require_unit(principal, row.unit.code)
    if body.unit is not None:
        require_unit(principal, body.unit)
    corrections = Corrections(**body.model_dump(exclude={"reason", "note"}, exclude_none=True))
    new = reissue_credential(
        session,
        old_id,
        corrections,
        reason=body.reason,
        note=body.note,
        issuer=services.issuer(session),
        actor=actor,
        now=services.clock(),
        units=unit_scope(principal),
    )
    new_id = new.id
    session.commit()
    base = services.base_url
    return ReissueResponse(
        superseded=CredentialResponse.of(get_credential(session, old_id), base),
        credential=CredentialResponse.of(get_credential(session, new_id), base),
    )


@router.post("/batch-revoke", response_model=BatchRevokeResponse)
def batch_revoke(
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: BatchRevokeRequest,
    session: SessionDep,
    services: ServicesDep,
    response: Response,
) -> BatchRevokeResponse:
    """Revoke a whole exam session in one transaction; past
    ``TESSERA_BATCH_APPROVAL_THRESHOLD`` revocations and suspensions in the window (this
    batch's and the caller's earlier ones) it waits for a second admin (202)."""
    batch = session_batch(session, body.exam_session)
    for unit_code in sorted(batch.unit_codes):
        require_unit(principal, unit_code)
    now = services.clock()
    if over_limit(session, services, principal, len(batch.credential_ids), now):
        params = {
            **body.model_dump(exclude_none=True),
            "count": len(batch.credential_ids),
            "units": requester_units(principal),
        }
        approval = request_approval(
            session, ApprovalAction.CREDENTIAL_BATCH_REVOKE, params, actor=actor, now=now
        )
        session.commit()
        response.status_code = status.HTTP_202_ACCEPTED
        return BatchRevokeResponse(approval=ApprovalResponse.of(approval))
    revoked = revoke_session(
        session, body.exam_session, reason=body.reason, note=body.note, actor=actor, now=now
    )
    session.commit()
    return BatchRevokeResponse(revoked=len(revoked), credential_ids=revoked)
