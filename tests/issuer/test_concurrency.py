"""Concurrent writers: parallel issuance never collides and the audit chain stays linear."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import select

from issuer.credentials.issuance import IssueRequest, issue_credentials
from issuer.services import Services
from issuer.store.audit import GENESIS_HASH, Actor
from issuer.store.engine import session_scope
from issuer.store.models import AuditEvent, StatusAllocation
from tests.issuer.helpers import load_catalog


def test_parallel_issuance_gives_unique_slots_and_one_audit_chain(services: Services) -> None:
    load_catalog(services)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def issue(n: int) -> None:
        request = IssueRequest(
            holder_name="并发测试",
            employee_number=f"C-{n}",
            occupation="6-17-05-01",
            level="junior",
            unit="U01",
            exam_date=dt.date(2026, 10, 12),
            exam_session="S1",
        )
        try:
            start.wait()
            for _ in range(3):
                with session_scope(services.sessions) as session:
                    issue_credentials(
                        session,
                        [request],
                        issuer=services.issuer(session),
                        actor=Actor(f"thread-{n}"),
                        now=services.clock(),
                    )
                request = IssueRequest(**{**request.__dict__, "exam_session": f"S{_ + 2}"})
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    with services.sessions() as session:
        slots = session.execute(select(StatusAllocation.list_id, StatusAllocation.index)).all()
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert len(slots) == len(set(slots)) == 24
    assert len(events) == 24
    previous = GENESIS_HASH
    for event in events:
        assert event.prev_hash == previous
        previous = event.hash
