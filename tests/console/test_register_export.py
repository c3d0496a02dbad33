"""The register page's export as a job: the search's filters go to the job, its page shows
the rows written and a download link when ready (the API's file, byte for byte), a Stop
button while it runs, and only its asker (or an admin) sees it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import ExportJob
from tests.console.find_helpers import build_register
from tests.console.helpers import Clock, csrf_of, make_user, signed_in
from tests.helpers import make_token
from tests.issuer.lifecycle_helpers import bearer

FIND = "/console/credentials"


def _register(console: TestClient, services: Services, clock: Clock) -> list[dict[str, Any]]:
    def set_time(moment: dt.datetime) -> None:
        clock.now = moment

    return build_register(console, services, bearer(make_token(services)), set_time)


def _start(console: TestClient, query: str) -> str:
    page = console.get(f"{FIND}?{query}").text
    action = re.search(r'<form method="post" action="(/console/exports[^"]*)"', page)
    assert action is not None
    started = console.post(
        action.group(1).replace("&amp;", "&"),
        data={"csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    location = started.headers["location"]
    assert re.fullmatch(r"/console/exports/[0-9a-f-]{36}", location)
    return location


def test_the_console_export_writes_the_search_and_offers_its_file(
    console: TestClient, services: Services, clock: Clock
) -> None:
    issued = _register(console, services, clock)
    make_user(services, "u01@example.com", "registrar", units=["U01"])
    signed_in(console, "u01@example.com")
    location = _start(console, "state=active&sort=number")
    page = console.get(location).text
    assert "可以下载" in page
    assert "Ready" in page
    assert f'href="{location}/file"' in page
    file = console.get(f"{location}/file")
    assert file.status_code == 200
    streamed = console.get(f"{FIND}.csv?state=active&sort=number")
    assert file.content == streamed.content
    lines = file.content.decode("utf-8-sig").splitlines()[1:]
    assert lines
    assert {line.split(",")[5] for line in lines} == {"U01"}
    assert len(lines) < len(issued)  # another unit's credentials are not in it
    progress = console.get(f"{location}/progress").json()
    assert progress["state"] == "ready"
    assert progress["rows"] == len(lines)
    # A finished export has no Stop button, and stopping it is refused.
    assert f'action="{location}/cancel"' not in page
    refused = console.post(f"{location}/cancel", data={"csrf_token": csrf_of(page)})
    assert refused.status_code == 409
    # Another registrar of the same unit does not see it.
    make_user(services, "u01b@example.com", "registrar", units=["U01"])
    signed_in(console, "u01b@example.com")
    assert console.get(location).status_code == 404
    assert console.get(f"{location}/file").status_code == 404


def test_a_queued_export_shows_its_progress_and_a_stop_button(
    console: TestClient, services: Services, clock: Clock
) -> None:
    _register(console, services, clock)
    make_user(services, "admin@example.com")
    signed_in(console, "admin@example.com")
    location = _start(console, "")
    with session_scope(services.sessions) as session:  # as if a worker had not started yet
        session.execute(update(ExportJob).values(state="queued", rows=0, path=None))
    page = console.get(location).text
    assert "排队中" in page
    assert "Queued" in page
    assert 'src="/console/static/exports.js"' in page
    assert f'action="{location}/cancel"' in page
    stopped = console.post(
        f"{location}/cancel", data={"csrf_token": csrf_of(page)}, follow_redirects=False
    )
    assert stopped.status_code == 303
    page = console.get(stopped.headers["location"]).text
    assert "已停止" in page
    assert "Stopped" in page
    assert "未保留任何文件" in page
    assert console.get(f"{location}/file").status_code == 409
    # Without the form's token, nothing starts.
    refused = console.post("/console/exports", data={}, follow_redirects=False)
    assert refused.status_code in (400, 403)
