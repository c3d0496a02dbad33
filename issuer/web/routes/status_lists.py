"""Public status documents beyond the revocation list: its suspension twin, the same list
as an IETF Token Status List, and the per-credential status detail (reason category,
successor) that a bit cannot carry.

See docs/decisions/0008-suspension.md, 0009-superseded-and-compromised-keys.md and
0056-sd-jwt-vc.md.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from issuer.credentials.claims import xsd_datetime
from issuer.credentials.lifecycle import get_credential
from issuer.credentials.status_list import PublishedList
from issuer.services import Services
from issuer.vocabulary import CredentialState
from issuer.web.deps import ReadSessionDep, RowIdPath, ServicesDep
from verifier.format import STATUS_PURPOSE_SUSPENSION, VC_JWT_MEDIA_TYPE
from verifier.token_status_list import STATUS_LIST_JWT_MEDIA_TYPE

router = APIRouter(tags=["public"])


@router.get(
    "/status/{list_id}/suspension",
    response_class=Response,
    responses={200: {"content": {VC_JWT_MEDIA_TYPE: {}}}, 304: {"description": "unchanged"}},
)
def suspension_list(list_id: RowIdPath, request: Request, services: ServicesDep) -> Response:
    """The signed ``suspension`` twin of ``/status/{list_id}``: same indexes, same caching."""
    return published_list_response(request, services, list_id, purpose=STATUS_PURPOSE_SUSPENSION)


@router.get(
    "/status/{list_id}/tsl",
    response_class=Response,
    responses={
        200: {"content": {STATUS_LIST_JWT_MEDIA_TYPE: {}}},
        304: {"description": "unchanged"},
    },
)
def token_status_list(list_id: RowIdPath, request: Request, services: ServicesDep) -> Response:
    """``/status/{list_id}`` as an IETF Token Status List (``application/statuslist+jwt``):
    2 bits per index, 0 valid, 1 revoked, 2 suspended; what SD-JWT VCs name."""
    published = services.published_token_status_list(list_id)
    return _signed_response(request, published, STATUS_LIST_JWT_MEDIA_TYPE)


def published_list_response(
    request: Request, services: Services, list_id: int, *, purpose: str
) -> Response:
    """A signed status list with ``ETag`` (304 on ``If-None-Match``) and ``Cache-Control``
    for its ``ttl``; CORS open, as for every public document."""
    published = services.published_list(list_id, purpose=purpose)
    return _signed_response(request, published, VC_JWT_MEDIA_TYPE)


def _signed_response(request: Request, published: PublishedList, media_type: str) -> Response:
    etag = f'"{published.etag}"'
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={published.ttl_seconds}",
        "Access-Control-Allow-Origin": "*",
    }
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(published.jws, media_type=media_type, headers=headers)


@router.get("/credentials/{credential_id}/status")
def credential_status(
    credential_id: str, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The state, reason category, successor and date of the last change of one
    credential, for verifiers that hold it (its id is in the credential). Never the
    registrar's free-text note."""
    row = get_credential(session, credential_id)
    changed_at = row.state_changed_at if row.state != CredentialState.ACTIVE else None
    body = {
        "id": f"urn:uuid:{row.id}",
        "state": row.state,
        "reason": row.state_reason if row.state != CredentialState.ACTIVE else None,
        "superseded_by": (
            services.urls.verify_page(row.replaced_by_id) if row.replaced_by_id else None
        ),
        "changed_at": xsd_datetime(changed_at) if changed_at is not None else None,
    }
    return JSONResponse(
        body, headers={"Cache-Control": "public, max-age=60", "Access-Control-Allow-Origin": "*"}
    )
