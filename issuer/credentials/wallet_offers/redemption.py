"""The token endpoint's work: a pre-authorised code and its transaction code traded for an
access token, single-use even under concurrency; a wrong transaction code costs one of
``TX_CODE_TRIES`` tries and, at the last, the offer.
"""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from issuer.credentials.wallet_offers.offer import (
    ACCESS_TOKEN_TTL,
    MAX_TX_CODE_CHARS,
    TX_CODE_TRIES,
    WalletProtocolError,
    WalletSecrets,
    offer_state,
    offered_credential_ids,
    record_for_each,
    sha256_hex,
    tx_code_hash,
)
from issuer.store.audit import Actor
from issuer.store.models import WalletOffer
from issuer.vocabulary import AuditAction


@dataclass(frozen=True)
class AccessGrant:
    """The token endpoint's answer: an access token for the offer's credentials, and for an
    offer of several, which ``credential_identifier`` names each (``authorization_details``,
    OpenID4VCI 1.0 §6.2)."""

    access_token: str
    expires_in: int
    offer_id: str
    authorization_details: list[dict[str, Any]] | None = None


def credential_identifier(configuration: str, credential_id: str) -> str:
    """How a credential request names one credential of an offer of several."""
    return f"{configuration}:{credential_id}"


def authorization_details(
    configuration_ids: list[str], credential_ids: list[str]
) -> list[dict[str, Any]]:
    return [
        {
            "type": "openid_credential",
            "credential_configuration_id": configuration,
            "credential_identifiers": [
                credential_identifier(configuration, c) for c in credential_ids
            ],
        }
        for configuration in configuration_ids
    ]


def redeem_pre_authorized_code(
    session: Session,
    *,
    code: str | None,
    tx_code: str | None,
    wallet_secrets: WalletSecrets,
    actor_for: Callable[[str], Actor],
    now: dt.datetime,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> AccessGrant:
    """Trade a pre-authorised code and its transaction code for an access token; flushes.

    A ``WalletProtocolError`` after a wrong transaction code leaves the lost try flushed:
    the caller commits it (the refusal must stand, or guessing would cost nothing)."""
    if not code or not isinstance(code, str):
        raise WalletProtocolError("invalid_request", "pre-authorized_code is required")
    offer = session.scalar(
        select(WalletOffer).where(WalletOffer.code_hash == sha256_hex(code[:200]))
    )
    if offer is None:
        raise WalletProtocolError("invalid_grant", "the pre-authorised code is not known")
    state = offer_state(offer, now)
    if state != "open":
        raise WalletProtocolError("invalid_grant", f"the pre-authorised code is {state}")
    if not tx_code:
        raise WalletProtocolError("invalid_request", "tx_code is required for this offer")
    expected = offer.tx_code_hash
    given = tx_code_hash(wallet_secrets, offer.id, tx_code[:MAX_TX_CODE_CHARS])
    if not hmac.compare_digest(expected, given):
        lose_a_try(session, offer, actor_for(offer.id), now)
    token = base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")
    redeemed = session.execute(
        update(WalletOffer)
        .where(WalletOffer.id == offer.id)
        .where(WalletOffer.redeemed_at.is_(None))
        .where(WalletOffer.tx_code_tries > 0)
        .where(WalletOffer.expires_at > now)
        .values(
            redeemed_at=now,
            access_token_hash=sha256_hex(token),
            access_token_expires_at=now + ACCESS_TOKEN_TTL,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(redeemed, "rowcount", 0) != 1:
        raise WalletProtocolError("invalid_grant", "the pre-authorised code was already used")
    record_for_each(
        session,
        offer,
        actor_for(offer.id),
        AuditAction.WALLET_OFFER_REDEEM,
        {"offer": offer.id},
        now,
    )
    credential_ids = offered_credential_ids(session, offer)
    details = (
        authorization_details(offer.configuration_ids, credential_ids)
        if len(credential_ids) > 1
        else None
    )
    return AccessGrant(token, int(ACCESS_TOKEN_TTL.total_seconds()), offer.id, details)


def lose_a_try(session: Session, offer: WalletOffer, actor: Actor, now: dt.datetime) -> None:
    """One try fewer (a conditional UPDATE: concurrent wrong codes each cost one); raises."""
    session.execute(
        update(WalletOffer)
        .where(WalletOffer.id == offer.id)
        .where(WalletOffer.redeemed_at.is_(None))
        .where(WalletOffer.tx_code_tries > 0)
        .values(tx_code_tries=WalletOffer.tx_code_tries - 1)
        .execution_options(synchronize_session=False)
    )
    left = session.scalar(select(WalletOffer.tx_code_tries).where(WalletOffer.id == offer.id))
    if not left:
        details = {"offer": offer.id, "tries": TX_CODE_TRIES}
        record_for_each(session, offer, actor, AuditAction.WALLET_OFFER_EXHAUSTED, details, now)
        raise WalletProtocolError(
            "invalid_grant", "wrong transaction code; no tries are left: ask for a new offer"
        )
    tries = "1 try" if left == 1 else f"{left} tries"
    raise WalletProtocolError("invalid_grant", f"wrong transaction code; {tries} left")


def offer_for_access_token(session: Session, token: str | None, now: dt.datetime) -> WalletOffer:
    """The redeemed offer an access token was issued for; ``invalid_token`` otherwise."""
    if not token:
        raise WalletProtocolError("invalid_token", "a bearer access token is required")
    offer = session.scalar(
        select(WalletOffer).where(WalletOffer.access_token_hash == sha256_hex(token[:200]))
    )
    expires = offer.access_token_expires_at if offer is not None else None
    if offer is None or expires is None or expires <= now:
        raise WalletProtocolError("invalid_token", "the access token is unknown or expired")
    return offer
