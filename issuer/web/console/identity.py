"""Who is using the console: the session cookie, the signed-in person, the CSRF check.

Cookies: ``tessera_console`` holds a session's secret value (``__Host-tessera_console``,
``Secure``, outside development); ``tessera_sign_in`` holds a random value for the sign-in
form's own CSRF token. Both are ``HttpOnly`` and ``SameSite=Strict``. A form is accepted
only with the CSRF token derived from its cookie and, when the browser says where the
request came from (``Sec-Fetch-Site``, ``Origin``), only from this site.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from issuer.access.console_sessions import (
    SessionTimes,
    csrf_matches,
    csrf_token,
    find_session,
    needs_touch,
    touch,
)
from issuer.access.policy import require_admin, require_overseer, require_writer
from issuer.access.tokens import Principal
from issuer.config import Settings
from issuer.errors import IssuerErrorCode, PermissionDeniedError
from issuer.vocabulary import Role
from issuer.web.deps import ReadSessionDep, ServicesDep

SESSION_COOKIE = "tessera_console"
SIGN_IN_COOKIE = "tessera_sign_in"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class SignInRequired(Exception):  # noqa: N818 - a redirect, not an error
    """No live session: the browser is sent to the sign-in page, then back to ``next``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path

    @property
    def location(self) -> str:
        return f"/console/login?next={quote(self.next_path, safe='/')}"


class EnrolmentRequired(Exception):  # noqa: N818 - a redirect, not an error
    """An admin without a second factor where one is required
    (``TESSERA_CONSOLE_REQUIRE_TOTP_FOR_ADMINS``): sent to set it up before anything else."""

    location = "/console/account/second-factor"


@dataclass(frozen=True)
class ConsoleUser:
    """The signed-in person and their session."""

    principal: Principal
    email: str
    name: str
    cookie_value: str
    has_totp: bool

    @property
    def csrf(self) -> str:
        return csrf_token(self.cookie_value)

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def units(self) -> tuple[str, ...]:
        return self.principal.units


def is_secure(settings: Settings) -> bool:
    """Cookies are ``Secure`` (and ``__Host-`` prefixed) everywhere but development."""
    return settings.environment != "development"


def cookie_name(settings: Settings, base: str = SESSION_COOKIE) -> str:
    return f"__Host-{base}" if is_secure(settings) else base


def session_times(settings: Settings) -> SessionTimes:
    return SessionTimes(
        idle=dt.timedelta(minutes=settings.console_idle_minutes),
        absolute=dt.timedelta(hours=settings.console_absolute_hours),
    )


def _next_path(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def get_signed_in_user(
    request: Request, session: ReadSessionDep, services: ServicesDep
) -> ConsoleUser:
    """The signed-in person, or ``SignInRequired``; refreshes the idle clock now and then.

    Only the second factor's set-up and signing out take the person as is; every other page
    asks ``get_console_user``, which also insists on a required second factor.
    """
    settings = services.settings
    value = request.cookies.get(cookie_name(settings), "")
    now = services.clock()
    active = find_session(session, value, now=now, times=session_times(settings))
    if active is None or not active.signed_in or active.person.email is None:
        raise SignInRequired(_next_path(request) if request.method == "GET" else "/console/")
    if needs_touch(active, now):  # a write now and then, in its own short transaction
        with services.sessions() as writer:
            touch(writer, active.row.id, now)
            writer.commit()
    return ConsoleUser(
        principal=active.principal(),
        email=active.person.email,
        name=active.person.name,
        cookie_value=value,
        has_totp=active.person.totp_secret is not None,
    )


SignedInUserDep = Annotated[ConsoleUser, Depends(get_signed_in_user)]


def must_enrol(settings: Settings, user: ConsoleUser) -> bool:
    """Whether the person must set up a second factor before using the console."""
    return (
        settings.console_require_totp_for_admins and user.role == Role.ADMIN and not user.has_totp
    )


def get_console_user(user: SignedInUserDep, services: ServicesDep) -> ConsoleUser:
    """The signed-in person, or ``SignInRequired``; ``EnrolmentRequired`` for an admin who
    must set up a second factor first."""
    if must_enrol(services.settings, user):
        raise EnrolmentRequired()
    return user


ConsoleUserDep = Annotated[ConsoleUser, Depends(get_console_user)]


def get_console_writer(user: ConsoleUserDep) -> ConsoleUser:
    require_writer(user.principal)
    return user


def get_console_admin(user: ConsoleUserDep) -> ConsoleUser:
    require_admin(user.principal)
    return user


def get_console_overseer(user: ConsoleUserDep) -> ConsoleUser:
    require_overseer(user.principal)
    return user


ConsoleWriterDep = Annotated[ConsoleUser, Depends(get_console_writer)]
ConsoleAdminDep = Annotated[ConsoleUser, Depends(get_console_admin)]
ConsoleOverseerDep = Annotated[ConsoleUser, Depends(get_console_overseer)]


def check_same_site(request: Request) -> None:
    """Refuse a form the browser says came from another site (defence beside the token)."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise csrf_refused()
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        own = f"{request.url.scheme}://{request.url.netloc}"
        if origin != own:
            raise csrf_refused()


def csrf_refused() -> PermissionDeniedError:
    return PermissionDeniedError(
        "this form is out of date or did not come from this site; open the page again",
        code=IssuerErrorCode.CSRF_FAILED,
    )


async def checked_form(request: Request, cookie_value: str) -> FormData:
    """The submitted form, once its CSRF token matches the cookie's (403 ``csrf_failed``)."""
    check_same_site(request)
    form = await request.form()
    presented = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if (
        not cookie_value
        or not isinstance(presented, str)
        or not csrf_matches(cookie_value, presented)
    ):
        raise csrf_refused()
    return form


async def user_form(request: Request, user: ConsoleUserDep) -> AsyncIterator[FormData]:
    """A dependency for console POST routes: the form of the signed-in person, CSRF-checked;
    its uploaded files are closed (their temporary files removed) after the answer."""
    form = await checked_form(request, user.cookie_value)
    try:
        yield form
    finally:
        await form.close()


UserFormDep = Annotated[FormData, Depends(user_form)]


async def signed_in_form(request: Request, user: SignedInUserDep) -> FormData:
    """The CSRF-checked form of a person who may not have set up a required second factor
    yet (its set-up, signing out)."""
    return await checked_form(request, user.cookie_value)


SignedInFormDep = Annotated[FormData, Depends(signed_in_form)]
