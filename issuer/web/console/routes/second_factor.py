"""The second factor: the sign-in's code step (``/console/second-factor``) and setting it up
(``/console/account/second-factor``).

After a right password, a person with TOTP holds a session of stage ``second_factor``: it
opens this page only, for five minutes. A right code turns it into a signed-in session with
a new cookie value; wrong codes count toward the lock-out, and once the account locks the
waiting session is deleted. Setting up shows a new secret as a QR code (a PNG drawn here,
as a ``data:`` URL) and as text; the secret travels in the form sealed to this session and
is stored only when a code from the app confirms it.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.console_sessions import (
    complete_second_factor,
    csrf_token,
    end_session,
    find_session,
)
from issuer.access.principals import get_principal
from issuer.access.sign_in import Lockout, record_sign_in
from issuer.access.totp import (
    WrongCodeError,
    enable_totp,
    new_secret,
    open_pending,
    pass_second_factor,
    provisioning_uri,
    seal_pending,
)
from issuer.credentials.qr import render_qr_png
from issuer.errors import ConfigurationError, InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.web.console.identity import (
    ConsoleUser,
    SignedInFormDep,
    SignedInUserDep,
    checked_form,
    cookie_name,
    is_secure,
    must_enrol,
    session_times,
)
from issuer.web.console.pages import page
from issuer.web.console.routes.sign_in import safe_next, set_session_cookie
from issuer.web.deps import ServicesDep
from issuer.web.middleware.request_log import current_request_id

router = APIRouter(prefix="/console", include_in_schema=False)

QR_MODULE_PIXELS = 5


def _lockout(services: Services) -> Lockout:
    settings = services.settings
    return Lockout(
        failures=settings.console_lockout_failures,
        duration=dt.timedelta(minutes=settings.console_lockout_minutes),
    )


def _waiting(services: Services, cookie_value: str) -> bool:
    """Whether ``cookie_value`` is a live session waiting for its code."""
    with services.read_sessions() as session:
        active = find_session(
            session, cookie_value, now=services.clock(), times=session_times(services.settings)
        )
        return active is not None and not active.signed_in


def _code_page(
    services: Services,
    cookie_value: str,
    *,
    next_path: str,
    wrong: bool = False,
    ended: bool = False,
) -> HTMLResponse:
    return page(
        services,
        "second_factor/code.html",
        user=None,
        csrf=csrf_token(cookie_value) if cookie_value else "",
        status_code=401 if wrong or ended else 200,
        next_path=next_path,
        wrong=wrong,
        ended=ended,
    )


@router.get("/second-factor")
def code_form(
    request: Request,
    services: ServicesDep,
    next_path: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    value = request.cookies.get(cookie_name(services.settings), "")
    if not _waiting(services, value):
        return RedirectResponse("/console/login", status_code=303)
    return _code_page(services, value, next_path=safe_next(next_path))


def _check_code(services: Services, cookie_value: str, code: str) -> tuple[str, str | None]:
    """(``signed_in`` with the new cookie value | ``wrong`` | ``ended``, value)."""
    settings = services.settings
    now = services.clock()
    times = session_times(settings)
    request_id = current_request_id()
    with services.sessions() as session:
        active = find_session(session, cookie_value, now=now, times=times)
        if active is None or active.signed_in:
            return "ended", None
        person = active.person
        passed = pass_second_factor(
            session,
            person,
            code,
            passphrase=settings.read_passphrase(),
            now=now,
            lockout=_lockout(services),
            request_id=request_id,
        )
        if passed:
            _row, value = complete_second_factor(session, active.row.id, now=now, times=times)
            record_sign_in(session, person, method="password+totp", now=now, request_id=request_id)
            session.commit()
            return "signed_in", value
        locked = person.locked_until is not None and person.locked_until > now
        if locked:
            end_session(session, cookie_value)
        session.commit()
        return ("ended" if locked else "wrong"), None


@router.post("/second-factor")
async def check_code(request: Request, services: ServicesDep) -> Response:
    value = request.cookies.get(cookie_name(services.settings), "")
    form = await checked_form(request, value)
    next_path = safe_next(str(form.get("next") or ""))
    code = str(form.get("code") or "")
    outcome, new_value = await run_in_threadpool(_check_code, services, value, code)
    if outcome == "signed_in" and new_value is not None:
        response: Response = RedirectResponse(next_path, status_code=303)
        set_session_cookie(response, services, new_value)
        return response
    if outcome == "wrong":
        return _code_page(services, value, next_path=next_path, wrong=True)
    response = _code_page(services, "", next_path=next_path, ended=True)
    response.delete_cookie(
        cookie_name(services.settings), path="/", secure=is_secure(services.settings)
    )
    return response


def _enrol_page(
    services: Services, user: ConsoleUser, secret: str, *, error: bool = False
) -> HTMLResponse:
    """The set-up page for ``secret``: its QR code, the secret as text, the code field."""
    principal = user.principal
    assert principal.session_id is not None  # a console user always has a session
    passphrase = services.settings.read_passphrase()
    with services.read_sessions() as session:
        issuer_name = services.profile(session).name_en or "Tessera"
    uri = provisioning_uri(secret, email=user.email, issuer=issuer_name)
    png = render_qr_png(uri, module_pixels=QR_MODULE_PIXELS)
    return page(
        services,
        "second_factor/enrol.html",
        user=user,
        current="/console/account",
        status_code=422 if error else 200,
        qr_data_url="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
        secret_groups=" ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        pending=seal_pending(passphrase, principal.principal_id, principal.session_id, secret),
        required=must_enrol(services.settings, user),
        error=error,
    )


@router.get("/account/second-factor")
def enrol_form(user: SignedInUserDep, services: ServicesDep) -> Response:
    """A new secret to scan; nothing is stored until a code confirms it."""
    if user.has_totp:
        return RedirectResponse("/console/account", status_code=303)
    return _enrol_page(services, user, new_secret())


@router.post("/account/second-factor")
def enrol(user: SignedInUserDep, form: SignedInFormDep, services: ServicesDep) -> Response:
    """Store the secret the form carries once the code shows the app holds it."""
    principal = user.principal
    assert principal.session_id is not None
    passphrase = services.settings.read_passphrase()
    try:
        secret = open_pending(
            passphrase, principal.principal_id, principal.session_id, str(form.get("pending") or "")
        )
    except ConfigurationError:
        raise InvalidInputError(
            "this set-up form is out of date or was changed; open it again",
            code=IssuerErrorCode.INVALID_FORM_TOKEN,
        ) from None
    now = services.clock()
    with services.sessions() as session:
        person = get_principal(session, principal.principal_id)
        try:
            enable_totp(
                session,
                person,
                secret=secret,
                code=str(form.get("code") or ""),
                passphrase=passphrase,
                now=now,
                actor=principal.actor(current_request_id()),
            )
        except WrongCodeError:
            session.rollback()
            return _enrol_page(services, user, secret, error=True)
        session.commit()
    return RedirectResponse("/console/account?done=totp_enabled", status_code=303)
