"""The verify URL a QR code holds: the token for machines, the verify page for people.

The page speaks the language asked for (``?lang=``, ``Accept-Language``; both by default) and
shows times in the issuer's time zone (its profile's ``time_zone``), decisions 0047 and 0049.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from issuer.credentials.lifecycle import get_credential
from issuer.services import Services
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.media import wants_jwt
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.local_time import DEFAULT_TIME_ZONE, UnknownTimeZoneError, time_zone
from verifier.result import CheckCode, CredentialStatus
from verifier.web.api import request_lang
from verifier.web.page import render_verify_page

router = APIRouter(tags=["verify page"])


def profile_time_zone(services: Services) -> str:
    """The issuer's time zone (its profile's), for the pages that show times."""
    with services.read_sessions() as session:
        return services.profile(session).time_zone


def _zone(name: str) -> ZoneInfo:
    try:
        return time_zone(name)
    except UnknownTimeZoneError:  # the profile refuses unknown zones; an old row may not
        return time_zone(DEFAULT_TIME_ZONE)


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
    zone = _zone(services.profile(session).time_zone)
    located = not any(c.code == CheckCode.LOCATE and not c.passed for c in result.checks)
    unavailable = result.status is CredentialStatus.UNAVAILABLE
    return HTMLResponse(
        render_verify_page(
            result, lang=request_lang(request), time_zone=zone, page_path=request.url.path
        ),
        status_code=200 if located else (503 if unavailable else 404),
        headers={"Cache-Control": "no-store", "Vary": "Accept, Accept-Language"},
    )
