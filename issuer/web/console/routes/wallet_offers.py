"""Offer a credential to its holder's wallet from the credential's page (OpenID4VCI).

The button makes an offer with the API's own function; the page that answers shows, once,
the QR code and the link a wallet opens and the transaction code to give the holder by
another channel (only their hashes are kept, so the page cannot be shown again).
"""

from __future__ import annotations

import base64

from fastapi import APIRouter
from starlette.responses import Response

from issuer.credentials.qr import render_qr_svg
from issuer.credentials.wallet_offers import TX_CODE_TRIES
from issuer.web.console.credential_view import changeable, page_url
from issuer.web.console.identity import ConsoleWriterDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import ServicesDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.oid4vci_offers import make_offer

router = APIRouter(prefix="/console", include_in_schema=False)


@router.post("/credentials/{reference}/wallet-offers")
def create_wallet_offer(
    reference: str, user: ConsoleWriterDep, _form: UserFormDep, services: ServicesDep
) -> Response:
    """A new offer of every format, shown once on the page that answers."""
    with services.sessions() as session:
        row = changeable(session, user, reference)
        actor = user.principal.actor(current_request_id())
        offer, answer = make_offer(session, services, [row], None, actor)
        session.commit()
        # The shorter by-reference link makes a QR code that phones scan easily.
        svg = render_qr_svg(answer.offer_by_reference)
        response = page(
            services,
            "credential/wallet_offer.html",
            user=user,
            current="/console/credentials",
            status_code=201,
            row=row,
            back=page_url(row),
            link=answer.offer_by_reference,
            qr=base64.b64encode(svg).decode("ascii"),
            tx_code=offer.tx_code,
            expires_at=offer.expires_at,
            tries=TX_CODE_TRIES,
        )
    response.headers["Cache-Control"] = "no-store"
    return response
