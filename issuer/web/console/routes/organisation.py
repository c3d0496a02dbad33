"""``/console/organisation``: the catalog's units and occupations and the catalog file (admins).

Every change goes through the functions the API and ``tessera catalog`` use
(``check_unit`` / ``check_occupation``, ``apply_entries``, ``import_catalog``), so a value is
refused for the same reason everywhere (here in both languages, ``catalog_words.py``) and
audited the same way (decision 0036). A refused value draws the form again (422) with the
message beside its field and the input kept. The issuer's profile is in ``profile.py``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from issuer.campaigns.catalog_file import CatalogReport
from issuer.credentials.catalog import list_levels, list_occupations, list_units
from issuer.credentials.catalog_admin import (
    FieldError,
    OccupationEntry,
    UnitEntry,
    apply_entries,
    check_occupation,
    check_unit,
)
from issuer.errors import InvalidInputError, NotFoundError
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Occupation, Unit
from issuer.web.console.catalog_words import (
    field_problem,
    file_refusal_words,
    problem_words,
    refusal_words,
)
from issuer.web.console.form_values import text, upload
from issuer.web.console.identity import ConsoleAdminDep, ConsoleUser, UserFormDep
from issuer.web.console.pages import page
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.middleware.request_log import current_request_id
from issuer.web.routes.catalog import import_catalog_file
from verifier.labels import Label

router = APIRouter(prefix="/console/organisation", include_in_schema=False)
HOME = "/console/organisation"
UNIT_FIELDS = ("code", "name_zh", "name_en")
OCCUPATION_FIELDS = (
    *UNIT_FIELDS,
    *("description_zh", "description_en", "criteria_zh", "criteria_en"),
)
MAX_CATALOG_BYTES = 1 << 20  # the request body limit (TESSERA_MAX_BODY_BYTES) bounds it too
DONE = {
    "unit": Label("console.organisation.done.unit"),
    "occupation": Label("console.organisation.done.occupation"),
}
DoneQuery = Annotated[str | None, Query(max_length=20)]


def _done_words(done: str | None) -> tuple[str, str] | None:
    """What the page says after a change (``?done=``), in both languages."""
    label = DONE.get(done or "")
    return (label.zh, label.en) if label is not None else None


def _save(services: Services, user: ConsoleUser, entry: UnitEntry | OccupationEntry) -> None:
    units = [entry] if isinstance(entry, UnitEntry) else []
    occupations = [entry] if isinstance(entry, OccupationEntry) else []
    actor = user.principal.actor(current_request_id())
    with session_scope(services.sessions) as session:
        apply_entries(session, units, occupations, actor=actor, now=services.clock())


def _exists(session: Session, model: type[Unit | Occupation], code: str) -> bool:
    return session.scalar(select(model.id).where(model.code == code)) is not None


@router.get("")
def overview(
    user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep, done: DoneQuery = None
) -> HTMLResponse:
    return _overview(services, user, session, done=done)


def _overview(
    services: Services,
    user: ConsoleUser,
    session: Session,
    *,
    done: str | None = None,
    unit: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    report: CatalogReport | None = None,
    import_error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        services,
        "organisation/index.html",
        user=user,
        current=HOME,
        status_code=status_code,
        done=_done_words(done),
        units=list_units(session),
        occupations=list_occupations(session),
        levels={level.code: level for level in list_levels(session)},
        profile=services.profile(session),
        unit=unit or {},
        errors=errors or {},
        report=report,
        import_error=import_error,
        problem_words=problem_words,
    )


@router.post("/units")
def create_unit(
    user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """A new unit; a code already in the catalog is refused here (edit that unit instead)."""
    values = {name: text(form, name).strip() for name in UNIT_FIELDS}
    try:
        entry = check_unit(values)
    except FieldError as error:
        errors = field_problem(error)
        return _overview(services, user, session, unit=values, errors=errors, status_code=422)
    if _exists(session, Unit, entry.code):
        taken = {"code": problem_words("unit_taken", {})}
        return _overview(services, user, session, unit=values, errors=taken, status_code=422)
    _save(services, user, entry)
    return RedirectResponse(f"{HOME}?done=unit#units", status_code=303)


def _unit(session: Session, code: str) -> Unit:
    row = session.scalar(select(Unit).where(Unit.code == code[:32]))
    if row is None:
        raise NotFoundError("no such unit")
    return row


def _unit_page(
    services: Services,
    user: ConsoleUser,
    code: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        services,
        "organisation/unit.html",
        user=user,
        current=HOME,
        status_code=422 if errors else 200,
        code=code,
        unit=values,
        errors=errors or {},
    )


@router.get("/units/{code}")
def edit_unit(
    code: str, user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> HTMLResponse:
    row = _unit(session, code)
    return _unit_page(services, user, row.code, {n: getattr(row, n) for n in UNIT_FIELDS})


@router.post("/units/{code}")
def update_unit(
    code: str,
    user: ConsoleAdminDep,
    form: UserFormDep,
    services: ServicesDep,
    session: ReadSessionDep,
) -> Response:
    row = _unit(session, code)
    values = {"code": row.code, **{n: text(form, n).strip() for n in UNIT_FIELDS[1:]}}
    try:
        entry = check_unit(values)
    except FieldError as error:
        return _unit_page(services, user, row.code, values, field_problem(error))
    _save(services, user, entry)
    return RedirectResponse(f"{HOME}?done=unit#units", status_code=303)


def _occupation_page(
    services: Services,
    user: ConsoleUser,
    session: Session,
    code: str | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
) -> HTMLResponse:
    return page(
        services,
        "organisation/occupation.html",
        user=user,
        current=HOME,
        status_code=422 if errors else 200,
        code=code,
        occupation=values,
        levels=list_levels(session),
        errors=errors or {},
    )


def _occupation(session: Session, code: str) -> Occupation:
    row = session.scalar(select(Occupation).where(Occupation.code == code[:32]))
    if row is None:
        raise NotFoundError("no such occupation")
    return row


def _occupation_values(form: Any, code: str | None) -> dict[str, Any]:
    values: dict[str, Any] = {n: text(form, n).strip() for n in OCCUPATION_FIELDS}
    if code is not None:
        values["code"] = code
    values["levels"] = [v for v in form.getlist("levels") if isinstance(v, str)][:20]
    return values


def _check_occupation(session: Session, values: dict[str, Any]) -> OccupationEntry:
    return check_occupation({**values, "levels": " ".join(values["levels"])}, list_levels(session))


@router.get("/occupations/new")
def new_occupation(
    user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> HTMLResponse:
    return _occupation_page(services, user, session, None, {"levels": []})


@router.post("/occupations")
def create_occupation(
    user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    """A new occupation by its national code; levels unticked: every level is offered."""
    values = _occupation_values(form, None)
    try:
        entry = _check_occupation(session, values)
    except FieldError as error:
        errors = field_problem(error)
        return _occupation_page(services, user, session, None, values, errors)
    if _exists(session, Occupation, entry.code):
        taken = {"code": problem_words("occupation_taken", {})}
        return _occupation_page(services, user, session, None, values, taken)
    _save(services, user, entry)
    return RedirectResponse(f"{HOME}?done=occupation#occupations", status_code=303)


@router.get("/occupations/{code}")
def edit_occupation(
    code: str, user: ConsoleAdminDep, services: ServicesDep, session: ReadSessionDep
) -> HTMLResponse:
    row = _occupation(session, code)
    values: dict[str, Any] = {n: getattr(row, n) for n in OCCUPATION_FIELDS}
    values["levels"] = list(row.levels or [])
    return _occupation_page(services, user, session, row.code, values)


@router.post("/occupations/{code}")
def update_occupation(
    code: str,
    user: ConsoleAdminDep,
    form: UserFormDep,
    services: ServicesDep,
    session: ReadSessionDep,
) -> Response:
    row = _occupation(session, code)
    values = _occupation_values(form, row.code)
    try:
        entry = _check_occupation(session, values)
    except FieldError as error:
        errors = field_problem(error)
        return _occupation_page(services, user, session, row.code, values, errors)
    _save(services, user, entry)
    return RedirectResponse(f"{HOME}?done=occupation#occupations", status_code=303)


@router.post("/catalog")
def import_catalog(
    user: ConsoleAdminDep, form: UserFormDep, services: ServicesDep, session: ReadSessionDep
) -> HTMLResponse:
    """The catalog file, as ``tessera catalog import`` reads it: all rows or none. The result
    is shown at once; importing the same file again changes nothing."""
    data = upload(form, "file", MAX_CATALOG_BYTES)
    if not data:
        return _import_refused(services, user, session, refusal_words("missing_file"))
    if len(data) > MAX_CATALOG_BYTES:
        return _import_refused(services, user, session, refusal_words("file_too_large"))
    dry_run = text(form, "dry_run") == "1"
    with tempfile.NamedTemporaryFile(prefix="tessera-catalog-", delete=False) as handle:
        handle.write(data)
    path = Path(handle.name)
    actor = user.principal.actor(current_request_id())
    try:
        report = import_catalog_file(services, path, actor, dry_run)
    except InvalidInputError as error:
        return _import_refused(services, user, session, file_refusal_words(error))
    finally:
        path.unlink(missing_ok=True)
    session.rollback()  # a fresh read: the lists below show what the import changed
    status = 422 if report.problem_count else 200
    return _overview(services, user, session, report=report, status_code=status)


def _import_refused(
    services: Services, user: ConsoleUser, session: Session, message: str
) -> HTMLResponse:
    return _overview(services, user, session, import_error=message, status_code=422)
