"""The holder's share page (``/s/{token}``): see the credential, download it, add it to LinkedIn.

The page runs the verify page's verification (the app's one ``Verifier``, on the credential's
verify URL) and heads with the same verdict (``verifier.web.page.VERDICTS``). Downloads and
the LinkedIn link are offered, and served, only while that verdict is ``valid``: for any
other the page says what happened (reason and date, the replacement's verify page, the end
of validity) and the files answer 409 ``credential_not_in_force``. A revoked link answers 410
Gone with a plain page (decision 0031).

No template engine and no third-party assets (the CSS is this server's own ``/s/share.css``,
no scripts, no fonts, no images from elsewhere); every value goes through ``html.escape``.
The LinkedIn link is an ordinary link that the holder chooses to follow; its ``certUrl`` is
the public verify page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from issuer.documents.credential_document import (
    CredentialDocument,
    document_filename,
    profile_document,
)
from issuer.documents.share_link import (
    RevokedShareLinkError,
    count_share_open,
    live_share_link,
    resolve_share_link,
)
from issuer.errors import ConflictError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.routes.documents import (
    badge_png_response,
    badge_svg_response,
    card_response,
    certificate_response,
)
from issuer.web.share_page import SharedCredential, render_share_page, revoked_link_html
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.result import CredentialStatus, VerificationResult
from verifier.web.problem_response import PROBLEM_MEDIA_TYPE

log = logging.getLogger(__name__)
router = APIRouter(prefix="/s", tags=["holder share links"])
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_STYLESHEET = files("issuer.web").joinpath("static/share.css").read_bytes()


def _shared(
    request: Request, services: Services, session: ReadSessionDep, token: str
) -> SharedCredential:
    row = resolve_share_link(session, token)
    profile = services.profile(session)
    # Without the holder's photo: a share link goes to whoever the holder gives it to.
    document = profile_document(row, base_url=services.base_url, profile=profile)
    result: VerificationResult = request.app.state.verifier.verify_submission(document.verify_url)
    moments = {
        CredentialStatus.REVOKED: row.state_changed_at,
        CredentialStatus.SUSPENDED: row.state_changed_at,
        CredentialStatus.SUPERSEDED: row.state_changed_at,
        CredentialStatus.EXPIRED: row.valid_until,
        CredentialStatus.NOT_YET_VALID: row.valid_from,
    }
    moment = moments.get(result.status)
    return SharedCredential(document, result, moment.date() if moment is not None else None)


def revoked_link_page() -> HTMLResponse:
    """410 Gone: a plain page for a link that was revoked (nothing about the credential)."""
    return HTMLResponse(revoked_link_html(), status_code=410, headers=_HEADERS)


@router.get("/share.css", include_in_schema=False)
def share_stylesheet() -> Response:
    """The share page's CSS (declared before ``/{token}``, so it is never read as a token)."""
    return Response(
        _STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}  # issuer/web/openapi.py
_GONE: dict[int | str, dict[str, Any]] = {
    410: {"description": "The link was revoked (a plain page)", "content": {"text/html": {}}}
}
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_GONE,
    409: {
        "description": "The credential is not in force (`credential_not_in_force`)",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM}},
    },
}


@router.get("/{token}", response_class=HTMLResponse, responses=_GONE)
def share_page(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> HTMLResponse:
    """The holder's page with the verify page's verdict; 404 for unknown links, 410 for
    revoked ones. Opening a link whose holder asked to be told is counted, and the holder
    notified (decision 0030)."""
    try:
        shared = _shared(request, services, session, token)
    except RevokedShareLinkError:
        return revoked_link_page()
    if services.settings.notices_on and live_share_link(session, token).notify_on_open:
        _count_open(services, token)
    return HTMLResponse(render_share_page(shared, token), headers=_HEADERS)


def _count_open(services: Services, token: str) -> None:
    """Count the opening in a short transaction of its own; a failure never fails the page."""
    try:
        with session_scope(services.sessions) as session:
            count_share_open(session, token, now=services.clock())
    except (SQLAlchemyError, NotFoundError) as exc:  # revoked meanwhile, or a busy database
        log.warning("share link opening not counted: %s", type(exc).__name__)


def _download(
    request: Request,
    services: Services,
    session: ReadSessionDep,
    token: str,
    respond: Callable[[CredentialDocument], Response],
) -> Response:
    """``respond`` for a credential in force; 409 for one that is not, 410 for a revoked link."""
    try:
        shared = _shared(request, services, session, token)
    except RevokedShareLinkError:
        return revoked_link_page()
    status = shared.result.status
    if not status.in_force:
        raise ConflictError(
            f"the credential is {status.value}: its files are not offered",
            code=IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE,
        )
    return respond(shared.document)


def _jwt_response(document: CredentialDocument) -> Response:
    """The signed credential as a file (OB 3.0: a ``.jwt`` file holds the compact JWS)."""
    headers = {
        **_HEADERS,
        "Content-Disposition": f'attachment; filename="{document_filename(document, "jwt")}"',
    }
    return Response(document.jws, media_type=VC_JWT_MEDIA_TYPE, headers=headers)


@router.get("/{token}/credential.jwt", response_class=Response, responses=_FILE_RESPONSES)
def share_jwt(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The signed credential as a file (OB 3.0: a ``.jwt`` file holds the compact JWS)."""
    return _download(request, services, session, token, _jwt_response)


@router.get("/{token}/badge.png", response_class=Response, responses=_FILE_RESPONSES)
def share_badge_png(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    return _download(request, services, session, token, badge_png_response)


@router.get("/{token}/badge.svg", response_class=Response, responses=_FILE_RESPONSES)
def share_badge_svg(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    return _download(request, services, session, token, badge_svg_response)


@router.get("/{token}/certificate.pdf", response_class=Response, responses=_FILE_RESPONSES)
def share_certificate(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    return _download(request, services, session, token, certificate_response)


@router.get("/{token}/card.pdf", response_class=Response, responses=_FILE_RESPONSES)
def share_card(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The wallet card (ID-1), only while the credential is in force."""
    return _download(request, services, session, token, card_response)
