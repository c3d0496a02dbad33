"""Presentation requests (OpenID4VP 1.0): an employer asks a holder's wallet for the certificate.

For the employer, public and rate-limited like the verify page (an employer has no account;
decision 0058):

- ``POST /api/v1/presentation-requests`` (JSON) and the form at ``/ask`` make a request;
- ``GET /ask/results/{token}`` (page), ``/ask/results/{token}/qr.svg`` and
  ``GET /api/v1/presentation-requests/results/{token}`` (JSON) show it, the secret token
  being the employer's only key to the answer.

For the wallet:

- ``GET /oid4vp/requests/{id}``: the request object (``request_uri``), a JWT of type
  ``oauth-authz-req+jwt`` signed by the issuer's key, its certificate in ``x5c``
  (``client_id`` ``x509_hash:...``);
- ``POST /oid4vp/responses/{id}``: the answer by ``direct_post`` (form fields ``vp_token``
  and ``state``), taken once.

The work is in ``issuer/credentials/presentation_request.py``; the presentation is checked by
the app's ``PresentationChecker`` (``issuer/web/presentation_checker.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from issuer.credentials.presentation_request import (
    DEFAULT_CLAIMS,
    Claim,
    PresentationChecker,
    RequestState,
    answer_presentation_request,
    asked_claims,
    create_presentation_request,
    dcql_query,
    find_by_public_id,
    find_by_result_token,
    parse_claims,
    request_object_claims,
    request_state,
)
from issuer.credentials.qr import render_qr_svg
from issuer.credentials.verifier_certificate import (
    verifier_certificate_der,
    x5c_header,
    x509_hash_client_id,
)
from issuer.errors import (
    ConflictError,
    InvalidInputError,
    IssuerError,
    IssuerErrorCode,
    NotFoundError,
)
from issuer.keys.keystore import get_key
from issuer.keys.signer import Signer
from issuer.services import Services
from issuer.store.models import PresentationRequest
from issuer.web.deps import ReadSessionDep, ServicesDep, SessionDep
from issuer.web.error_handlers import error_status, problem
from issuer.web.presentation_page import (
    ResultView,
    render_ask_page,
    render_not_found_page,
    render_result_page,
)
from issuer.web.routes.share_pages import page_lang
from issuer.web.schemas.common import StrictModel
from verifier.result import CredentialStatus

router = APIRouter(tags=["presentation requests"])
API_PATH: Final = "/api/v1/presentation-requests"
RESULTS_PATH: Final = "/ask/results"
REQUEST_OBJECT_MEDIA_TYPE: Final = "application/oauth-authz-req+jwt"
REQUEST_OBJECT_TYP: Final = "oauth-authz-req+jwt"
HEADERS: Final = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


class PresentationRequestCreate(StrictModel):
    """Which claims of the holder's certificate the employer asks for."""

    claims: list[Claim] = Field(
        default_factory=lambda: list(DEFAULT_CLAIMS),
        min_length=1,
        max_length=20,
        description="the claims asked for; the wallet is asked for these only, and only "
        "these are shown even if it discloses more",
    )


class PresentationRequestCreated(BaseModel):
    id: str = Field(description="names the request in the wallet's URLs; opens nothing")
    wallet_link: str = Field(description="openid4vp://?client_id=...&request_uri=...")
    client_id: str
    request_uri: str
    qr_code_url: str = Field(description="the wallet link as a QR code (SVG)")
    result_url: str = Field(description="the employer's page: secret, shown once")
    result_api_url: str = Field(description="the same as JSON: secret, shown once")
    expires_at: dt.datetime = Field(description="a wallet must answer before this moment")
    dcql_query: dict[str, Any]


class PresentationResult(BaseModel):
    state: RequestState
    claims: list[Claim] = Field(description="the claims asked for")
    expires_at: dt.datetime
    answered_at: dt.datetime | None = None
    verdict: CredentialStatus | None = Field(
        default=None, description="the verify page's status of the credential presented"
    )
    reason: str | None = Field(default=None, description="why it was revoked or suspended")
    disclosed: dict[str, Any] = Field(
        default_factory=dict, description="the asked-for claims the holder disclosed, only"
    )


