"""Registrar API models of OpenID4VCI credential offers (wallets)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from issuer.credentials.wallet_offers import MAX_OFFERED_CREDENTIALS, WalletConfiguration
from issuer.web.schemas.common import StrictModel


class WalletOfferRequest(StrictModel):
    """Options of a new offer; the body may be left out (every format of this credential is
    offered)."""

    credential_configuration_ids: list[WalletConfiguration] | None = Field(
        default=None,
        min_length=1,
        max_length=len(WalletConfiguration),
        description="the formats offered (credential_configurations_supported keys); "
        "null: all of them",
    )
    credential_ids: list[str] | None = Field(
        default=None,
        max_length=MAX_OFFERED_CREDENTIALS - 1,
        description="more credentials of the same holder to put in the same offer (ids or "
        "certificate numbers); the wallet then names each by the credential_identifier the "
        "token response lists",
    )


class WalletOfferResponse(BaseModel):
    """A new offer. ``tx_code`` and the pre-authorised code inside ``offer`` are shown in
    this response only (stored hashed): give the holder the link or QR code, and the
    transaction code by another channel."""

    id: str
    credential_id: str
    credential_ids: list[str] = Field(description="every credential offered, this one first")
    offer: str = Field(description="openid-credential-offer:// with the offer by value")
    offer_by_reference: str = Field(
        description="openid-credential-offer:// with credential_offer_uri (a shorter QR)"
    )
    credential_offer_uri: str
    tx_code: str = Field(description="the numeric transaction code the holder types")
    tx_code_tries: int
    credential_configuration_ids: list[str]
    expires_at: dt.datetime
