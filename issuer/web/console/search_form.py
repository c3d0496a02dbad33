"""The console's search form: its query string read into the search service's filter, and
back again for the page links and the CSV export.

The form takes the API's filters (issuer/web/schemas/search.py) under the same names, with
the same lengths, plus the quick box (``q``). It is read by hand rather than by FastAPI's
validation so that a bad value redraws the form with a message beside its field (422), as a
person needs, instead of an error page; a parameter the form does not know is refused the
same way, as the API refuses it (decision 0034). Empty fields are absent filters: a browser
sends every field of a ``GET`` form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Final, TypeVar
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from issuer.credentials.search import MAX_OFFSET, MAX_PAGE, CredentialFilter, SortOrder
from issuer.vocabulary import CredentialState
from verifier.i18n import both

PAGE_SIZES: Final = (20, 50, 100, 200)
DEFAULT_PAGE_SIZE: Final = 50
MAX_UNITS: Final = 50

# The text filters and their longest values, as the API has them.
TEXT_FIELDS: Final = {
    "number": 64,
    "holder_name": 200,
    "employee_number": 64,
    "occupation": 32,
    "level": 32,
    "exam_session": 64,
}
DATE_FIELDS: Final = ("issued_from", "issued_to", "exam_from", "exam_to")
QUICK_FIELD: Final = "q"
QUICK_MAX: Final = 200
KNOWN: Final = frozenset(
    {*TEXT_FIELDS, *DATE_FIELDS, "unit", "state", "sort", "limit", "offset", QUICK_FIELD}
)

T = TypeVar("T")
Message = tuple[str, str]
TOO_LONG: Final[Message] = both("console.search.error.too_long")
NOT_A_DATE: Final[Message] = both("console.search.error.not_a_date")
NOT_A_CHOICE: Final[Message] = both("console.search.error.not_a_choice")
NOT_A_NUMBER: Final[Message] = both("console.search.error.not_a_number")
TOO_MANY: Final[Message] = both("console.search.error.too_many")


@dataclass
class SearchForm:
    """What the form asked for, what it means to the search service, and what is wrong."""

    values: dict[str, str] = field(default_factory=dict)  # as typed, to draw the form again
    units: list[str] = field(default_factory=list)
    criteria: CredentialFilter = field(default_factory=CredentialFilter)
    quick: str | None = None
    sort: SortOrder = SortOrder.NEWEST
    limit: int = DEFAULT_PAGE_SIZE
    offset: int = 0
    errors: dict[str, Message] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors and not self.unknown


def _choice(value: str, parse: Callable[[str], T]) -> T | None:
    try:
        return parse(value)
    except ValueError:
        return None


def _whole(value: str, low: int, high: int) -> int | None:
    number = _choice(value, int) if value.isascii() and value.isdigit() else None
    return number if number is not None and low <= number <= high else None


def read_form(params: QueryParams) -> SearchForm:
    """The form as the query string gives it; nothing here reads the database."""
    form = SearchForm()
    form.unknown = sorted({name[:64] for name in params if name not in KNOWN})[:20]
    given = {name: params[name].strip() for name in KNOWN if name != "unit" and name in params}
    form.values = {name: value for name, value in given.items() if value}
    text: dict[str, str | None] = {}
    for name, longest in TEXT_FIELDS.items():
        value = form.values.get(name)
        if value is not None and len(value) > longest:
            form.errors[name] = TOO_LONG
        text[name] = value
    dates: dict[str, dt.date | None] = {}
    for name in DATE_FIELDS:
        value = form.values.get(name)
        dates[name] = _choice(value, dt.date.fromisoformat) if value else None
        if value and dates[name] is None:
            form.errors[name] = NOT_A_DATE
    form.units = [u.strip() for u in params.getlist("unit") if u.strip()]
    if len(form.units) > MAX_UNITS:
        form.errors["unit"] = TOO_MANY
    elif any(len(u) > TEXT_FIELDS["occupation"] for u in form.units):
        form.errors["unit"] = TOO_LONG
    state = form.values.get("state")
    parsed_state = _choice(state, CredentialState) if state else None
    if state and parsed_state is None:
        form.errors["state"] = NOT_A_CHOICE
    sort = form.values.get("sort")
    form.sort = (_choice(sort, SortOrder) if sort else None) or SortOrder.NEWEST
    if sort and _choice(sort, SortOrder) is None:
        form.errors["sort"] = NOT_A_CHOICE
    limit = form.values.get("limit")
    form.limit = (_whole(limit, 1, MAX_PAGE) if limit else None) or DEFAULT_PAGE_SIZE
    if limit and _whole(limit, 1, MAX_PAGE) is None:
        form.errors["limit"] = NOT_A_NUMBER
    offset = form.values.get("offset")
    form.offset = (_whole(offset, 0, MAX_OFFSET) if offset else None) or 0
    if offset and _whole(offset, 0, MAX_OFFSET) is None:
        form.errors["offset"] = NOT_A_NUMBER
    form.quick = form.values.get(QUICK_FIELD)
    if form.quick is not None and len(form.quick) > QUICK_MAX:
        form.errors[QUICK_FIELD] = TOO_LONG
    form.criteria = CredentialFilter(
        number=text["number"],
        holder_name=text["holder_name"],
        employee_number=text["employee_number"],
        units=tuple(form.units),
        occupation=text["occupation"],
        level=text["level"],
        state=parsed_state,
        exam_session=text["exam_session"],
        issued_from=dates["issued_from"],
        issued_to=dates["issued_to"],
        exam_from=dates["exam_from"],
        exam_to=dates["exam_to"],
    )
    return form


def filter_params(criteria: CredentialFilter) -> list[tuple[str, str]]:
    """``criteria`` as the query string of the form, the API and the export (one name per
    filter, ``unit`` repeated)."""
    params: list[tuple[str, str]] = []
    for item in fields(criteria):
        value = getattr(criteria, item.name)
        if item.name == "units":
            params += [("unit", code) for code in value]
        elif value is not None:
            params.append((item.name, value.isoformat() if isinstance(value, dt.date) else value))
    return params


def search_url(
    criteria: CredentialFilter,
    *,
    sort: SortOrder = SortOrder.NEWEST,
    limit: int = DEFAULT_PAGE_SIZE,
    offset: int = 0,
    path: str = "/console/credentials",
) -> str:
    """The console's link to a search (the defaults left out, so links stay short)."""
    params = filter_params(criteria)
    if sort != SortOrder.NEWEST:
        params.append(("sort", sort.value))
    if limit != DEFAULT_PAGE_SIZE:
        params.append(("limit", str(limit)))
    if offset:
        params.append(("offset", str(offset)))
    return f"{path}?{urlencode(params)}" if params else path
