"""``/console/users``: the people who sign in to the console (admins).

A user is created with ``create_user``, as ``tessera users create`` does, and within the
rights rules of ``POST /api/v1/principals``: at most the admin's own rights, and a new admin
only through a second admin's approval (the request keeps the password's Argon2id hash,
never the password; decision 0045). Disabling ends the person's sessions at once; the
password reset, the unlock and "sign out everywhere" are the CLI's ``tessera users``
commands, audited under the admin's name.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.approvals import request_approval
from issuer.access.console_sessions import end_all_sessions
from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.access.passwords import hash_password
from issuer.access.policy import grant_needs_approval, require_grant
from issuer.access.principals import disable_principal
from issuer.access.tokens import check_role_and_units, check_units_exist
from issuer.access.users import (
    check_new_email,
    create_user,
    get_user,
    list_users,
    set_password,
    unlock_user,
)
from issuer.credentials.catalog import list_units
from issuer.errors import IssuerError, IssuerErrorCode, PermissionDeniedError
from issuer.services import Services
from issuer.store.audit import record_event
from issuer.store.models import AuditEvent, PrincipalRecord
from issuer.vocabulary import ApprovalAction, AuditAction, Role
from issuer.web.console.form_values import checked, text
from issuer.web.console.identity import ConsoleAdminDep, ConsoleUser, UserFormDep
from issuer.web.console.pages import page
from issuer.web.console.people_words import ROLES as ROLE_WORDS
from issuer.web.console.people_words import USER_STATES
from issuer.web.deps import ReadSessionDep, RowIdPath, ServicesDep
from issuer.web.middleware.request_log import current_request_id
from verifier.i18n import Lang, both, say
from verifier.labels import Label

router = APIRouter(prefix="/console/users", include_in_schema=False)
HOME = "/console/users"
FORM_PURPOSE = "user_create"
FORM_TTL = dt.timedelta(hours=2)
# Which field a refusal belongs beside, by its problem code.
FIELD_OF = {
    IssuerErrorCode.INVALID_EMAIL: "email",
    IssuerErrorCode.EMAIL_TAKEN: "email",
    IssuerErrorCode.WEAK_PASSWORD: "password",
    IssuerErrorCode.BAD_ROLE: "role",
    IssuerErrorCode.UNITS_REQUIRED: "units",
    IssuerErrorCode.UNKNOWN_UNIT: "units",
    IssuerErrorCode.RIGHTS_EXCEEDED: "role",
    IssuerErrorCode.INVALID_INPUT: "name",
}
DONE = {
    "created": Label("console.users.done.created"),
    "requested": Label("console.users.done.requested"),
    "disabled": Label("console.users.done.disabled"),
    "password": Label("console.users.done.password"),
    "unlocked": Label("console.users.done.unlocked"),
    "signed_out": Label("console.users.done.signed_out"),
}
ROLES = (Role.REGISTRAR, Role.AUDITOR, Role.ADMIN)


def _done_words(done: str | None) -> tuple[str, str] | None:
    """What was just done, in both languages, for the page's ``done_alert``; unknown: none."""
    label = DONE.get(done or "")
    return both(label.key) if label is not None else None


def state_of(record: PrincipalRecord, now: dt.datetime) -> str:
    """``disabled``, ``locked`` or ``enabled``, as ``tessera users list`` shows it."""
    if record.disabled_at is not None:
        return "disabled"
    if record.locked_until is not None and record.locked_until > now:
        return "locked"
    return "enabled"


def last_sign_ins(session: Session) -> dict[str, dt.datetime]:
    """The latest ``user.sign_in`` of each principal, from the audit log (one grouped query
    on an indexed column)."""
    rows = session.execute(
        select(AuditEvent.target, func.max(AuditEvent.occurred_at))
        .where(AuditEvent.action == AuditAction.USER_SIGN_IN)
        .group_by(AuditEvent.target)
    )
    return {target: at for target, at in rows if target is not None}


