"""Public documents, no authentication: keys, achievements and status lists; ``/`` leads to
the verify page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from issuer.credentials.catalog import find_achievement, find_unit_profile
from issuer.errors import NotFoundError
from issuer.keys.jwks import published_jwks
from issuer.keys.keystore import get_key
from issuer.vocabulary import KeyState
from issuer.web.deps import ReadSessionDep, RowIdPath, ServicesDep
from issuer.web.routes.status_lists import published_list_response
from verifier.format import (
    JWK_SET_MEDIA_TYPE,
    OPEN_BADGE_CONTEXTS,
    STATUS_PURPOSE_REVOCATION,
    VC_JWT_MEDIA_TYPE,
)
from verifier.urls import IssuerUrls

router = APIRouter(tags=["public"])

_PUBLIC_CACHE = "public, max-age=300"


@router.get("/", include_in_schema=False)
def home() -> Response:
    """The service's address leads to the verify page, the one page anyone can use."""
    return RedirectResponse("/verify", status_code=307)


@router.get("/.well-known/jwks.json", responses={200: {"content": {JWK_SET_MEDIA_TYPE: {}}}})
def jwks(session: ReadSessionDep) -> Response:
    """Every key that signed credentials still valid: the active key and retired ones."""
    return JSONResponse(
        published_jwks(session),
        media_type=JWK_SET_MEDIA_TYPE,
        headers={"Cache-Control": _PUBLIC_CACHE},
    )


@router.get("/.well-known/jwt-vc-issuer")
def jwt_vc_issuer(services: ServicesDep) -> Response:
    """JWT VC Issuer Metadata (SD-JWT VC): where this issuer's keys are published."""
    base = services.base_url
    body = {"issuer": base, "jwks_uri": IssuerUrls(base).jwks}
    return JSONResponse(body, headers={"Cache-Control": _PUBLIC_CACHE})


@router.get("/keys/{kid}")
def key(kid: str, session: ReadSessionDep) -> Response:
    """One public JWK: Open Badges 3.0 wants a ``kid`` that dereferences to a JWK."""
    record = get_key(session, kid)
    if record.state == KeyState.COMPROMISED:
        raise NotFoundError("no such key")
    return JSONResponse(
        record.public_jwk,
        media_type="application/jwk+json",
        headers={"Cache-Control": _PUBLIC_CACHE},
    )


@router.get("/units/{code}")
def unit(code: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """The unit (branch, plant) a credential names as ``credentialSubject.source``."""
    return JSONResponse(
        find_unit_profile(session, services.base_url, code),
        headers={"Cache-Control": _PUBLIC_CACHE},
    )


@router.get("/issuer")
def issuer_profile(session: ReadSessionDep, services: ServicesDep) -> Response:
    """The issuer as an Open Badges ``Profile``: its names, contact and logo (decision 0036)."""
    profile = services.profile(session)
    base = services.base_url
    body: dict[str, Any] = {
        "@context": list(OPEN_BADGE_CONTEXTS),
        "id": base,
        "type": ["Profile"],
        "name": profile.name,
        "url": base,
    }
    if profile.contact:
        body["description"] = profile.contact
    if profile.logo_png:
        body["image"] = {"id": f"{base}/issuer/logo.png", "type": "Image"}
    return JSONResponse(body, headers={"Cache-Control": _PUBLIC_CACHE})


@router.get(
    "/issuer/logo.png", response_class=Response, responses={200: {"content": {"image/png": {}}}}
)
def issuer_logo(session: ReadSessionDep, services: ServicesDep) -> Response:
    """The issuer's logo (PNG, re-encoded when it was set)."""
    logo = services.profile(session).logo_png
    if logo is None:
        raise NotFoundError("no logo is set")
    return Response(logo, media_type="image/png", headers={"Cache-Control": _PUBLIC_CACHE})


@router.get("/achievements/{code}")
def achievement(code: str, session: ReadSessionDep, services: ServicesDep) -> dict[str, Any]:
    """The Open Badges ``Achievement`` (occupation at a level) credentials point at."""
    return find_achievement(session, services.base_url, code)


@router.get(
    "/status/{list_id}",
    response_class=Response,
    responses={200: {"content": {VC_JWT_MEDIA_TYPE: {}}}, 304: {"description": "unchanged"}},
)
def status_list(list_id: RowIdPath, request: Request, services: ServicesDep) -> Response:
    """A signed ``BitstringStatusListCredential`` (vc+jwt), cacheable for its ``ttl``."""
    return published_list_response(request, services, list_id, purpose=STATUS_PURPOSE_REVOCATION)
