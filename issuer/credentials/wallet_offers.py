"""Credentials into holders' wallets: OpenID4VCI 1.0, pre-authorised code flow.

A registrar makes an offer of one credential (``create_offer``): a random reference (the
``credential_offer_uri`` path), a pre-authorised code derived from it, and a numeric
transaction code the holder is given out of band. The wallet trades the code and the
transaction code for an access token (``redeem_pre_authorized_code``: single-use, even under
concurrency; a wrong transaction code costs one of ``TX_CODE_TRIES`` tries and, at the last,
the offer), asks for a ``c_nonce`` (``issue_nonce``), and sends proofs of possession of its
keys to the credential endpoint (``issue_to_wallet``): one copy of the credential per proof,
each bound to its key, each carrying the credential's own status entry.

Nothing secret is stored in the clear (decision 0057): references, codes, access tokens and
nonces as SHA-256, the transaction code as HMAC-SHA-256 under a key derived from the key
passphrase (six digits would fall to a dictionary of a million SHA-256 hashes). No code or
token is logged or audited.

Errors the wallet is answered with are ``WalletProtocolError`` with the protocol's own
``error`` code (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2); the web layer renders them as OAuth
error JSON, not problem details.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from issuer.credentials.sd_jwt_vc import build_sd_jwt_vc
from issuer.credentials.wallet_proofs import HolderKey, InvalidProofError, verify_proof
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.keys.signer import Signer
from issuer.store.audit import Actor, record_events
from issuer.store.models import (
    Credential,
    WalletIssuance,
    WalletNonce,
    WalletOffer,
    WalletOfferCredential,
)
from issuer.vocabulary import AuditAction, CredentialState
from verifier.i18n import both
from verifier.jws import decode_unverified_jws
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


@dataclass(frozen=True)
class AccessGrant:
    """The token endpoint's answer: an access token for the offer's credentials, and for an
    offer of several, which ``credential_identifier`` names each (``authorization_details``,
    OpenID4VCI 1.0 §6.2)."""

    access_token: str
    expires_in: int
    offer_id: str
    authorization_details: list[dict[str, Any]] | None = None


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _tx_code_hash(secrets_: WalletSecrets, offer_id: str, tx_code: str) -> str:
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
    tx_code = "".join(str(digit) for digit in _unbiased_digits(random_bytes))
    code = pre_authorized_code_for(wallet_secrets, reference)
    expires_at = now + OFFER_TTL
    session.add(
        WalletOffer(
            id=offer_id,
            credential_id=ids[0],
            configuration_ids=list(chosen),
            reference_hash=_sha256(reference),
            code_hash=_sha256(code),
            tx_code_hash=_tx_code_hash(wallet_secrets, offer_id, tx_code),
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


def _record_for_each(
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


def credential_identifier(configuration: str, credential_id: str) -> str:
    """How a credential request names one credential of an offer of several."""
    return f"{configuration}:{credential_id}"


def _authorization_details(
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


def _unbiased_digits(random_bytes: Callable[[int], bytes]) -> list[int]:
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
        select(WalletOffer).where(WalletOffer.reference_hash == _sha256(reference[:100]))
    )
    if offer is None or not _open(offer, now):
        raise NotFoundError("no such offer, or it was used or has expired")
    code = pre_authorized_code_for(wallet_secrets, reference)
    return offer_document(urls, tuple(offer.configuration_ids), code)


def _open(offer: WalletOffer, now: dt.datetime) -> bool:
    return offer.redeemed_at is None and offer.tx_code_tries > 0 and offer.expires_at > now


def offer_state(offer: WalletOffer, now: dt.datetime) -> str:
    """``open``, ``redeemed``, ``exhausted`` (wrong transaction codes) or ``expired``."""
    if offer.redeemed_at is not None:
        return "redeemed"
    if offer.tx_code_tries <= 0:
        return "exhausted"
    return "open" if offer.expires_at > now else "expired"


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
    offer = session.scalar(select(WalletOffer).where(WalletOffer.code_hash == _sha256(code[:200])))
    if offer is None:
        raise WalletProtocolError("invalid_grant", "the pre-authorised code is not known")
    state = offer_state(offer, now)
    if state != "open":
        raise WalletProtocolError("invalid_grant", f"the pre-authorised code is {state}")
    if not tx_code:
        raise WalletProtocolError("invalid_request", "tx_code is required for this offer")
    expected = offer.tx_code_hash
    given = _tx_code_hash(wallet_secrets, offer.id, tx_code[:MAX_TX_CODE_CHARS])
    if not hmac.compare_digest(expected, given):
        _lose_a_try(session, offer, actor_for(offer.id), now)
    token = base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")
    redeemed = session.execute(
        update(WalletOffer)
        .where(WalletOffer.id == offer.id)
        .where(WalletOffer.redeemed_at.is_(None))
        .where(WalletOffer.tx_code_tries > 0)
        .where(WalletOffer.expires_at > now)
        .values(
            redeemed_at=now,
            access_token_hash=_sha256(token),
            access_token_expires_at=now + ACCESS_TOKEN_TTL,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(redeemed, "rowcount", 0) != 1:
        raise WalletProtocolError("invalid_grant", "the pre-authorised code was already used")
    _record_for_each(
        session,
        offer,
        actor_for(offer.id),
        AuditAction.WALLET_OFFER_REDEEM,
        {"offer": offer.id},
        now,
    )
    credential_ids = offered_credential_ids(session, offer)
    details = (
        _authorization_details(offer.configuration_ids, credential_ids)
        if len(credential_ids) > 1
        else None
    )
    return AccessGrant(token, int(ACCESS_TOKEN_TTL.total_seconds()), offer.id, details)


def _lose_a_try(session: Session, offer: WalletOffer, actor: Actor, now: dt.datetime) -> None:
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
        _record_for_each(session, offer, actor, AuditAction.WALLET_OFFER_EXHAUSTED, details, now)
        raise WalletProtocolError(
            "invalid_grant", "wrong transaction code; no tries are left: ask for a new offer"
        )
    tries = "1 try" if left == 1 else f"{left} tries"
    raise WalletProtocolError("invalid_grant", f"wrong transaction code; {tries} left")


def issue_nonce(
    session: Session, *, now: dt.datetime, random_bytes: Callable[[int], bytes] = os.urandom
) -> tuple[str, int]:
    """A new ``c_nonce`` and its lifetime in seconds; expired nonces are purged. Flushes."""
    session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
    nonce = base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")
    session.add(WalletNonce(nonce_hash=_sha256(nonce), created_at=now, expires_at=now + NONCE_TTL))
    session.flush()
    return nonce, int(NONCE_TTL.total_seconds())


def _use_nonce(session: Session, nonce: str, now: dt.datetime) -> None:
    used = session.execute(
        update(WalletNonce)
        .where(WalletNonce.nonce_hash == _sha256(nonce[:200]))
        .where(WalletNonce.used_at.is_(None))
        .where(WalletNonce.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise WalletProtocolError(
            "invalid_nonce", "the c_nonce is unknown, used or expired: ask the nonce endpoint"
        )


def offer_for_access_token(session: Session, token: str | None, now: dt.datetime) -> WalletOffer:
    """The redeemed offer an access token was issued for; ``invalid_token`` otherwise."""
    if not token:
        raise WalletProtocolError("invalid_token", "a bearer access token is required")
    offer = session.scalar(
        select(WalletOffer).where(WalletOffer.access_token_hash == _sha256(token[:200]))
    )
    expires = offer.access_token_expires_at if offer is not None else None
    if offer is None or expires is None or expires <= now:
        raise WalletProtocolError("invalid_token", "the access token is unknown or expired")
    return offer


@dataclass(frozen=True)
class CredentialRequest:
    """A credential request's members this issuer reads, checked for shape."""

    configuration: WalletConfiguration
    credential_id: str
    proofs: tuple[object, ...]


