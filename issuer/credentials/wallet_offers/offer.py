"""Offers and their codes: what a registrar or a holder makes, and what a wallet resolves.

An offer of one holder's credentials (``create_offer``) is a random reference (the
``credential_offer_uri`` path), a pre-authorised code derived from it, and a numeric
transaction code given to the holder out of band. Only hashes are stored (decision 0057):
the reference and the code as SHA-256, the transaction code as HMAC-SHA-256 under a key
derived from the key passphrase.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.store.audit import Actor, record_events
from issuer.store.models import Credential, WalletOffer, WalletOfferCredential
from issuer.vocabulary import AuditAction, CredentialState
from verifier.i18n import both
from verifier.urls import IssuerUrls

PRE_AUTHORIZED_GRANT: Final = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
OFFER_TTL: Final = dt.timedelta(minutes=15)
ACCESS_TOKEN_TTL: Final = dt.timedelta(minutes=10)
NONCE_TTL: Final = dt.timedelta(minutes=5)
TX_CODE_DIGITS: Final = 6
TX_CODE_TRIES: Final = 5
BATCH_SIZE: Final = 5  # proofs (copies, keys) in one credential request
MAX_TX_CODE_CHARS: Final = 64
MAX_OFFERED_CREDENTIALS: Final = 20  # credentials of one holder in one offer
# HKDF purposes of the keys derived from the key passphrase (issuer/keys/sealed.py).
TX_CODE_KEY_PURPOSE: Final = "tessera wallet transaction codes"
CODE_KEY_PURPOSE: Final = "tessera wallet pre-authorised codes"


class WalletConfiguration(StrEnum):
    """The credential configurations this issuer offers (``credential_configurations_
    supported`` keys; public API)."""

    SD_JWT = "skill_certificate_sd_jwt"  # dc+sd-jwt
    OPEN_BADGE_JWT = "open_badge_jwt_vc_json"  # jwt_vc_json: the OB 3.0 credential as vc+jwt


FORMATS: Final[Mapping[WalletConfiguration, str]] = {
    WalletConfiguration.SD_JWT: "dc+sd-jwt",
    WalletConfiguration.OPEN_BADGE_JWT: "jwt_vc_json",
}


class WalletProtocolError(InvalidInputError):
    """A wallet's request refused with an OAuth 2.0 / OpenID4VCI ``error`` code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class WalletSecrets:
    """The keys of the keyed hashes: derived from the key passphrase, never stored."""

    tx_code_key: bytes
    code_key: bytes


@dataclass(frozen=True)
class NewOffer:
    """An offer just made: what the holder is given (once; only hashes are kept)."""

    offer_id: str
    reference: str
    pre_authorized_code: str
    tx_code: str
    configuration_ids: tuple[str, ...]
    expires_at: dt.datetime


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def tx_code_hash(secrets_: WalletSecrets, offer_id: str, tx_code: str) -> str:
    message = f"{offer_id}:{tx_code}".encode()
    return hmac.new(secrets_.tx_code_key, message, hashlib.sha256).hexdigest()


