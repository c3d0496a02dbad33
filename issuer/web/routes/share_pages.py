"""The share pages (``/s/{token}``): see the credential, download it, pass it on.

The page runs the verify page's verification (the app's one ``Verifier``, on the credential's
verify URL) and heads with the same verdict (``verifier.web.page.VERDICTS``). Downloads and
the LinkedIn link are offered, and served, only while that verdict is ``valid``: for any
other the page says what happened (reason and date, the replacement's verify page, the end
of validity) and the files answer 409 ``credential_not_in_force``. A revoked or expired link
answers 410 Gone with a plain page (decisions 0031, 0050).

The holder's own link shows their view links (made, counted and revoked through
``issuer/web/routes/view_links.py``); a view link's page shows the credential only, and each
opening of it is counted (a number, nothing about who opened it). Every page carries the
preview tags chat apps read (``issuer/web/share_head.py``), with the picture at
``/s/{token}/preview.png``, and a link's QR code is at ``/s/{token}/qr.svg``.

No template engine and no third-party assets (the CSS and the copy button's script are this
server's own ``/s/share.css`` and ``/s/share.js``); every value goes through ``html.escape``.
The LinkedIn link is an ordinary link that the holder chooses to follow; its ``certUrl`` is
the public verify page.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from issuer.credentials.lifecycle import get_credential
from issuer.credentials.qr import render_qr_svg
from issuer.documents.credential_document import (
    CredentialDocument,
    document_filename,
    profile_document,
)
from issuer.documents.share_link import (
    ExpiredShareLinkError,
    ShareLinkGoneError,
    count_share_open,
    open_share_link,
    share_url,
)
from issuer.documents.share_preview import render_share_preview_png
from issuer.documents.view_link import (
    LinkState,
    count_view_open,
    link_state,
    list_view_links,
    view_token,
)
from issuer.errors import ConflictError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ShareLink
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.routes.documents import (
    badge_png_response,
    badge_svg_response,
    card_response,
    certificate_response,
)
from issuer.web.share_forms import form_token
from issuer.web.share_page import SharedCredential, SharePage, gone_page_html, render_share_page
from issuer.web.view_links_panel import HolderPanel, ViewLinkRow
from verifier.format import VC_JWT_MEDIA_TYPE
from verifier.i18n import Lang, choose_lang
from verifier.result import CredentialStatus, VerificationResult
from verifier.web.problem_response import PROBLEM_MEDIA_TYPE

log = logging.getLogger(__name__)
router = APIRouter(prefix="/s", tags=["holder share links"])
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_STATIC = files("issuer.web").joinpath("static")
_STYLESHEET = _STATIC.joinpath("share.css").read_bytes()
_SCRIPT = _STATIC.joinpath("share.js").read_bytes()


def page_lang(request: Request) -> Lang:
    """``?lang=``, else ``Accept-Language``, else both languages."""
    return choose_lang(request.query_params.get("lang"), request.headers.get("accept-language"))


def _shared(
    request: Request, services: Services, session: Session, link: ShareLink
) -> SharedCredential:
    row = get_credential(session, link.credential_id)
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


def gone_page(exc: ShareLinkGoneError, lang: Lang) -> HTMLResponse:
    """410 Gone: a plain page for a link that was revoked or expired (nothing about the
    credential)."""
    expired = isinstance(exc, ExpiredShareLinkError)
    body = gone_page_html(expired=expired, lang=lang)
    return HTMLResponse(body, status_code=410, headers=HEADERS)


@router.get("/share.css", include_in_schema=False)
def share_stylesheet() -> Response:
    """The share page's CSS (declared before ``/{token}``, so it is never read as a token)."""
    return Response(
        _STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/share.js", include_in_schema=False)
def share_script() -> Response:
    """The copy-link button's script (the page's CSP allows scripts from this server only)."""
    return Response(
        _SCRIPT,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


_PROBLEM = {"$ref": "#/components/schemas/ProblemDetails"}  # issuer/web/openapi.py
_GONE: dict[int | str, dict[str, Any]] = {
    410: {
        "description": "The link was revoked or has expired (a plain page)",
        "content": {"text/html": {}},
    }
}
_FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_GONE,
    409: {
        "description": "The credential is not in force (`credential_not_in_force`)",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _PROBLEM}},
    },
}


