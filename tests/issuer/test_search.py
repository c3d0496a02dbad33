"""Searching the register: ``GET /api/v1/credentials`` filters, pages, its CSV export, and
the certificate number accepted wherever the registrar API takes a credential id."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from issuer.config import Settings
from issuer.services import Services
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import bearer, issue

LIST = "/api/v1/credentials"

# name, employee number, unit, occupation, level, exam session, exam date, issue day
PEOPLE = [
    ("王小明", "E-0001", "U01", "6-17-05-01", "senior", "S-2026-A", "2026-10-14", 1),
    ("Zhang Wei", "E-0002", "U01", "6-17-05-02", "junior", "S-2026-A", "2026-10-15", 1),
    ("张伟", "E-0003", "U02", "6-17-05-01", "intermediate", "S-2026-B", "2026-11-02", 20),
    ("zhang weiming", "E-0004", "U03", "6-17-05-01", "senior", "S-2026-B", "2026-11-03", 20),
    ("=HYPERLINK(1)", "E-0005", "U01", "6-17-05-03", "junior", "S-2026-C", "2026-11-04", 21),
]


def _at(moment: dt.datetime) -> Callable[[], dt.datetime]:
    return lambda: moment


def _register(client: TestClient, services: Services, headers: dict[str, str]) -> list[Any]:
    """Issue ``PEOPLE`` (on their issue days of November 2026); revoke the second."""
    load_catalog(services)
    issued = []
    for name, employee, unit, occupation, level, session, exam, day in PEOPLE:
        services.clock = _at(dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC))
        body = {
            "holder": {"name": name, "employee_number": employee},
            "occupation": occupation,
            "level": level,
            "unit": unit,
            "exam": {"date": exam, "session": session},
        }
        issued.append(issue(client, headers, **body))
    revoked = client.post(
        f"{LIST}/{issued[1]['id']}/revoke", json={"reason": "exam_misconduct"}, headers=headers
    )
    assert revoked.status_code == 200, revoked.text
    return issued


def _employees(client: TestClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = client.get(LIST, params=params, headers=headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])  # every page here is the whole result
    return sorted(item["holder"]["employee_number"] for item in page["items"])


def test_each_filter_and_their_combinations(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _register(client, services, admin_headers)
    number = issued[2]["number"]

    def find(**params: Any) -> list[str]:
        return _employees(client, admin_headers, **params)

    assert find() == ["E-0001", "E-0002", "E-0003", "E-0004", "E-0005"]
    # the number as a person types it: lower case, full width, spaces and hyphens
    typed = " ".join(number.lower()[i : i + 4] for i in range(0, len(number), 4))
    assert find(number=number) == find(number=typed) == ["E-0003"]
    assert find(number="ＴＳ" + number[2:]) == ["E-0003"]
    assert find(number="TS000") == []  # exact, not a prefix
    # part of a name, whatever the case, width and spaces
    assert find(holder_name="zhang") == ["E-0002", "E-0004"]
    assert find(holder_name="ＺＨＡＮＧ　ＷＥＩ") == ["E-0002", "E-0004"]
    assert find(holder_name="weim") == ["E-0004"]
    assert find(holder_name="张伟") == ["E-0003"]
    assert find(holder_name="小") == ["E-0001"]
    assert find(holder_name="%") == find(holder_name="_") == []  # no wildcards
    assert find(employee_number="E-0004") == ["E-0004"]
    assert find(employee_number="Ｅ-０００４") == ["E-0004"]  # NFKC, as stored
    assert find(employee_number="E-000") == []
    assert find(unit="U01") == ["E-0001", "E-0002", "E-0005"]
    assert find(unit=["U02", "U03"]) == ["E-0003", "E-0004"]
    assert find(occupation="6-17-05-01") == ["E-0001", "E-0003", "E-0004"]
    assert find(level="senior") == ["E-0001", "E-0004"]
    assert find(state="revoked") == ["E-0002"]
    assert find(state="active") == ["E-0001", "E-0003", "E-0004", "E-0005"]
    assert find(exam_session="S-2026-B") == ["E-0003", "E-0004"]
    assert find(issued_to="2026-11-01") == ["E-0001", "E-0002"]
    assert find(issued_from="2026-11-20", issued_to="2026-11-20") == ["E-0003", "E-0004"]
    assert find(issued_from="2026-11-21") == ["E-0005"]
    assert find(exam_from="2026-10-15", exam_to="2026-11-02") == ["E-0002", "E-0003"]
    assert find(exam_to="2026-10-13") == []
    # combinations: every filter must hold
    assert find(holder_name="zhang", unit="U01") == ["E-0002"]
    assert find(holder_name="zhang", state="active") == ["E-0004"]
    assert find(occupation="6-17-05-01", level="senior", exam_session="S-2026-B") == ["E-0004"]
    assert find(unit="U01", issued_from="2026-11-02", state="active") == ["E-0005"]
    assert find(unit="U02", number=issued[0]["number"]) == []


def test_pages_walk_the_whole_result_once_in_order(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    _register(client, services, admin_headers)
    for sort, expected in (
        ("-issued_at", None),
        ("exam_date", ["E-0001", "E-0002", "E-0003", "E-0004", "E-0005"]),
        ("-exam_date", ["E-0005", "E-0004", "E-0003", "E-0002", "E-0001"]),
    ):
        seen: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            params: dict[str, str | int] = {"limit": 2, "offset": offset, "sort": sort}
            page = client.get(LIST, params=params, headers=admin_headers).json()
            assert page["total"] == 5
            assert (page["limit"], page["offset"]) == (2, offset)
            assert len(page["items"]) == min(2, 5 - offset)
            seen += page["items"]
            offset = page["next_offset"]
        assert len({item["id"] for item in seen}) == 5
        employees = [item["holder"]["employee_number"] for item in seen]
        if expected is not None:
            assert employees == expected
        else:  # newest first: issue times never increase
            issued = [item["issued_at"] for item in seen]
            assert issued == sorted(issued, reverse=True)
    names = client.get(LIST, params={"sort": "number"}, headers=admin_headers).json()["items"]
    assert [n["number"] for n in names] == sorted(n["number"] for n in names)
    past = client.get(LIST, params={"offset": 5}, headers=admin_headers).json()
    assert (past["items"], past["total"], past["next_offset"]) == ([], 5, None)


def _problem(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    problem: dict[str, Any] = response.json()
    assert problem["code"] == "invalid_request"
    return problem


def test_unknown_parameters_and_bad_values_are_refused(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issue(client, admin_headers)
    for url in (LIST, f"{LIST}.csv"):
        unknown = _problem(client.get(url, params={"stat": "revoked"}, headers=admin_headers))
        assert unknown["errors"] == [{"field": "query.stat", "reason": "unknown query parameter"}]
        both = _problem(client.get(f"{url}?limt=1&unit=U01&zz=1", headers=admin_headers))
        assert [e["field"] for e in both["errors"]] == ["query.limt", "query.zz"]
        for bad in (
            {"state": "deleted"},
            {"issued_from": "yesterday"},
            {"exam_to": "2026-02-30"},
            {"sort": "jws"},
            {"holder_name": ""},
            {"holder_name": "王\u200b小明"},  # zero-width space
            {"number": "T" * 65},
            {"issued_from": "2026-11-02", "issued_to": "2026-11-01"},
        ):
            response = client.get(url, params=bad, headers=admin_headers)
            assert response.status_code == 422, (bad, response.text)
    for bad_page in ({"limit": 0}, {"limit": 501}, {"offset": -1}):
        _problem(client.get(LIST, params=bad_page, headers=admin_headers))
    # no token: 401 first, whatever the query says
    assert client.get(LIST, params={"stat": "x"}).status_code == 401


def test_registrars_search_their_units_only(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _register(client, services, admin_headers)
    u01 = bearer(make_token(services, "registrar", ["U01"]))
    assert _employees(client, u01) == ["E-0001", "E-0002", "E-0005"]
    assert _employees(client, u01, holder_name="zhang") == ["E-0002"]
    assert _employees(client, u01, number=issued[2]["number"]) == []  # U02's: not found
    for url in (LIST, f"{LIST}.csv"):
        for units in ("U02", ["U01", "U02"]):
            refused = client.get(url, params={"unit": units}, headers=u01)
            assert refused.status_code == 403, refused.text
    rows = list(csv.DictReader(io.StringIO(client.get(f"{LIST}.csv", headers=u01).text)))
    assert sorted(r["employee_number"] for r in rows) == ["E-0001", "E-0002", "E-0005"]
    auditor = bearer(make_token(services, "auditor"))
    assert len(_employees(client, auditor, unit=["U02", "U03"])) == 2


def test_csv_export_reads_back_with_the_csv_module(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    issued = _register(client, services, admin_headers)
    response = client.get(f"{LIST}.csv", params={"unit": "U01"}, headers=admin_headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_employee = {r["employee_number"]: r for r in rows}
    assert sorted(by_employee) == ["E-0001", "E-0002", "E-0005"]
    first = by_employee["E-0001"]
    assert first["number"] == issued[0]["number"]
    assert first["holder_name"] == "王小明"
    assert (first["unit"], first["level"], first["exam_date"]) == ("U01", "senior", "2026-10-14")
    assert first["verify_url"].endswith(f"/v/{issued[0]['id']}")
    assert by_employee["E-0002"]["state"] == "revoked"
    # a spreadsheet shows the name as text, never evaluates it
    assert by_employee["E-0005"]["holder_name"] == "'=HYPERLINK(1)"
    assert issued[0]["credential"] not in response.text  # no signed tokens
    assert "national" not in response.text
    assert "email" not in response.text
    # the same filters and order as the list
    listed = client.get(LIST, params={"unit": "U01"}, headers=admin_headers).json()["items"]
    assert [r["id"] for r in rows] == [item["id"] for item in listed]
    empty = client.get(f"{LIST}.csv", params={"holder_name": "nobody"}, headers=admin_headers)
    assert list(csv.reader(io.StringIO(empty.content.decode("utf-8-sig"))))[1:] == []


# Wallet offers, like share links, leave the credential's state as it was.
_NOT_LIFECYCLE = ("/wallet-offers", "/offers")


def _body_for(path: str) -> dict[str, Any] | None:
    """A valid body for each action on one credential (a new route must be added here)."""
    action = path.rsplit("/", 1)[-1]
    return {
        "revoke": {"reason": "exam_misconduct"},
        "suspend": {"reason": "holder_request"},
        "reinstate": {},
        "reissue": {"reason": "data_correction", "exam_session": "S-2026-Z"},
        "share-links": {},
        "wallet-offers": {},
        "offers": {},
    }[action]


def test_every_credential_route_takes_the_certificate_number(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    operations = client.get("/openapi.json").json()["paths"]
    walked: list[tuple[str, str]] = []
    for path, methods in operations.items():
        if "{credential_id}" not in path:
            continue
        for method in methods:
            # One candidate per route: a candidate's exam session holds one credential.
            holder = {"name": "李四", "employee_number": f"E-9{len(walked):03d}"}
            fresh = issue(client, admin_headers, holder=holder)
            if method == "post" and path.endswith("/reinstate"):
                suspend = f"{LIST}/{fresh['id']}/suspend"
                client.post(suspend, json={"reason": "holder_request"}, headers=admin_headers)
            typed = fresh["number"].lower()
            url = path.replace("{credential_id}", typed)
            if "{link_id}" in path:
                made = client.post(f"{LIST}/{fresh['id']}/share-links", headers=admin_headers)
                url = url.replace("{link_id}", str(made.json()["id"]))
            if method == "get":
                response = client.get(url, headers=admin_headers)
            else:
                body = _body_for(path) if "{link_id}" not in path else {}
                response = client.post(url, json=body, headers=admin_headers)
            walked.append((method, path))
            if not path.startswith("/api/v1/"):
                # public pages take ids only: a number alone names no one there
                assert response.status_code == 404, (method, path, response.text)
                continue
            assert response.status_code in (200, 201), (method, path, response.text)
            by_id = client.get(f"{LIST}/{fresh['id']}", headers=admin_headers).json()
            changes_state = "/share-links" not in path and not path.endswith(_NOT_LIFECYCLE)
            if method == "post" and changes_state:
                assert by_id["state"] != "active" or path.endswith("/reinstate"), path
    assert len(walked) >= 15  # documents, QR codes, lifecycle, share links, public pages
    assert ("get", "/v/{credential_id}") in walked


def test_commands_take_the_number_as_typed(
    client: TestClient, settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    fresh = issue(client, admin_headers)
    number = fresh["number"]
    typed = f"{number[:6].lower()}-{number[6:]}"
    code, output = run_cli(settings, "suspend", typed, "--reason=holder_request")
    assert code == 0, output
    assert number in output
    state = client.get(f"{LIST}/{fresh['id']}", headers=admin_headers).json()["state"]
    assert state == "suspended"
    code, output = run_cli(settings, "suspend", "TS0000000000", "--reason=holder_request")
    assert code != 0
    assert "no such credential" in output
