"""Registrar API: issue, list and read credentials, and their QR codes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from issuer.deps import (
    ActorDep,
    PrincipalDep,
    ReadSessionDep,
    ServicesDep,
    SessionDep,
    WriterDep,
    require_unit,
)
from issuer.errors import PermissionDeniedError
from issuer.issuance import IssueRequest, issue_credentials
from issuer.models import Credential
from issuer.qr import render_qr_png, render_qr_svg
from issuer.registry import get_credential, list_credentials, revoke_credential
from issuer.routes.media import require_json, wants_jwt
from issuer.schemas import (
    CredentialPage,
    CredentialResponse,
    IssueCredentialRequest,
    StatusChangeRequest,
    verify_url,
)
from issuer.tokens import Principal
from verifier.format import VC_JWT_MEDIA_TYPE

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])

_JWT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {VC_JWT_MEDIA_TYPE: {"schema": {"type": "string"}}}}
}


def _visible(principal: Principal, row: Credential) -> Credential:
    if principal.role == "registrar" and row.unit.code not in principal.units:
        raise PermissionDeniedError("this token may not see that unit's credentials")
    return row


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
) -> Response | CredentialResponse:
    """Issue one credential. ``Accept: application/vc+jwt`` answers with the token alone."""
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
    )
    [credential_id] = issue_credentials(
        session, [issue_request], issuer=services.issuer(session), actor=actor, now=services.clock()
    )
    session.commit()
    row = get_credential(session, credential_id)
    location = {"Location": f"/api/v1/credentials/{credential_id}"}
    if wants_jwt(request):
        return Response(row.jws, status_code=201, media_type=VC_JWT_MEDIA_TYPE, headers=location)
    response = CredentialResponse.of(row, services.settings.base_url)
    return Response(
        response.model_dump_json(), status_code=201, media_type="application/json", headers=location
    )


@router.get("", response_model=CredentialPage)
def list_all(
    principal: PrincipalDep,
    session: ReadSessionDep,
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CredentialPage:
    """A page of credentials, newest first; registrars see their units only."""
    units = principal.units if principal.role == "registrar" else None
    rows, total = list_credentials(session, limit=limit, offset=offset, units=units)
    base = services.settings.base_url
    return CredentialPage(items=[CredentialResponse.of(r, base) for r in rows], total=total)


@router.get("/{credential_id}", response_model=CredentialResponse, responses=_JWT_RESPONSE)
def read(
    credential_id: str,
    request: Request,
    principal: PrincipalDep,
    session: ReadSessionDep,
    services: ServicesDep,
) -> Response | CredentialResponse:
    """One credential with its signed token and QR text."""
    row = _visible(principal, get_credential(session, credential_id))
    if wants_jwt(request):
        return Response(row.jws, media_type=VC_JWT_MEDIA_TYPE)
    return CredentialResponse.of(row, services.settings.base_url)


@router.get(
    "/{credential_id}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def qr_png(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The QR code (the verify URL), PNG, error correction M, 8 pixels per module."""
    row = _visible(principal, get_credential(session, credential_id))
    return Response(
        render_qr_png(verify_url(services.settings.base_url, row.id)), media_type="image/png"
    )


@router.get(
    "/{credential_id}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def qr_svg(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The QR code (the verify URL) as SVG."""
    row = _visible(principal, get_credential(session, credential_id))
    return Response(
        render_qr_svg(verify_url(services.settings.base_url, row.id)), media_type="image/svg+xml"
    )


@router.post("/{credential_id}/revoke", response_model=CredentialResponse)
def revoke(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    _json: Annotated[None, require_json],
    body: StatusChangeRequest,
    session: SessionDep,
    services: ServicesDep,
) -> CredentialResponse:
    """Revoke for good, with a reason code; the status list shows it at once."""
    row = get_credential(session, credential_id)
    require_unit(principal, row.unit.code)
    revoke_credential(
        session, row.id, reason=body.reason, note=body.note, actor=actor, now=services.clock()
    )
    session.commit()
    return CredentialResponse.of(get_credential(session, credential_id), services.settings.base_url)