def _holder_panel(
    request: Request, services: Services, session: Session, token: str, now: dt.datetime
) -> HolderPanel:
    """The holder's view links, with the addresses of the working ones (derived again from
    the holder's token: they are not stored)."""
    rows = []
    for link in list_view_links(session, token, now=now):
        state = link_state(link, now=now)
        child = view_token(token, link.id) if state is LinkState.LIVE else None
        rows.append(
            ViewLinkRow(
                id=link.id,
                created_at=link.created_at,
                expires_at=link.expires_at,
                open_count=link.open_count,
                state=state,
                url=share_url(services.base_url, child) if child else None,
                token=child,
            )
        )
    made = request.query_params.get("made", "")
    return HolderPanel(
        rows=rows,
        form_token=form_token(services.settings.read_passphrase(), token),
        time_zone=ZoneInfo(services.profile(session).time_zone),
        made=int(made) if made.isdigit() and len(made) < 10 else None,
        revoked=request.query_params.get("revoked") == "1",
    )


@router.get("/{token}", response_class=HTMLResponse, responses=_GONE)
def share_page(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> HTMLResponse:
    """The holder's page, or a view link's, with the verify page's verdict; 404 for unknown
    links, 410 for revoked or expired ones. Each opening of a view link is counted; opening
    the holder's own link is counted only when the holder asked to be told (decision 0030)."""
    lang = page_lang(request)
    now = services.clock()
    try:
        link = open_share_link(session, token, now=now)
    except ShareLinkGoneError as exc:
        return gone_page(exc, lang)
    shared = _shared(request, services, session, link)
    holder = None
    if link.parent_id is None:
        holder = _holder_panel(request, services, session, token, now)
    page = SharePage(shared, token, share_url(services.base_url, token), lang, holder)
    if link.parent_id is not None:
        _count_open(services, token, count_view_open)
    elif services.settings.notices_on and link.notify_on_open:
        _count_open(services, token, count_share_open)
    return HTMLResponse(render_share_page(page), headers=HEADERS)


def _count_open(services: Services, token: str, count: Callable[..., bool]) -> None:
    """Count the opening in a short transaction of its own; a failure never fails the page."""
    try:
        with session_scope(services.sessions) as session:
            count(session, token, now=services.clock())
    except (SQLAlchemyError, NotFoundError) as exc:  # revoked meanwhile, or a busy database
        log.warning("share link opening not counted: %s", type(exc).__name__)


@router.get("/{token}/qr.svg", response_class=Response, responses=_GONE)
def share_qr(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The QR code of the link's own address, to be scanned from the holder's phone."""
    try:
        open_share_link(session, token, now=services.clock())
    except ShareLinkGoneError as exc:
        return gone_page(exc, page_lang(request))
    svg = render_qr_svg(share_url(services.base_url, token), size_mm=40)
    return Response(svg, media_type="image/svg+xml", headers=HEADERS)


def _download(
    request: Request,
    services: Services,
    session: ReadSessionDep,
    token: str,
    respond: Callable[[CredentialDocument], Response],
) -> Response:
    """``respond`` for a credential in force; 409 for one that is not, 410 for a link revoked
    or expired."""
    try:
        link = open_share_link(session, token, now=services.clock())
    except ShareLinkGoneError as exc:
        return gone_page(exc, page_lang(request))
    shared = _shared(request, services, session, link)
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
        **HEADERS,
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


def _preview_response(document: CredentialDocument) -> Response:
    return Response(render_share_preview_png(document), media_type="image/png", headers=HEADERS)


@router.get("/{token}/preview.png", response_class=Response, responses=_FILE_RESPONSES)
def share_preview_png(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The link preview's picture (1200 x 630): the wallet card's front, while in force."""
    return _download(request, services, session, token, _preview_response)
