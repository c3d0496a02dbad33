"""``/console/keys``: the signing keys, and requests to rotate one, report it compromised, or
re-issue what a compromised one signed.

Each action only files a request (``request_approval``), exactly as ``POST
/api/v1/keys/rotate``, ``/keys/{kid}/compromise`` and ``/keys/{kid}/reissue`` do: another
admin approves it on the approvals page (decision 0011). Each is drawn as a confirmation
naming what will happen, with a one-time form token. Auditors read the list (the API lets
them), with no controls.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.approvals import list_approvals, request_approval
from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.credentials.reissue_runs import (
    ReissueProgress,
    cancel_reissue,
    check_no_unfinished_run,
    credentials_to_reissue,
    latest_run,
    reissue_progress,
    unfinished_run,
)
from issuer.errors import ConflictError, IssuerErrorCode
from issuer.keys.keystore import active_key, get_key, list_keys
from issuer.services import Services
from issuer.store.models import ReissueRun, SigningKey
from issuer.vocabulary import ApprovalAction, ApprovalState, KeyState
from issuer.web.console.actions import (
    APPROVAL_ACTIONS,
    KEY_STATES,
    MAX_NOTE,
    REISSUE_STATES,
    Words,
    form_note,
    words,
)
from issuer.web.console.identity import (
    ConsoleAdminDep,
    ConsoleOverseerDep,
    ConsoleUser,
    UserFormDep,
)
from issuer.web.console.pages import page
from issuer.web.deps import ReadSessionDep, ServicesDep, TaskQueueDep
from issuer.web.middleware.request_log import current_request_id
from verifier.i18n import both

router = APIRouter(prefix="/console", include_in_schema=False)

PAGE = "/console/keys"
ROTATE = "key.rotate"
COMPROMISE = "key.compromise"
REISSUE = "key.reissue"
KEY_ACTIONS = (
    ApprovalAction.KEY_ROTATE,
    ApprovalAction.KEY_COMPROMISE,
    ApprovalAction.KEY_REISSUE_COMPROMISED,
)


@router.get("/keys")
def keys(
    user: ConsoleOverseerDep,
    services: ServicesDep,
    session: ReadSessionDep,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> HTMLResponse:
    pending, _total = list_approvals(session, state=ApprovalState.PENDING, limit=100, offset=0)
    keys = list(reversed(list_keys(session)))
    return page(
        services,
        "keys/index.html",
        user=user,
        current=PAGE,
        keys=keys,
        reissues=_reissues(session, keys),
        reissue_states=REISSUE_STATES,
        can_reissue=_can_reissue(session, keys),
        pending=[row for row in pending if row.action in KEY_ACTIONS],
        sent=done == "sent",
        reissue_cancelled=done == "stopped",
        states=KEY_STATES,
        actions=APPROVAL_ACTIONS,
        words=words,
    )


def _reissues(session: Session, keys: list[SigningKey]) -> list[tuple[ReissueRun, ReissueProgress]]:
    """Each compromised key's newest re-issue run and how far it got (decision 0066)."""
    runs = [latest_run(session, key.kid) for key in keys if key.state == KeyState.COMPROMISED]
    return [(run, reissue_progress(session, run)) for run in runs if run is not None]


def _can_reissue(session: Session, keys: list[SigningKey]) -> set[str]:
    """The compromised keys a re-issue may be requested for: none of them is under way."""
    return {
        key.kid
        for key in keys
        if key.state == KeyState.COMPROMISED and unfinished_run(session, key.kid) is None
    }


