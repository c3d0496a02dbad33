"""The register's search as query parameters: ``GET /api/v1/credentials`` and its CSV export.

Each filter is one documented query parameter; the values are cleaned by the search service
(issuer/credentials/search.py), which refuses what no stored value can be (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Query

from issuer.credentials.search import CredentialFilter, SortOrder
from issuer.vocabulary import CredentialState


def credential_filter(
    number: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=64,
            description="certificate number as printed (TS…); case, full-width characters, "
            "spaces and hyphens do not matter",
        ),
    ] = None,
    holder_name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="all or part of the holder's name as signed; case, full-width "
            "characters and spaces do not matter",
        ),
    ] = None,
    employee_number: Annotated[
        str | None, Query(min_length=1, max_length=64, description="exact")
    ] = None,
    unit: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="unit code; repeat for several units (any of them). A registrar may "
            "name only its own units (403 otherwise)",
        ),
    ] = None,
    occupation: Annotated[
        str | None, Query(min_length=1, max_length=32, description="occupation code")
    ] = None,
    level: Annotated[
        str | None, Query(min_length=1, max_length=32, description="level code")
    ] = None,
    state: Annotated[CredentialState | None, Query()] = None,
    exam_session: Annotated[
        str | None, Query(min_length=1, max_length=64, description="exact")
    ] = None,
    issued_from: Annotated[
        dt.date | None, Query(description="issued on or after this day (UTC)")
    ] = None,
    issued_to: Annotated[
        dt.date | None, Query(description="issued on or before this day (UTC)")
    ] = None,
    exam_from: Annotated[dt.date | None, Query(description="exam on or after this day")] = None,
    exam_to: Annotated[dt.date | None, Query(description="exam on or before this day")] = None,
) -> CredentialFilter:
    """The search's filters from the query string."""
    return CredentialFilter(
        number=number,
        holder_name=holder_name,
        employee_number=employee_number,
        units=tuple(unit or ()),
        occupation=occupation,
        level=level,
        state=state,
        exam_session=exam_session,
        issued_from=issued_from,
        issued_to=issued_to,
        exam_from=exam_from,
        exam_to=exam_to,
    )


SortQuery = Annotated[
    SortOrder,
    Query(description="order of the results (``-`` descending); ties break on the id"),
]
