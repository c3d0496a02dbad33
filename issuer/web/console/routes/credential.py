"""``/console/credentials/{id}``: one credential, its QR code, preview and files.

``{id}`` is the credential's id or its certificate number, as in the API
(``find_credential``); a registrar opens only its units' credentials (403, as the API
answers). The files are the API's own (``issuer/web/routes/documents.py``), served under the
console's session.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from issuer.credentials.qr import qr_text, render_qr_png
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import document_filename
from issuer.documents.preview import render_first_page_png
from issuer.web.console.credential_view import credential_page, readable
from issuer.web.console.identity import ConsoleUserDep
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.routes.documents import (
    badge_png_response,
    badge_svg_response,
    card_response,
    certificate_response,
    document_of,
)
from verifier.format import VC_JWT_MEDIA_TYPE

router = APIRouter(prefix="/console", include_in_schema=False)

_PRIVATE = {"Cache-Control": "private, no-store"}


@router.get("/credentials/{reference}")
def credential(
    reference: str,
    user: ConsoleUserDep,
    services: ServicesDep,
    session: ReadSessionDep,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    row = readable(session, user, reference)
    return credential_page(services, session, user, row, done=done)


@router.get("/credentials/{reference}/qr.png")
def qr_png(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    row = readable(session, user, reference)
    png = render_qr_png(qr_text(services.base_url, row.jws))
    return Response(png, media_type="image/png", headers=_PRIVATE)


@router.get("/credentials/{reference}/preview.png")
def preview_png(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """The printable certificate's first page as a picture (no PDF viewer under the CSP)."""
    row = readable(session, user, reference)
    pdf = render_certificate_pdf(document_of(services, session, row, photo=True))
    return Response(render_first_page_png(pdf), media_type="image/png", headers=_PRIVATE)


@router.get("/credentials/{reference}/certificate.pdf")
def certificate(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    row = readable(session, user, reference)
    return certificate_response(document_of(services, session, row, photo=True))


@router.get("/credentials/{reference}/card.pdf")
def card(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    row = readable(session, user, reference)
    return card_response(document_of(services, session, row))


@router.get("/credentials/{reference}/badge.png")
def badge_png(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    row = readable(session, user, reference)
    return badge_png_response(document_of(services, session, row))


@router.get("/credentials/{reference}/badge.svg")
def badge_svg(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    row = readable(session, user, reference)
    return badge_svg_response(document_of(services, session, row))


@router.get("/credentials/{reference}/credential.jwt")
def token(
    reference: str, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """The signed credential as a file (OB 3.0: a ``.jwt`` file holds the compact JWS)."""
    row = readable(session, user, reference)
    name = document_filename(document_of(services, session, row), "jwt")
    headers = {**_PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'}
    return Response(row.jws, media_type=VC_JWT_MEDIA_TYPE, headers=headers)
