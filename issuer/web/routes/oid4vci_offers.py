"""Registrar API: offer a credential to the holder's wallet (OpenID4VCI pre-authorised code).

``POST /api/v1/credentials/{id}/wallet-offers`` (and ``/offers``, the name the product spec
gives it) needs the same right as every other change to that credential: a writer of its
unit.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from issuer.access.policy import require_unit
from issuer.credentials.lifecycle import find_credential
from issuer.credentials.wallet_offers import (
    CODE_KEY_PURPOSE,
    TX_CODE_KEY_PURPOSE,
    TX_CODE_TRIES,
    NewOffer,
    WalletSecrets,
    create_offer,
    offer_document,
)
from issuer.keys.sealed import derived_key
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.models import Credential
from issuer.web.deps import ActorDep, ServicesDep, SessionDep, WriterDep
from issuer.web.schemas.wallet_offers import WalletOfferRequest, WalletOfferResponse
from verifier.urls import IssuerUrls

router = APIRouter(prefix="/api/v1/credentials", tags=["wallets"])

OFFER_SCHEME = "openid-credential-offer://"


def wallet_secrets(services: Services) -> WalletSecrets:
    """The keys of the offers' keyed hashes, derived from the key passphrase."""
    passphrase = services.settings.read_passphrase()
    return WalletSecrets(
        tx_code_key=derived_key(passphrase, TX_CODE_KEY_PURPOSE),
        code_key=derived_key(passphrase, CODE_KEY_PURPOSE),
    )


def offer_links(urls: IssuerUrls, offer: NewOffer) -> tuple[str, str, str]:
    """(the offer by value, by reference, the credential_offer_uri) as a wallet opens them."""
    document = offer_document(urls, offer.configuration_ids, offer.pre_authorized_code)
    by_value = (
        OFFER_SCHEME
        + "?"
        + urlencode({"credential_offer": orjson.dumps(document).decode("utf-8")}, quote_via=quote)
    )
    uri = urls.wallet_offer(offer.reference)
    by_reference = OFFER_SCHEME + "?" + urlencode({"credential_offer_uri": uri}, quote_via=quote)
    return by_value, by_reference, uri


def make_offer(
    session: Session,
    services: Services,
    rows: list[Credential],
    configuration_ids: list[str] | None,
    actor: Actor,
) -> tuple[NewOffer, WalletOfferResponse]:
    """Create the offer of ``rows`` (flushed, not committed) and its answer."""
    offer = create_offer(
        session,
        rows,
        configuration_ids=configuration_ids,
        wallet_secrets=wallet_secrets(services),
        actor=actor,
        now=services.clock(),
    )
    by_value, by_reference, uri = offer_links(services.urls, offer)
    answer = WalletOfferResponse(
        id=offer.offer_id,
        credential_id=rows[0].id,
        credential_ids=list(dict.fromkeys(row.id for row in rows)),
        offer=by_value,
        offer_by_reference=by_reference,
        credential_offer_uri=uri,
        tx_code=offer.tx_code,
        tx_code_tries=TX_CODE_TRIES,
        credential_configuration_ids=list(offer.configuration_ids),
        expires_at=offer.expires_at,
    )
    return offer, answer


def _create(
    credential_id: str,
    principal: WriterDep,
    actor: ActorDep,
    session: SessionDep,
    services: ServicesDep,
    body: WalletOfferRequest | None = None,
) -> WalletOfferResponse:
    """Offer the credential to its holder's wallet: a link and QR code (``offer``, or
    ``offer_by_reference`` for a smaller QR code) and a transaction code for the holder,
    shown in this answer only. The code is single-use and expires in 15 minutes; five wrong
    transaction codes use the offer up. ``credential_ids`` adds more credentials of the same
    holder to the same offer."""
    references = [credential_id, *((body.credential_ids or []) if body is not None else [])]
    rows = [find_credential(session, reference) for reference in references]
    for row in rows:
        require_unit(principal, row.unit.code)
    wanted = (
        None
        if body is None or body.credential_configuration_ids is None
        else [str(c) for c in body.credential_configuration_ids]
    )
    _offer, answer = make_offer(session, services, rows, wanted, actor)
    session.commit()
    return answer


router.add_api_route(
    "/{credential_id}/wallet-offers",
    _create,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=WalletOfferResponse,
    name="create_wallet_offer",
)
router.add_api_route(
    "/{credential_id}/offers",
    _create,
    methods=["POST"],
    status_code=status.HTTP_201_CREATED,
    response_model=WalletOfferResponse,
    name="create_offer",
    description="The same as `/wallet-offers`.",
)
