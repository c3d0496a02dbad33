"""Single sign-on: ``/console/sso/start`` and ``/console/sso/callback``
(docs/decisions/0041-single-sign-on.md).

The sign-in under way (state, nonce, PKCE verifier, where to go afterwards) is kept in a short
cookie of its own, ``HttpOnly`` and ``SameSite=Lax``: the provider sends the browser back
with a cross-site top-level GET, which carries a Lax cookie but not a Strict one. It is
cleared by the callback whatever its outcome. The session cookie stays Strict; that is why
the callback answers with a page that moves on to the console instead of a redirect (after
a cross-site redirect, the browser would not send the new Strict cookie).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Annotated

import httpx
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from issuer.access.console_sessions import start_session
from issuer.access.oidc import (
    TIMEOUT_SECONDS,
    Client,
    Flow,
    ProviderCache,
    authorization_url,
    exchange_code,
    identity,
    new_flow,
    refused,
    userinfo,
    verified_claims,
    word,
)
from issuer.access.sign_in import record_sign_in
from issuer.access.sso import person_for
from issuer.errors import IssuerError, NotFoundError
from issuer.services import Services
from issuer.vocabulary import SessionStage
from issuer.web.console.errors import error_page
from issuer.web.console.identity import cookie_name, is_secure, session_times
from issuer.web.console.pages import page
from issuer.web.console.routes.sign_in import safe_next, set_session_cookie
from issuer.web.deps import ServicesDep
from issuer.web.error_handlers import error_status
from issuer.web.middleware.request_log import current_request_id

router = APIRouter(prefix="/console/sso", include_in_schema=False)

FLOW_COOKIE = "tessera_sso"
FLOW_MAX_AGE_SECONDS = 600
_MAX_COOKIE_LENGTH = 1200


def _client(services: Services) -> Client:
    client = Client.from_settings(services.settings)
    if client is None:
        raise NotFoundError("single sign-on is not set up here")
    return client


def _cache(request: Request) -> ProviderCache:
    """One cache of the provider's metadata and keys per app."""
    cache = getattr(request.app.state, "oidc_provider_cache", None)
    if cache is None:
        cache = request.app.state.oidc_provider_cache = ProviderCache()
    assert isinstance(cache, ProviderCache)
    return cache


def _redirect_uri(services: Services) -> str:
    """The callback at the issuer's public address (never the request's Host header)."""
    return f"{services.base_url}/console/sso/callback"


def _http() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)


def _encode(flow: Flow) -> str:
    data = {"s": flow.state, "n": flow.nonce, "v": flow.verifier, "next": flow.next_path}
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode("ascii")


def _decode(value: str) -> Flow | None:
    if not value or len(value) > _MAX_COOKIE_LENGTH:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        return None
    fields = [data.get(name) if isinstance(data, dict) else None for name in ("s", "n", "v")]
    if not all(isinstance(field, str) and field for field in fields):
        return None
    state, nonce, verifier = (str(field) for field in fields)
    return Flow(state, nonce, verifier, safe_next(str(data.get("next") or "")))


@router.get("/start")
def start(
    request: Request,
    services: ServicesDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    """To the provider's sign-in page, with a new state, nonce and PKCE challenge."""
    client = _client(services)
    with _http() as http:
        provider = _cache(request).provider(client, http)
    flow = new_flow(safe_next(next_path))
    target = authorization_url(provider, client, flow, _redirect_uri(services))
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    response.set_cookie(
        cookie_name(services.settings, FLOW_COOKIE),
        _encode(flow),
        max_age=FLOW_MAX_AGE_SECONDS,
        httponly=True,
        secure=is_secure(services.settings),
        samesite="lax",
        path="/",
    )
    return response


def _sign_in(request: Request, services: Services, flow: Flow | None) -> str:
    """Checks the provider's answer and opens a session; the session cookie's value."""
    client = _client(services)
    query = request.query_params
    state = query.get("state") or ""
    if flow is None:
        raise refused("this sign-in has expired or was started in another browser; start again")
    if not hmac.compare_digest(state.encode(), flow.state.encode()):
        raise refused("this answer does not belong to the sign-in started here; start again")
    if "error" in query:
        raise refused(f"the sign-in provider did not sign you in ({word(query.get('error'))})")
    if "iss" in query and query.get("iss") != client.issuer:
        raise refused("this answer comes from another sign-in provider")
    code = query.get("code") or ""
    if not code or len(code) > 2048:
        raise refused("the sign-in provider sent no code; start again")
    cache = _cache(request)
    redirect_uri = _redirect_uri(services)
    with _http() as http:
        provider = cache.provider(client, http)
        tokens = exchange_code(
            provider,
            client,
            code=code,
            verifier=flow.verifier,
            redirect_uri=redirect_uri,
            http=http,
        )
        now = services.clock()
        claims = verified_claims(
            tokens.id_token,
            provider=provider,
            client=client,
            cache=cache,
            http=http,
            nonce=flow.nonce,
            now=now,
        )
        extra = None
        if "email" not in claims and tokens.access_token is not None:
            extra = userinfo(provider, tokens.access_token, str(claims["sub"]), http)
    who = identity(claims, extra)
    with services.sessions() as session:
        person = person_for(session, who, now=now, request_id=current_request_id())
        _row, value = start_session(
            session,
            person,
            stage=SessionStage.SIGNED_IN,
            method="sso",
            now=now,
            times=session_times(services.settings),
        )
        record_sign_in(session, person, method="sso", now=now, request_id=current_request_id())
        session.commit()
    return value


@router.get("/callback")
async def callback(request: Request, services: ServicesDep) -> Response:
    """The provider's answer: a session and a page that moves on, or a page saying why not.
    The sign-in cookie is cleared either way: a state is good for one answer."""
    flow_cookie = cookie_name(services.settings, FLOW_COOKIE)
    flow = _decode(request.cookies.get(flow_cookie, ""))
    try:
        value = await run_in_threadpool(_sign_in, request, services, flow)
    except IssuerError as exc:
        response: Response = error_page(request, error_status(exc), exc.code, str(exc))
    else:
        next_path = flow.next_path if flow is not None else "/console/"
        response = page(services, "sso/continue.html", user=None, next_path=next_path)
        set_session_cookie(response, services, value)
    response.delete_cookie(flow_cookie, path="/", secure=is_secure(services.settings))
    response.headers["Cache-Control"] = "no-store"
    return response
