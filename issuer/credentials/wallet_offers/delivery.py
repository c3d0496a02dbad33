"""The credential endpoint's work: nonces, the credential request, and one copy of the
credential per proof of possession, each bound to its proof's key and carrying the
credential's own status entry.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from issuer.credentials.sd_jwt_vc import build_sd_jwt_vc
from issuer.credentials.wallet_offers.offer import (
    BATCH_SIZE,
    FORMATS,
    NONCE_TTL,
    WalletConfiguration,
    WalletProtocolError,
    sha256_hex,
)
from issuer.credentials.wallet_offers.redemption import credential_identifier
from issuer.credentials.wallet_proofs import HolderKey, InvalidProofError, verify_proof
from issuer.errors import ConflictError, InvalidInputError
from issuer.keys.signer import Signer
from issuer.store.audit import Actor, record_events
from issuer.store.models import Credential, WalletIssuance, WalletNonce, WalletOffer
from issuer.vocabulary import AuditAction, CredentialState
from verifier.jws import decode_unverified_jws
from verifier.urls import IssuerUrls


def issue_nonce(
    session: Session, *, now: dt.datetime, random_bytes: Callable[[int], bytes] = os.urandom
) -> tuple[str, int]:
    """A new ``c_nonce`` and its lifetime in seconds; expired nonces are purged. Flushes."""
    session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
    nonce = base64.urlsafe_b64encode(random_bytes(32)).rstrip(b"=").decode("ascii")
    session.add(
        WalletNonce(nonce_hash=sha256_hex(nonce), created_at=now, expires_at=now + NONCE_TTL)
    )
    session.flush()
    return nonce, int(NONCE_TTL.total_seconds())


def use_nonce(session: Session, nonce: str, now: dt.datetime) -> None:
    used = session.execute(
        update(WalletNonce)
        .where(WalletNonce.nonce_hash == sha256_hex(nonce[:200]))
        .where(WalletNonce.used_at.is_(None))
        .where(WalletNonce.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        raise WalletProtocolError(
            "invalid_nonce", "the c_nonce is unknown, used or expired: ask the nonce endpoint"
        )


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
    use_nonce(session, keys[0].nonce, now)
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