def pre_authorized_code_for(secrets_: WalletSecrets, reference: str) -> str:
    """The pre-authorised code of the offer whose reference is ``reference``: derived, so the
    offer can be served by reference without storing the code."""
    digest = hmac.new(secrets_.code_key, reference.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def create_offer(
    session: Session,
    credentials: list[Credential],
    *,
    configuration_ids: list[str] | None,
    wallet_secrets: WalletSecrets,
    actor: Actor,
    now: dt.datetime,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> NewOffer:
    """An offer of ``credentials`` (one holder's; usually one) in the given configurations
    (all when ``None``); flushes.

    Refused for a credential that is not in force (revoked, suspended, superseded), and for
    credentials of more than one holder."""
    ids = list(dict.fromkeys(credential.id for credential in credentials))
    if not 1 <= len(ids) <= MAX_OFFERED_CREDENTIALS:
        raise InvalidInputError(
            f"an offer holds 1 to {MAX_OFFERED_CREDENTIALS} credentials, each once"
        )
    if len(ids) != len(credentials) or len({c.holder_id for c in credentials}) != 1:
        raise InvalidInputError("an offer holds credentials of one holder, each once")
    if any(credential.state != CredentialState.ACTIVE for credential in credentials):
        raise ConflictError(
            "only a credential in force can be offered to a wallet",
            code=IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE,
        )
    wanted = list(WalletConfiguration) if configuration_ids is None else configuration_ids
    unknown = sorted(set(wanted) - set(WalletConfiguration))
    if unknown or not wanted:
        raise InvalidInputError(
            "credential_configuration_ids must name some of: " + ", ".join(WalletConfiguration)
        )
    chosen = tuple(dict.fromkeys(wanted))  # in the order given, once each
    offer_id = str(uuid.UUID(bytes=random_bytes(16), version=4))
    reference = base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")
    tx_code = "".join(str(digit) for digit in unbiased_digits(random_bytes))
    code = pre_authorized_code_for(wallet_secrets, reference)
    expires_at = now + OFFER_TTL
    session.add(
        WalletOffer(
            id=offer_id,
            credential_id=ids[0],
            configuration_ids=list(chosen),
            reference_hash=sha256_hex(reference),
            code_hash=sha256_hex(code),
            tx_code_hash=tx_code_hash(wallet_secrets, offer_id, tx_code),
            tx_code_tries=TX_CODE_TRIES,
            created_by=actor.name,
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    session.add_all(
        WalletOfferCredential(offer_id=offer_id, credential_id=credential_id, position=n)
        for n, credential_id in enumerate(ids)
    )
    session.flush()
    details = {"offer": offer_id, "configurations": list(chosen)}
    record_events(
        session,
        actor,
        AuditAction.WALLET_OFFER_CREATE,
        [(credential_id, details) for credential_id in ids],
        now=now,
    )
    return NewOffer(offer_id, reference, code, tx_code, chosen, expires_at)


def offered_credential_ids(session: Session, offer: WalletOffer) -> list[str]:
    """The ids of the credentials ``offer`` holds, in the order offered."""
    return list(
        session.scalars(
            select(WalletOfferCredential.credential_id)
            .where(WalletOfferCredential.offer_id == offer.id)
            .order_by(WalletOfferCredential.position)
        )
    )


def record_for_each(
    session: Session,
    offer: WalletOffer,
    actor: Actor,
    action: AuditAction,
    details: dict[str, Any],
    now: dt.datetime,
) -> None:
    """One audit event per credential of the offer: each credential's timeline shows it."""
    targets: list[tuple[str | None, dict[str, Any]]] = [
        (cid, details) for cid in offered_credential_ids(session, offer)
    ]
    record_events(session, actor, action, targets, now=now)


def unbiased_digits(random_bytes: Callable[[int], bytes]) -> list[int]:
    """``TX_CODE_DIGITS`` uniform digits: bytes of 250 and above are drawn again."""
    digits: list[int] = []
    while len(digits) < TX_CODE_DIGITS:
        digits.extend(b % 10 for b in random_bytes(TX_CODE_DIGITS) if b < 250)
    return digits[:TX_CODE_DIGITS]


def offer_document(
    urls: IssuerUrls, configuration_ids: tuple[str, ...], code: str
) -> dict[str, Any]:
    """The Credential Offer (OpenID4VCI 1.0 §4.1.1) a wallet resolves."""
    zh, en = both("wallet.tx_code.description", digits=TX_CODE_DIGITS)
    return {
        "credential_issuer": urls.issuer_id,
        "credential_configuration_ids": list(configuration_ids),
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                "tx_code": {
                    "input_mode": "numeric",
                    "length": TX_CODE_DIGITS,
                    "description": f"{zh} / {en}",
                },
            }
        },
    }


def offer_by_reference(
    session: Session,
    reference: str,
    *,
    urls: IssuerUrls,
    wallet_secrets: WalletSecrets,
    now: dt.datetime,
) -> dict[str, Any]:
    """The offer a ``credential_offer_uri`` names, while it can still be redeemed."""
    offer = session.scalar(
        select(WalletOffer).where(WalletOffer.reference_hash == sha256_hex(reference[:100]))
    )
    if offer is None or not is_open(offer, now):
        raise NotFoundError("no such offer, or it was used or has expired")
    code = pre_authorized_code_for(wallet_secrets, reference)
    return offer_document(urls, tuple(offer.configuration_ids), code)


def is_open(offer: WalletOffer, now: dt.datetime) -> bool:
    return offer.redeemed_at is None and offer.tx_code_tries > 0 and offer.expires_at > now


def offer_state(offer: WalletOffer, now: dt.datetime) -> str:
    """``open``, ``redeemed``, ``exhausted`` (wrong transaction codes) or ``expired``."""
    if offer.redeemed_at is not None:
        return "redeemed"
    if offer.tx_code_tries <= 0:
        return "exhausted"
    return "open" if offer.expires_at > now else "expired"


def count_open_offers(session: Session, credential_id: str, now: dt.datetime) -> int:
    """How many offers holding ``credential_id`` a wallet could still redeem now."""
    counted = session.scalar(
        select(func.count(func.distinct(WalletOffer.id)))
        .join(WalletOfferCredential, WalletOfferCredential.offer_id == WalletOffer.id)
        .where(WalletOfferCredential.credential_id == credential_id)
        .where(WalletOffer.redeemed_at.is_(None))
        .where(WalletOffer.tx_code_tries > 0)
        .where(WalletOffer.expires_at > now)
    )
    return int(counted or 0)
