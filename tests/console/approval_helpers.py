"""Helpers for the approvals tests: an app with a small batch threshold, a console user's
own API token, and a registrar's batch revocation filed past the threshold."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient

from issuer.access.principals import issue_token
from issuer.app import create_app
from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import Actor
from issuer.store.engine import session_scope
from issuer.store.models import PrincipalRecord
from tests.console.helpers import signed_in
from tests.helpers import make_token
from tests.issuer.lifecycle_helpers import bearer, issue, post


def strict_client(settings: Settings, services: Services) -> TestClient:
    """The app with TESSERA_BATCH_APPROVAL_THRESHOLD=2 on ``services`` (and its clock)."""
    small = settings.model_copy(update={"batch_approval_threshold": 2})
    return TestClient(create_app(small, services=dataclasses.replace(services, settings=small)))


def token_of(services: Services, principal_id: int) -> dict[str, str]:
    """An API token of a console user's own principal: its requests are that person's."""
    with session_scope(services.sessions) as session:
        owner = session.get(PrincipalRecord, principal_id)
        assert owner is not None
        _row, plain = issue_token(
            session,
            owner,
            name="own",
            role=None,
            units=None,
            actor=Actor("cli:test"),
            now=services.clock(),
        )
    return bearer(plain)


def file_batch(
    client: TestClient, services: Services, registrar_id: int, count: int, exam_session: str
) -> str:
    """``count`` credentials of ``exam_session`` (unit U01), then the registrar's batch
    revocation of them past the threshold: the pending request's id."""
    admin = bearer(make_token(services))
    for n in range(count):
        issue(
            client,
            admin,
            holder={"name": f"考生{n}", "employee_number": f"M-{n}"},
            exam={"date": "2026-10-14", "session": exam_session, "score": 91},
        )
    filed = post(
        client,
        "/api/v1/credentials/batch-revoke",
        token_of(services, registrar_id),
        {"exam_session": exam_session, "reason": "exam_misconduct", "note": "room 5 camera"},
    )
    assert filed.status_code == 202, filed.text
    return str(filed.json()["approval"]["id"])


def as_user(client: TestClient, email: str) -> str:
    """Sign ``client`` in as ``email`` (signing out whoever was there); the CSRF token."""
    client.cookies.clear()
    return signed_in(client, email)
