"""Two registrars acting on one credential at the same moment, through a real server and real
database connections: exactly one wins, the other gets a clean 409, nothing is lost."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.services import Services
from issuer.store.audit import verify_chain
from issuer.store.models import Credential
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog
from tests.issuer.lifecycle_helpers import bearer

ROUNDS = 6


def _race(base: str, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[Any]:
    start = threading.Barrier(len(requests))
    answers: list[Any] = [None] * len(requests)

    def send(n: int) -> None:
        url, body, headers = requests[n]
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            answers[n] = http.post(url, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    return answers


def test_concurrent_reissues_of_one_credential_give_one_winner(
    live_server: tuple[str, TestClient], services: Services
) -> None:
    base, client = live_server
    load_catalog(services)
    admin = bearer(make_token(services))
    first, second = (bearer(make_token(services, "registrar", ["U01"])) for _ in range(2))
    for round_no in range(ROUNDS):
        holder = {"name": f"并发{round_no}", "employee_number": f"R-{round_no}"}
        issued = client.post("/api/v1/credentials", json=issue_body(holder=holder), headers=admin)
        url = f"/api/v1/credentials/{issued.json()['id']}"
        upgrade = {"reason": "data_correction", "level": "intermediate"}
        if round_no % 2:
            rival = (f"{url}/revoke", {"reason": "exam_misconduct"}, second)
        else:
            rival = (f"{url}/reissue", {**upgrade, "holder_name": f"并发{round_no}改"}, second)
        answers = _race(base, [(f"{url}/reissue", upgrade, first), rival])
        codes = sorted(a.status_code for a in answers)
        assert codes in ([200, 409], [201, 409]), [a.text for a in answers]
        loser = next(a for a in answers if a.status_code == 409).json()
        assert loser["code"] in {"already_superseded", "already_revoked"}
        with services.sessions() as session:
            row = session.get(Credential, issued.json()["id"])
            assert row is not None
            assert row.state in {"superseded", "revoked"}
            winners = [a.json() for a in answers if a.status_code == 201]
            if row.state == "superseded":
                assert [w["credential"]["id"] for w in winners] == [row.replaced_by_id]
            else:
                assert winners == []
                assert row.replaced_by_id is None
    with services.sessions() as session:
        total = session.execute(select(func.count()).select_from(Credential)).scalar_one()
        replaced = session.execute(
            select(func.count())
            .select_from(Credential)
            .where(Credential.replaced_by_id.is_not(None))
        ).scalar_one()
        assert total == ROUNDS + replaced  # one replacement per superseded credential, no more
        report = verify_chain(session)
    assert report.ok, report.problem
