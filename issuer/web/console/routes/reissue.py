"""``/console/credentials/{id}/reissue``: a corrected or upgraded replacement, confirmed first.

The form (``reissue_form.py``) shows the credential's values; the first submission shows
each change, old and new, and asks again with a one-time form token; the second reissues
with the API's function and redirects to the new credential's page.
"""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.access.policy import require_unit, unit_scope
from issuer.credentials.catalog import list_levels, list_occupations, list_units
from issuer.credentials.lifecycle import locked_credential
from issuer.credentials.reissue import Corrections, reissue_credential
from issuer.services import Services
from issuer.store.models import Credential
from issuer.web.console.confirmed_forms import confirmed, new_form_token, use_form_token
from issuer.web.console.credential_view import SECTION, changeable, page_url
from issuer.web.console.identity import ConsoleUser, ConsoleWriterDep, UserFormDep
from issuer.web.console.pages import page
from issuer.web.console.reissue_form import (
    CHANGEABLE,
    ReissueForm,
    current_values,
    read_reissue_form,
)
from issuer.web.console.words import REASON_CODES, reason_words
from issuer.web.deps import ServicesDep
from issuer.web.middleware.request_log import current_request_id

router = APIRouter(prefix="/console", include_in_schema=False)

PURPOSE = "credential.reissue"


def _form_page(
    services: Services,
    session: Session,
    user: ConsoleUser,
    row: Credential,
    values: dict[str, str],
    *,
    errors: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    scope = unit_scope(user.principal)
    units = [u for u in list_units(session) if scope is None or u.code in scope]
    return page(
        services,
        "credential/reissue.html",
        user=user,
        current=SECTION,
        status_code=status_code,
        row=row,
        values=values,
        errors=errors or {},
        labels=CHANGEABLE,
        reasons=[(code, reason_words(code)) for code in REASON_CODES],
        units=units,
        levels=list_levels(session),
        occupations=list_occupations(session),
    )


@router.get("/credentials/{reference}/reissue")
def reissue_form(reference: str, user: ConsoleWriterDep, services: ServicesDep) -> HTMLResponse:
    with services.read_sessions() as session:
        row = changeable(session, user, reference)
        values = {**current_values(row, services.profile(session).time_zone), "note": ""}
        return _form_page(services, session, user, row, {**values, "reason": ""})


@router.post("/credentials/{reference}/reissue")
def reissue(
    reference: str, user: ConsoleWriterDep, form: UserFormDep, services: ServicesDep
) -> Response:
    with services.sessions() as session:
        row = changeable(session, user, reference)
        time_zone = services.profile(session).time_zone
        submitted = read_reissue_form(form, row, time_zone)
        if submitted.request is None:
            return _form_page(
                services,
                session,
                user,
                row,
                submitted.typed,
                errors=dict(submitted.errors),
                status_code=422,
            )
        if not confirmed(form):
            locked_credential(session, row.id)  # a final state answers now (409), not later
            token = new_form_token(session, services, user, PURPOSE)
            session.commit()
            return _confirm_page(services, user, row, submitted, token)
        use_form_token(session, services, user, form, PURPOSE)
        new_id = _reissue(session, services, user, row, submitted)
        session.commit()
    return RedirectResponse(f"{SECTION}/{new_id}?done=reissued", status_code=303)


def _confirm_page(
    services: Services, user: ConsoleUser, row: Credential, submitted: ReissueForm, token: str
) -> HTMLResponse:
    return page(
        services,
        "credential/reissue_confirm.html",
        user=user,
        current=SECTION,
        row=row,
        typed=submitted.typed,
        changes=submitted.changes,
        reason_words=reason_words(submitted.typed["reason"]),
        form_token=token,
        back=page_url(row),
    )


def _reissue(
    session: Session, services: Services, user: ConsoleUser, row: Credential, form: ReissueForm
) -> str:
    """The API's reissue (the same unit checks), with the corrections the form carried."""
    request = form.request
    assert request is not None
    principal = user.principal
    if request.unit is not None:
        require_unit(principal, request.unit)
    corrections = Corrections(**request.model_dump(exclude={"reason", "note"}, exclude_none=True))
    new = reissue_credential(
        session,
        row.id,
        corrections,
        reason=request.reason,
        note=request.note,
        issuer=services.issuer(session),
        actor=principal.actor(current_request_id()),
        now=services.clock(),
        units=unit_scope(principal),
    )
    return new.id
