"""The holder's "add to my wallet" form on their own share page (decision 0059).

``POST /s/{token}/wallet`` carries the page's form token and must come from this site, as
the view-link forms do (``issuer/web/share_forms.py``). It makes an OpenID4VCI offer of the
credential (``issuer/documents/holder_wallet.py``) and answers 201 with a page showing the
offer once (``issuer/web/holder_wallet_page.py``); refusals are pages in words: 403 for a
form from elsewhere or from a view link's page, 409 for a credential not in force or too
many open offers, 410 for a revoked or expired link.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from issuer.credentials.wallet_offers import OFFER_TTL, TX_CODE_TRIES
from issuer.documents.holder_wallet import MAX_OPEN_OFFERS, offer_to_holder_wallet
from issuer.documents.share_link import ShareLinkGoneError, open_share_link
from issuer.errors import IssuerError, IssuerErrorCode, PermissionDeniedError
from issuer.web.deps import ServicesDep, SessionDep
from issuer.web.holder_wallet_page import WalletOfferPage, render_wallet_offer_page
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.oid4vci_offers import offer_links, wallet_secrets
from issuer.web.routes.share_pages import HEADERS, gone_page, page_lang
from issuer.web.share_forms import check_share_form
from issuer.web.share_page import problem_page_html
from verifier.i18n import Lang

router = APIRouter(prefix="/s", tags=["holder share links"])
_ANSWERS: dict[int | str, dict[str, Any]] = {
    code: {"description": description, "content": {"text/html": {}}}
    for code, description in {
        201: "The offer: its QR code, link, transaction code and validity, shown once",
        403: "The form came from elsewhere, or from a view link's page",
        404: "No such link",
        409: "The credential is not in force, or too many of its offers are open",
        410: "The holder's link was revoked or has expired",
    }.items()
}


def _refused(exc: IssuerError, lang: Lang, back: str) -> HTMLResponse:
    if isinstance(exc, PermissionDeniedError):
        csrf = exc.code == IssuerErrorCode.CSRF_FAILED
        status, key = 403, "share.error.form" if csrf else "share.wallet.error.view_link"
    elif exc.code == IssuerErrorCode.TOO_MANY_WALLET_OFFERS:
        status, key = 409, "share.wallet.error.too_many"
    elif exc.code == IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE:
        status, key = 409, "share.wallet.error.not_in_force"
    else:
        status, key = 404, "share.error.no_link"
    body = problem_page_html(key, lang, back=back, count=MAX_OPEN_OFFERS)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


@router.post("/{token}/wallet", response_class=HTMLResponse, status_code=201, responses=_ANSWERS)
async def add_to_wallet(
    token: str, request: Request, session: SessionDep, services: ServicesDep
) -> Response:
    """Offer the credential to the holder's wallet (every format, OpenID4VCI pre-authorised
    code with a transaction code); the answer shows the offer once."""
    lang = page_lang(request)
    back = f"/s/{token}?{urlencode({'lang': lang.value})}"
    now = services.clock()
    try:
        open_share_link(session, token, now=now)
        await check_share_form(request, services.settings.read_passphrase(), token)
        offer = offer_to_holder_wallet(
            session,
            token,
            wallet_secrets=wallet_secrets(services),
            now=now,
            request_id=current_request_id(),
        )
    except ShareLinkGoneError as exc:
        session.rollback()
        return gone_page(exc, lang)
    except IssuerError as exc:
        session.rollback()
        return _refused(exc, lang, back)
    time_zone = ZoneInfo(services.profile(session).time_zone)
    session.commit()
    _by_value, by_reference, _uri = offer_links(services.urls, offer)
    page = WalletOfferPage(
        token=token,
        link=by_reference,
        tx_code=offer.tx_code,
        expires_at=offer.expires_at,
        minutes=int(OFFER_TTL.total_seconds() // 60),
        tries=TX_CODE_TRIES,
        time_zone=time_zone,
        lang=lang,
    )
    return HTMLResponse(render_wallet_offer_page(page), status_code=201, headers=HEADERS)
