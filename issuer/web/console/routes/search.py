"""``/console/credentials``: find anything in the register; ``/console/credentials.csv``: the
same search as a CSV file.

Both call the search service the API calls (issuer/credentials/search.py) and the API's CSV
export (``csv_export``), with the person's unit scope from the one policy: a registrar finds
and exports only its units' credentials, and its unit list offers only those.

The quick box (``q``) takes what a person has at hand: a certificate number that matches
exactly opens that credential (303); otherwise an employee number, then part of a name,
each the search service's own filter. A number outside the person's units finds nothing,
the same as a number that does not exist.
"""

from __future__ import annotations

import dataclasses
from typing import Final

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response, StreamingResponse

from issuer.access.policy import unit_scope
from issuer.credentials.catalog import list_levels, list_occupations, list_units
from issuer.credentials.search import CredentialFilter, SearchPage, SortOrder, search_credentials
from issuer.errors import InvalidInputError, IssuerErrorCode, PermissionDeniedError
from issuer.services import Services
from issuer.web.console.credential_words import STATES, state_words
from issuer.web.console.identity import ConsoleUser, ConsoleUserDep
from issuer.web.console.pages import page
from issuer.web.console.search_form import (
    PAGE_SIZES,
    QUICK_FIELD,
    SearchForm,
    filter_params,
    read_form,
    search_url,
)
from issuer.web.deps import ReadSessionDep, ServicesDep
from issuer.web.routes.credential_search import csv_export
from verifier.i18n import Lang, both, text

router = APIRouter(prefix="/console", include_in_schema=False)

SORTS: Final[dict[SortOrder, tuple[str, str]]] = {
    SortOrder.NEWEST: both("console.search.sort.newest"),
    SortOrder.OLDEST: both("console.search.sort.oldest"),
    SortOrder.EXAM_NEWEST: both("console.search.sort.exam_newest"),
    SortOrder.EXAM_OLDEST: both("console.search.sort.exam_oldest"),
    SortOrder.NUMBER: both("console.search.sort.number"),
    SortOrder.NUMBER_DESC: both("console.search.sort.number_desc"),
    SortOrder.HOLDER_NAME: both("field.holder_name"),
}
# What the CSV export takes: the filters and the order, as the API's export does.
NOT_FOR_EXPORT: Final = ("limit", "offset", QUICK_FIELD)


def _quick(
    session: Session, form: SearchForm, quick: str, scope: tuple[str, ...] | None
) -> str | tuple[CredentialFilter, SearchPage] | None:
    """The credential id an exact certificate number (``quick``) names; else the first of an
    employee number and a partial name that finds something, with its page; else ``None``."""
    base = form.criteria
    exact = search_credentials(
        session, dataclasses.replace(base, number=quick), scope=scope, limit=2
    )
    if exact.total == 1:
        return exact.items[0].id
    for criteria in (
        dataclasses.replace(base, employee_number=quick),
        dataclasses.replace(base, holder_name=quick),
    ):
        try:
            found = search_credentials(
                session,
                criteria,
                scope=scope,
                order=form.sort,
                limit=form.limit,
                offset=form.offset,
            )
        except InvalidInputError:  # not a possible employee number or name: try the next
            continue
        if found.total:
            return criteria, found
    return None


