"""The holder's share page (``/s/{token}``): see the credential, download it, add it to LinkedIn.

No template engine and no third-party assets (the CSS is this server's own ``/s/share.css``,
no scripts, no fonts, no images from elsewhere); every value goes through ``html.escape``.
The LinkedIn link is an ordinary link that the holder chooses to follow; its ``certUrl`` is
the public verify page.
"""

from __future__ import annotations

import logging
from html import escape
from importlib.resources import files

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import SQLAlchemyError

from issuer.documents.credential_document import (
    CredentialDocument,
    credential_document,
    document_filename,
)
from issuer.documents.share_link import (
    count_share_open,
    linkedin_url,
    live_share_link,
    resolve_share_link,
)
from issuer.errors import NotFoundError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.vocabulary import CredentialState
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.routes.documents import badge_png_response, badge_svg_response, certificate_response
from verifier.format import VC_JWT_MEDIA_TYPE

log = logging.getLogger(__name__)
router = APIRouter(prefix="/s", tags=["holder share links"])
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
_STATES: dict[str, tuple[str, str]] = {
    CredentialState.ACTIVE: ("有效", "Valid"),
    CredentialState.REVOKED: ("已撤销", "Revoked"),
    CredentialState.SUSPENDED: ("已暂停", "Suspended"),
    CredentialState.SUPERSEDED: ("已被取代", "Superseded"),
}
_STYLESHEET = files("issuer.web").joinpath("static/share.css").read_bytes()


def _document(services: Services, session: ReadSessionDep, token: str) -> CredentialDocument:
    row = resolve_share_link(session, token)
    return credential_document(
        row, base_url=services.base_url, issuer_name=services.settings.issuer_name
    )


def render_share_page(document: CredentialDocument, token: str) -> str:
    """The holder's page, in Chinese and English."""
    zh_state, en_state = _STATES.get(document.state, (document.state, document.state))
    rows = [
        ("姓名", "Holder", document.holder_name),
        ("职业", "Occupation", f"{document.occupation_zh} / {document.occupation_en}"),
        ("等级", "Level", f"{document.level_zh} / {document.level_en}"),
        ("单位", "Unit", f"{document.unit_zh} / {document.unit_en}"),
        ("发证机构", "Issuer", f"{document.issuer_zh} / {document.issuer_en}"),
        ("证书编号", "Certificate No.", document.number),
        ("考试日期", "Exam date", document.exam_date.isoformat()),
        ("发证日期", "Date of issue", document.issued_at.date().isoformat()),
    ]
    fields = "".join(
        f'<dt>{escape(zh)} <span class="en" lang="en">{escape(en)}</span></dt><dd>{escape(v)}</dd>'
        for zh, en, v in rows
    )
    base = f"/s/{escape(token)}"
    linkedin = linkedin_url(
        name=document.achievement_name,
        organisation=document.issuer_en,
        issued_at=document.issued_at,
        verify_url=document.verify_url,
        number=document.number,
    )
    files = [
        ("credential.jwt", "签名凭证文件 (.jwt)", "Signed credential (.jwt)"),
        ("badge.png", "开放徽章图片 (PNG)", "Open Badge image (PNG)"),
        ("badge.svg", "开放徽章图片 (SVG)", "Open Badge image (SVG)"),
        ("certificate.pdf", "可打印证书 (PDF)", "Printable certificate (PDF)"),
    ]
    downloads = "".join(
        f'<li><a href="{base}/{name}" download>{escape(zh)} · '
        f'<span lang="en">{escape(en)}</span></a></li>'
        for name, zh, en in files
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">'
        f"<title>{escape(document.achievement_name)}</title>"
        '<link rel="stylesheet" href="/s/share.css"></head>'
        "<body><main>"
        f'<h1>职业技能等级证书 <span class="en" lang="en">Vocational skill certificate</span></h1>'
        f'<p class="state">{escape(zh_state)} · <span lang="en">{escape(en_state)}</span></p>'
        f"<dl>{fields}</dl>"
        f'<h2>下载 <span class="en" lang="en">Downloads</span></h2>'
        f'<ul class="files">{downloads}</ul>'
        f'<h2>分享 <span class="en" lang="en">Share</span></h2><ul class="files">'
        f'<li><a href="{escape(document.verify_url)}">公开核验页面 · '
        '<span lang="en">Public verify page</span></a></li>'
        f'<li><a href="{escape(linkedin)}" rel="noopener noreferrer">添加到领英档案 · '
        f'<span lang="en">Add to LinkedIn profile</span></a></li></ul>'
        "<footer><p>此链接仅供持证人使用，请勿公开。"
        '<span lang="en">This link is for the holder: share the verify page, not this link.</span>'
        "</p></footer></main></body></html>"
    )


@router.get("/share.css", include_in_schema=False)
def share_stylesheet() -> Response:
    """The share page's CSS (declared before ``/{token}``, so it is never read as a token)."""
    return Response(
        _STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get("/{token}", response_class=HTMLResponse)
def share_page(token: str, session: ReadSessionDep, services: ServicesDep) -> HTMLResponse:
    """The holder's page for a live share link; 404 for unknown or revoked links. Opening
    a link whose holder asked to be told is counted, and the holder notified (decision 0030)."""
    document = _document(services, session, token)
    if services.settings.notices_on and live_share_link(session, token).notify_on_open:
        _count_open(services, token)
    return HTMLResponse(render_share_page(document, token), headers=_HEADERS)


def _count_open(services: Services, token: str) -> None:
    """Count the opening in a short transaction of its own; a failure never fails the page."""
    try:
        with session_scope(services.sessions) as session:
            count_share_open(session, token, now=services.clock())
    except (SQLAlchemyError, NotFoundError) as exc:  # revoked meanwhile, or a busy database
        log.warning("share link opening not counted: %s", type(exc).__name__)


@router.get("/{token}/credential.jwt", response_class=Response)
def share_jwt(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """The signed credential as a file (OB 3.0: a ``.jwt`` file holds the compact JWS)."""
    document = _document(services, session, token)
    headers = {
        **_HEADERS,
        "Content-Disposition": f'attachment; filename="{document_filename(document, "jwt")}"',
    }
    return Response(document.jws, media_type=VC_JWT_MEDIA_TYPE, headers=headers)


@router.get("/{token}/badge.png", response_class=Response)
def share_badge_png(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    return badge_png_response(_document(services, session, token))


@router.get("/{token}/badge.svg", response_class=Response)
def share_badge_svg(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    return badge_svg_response(_document(services, session, token))


@router.get("/{token}/certificate.pdf", response_class=Response)
def share_certificate(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    return certificate_response(_document(services, session, token))
