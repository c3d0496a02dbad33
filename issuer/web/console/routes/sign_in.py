"""Signing in and out: ``/console/login``, ``/console/logout``, ``/console/logout-everywhere``.

A failed sign-in answers after a delay that grows with the failures in a row (on top of the
Argon2id check), and always with the same words; the form then shows the e-mail again but
never the password.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from issuer.access.console_sessions import (
    csrf_token,
    end_all_sessions,
    end_session,
    start_session,
)
from issuer.access.sign_in import Lockout, check_password, person_actor, record_sign_in
from issuer.config import Settings
from issuer.errors import AuthenticationError
from issuer.services import Services
from issuer.store.audit import record_event
from issuer.store.models import PrincipalRecord
from issuer.vocabulary import AuditAction, SessionStage
from issuer.web.console.identity import (
    SIGN_IN_COOKIE,
    SignedInFormDep,
    SignedInUserDep,
    checked_form,
    cookie_name,
    is_secure,
    session_times,
)
from issuer.web.console.pages import page
from issuer.web.deps import ServicesDep
from issuer.web.middleware.request_log import current_request_id

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_DELAY_SECONDS = 3.0
DELAY_STEP_SECONDS = 0.5


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a console path of this site only (no open redirect)."""
    plain = value is not None and not any(c in value for c in "\\\r\n")
    if plain and value and value.startswith("/console/") and not value.startswith("/console//"):
        return value
    return "/console/"


def sso_label(settings: Settings) -> str | None:
    """The single sign-on button's name for the provider; ``None`` when it is off."""
    return (settings.oidc_label or "SSO") if settings.sso_on else None


def _form_page(
    services: Services, sign_in_value: str, *, next_path: str, email: str = "", error: bool
) -> Response:
    response = page(
        services,
        "login.html",
        user=None,
        csrf=csrf_token(sign_in_value),
        status_code=401 if error else 200,
        next_path=next_path,
        email=email,
        error=error,
        sso_label=sso_label(services.settings),
    )
    response.set_cookie(
        cookie_name(services.settings, SIGN_IN_COOKIE),
        sign_in_value,
        httponly=True,
        secure=is_secure(services.settings),
        samesite="strict",
        path="/",  # a __Host- cookie must have Path=/, or browsers drop it
    )
    return response


@router.get("/login")
def sign_in_form(
    request: Request,
    services: ServicesDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    value = request.cookies.get(cookie_name(services.settings, SIGN_IN_COOKIE)) or ""
    if len(value) != 43:
        value = secrets.token_urlsafe(32)
    return _form_page(services, value, next_path=safe_next(next_path), error=False)


def _sign_in(
    services: Services, email: str, password: str
) -> tuple[PrincipalRecord | None, int, str | None]:
    """Checks the password and opens a session; (person, failures in a row, cookie value)."""
    settings = services.settings
    lockout = Lockout(
        failures=settings.console_lockout_failures,
        duration=dt.timedelta(minutes=settings.console_lockout_minutes),
    )
    now = services.clock()
    with services.sessions() as session:
        try:
            person = check_password(
                session, email, password, now=now, lockout=lockout, request_id=current_request_id()
            )
        except AuthenticationError:
            session.commit()  # the failure count
            return None, 1, None
        stage = SessionStage.SECOND_FACTOR if person.totp_secret else SessionStage.SIGNED_IN
        _row, value = start_session(
            session, person, stage=stage, method="password", now=now, times=session_times(settings)
        )
        if stage == SessionStage.SIGNED_IN:
            record_sign_in(
                session, person, method="password", now=now, request_id=current_request_id()
            )
        session.commit()
        return person, 0, value


@router.post("/login")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    settings = services.settings
    sign_in_value = request.cookies.get(cookie_name(settings, SIGN_IN_COOKIE), "")
    form = await checked_form(request, sign_in_value)
    email = str(form.get("email") or "")[:254]
    password = str(form.get("password") or "")
    next_path = safe_next(str(form.get("next") or ""))
    person, _failed, value = await run_in_threadpool(_sign_in, services, email, password)
    if person is None or value is None:
        failures = _recent_failures(request)
        await asyncio.sleep(min(MAX_DELAY_SECONDS, DELAY_STEP_SECONDS * failures))
        response = _form_page(
            services, secrets.token_urlsafe(32), next_path=next_path, email=email, error=True
        )
        _count_failure(response, failures)
        return response
    target = (
        next_path
        if person.totp_secret is None
        else f"/console/second-factor?next={quote(next_path, safe='/')}"
    )
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, services, value)
    response.delete_cookie(
        cookie_name(settings, SIGN_IN_COOKIE), path="/", secure=is_secure(settings)
    )
    return response


def _recent_failures(request: Request) -> int:
    """Failures in a row from this browser (a cookie; the account's own count locks it)."""
    raw = request.cookies.get("tessera_sign_in_failures", "0")
    return min(int(raw), 20) + 1 if raw.isdigit() else 1


def _count_failure(response: Response, failures: int) -> None:
    response.set_cookie(
        "tessera_sign_in_failures",
        str(failures),
        httponly=True,
        samesite="strict",
        path="/console/",
        max_age=900,
    )


def set_session_cookie(response: Response, services: Services, value: str) -> None:
    """The session cookie, the same after a password or single sign-on."""
    settings = services.settings
    response.set_cookie(
        cookie_name(settings),
        value,
        httponly=True,
        secure=is_secure(settings),
        samesite="strict",
        path="/",
        max_age=settings.console_absolute_hours * 3600,
    )


@router.post("/logout")
def sign_out(user: SignedInUserDep, _form: SignedInFormDep, services: ServicesDep) -> Response:
    with services.sessions() as session:
        end_session(session, user.cookie_value)
        session.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(
        cookie_name(services.settings), path="/", secure=is_secure(services.settings)
    )
    return response


@router.post("/logout-everywhere")
def sign_out_everywhere(
    user: SignedInUserDep, _form: SignedInFormDep, services: ServicesDep
) -> Response:
    """Every session of this person ends, this one included (a lost phone, a shared PC)."""
    now = services.clock()
    with services.sessions() as session:
        ended = end_all_sessions(session, user.principal.principal_id)
        person = session.get(PrincipalRecord, user.principal.principal_id)
        if person is not None:
            record_event(
                session,
                person_actor(person, current_request_id()),
                AuditAction.USER_SIGN_OUT_EVERYWHERE,
                f"principal:{person.id}",
                now=now,
                details={"sessions": ended},
            )
        session.commit()
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(
        cookie_name(services.settings), path="/", secure=is_secure(services.settings)
    )
    return response
