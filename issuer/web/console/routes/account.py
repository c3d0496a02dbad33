"""``/console/account``: the signed-in person's own page: the second factor and API tokens.

Tokens are created, listed and revoked here with the functions and the policy checks the
API's ``/api/v1/tokens`` uses (``issue_token``, ``require_token_for``, ``require_grant``),
for the person's own principal only. A new token is shown once, on the answer to the form,
never again; the form carries a one-time token, so sending it twice creates one token.
Changing one's own account is not changing the register: auditors may set up a second
factor and hold auditor tokens too, as the API allows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.access.policy import covers, require_grant, require_token_for
from issuer.access.principals import get_principal, issue_token
from issuer.access.tokens import list_tokens, revoke_token, token_state
from issuer.access.totp import WrongCodeError, disable_totp
from issuer.errors import InvalidInputError, IssuerErrorCode, NotFoundError
from issuer.services import Services
from issuer.store.audit import record_event
from issuer.store.models import ApiToken, Unit
from issuer.vocabulary import AuditAction, Role
from issuer.web.console.identity import ConsoleUser, ConsoleUserDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.console.people_words import ROLES, TOKEN_STATES
from issuer.web.deps import ServicesDep
from issuer.web.middleware.request_log import current_request_id
from verifier.labels import Label

router = APIRouter(prefix="/console", include_in_schema=False)

CREATE_PURPOSE = "token.create"
MAX_ID = 2_147_483_647
DONE_WORDS = {
    "totp_enabled": Label("console.account.done.totp_enabled"),
    "totp_disabled": Label("console.account.done.totp_disabled"),
    "token_revoked": Label("console.account.done.token_revoked"),
}


@dataclass(frozen=True)
class TokenInput:
    """What the token form was sent with, to draw it again after a refusal."""

    name: str = ""
    role: str = ""
    units: tuple[str, ...] = ()
    expires: str = ""

    @classmethod
    def of(cls, form: FormData, default_role: str) -> TokenInput:
        return cls(
            name=str(form.get("name") or "")[:200],
            role=str(form.get("role") or default_role)[:16],
            units=tuple(str(unit)[:64] for unit in form.getlist("units"))[:100],
            expires=str(form.get("expires") or "")[:10],
        )


def _grantable_roles(user: ConsoleUser) -> list[str]:
    """The roles the person may give a token of their own (the policy's ``covers``)."""
    return [role for role in Role if covers(user.role, user.units, role, [])]


def _grantable_units(session: Session, user: ConsoleUser) -> list[str]:
    if user.role == Role.ADMIN:
        return list(session.scalars(select(Unit.code).order_by(Unit.code)))
    return sorted(user.units) if user.role == Role.REGISTRAR else []


def account_page(
    services: Services,
    user: ConsoleUser,
    *,
    status_code: int = 200,
    done: str | None = None,
    totp_wrong: bool = False,
    token_error: str | None = None,
    token_input: TokenInput | None = None,
) -> HTMLResponse:
    """The account page with a fresh one-time token for the token form."""
    now = services.clock()
    with services.sessions() as session:
        form_token = issue_form_token(
            session,
            principal_id=user.principal.principal_id,
            purpose=CREATE_PURPOSE,
            now=now,
            ttl=dt.timedelta(seconds=services.settings.form_token_ttl_seconds),
        )
        tokens = list_tokens(session, principal_id=user.principal.principal_id)
        rows = [(token, token_state(token, now)) for token in reversed(tokens)]
        units = _grantable_units(session, user)
        session.commit()
    return page(
        services,
        "account/index.html",
        user=user,
        current="/console/account",
        status_code=status_code,
        done=DONE_WORDS.get(done or ""),
        tokens=rows,
        role_words=ROLES,
        state_words=TOKEN_STATES,
        roles=_grantable_roles(user),
        units=units,
        form_token=form_token,
        totp_wrong=totp_wrong,
        token_error=token_error,
        token_input=token_input or TokenInput(role=user.role),
    )


@router.get("/account")
def account(
    user: ConsoleUserDep,
    services: ServicesDep,
    done: Annotated[str | None, Query(max_length=32)] = None,
) -> HTMLResponse:
    return account_page(services, user, done=done)


@router.post("/account/second-factor/disable")
def turn_off_second_factor(
    user: ConsoleUserDep, form: UserFormDep, services: ServicesDep
) -> Response:
    """Turn the second factor off, with a current code from the app (not a stolen session)."""
    code = str(form.get("code") or "")
    now = services.clock()
    actor = user.principal.actor(current_request_id())
    with services.sessions() as session:
        person = get_principal(session, user.principal.principal_id)
        try:
            disable_totp(
                session,
                person,
                code=code,
                passphrase=services.settings.read_passphrase(),
                now=now,
                actor=actor,
            )
        except WrongCodeError:
            session.rollback()  # ends the write transaction before the page is drawn
            return account_page(
                services,
                user,
                status_code=422,
                totp_wrong=True,
            )
        session.commit()
    return RedirectResponse("/console/account?done=totp_disabled", status_code=303)


def _expiry(value: str, time_zone: str) -> dt.datetime | None:
    """The end of the day ``value`` (YYYY-MM-DD) where the issuer is, in UTC; ``None`` for
    no expiry."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidInputError(
            "the expiry is not a date", code=IssuerErrorCode.BAD_EXPIRY
        ) from None
    start_of_next = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(time_zone))
    return start_of_next.astimezone(dt.UTC)


@router.post("/account/tokens")
def create_token(user: ConsoleUserDep, form: UserFormDep, services: ServicesDep) -> Response:
    """A token of one's own principal, within one's rights; shown once on the answer."""
    token_input = TokenInput.of(form, user.role)
    now = services.clock()
    caller = user.principal
    actor = caller.actor(current_request_id())
    with services.sessions() as session:
        consume_form_token(
            session,
            str(form.get("form_token") or ""),
            principal_id=caller.principal_id,
            purpose=CREATE_PURPOSE,
            now=now,
        )
        owner = get_principal(session, caller.principal_id)
        require_token_for(caller, owner)
        role = token_input.role
        units = list(token_input.units) if role == Role.REGISTRAR else []
        require_grant(caller, role, units)
        try:
            expires_at = _expiry(token_input.expires, services.profile(session).time_zone)
            record, secret = issue_token(
                session,
                owner,
                name=token_input.name,
                role=role,
                units=units,
                actor=actor,
                now=now,
                expires_at=expires_at,
            )
        except InvalidInputError as exc:
            session.rollback()  # the one-time token too: the form can be fixed and sent again
            return account_page(
                services, user, status_code=422, token_error=str(exc), token_input=token_input
            )
        session.commit()
        shown = (record, token_state(record, now))
    return page(
        services,
        "account/token_created.html",
        user=user,
        current="/console/account",
        status_code=201,
        token=shown[0],
        secret=secret,
        role_words=ROLES,
    )


@router.post("/account/tokens/{token_id}/revoke")
def revoke(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    user: ConsoleUserDep,
    _form: UserFormDep,
    services: ServicesDep,
) -> Response:
    """Revoke one of one's own tokens: its next request is refused (401)."""
    now = services.clock()
    caller = user.principal
    actor = caller.actor(current_request_id())
    with services.sessions() as session:
        found = session.get(ApiToken, token_id)
        if found is None or found.principal_id != caller.principal_id:
            raise NotFoundError("no such token of yours")
        require_token_for(caller, get_principal(session, found.principal_id))
        revoke_token(session, token_id, now=now)
        record_event(session, actor, AuditAction.TOKEN_REVOKE, f"token:{token_id}", now=now)
        session.commit()
    return RedirectResponse("/console/account?done=token_revoked", status_code=303)
