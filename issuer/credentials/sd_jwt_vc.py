"""The certificate as an SD-JWT VC (``typ: dc+sd-jwt``) for wallets.

draft-ietf-oauth-sd-jwt-vc over SD-JWT (RFC 9901); the claims are in
docs/credential-format.md and the choices in docs/decisions/0056-sd-jwt-vc.md. Always
disclosed: who holds it, the occupation and level, the issuer and unit, the certificate
number; selectively disclosable: the score, exam session and date, employee number and
birth date. ``iss``, ``nbf``, ``exp``, ``cnf``, ``vct`` and ``status`` are never
selectively disclosable (SD-JWT VC "Registered JWT Claims"). The status is the same index
in the same list as the credential's Bitstring Status List entry, published as an IETF
Token Status List (``issuer/credentials/token_status_list.py``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Mapping
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.keys.signer import Signer
from issuer.store.models import Credential, StatusAllocation
from issuer.vocabulary import CredentialState
from verifier.encoding import b64url_decode, b64url_encode
from verifier.errors import MalformedError
from verifier.jwk import public_key_from_jwk
from verifier.sd_jwt import (
    SD_ALG,
    SD_JWT_VC_TYP,
    SEPARATOR,
    disclosure_digest,
    encode_disclosure,
)
from verifier.strict_json import loads_strict_object
from verifier.urls import IssuerUrls

DIGEST_COUNT: Final = 8
"""``_sd`` is padded with decoys to this many digests (RFC 9901 §4.2.5): the count tells a
reader nothing about which optional claims (score, birth date) the holder has."""

# RFC 7517 §6.2.1 / §6.3.1 (EC) and RFC 8037 §2 (OKP): the public members, all of them.
_PUBLIC_MEMBERS: Final = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x")}

SaltSource = Callable[[], str]


def random_salt() -> str:
    """128 bits from the operating system's CSPRNG, base64url (RFC 9901 §4.2.1)."""
    return b64url_encode(secrets.token_bytes(16))


def build_sd_jwt_vc(
    session: Session,
    credential: Credential,
    *,
    base_url: str,
    signer: Signer,
    holder_jwk: Mapping[str, Any],
    now: dt.datetime,
) -> str:
    """``credential`` as an SD-JWT VC bound to ``holder_jwk`` (``cnf``), with every
    disclosure and no key-binding JWT: ``<issuer-signed JWT>~<disclosure>~…~``.

    Raises ``InvalidInputError`` (``invalid_holder_key``) for a holder key that is not a
    public P-256 or Ed25519 JWK, and ``ConflictError`` (``credential_not_in_force``) for a
    credential that is revoked, suspended or superseded. Reads only; stores nothing.
    """
    if credential.state != CredentialState.ACTIVE.value:
        raise ConflictError(
            "only a credential in force can be given to a wallet",
            code=IssuerErrorCode.CREDENTIAL_NOT_IN_FORCE,
        )
    cnf_jwk = holder_public_jwk(holder_jwk)
    list_id, index = session.execute(
        select(StatusAllocation.list_id, StatusAllocation.index).where(
            StatusAllocation.credential_id == credential.id
        )
    ).one()
    plain, disclosable = sd_jwt_vc_claims(
        credential,
        base_url=base_url,
        issuer_name=_signed_issuer_name(credential),
        holder_jwk=cnf_jwk,
        status={"idx": index, "uri": IssuerUrls(base_url).token_status_list(list_id)},
        now=now,
    )
    return sign_sd_jwt(plain, disclosable, signer, salt=random_salt)


