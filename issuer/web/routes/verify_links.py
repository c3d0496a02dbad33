"""The verify URL a QR code holds: the token for machines, the verify page for people."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from issuer.credentials.lifecycle import get_credential
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.media import wants_jwt
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.result import CheckCode, CredentialStatus
from verifier.web.page import render_verify_page

router = APIRouter(tags=["verify page"])


@router.get(
    "/v/{credential_id}",
    response_class=HTMLResponse,
    responses={
        200: {"content": {VC_JWT_MEDIA_TYPE: {}}},
        404: {
            "description": "Unknown credential: the page says so (HTML), or a problem document",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
        503: {
            "description": "The credential store is unavailable: the page says to try again",
            "content": {"text/html": {}, "application/problem+json": {}},
        },
    },
)
async def verify_page(
    credential_id: str, request: Request, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """``Accept: application/vc+jwt`` gives the signed credential; a browser gets the page,
    with the verdict of the same checks any outside verifier runs."""
    if wants_jwt(request):
        row = await run_in_threadpool(get_credential, session, credential_id)
        return Response(
            row.jws,
            media_type=VC_JWT_MEDIA_TYPE,
            headers={"Cache-Control": "no-store", "Vary": "Accept"},
        )
    url = services.urls.verify_page(credential_id)
    result = await run_in_threadpool(request.app.state.verifier.verify_submission, url)
    result = await run_in_threadpool(request.app.state.certificate_numbers, result)
    request.app.state.metrics.observe_verification(result)
    located = not any(c.code == CheckCode.LOCATE and not c.passed for c in result.checks)
    unavailable = result.status is CredentialStatus.UNAVAILABLE
    return HTMLResponse(
        render_verify_page(result),
        status_code=200 if located else (503 if unavailable else 404),
        headers={"Cache-Control": "no-store", "Vary": "Accept"},
    )
