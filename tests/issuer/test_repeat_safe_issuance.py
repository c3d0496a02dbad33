"""Repeat-safe issuance (decision 0035): Idempotency-Key on POST /api/v1/credentials, one
credential per candidate and exam session from every way in, and one-time form tokens."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from issuer.access.form_tokens import consume_form_token, issue_form_token
from issuer.access.idempotency import Claim, claim_key
from issuer.config import Settings
from issuer.errors import ConflictError, InvalidInputError, IssuerErrorCode
from issuer.services import Services
from issuer.store.engine import session_scope
from issuer.store.models import Credential, FormToken, IdempotencyRecord
from tests.helpers import make_token
from tests.issuer.helpers import issue_body, load_catalog, run_cli

URL = "/api/v1/credentials"


def _credentials(services: Services) -> int:
    with session_scope(services.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Credential)) or 0)


def test_three_identical_requests_with_one_key_issue_once(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    headers = {**admin_headers, "Idempotency-Key": '"8e03978e-40d5-43e8-bc93-6894a57f9324"'}
    answers = [client.post(URL, json=issue_body(), headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[1].content == answers[2].content == answers[0].content
    assert answers[1].headers["location"] == answers[0].headers["location"]
    assert "idempotent-replayed" not in answers[0].headers
    assert answers[1].headers["idempotent-replayed"] == "true"
    assert _credentials(services) == 1
    with session_scope(services.sessions) as session:
        [stored] = session.scalars(select(IdempotencyRecord)).all()
        assert "8e03978e" not in stored.key_hash  # the key is kept hashed, never as sent


def test_same_key_with_another_body_is_refused_and_issues_nothing(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    headers = {**admin_headers, "Idempotency-Key": "k-1"}
    assert client.post(URL, json=issue_body(), headers=headers).status_code == 201
    other = issue_body(holder={"name": "李四", "employee_number": "E-0002"})
    answer = client.post(URL, json=other, headers=headers)
    assert answer.status_code == 422
    assert answer.json()["code"] == "idempotency_key_reused"
    assert _credentials(services) == 1
    # Another principal's equal key is another key: its request is judged on its own.
    registrar = {"Authorization": f"Bearer {make_token(services, 'registrar', ['U01'])}"}
    answer = client.post(URL, json=other, headers={**registrar, "Idempotency-Key": "k-1"})
    assert answer.status_code == 201
    assert _credentials(services) == 2


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "caf\u00e9", '""', "a\tb"])
def test_malformed_keys_are_refused(
    client: TestClient, admin_headers: dict[str, str], services: Services, key: str
) -> None:
    load_catalog(services)
    headers = [(k.encode(), v.encode()) for k, v in admin_headers.items()]
    headers.append((b"Idempotency-Key", key.encode("latin-1")))
    answer = client.post(URL, json=issue_body(), headers=headers)
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_idempotency_key"
    assert _credentials(services) == 0


def test_a_failed_request_gives_its_key_back(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    headers = {**admin_headers, "Idempotency-Key": "retry-me"}
    wrong = client.post(URL, json=issue_body(occupation="9-99-99-99"), headers=headers)
    assert wrong.json()["code"] == "unknown_occupation"
    again = client.post(URL, json=issue_body(occupation="9-99-99-99"), headers=headers)
    assert again.json()["code"] == "unknown_occupation"  # carried out afresh, not replayed
    assert client.post(URL, json=issue_body(), headers=headers).status_code == 201
    assert _credentials(services) == 1


def test_a_key_in_flight_answers_409_then_expires(services: Services) -> None:
    now = services.clock()
    retention = dt.timedelta(hours=24)
    args: dict[str, Any] = {
        "principal_id": 7,
        "scope": "POST /api/v1/credentials",
        "key": "k",
        "body_hash": "a" * 64,
        "retention": retention,
    }
    assert isinstance(claim_key(services.sessions, now=now, **args), Claim)
    with pytest.raises(ConflictError) as in_flight:
        claim_key(services.sessions, now=now + dt.timedelta(seconds=5), **args)
    assert in_flight.value.code == IssuerErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT
    # A first request silent for ten minutes died with its process: the key is taken over.
    later = now + dt.timedelta(minutes=11)
    assert isinstance(claim_key(services.sessions, now=later, **args), Claim)
    # Past the retention the key is forgotten, whatever body it had.
    args["body_hash"] = "b" * 64
    assert isinstance(claim_key(services.sessions, now=now + retention * 2, **args), Claim)
    with session_scope(services.sessions) as session:
        assert session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def test_a_second_issuance_of_an_exam_is_refused_with_a_link(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    first = client.post(URL, json=issue_body(), headers=admin_headers).json()
    # Another score or date changes nothing: the candidate's exam session has its credential.
    again = issue_body(exam={"date": "2026-10-15", "session": "2026-Q4-D3-R05", "score": 60})
    answer = client.post(URL, json=again, headers=admin_headers)
    assert answer.status_code == 409
    problem = answer.json()
    assert problem["code"] == "already_issued"
    assert problem["credential_id"] == first["id"]
    assert problem["certificate_number"] == first["number"]
    assert problem["credential_url"] == f"/api/v1/credentials/{first['id']}"
    assert first["number"] in problem["detail"]
    assert client.get(problem["credential_url"], headers=admin_headers).json()["id"] == first["id"]
    assert _credentials(services) == 1
    # The same candidate's next exam session is a new credential.
    next_exam = issue_body(exam={"date": "2026-11-20", "session": "2026-Q4-R2-D1-R01"})
    assert client.post(URL, json=next_exam, headers=admin_headers).status_code == 201


def test_reissue_still_works_and_the_refusal_names_the_replacement(
    client: TestClient, admin_headers: dict[str, str], services: Services
) -> None:
    load_catalog(services)
    first = client.post(URL, json=issue_body(), headers=admin_headers).json()
    reissued = client.post(
        f"{URL}/{first['id']}/reissue",
        json={"reason": "data_correction", "level": "intermediate"},
        headers=admin_headers,
    )
    assert reissued.status_code == 201
    replacement = reissued.json()["credential"]
    answer = client.post(URL, json=issue_body(), headers=admin_headers)
    assert answer.status_code == 409
    assert answer.json()["credential_id"] == replacement["id"]
    assert answer.json()["certificate_number"] == replacement["number"]
    assert _credentials(services) == 2


def test_cli_issue_gets_the_refusal_as_one_line(settings: Settings, services: Services) -> None:
    load_catalog(services)
    args = [
        "issue",
        "--name", "王小明", "--employee-number", "E-0001", "--occupation", "6-17-05-01",
        "--level", "senior", "--unit", "U01", "--exam-date", "2026-10-14",
        "--exam-session", "2026-Q4-D3-R05",
    ]  # fmt: skip
    code, output = run_cli(settings, *args)
    assert code == 0, output
    number = output.split("(")[1].split(")")[0]
    code, output = run_cli(settings, *args)
    assert code == 1
    assert output.count("\n") == 0
    assert output.startswith(f"error: this candidate already holds credential {number}")
    assert _credentials(services) == 1


def _race(base: str, bodies: list[tuple[dict[str, Any], dict[str, str]]]) -> list[httpx.Response]:
    start = threading.Barrier(len(bodies))
    answers: list[httpx.Response | None] = [None] * len(bodies)

    def send(n: int) -> None:
        body, headers = bodies[n]
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            answers[n] = http.post(URL, json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers)
    return [a for a in answers if a is not None]


def test_concurrent_identical_requests_issue_one_credential(
    live_server: tuple[str, TestClient], services: Services
) -> None:
    base, _client = live_server
    load_catalog(services)
    admin = {"Authorization": f"Bearer {make_token(services)}"}
    keyed = {**admin, "Idempotency-Key": "same-click"}
    answers = _race(base, [(issue_body(), keyed)] * 4)
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 409}, [a.text for a in answers]
    assert 201 in codes
    assert {a.json()["code"] for a in answers if a.status_code == 409} <= {
        "idempotency_key_in_flight"
    }
    assert len({a.content for a in answers if a.status_code == 201}) == 1
    assert _credentials(services) == 1
    # Without a key: one wins, the others are told which credential holds the exam.
    other = issue_body(holder={"name": "李四", "employee_number": "E-0002"})
    answers = _race(base, [(other, admin)] * 4)
    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    winner = next(a for a in answers if a.status_code == 201).json()
    assert {a.json()["credential_id"] for a in answers if a.status_code == 409} == {winner["id"]}
    assert _credentials(services) == 2


def test_a_form_token_is_used_once(services: Services) -> None:
    now = services.clock()
    ttl = dt.timedelta(hours=1)
    with session_scope(services.sessions) as session:
        token = issue_form_token(session, principal_id=1, purpose="issue", now=now, ttl=ttl)
        expired = issue_form_token(
            session, principal_id=1, purpose="issue", now=now - 2 * ttl, ttl=ttl
        )
        assert token not in {row.token_hash for row in session.scalars(select(FormToken))}
    # A submission that fails gives the token back with its rollback.
    with services.sessions() as session:
        consume_form_token(session, token, principal_id=1, purpose="issue", now=now)
        session.rollback()
    refusals = [
        (token, 2, "issue", IssuerErrorCode.INVALID_FORM_TOKEN),  # another user's
        (token, 1, "revoke", IssuerErrorCode.INVALID_FORM_TOKEN),  # another form's
        (expired, 1, "issue", IssuerErrorCode.INVALID_FORM_TOKEN),
        ("not-a-token", 1, "issue", IssuerErrorCode.INVALID_FORM_TOKEN),
    ]
    for presented, principal, purpose, code in refusals:
        with services.sessions() as session, pytest.raises(InvalidInputError) as refused:
            consume_form_token(session, presented, principal_id=principal, purpose=purpose, now=now)
        assert refused.value.code == code
    with session_scope(services.sessions) as session:
        consume_form_token(session, token, principal_id=1, purpose="issue", now=now)
    with services.sessions() as session, pytest.raises(ConflictError) as again:
        consume_form_token(session, token, principal_id=1, purpose="issue", now=now)
    assert again.value.code == IssuerErrorCode.FORM_ALREADY_SUBMITTED