@router.get("/keys/{kid}/reissue")
def reissue_form(
    kid: str, user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """The confirmation: which key, how many credentials, and that another admin approves."""
    key = _reissuable_key(session, kid)
    return page(
        services,
        "keys/reissue.html",
        user=user,
        current=PAGE,
        key=key,
        credentials=credentials_to_reissue(session, key.kid),
        form_token=_form_token(services, user, REISSUE),
    )


@router.post("/keys/{kid}/reissue")
def reissue(kid: str, user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep) -> Response:
    """File a re-issue request, as ``POST /api/v1/keys/{kid}/reissue`` does (202 there)."""
    now = services.clock()
    with services.sessions() as session:
        key = _reissuable_key(session, kid)
        _consume(session, form.get("form_token"), user, REISSUE, now)
        request_approval(
            session,
            ApprovalAction.KEY_REISSUE_COMPROMISED,
            {"kid": key.kid},
            actor=user.principal.actor(current_request_id()),
            now=now,
        )
        session.commit()
    return RedirectResponse(f"{PAGE}?done=sent", status_code=303)


def _reissuable_key(session: Session, kid: str) -> SigningKey:
    """The compromised key to re-issue from (404 if unknown); 409 ``key_not_compromised``
    for any other, and ``reissue_running`` while a run of it is unfinished, the conflicts
    ``request_approval`` raises."""
    key = get_key(session, kid[:64])
    if key.state != KeyState.COMPROMISED:
        raise ConflictError(
            "the key is not marked compromised", code=IssuerErrorCode.KEY_NOT_COMPROMISED
        )
    check_no_unfinished_run(session, key.kid)
    return key


@router.post("/keys/{kid}/reissue/cancel")
def cancel_reissue_run(
    kid: str,
    user: ConsoleAdminDep,
    _form: UserFormDep,
    services: ServicesDep,
    queue: TaskQueueDep,
) -> Response:
    """Stop the key's re-issue run, as ``POST /api/v1/keys/{kid}/reissue/cancel``."""
    with services.sessions() as session:
        get_key(session, kid[:64])
        run = cancel_reissue(
            session, kid, actor=user.principal.actor(current_request_id()), now=services.clock()
        )
        session.commit()
        run_id = run.id
    queue.cancel_reissue(run_id)
    return RedirectResponse(f"{PAGE}?done=stopped", status_code=303)


def _form_token(services: Services, user: ConsoleUser, purpose: str) -> str:
    with services.sessions() as session:
        token = issue_form_token(
            session,
            principal_id=user.principal.principal_id,
            purpose=purpose,
            now=services.clock(),
            ttl=dt.timedelta(seconds=services.settings.form_token_ttl_seconds),
        )
        session.commit()
    return token


@router.get("/keys/rotate")
def rotate_form(user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep) -> Response:
    return page(
        services,
        "keys/rotate.html",
        user=user,
        current=PAGE,
        active=active_key(session),
        algorithm=services.settings.key_algorithm,
        form_token=_form_token(services, user, ROTATE),
    )


@router.post("/keys/rotate")
def rotate(user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep) -> Response:
    """File a rotation request, as ``POST /api/v1/keys/rotate`` does (202 there)."""
    now = services.clock()
    with services.sessions() as session:
        _consume(session, form.get("form_token"), user, ROTATE, now)
        request_approval(
            session,
            ApprovalAction.KEY_ROTATE,
            {},
            actor=user.principal.actor(current_request_id()),
            now=now,
        )
        session.commit()
    return RedirectResponse(f"{PAGE}?done=sent", status_code=303)


def _compromise_page(
    services: Services,
    user: ConsoleUser,
    key: SigningKey,
    *,
    when: str = "",
    note: str = "",
    errors: dict[str, Words] | None = None,
) -> HTMLResponse:
    return page(
        services,
        "keys/compromise.html",
        user=user,
        current=PAGE,
        key=key,
        when=when,
        note=note,
        errors=errors or {},
        form_token=_form_token(services, user, COMPROMISE),
        status_code=422 if errors else 200,
    )


@router.get("/keys/{kid}/compromise")
def compromise_form(
    kid: str, user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    return _compromise_page(services, user, _open_key(session, kid))


@router.post("/keys/{kid}/compromise")
def compromise(
    kid: str, user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep
) -> Response:
    """File a compromise request, as ``POST /api/v1/keys/{kid}/compromise`` does."""
    now = services.clock()
    with services.read_sessions() as session:
        key = _open_key(session, kid)
        zone = services.profile(session).time_zone
    raw_when, raw_note = str(form.get("compromised_at") or ""), str(form.get("note") or "")
    compromised_at, errors = _compromise_time(raw_when, zone, now)
    note, note_problem = form_note(raw_note)
    if note_problem is not None:
        errors["note"] = note_problem
    if errors or compromised_at is None:
        return _compromise_page(
            services, user, key, when=raw_when[:32], note=raw_note[: MAX_NOTE * 2], errors=errors
        )
    params: dict[str, Any] = {"kid": key.kid, "compromised_at": compromised_at.isoformat()}
    if note:
        params["note"] = note
    with services.sessions() as session:
        _consume(session, form.get("form_token"), user, COMPROMISE, now)
        request_approval(
            session,
            ApprovalAction.KEY_COMPROMISE,
            params,
            actor=user.principal.actor(current_request_id()),
            now=now,
        )
        session.commit()
    return RedirectResponse(f"{PAGE}?done=sent", status_code=303)


def _open_key(session: Session, kid: str) -> SigningKey:
    """The key to report (404 if unknown); one already compromised cannot be reported again
    (the same conflict ``request_approval`` raises)."""
    key = get_key(session, kid[:64])
    if key.state == KeyState.COMPROMISED:
        raise ConflictError(
            "the key is already compromised", code=IssuerErrorCode.KEY_ALREADY_COMPROMISED
        )
    return key


def _compromise_time(
    raw: str, zone: str, now: dt.datetime
) -> tuple[dt.datetime | None, dict[str, Words]]:
    """The form's local date and time (the issuer's zone) as UTC; not in the future."""
    try:
        local = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None, {"compromised_at": both("console.keys.compromise.no_time")}
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(zone))
    when = local.astimezone(dt.UTC)
    if when > now:
        return None, {"compromised_at": both("console.keys.compromise.future")}
    return when, {}


def _consume(
    session: Session, token: object, user: ConsoleUser, purpose: str, now: dt.datetime
) -> None:
    consume_form_token(
        session,
        str(token or ""),
        principal_id=user.principal.principal_id,
        purpose=purpose,
        now=now,
    )