def _list_page(
    services: Services,
    user: ConsoleUser,
    session: Session,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    form_token: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    if form_token is None:
        with services.sessions() as writer:
            form_token = issue_form_token(
                writer,
                principal_id=user.principal.principal_id,
                purpose=FORM_PURPOSE,
                now=services.clock(),
                ttl=FORM_TTL,
            )
            writer.commit()
    return page(
        services,
        "users/index.html",
        user=user,
        current=HOME,
        status_code=422 if errors else 200,
        users=list_users(session),
        state_of=lambda record: state_of(record, services.clock()),
        signed_in=last_sign_ins(session),
        units=list_units(session),
        roles=ROLES,
        values=values or {"role": Role.REGISTRAR, "units": [], "sign_in": "password"},
        errors=errors or {},
        form_token=form_token,
        done=_done_words(done),
        role_words=ROLE_WORDS,
        state_words=USER_STATES,
    )


@router.get("")
def users(
    user: ConsoleAdminDep,
    services: ServicesDep,
    session: ReadSessionDep,
    done: str | None = None,
) -> HTMLResponse:
    return _list_page(services, user, session, done=(done or "")[:20])


def _new_user(form: FormData) -> dict[str, Any]:
    return {
        "email": text(form, "email").strip(),
        "name": text(form, "name").strip(),
        "role": text(form, "role"),
        "units": checked(form, "units"),
        "sign_in": "sso" if text(form, "sign_in") == "sso" else "password",
    }


@router.post("")
def create(
    user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """A new user; an admin is a request for a second admin (as the API's 202)."""
    values = _new_user(form)
    token = text(form, "form_token")
    password: str | None = None
    if values["sign_in"] == "password":
        password = text(form, "password")
        if password != text(form, "password_again"):
            errors = {"password_again": say("console.users.passwords_differ", Lang.BOTH, sep=" ")}
            return _list_page(
                services, user, session, values=values, errors=errors, form_token=token
            )
    try:
        done = _create(services, user, values, password, token)
    except IssuerError as error:
        if error.code not in FIELD_OF:
            raise  # the form token, a conflict: an error page says what happened
        errors = {FIELD_OF[error.code]: str(error)}
        return _list_page(services, user, session, values=values, errors=errors, form_token=token)
    return RedirectResponse(f"{HOME}?done={done}", status_code=303)


def _create(
    services: Services,
    user: ConsoleUser,
    values: dict[str, Any],
    password: str | None,
    token: str,
) -> str:
    """Create the user, or file the request for an admin; which one was done."""
    caller = user.principal
    role, units = values["role"], values["units"]
    now = services.clock()
    actor = caller.actor(current_request_id())
    with services.sessions() as session:
        check_role_and_units(role, units)
        require_grant(caller, role, units)
        consume_form_token(
            session, token[:200], principal_id=caller.principal_id, purpose=FORM_PURPOSE, now=now
        )
        if grant_needs_approval(caller, role, None):
            check_units_exist(session, units)
            params: dict[str, Any] = {
                "email": check_new_email(session, values["email"]),
                "name": values["name"] or None,
                "role": role,
                "units": units,
            }
            if password is not None:
                params["password_hash"] = hash_password(password)
            request_approval(session, ApprovalAction.USER_CREATE, params, actor=actor, now=now)
            session.commit()
            return "requested"
        create_user(
            session,
            email=values["email"],
            role=role,
            units=units,
            name=values["name"] or None,
            password=password,
            actor=actor,
            now=now,
            created_by=caller.principal_id,
        )
        session.commit()
    return "created"


def _user_page(
    services: Services,
    user: ConsoleUser,
    person: PrincipalRecord,
    session: Session,
    *,
    errors: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    return page(
        services,
        "users/user.html",
        user=user,
        current=HOME,
        status_code=422 if errors else 200,
        person=person,
        state=state_of(person, services.clock()),
        signed_in=last_sign_ins(session).get(f"principal:{person.id}"),
        can_set_password=_may_set_password(user, person),
        errors=errors or {},
        done=_done_words(done),
        role_words=ROLE_WORDS,
        state_words=USER_STATES,
    )


def _may_set_password(user: ConsoleUser, person: PrincipalRecord) -> bool:
    """Not another admin's: who knew it could act as them, and approve their own requests
    under the other name (maker-checker); that is the operator's ``tessera users``."""
    return person.role != Role.ADMIN or person.id == user.principal.principal_id


@router.get("/{principal_id}")
def user_page(
    principal_id: RowIdPath,
    user: ConsoleAdminDep,
    services: ServicesDep,
    session: ReadSessionDep,
    done: str | None = None,
) -> HTMLResponse:
    person = get_user(session, principal_id)
    return _user_page(services, user, person, session, done=(done or "")[:20])


def _done(principal_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(f"{HOME}/{principal_id}?done={what}", status_code=303)


@router.post("/{principal_id}/disable")
def disable(
    principal_id: RowIdPath, user: ConsoleAdminDep, _form: UserFormDep, services: ServicesDep
) -> Response:
    """Disable as ``POST /api/v1/principals/{id}/disable``; the sessions end too."""
    now = services.clock()
    with services.sessions() as session:
        person = get_user(session, principal_id)
        disable_principal(
            session, person.id, actor=user.principal.actor(current_request_id()), now=now
        )
        end_all_sessions(session, person.id)
        session.commit()
    return _done(principal_id, "disabled")


@router.post("/{principal_id}/password")
def reset_password(
    principal_id: RowIdPath,
    user: ConsoleAdminDep,
    form: UserFormDep,
    services: ServicesDep,
    session: ReadSessionDep,
) -> Response:
    """A new password (entered twice), as ``tessera users set-password``; it lifts a lock-out."""
    password, again = text(form, "password"), text(form, "password_again")
    with services.sessions() as writer:
        person = get_user(writer, principal_id)
        if not _may_set_password(user, person):
            raise PermissionDeniedError(
                "another admin's password is set by that admin, or with tessera users set-password"
            )
        if password != again:
            shown = get_user(session, principal_id)
            errors = {"password_again": say("console.users.passwords_differ", Lang.BOTH, sep=" ")}
            return _user_page(services, user, shown, session, errors=errors)
        try:
            set_password(
                writer,
                person,
                password,
                actor=user.principal.actor(current_request_id()),
                now=services.clock(),
            )
        except IssuerError as error:
            if error.code != IssuerErrorCode.WEAK_PASSWORD:
                raise
            shown = get_user(session, principal_id)
            return _user_page(services, user, shown, session, errors={"password": str(error)})
        writer.commit()
    return _done(principal_id, "password")


@router.post("/{principal_id}/unlock")
def unlock(
    principal_id: RowIdPath, user: ConsoleAdminDep, _form: UserFormDep, services: ServicesDep
) -> Response:
    with services.sessions() as session:
        person = get_user(session, principal_id)
        actor = user.principal.actor(current_request_id())
        unlock_user(session, person, actor=actor, now=services.clock())
        session.commit()
    return _done(principal_id, "unlocked")


@router.post("/{principal_id}/sign-out")
def sign_out_everywhere(
    principal_id: RowIdPath, user: ConsoleAdminDep, _form: UserFormDep, services: ServicesDep
) -> Response:
    """Every session of this person ends (a lost laptop), as ``tessera users sign-out``."""
    with services.sessions() as session:
        person = get_user(session, principal_id)
        ended = end_all_sessions(session, person.id)
        record_event(
            session,
            user.principal.actor(current_request_id()),
            AuditAction.USER_SIGN_OUT_EVERYWHERE,
            f"principal:{person.id}",
            now=services.clock(),
            details={"sessions": ended},
        )
        session.commit()
    return _done(principal_id, "signed_out")
