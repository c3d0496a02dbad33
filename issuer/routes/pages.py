"""The verify URL a QR code holds: the token for machines, the verify page for people."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from issuer.deps import SessionDep
from issuer.registry import get_credential
from issuer.routes.media import wants_jwt
from verifier.format import VC_JWT_MEDIA_TYPE

router = APIRouter(tags=["verify page"])


@router.get(
    "/v/{credential_id}",
    response_class=HTMLResponse,
    responses={200: {"content": {VC_JWT_MEDIA_TYPE: {}}}},
)
def verify_url(credential_id: str, request: Request, session: SessionDep) -> Response:
    """``Accept: application/vc+jwt`` gives the signed credential; a browser gets the page."""
    row = get_credential(session, credential_id)
    if wants_jwt(request):
        return Response(
            row.jws, media_type=VC_JWT_MEDIA_TYPE, headers={"Cache-Control": "no-store"}
        )
    return HTMLResponse(f"<!doctype html><title>{html.escape(row.number)}</title>")
