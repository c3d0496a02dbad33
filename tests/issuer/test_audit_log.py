"""The audit log: every action appended and chained; `tessera audit verify` finds tampering."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from issuer.config import Settings
from issuer.services import Services
from issuer.store.audit import Actor, event_hash, record_event, verify_chain
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent
from issuer.vocabulary import AuditAction
from tests.helpers import make_token
from tests.issuer.helpers import load_catalog, run_cli
from tests.issuer.lifecycle_helpers import bearer, issue, post


def _history(client: TestClient, headers: dict[str, str]) -> list[int]:
    """Issue two credentials, revoke one, suspend and reinstate the other; the event ids."""
    first = issue(client, headers)
    second = issue(client, headers, holder={"name": "李四", "employee_number": "E-0002"})
    base = "/api/v1/credentials"
    assert post(client, f"{base}/{first['id']}/revoke", headers, {"reason": "exam_misconduct"})
    assert post(client, f"{base}/{second['id']}/suspend", headers, {"reason": "holder_request"})
    assert post(client, f"{base}/{second['id']}/reinstate", headers).is_success
    page = client.get("/api/v1/audit?limit=500", headers=headers).json()
    return [item["id"] for item in page["items"]]


def _edit(session: Session, ids: list[int]) -> int:
    session.execute(
        text("UPDATE audit_events SET reason = 'issued_in_error' WHERE id = :id"), {"id": ids[2]}
    )
    return ids[2]


def _delete(session: Session, ids: list[int]) -> int:
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    return ids[2]  # the event after the gap no longer follows its predecessor


def _swap(session: Session, ids: list[int]) -> int:
    a, b = ids[1], ids[2]
    for old, new in ((a, -1), (b, a), (-1, b)):
        session.execute(
            text("UPDATE audit_events SET id = :new WHERE id = :old"), {"old": old, "new": new}
        )
    return a


def _drop_tail(session: Session, ids: list[int]) -> int:
    session.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[-1]})
    return ids[-2]


@pytest.mark.parametrize("tamper", [_edit, _delete, _swap, _drop_tail], ids=lambda f: f.__name__)
def test_audit_verify_names_the_first_tampered_event(
    client: TestClient,
    services: Services,
    settings: Settings,
    admin_headers: dict[str, str],
    tamper: Callable[[Session, list[int]], int],
) -> None:
    load_catalog(services)
    ids = _history(client, admin_headers)
    assert len(ids) == 5
    code, output = run_cli(settings, "audit", "verify")
    assert code == 0, output
    assert "intact" in output, output
    with session_scope(services.sessions) as session:
        bad = tamper(session, ids)
    code, output = run_cli(settings, "audit", "verify")
    assert code == 1
    assert f"BROKEN at event {bad}:" in output, output


def test_event_times_hash_identically_after_a_round_trip(services: Services) -> None:
    moment = dt.datetime(2026, 11, 27, 18, 4, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with session_scope(services.sessions) as session:
        record_event(
            session,
            Actor("test", "req-1"),
            AuditAction.TOKEN_CREATE,
            "x",
            now=moment,
            details={"n": 1},
        )
    with services.sessions() as session:
        event = session.scalars(select(AuditEvent)).one()
        assert event.occurred_at == moment
        assert event.occurred_at.microsecond == 123456
        assert verify_chain(session).ok


def test_audit_api_filters_pages_and_exports_for_admin_and_auditor(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    _history(client, admin_headers)
    auditor = bearer(make_token(services, "auditor"))
    everything = client.get("/api/v1/audit?limit=2&offset=1", headers=auditor).json()
    assert len(everything["items"]) == 2
    assert everything["total"] == 5
    revokes = client.get("/api/v1/audit?action=credential.revoke", headers=auditor).json()
    assert revokes["total"] == 1
    event = revokes["items"][0]
    assert event["reason"] == "exam_misconduct"
    assert event["request_id"]
    assert event["actor"].startswith("principal:")
    assert isinstance(event["details"]["token_id"], int)
    by_target = client.get(f"/api/v1/audit?target={event['target']}", headers=auditor).json()
    assert {e["action"] for e in by_target["items"]} == {"credential.issue", "credential.revoke"}
    future = client.get("/api/v1/audit?since=2999-01-01T00:00:00Z", headers=auditor).json()
    assert future["total"] == 0
    registrar = bearer(make_token(services, "registrar", ["U01"]))
    assert client.get("/api/v1/audit", headers=registrar).status_code == 403

    export = client.get("/api/v1/audit/export", headers=auditor)
    lines = [orjson.loads(line) for line in export.text.splitlines()]
    assert len(lines) == everything["total"]
    previous = "0" * 64
    for line in lines:
        fields = {k: v for k, v in line.items() if k not in {"id", "hash", "prev_hash"}}
        assert line["prev_hash"] == previous
        assert event_hash(previous, fields) == line["hash"]
        previous = line["hash"]
