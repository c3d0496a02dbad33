"""A holder offers their own credential to their wallet, from their own share link.

The holder's share page (``/s/{token}``, not a view link made for an employer) has an "add
to my wallet" form (``issuer/web/routes/holder_wallet.py``). It makes an OpenID4VCI offer
with the very ``create_offer`` a registrar's offer goes through, of every configuration, so
what the wallet does next is the same (decision 0057); the audit log names the holder's link
as the actor, as for view links (decision 0050).

An offer is refused for a credential that is not in force now (revoked, suspended,
superseded, expired, not yet valid) and while ``MAX_OPEN_OFFERS`` offers of the credential
can still be redeemed (decision 0059): each lives 15 minutes, so a page reloaded in a loop
makes at most that many live pre-authorised codes. The credential's row is locked
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time) while the open
offers are counted, so concurrent forms cannot pass the bound together.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.credentials.wallet_offers import (
    NewOffer,
    WalletSecrets,
    count_open_offers,
    create_offer,
)
from issuer.documents.view_link import holder_actor, holder_link
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.store.models import Credential
from issuer.vocabulary import CredentialState

MAX_OPEN_OFFERS: Final = 3  # offers of one credential a wallet could still redeem at once


def offer_to_holder_wallet(
    session: Session,
    holder_token: str,
    *,
    wallet_secrets: WalletSecrets,
    now: dt.datetime,
    request_id: str | None = None,
) -> NewOffer:
    """An offer of the holder's credential, of every configuration, made from the holder's
    own link; flushes. ``PermissionDeniedError`` for a view link,
    ``ShareLinkGoneError``/``NotFoundError`` for a link that does not work,
    ``ConflictError`` (``credential_not_in_force``, ``too_many_wallet_offers``) otherwise."""
    link = holder_link(session, holder_token, now=now)
    credential = session.scalars(
        select(Credential).where(Credential.id == link.credential_id).with_for_update()
    ).one()
    in_force = (
        credential.state == CredentialState.ACTIVE
        and credential.valid_from <= now
        and (credential.valid_until is None or credential.valid_until > now)
    )
    if not in_force:
        raise ConflictError(
            "only a credential in force can be offered to a wallet",
            code=IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE,
        )
    if count_open_offers(session, credential.id, now) >= MAX_OPEN_OFFERS:
        raise ConflictError(
            f"at most {MAX_OPEN_OFFERS} offers of a credential can be open at a time",
            code=IssuerErrorCode.TOO_MANY_WALLET_OFFERS,
        )
    return create_offer(
        session,
        [credential],
        configuration_ids=None,
        wallet_secrets=wallet_secrets,
        actor=holder_actor(link, request_id),
        now=now,
    )
