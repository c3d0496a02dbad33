"""A small register for the dashboard and search tests, issued through the API, and readers
of the console's pages (the figures a page links, the certificate numbers a table lists)."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from issuer.services import Services
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue

# name, employee number, unit, occupation, level, exam session, exam date, issue day
PEOPLE = [
    ("王小明", "E-0001", "U01", "6-17-05-01", "senior", "S-2026-A", "2026-10-14", 1),
    ("Zhang Wei", "E-0002", "U01", "6-17-05-02", "junior", "S-2026-A", "2026-10-15", 1),
    ("张伟", "E-0003", "U02", "6-17-05-01", "intermediate", "S-2026-B", "2026-11-02", 20),
    ("zhang weiming", "E-0004", "U03", "6-17-05-01", "senior", "S-2026-B", "2026-11-03", 20),
    ("李娜", "E-0005", "U01", "6-17-05-03", "junior", "S-2026-C", "2026-11-04", 21),
    ("刘洋", "E-0006", "U01", "6-17-05-01", "intermediate", "S-2026-C", "2026-11-04", 22),
    ("陈静", "E-0007", "U02", "6-17-05-02", "senior", "S-2026-C", "2026-11-05", 22),
]

_FIGURE = re.compile(r'<a (?:class="figure" )?href="(/console/credentials(?:\?[^"]*)?)">(\d+)</a>')
_ROW = re.compile(r'<a href="/console/credentials/([0-9a-f-]{36})">([^<]+)</a>')


def build_register(
    client: TestClient,
    services: Services,
    headers: dict[str, str],
    set_time: Callable[[dt.datetime], None],
) -> list[dict[str, Any]]:
    """Issue ``PEOPLE`` on their days of November 2026 (``set_time`` moves the app's clock),
    then revoke the second (exam misconduct) and suspend the third; returns what was issued."""
    load_catalog(services)
    issued = []
    for name, employee, unit, occupation, level, session, exam, day in PEOPLE:
        set_time(dt.datetime(2026, 11, day, 9, tzinfo=dt.UTC))
        body = {
            "holder": {"name": name, "employee_number": employee},
            "occupation": occupation,
            "level": level,
            "unit": unit,
            "exam": {"date": exam, "session": session},
        }
        issued.append(issue(client, headers, **body))
    set_time(dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    for credential, action, reason in (
        (issued[1], "revoke", "exam_misconduct"),
        (issued[2], "suspend", "holder_request"),
    ):
        url = f"/api/v1/credentials/{credential['id']}/{action}"
        changed = client.post(url, json={"reason": reason}, headers=headers)
        assert changed.status_code == 200, changed.text
    return issued


def figures(page: str) -> list[tuple[str, int]]:
    """Every figure a page links to a search: (the search's query string, the number)."""
    return [
        (urlsplit(html.unescape(href)).query, int(count)) for href, count in _FIGURE.findall(page)
    ]


def listed(page: str) -> list[str]:
    """The certificate numbers a page's rows link, in order."""
    return [number for _id, number in _ROW.findall(page)]


def api_total(client: TestClient, headers: dict[str, str], query: str) -> int:
    """What ``GET /api/v1/credentials`` counts for the same query string."""
    answer = client.get(f"/api/v1/credentials?{query}", headers=headers)
    assert answer.status_code == 200, answer.text
    total: int = answer.json()["total"]
    return total


def api_numbers(
    client: TestClient, headers: dict[str, str], params: list[tuple[str, str]]
) -> list[str]:
    """The certificate numbers the API lists for ``params`` (every page at once)."""
    answer = client.get("/api/v1/credentials", params=[*params, ("limit", "500")], headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["number"] for item in answer.json()["items"]]