def sd_jwt_vc_claims(
    credential: Credential,
    *,
    base_url: str,
    issuer_name: str,
    holder_jwk: dict[str, str],
    status: dict[str, Any],
    now: dt.datetime,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the always-disclosed claims, the selectively disclosable ones) of ``credential``."""
    urls = IssuerUrls(base_url)
    plain: dict[str, Any] = {
        "iss": urls.issuer_id,
        "iat": int(now.timestamp()),
        "nbf": int(credential.valid_from.timestamp()),
        "vct": urls.sd_jwt_vc_type,
        "cnf": {"jwk": holder_jwk},
        "status": {"status_list": status},
        "holder_name": credential.holder_name,
        "occupation": {
            "code": credential.occupation.code,
            "name_zh": credential.occupation.name_zh,
            "name_en": credential.occupation.name_en,
        },
        "level": {
            "code": credential.level.code,
            "name_zh": credential.level.name_zh,
            "name_en": credential.level.name_en,
        },
        "issuer_name": issuer_name,
        "unit": {
            "code": credential.unit.code,
            "name_zh": credential.unit.name_zh,
            "name_en": credential.unit.name_en,
        },
        "certificate_number": credential.number,
    }
    if credential.valid_until is not None:
        plain["exp"] = int(credential.valid_until.timestamp())
    disclosable: dict[str, Any] = {
        "employee_number": credential.holder.employee_number,
        "exam_session": credential.exam_session,
        "exam_date": credential.exam_date.isoformat(),
    }
    if credential.score is not None:
        disclosable["score"] = credential.score
    if credential.holder.birth_date is not None:
        disclosable["birth_date"] = credential.holder.birth_date.isoformat()
    return plain, disclosable


def sign_sd_jwt(
    plain: dict[str, Any],
    disclosable: Mapping[str, Any],
    signer: Signer,
    *,
    salt: SaltSource,
) -> str:
    """Sign ``plain`` with one disclosure per ``disclosable`` claim, its digests (and decoys)
    sorted in ``_sd`` so their order says nothing (RFC 9901 §4.2.4.1): ``<JWT>~<d>~…~``."""
    overlap = plain.keys() & disclosable.keys()
    if overlap:  # RFC 9901 §4.2.1: a disclosed name must not also be a plain claim
        raise ValueError("a claim cannot be both plain and selectively disclosable")
    disclosures = [encode_disclosure(salt(), name, value) for name, value in disclosable.items()]
    digests = [disclosure_digest(d) for d in disclosures]
    while len(digests) < DIGEST_COUNT:  # decoys: digests of random salts (§4.2.5)
        digests.append(disclosure_digest(salt()))
    payload = {**plain, "_sd": sorted(digests), "_sd_alg": SD_ALG}
    jwt = signer.sign(payload, typ=SD_JWT_VC_TYP)
    return SEPARATOR.join([jwt, *disclosures, ""])


def holder_public_jwk(unverified_jwk: Mapping[str, Any]) -> dict[str, str]:
    """The holder's key reduced to its public members, for ``cnf.jwk`` (RFC 7800 §3.2).

    Only P-256 (ES256) and Ed25519 (EdDSA) keys are taken (the allowlist, RFC 8725 §3.1); a
    key with private members is refused, not cleaned: whoever sent it has leaked it.
    """
    if not isinstance(unverified_jwk, Mapping):
        raise _bad_key("the holder key must be a JWK object")
    jwk = dict(unverified_jwk)
    members = _PUBLIC_MEMBERS.get(jwk.get("kty"))  # type: ignore[arg-type]
    if members is None or any(not isinstance(jwk.get(name), str) for name in members):
        raise _bad_key("the holder key must be a public P-256 or Ed25519 JWK")
    try:
        public_key_from_jwk(jwk)  # refuses private members, other types, off-curve points
    except MalformedError:
        raise _bad_key("the holder key must be a public P-256 or Ed25519 JWK") from None
    return {name: str(jwk[name]) for name in members}


def _bad_key(message: str) -> InvalidInputError:
    return InvalidInputError(message, code=IssuerErrorCode.INVALID_HOLDER_KEY)


def _signed_issuer_name(credential: Credential) -> str:
    # The name the credential was signed under, not today's profile: both forms of one
    # certificate name the same issuer. The stored token is our own, already trusted.
    payload = loads_strict_object(b64url_decode(credential.jws.split(".")[1]))
    issuer = payload.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return name if isinstance(name, str) else IssuerUrls(str(payload.get("iss", ""))).issuer_id
