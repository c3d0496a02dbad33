"""OpenID4VCI 1.0 for wallets, no registrar account: metadata, offers by reference, the
token endpoint (pre-authorised code), the nonce endpoint and the credential endpoint.

Refusals are OAuth 2.0 error JSON (``{"error": ..., "error_description": ...}``, RFC 6749
§5.2, OpenID4VCI 1.0 §8.3.1.2) rather than problem details: that is what wallets read. A
missing or bad access token is 401 with ``WWW-Authenticate: Bearer`` (RFC 6750 §3).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any, Final

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, Response

from issuer.credentials.wallet_metadata import (
    authorization_server_metadata,
    credential_issuer_metadata,
)
from issuer.credentials.wallet_offers import (
    BATCH_SIZE,
    PRE_AUTHORIZED_GRANT,
    WalletProtocolError,
    issue_nonce,
    issue_to_wallet,
    offer_by_reference,
    offer_for_access_token,
    offered_credential_ids,
    parse_credential_request,
    redeem_pre_authorized_code,
)
from issuer.store.audit import Actor
from issuer.web.deps import ReadSessionDep, ServicesDep, SessionDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.oid4vci_offers import wallet_secrets

log = logging.getLogger(__name__)

router = APIRouter(tags=["wallets"])

_NO_STORE = {"Cache-Control": "no-store"}
_OAUTH_ERROR: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}
_REFUSALS: Final[dict[int | str, dict[str, Any]]] = {
    400: {
        "description": "OAuth 2.0 error (RFC 6749 §5.2, OpenID4VCI 1.0 §8.3.1.2)",
        "content": {"application/json": {"schema": _OAUTH_ERROR}},
    }
}
_TOKEN_REFUSALS: Final[dict[int | str, dict[str, Any]]] = {
    **_REFUSALS,
    200: {
        "description": "An access token for the offer's credential",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["access_token", "token_type", "expires_in"],
                    "properties": {
                        "access_token": {"type": "string"},
                        "token_type": {"type": "string", "enum": ["Bearer"]},
                        "expires_in": {"type": "integer"},
                        "authorization_details": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    },
}
_CREDENTIAL_REFUSALS: Final[dict[int | str, dict[str, Any]]] = {
    **_REFUSALS,
    401: {
        "description": "No valid access token (WWW-Authenticate: Bearer)",
        "content": {"application/json": {"schema": _OAUTH_ERROR}},
    },
    200: {
        "description": "One credential per proof",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["credentials"],
                    "properties": {
                        "credentials": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["credential"],
                                "properties": {"credential": {"type": "string"}},
                            },
                        }
                    },
                }
            }
        },
    },
}
_CREDENTIAL_REQUEST: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["credential_configuration_id", "proofs"],
                    "properties": {
                        "credential_configuration_id": {"type": "string"},
                        "proofs": {
                            "type": "object",
                            "properties": {
                                "jwt": {
                                    "type": "array",
                                    "items": {"type": "string"},
                                    "minItems": 1,
                                    "maxItems": BATCH_SIZE,
                                }
                            },
                        },
                    },
                }
            }
        },
    }
}
_METADATA_CACHE = {"Cache-Control": "public, max-age=300"}
MAX_CREDENTIAL_REQUEST_BYTES = 64 * 1024


def _wallet_actor(offer_id: str) -> Actor:
    return Actor(f"wallet:offer:{offer_id}", current_request_id() or uuid.uuid4().hex)


def _refusal(exc: WalletProtocolError) -> JSONResponse:
    body = {"error": exc.error, "error_description": exc.description}
    if exc.error == "invalid_token":
        challenge = f'Bearer error="invalid_token", error_description="{exc.description}"'
        return JSONResponse(
            body, status_code=401, headers={**_NO_STORE, "WWW-Authenticate": challenge}
        )
    return JSONResponse(body, status_code=400, headers=_NO_STORE)


@router.get("/.well-known/openid-credential-issuer")
def issuer_metadata(session: ReadSessionDep, services: ServicesDep) -> Response:
    """Credential Issuer Metadata (OpenID4VCI 1.0 §12.2): endpoints, formats, display."""
    body = credential_issuer_metadata(
        services.urls, services.profile(session), signing_alg=services.hot_signer().algorithm
    )
    return JSONResponse(body, headers=_METADATA_CACHE)


@router.get("/.well-known/oauth-authorization-server")
def oauth_metadata(services: ServicesDep) -> Response:
    """OAuth 2.0 Authorization Server Metadata (RFC 8414) of the pre-authorised code flow."""
    return JSONResponse(authorization_server_metadata(services.urls), headers=_METADATA_CACHE)


@router.get("/oid4vci/offers/{reference}")
def offer(reference: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """The credential offer a ``credential_offer_uri`` names (404 once used or expired)."""
    body = offer_by_reference(
        session,
        reference,
        urls=services.urls,
        wallet_secrets=wallet_secrets(services),
        now=services.clock(),
    )
    return JSONResponse(body, headers=_NO_STORE)


@router.post("/oid4vci/token", responses=_TOKEN_REFUSALS)
def token(
    session: SessionDep,
    services: ServicesDep,
    grant_type: Annotated[str | None, Form()] = None,
    pre_authorized_code: Annotated[str | None, Form(alias="pre-authorized_code")] = None,
    tx_code: Annotated[str | None, Form()] = None,
) -> Response:
    """Token endpoint (RFC 6749 §3.2, OpenID4VCI 1.0 §6): form-encoded ``grant_type``
    ``urn:ietf:params:oauth:grant-type:pre-authorized_code``, ``pre-authorized_code`` and
    ``tx_code``. The code is single-use; a wrong ``tx_code`` costs one try."""
    if grant_type != PRE_AUTHORIZED_GRANT:
        error = "invalid_request" if grant_type is None else "unsupported_grant_type"
        return _refusal(WalletProtocolError(error, f"grant_type must be {PRE_AUTHORIZED_GRANT}"))
    try:
        grant = redeem_pre_authorized_code(
            session,
            code=pre_authorized_code,
            tx_code=tx_code,
            wallet_secrets=wallet_secrets(services),
            actor_for=_wallet_actor,
            now=services.clock(),
        )
    except WalletProtocolError as exc:
        session.commit()  # a wrong transaction code's lost try stands
        return _refusal(exc)
    session.commit()
    log.info("wallet offer redeemed", extra={"offer_id": grant.offer_id})
    body: dict[str, Any] = {
        "access_token": grant.access_token,
        "token_type": "Bearer",
        "expires_in": grant.expires_in,
    }
    if grant.authorization_details is not None:
        body["authorization_details"] = grant.authorization_details
    return JSONResponse(body, headers=_NO_STORE)


@router.post("/oid4vci/nonce")
def nonce(session: SessionDep, services: ServicesDep) -> Response:
    """Nonce endpoint (OpenID4VCI 1.0 §7): a fresh single-use ``c_nonce`` for proofs."""
    value, lifetime = issue_nonce(session, now=services.clock())
    session.commit()
    return JSONResponse({"c_nonce": value, "c_nonce_expires_in": lifetime}, headers=_NO_STORE)


def _bearer(request: Request) -> str | None:
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" and presented.strip() else None


async def _raw_body(request: Request) -> bytes:
    """The body as sent: a body that is not JSON is the protocol's error, not a 422."""
    return await request.body()


@router.post(
    "/oid4vci/credential", responses=_CREDENTIAL_REFUSALS, openapi_extra=_CREDENTIAL_REQUEST
)
def credential(
    request: Request,
    raw: Annotated[bytes, Depends(_raw_body)],
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """Credential endpoint (OpenID4VCI 1.0 §8): ``credential_configuration_id`` and
    ``proofs.jwt`` (one credential per proof, bound to its key); bearer access token."""
    now = services.clock()
    try:
        offer = offer_for_access_token(session, _bearer(request), now)
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise WalletProtocolError(
                "invalid_credential_request", "the body must be JSON"
            ) from None
        issued = issue_to_wallet(
            session,
            offer,
            parse_credential_request(body, offer, offered_credential_ids(session, offer)),
            urls=services.urls,
            signer=services.signer(session),
            actor=_wallet_actor(offer.id),
            now=now,
        )
    except WalletProtocolError as exc:
        session.rollback()  # a used nonce is given back with everything else
        return _refusal(exc)
    session.commit()
    log.info("wallet credentials issued", extra={"offer_id": offer.id, "count": len(issued)})
    return JSONResponse(
        {"credentials": [{"credential": value} for value in issued]}, headers=_NO_STORE
    )
