"""The holder's share page tells what the verify page tells, and offers files only in force.

Valid, revoked (with its reason), suspended, superseded (with the replacement's link) and
expired credentials, each behind a share link: the headline is the verify page's own
(``VERDICTS``), files and LinkedIn are offered and served only for a valid one. A revoked link
answers 410 with a plain page; revoking one link leaves the holder's other links working.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.models import AuditEvent
from tests.helpers import BASE_URL, make_token
from tests.issuer.helpers import issue_body, load_catalog, run_cli
from tests.issuer.lifecycle_helpers import issue, post
from verifier.result import CredentialStatus
from verifier.web.page import VERDICTS

FILES = ("credential.jwt", "badge.png", "badge.svg", "certificate.pdf", "card.pdf")


def _share(client: TestClient, headers: dict[str, str], credential_id: str) -> tuple[int, str]:
    """A new share link of the credential: (link id, page path)."""
    created = post(client, f"/api/v1/credentials/{credential_id}/share-links", headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"]), urlsplit(created.json()["url"]).path


def _headline(html: str) -> tuple[str, str]:
    """The verdict's Chinese and English headline on a share or verify page."""
    found = re.search(
        r'<section class="verdict [a-z]+" role="status"[^>]*><p class="big">'
        r'<span class="symbol" aria-hidden="true">[^<]*</span>([^<]+)</p>'
        r'<p class="big" lang="en">([^<]+)</p>',
        html,
    )
    assert found is not None, html
    return found.group(1), found.group(2)


def _assert_offers_nothing(client: TestClient, path: str, status: CredentialStatus) -> str:
    """The page heads with ``status``'s verdict, like the verify page, and offers no file,
    no badge and no LinkedIn link; every file under the link answers 409."""
    page = client.get(path)
    assert page.status_code == 200
    verdict = VERDICTS[status]
    assert _headline(page.text) == (verdict.zh, verdict.en)
    assert "linkedin.com" not in page.text
    assert "Add to LinkedIn" not in page.text
    assert " download>" not in page.text
    for name in FILES:
        assert f"{path}/{name}" not in page.text
        refused = client.get(f"{path}/{name}")
        assert refused.status_code == 409, (name, refused.text)
        assert refused.json()["code"] == "credential_not_in_force"
        assert status.value in refused.json()["detail"]
    return page.text


