"""Registrar API models of OpenID4VCI credential offers (wallets)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.credentials.wallet_offers import WalletConfiguration
from issuer.web.schemas.common import StrictModel


class WalletOfferRequest(StrictModel):
    """Options of a new offer; the body may be left out (every format is offered)."""

    credential_configuration_ids: list[WalletConfiguration] | None = Field(
        default=None,
        min_length=1,
        max_length=len(WalletConfiguration),
        description="the formats offered (credential_configurations_supported keys); "
        "null: all of them",
    )


class WalletOfferResponse(BaseModel):
    """A new offer. ``tx_code`` and the pre-authorised code inside ``offer`` are shown in
    this response only (stored hashed): give the holder the link or QR code, and the
    transaction code by another channel."""

    id: str
    credential_id: str
    offer: str = Field(description="openid-credential-offer:// with the offer by value")
    offer_by_reference: str = Field(
        description="openid-credential-offer:// with credential_offer_uri (a shorter QR)"
    )
    credential_offer_uri: str
    tx_code: str = Field(description="the numeric transaction code the holder types")
    tx_code_tries: int
    credential_configuration_ids: list[str]
    expires_at: dt.datetime
