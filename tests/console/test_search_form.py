"""The search form's query string: read into the search service's filter and written back
unchanged, so page links and the export carry exactly what was searched."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from starlette.datastructures import QueryParams

from issuer.credentials.search import CredentialFilter, SortOrder
from issuer.vocabulary import CredentialState
from issuer.web.console.search_form import read_form, search_url


def test_a_search_survives_its_own_link() -> None:
    criteria = CredentialFilter(
        number="TS2026000123",
        holder_name="张 & 王=?",
        employee_number="E-0001",
        units=("U01", "U02"),
        occupation="6-17-05-01",
        level="senior",
        state=CredentialState.SUSPENDED,
        exam_session="S-2026-A",
        issued_from=dt.date(2026, 11, 1),
        issued_to=dt.date(2026, 11, 30),
        exam_from=dt.date(2026, 10, 1),
        exam_to=dt.date(2026, 10, 31),
    )
    url = search_url(criteria, sort=SortOrder.HOLDER_NAME, limit=20, offset=40)
    form = read_form(QueryParams(urlsplit(url).query))
    assert form.valid
    assert form.criteria == criteria
    assert (form.sort, form.limit, form.offset) == (SortOrder.HOLDER_NAME, 20, 40)


def test_defaults_are_left_out_of_links_and_empty_fields_are_no_filters() -> None:
    assert search_url(CredentialFilter()) == "/console/credentials"
    assert search_url(CredentialFilter(level="junior")) == "/console/credentials?level=junior"
    form = read_form(QueryParams("number=&holder_name=+&unit=&state=&sort=&limit=&q="))
    assert form.valid
    assert form.criteria == CredentialFilter()
    assert (form.sort, form.limit, form.offset, form.quick) == (SortOrder.NEWEST, 50, 0, None)


def test_each_bad_value_is_marked_on_its_field() -> None:
    form = read_form(
        QueryParams("issued_to=11/30/2026&state=lost&limit=1e3&offset=%EF%BC%91&unit=U01&zz=1")
    )
    assert set(form.errors) == {"issued_to", "state", "limit", "offset"}
    assert form.unknown == ["zz"]
    assert form.units == ["U01"]  # what was right is kept
    assert not form.valid
