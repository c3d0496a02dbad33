"""The holder's forms on their own share page: make a view link, revoke one (decision 0050).

Both post to the holder's link's own URL, carry the page's form token and must come from
this site (``issuer/web/share_forms.py``); each answers with a redirect back to the page
(303, so a reload does not post again), or with a page in words saying why not: 403 for a
form from elsewhere or from a view link's page (a view link cannot manage links), 400 for a
lifetime not offered, 404 for a link that is not one of this holder's working view links,
409 when the holder's link has made as many as it may, 410 when the holder's link itself
was revoked or has expired. The work is in ``issuer/documents/view_link.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from issuer.documents.share_link import ShareLinkGoneError, open_share_link
from issuer.documents.view_link import Lifetime, create_view_link, revoke_view_link
from issuer.errors import (
    ConflictError,
    InvalidInputError,
    IssuerError,
    IssuerErrorCode,
    NotFoundError,
    PermissionDeniedError,
)
from issuer.web.deps import RowIdPath, ServicesDep, SessionDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.share_pages import HEADERS, gone_page, page_lang
from issuer.web.share_forms import check_share_form
from issuer.web.share_page import problem_page_html
from verifier.i18n import Lang

router = APIRouter(prefix="/s", tags=["holder share links"])
_ANSWERS: dict[int | str, dict[str, Any]] = {
    code: {"description": description, "content": {"text/html": {}}}
    for code, description in {
        303: "Done: back to the holder's page",
        400: "No such lifetime",
        403: "The form came from elsewhere, or from a view link's page",
        404: "No such link",
        409: "Too many view links",
        410: "The holder's link was revoked or has expired",
    }.items()
}


def _refused(exc: IssuerError, lang: Lang, back: str) -> HTMLResponse:
    """The page in words for a refused form."""
    if isinstance(exc, PermissionDeniedError):
        csrf = exc.code == IssuerErrorCode.CSRF_FAILED
        status, key = 403, "share.error.form" if csrf else "share.error.view_link"
    elif isinstance(exc, ConflictError):
        status, key = 409, "share.error.too_many"
    elif isinstance(exc, NotFoundError):
        status, key = 404, "share.error.no_link"
    else:
        status, key = 400, "share.error.lifetime"
    return HTMLResponse(
        problem_page_html(key, lang, back=back), status_code=status, headers=HEADERS
    )


async def _handle(
    token: str,
    request: Request,
    session: SessionDep,
    services: ServicesDep,
    act: Callable[[dict[str, str]], dict[str, str]],
) -> Response:
    """Check the link and the form, do ``act`` (which answers the page's query), commit and
    go back to the holder's page."""
    lang = page_lang(request)
    back = f"/s/{token}?{urlencode({'lang': lang.value})}"
    try:
        open_share_link(session, token, now=services.clock())
        fields = await check_share_form(request, services.settings.read_passphrase(), token)
        query = act(fields)
    except ShareLinkGoneError as exc:
        session.rollback()
        return gone_page(exc, lang)
    except IssuerError as exc:
        session.rollback()
        return _refused(exc, lang, back)
    session.commit()
    anchor = f"#link-{query['made']}" if "made" in query else "#view-links"
    target = f"/s/{token}?{urlencode({'lang': lang.value, **query})}{anchor}"
    return RedirectResponse(target, status_code=303, headers=HEADERS)


@router.post("/{token}/links", response_class=HTMLResponse, responses=_ANSWERS)
async def make_view_link(
    token: str, request: Request, session: SessionDep, services: ServicesDep
) -> Response:
    """Make a view link from the holder's link (form field ``lifetime``: 1d, 7d, 30d or
    never); its address and QR code are on the page the answer leads back to."""

    def act(fields: dict[str, str]) -> dict[str, str]:
        try:
            lifetime = Lifetime(fields.get("lifetime", ""))
        except ValueError:
            raise InvalidInputError("no such lifetime") from None
        link, _token = create_view_link(
            session, token, lifetime, now=services.clock(), request_id=current_request_id()
        )
        return {"made": str(link.id)}

    return await _handle(token, request, session, services, act)


@router.post("/{token}/links/{link_id}/revoke", response_class=HTMLResponse, responses=_ANSWERS)
async def revoke_one_view_link(
    token: str, link_id: RowIdPath, request: Request, session: SessionDep, services: ServicesDep
) -> Response:
    """Revoke one of the holder's view links; the others keep working."""

    def act(_fields: dict[str, str]) -> dict[str, str]:
        revoke_view_link(
            session, token, link_id, now=services.clock(), request_id=current_request_id()
        )
        return {"revoked": "1"}

    return await _handle(token, request, session, services, act)
