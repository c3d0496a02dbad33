"""``UTCDateTime``: every timestamp comes back as the UTC instant it was, whatever the
backend, including in bulk inserts where the bind processor remembers its last answer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from issuer.services import Services
from issuer.store.audit import GENESIS_HASH
from issuer.store.models import AuditEvent, core_table

BEIJING = dt.timezone(dt.timedelta(hours=8))


def test_bulk_insert_keeps_each_timestamp(services: Services) -> None:
    base = dt.datetime(2026, 11, 27, 9, 30, 15, 123456, tzinfo=dt.UTC)
    same = base.astimezone(BEIJING)  # the same instant, another object and zone
    later = base + dt.timedelta(seconds=1)
    stamps = [base, base, same, later, base, later, later.replace(microsecond=0)]
    rows = [
        {
            "occurred_at": stamp,
            "actor": "test",
            "action": "test.bulk",
            "target": None,
            "reason": None,
            "request_id": None,
            "details": {"n": n},
            "prev_hash": f"{n:064x}" if n else GENESIS_HASH,
            "hash": f"{n + 1:064x}",
        }
        for n, stamp in enumerate(stamps)
    ]
    with services.engine.begin() as connection:
        connection.execute(insert(core_table(AuditEvent)), rows)
    with services.read_sessions() as session:
        stored = session.execute(
            select(AuditEvent.details, AuditEvent.occurred_at).where(
                AuditEvent.action == "test.bulk"
            )
        ).all()
    by_row = {details["n"]: occurred for details, occurred in stored}
    assert [by_row[n] for n in range(len(stamps))] == stamps
    assert all(
        value.tzinfo is not None and value.utcoffset() == dt.timedelta(0)
        for value in by_row.values()
    )
