"""Registrar API: a credential's printable certificate and wallet card, badges, share links."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from issuer.access.policy import require_readable, require_unit
from issuer.access.tokens import Principal
from issuer.credentials.holder_photo import open_holder_photo
from issuer.credentials.lifecycle import find_credential
from issuer.documents.badge import render_badge_png, render_badge_svg
from issuer.documents.card import render_card_pdf
from issuer.documents.certificate import render_certificate_pdf
from issuer.documents.credential_document import (
    CredentialDocument,
    document_filename,
    profile_document,
)
from issuer.documents.share_link import (
    create_share_link,
    list_share_links,
    revoke_share_links,
    share_url,
)
from issuer.services import Services
from issuer.store.models import Credential
from issuer.web.deps import (
    ActorDep,
    PrincipalDep,
    ReadSessionDep,
    RowIdPath,
    ServicesDep,
    SessionDep,
    WriterDep,
)
from issuer.web.schemas.share_links import ShareLinkRequest, ShareLinkResponse

router = APIRouter(prefix="/api/v1/credentials", tags=["certificates"])


def _visible(principal: Principal, row: Credential) -> Credential:
    require_readable(principal, row.unit.code)
    return row


def document_of(
    services: Services, session: Session, row: Credential, *, photo: bool = False
) -> CredentialDocument:
    """What the documents of ``row`` show, with the issuer's profile as set up now; with
    ``photo``, the holder's photo too, opened only for the registrar's certificate."""
    jpeg = None
    if photo:
        passphrase = services.settings.read_passphrase()
        jpeg = open_holder_photo(session, row.holder_id, passphrase=passphrase)
    return profile_document(
        row, base_url=services.base_url, profile=services.profile(session), photo_jpeg=jpeg
    )


def _file(data: bytes, media_type: str, filename: str, *, inline: bool = True) -> Response:
    disposition = "inline" if inline else "attachment"
    headers = {
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Cache-Control": "private, no-store",
    }
    return Response(data, media_type=media_type, headers=headers)


def certificate_response(document: CredentialDocument) -> Response:
    pdf = render_certificate_pdf(document)
    return _file(pdf, "application/pdf", document_filename(document, "pdf"))


def card_response(document: CredentialDocument) -> Response:
    pdf = render_card_pdf(document)
    return _file(pdf, "application/pdf", document_filename(document, "card.pdf"))


def badge_png_response(document: CredentialDocument) -> Response:
    return _file(render_badge_png(document), "image/png", document_filename(document, "png"))


def badge_svg_response(document: CredentialDocument) -> Response:
    return _file(render_badge_svg(document), "image/svg+xml", document_filename(document, "svg"))


@router.get(
    "/{credential_id}/certificate.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def certificate(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The printable A4 certificate (Chinese and English, embedded fonts, 45 mm QR code)."""
    row = _visible(principal, find_credential(session, credential_id))
    return certificate_response(document_of(services, session, row, photo=True))


@router.get(
    "/{credential_id}/card.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def card(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The wallet card: ID-1 size (85.60 x 53.98 mm), front and back, 40 mm QR code on the back."""
    row = _visible(principal, find_credential(session, credential_id))
    return card_response(document_of(services, session, row))


@router.get(
    "/{credential_id}/badge.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
def badge_png(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The Open Badges 3.0 baked PNG (``iTXt`` chunk ``openbadgecredential``)."""
    row = _visible(principal, find_credential(session, credential_id))
    return badge_png_response(document_of(services, session, row))


@router.get(
    "/{credential_id}/badge.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def badge_svg(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep, services: ServicesDep
) -> Response:
    """The Open Badges 3.0 baked SVG (``openbadges:credential``)."""
    row = _visible(principal, find_credential(session, credential_id))
    return badge_svg_response(document_of(services, session, row))


@router.post("/{credential_id}/share-links", status_code=201, response_model=ShareLinkResponse)
def create_link(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
    body: ShareLinkRequest | None = None,
) -> ShareLinkResponse:
    """A new holder share link; its URL is in this response only (stored hashed). With
    ``notify_on_open`` the holder is e-mailed when it is opened (at most once an hour); with
    ``expires_at`` it opens nothing after that moment."""
    row = find_credential(session, credential_id)
    require_unit(principal, row.unit.code)
    notify = body is not None and body.notify_on_open
    link, token = create_share_link(
        session,
        row.id,
        actor=actor,
        now=services.clock(),
        notify_on_open=notify,
        expires_at=body.expires_at if body is not None else None,
    )
    session.commit()
    return ShareLinkResponse.of(link, share_url(services.base_url, token))


@router.get("/{credential_id}/share-links", response_model=list[ShareLinkResponse])
def list_links(
    credential_id: str, principal: PrincipalDep, session: ReadSessionDep
) -> list[ShareLinkResponse]:
    """The credential's share links (never their tokens)."""
    row = _visible(principal, find_credential(session, credential_id))
    return [ShareLinkResponse.of(link) for link in list_share_links(session, row.id)]


@router.post("/{credential_id}/share-links/{link_id}/revoke", response_model=ShareLinkResponse)
def revoke_link(
    credential_id: str,
    link_id: RowIdPath,
    principal: WriterDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
) -> ShareLinkResponse:
    """Revoke one share link: it stops working at once."""
    row = find_credential(session, credential_id)
    require_unit(principal, row.unit.code)
    revoke_share_links(session, row.id, actor=actor, now=services.clock(), link_id=link_id)
    session.commit()
    [link] = [link for link in list_share_links(session, row.id) if link.id == link_id]
    return ShareLinkResponse.of(link)