def _identity(services: Services, session: Session) -> tuple[Signer, bytes, str]:
    """The active key, its certificate and the ``client_id`` it makes."""
    signer = services.signer(session)
    created = get_key(session, signer.kid).created_at
    der = verifier_certificate_der(signer, services.base_url, created)
    return signer, der, x509_hash_client_id(der)


def request_uri(base_url: str, record: PresentationRequest) -> str:
    return f"{base_url}/oid4vp/requests/{record.public_id}"


def response_uri(base_url: str, record: PresentationRequest) -> str:
    return f"{base_url}/oid4vp/responses/{record.public_id}"


def wallet_link(base_url: str, record: PresentationRequest) -> str:
    """The link a wallet opens (OpenID4VP 1.0 §5.7, request by reference)."""
    query = urlencode({"client_id": record.client_id, "request_uri": request_uri(base_url, record)})
    return f"openid4vp://?{query}"


def _create(
    session: Session, services: Services, claims: list[Claim]
) -> tuple[PresentationRequest, str]:
    _signer, _der, client_id = _identity(services, session)
    return create_presentation_request(session, claims, client_id=client_id, now=services.clock())


@router.post(API_PATH, status_code=201, response_model=PresentationRequestCreated)
def create_request(
    body: PresentationRequestCreate, session: SessionDep, services: ServicesDep
) -> PresentationRequestCreated:
    """Make a request for a holder's certificate with the claims asked for (no token needed:
    the answer is readable only through the secret result URLs returned here, once)."""
    claims = list(parse_claims([claim.value for claim in body.claims]))
    record, token = _create(session, services, claims)
    session.commit()
    base = services.base_url
    return PresentationRequestCreated(
        id=record.public_id,
        wallet_link=wallet_link(base, record),
        client_id=record.client_id,
        request_uri=request_uri(base, record),
        qr_code_url=f"{base}{RESULTS_PATH}/{token}/qr.svg",
        result_url=f"{base}{RESULTS_PATH}/{token}",
        result_api_url=f"{base}{API_PATH}/results/{token}",
        expires_at=record.expires_at,
        dcql_query=dcql_query(claims, base_url=base),
    )


def _result(record: PresentationRequest, now: dt.datetime) -> PresentationResult:
    state = request_state(record, now=now)
    answered = state is RequestState.ANSWERED
    return PresentationResult(
        state=state,
        claims=list(asked_claims(record)),
        expires_at=record.expires_at,
        answered_at=record.answered_at,
        verdict=CredentialStatus(record.verdict) if answered and record.verdict else None,
        reason=record.reason if answered else None,
        disclosed=dict(record.disclosed or {}) if answered else {},
    )


