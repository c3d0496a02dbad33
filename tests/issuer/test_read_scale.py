"""Reads that stay bounded at any size (decision 0062): the register's search reads a page
and a capped count, pages follow each other by keyset, the total past the cap is an
estimate on PostgreSQL, the name search uses its index there, and status lists come from
memory with ``ETag``/``304``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from issuer.campaigns.demo import campaign_requests, catalog_data
from issuer.credentials import search
from issuer.credentials.issuance import issue_credentials
from issuer.credentials.search import CredentialFilter, SortOrder, page_query
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import status_list_of

LIST = "/api/v1/credentials"
FIRST = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)


def _issue(services: Services, count: int, *, start: int = 0, now: dt.datetime = FIRST) -> None:
    """``count`` credentials of the demo campaign (from row ``start``), all issued at ``now``:
    ties in the issue time, exam dates and units, as a campaign gives."""
    requests = campaign_requests(catalog_data())[start : start + count]
    with session_scope(services.sessions) as session:
        issue_credentials(
            session, requests, issuer=services.issuer(session), actor=Actor("test"), now=now
        )


@pytest.fixture
def register(services: Services) -> Services:
    """40 credentials in two campaigns a day apart."""
    load_catalog(services)
    _issue(services, 25)
    _issue(services, 15, start=25, now=FIRST + dt.timedelta(days=1))
    return services


@contextmanager
def _statements(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(services.engine, "before_cursor_execute", record)


def _reads_credentials(statement: str) -> bool:
    return re.search(r"\bFROM credentials\b", statement) is not None


SEARCHES: list[dict[str, str]] = [
    {},
    {"state": "active"},
    {"unit": "U01"},
    {"unit": "U02", "state": "active", "sort": "number"},
    {"holder_name": "王"},
    {"employee_number": "E-0001"},
    {"number": "TS2026001000001"},
    {"sort": "holder_name", "limit": "7"},
    {"exam_from": "2026-01-01", "sort": "-exam_date"},
]


@pytest.mark.parametrize("params", SEARCHES, ids=lambda p: ",".join(p) or "everything")
def test_search_reads_a_page_and_a_capped_count_never_the_table(
    register: Services, client: TestClient, admin_headers: dict[str, str], params: dict[str, str]
) -> None:
    with _statements(register) as seen:
        response = client.get(LIST, params=params, headers=admin_headers)
    assert response.status_code == 200, response.text
    # EXPLAIN reads no row: the planner's estimate of a name piece's matches (PostgreSQL).
    reading = [s for s in seen if _reads_credentials(s) and not s.startswith("EXPLAIN")]
    for statement in reading:
        assert re.search(r"\bLIMIT\b", statement), statement
    selects = [s for s in seen if s.startswith(("SELECT", "EXPLAIN"))]
    assert len(selects) <= 5, selects  # token, units' ids, estimate, page, count
    if set(params) - {"unit", "state", "sort", "limit"}:
        assert len(reading) == 2  # the page, the count
        count = next(s for s in reading if "count(" in s)
        assert re.search(r"FROM \(SELECT credentials\.id\b", count), count  # ids, capped
    else:  # the total from the register's counts: no credential counted
        assert len(reading) == 1  # the page
        assert any(re.search(r"\bFROM register_counts\b", s) for s in seen)
        assert response.json()["total_exact"] is True


def test_export_reads_in_batches_and_the_list_never_unbounded(
    register: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    with _statements(register) as seen:
        page = client.get(LIST, params={"limit": 500}, headers=admin_headers).json()
    assert len(page["items"]) == 40
    assert page["total"] == 40
    assert page["total_exact"]
    assert page["next_cursor"] is None
    assert page["next_offset"] is None
    assert all("LIMIT" in s for s in seen if _reads_credentials(s))


@pytest.mark.parametrize("order", list(SortOrder))
@pytest.mark.parametrize("units", [(), ("U05",)])
@pytest.mark.usefixtures("register")
def test_keyset_pages_give_every_match_once_in_order(
    client: TestClient,
    admin_headers: dict[str, str],
    order: SortOrder,
    units: tuple[str, ...],
) -> None:
    base: dict[str, Any] = {"sort": order.value}
    if units:
        base["unit"] = list(units)
    whole = client.get(LIST, params={**base, "limit": 500}, headers=admin_headers).json()
    expected = [item["id"] for item in whole["items"]]
    assert len(expected) == whole["total"]
    assert len(expected) > 4
    walked: list[str] = []
    cursor: str | None = None
    while True:
        params = {**base, "limit": 4, **({"cursor": cursor} if cursor else {})}
        page = client.get(LIST, params=params, headers=admin_headers)
        assert page.status_code == 200, page.text
        body = page.json()
        walked += [item["id"] for item in body["items"]]
        assert body["total"] == whole["total"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["items"]) == 4
    assert walked == expected


@pytest.mark.usefixtures("register")
def test_offsets_and_cursors_agree_and_offsets_stop_at_the_bound(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = client.get(LIST, params={"limit": 10}, headers=admin_headers).json()
    by_offset = client.get(LIST, params={"limit": 10, "offset": 10}, headers=admin_headers)
    by_cursor = client.get(
        LIST, params={"limit": 10, "cursor": first["next_cursor"]}, headers=admin_headers
    )
    assert first["next_offset"] == 10
    assert [i["id"] for i in by_offset.json()["items"]] == [
        i["id"] for i in by_cursor.json()["items"]
    ]
    too_deep = client.get(LIST, params={"offset": search.MAX_OFFSET + 1}, headers=admin_headers)
    assert too_deep.status_code == 422
    assert too_deep.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "W10",  # []
        "WyJudW1iZXIiLCAiVFMxIiwgIngiXQ",  # ["number", "TS1", "x"]: another sort's
        "WyItaXNzdWVkX2F0IiwgIjIwMjYtMTEtMDJUMDk6MDA6MDAiLCAieCJd",  # a naive time
        "WyItaXNzdWVkX2F0IiwgNSwgIngiXQ",  # ["-issued_at", 5, "x"]
        "x" * 1001,
        "WyItaXNzdWVkX2F0IiwgIjIwMjYtMTEtMDJUMDk6MDA6MDArMDA6MDAiLCAiXHUwMDAwIl0",  # NUL id
    ],
)
@pytest.mark.usefixtures("register")
def test_a_cursor_this_search_did_not_give_is_refused(
    client: TestClient, admin_headers: dict[str, str], cursor: str
) -> None:
    response = client.get(LIST, params={"cursor": cursor}, headers=admin_headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"


@pytest.mark.usefixtures("register")
def test_a_cursor_with_an_offset_is_refused(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    first = client.get(LIST, params={"limit": 5}, headers=admin_headers).json()
    both = client.get(
        LIST, params={"cursor": first["next_cursor"], "offset": 5}, headers=admin_headers
    )
    assert both.status_code == 422
    assert both.json()["code"] == "invalid_request"


def test_a_cursor_moves_only_within_the_callers_units(
    register: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    from tests.helpers import make_token

    everything = client.get(LIST, params={"limit": 1}, headers=admin_headers).json()
    registrar = {"Authorization": f"Bearer {make_token(register, 'registrar', ['U02'])}"}
    page = client.get(
        LIST, params={"cursor": everything["next_cursor"], "limit": 500}, headers=registrar
    )
    assert page.status_code == 200
    assert {item["unit"]["code"] for item in page.json()["items"]} <= {"U02"}


def test_past_the_cap_the_total_is_an_estimate_on_postgresql_and_exact_elsewhere(
    register: Services,
    client: TestClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(search, "COUNT_CAP", 10)
    since = {"issued_from": "2000-01-01", "limit": "5"}  # a filter the register's counts lack
    page = client.get(LIST, params=since, headers=admin_headers).json()
    capped = client.get(LIST, params={**since, "unit": "U01"}, headers=admin_headers).json()
    # Filtered by nothing, or by unit and state alone: the register's counts, exact.
    everything = client.get(LIST, params={"limit": 5}, headers=admin_headers).json()
    assert (everything["total"], everything["total_exact"]) == (40, True)
    if register.engine.dialect.name == "postgresql":
        assert not page["total_exact"]
        assert page["total"] > 10  # the planner's estimate, never below the cap
    else:
        assert (page["total"], page["total_exact"]) == (40, True)
    assert page["next_cursor"] is not None
    assert page["next_offset"] == 5
    if capped["total"] <= 10:
        assert capped["total_exact"]


def test_name_search_finds_the_same_on_every_database(
    register: Services, client: TestClient, admin_headers: dict[str, str]
) -> None:
    with register.read_sessions() as session:
        keys = [
            str(k)
            for k in session.scalars(text("SELECT holder_name_key FROM credentials LIMIT 40"))
        ]
    for key in {keys[0], keys[1][:1], keys[2][1:], keys[3][-2:], "%", "_", "zz"}:
        page = client.get(LIST, params={"holder_name": key, "limit": 500}, headers=admin_headers)
        assert page.status_code == 200, page.text
        found = sorted(item["holder"]["name"] for item in page.json()["items"])
        expected = [k for k in keys if key in k]
        assert len(found) == len(expected), key


def test_name_search_goes_through_its_index_on_postgresql(register: Services) -> None:
    dialect = register.engine.dialect.name
    for name in ("王", "小明", "zhangwei"):
        with register.read_sessions() as session:
            query = page_query(
                session, CredentialFilter(holder_name=name), scope=None, order=SortOrder.NEWEST
            ).limit(50)
            if dialect != "postgresql":  # SQLite, the embedded size: LIKE over its rows
                sql = str(query.compile(dialect=register.engine.dialect))
                assert "LIKE" in sql
                assert "tessera_name_grams" not in sql
                continue
            connection = session.connection()
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            compiled = query.compile(
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
            )
            plan = "\n".join(
                row[0]
                for row in connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params)
            )
        assert "ix_credentials_name_grams" in plan, plan


def test_dashboard_counts_without_reading_rows(register: Services) -> None:
    everything = CredentialFilter()
    with _statements(register) as seen, register.read_sessions() as session:
        rows = search.tally(session, everything, scope=None, by=search.TallyBy.UNIT)
    assert sum(count for _code, _state, count in rows) == 40
    assert not [s for s in seen if _reads_credentials(s)]
    # The same figures as the GROUP BY over the credentials that any filter still runs.
    some = dataclasses.replace(everything, issued_from=dt.date(2000, 1, 1))
    with register.read_sessions() as session:
        counted = search.tally(session, some, scope=None, by=search.TallyBy.UNIT)
        by_level = search.tally(session, everything, scope=None, by=search.TallyBy.LEVEL)
        counted_by_level = search.tally(session, some, scope=None, by=search.TallyBy.LEVEL)
    assert sorted(rows) == sorted(counted)
    assert sorted(by_level) == sorted(counted_by_level)


@pytest.mark.parametrize("kind", ["", "/suspension", "/tsl"])
def test_status_lists_come_from_memory_with_etag_and_304(
    register: Services,
    client: TestClient,
    admin_headers: dict[str, str],
    kind: str,
) -> None:
    page = client.get(LIST, params={"limit": 1}, headers=admin_headers).json()
    credential = client.get(f"{LIST}/{page['items'][0]['id']}", headers=admin_headers).json()
    url = status_list_of(credential["credential"]).removeprefix(str(register.base_url)) + kind
    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert "max-age=" in first.headers["cache-control"]
    with _statements(register) as seen:
        again = client.get(url, headers={"If-None-Match": etag})
        fresh = client.get(url)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert fresh.status_code == 200
    assert fresh.content == first.content
    assert not [s for s in seen if "status_allocations" in s]  # the signed copy in memory
    changed = client.post(
        f"{LIST}/{credential['id']}/{'suspend' if kind == '/suspension' else 'revoke'}",
        json={"reason": "exam_misconduct"},
        headers=admin_headers,
    )
    assert changed.status_code == 200, changed.text
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["etag"] != etag
    assert after.content != first.content


@pytest.mark.parametrize("sort", ["-issued_at", "number", "holder_name"])
def test_a_common_name_piece_finds_the_same_rows_in_the_same_order(
    register: Services,
    client: TestClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    sort: str,
) -> None:
    keys = ("王", "小", "zhang", "%")
    counted: dict[str, Any] = {}
    for key in keys:
        params = {"holder_name": key, "sort": sort, "limit": "500"}
        counted[key] = client.get(LIST, params=params, headers=admin_headers).json()
    monkeypatch.setattr(search, "COMMON_NAME_MATCHES", -1)  # every piece common
    postgresql = register.engine.dialect.name == "postgresql"
    for key in keys:
        params = {"holder_name": key, "sort": sort, "limit": "500"}
        with _statements(register) as seen:
            walked = client.get(LIST, params=params, headers=admin_headers).json()
        assert [i["id"] for i in walked["items"]] == [i["id"] for i in counted[key]["items"]]
        if postgresql:  # the estimate, nothing counted
            assert walked["total_exact"] is False
            assert not [s for s in seen if "count(" in s]
            uses_pieces = [s for s in seen if "tessera_name_grams" in s and "LIMIT" in s]
            assert bool(uses_pieces) == (sort == "holder_name")  # name order: the GIN index
        else:
            assert walked["total"] == counted[key]["total"]