def parse_credential_request(
    body: object, offer: WalletOffer, credential_ids: list[str]
) -> CredentialRequest:
    """The credential request (OpenID4VCI 1.0 §8.2) checked against the offer, whose
    credentials are ``credential_ids``: one is asked for by ``credential_configuration_id``,
    one of several by the ``credential_identifier`` the token response listed."""
    if not isinstance(body, dict):
        raise WalletProtocolError("invalid_credential_request", "the body must be a JSON object")
    several = len(credential_ids) > 1
    if "credential_identifier" in body:
        identifier = body["credential_identifier"]
        if not several or "credential_configuration_id" in body:
            raise WalletProtocolError(
                "invalid_credential_request",
                "send credential_identifier only as the token response listed it, alone",
            )
        named = {
            credential_identifier(c, cid): (c, cid)
            for c in offer.configuration_ids
            for cid in credential_ids
        }
        if not isinstance(identifier, str) or identifier not in named:
            raise WalletProtocolError(
                "unknown_credential_identifier", "this access token has no such credential"
            )
        configuration_id, credential_id = named[identifier]
    else:
        asked = body.get("credential_configuration_id")
        if not isinstance(asked, str):
            raise WalletProtocolError(
                "invalid_credential_request", "credential_configuration_id is required"
            )
        configuration_id = asked
        if configuration_id not in offer.configuration_ids:
            raise WalletProtocolError(
                "unknown_credential_configuration",
                "this access token's offer has no such credential configuration",
            )
        if several:
            raise WalletProtocolError(
                "invalid_credential_request",
                "this offer holds several credentials: send the credential_identifier the"
                " token response listed",
            )
        credential_id = credential_ids[0]
    proofs = body.get("proofs")
    if "proof" in body:
        # Draft 15's single ``proof`` (1.0 has ``proofs`` only): wallets on draft-15
        # libraries still send it; read as one JWT proof, never beside ``proofs``.
        legacy = body["proof"]
        if "proofs" in body or not isinstance(legacy, dict) or legacy.get("proof_type") != "jwt":
            raise WalletProtocolError(
                "invalid_credential_request", 'send proofs: {"jwt": [...]} (OpenID4VCI 1.0)'
            )
        proofs = {"jwt": [legacy.get("jwt")]}
    if not isinstance(proofs, dict) or set(proofs) != {"jwt"}:
        raise WalletProtocolError(
            "invalid_credential_request", 'proofs must be {"jwt": [...]} (the only proof type)'
        )
    jwts = proofs["jwt"]
    if not isinstance(jwts, list) or not 1 <= len(jwts) <= BATCH_SIZE:
        raise WalletProtocolError(
            "invalid_credential_request", f"proofs.jwt must hold 1 to {BATCH_SIZE} proofs"
        )
    return CredentialRequest(WalletConfiguration(configuration_id), credential_id, tuple(jwts))


