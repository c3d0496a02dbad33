"""``ListRevisions``: the status-list revision the verifier reads on every check is current
after any commit, by this process or another, and survives a broken connection."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, insert, update
from sqlalchemy.exc import OperationalError

from issuer.credentials.list_revisions import ListRevisions
from issuer.services import Services
from issuer.store.engine import create_db_engine
from issuer.store.models import StatusList
from tests.issuer.helpers import load_catalog
from tests.issuer.lifecycle_helpers import issue, status_list_of, verify_api


def test_revision_moves_with_each_status_change_and_verification_follows(
    client: TestClient, services: Services, admin_headers: dict[str, str]
) -> None:
    load_catalog(services)
    issued = issue(client, admin_headers)
    list_id = int(status_list_of(issued["credential"]).rsplit("/", 1)[1])
    before = services.revisions.current(list_id)
    assert before is not None
    assert verify_api(client, issued["credential"])["status"] == "valid"
    for action, reason, status in (
        ("suspend", "withdrawn_by_authority", "suspended"),
        ("revoke", "exam_misconduct", "revoked"),
    ):
        response = client.post(
            f"/api/v1/credentials/{issued['id']}/{action}",
            json={"reason": reason},
            headers=admin_headers,
        )
        assert response.status_code == 200, response.text
        before += 1
        assert services.revisions.current(list_id) == before
        assert verify_api(client, issued["credential"])["status"] == status
    assert services.revisions.current(list_id + 1000) is None


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Path:
    """A SQLite database holding two status lists, both at revision 0."""
    path = tmp_path / "lists.db"
    engine = create_db_engine(f"sqlite:///{path}")
    StatusList.metadata.tables[StatusList.__tablename__].create(engine)
    now = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    with engine.begin() as connection:
        for list_id in (1, 2):
            connection.execute(
                insert(StatusList).values(
                    id=list_id, purpose="revocation", size=131_072, revision=0, created_at=now
                )
            )
    engine.dispose()
    return path


def test_a_commit_by_another_process_is_seen_at_once(sqlite_file: Path) -> None:
    revisions = ListRevisions(create_db_engine(f"sqlite:///{sqlite_file}"))
    assert (revisions.current(1), revisions.current(2), revisions.current(3)) == (0, 0, None)
    # Another process is just another connection to the file, with nothing shared in memory.
    with sqlite3.connect(sqlite_file) as other:
        other.execute("UPDATE status_lists SET revision = revision + 1 WHERE id = 2")
    assert (revisions.current(1), revisions.current(2)) == (0, 1)
    with sqlite3.connect(sqlite_file) as other:
        other.execute("INSERT INTO status_lists VALUES (3, 'revocation', 131072, 7, '2026-11-27')")
    assert revisions.current(3) == 7


def test_a_broken_connection_is_an_operational_error_then_replaced(sqlite_file: Path) -> None:
    revisions = ListRevisions(create_db_engine(f"sqlite:///{sqlite_file}"))
    assert revisions.current(1) == 0
    revisions._driver.close()  # what a lost file handle looks like to the next call
    with pytest.raises(OperationalError):
        revisions.current(1)
    with sqlite3.connect(sqlite_file) as other:
        other.execute("UPDATE status_lists SET revision = 4 WHERE id = 1")
    assert revisions.current(1) == 4


def test_one_reading_reads_each_list_once_and_the_next_reading_sees_a_commit(
    services: Services,
) -> None:
    """One credential's two lists (revocation and its suspension twin) are one row: inside
    a reading its revision is read once, as of that moment; a commit made meanwhile shows
    on the next reading. On both databases, and with SQL statements counted."""
    load_catalog(services)
    with services.sessions() as session:
        session.execute(
            insert(StatusList).values(
                id=41,
                purpose="revocation",
                size=131_072,
                revision=5,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
        session.commit()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(services.engine, "before_cursor_execute", count)
    revisions = services.revisions
    try:
        with revisions.one_reading():
            assert revisions.current(41) == 5
            with services.sessions() as session:
                session.execute(update(StatusList).where(StatusList.id == 41).values(revision=6))
                session.commit()
            read_inside = [s for s in statements if "status_lists" in s and "UPDATE" not in s]
            assert revisions.current(41) == 5  # as of the reading's first look
            assert revisions.current(999) is None
        assert revisions.current(41) == 6
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    if services.engine.dialect.name != "sqlite":  # SQLite asks its raw connection
        assert len(read_inside) == 1, read_inside
        after = [s for s in statements if "status_lists" in s and "UPDATE" not in s]
        assert len(after) == 3, after  # list 999 inside, then 41 again outside the reading
