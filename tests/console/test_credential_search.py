"""Finding credentials in the console: the API's filters and answers, pages, the quick box,
the CSV export, a registrar's units, and bad input answered with the form (422)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.console.find_helpers import api_numbers, build_register, listed
from tests.console.helpers import Clock, make_user, signed_in
from tests.helpers import make_token
from tests.issuer.lifecycle_helpers import bearer

FIND = "/console/credentials"


def _register(console: TestClient, services: Services, clock: Clock) -> list[dict[str, Any]]:
    def set_time(moment: dt.datetime) -> None:
        clock.now = moment

    return build_register(console, services, bearer(make_token(services)), set_time)


FILTERS: list[list[tuple[str, str]]] = [
    [],
    [("holder_name", "zhang")],
    [("holder_name", "ＺＨＡＮＧ　ＷＥＩ")],
    [("holder_name", "张")],
    [("employee_number", "E-0004")],
    [("unit", "U01")],
    [("unit", "U02"), ("unit", "U03")],
    [("occupation", "6-17-05-01")],
    [("level", "senior")],
    [("state", "revoked")],
    [("state", "active"), ("unit", "U01")],
    [("exam_session", "S-2026-C")],
    [("issued_from", "2026-11-20"), ("issued_to", "2026-11-21")],
    [("exam_from", "2026-10-15"), ("exam_to", "2026-11-03")],
    [("occupation", "6-17-05-01"), ("level", "senior"), ("exam_session", "S-2026-B")],
    [("sort", "number")],
    [("sort", "holder_name"), ("state", "active")],
]


def test_each_filter_lists_what_the_api_lists(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    admin = bearer(make_token(services))
    for params in [*FILTERS, [("number", issued[3]["number"].lower())]]:
        page = console.get(FIND, params=params)
        assert page.status_code == 200, (params, page.text)
        assert listed(page.text) == api_numbers(console, admin, params), params
    # the form shows what it searched for; every field has its label
    shown = console.get(FIND, params=[("holder_name", "zhang"), ("state", "active")]).text
    assert 'id="f-holder_name" name="holder_name" type="text" value="zhang"' in shown
    assert '<option value="active" selected>' in shown
    for field in ("number", "holder_name", "employee_number", "unit", "occupation", "level"):
        assert f'<label for="f-{field}">' in shown
    # rows in words: state, level, unit, and the issue day in the issuer's time zone
    row = shown[shown.index(issued[3]["number"]) :].split("</tr>", 1)[0]
    assert '有效 <span class="en" lang="en">Active</span>' in row
    assert '高级工 <span class="en" lang="en">Senior</span>' in row
    assert "2026-11-20 17:00 (Asia/Shanghai)" in row


def test_pages_walk_the_whole_result_with_previous_and_next(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _register(console, services, clock)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    everything = api_numbers(console, bearer(make_token(services)), [("sort", "number")])
    url: str | None = f"{FIND}?sort=number&limit=3"
    seen: list[str] = []
    pages = 0
    while url is not None:
        page = console.get(url.replace("&amp;", "&")).text
        pages += 1
        assert f"第 {pages} / 3 页" in page
        assert ('rel="prev"' in page) == (pages > 1)
        seen += listed(page)
        following = re.search(r'rel="next" href="([^"]+)"', page)
        url = following.group(1) if following else None
    assert pages == 3
    assert seen == everything
    past = console.get(FIND, params={"offset": "30", "limit": "3"})
    assert past.status_code == 200
    assert listed(past.text) == []
    assert "回到第一页" in past.text


def test_the_quick_box_opens_an_exact_number_else_finds_by_employee_number_or_name(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    number = issued[4]["number"]
    typed = " ".join(number.lower()[i : i + 4] for i in range(0, len(number), 4))
    for as_typed in (number, typed, "ＴＳ" + number[2:]):
        opened = console.get(FIND, params={"q": as_typed}, follow_redirects=False)
        assert opened.status_code == 303, as_typed
        assert opened.headers["location"] == f"/console/credentials/{issued[4]['id']}"
    by_employee = console.get(FIND, params={"q": "E-0006"})
    assert listed(by_employee.text) == [issued[5]["number"]]
    by_name = console.get(FIND, params={"q": "zhang"})
    assert sorted(listed(by_name.text)) == sorted([issued[1]["number"], issued[3]["number"]])
    assert 'name="holder_name" type="text" value="zhang"' in by_name.text  # what it searched
    nothing = console.get(FIND, params={"q": "TS0000000000"}, follow_redirects=False)
    assert nothing.status_code == 200
    assert "未找到" in nothing.text
    assert "Not found" in nothing.text
    assert listed(nothing.text) == []


def test_a_registrar_finds_and_exports_its_units_only(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "u01@example.com", "registrar", ["U01"])
    signed_in(console, "u01@example.com")
    u01 = bearer(make_token(services, "registrar", ["U01"]))
    page = console.get(FIND).text
    assert sorted(listed(page)) == sorted(c["number"] for c in issued if c["unit"]["code"] == "U01")
    assert '<option value="U01"' in page
    assert '<option value="U02"' not in page  # only its units to choose from
    # a U02 certificate number: not found, never a redirect to it
    other = console.get(FIND, params={"q": issued[2]["number"]}, follow_redirects=False)
    assert other.status_code == 200
    assert "未找到" in other.text
    assert issued[2]["id"] not in other.text
    mine = console.get(FIND, params={"q": issued[0]["number"]}, follow_redirects=False)
    assert mine.status_code == 303
    # naming another unit is refused, on the form and in the export, as the API refuses it
    refused = console.get(FIND, params={"unit": "U02"})
    assert refused.status_code == 403
    assert "您无权查看该单位的证书" in refused.text
    assert listed(refused.text) == []
    assert console.get(f"{FIND}.csv", params={"unit": "U02"}).status_code == 403
    ours = console.get(f"{FIND}.csv", params={"state": "active"})
    theirs = console.get("/api/v1/credentials.csv", params={"state": "active"}, headers=u01)
    assert ours.status_code == theirs.status_code == 200
    assert ours.content == theirs.content
    assert issued[2]["number"] not in ours.text


def test_the_csv_export_is_the_apis_for_the_same_filters(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "auditor@example.com", "auditor")
    signed_in(console, "auditor@example.com")
    auditor = bearer(make_token(services, "auditor"))
    for params in (
        [],
        [("unit", "U01"), ("state", "active")],
        [("holder_name", "zhang"), ("sort", "number")],
    ):
        ours = console.get(f"{FIND}.csv", params=tuple(params))
        theirs = console.get("/api/v1/credentials.csv", params=tuple(params), headers=auditor)
        assert ours.status_code == 200, ours.text
        assert ours.headers["content-type"] == "text/csv; charset=utf-8"
        assert ours.headers["content-disposition"] == 'attachment; filename="credentials.csv"'
        assert ours.headers["cache-control"] == "no-store"
        assert ours.content == theirs.content
        assert ours.content.startswith("\ufeffnumber,".encode())
    # the page's export link carries the page's filters
    page = console.get(FIND, params=[("unit", "U01"), ("state", "active")]).text
    assert 'href="/console/credentials.csv?unit=U01&amp;state=active"' in page
    assert issued  # the register is not empty
    # without a session: the sign-in page, not the file
    console.cookies.clear()
    signed_out = console.get(f"{FIND}.csv", follow_redirects=False)
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].startswith("/console/login")


def test_an_auditor_reads_every_unit_and_is_offered_nothing_to_change(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "auditor@example.com", "auditor")
    signed_in(console, "auditor@example.com")
    page = console.get(FIND).text
    assert sorted(listed(page)) == sorted(c["number"] for c in issued)
    main = page.split("<main", 1)[1]
    # searching only reads: the one form posted writes the search to a file (an export)
    assert re.findall(r'<form method="post" action="([^"?]*)', main) == ["/console/exports"]
    assert '<details class="filters">' in main  # nothing filtered: the list comes first
    paged = console.get(FIND, params={"offset": "2"}).text
    assert '<details class="filters">' in paged
    filtered = console.get(FIND, params={"level": "senior"}).text
    assert '<details class="filters" open>' in filtered
    assert console.post(FIND, data={}).status_code == 405


BAD = [
    ({"issued_from": "2026-13-01"}, "issued_from", "YYYY-MM-DD"),
    ({"exam_to": "2026-02-30"}, "exam_to", "YYYY-MM-DD"),
    ({"state": "deleted"}, "state", "Choose one of the list"),
    ({"sort": "jws"}, "sort", "Choose one of the list"),
    ({"limit": "0"}, "limit", "whole number"),
    ({"limit": "501"}, "limit", "whole number"),
    ({"offset": "-1"}, "offset", "whole number"),
    ({"number": "T" * 65}, "number", "Too long"),
    ({"q": "x" * 201}, "q", "Too long"),
]


def test_bad_values_redraw_the_form_with_a_message_and_422(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _register(console, services, clock)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    for params, field, message in BAD:
        page = console.get(FIND, params=params)
        assert page.status_code == 422, params
        assert f'id="error-{field}"' in page.text, params
        assert message in page.text, params
        assert listed(page.text) == []
        export = console.get(f"{FIND}.csv", params=params)
        if field not in ("q", "limit", "offset"):
            assert export.status_code == 422, params
            assert "text/html" in export.headers["content-type"]
    kept = console.get(FIND, params={"issued_from": "2026-13-01", "holder_name": "王"}).text
    assert 'value="王"' in kept  # the rest of the input stays
    assert 'value="2026-13-01"' in kept
    # what only the search service can judge: the problem, on the form
    for params in (
        {"issued_from": "2026-11-02", "issued_to": "2026-11-01"},
        {"holder_name": "王\u200b小明"},
    ):
        page = console.get(FIND, params=params)
        assert page.status_code == 422, params
        assert "请检查输入" in page.text
        assert 'name="holder_name"' in page.text
    # a parameter the form does not know, as the API refuses it
    unknown = console.get(FIND, params={"stat": "revoked"})
    assert unknown.status_code == 422
    assert "stat" in unknown.text
    assert "Unknown query parameters" in unknown.text
    assert console.get(f"{FIND}.csv", params={"q": "x"}).status_code == 422
    # empty fields, as a browser sends them, are no filters
    blank = console.get(FIND, params={"number": "", "holder_name": " ", "unit": "", "state": ""})
    assert blank.status_code == 200
    assert len(listed(blank.text)) == 7