@router.get(f"{API_PATH}/results/{{token}}", response_model=PresentationResult)
def read_result(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """Where the request stands, and the verdict once a wallet answered."""
    record = find_by_result_token(session, token)
    result = _result(record, services.clock())
    return JSONResponse(result.model_dump(mode="json"), headers=HEADERS)


@router.get(
    "/oid4vp/requests/{public_id}",
    response_class=Response,
    responses={200: {"content": {REQUEST_OBJECT_MEDIA_TYPE: {}}}},
)
def request_object(public_id: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """The signed request object (JAR, RFC 9101) a wallet fetches from ``request_uri``."""
    record = find_by_public_id(session, public_id)
    now = services.clock()
    state = request_state(record, now=now)
    if state is not RequestState.WAITING:
        raise ConflictError(
            "this request was answered already"
            if state is not RequestState.EXPIRED
            else "this request has expired",
            code=IssuerErrorCode.PRESENTATION_REQUEST_EXPIRED
            if state is RequestState.EXPIRED
            else IssuerErrorCode.PRESENTATION_REQUEST_ANSWERED,
        )
    signer, der, client_id = _identity(services, session)
    if client_id != record.client_id:
        # The signing key was rotated since: the wallet would see another verifier.
        raise ConflictError(
            "the service's key changed since this request was made: make a new one",
            code=IssuerErrorCode.PRESENTATION_REQUEST_EXPIRED,
        )
    base = services.base_url
    claims = request_object_claims(
        record, response_uri=response_uri(base, record), base_url=base, now=now
    )
    jwt = signer.sign_with_header(claims, {"typ": REQUEST_OBJECT_TYP, "x5c": x5c_header(der)})
    return Response(jwt, media_type=REQUEST_OBJECT_MEDIA_TYPE, headers=HEADERS)


@router.post("/oid4vp/responses/{public_id}")
def wallet_response(
    public_id: str,
    request: Request,
    vp_token: Annotated[str, Form(max_length=80_000)],
    state: Annotated[str, Form(max_length=200)],
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """The wallet's answer (``direct_post``): 200 ``{}`` once taken; a replay, an answer
    to an expired request, a wrong ``state`` or a presentation that does not verify (made
    for another nonce or audience, forged) is refused and changes nothing."""
    checker: PresentationChecker = request.app.state.presentation_checker
    try:
        answer_presentation_request(
            session, public_id, state=state, vp_token=vp_token, check=checker, now=services.clock()
        )
    except IssuerError as exc:
        session.rollback()
        # A problem document that is also an OAuth error response (OpenID4VP 1.0, "Error
        # Response"): wallets read `error`.
        return problem(
            error_status(exc),
            exc.code,
            str(exc),
            error="invalid_request",
            error_description=str(exc),
            **exc.extensions(),
        )
    session.commit()
    return JSONResponse({}, headers=HEADERS)


@router.get("/ask", response_class=HTMLResponse)
def ask_page(request: Request) -> HTMLResponse:
    """The employer's form: which claims to ask a holder's wallet for."""
    return HTMLResponse(render_ask_page(page_lang(request), chosen=DEFAULT_CLAIMS), headers=HEADERS)


@router.post(
    "/ask",
    response_class=HTMLResponse,
    responses={
        303: {"description": "Made: on to the request's result page"},
        422: {"description": "No claim chosen: the form again", "content": {"text/html": {}}},
    },
)
async def ask_submit(request: Request, session: SessionDep, services: ServicesDep) -> Response:
    """Make the request from the form; on to its result page (303)."""
    lang = page_lang(request)
    form = await request.form()
    names = [value for value in form.getlist("claim") if isinstance(value, str)][:20]
    try:
        claims = list(parse_claims(names))
    except InvalidInputError:
        return HTMLResponse(
            render_ask_page(lang, chosen=(), error=True), status_code=422, headers=HEADERS
        )
    _record, token = _create(session, services, claims)
    session.commit()
    target = f"{RESULTS_PATH}/{token}?{urlencode({'lang': lang.value})}"
    return RedirectResponse(target, status_code=303, headers=HEADERS)


@router.get(
    f"{RESULTS_PATH}/{{token}}",
    response_class=HTMLResponse,
    responses={404: {"description": "No such request: a page", "content": {"text/html": {}}}},
)
def result_page(
    token: str, request: Request, session: ReadSessionDep, services: ServicesDep
) -> HTMLResponse:
    """The employer's page: the QR code while waiting, then the verdict."""
    lang = page_lang(request)
    try:
        record = find_by_result_token(session, token)
    except NotFoundError:
        return HTMLResponse(render_not_found_page(lang), status_code=404, headers=HEADERS)
    result = _result(record, services.clock())
    view = ResultView(
        state=result.state,
        asked=result.claims,
        lang=lang,
        path=f"{RESULTS_PATH}/{token}",
        wallet_link=wallet_link(services.base_url, record),
        expires_at=record.expires_at,
        verdict=result.verdict,
        reason=result.reason,
        disclosed=result.disclosed,
    )
    return HTMLResponse(render_result_page(view), headers=HEADERS)


@router.get(f"{RESULTS_PATH}/{{token}}/qr.svg", response_class=Response)
def result_qr(token: str, session: ReadSessionDep, services: ServicesDep) -> Response:
    """The wallet link as a QR code."""
    record = find_by_result_token(session, token)
    svg = render_qr_svg(wallet_link(services.base_url, record), size_mm=60)
    return Response(svg, media_type="image/svg+xml", headers=HEADERS)