def issue_to_wallet(
    session: Session,
    offer: WalletOffer,
    request: CredentialRequest,
    *,
    urls: IssuerUrls,
    signer: Signer,
    actor: Actor,
    now: dt.datetime,
) -> list[str]:
    """One credential per proof, each bound to its proof's key; flushes.

    Every proof must verify and carry the same unused ``c_nonce``, which is then used up."""
    keys: list[HolderKey] = []
    for proof in request.proofs:
        try:
            keys.append(verify_proof(proof, audience=urls.issuer_id, now=now))
        except InvalidProofError as exc:
            raise WalletProtocolError("invalid_proof", str(exc)) from None
    if len({key.nonce for key in keys}) != 1:
        raise WalletProtocolError("invalid_proof", "every proof must carry the same c_nonce")
    _use_nonce(session, keys[0].nonce, now)
    credential = session.get(Credential, request.credential_id)
    if credential is None or credential.state != CredentialState.ACTIVE:
        raise WalletProtocolError(
            "credential_request_denied", "the credential is no longer in force"
        )
    credential_format = FORMATS[request.configuration]
    issued = []
    for key in keys:
        if request.configuration is WalletConfiguration.SD_JWT:
            try:
                issued.append(
                    build_sd_jwt_vc(
                        session,
                        credential,
                        base_url=urls.issuer_id,
                        signer=signer,
                        holder_jwk=key.jwk,
                        now=now,
                    )
                )
            except NotImplementedError:
                raise WalletProtocolError(
                    "credential_request_denied", "this format cannot be issued yet"
                ) from None
            except ConflictError:
                raise WalletProtocolError(
                    "credential_request_denied", "the credential is no longer in force"
                ) from None
            except InvalidInputError:
                raise WalletProtocolError(
                    "invalid_proof", "the proof's key cannot hold this credential"
                ) from None
        else:
            issued.append(open_badge_copy(credential, key.jwk, signer=signer, now=now))
        session.add(
            WalletIssuance(
                offer_id=offer.id,
                credential_id=credential.id,
                format=credential_format,
                holder_key_thumbprint=key.thumbprint,
                issued_at=now,
            )
        )
    session.flush()
    record_events(
        session,
        actor,
        AuditAction.WALLET_CREDENTIAL_ISSUE,
        [
            (credential.id, {"offer": offer.id, "format": credential_format, "key": key.thumbprint})
            for key in keys
        ],
        now=now,
    )
    return issued


def did_jwk(jwk: Mapping[str, str]) -> str:
    """The ``did:jwk`` of a public key (did:jwk method: base64url of its JWK's JSON)."""
    encoded = json.dumps(dict(jwk), separators=(",", ":"), sort_keys=True).encode("utf-8")
    return "did:jwk:" + base64.urlsafe_b64encode(encoded).rstrip(b"=").decode("ascii")


def open_badge_copy(
    credential: Credential, holder_jwk: Mapping[str, str], *, signer: Signer, now: dt.datetime
) -> str:
    """A fresh ``vc+jwt`` of the stored Open Badges credential bound to the holder's key:
    ``credentialSubject.id`` and ``sub`` are its ``did:jwk``; the ``id``/``jti``, the
    validity and the very ``credentialStatus`` entry are the credential's own, so revoking
    the credential revokes this copy."""
    payload = dict(decode_unverified_jws(credential.jws).payload)  # our own stored token
    subject = did_jwk(holder_jwk)
    payload["credentialSubject"] = {**payload["credentialSubject"], "id": subject}
    payload["sub"] = subject
    payload["iat"] = int(now.timestamp())
    return signer.sign(payload)
