"""Revoke, suspend, reinstate a credential from its page; create and revoke share links.

Each change is asked twice: the first submission only shows what will change (the
confirmation page, with a one-time form token); the second, with ``confirm=yes`` and that
token, does it with the API's own functions and limit (issuer/web/status_changes.py), then
redirects back to the credential's page with the result (Post/Redirect/Get). A form sent
twice is refused (409 ``form_already_submitted``) instead of acting twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from issuer.credentials.lifecycle import (
    locked_credential,
    reinstate_credential,
    revoke_credential,
    suspend_credential,
)
from issuer.documents.share_link import create_share_link, revoke_share_links, share_url
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.models import Credential
from issuer.vocabulary import ApprovalAction
from issuer.web.console.confirmed_forms import (
    confirmed,
    form_text,
    new_form_token,
    use_form_token,
)
from issuer.web.console.credential_view import changeable, credential_page, page_url
from issuer.web.console.identity import ConsoleUser, ConsoleWriterDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.console.words import Words, reason_words
from issuer.web.deps import RowIdPath, ServicesDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.schemas.credentials import ReinstateRequest, StatusChangeRequest
from issuer.web.status_changes import limited_change
from verifier.i18n import both

router = APIRouter(prefix="/console", include_in_schema=False)


@dataclass(frozen=True)
class Change:
    """One status change as the console names it and carries it out."""

    name: str  # revoke, suspend, reinstate: the form's path and the token's purpose
    done: str
    heading: Words
    consequence: Words  # what the confirmation page says will happen
    button: Words
    approval: ApprovalAction | None  # counted against the limit, past it a request


REVOKE = Change(
    "revoke",
    "revoked",
    Words(*both("console.credential.change.revoke.heading")),
    Words(*both("console.credential.change.revoke.consequence")),
    Words(*both("console.credential.change.revoke.button")),
    ApprovalAction.CREDENTIAL_REVOKE,
)
SUSPEND = Change(
    "suspend",
    "suspended",
    Words(*both("console.credential.change.suspend.heading")),
    Words(*both("console.credential.change.suspend.consequence")),
    Words(*both("console.credential.change.suspend.button")),
    ApprovalAction.CREDENTIAL_SUSPEND,
)
REINSTATE = Change(
    "reinstate",
    "reinstated",
    Words(*both("console.credential.change.reinstate.heading")),
    Words(*both("console.credential.change.reinstate.consequence")),
    Words(*both("console.credential.change.reinstate.button")),
    None,
)


def form_purpose(change: str) -> str:
    return f"credential.{change}"


def _invalid(error: ValidationError) -> Words:
    where = {str(e["loc"][0]) for e in error.errors() if e["loc"]}
    if "reason" in where:
        return Words(*both("console.credential.choose_reason"))
    return Words(*both("console.note.too_long"))


def _status_change(
    change: Change,
    reference: str,
    user: ConsoleUser,
    form: FormData,
    services: Services,
) -> Response:
    reason, note = form_text(form, "reason"), form_text(form, "note")
    with services.sessions() as session:
        row = changeable(session, user, reference)
        try:
            if change.approval is None:
                ReinstateRequest.model_validate({"note": note or None})
            else:
                StatusChangeRequest.model_validate({"reason": reason, "note": note or None})
        except ValidationError as error:
            return credential_page(
                services,
                session,
                user,
                row,
                status_code=422,
                action_error=(change.name, _invalid(error)),
                kept_note=note,
            )
        purpose = form_purpose(change.name)
        if not confirmed(form):
            locked_credential(session, row.id)  # a final state answers now (409), not later
            token = new_form_token(session, services, user, purpose)
            session.commit()
            return page(
                services,
                "credential/confirm.html",
                user=user,
                current="/console/credentials",
                row=row,
                change=change,
                reason=reason if change.approval else "",
                reason_words=reason_words(reason) if change.approval else None,
                note=note,
                form_token=token,
            )
        use_form_token(session, services, user, form, purpose)
        actor = user.principal.actor(current_request_id())
        done = _apply(change, session, services, user, actor, row, reason, note or None)
        target = page_url(row, done)
        session.commit()
    return RedirectResponse(target, status_code=303)


def _apply(
    change: Change,
    session: Session,
    services: Services,
    user: ConsoleUser,
    actor: Actor,
    row: Credential,
    reason: str,
    note: str | None,
) -> str:
    """Carry out ``change``; the result word for the page (``approval``: it waits)."""
    now = services.clock()
    if change.approval is None:
        reinstate_credential(session, row.id, note=note, actor=actor, now=now)
        return change.done
    lifecycle: Callable[..., object] = revoke_credential if change is REVOKE else suspend_credential
    fields = {"reason": reason, **({"note": note} if note else {})}
    approval = limited_change(
        session,
        services,
        user.principal,
        actor,
        row,
        change.approval,
        fields,
        lambda cid: lifecycle(session, cid, reason=reason, note=note, actor=actor, now=now),
    )
    return "approval" if approval is not None else change.done


@router.post("/credentials/{reference}/revoke")
def revoke(
    reference: str, user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep
) -> Response:
    return _status_change(REVOKE, reference, user, form, services)


@router.post("/credentials/{reference}/suspend")
def suspend(
    reference: str, user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep
) -> Response:
    return _status_change(SUSPEND, reference, user, form, services)


@router.post("/credentials/{reference}/reinstate")
def reinstate(
    reference: str, user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep
) -> Response:
    return _status_change(REINSTATE, reference, user, form, services)


@router.post("/credentials/{reference}/share-links")
def create_link(
    reference: str, user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep
) -> Response:
    """A new share link, shown once on the page that answers (only its hash is stored)."""
    notify = form_text(form, "notify_on_open") == "yes"  # a checked box
    with services.sessions() as session:
        row = changeable(session, user, reference)
        actor = user.principal.actor(current_request_id())
        _link, token = create_share_link(
            session, row.id, actor=actor, now=services.clock(), notify_on_open=notify
        )
        session.commit()
        url = share_url(services.base_url, token)
        return credential_page(services, session, user, row, status_code=201, created_link=url)


@router.post("/credentials/{reference}/share-links/{link_id}/revoke")
def revoke_link(
    reference: str,
    link_id: RowIdPath,
    user: ConsoleWriterDep,
    _form: UserFormDep,
    services: ServicesDep,
) -> Response:
    with services.sessions() as session:
        row = changeable(session, user, reference)
        actor = user.principal.actor(current_request_id())
        revoke_share_links(session, row.id, actor=actor, now=services.clock(), link_id=link_id)
        target = page_url(row, "link_revoked")
        session.commit()
    return RedirectResponse(target, status_code=303)
