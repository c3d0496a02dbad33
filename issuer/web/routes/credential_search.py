"""Registrar API: search the register (``GET /api/v1/credentials``) and export a search as CSV.

Both take the same filters (issuer/web/schemas/search.py) and refuse unknown query
parameters (issuer/web/query.py); registrars see their units only (decision 0019). The
console's export (``/console/credentials.csv``) streams through ``csv_export`` too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlalchemy.exc import SQLAlchemyError

from issuer.access.policy import unit_scope
from issuer.credentials.search import (
    MAX_OFFSET,
    MAX_PAGE,
    CredentialFilter,
    SortOrder,
    check_scope,
    conditions,
    search_credentials,
)
from issuer.services import Services
from issuer.tasks.export_files import register_parts
from issuer.web.deps import PrincipalDep, ReadSessionDep, ServicesDep
from issuer.web.query import known_query_only
from issuer.web.schemas.credentials import CredentialPage, CredentialSummaryResponse
from issuer.web.schemas.search import SortQuery, credential_filter

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/credentials", tags=["credentials"])

FilterDep = Annotated[CredentialFilter, Depends(credential_filter)]


@router.get("", response_model=CredentialPage)
def search(
    principal: PrincipalDep,
    _known: Annotated[None, known_query_only],
    criteria: FilterDep,
    session: ReadSessionDep,
    services: ServicesDep,
    sort: SortQuery = SortOrder.NEWEST,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> CredentialPage:
    """A page of the credentials matching every filter given, newest first unless ``sort``
    says otherwise, with the number that match in all (``total_exact`` false: an estimate,
    above 10,000; filtered by unit and state alone, always exact) and where the next page
    starts: ``next_cursor`` (send it back as ``cursor`` with the same filters and ``sort``;
    any depth) or ``next_offset`` (up to 10,000), both null on the last page. A row has no
    signed token: ``links.self`` gives the credential with its token and QR text.
    Registrars see their units only."""
    page = search_credentials(
        session,
        criteria,
        scope=unit_scope(principal),
        order=sort,
        limit=limit,
        offset=offset,
        cursor=cursor,
    )
    base = services.base_url
    return CredentialPage(
        items=[CredentialSummaryResponse.of(r, base) for r in page.items],
        total=page.total,
        total_exact=page.exact,
        limit=page.limit,
        offset=page.offset,
        next_offset=page.next_offset,
        next_cursor=page.next_cursor,
    )


def _csv_chunks(
    services: Services, criteria: CredentialFilter, scope: tuple[str, ...] | None, order: SortOrder
) -> Iterator[bytes]:
    """The export (``register_parts``), read in a session of its own (the request's is
    closed once the response starts)."""
    session = services.read_sessions()
    try:
        parts = register_parts(session, services.urls, criteria, scope=scope, order=order)
        for data, _rows in parts:
            yield data
    except SQLAlchemyError as exc:  # the status line is sent: the file stops short
        log.warning("the CSV export stopped: %s", type(exc).__name__)
    finally:
        session.close()


@router.get(
    ".csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def search_csv(
    principal: PrincipalDep,
    _known: Annotated[None, known_query_only],
    criteria: FilterDep,
    services: ServicesDep,
    sort: SortQuery = SortOrder.NEWEST,
) -> StreamingResponse:
    """Every credential matching the filters as CSV (UTF-8 with a BOM; cells that a
    spreadsheet would take for a formula are quoted), the columns of the list without the
    signed token. Streamed in this request: for a large register, ``POST /api/v1/exports``
    writes the same file as a job."""
    return csv_export(services, criteria, unit_scope(principal), sort)


def csv_export(
    services: Services, criteria: CredentialFilter, scope: tuple[str, ...] | None, order: SortOrder
) -> StreamingResponse:
    """The export of a search within ``scope``, for the API and the console alike. Refusals
    (a unit outside the scope: 403; a filter no value can match: 422) come here, before the
    status line is sent."""
    check_scope(criteria, scope)
    conditions(criteria)
    headers = {"Content-Disposition": 'attachment; filename="credentials.csv"'}
    return StreamingResponse(
        _csv_chunks(services, criteria, scope, order),
        media_type="text/csv; charset=utf-8",
        headers=headers,
    )