def _draw(
    services: Services,
    session: Session,
    user: ConsoleUser,
    form: SearchForm,
    *,
    result: SearchPage | None = None,
    problem: tuple[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """The page: the form as asked (or as the quick box resolved it), then the results."""
    scope = unit_scope(user.principal)
    units = list_units(session)
    occupations = list_occupations(session)
    levels = list_levels(session)
    if result is not None:  # what the search found is shown; the link follows it
        shown = dict(filter_params(dataclasses.replace(form.criteria, units=())))
        shown.update(
            {k: form.values[k] for k in ("sort", "limit", QUICK_FIELD) if k in form.values}
        )
        values, chosen_units = shown, list(form.criteria.units)
    else:
        values, chosen_units = form.values, form.units
    pages = None
    if result is not None and result.items:
        pages = {
            "number": result.offset // result.limit + 1,
            "count": (result.total + result.limit - 1) // result.limit,
            "first": result.offset + 1,
            "last": result.offset + len(result.items),
            "previous": (
                search_url(
                    form.criteria,
                    sort=form.sort,
                    limit=form.limit,
                    offset=max(0, result.offset - result.limit),
                )
                if result.offset
                else None
            ),
            "next": (
                search_url(
                    form.criteria, sort=form.sort, limit=form.limit, offset=result.next_offset
                )
                if result.next_offset is not None
                else None
            ),
        }
    return page(
        services,
        "credentials/search.html",
        user=user,
        current="/console/credentials",
        status_code=status_code,
        form=form,
        values=values,
        chosen_units=chosen_units,
        unit_options=[u for u in units if scope is None or u.code in scope],
        occupation_options=occupations,
        level_options=levels,
        states=list(STATES),
        state_words=state_words,
        sorts=SORTS,
        page_sizes=sorted({*PAGE_SIZES, form.limit}),
        result=result,
        pages=pages,
        problem=problem,
        problem_tone="bad" if status_code >= 400 else "warn",
        # closed while nothing is filtered, so a phone shows the list at once
        open_filters=bool(
            form.errors
            or form.unknown
            or filter_params(form.criteria)
            or form.values.keys() - {QUICK_FIELD, "offset"}
        ),
        first_url=search_url(form.criteria, sort=form.sort, limit=form.limit),
        export_url=search_url(form.criteria, sort=form.sort, path="/console/credentials.csv"),
        export_job_url=search_url(form.criteria, sort=form.sort, path="/console/exports"),
        names={
            "unit": {u.id: (u.name_zh, u.name_en) for u in units},
            "occupation": {o.id: (o.name_zh, o.name_en) for o in occupations},
            "level": {lv.id: (lv.name_zh, lv.name_en) for lv in levels},
        },
    )


@router.get("/credentials")
def find_credentials(
    request: Request, user: ConsoleUserDep, services: ServicesDep, session: ReadSessionDep
) -> Response:
    form = read_form(request.query_params)
    if not form.valid:
        return _draw(services, session, user, form, status_code=422)
    scope = unit_scope(user.principal)
    try:
        if form.quick is not None:
            found = _quick(session, form, form.quick, scope)
            if isinstance(found, str):
                return RedirectResponse(f"/console/credentials/{found}", status_code=303)
            if found is None:
                return _draw(services, session, user, form, problem=_nothing(form.quick))
            form.criteria, result = found
        else:
            result = search_credentials(
                session,
                form.criteria,
                scope=scope,
                order=form.sort,
                limit=form.limit,
                offset=form.offset,
            )
    except PermissionDeniedError:
        form.errors["unit"] = both("console.search.error.unit_forbidden")
        return _draw(services, session, user, form, status_code=403)
    except InvalidInputError as exc:
        problem = (text("console.search.check_input", Lang.ZH), str(exc))
        return _draw(services, session, user, form, problem=problem, status_code=422)
    return _draw(services, session, user, form, result=result)


def _nothing(quick: str) -> tuple[str, str]:
    return both("console.search.not_found", quick=quick)


@router.get("/credentials.csv")
def export_credentials(
    request: Request, user: ConsoleUserDep, services: ServicesDep
) -> StreamingResponse:
    """The search as the API's CSV export, under the console session."""
    form = read_form(request.query_params)
    form.unknown += [name for name in NOT_FOR_EXPORT if name in request.query_params]
    if not form.valid:
        wrong = [f"{name}: {en}" for name, (_zh, en) in form.errors.items()]
        wrong += [f"{name}: unknown query parameter" for name in form.unknown]
        raise InvalidInputError("; ".join(wrong), code=IssuerErrorCode.INVALID_REQUEST)
    response = csv_export(services, form.criteria, unit_scope(user.principal), form.sort)
    response.headers["Cache-Control"] = "no-store"
    return response