def test_share_page_says_what_the_verify_page_says_and_offers_files_only_in_force(
    settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    now = [services.clock()]
    timed = dataclasses.replace(services, clock=lambda: now[0])
    end = (now[0] + dt.timedelta(days=30)).replace(microsecond=0)
    with TestClient(create_app(settings, services=timed)) as client:
        made: dict[str, dict[str, Any]] = {}
        for n, name in enumerate(("valid", "revoked", "suspended", "superseded", "expired")):
            holder = {"name": f"持证人{n}", "employee_number": f"E-{n}"}
            changes: dict[str, Any] = {"holder": holder}
            if name == "expired":
                changes["valid_until"] = end.isoformat()
            made[name] = issue(client, admin_headers, **changes)
        paths = {name: _share(client, admin_headers, c["id"])[1] for name, c in made.items()}
        api = "/api/v1/credentials"
        revoke = {"reason": "exam_misconduct", "note": "secret note"}
        assert post(client, f"{api}/{made['revoked']['id']}/revoke", admin_headers, revoke)
        suspend = {"reason": "holder_request"}
        assert post(client, f"{api}/{made['suspended']['id']}/suspend", admin_headers, suspend)
        reissue = {"reason": "data_correction", "level": "intermediate"}
        answer = post(client, f"{api}/{made['superseded']['id']}/reissue", admin_headers, reissue)
        assert answer.status_code == 201, answer.text
        replacement = answer.json()["credential"]["id"]

        valid = client.get(paths["valid"])
        assert valid.status_code == 200
        expected = (VERDICTS[CredentialStatus.VALID].zh, VERDICTS[CredentialStatus.VALID].en)
        assert _headline(valid.text) == expected
        assert _headline(client.get(f"/v/{made['valid']['id']}").text) == expected
        assert "Add to LinkedIn" in valid.text
        for name in FILES:
            assert f'href="{paths["valid"]}/{name}" download' in valid.text
            assert client.get(f"{paths['valid']}/{name}").status_code == 200
        assert client.get(f"{paths['valid']}/credential.jwt").text == made["valid"]["credential"]

        today = now[0].date().isoformat()
        for name in ("revoked", "suspended", "superseded"):
            status = CredentialStatus(name)
            text = _assert_offers_nothing(client, paths[name], status)
            verify_page = client.get(f"/v/{made[name]['id']}").text
            assert _headline(verify_page) == _headline(text)
            assert f"{made[name]['id']}" in text  # the public verify page stays linked
            assert today in text
        revoked = client.get(paths["revoked"]).text
        assert "考试违纪" in revoked
        assert "Reason: Exam misconduct" in revoked
        assert f"Revoked on: {today}" in revoked
        assert "secret note" not in revoked
        suspended = client.get(paths["suspended"]).text
        assert "At the holder&#x27;s request" in suspended
        assert f"Suspended on: {today}" in suspended
        superseded = client.get(paths["superseded"]).text
        assert f'href="{BASE_URL}/v/{replacement}"' in superseded
        assert "Data correction" in superseded

        now[0] = end + dt.timedelta(days=1)
        text = _assert_offers_nothing(client, paths["expired"], CredentialStatus.EXPIRED)
        assert f"Valid until: {end.date().isoformat()}" in text
        assert _headline(client.get(f"/v/{made['expired']['id']}").text) == _headline(text)


def test_revoking_one_link_leaves_the_others_working_and_answers_410(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    first_id, first = _share(client, admin_headers, issued["id"])
    second_id, second = _share(client, admin_headers, issued["id"])
    revoked = post(
        client, f"/api/v1/credentials/{issued['id']}/share-links/{first_id}/revoke", admin_headers
    )
    assert revoked.status_code == 200
    assert revoked.json()["id"] == first_id
    assert revoked.json()["revoked_at"]

    gone = client.get(first)
    assert gone.status_code == 410
    assert gone.headers["content-type"].startswith("text/html")
    assert gone.headers["cache-control"] == "no-store"
    assert "This share link has been revoked" in gone.text
    assert "王小明" not in gone.text
    assert issued["number"] not in gone.text
    for name in FILES:
        assert client.get(f"{first}/{name}").status_code == 410
    assert client.get(second).status_code == 200
    assert client.get(f"{second}/credential.jwt").text == issued["credential"]
    links = client.get(f"/api/v1/credentials/{issued['id']}/share-links", headers=admin_headers)
    states = {link["id"]: link["revoked_at"] is not None for link in links.json()}
    assert states == {first_id: True, second_id: False}
    with services.sessions() as session:
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "share_link.revoke")
        ).all()
    assert [(d["link"], d["revoked"]) for d in details] == [(first_id, 1)]
    again = post(
        client, f"/api/v1/credentials/{issued['id']}/share-links/{first_id}/revoke", admin_headers
    )
    assert again.status_code == 404
    assert client.get("/s/not-a-real-token-at-all-000000000").status_code == 404


def test_registrar_of_another_unit_cannot_revoke_a_link(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    link_id, path = _share(client, admin_headers, issued["id"])
    url = f"/api/v1/credentials/{issued['id']}/share-links/{link_id}/revoke"
    other = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U02'])}"}
    assert post(client, url, other).status_code == 403
    assert client.get(path).status_code == 200
    own = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    assert post(client, url, own).status_code == 200
    assert client.get(path).status_code == 410


def test_cli_lists_links_and_revokes_one_by_id(
    client: TestClient, settings: Settings, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = client.post("/api/v1/credentials", json=issue_body(), headers=admin_headers).json()
    first_id, first = _share(client, admin_headers, issued["id"])
    second_id, second = _share(client, admin_headers, issued["id"])
    code, output = run_cli(settings, "share", issued["number"], "--link", str(second_id))
    assert (code, output.strip()) == (0, f"revoked share link {second_id} of {issued['number']}")
    assert client.get(second).status_code == 410
    assert client.get(first).status_code == 200
    code, output = run_cli(settings, "share", issued["number"], "--list")
    assert code == 0
    lines = output.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [str(first_id), str(second_id)]
    assert lines[0].endswith("live")
    assert "revoked " in lines[1]
    assert "/s/" not in output
    code, output = run_cli(settings, "share", issued["number"], "--link", str(second_id))
    assert code == 1
    assert "no such live share link" in output


def test_share_page_offers_nothing_while_the_status_cannot_be_checked(
    client: TestClient,
    services: Services,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    _link_id, path = _share(client, admin_headers, issued["id"])

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(services, "published_list", unreachable)
    text = _assert_offers_nothing(client, path, CredentialStatus.UNAVAILABLE)
    assert "connection refused" not in text
    monkeypatch.undo()
    assert client.get(f"{path}/credential.jwt").text == issued["credential"]
